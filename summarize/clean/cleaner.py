"""The first pipeline stage: raw page dumps in, CleanedArticle out.

`clean_text` is pure: it gets decoded text and returns the article with its
metadata. `clean_paths` (reading, then `clean_inputs`) does the I/O around it
for a batch and never raises for a bad input; every input yields exactly one CleanedArticle, in order.

Decisions worth knowing:
- `title` is the page's own headline line (`headline.find_headline` on a
  dump, trafilatura's title on HTML), or None when the page shows none: a
  lead, caption or menu item is never promoted to title. `text` is the lead
  and the body paragraphs (subheadings included), separated by blank lines,
  without the headline; `CleanedArticle.full_text()` puts it back in front.
- A field record without a headline ("Datum…/Quelle…/TLDR…/Inhalt…") gets a
  derived title: the first sentence of its body, cut at a clause boundary
  when longer than 90 characters. Its body is kept as given (one paragraph
  stays one paragraph) and its TLDR goes to `given_tldr`, not into `text`.
- `published` prefers a scraper's leading "date YYYY-MM-DD" (a month-only
  "date YYYY-MM" is dropped from the text and is no date), then `_pick_date`:
  date lines at the headline, a byline's date, a date in the headline line,
  a dated line at the foot before any list of other stories; relative dates
  need `today`.
- `removed` counts non-empty input lines that are neither in `text` nor the headline.
"""

from __future__ import annotations

import re
import zlib
from collections import Counter
from collections.abc import Iterable, Iterator
from datetime import date

from summarize.clean.boilerplate import (
    ends_like_sentence,
    is_author_note,
    is_caption,
    is_chrome_phrase,
    is_code_fragment,
    is_comment_widget,
    is_consent_notice,
    is_promo,
    is_stop_heading,
    is_teaser,
    normalize,
    trim_pointer_sentences,
    words,
)
from summarize.clean.dates import find_dates, is_date_line
from summarize.clean.fetched import apply_fetched
from summarize.clean.html import extract_html, looks_like_html, visible_text
from summarize.clean.layout import BATCH_LINE_WORDS, Layout, analyse
from summarize.clean.linemodel import select_body
from summarize.clean.metadata import (
    derive_title,
    detect_language,
    domain_of,
    find_source,
    source_from_value,
)
from summarize.ingest.inputs import (
    InputError,
    RawInput,
    decode_bytes,
    read_inputs,
)
from summarize.ingest.records import parse_record
from summarize.models import CleanedArticle
from summarize.text.tokens import count_tokens

# Scrapers sometimes prepend "date 2026-01-03" to the first line of the dump,
# or only the month ("date 2023-11"): that is no publication date, and neither
# is part of the line it is glued to.
_SCRAPER_DATE = re.compile(
    r"^\s*(?:date|datum|published)\s*[:=]?\s*(\d{4}-\d{2})(-\d{2})?(?![\d-])\s*", re.IGNORECASE)
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def _normalize_whitespace(text: str) -> str:
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u00a0", " ").replace("\t", " ")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _split_scraper_date(text: str) -> tuple[str | None, str]:
    """The scraper's full date, if it gave one, and the text without its prefix."""
    match = _SCRAPER_DATE.match(text)
    if not match:
        return None, text
    return (match.group(1) + match.group(2) if match.group(2) else None), text[match.end():]


def _nonempty_lines(text: str) -> int:
    return sum(1 for line in text.split("\n") if line.strip())


def _finish(article: CleanedArticle, paragraphs: list[str]) -> CleanedArticle:
    text = "\n\n".join(p for p in paragraphs if p.strip())
    article.text = text
    article.tokens = count_tokens(text) if text else 0
    if article.language is None:
        article.language = detect_language(article.full_text())
    if not text:
        article.ok = False
        article.error = "no article text found"
    return article


def _trim_tail(paragraphs: list[str]) -> list[str]:
    """Drop an author note and pointer sentences ("… in our live blog") at the article's end."""
    paragraphs = list(paragraphs)
    while paragraphs and is_author_note(paragraphs[-1]):
        paragraphs.pop()
    if paragraphs:
        paragraphs[-1] = trim_pointer_sentences(paragraphs[-1])
        if not paragraphs[-1]:
            paragraphs.pop()
    return paragraphs


# How far above the headline a date line still belongs to it; further up stand
# the masthead's "today" and the navigation.
_DATE_REACH_ABOVE = 4
# Date lines this close below the headline come before any further down the article.
_DATE_REACH_BELOW = 8
# Lines with a date and a few words more (a byline with its date) count close to the headline only.
_BYLINE_REACH_BELOW, _BYLINE_WORDS = 6, 25
# A dated line with this many dated lines around it is an item of a list of other stories.
_DATED_LIST = 3


def _dated_list_items(units: list, dated: set[int]) -> set[int]:
    """Dated lines among many others (archives, teaser lists): their dates are other articles'."""
    items = set()
    for i in dated:
        if sum(1 for j in range(i - 8, i + 9) if j != i and j in dated) >= _DATED_LIST:
            items.add(i)
    return items


def _is_dated_byline(unit) -> bool:
    """A byline or label row that carries the date ("Veröffentlicht: 05.01.2020 | Autor: …"), not a sentence."""
    return len(words(unit.text)) <= _BYLINE_WORDS and not (unit.kind == "prose" and ends_like_sentence(unit.text))


def _pick_date(layout: Layout, today: date | None, month_first: bool) -> str | None:
    """The article's date: a date line at the headline (below it first, then just
    above it), a byline's date there, a date in the headline line itself, then a
    dated line at the article's foot; never a date of a teaser, a list of other
    stories, the comments or a copyright line."""
    units = layout.units
    anchor = layout.title if layout.title is not None else (layout.start if layout.body else 0)
    body_end = max(layout.end, anchor)

    def absolute(i: int) -> str | None:
        hits = find_dates(units[i].text, month_first=month_first, relative=False)
        return hits[0].iso if hits else None

    date_lines = {i for i, u in enumerate(units) if is_date_line(u.text)}
    excluded = _dated_list_items(units, date_lines) | {
        i for i, u in enumerate(units) if u.reason in ("copyright", "comments") or u.kind in ("stop", "teaser")}
    below = [i for i in range(anchor + 1, body_end + 1) if i not in excluded]
    above = [i for i in range(anchor - 1, max(anchor - 1 - _DATE_REACH_ABOVE, -1), -1) if i not in excluded]
    close = [i for i in below if i <= anchor + _DATE_REACH_BELOW]
    for i in close + above:
        if i in date_lines and units[i].kind != "prose" and (found := absolute(i)):
            return found
    for i in [i for i in close if i <= anchor + _BYLINE_REACH_BELOW] + above[:2]:
        if _is_dated_byline(units[i]) and (found := absolute(i)):
            return found
    for i in below:
        if i in date_lines and units[i].kind != "prose" and (found := absolute(i)):
            return found
    if layout.title is not None and (found := _headline_date(units[layout.title].text, month_first)):
        return found
    foot = []
    for i in range(body_end + 1, len(units)):
        if units[i].kind in ("stop", "teaser") or units[i].reason == "comments":
            break
        foot.append(i)
    for i in foot:
        if i in date_lines and i not in excluded and units[i].kind != "prose" and (found := absolute(i)):
            return found
    # Far above the headline, nearest first: a date line there may be the masthead's "today".
    for i in range(anchor - 1 - _DATE_REACH_ABOVE, -1, -1):
        if i in date_lines and i not in excluded and (found := absolute(i)):
            return found
    for i in below + above:
        if i in date_lines:
            for hit in find_dates(units[i].text, today=today):
                if hit.relative:
                    return hit.iso
    return None


_EDGE_DATE = re.compile(r"^\s*(?P<head>[^|–—]{6,30}?)\s*[|–—-]\s|\s[|–—-]\s*(?P<tail>[^|–—]{6,30})$")


def _headline_date(title: str, month_first: bool) -> str | None:
    """A date the page set into its headline line ("23.05.2019 | Das war der Ticker am Donnerstag")."""
    match = _EDGE_DATE.search(title)
    if not match:
        return None
    part = match["head"] or match["tail"] or ""
    if not is_date_line(part):
        return None
    hits = find_dates(part, month_first=month_first, relative=False)
    return hits[0].iso if hits else None


def _clean_dump(article: CleanedArticle, text: str, today: date | None, batch_lines: frozenset[str]) -> CleanedArticle:
    scraper_date, text = _split_scraper_date(text)
    layout = analyse(text.split("\n"), batch_lines)
    # The learned line model decides the body; the rules' body stays when it finds none.
    body = select_body(layout, batch_lines)
    if body:
        layout.body, layout.start, layout.end = body, body[0], body[-1]
    units = layout.units
    paragraphs = _trim_tail([units[i].text for i in layout.body])
    kept_sources = sum(units[i].sources for i in layout.body)
    if layout.title is not None:
        article.title, article.title_is_headline = units[layout.title].text, True
        kept_sources += units[layout.title].sources
    article.removed = max(0, _nonempty_lines(text) - kept_sources)
    headed = ([article.title] if article.title else []) + paragraphs
    article.language = detect_language("\n\n".join(p for p in headed if p))
    article.published = scraper_date or _pick_date(layout, today, article.language == "en")
    kept = set(layout.body) | ({layout.title} if layout.title is not None else set())
    others = [u.text for i, u in enumerate(units) if i not in kept]
    article.source = find_source(others, text)
    return _finish(article, paragraphs)


def _clean_record(article: CleanedArticle, text: str, today: date | None) -> CleanedArticle | None:
    record = parse_record(text)
    if record is None:
        return None
    fields = record.fields
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n|\n", fields["body"]) if p.strip()]
    paragraphs = _trim_tail([p for p in paragraphs if not _is_chrome_paragraph(p)])
    article.given_tldr = fields.get("tldr") or None
    article.published = next((h.iso for h in find_dates(fields.get("date", ""), today=today) if h.iso), None)
    source = fields.get("source") or fields.get("url")
    article.source = (source_from_value(source) if source else None) or None
    body = "\n\n".join(p for p in paragraphs if p)
    article.title = fields.get("title") or derive_title(body)
    article.removed = max(0, _nonempty_lines(text) - len(fields["body"].split("\n")))
    return _finish(article, paragraphs)


def _is_chrome_paragraph(paragraph: str) -> bool:
    return (
        is_code_fragment(paragraph)
        or is_consent_notice(paragraph)
        or is_comment_widget(paragraph)
        or (len(words(paragraph)) <= 6 and is_chrome_phrase(paragraph))
    )


# Lines this long that the extraction repeats are the page printed twice; shorter
# ones (list items, recipe steps) may well repeat in the article.
_REPEAT_WORDS = 10
# At most this many link titles under a "Related" heading inside the article.
_MODULE_LINKS = 4


def _is_paragraph(line: str) -> bool:
    return len(words(line)) >= 15 and ends_like_sentence(line)


def _is_link_title(line: str) -> bool:
    return 1 <= len(words(line)) <= 15 and not ends_like_sentence(line)


def _after_inline_module(lines: list[str], i: int) -> int | None:
    """Where the article resumes after a related-links box headed by lines[i], or
    None when the heading opens the list of other stories that ends it."""
    j = i + 1
    while j < len(lines) and j - i <= _MODULE_LINKS and _is_link_title(lines[j]):
        j += 1
    if j - i - 1 <= _MODULE_LINKS and j + 1 < len(lines) and _is_paragraph(lines[j]) and _is_paragraph(lines[j + 1]):
        return j
    return None


def _html_paragraphs(text: str, title: str | None) -> list[str]:
    """What trafilatura kept, without what it leaves of the page around the article:
    captions with credits, teasers of other stories, newsletter and share lines,
    a second copy of the page, the headline printed again above the body."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    title_key = normalize(title) if title else ""
    paragraphs: list[str] = []
    seen: set[str] = set()
    i = 0
    while i < len(lines):
        line = lines[i]
        if (is_stop_heading(line) or is_teaser(line)) and paragraphs:
            resume = _after_inline_module(lines, i) if is_stop_heading(line) else None
            if resume is None:
                break
            i = resume
            continue
        i += 1
        if _is_chrome_paragraph(line) or is_caption(line) or is_promo(line):
            continue
        key = normalize(line)
        if key in seen and len(words(line)) >= _REPEAT_WORDS:
            continue
        seen.add(key)
        if paragraphs and title_key and not any(_is_paragraph(p) for p in paragraphs) \
                and _is_link_title(line) and title_key in key:
            continue
        paragraphs.append(line)
    return _trim_tail(paragraphs)


def _clean_html(article: CleanedArticle, html: str, today: date | None, batch_lines: frozenset[str]) -> CleanedArticle:
    page = extract_html(html)
    if page is None:
        article.repairs.append("html without article markup")
        return _clean_dump(article, visible_text(html), today, batch_lines)
    paragraphs = _html_paragraphs(page.text, page.title)
    article.title, article.title_is_headline = page.title, bool(page.title)
    if page.title and paragraphs and normalize(paragraphs[0]) == normalize(page.title):
        # The page's own spelling of its headline, as the reader sees it above the body.
        article.title = paragraphs.pop(0)
    article.published = page.published
    article.source = page.sitename or (domain_of(page.hostname) if page.hostname else None)
    article.removed = max(0, _nonempty_lines(html) - len(paragraphs))
    return _finish(article, paragraphs)


def clean_text(
    path: str,
    text: str,
    *,
    encoding: str | None = None,
    repairs: Iterable[str] = (),
    today: date | None = None,
    batch_lines: frozenset[str] = frozenset(),
) -> CleanedArticle:
    """Clean one decoded page (plain-text dump, field record or HTML)."""
    article = CleanedArticle(path=path, encoding=encoding, repairs=list(repairs))
    if looks_like_html(text):
        return apply_fetched(_clean_html(article, text, today, batch_lines), text)
    text = _normalize_whitespace(text)
    if not text.strip():
        return CleanedArticle(path=path, ok=False, error="empty file (only whitespace)", encoding=encoding)
    return _clean_record(article, text, today) or _clean_dump(article, text, today, batch_lines)


def repeated_lines(texts: Iterable[str], min_documents: int = 2) -> frozenset[str]:
    """Short lines that several documents of the batch share: site chrome."""
    documents: Counter[str] = Counter()
    for text in texts:
        if looks_like_html(text):
            continue
        lines = {normalize(line) for line in text.split("\n") if 0 < len(words(line)) < BATCH_LINE_WORDS}
        documents.update(line for line in lines if line)
    return frozenset(line for line, count in documents.items() if count >= min_documents)


def clean_paths(paths: list[str], *, max_bytes: int = 5_000_000, today: date | None = None) -> list[CleanedArticle]:
    """Expand, read and clean a batch; one CleanedArticle per input, failures included."""
    return clean_inputs(read_inputs(paths, max_bytes=max_bytes), today=today)


def clean_inputs(raw_inputs: list[RawInput], *, today: date | None = None) -> list[CleanedArticle]:
    """Decode and clean a batch already read; one CleanedArticle per input, failures included."""
    return list(clean_each(raw_inputs, today=today))


def drained(items: list) -> Iterator:
    """The items of `items` in order, each dropped from the list as it is handed out."""
    items.reverse()
    while items:
        yield items.pop()


def clean_each(raw_inputs: Iterable[RawInput], *, today: date | None = None) -> Iterator[CleanedArticle]:
    """`clean_inputs` one article at a time, for a batch too large to hold
    decoded: the lines pages share are counted in a first pass, which keeps
    each decoded text compressed until the second pass cleans it."""
    inputs: list[tuple[str, bytes | str, str, list[str]]] = []  # a str in place of the text is the failure reason

    def decoded_texts() -> Iterator[str]:
        for raw in raw_inputs:
            try:
                if raw.data is None:
                    raise InputError(raw.error or "not read")
                item = decode_bytes(raw.data)
            except InputError as exc:
                inputs.append((raw.label, str(exc), "", []))
                continue
            inputs.append((raw.label, zlib.compress(item.text.encode(), 1), item.encoding, item.repairs))
            yield item.text

    batch = repeated_lines(decoded_texts())
    for label, packed, encoding, repairs in drained(inputs):  # each page's text goes once cleaned
        if isinstance(packed, str):
            yield CleanedArticle(path=label, ok=False, error=packed)
            continue
        try:
            article = clean_text(label, zlib.decompress(packed).decode(), encoding=encoding, repairs=repairs,
                                 today=today, batch_lines=batch)
        except Exception as exc:  # one malformed page must not stop the batch
            reason = f"{exc.__class__.__name__}: {exc}".splitlines()[0][:200]
            article = CleanedArticle(path=label, ok=False, error=f"cannot clean ({reason})")
        yield article
