"""The briefing as one self-contained HTML page, plus wording shared with the
Markdown renderer.

The page loads nothing and runs nothing: styles are inline, there is no
script, and a Content-Security-Policy forbids everything but inline styles, so
even text that escaped escaping could not fetch or execute anything. Every
string taken from a briefing goes through `_text` (html.escape with quotes)
before it reaches the page, in element content and attribute values alike.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from datetime import date

from summarize.models import Briefing, Entity, Failure, Story, StorySource

# Display order and label of entity kinds.
ENTITY_GROUPS = (("PER", "People"), ("ORG", "Organisations"), ("LOC", "Places"))
_TAG_CLASS = {"PER": "per", "ORG": "org", "LOC": "loc"}

CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _text(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


# --- wording shared by the renderers -----------------------------------------


def entity_groups(entities: Iterable[Entity]) -> list[tuple[str, list[str]]]:
    """Entity names grouped by kind, as (label, names) in display order."""
    by_type: dict[str, list[str]] = {}
    for entity in entities:
        by_type.setdefault(entity.type, []).append(entity.name)
    groups = [(label, by_type.pop(kind)) for kind, label in ENTITY_GROUPS if kind in by_type]
    return groups + list(by_type.items())


def _plural(count: int, one: str, many: str) -> str:
    return f"{count:,} {one if count == 1 else many}"


def summary_line(b: Briefing) -> str:
    articles = sum(len(story.sources) for story in b.stories)
    parts = [
        _plural(len(b.stories), "story", "stories"),
        _plural(articles, "article", "articles"),
        f"{len(b.not_summarized):,} not summarized",
    ]
    if b.ignored:
        parts.append(f"{b.ignored:,} outside the date ignored")
    return " · ".join(parts)


def usage_line(b: Briefing) -> str:
    usage = b.usage
    return (
        f"{usage.calls:,} LLM calls ({usage.cached:,} from cache) · "
        f"{usage.prompt_tokens:,} prompt + {usage.completion_tokens:,} completion tokens"
    )


def long_date(iso: str | None) -> str | None:
    """`2026-01-03` as `Saturday, 3 January 2026`; None if not an ISO date."""
    try:
        day = date.fromisoformat(iso or "")
    except ValueError:
        return None
    return f"{day:%A}, {day.day} {day:%B %Y}"


# --- page parts ---------------------------------------------------------------


def story_anchors(stories: Sequence[Story]) -> list[str]:
    """A unique, URL-safe element id per story, derived from `Story.id`."""
    anchors: list[str] = []
    seen: set[str] = set()
    for number, story in enumerate(stories, start=1):
        slug = re.sub(r"[^0-9A-Za-z_-]+", "-", story.id).strip("-") or str(number)
        anchor = candidate = f"story-{slug}"
        suffix = 2
        while candidate in seen:
            candidate = f"{anchor}-{suffix}"
            suffix += 1
        seen.add(candidate)
        anchors.append(candidate)
    return anchors


def _paragraphs(text: str | None) -> str:
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]
    return "".join(f"<p>{_text(p)}</p>" for p in paragraphs)


def _tags(entities: Sequence[Entity]) -> str:
    if not entities:
        return ""
    labels = dict(ENTITY_GROUPS)
    rank = {kind: position for position, (kind, _) in enumerate(ENTITY_GROUPS)}
    ordered = sorted(entities, key=lambda e: rank.get(e.type, len(rank)))
    items = "".join(
        f'<li class="tag {_TAG_CLASS.get(e.type, "other")}" title="{_text(labels.get(e.type, e.type))}">'
        f"{_text(e.name)}</li>"
        for e in ordered
    )
    return f'<ul class="tags" aria-label="Entities">{items}</ul>'


def _source(source: StorySource) -> str:
    outlet = _text(source.source) or "Unknown outlet"
    title = _text(source.title) or "Untitled"
    when = (
        f'<time datetime="{_text(source.published)}">{_text(source.published)}</time>'
        if source.published
        else "undated"
    )
    return (
        f'<li><span class="outlet">{outlet}</span> — <span class="title">{title}</span>'
        f'<span class="meta">{when} · <code>{_text(source.path)}</code></span></li>'
    )


def _story(number: int, anchor: str, story: Story) -> str:
    parts = [
        f'<article class="story" id="{_text(anchor)}" aria-labelledby="{_text(anchor)}-title">',
        f'<h2 id="{_text(anchor)}-title"><span class="num">{number}</span> '
        f"{_text(story.headline) or 'Untitled story'}</h2>",
        f'<div class="tldr">{_paragraphs(story.tldr)}</div>',
        _tags(story.entities),
    ]
    if story.sources:
        sources = "".join(_source(s) for s in story.sources)
        parts.append(f'<h3>Sources</h3><ol class="sources">{sources}</ol>')
    notes = [f'<span class="flag">{_text(flag)}</span>' for flag in story.flags]
    if story.ungrounded:
        names = ", ".join(_text(name) for name in story.ungrounded)
        notes.append(f'<span class="flag">Not found in the sources: {names}</span>')
    if notes:
        parts.append(f'<p class="flags">{"".join(notes)}</p>')
    parts.append("</article>")
    return "\n".join(part for part in parts if part)


def _toc(stories: Sequence[Story], anchors: Sequence[str], failures: int) -> str:
    items = [
        f'<li><a href="#{_text(anchor)}">{_text(story.headline) or "Untitled story"}</a> '
        f'<span class="count">{_plural(len(story.sources), "source", "sources")}</span></li>'
        for story, anchor in zip(stories, anchors)
    ]
    extra = f'<p class="toc-extra"><a href="#not-summarized">Not summarized ({failures:,})</a></p>'
    return (
        '<nav class="toc" aria-labelledby="toc-title"><h2 id="toc-title">In this briefing</h2>'
        f'<ol>{"".join(items)}</ol>{extra}</nav>'
    )


def _failures(failures: Sequence[Failure]) -> str:
    if failures:
        items = "".join(
            f'<li><code>{_text(f.path)}</code><span class="reason">{_text(f.error) or "no reason given"}</span></li>'
            for f in failures
        )
        body = f"<ul>{items}</ul>"
    else:
        body = "<p>Every article was summarized.</p>"
    return f'<section class="failures" id="not-summarized"><h2>Not summarized</h2>{body}</section>'


def _footer(b: Briefing) -> str:
    prompts = "".join(f"<li><code>{_text(p)}</code></li>" for p in b.prompts) or "<li>none</li>"
    return (
        '<footer class="page"><dl>'
        f"<dt>Usage</dt><dd>{_text(usage_line(b))}</dd>"
        f'<dt>Prompts</dt><dd><ul class="plain">{prompts}</ul></dd>'
        f"<dt>Model</dt><dd>{_text(b.model) or 'unknown'}</dd>"
        "</dl></footer>"
    )


_STYLE = """
:root{color-scheme:light dark;--bg:#f6f6f3;--card:#fff;--fg:#1d1d1f;--muted:#63636a;--line:#e3e3de;
--accent:#0b57d0;--per:#e6eefc;--per-fg:#1c3f7a;--org:#e5f4ea;--org-fg:#1f5b34;--loc:#fdf0dc;
--loc-fg:#7a4a06;--flag:#fff1e6;--flag-fg:#8a3b00;--code:#efefeb}
@media (prefers-color-scheme:dark){:root{--bg:#111214;--card:#1b1c1f;--fg:#e9e9e6;--muted:#a3a3a9;
--line:#2d2f33;--accent:#8ab4f8;--per:#1e2b44;--per-fg:#b9cdf5;--org:#1b3324;--org-fg:#b4e2c2;
--loc:#3a2c14;--loc-fg:#f3d19b;--flag:#3b2414;--flag-fg:#ffc69b;--code:#26282c}}
*,*::before,*::after{box-sizing:border-box}
html{-webkit-text-size-adjust:100%;text-size-adjust:100%}
body{margin:0;background:var(--bg);color:var(--fg);overflow-wrap:anywhere;
font:1.0625rem/1.6 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
.wrap{max-width:44rem;margin:0 auto;padding:1.25rem 1rem 3rem}
a{color:var(--accent);text-underline-offset:.15em}
h1,h2,h3{line-height:1.25;margin:0}
header.page{padding:1.5rem 0 .5rem}
.kicker{margin:0;color:var(--muted);font-size:.8rem;letter-spacing:.08em;text-transform:uppercase}
h1{font-size:clamp(1.6rem,5vw,2.2rem);margin:.15rem 0 .35rem}
.summary{margin:0;color:var(--muted);font-size:.95rem}
.toc,.story,.failures{background:var(--card);border:1px solid var(--line);border-radius:14px;
padding:1rem 1.1rem;margin:1.1rem 0}
.toc h2{font-size:.8rem;color:var(--muted);letter-spacing:.08em;text-transform:uppercase;margin-bottom:.4rem}
.toc ol{margin:0;padding-left:1.4rem}
.toc li{margin:.3rem 0}
.count{color:var(--muted);font-size:.85rem;white-space:nowrap}
.toc-extra{margin:.6rem 0 0;font-size:.9rem}
.story{scroll-margin-top:1rem}
.story:target{outline:2px solid var(--accent);outline-offset:2px}
.story h2{font-size:1.3rem;margin-bottom:.5rem}
.num{color:var(--muted);font-weight:500;margin-right:.3em}
.tldr p{margin:.4rem 0}
.tags{list-style:none;display:flex;flex-wrap:wrap;gap:.35rem;padding:0;margin:.8rem 0}
.tag{font-size:.8rem;line-height:1.5;padding:.05rem .6rem;border-radius:999px;background:var(--code)}
.tag.per{background:var(--per);color:var(--per-fg)}
.tag.org{background:var(--org);color:var(--org-fg)}
.tag.loc{background:var(--loc);color:var(--loc-fg)}
.story h3{font-size:.8rem;color:var(--muted);letter-spacing:.08em;text-transform:uppercase;margin:1rem 0 .3rem}
.sources{margin:0;padding-left:1.4rem}
.sources li{margin:.45rem 0}
.outlet{font-weight:600}
.meta{display:block;color:var(--muted);font-size:.85rem}
code{font:.85em/1.4 ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;background:var(--code);
padding:.05em .35em;border-radius:5px}
.flags{margin:.8rem 0 0;display:flex;flex-wrap:wrap;gap:.35rem}
.flag{font-size:.8rem;padding:.1rem .6rem;border-radius:6px;background:var(--flag);color:var(--flag-fg)}
.failures h2{font-size:1.1rem;margin-bottom:.5rem}
.failures ul{margin:0;padding-left:1.2rem}
.failures li{margin:.4rem 0}
.reason{display:block;color:var(--muted);font-size:.9rem}
.empty{color:var(--muted)}
footer.page{color:var(--muted);font-size:.85rem;border-top:1px solid var(--line);margin-top:2rem;padding-top:1rem}
footer dl{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1rem;margin:0}
footer dt{font-weight:600}
footer dd{margin:0;min-width:0}
.plain{list-style:none;margin:0;padding:0}
@media (min-width:48rem){.wrap{padding-top:2.5rem}.toc,.story,.failures{padding:1.3rem 1.6rem}}
"""


def render_html(b: Briefing) -> str:
    """The briefing as a self-contained, script-free HTML5 page."""
    day = _text(b.date) if b.date else "undated"
    shown_day = _text(long_date(b.date)) or day
    anchors = story_anchors(b.stories)
    if b.stories:
        stories = "\n".join(_story(n, a, s) for n, (a, s) in enumerate(zip(anchors, b.stories), start=1))
        toc = _toc(b.stories, anchors, len(b.not_summarized))
    else:
        stories, toc = '<p class="empty">No stories for this date.</p>', ""
    when = f'<time datetime="{day}">{shown_day}</time>' if b.date else shown_day
    return "\n".join(
        [
            "<!DOCTYPE html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            f'<meta http-equiv="Content-Security-Policy" content="{CONTENT_SECURITY_POLICY}">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            '<meta name="referrer" content="no-referrer">',
            '<meta name="color-scheme" content="light dark">',
            f"<title>Briefing — {day}</title>",
            f"<style>{_STYLE}</style>",
            "</head>",
            "<body>",
            '<div class="wrap">',
            '<header class="page"><p class="kicker">Daily briefing</p>'
            f'<h1>{when}</h1><p class="summary">{_text(summary_line(b))}</p></header>',
            "<main>",
            toc,
            stories,
            _failures(b.not_summarized),
            "</main>",
            _footer(b),
            "</div>",
            "</body>",
            "</html>",
            "",
        ]
    )
