"""Where the article sits on a plain-text page dump.

A dump is a column of lines: navigation, headline, date, lead, body, and after
it comments, lists of other stories and the footer. We classify each line on
its own (`kind`), pick the headline, then take the densest run of prose lines
as the body. Short lines between body paragraphs are subheadings and stay;
a heading that opens a list of other stories ends the article.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from summarize.clean.boilerplate import (
    breadcrumb_parts,
    chrome_reason,
    ends_like_sentence,
    has_inline_credit,
    is_menu_line,
    is_metadata_line,
    is_stop_heading,
    is_tag_list,
    is_teaser,
    normalize,
    stopword_ratio,
    words,
)
from summarize.clean.headline import find_headline

# Unknown short lines tolerated between two body paragraphs (subheadings, captions).
MAX_SHORT_GAP = 3
# Known chrome lines tolerated between body paragraphs (embed notices, share rows).
MAX_CHROME_GAP = 8
# Lines with fewer words than this may be site chrome when other pages repeat them.
BATCH_LINE_WORDS = 12

_LINK_MARKER = re.compile(r"\[\d+\]")


@dataclass
class Unit:
    """One line of the page, or several lines of one hard-wrapped paragraph."""

    text: str
    sources: int = 1
    blank_before: bool = True
    kind: str = "short"  # prose, short, title, meta, chrome, stop, teaser
    reason: str | None = None
    repeated: bool = False
    indent: int = 0  # leading spaces of its first line: list depth in an inscriptis dump

    @property
    def n_words(self) -> int:
        return len(words(self.text))


@dataclass
class Layout:
    units: list[Unit]
    title: int | None = None
    body: list[int] = field(default_factory=list)
    start: int = 0
    end: int = -1
    breadcrumb_title: str | None = None


_BULLET = re.compile(r"^(?:[*•·\-–]|\d{1,2}[.)])\s")


def _is_wrapped(block: list[str]) -> bool:
    """A hard-wrapped paragraph: each line is full, the next line's first word would not have fit."""
    if len(block) < 2 or any(_BULLET.match(line) for line in block):
        return False
    width = max(len(line) for line in block)
    if not 50 <= width <= 120 or sum(len(words(line)) for line in block) < 12:
        return False
    if any(is_metadata_line(line) or chrome_reason(line) for line in block):
        return False
    return all(len(a) + 1 + len(b.split()[0]) > width for a, b in zip(block, block[1:]))


def _join_wrapped(block: list[str]) -> str:
    # Parts joined once at the end, and only the end looked at: growing and
    # searching one long string made a multi-megabyte page take hours.
    parts = [block[0]]
    for line in block[1:]:
        end = "".join(parts[-2:])[-2:]
        if re.search(r"[^\W\d_]-$", end) and line[:1].islower():
            parts[-1] = parts[-1][:-1]
            parts.append(line)
        elif end.endswith("-") and line[:1].isupper():
            parts.append(line)
        else:
            parts.append(" " + line)
    return "".join(parts)


def build_units(lines: list[str]) -> list[Unit]:
    units: list[Unit] = []
    block: list[str] = []
    indents: list[int] = []

    def flush() -> None:
        nonlocal block, indents
        if not block:
            return
        if _is_wrapped(block):
            units.append(Unit(_join_wrapped(block), sources=len(block), blank_before=True, indent=indents[0]))
        else:
            for i, line in enumerate(block):
                units.append(Unit(line, blank_before=(i == 0), indent=indents[i]))
        block, indents = [], []

    for raw in lines:
        line = re.sub(r"\s+", " ", _LINK_MARKER.sub("", raw)).strip()
        if not line:
            flush()
            continue
        block.append(line)
        indents.append(len(raw) - len(raw.lstrip(" ")))
    flush()
    return units


def is_prose(text: str, covered: bool) -> bool:
    """A paragraph of running text, as opposed to a headline, label or link."""
    n_words = len(words(text))
    ratio = stopword_ratio(text)
    if n_words >= 12:
        return ratio >= 0.12 or (not covered and bool(re.search(r"[.!?,]", text)))
    # Shorter lines count only when they end like a sentence; a closing quote is
    # not enough, since headlines end in quotes ("… nennen Gespräche »konstruktiv«").
    return n_words >= 8 and text.rstrip()[-1:] in ".!?…" and ratio >= 0.1


def _language_covered(units: list[Unit]) -> bool:
    long_lines = [u.text for u in units if u.n_words >= 12]
    if not long_lines:
        return True
    return sum(stopword_ratio(t) for t in long_lines) / len(long_lines) >= 0.08


def classify(units: list[Unit], batch_lines: frozenset[str]) -> None:
    counts = Counter(normalize(u.text) for u in units)
    covered = _language_covered(units)
    for unit in units:
        text = unit.text
        if is_stop_heading(text):
            unit.kind = "stop"
        elif is_teaser(text):
            unit.kind = "teaser"
        elif is_metadata_line(text):
            unit.kind = "meta"
        elif reason := chrome_reason(text):
            unit.kind, unit.reason = "chrome", reason
        # Title-case headlines look like menu rows; only long rows are surely navigation.
        elif is_menu_line(text) and unit.n_words >= 13 or is_tag_list(text):
            unit.kind, unit.reason = "chrome", "menu"
        elif unit.n_words < BATCH_LINE_WORDS and normalize(text) in batch_lines:
            unit.kind, unit.reason = "chrome", "batch"
        elif is_prose(text, covered):
            unit.kind = "prose"
        unit.repeated = counts[normalize(text)] > 1
    _mark_captions(units)


def _mark_captions(units: list[Unit]) -> None:
    """A line glued to a photo credit (no blank line between) is its caption."""
    for unit in units:
        if unit.kind in ("short", "prose") and has_inline_credit(unit.text):
            unit.kind, unit.reason = "chrome", "caption"
    for i, unit in enumerate(units):
        if unit.reason != "credit":
            continue
        if i > 0 and not unit.blank_before:
            other = units[i - 1]
            # A sentence-long caption only when it and the credit form a block of their own.
            alone = other.blank_before and (i + 1 == len(units) or units[i + 1].blank_before)
        elif i + 1 < len(units) and not units[i + 1].blank_before:
            other = units[i + 1]
            alone = unit.blank_before and (i + 2 == len(units) or units[i + 2].blank_before)
        else:
            continue
        if other.kind == "short" or (other.kind == "prose" and alone and other.n_words <= 35):
            other.kind, other.reason = "chrome", "caption"


def choose_title(layout: Layout, batch_lines: frozenset[str]) -> None:
    units = layout.units
    for unit in units:
        parts = breadcrumb_parts(unit.text) if unit.reason == "breadcrumb" else None
        if parts:
            layout.breadcrumb_title = parts[-1]
            break
    layout.title = find_headline(units, layout.breadcrumb_title)
    if layout.title is not None:
        units[layout.title].kind = "title"


@dataclass
class _Run:
    start: int
    end: int
    chars: int
    prose: int = 1
    closed: bool = False  # ended by a list of other stories or the comments

    @property
    def substantial(self) -> bool:
        return self.prose >= 3 or self.chars >= 600


def _absorb_inline_modules(units: list[Unit]) -> None:
    """A related-links box inside the article ("Recommended", one to three links,
    then the article goes on with consecutive paragraphs) does not end it."""
    prose_before = 0
    for i, unit in enumerate(units):
        if unit.kind == "prose":
            prose_before += 1
        if unit.kind != "stop" or prose_before < 2:
            continue
        items = [j for j in range(i + 1, min(i + 16, len(units))) if units[j].kind != "chrome"]
        links = 0
        while links < len(items) and units[items[links]].kind == "short":
            links += 1
        if not 1 <= links <= 3 or links + 1 >= len(items):
            continue
        first, second = items[links], items[links + 1]
        if units[first].kind == "prose" and units[second].kind == "prose":
            absorbed = items[:links]
            # A terse last line is the article's next subheading, not a link title.
            if links >= 2 and units[absorbed[-1]].n_words <= 6 < min(units[j].n_words for j in absorbed[:-1]):
                absorbed = absorbed[:-1]
            for j in [i] + absorbed:
                units[j].kind, units[j].reason = "chrome", "inline related"


def _runs(units: list[Unit]) -> list[_Run]:
    runs: list[_Run] = []
    current: _Run | None = None
    short_gap = chrome_gap = 0
    for i, unit in enumerate(units):
        if unit.kind == "prose":
            if current and not current.closed and short_gap <= MAX_SHORT_GAP and chrome_gap <= MAX_CHROME_GAP:
                current.end, current.chars, current.prose = i, current.chars + len(unit.text), current.prose + 1
            else:
                current = _Run(i, i, len(unit.text))
                runs.append(current)
            short_gap = chrome_gap = 0
        elif current and (unit.kind in ("stop", "teaser") or (unit.reason == "comments" and current.substantial)):
            current.closed = current.closed or unit.kind != "teaser" or current.substantial
            current = None
        elif unit.kind == "title":
            current = None
        elif unit.kind == "short":
            short_gap += 1
        elif unit.kind == "chrome":
            chrome_gap += 1
    return runs


def _eligible(runs: list[_Run], title: int | None) -> list[_Run]:
    """Runs that can be the body: after the headline, and before the page moved on to other stories."""
    if title is not None and any(r.start > title for r in runs):
        runs = [r for r in runs if r.start > title]
    eligible: list[_Run] = []
    for run in runs:
        eligible.append(run)
        if run.closed and run.substantial:
            break
    return eligible


def _is_lead(unit: Unit) -> bool:
    return (
        unit.kind == "short"
        and unit.n_words >= 5
        and ends_like_sentence(unit.text)
        and stopword_ratio(unit.text) >= 0.1
        and not unit.repeated
    )


def find_body(layout: Layout, batch_lines: frozenset[str]) -> None:
    units = layout.units
    _absorb_inline_modules(units)
    runs = _eligible(_runs(units), layout.title)
    if not runs:
        _fallback_body(layout)
        return
    best = max(runs, key=lambda r: r.chars)
    start, end = best.start, best.end
    j = start - 1
    while j >= 0 and units[j].kind in ("short", "chrome", "meta"):
        if _is_lead(units[j]):
            start = j
        elif units[j].kind == "short":
            if _opens_body(units, j, batch_lines):
                start = j
            break
        j -= 1
    # Short closing paragraphs ("Die Lage bleibt angespannt.") right after the last long one.
    for j in range(end + 1, min(end + 4, len(units))):
        unit = units[j]
        if not (unit.kind == "short" and ends_like_sentence(unit.text) and _is_subheading(unit, batch_lines)):
            break
        end = j
    layout.start, layout.end = start, end
    # The headline is printed once, above the body, even when the page repeats it.
    seen = {normalize(units[layout.title].text)} if layout.title is not None else set()
    for i in range(start, end + 1):
        unit = units[i]
        key = normalize(unit.text)
        if key in seen:
            continue
        if unit.kind == "prose" or (unit.kind == "short" and _is_subheading(unit, batch_lines)):
            layout.body.append(i)
            seen.add(key)


def _opens_body(units: list[Unit], i: int, batch_lines: frozenset[str]) -> bool:
    """A subheading before the first paragraph, below the headline's date or byline."""
    previous = next((u for u in reversed(units[:i]) if u.kind != "chrome"), None)
    return previous is not None and previous.kind in ("meta", "title") and _is_subheading(units[i], batch_lines)


def _is_subheading(unit: Unit, batch_lines: frozenset[str]) -> bool:
    return (
        not unit.repeated
        and unit.n_words <= 25
        and normalize(unit.text) not in batch_lines
        and any(c.isalpha() for c in unit.text)
    )


def _fallback_body(layout: Layout) -> None:
    """No paragraph of prose: keep the short text lines after the headline."""
    units = layout.units
    begin = (layout.title + 1) if layout.title is not None else 0
    for i in range(begin, len(units)):
        unit = units[i]
        if unit.kind in ("stop", "teaser"):
            break
        if unit.kind == "short" and not unit.repeated and unit.n_words >= 3:
            layout.body.append(i)
    if layout.body:
        layout.start, layout.end = layout.body[0], layout.body[-1]


def analyse(lines: list[str], batch_lines: frozenset[str] = frozenset()) -> Layout:
    layout = Layout(units=build_units(lines))
    classify(layout.units, batch_lines)
    choose_title(layout, batch_lines)
    find_body(layout, batch_lines)
    return layout
