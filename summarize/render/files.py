"""Turn a `Briefing` into Markdown, HTML and JSON, and write them safely.

The renderers are pure functions from a briefing to a string. Everything that
comes from an article (titles, TLDRs, names, paths, error messages) is
untrusted: it is escaped so it can neither break the document's structure nor
inject markup. `write_briefing` is the only function that touches the disk.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from pathlib import Path

from summarize.atomic import write_atomic
from summarize.models import Briefing, Failure, Story, StorySource
from summarize.render.html import (
    entity_groups,
    html_parts,
    render_html,
    safe_link,
    summary_line,
    usage_line,
)

__all__ = [
    "FORMATS",
    "briefing_filename",
    "md_inline",
    "render_html",
    "render_json",
    "render_markdown",
    "write_briefing",
]

FORMATS = ("md", "html", "json")


def parse_formats(text: str) -> list[str]:
    """"md,html" → ["md", "html"]; ValueError for an unknown or empty list."""
    chosen = [f.strip() for f in text.split(",") if f.strip()]
    if not chosen or any(f not in FORMATS for f in chosen):
        raise ValueError(f"--format takes {', '.join(FORMATS)}; got {text!r}")
    return chosen
UNDATED_NAME = "undated"

# --- Markdown -------------------------------------------------------------------

# Any run of whitespace, including line and paragraph separators that some
# renderers treat as line breaks.
_WHITESPACE = re.compile(r"[\s\u0085\u2028\u2029]+")
# Characters that start or end inline Markdown constructs: code, emphasis,
# links and images, tables, strikethrough, headings.
_INLINE_SPECIAL = re.compile(r"([\\`*\[\]|~#])")
# `_` only emphasises at a word boundary; inside `file_name` it is literal.
_BOUNDARY_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
# What makes a line a block quote, list item, thematic break or setext underline.
_LEADING_BLOCK = re.compile(r"^([>+\-=])")
_LEADING_ORDERED = re.compile(r"^(\d+)([.)])")
# Only a `&` that would start a character reference needs escaping.
_ENTITY_START = re.compile(r"&(?=#?[0-9A-Za-z]+;)")


def md_inline(text: str | None) -> str:
    """One line of literal text, safe anywhere inline in Markdown.

    Newlines collapse to spaces (so a title cannot start a new heading or list
    item), Markdown punctuation is backslash-escaped and `<` becomes `&lt;`
    (so `<script>` shows as text instead of being passed through as HTML).
    """
    line = _WHITESPACE.sub(" ", text or "").strip()
    line = _INLINE_SPECIAL.sub(r"\\\1", line)
    line = _BOUNDARY_UNDERSCORE.sub(r"\\_", line)
    line = _ENTITY_START.sub("&amp;", line)
    line = line.replace("<", "&lt;")
    line = _LEADING_BLOCK.sub(r"\\\1", line)
    return _LEADING_ORDERED.sub(r"\1\\\2", line)


def _md_paragraphs(text: str | None) -> list[str]:
    # Blank lines in a TLDR are kept as paragraph breaks; each paragraph is
    # flattened to one escaped line.
    paragraphs = re.split(r"\n\s*\n", (text or "").strip())
    return [md_inline(p) for p in paragraphs if p.strip()]


def _md_source(source: StorySource) -> str:
    link = safe_link(source.url)
    title = md_inline(source.title) or "untitled"
    parts = [
        md_inline(source.source) or "unknown outlet",
        f"[{title}](<{link}>)" if link else title,
        md_inline(source.published) or "undated",
        md_inline(source.path),
    ]
    if source.translated:
        parts.append(f"translated from {md_inline(source.language) or 'another language'}")
    return "- " + " — ".join(parts)


def _md_story(story: Story) -> list[str]:
    lines = [f"## {md_inline(story.headline) or 'Untitled story'}", ""]
    for paragraph in _md_paragraphs(story.tldr):
        lines += [paragraph, ""]
    groups = entity_groups(story.entities)
    if groups:
        listed = " · ".join(
            f"**{label}:** " + ", ".join(md_inline(name) for name in names) for label, names in groups
        )
        lines += [listed, ""]
    if story.sources:
        lines += ["**Sources:**", ""]
        lines += [_md_source(source) for source in story.sources]
        lines.append("")
    if story.flags:
        lines += ["**Flags:** " + ", ".join(md_inline(flag) for flag in story.flags), ""]
    if story.ungrounded:
        names = ", ".join(md_inline(name) for name in story.ungrounded)
        lines += [f"**Not found in the sources:** {names}", ""]
    return lines


def _md_failures(failures: Sequence[Failure]) -> list[str]:
    lines = ["## Not summarized", ""]
    if not failures:
        return lines + ["Every article was summarized.", ""]
    lines += [f"- {md_inline(f.path)} — {md_inline(f.error) or 'no reason given'}" for f in failures]
    return lines + [""]


def render_markdown(b: Briefing) -> str:
    """The briefing as Markdown for mail and chat."""
    return "".join(markdown_parts(b))


def markdown_parts(b: Briefing) -> Iterator[str]:
    """`render_markdown` a story at a time."""
    yield "\n".join([f"# Briefing — {md_inline(b.date) or 'undated'}", "", summary_line(b), ""]) + "\n"
    for story in b.stories:
        yield "\n".join(_md_story(story)) + "\n"
    prompts = ", ".join(md_inline(p) for p in b.prompts) or "none"
    yield "\n".join(_md_failures(b.not_summarized) + [
        "---",
        "",
        f"- Usage: {usage_line(b)}",
        f"- Prompts: {prompts}",
        f"- Model: {md_inline(b.model) or 'unknown'}",
        "",
    ])


# --- JSON -----------------------------------------------------------------------


def render_json(b: Briefing) -> str:
    """The machine format: the briefing model itself, which reads back with
    `Briefing.model_validate_json`."""
    return "".join(b.json_parts())


# --- files ----------------------------------------------------------------------


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def briefing_filename(b: Briefing, fmt: str) -> str:
    """`<date>.<fmt>`, or `undated.<fmt>`; a date that is not YYYY-MM-DD is
    reduced to safe characters so it can never name another directory."""
    if b.date is None or not b.date.strip():
        stem = UNDATED_NAME
    elif _ISO_DATE.fullmatch(b.date):
        stem = b.date
    else:
        stem = re.sub(r"[^0-9A-Za-z_-]+", "_", b.date).strip("_") or UNDATED_NAME
    return f"{stem}.{fmt}"


# Each format written part by part, as its renderer would make it whole: a
# page per story adds up.
_PARTS = {"md": markdown_parts, "html": html_parts, "json": Briefing.json_parts}


def write_briefing(b: Briefing, out_dir: Path, formats: Sequence[str]) -> list[Path]:
    """Write the briefing in each of `formats` (of FORMATS) into `out_dir`,
    each file atomically; returns the paths written, in the order asked."""
    unknown = [fmt for fmt in formats if fmt not in _PARTS]
    if unknown:
        raise ValueError(f"unknown format(s) {', '.join(unknown)}; expected some of {', '.join(FORMATS)}")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for fmt in dict.fromkeys(formats):
        path = out_dir / briefing_filename(b, fmt)
        write_atomic(path, _PARTS[fmt](b))
        written.append(path)
    return written
