"""The briefing as one self-contained HTML page, plus wording shared with the
Markdown renderer.

The page is `templates/briefing.html.j2` with its style sheet inlined. It
loads nothing and runs nothing: there is no script, and a
Content-Security-Policy forbids everything but inline styles, so even text
that escaped escaping could not fetch or execute anything. Jinja2's
autoescaping escapes every value taken from a briefing, in element content
and attribute values alike.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from functools import lru_cache

import jinja2

from summarize.digest.shelf import Lazy
from summarize.models import Briefing, Entity, Story

# Display order and label of entity kinds.
ENTITY_GROUPS = (("PER", "People"), ("ORG", "Organisations"), ("LOC", "Places"))
_TAG_CLASS = {"PER": "per", "ORG": "org", "LOC": "loc"}

CONTENT_SECURITY_POLICY = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


# --- wording shared by the renderers -----------------------------------------


_LINK_SAFE = ":/?#[]@!$&'()*+,;=%~-._"


def safe_link(url: str | None) -> str | None:
    """A source's URL as a link target: http(s) only, anything unusual
    percent-encoded (so it cannot leave a Markdown link or an attribute)."""
    from urllib.parse import quote, urlsplit

    if not url or not url.lower().startswith(("http://", "https://")):
        return None
    try:
        if not urlsplit(url).hostname:
            return None
    except ValueError:
        return None
    return quote(url, safe=_LINK_SAFE)



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


# --- the page -------------------------------------------------------------------


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


def _paragraphs(text: str | None) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text or "") if p.strip()]


def _tags(entities: Sequence[Entity]) -> list[dict[str, str]]:
    labels = dict(ENTITY_GROUPS)
    rank = {kind: position for position, (kind, _) in enumerate(ENTITY_GROUPS)}
    ordered = sorted(entities, key=lambda e: rank.get(e.type, len(rank)))
    return [{"name": e.name, "css": _TAG_CLASS.get(e.type, "other"), "label": labels.get(e.type, e.type)}
            for e in ordered]


@lru_cache(maxsize=1)
def _template() -> jinja2.Template:
    environment = jinja2.Environment(loader=jinja2.PackageLoader("summarize.render", "templates"),
                                     autoescape=True, undefined=jinja2.StrictUndefined)
    environment.filters["safe_link"] = safe_link
    return environment.get_template("briefing.html.j2")


def render_html(b: Briefing) -> str:
    """The briefing as a self-contained, script-free HTML5 page."""
    return "".join(html_parts(b))


def html_parts(b: Briefing) -> Iterator[str]:
    """`render_html` in the parts the template yields them, each story's view
    made when the template reaches it: a file is written from them without
    the page of a 10,000-story briefing ever held whole."""
    day = b.date or "undated"
    anchors = story_anchors(b.stories)

    def view(i: int) -> dict:
        story = b.stories[i]
        return {"story": story, "anchor": anchors[i], "paragraphs": _paragraphs(story.tldr),
                "tags": _tags(story.entities), "source_count": _plural(len(story.sources), "source", "sources")}

    stories = Lazy(len(b.stories), view)  # read twice by the template: contents, then the stories
    yield from _template().generate(b=b, day=day, shown_day=long_date(b.date) or day, stories=stories,
                                    summary=summary_line(b), usage=usage_line(b), csp=CONTENT_SECURITY_POLICY)
    yield "\n"
