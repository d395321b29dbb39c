"""The first pipeline stage: raw page dumps in, CleanedArticle out.

`clean_text` is pure: it gets decoded text and returns the article with its
metadata. `clean_paths` (reading, then `clean_inputs`) does the I/O around it
for a batch and never raises for a bad input; every input yields exactly one CleanedArticle, in order.

Decisions worth knowing:
- `text` starts with the headline when the page shows one, then the lead and
  the body paragraphs (subheadings included), separated by blank lines.
- A field record without a headline ("Datum…/Quelle…/TLDR…/Inhalt…") gets a
  derived title: the first sentence of its body, cut at a clause boundary
  when longer than 90 characters. Its body is kept as given (one paragraph
  stays one paragraph) and its TLDR goes to `given_tldr`, not into `text`.
- `published` prefers a scraper's leading "date YYYY-MM-DD", then date lines
  from the headline down to the end of the body, then a dated line at the
  foot before any list of other stories; relative dates need `today`.
- `removed` counts non-empty input lines that are not in `text`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from datetime import date

from summarize.clean.boilerplate import (
    is_author_note,
    is_chrome_phrase,
    is_code_fragment,
    is_comment_widget,
    is_consent_notice,
    is_stop_heading,
    is_teaser,
    normalize,
    trim_pointer_sentences,
    words,
)
from summarize.clean.dates import find_dates, is_date_line
from summarize.clean.html import extract_html, looks_like_html, visible_text
from summarize.clean.layout import BATCH_LINE_WORDS, Layout, analyse
from summarize.clean.metadata import (
    derive_title,
    detect_language,
    domain_of,
    find_source,
    source_from_value,
)
from summarize.ingest.inputs import (
    Decoded,
    InputError,
    RawInput,
    decode_bytes,
    read_inputs,
)
from summarize.ingest.records import parse_record
from summarize.models import CleanedArticle
from summarize.text.tokens import count_tokens

# Scrapers sometimes prepend "date 2026-01-03" to the first line of the dump.
_SCRAPER_DATE = re.compile(r"^\s*(?:date|datum|published)\s*[:=]?\s*(\d{4}-\d{2}-\d{2})\b\s*", re.IGNORECASE)
_INVISIBLE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")


def _normalize_whitespace(text: str) -> str:
    text = _INVISIBLE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = text.replace("\u00a0", " ").replace("\t", " ")
    return "\n".join(line.rstrip() for line in text.split("\n"))


def _split_scraper_date(text: str) -> tuple[str | None, str]:
    match = _SCRAPER_DATE.match(text)
    if not match:
        return None, text
    return match.group(1), text[match.end():]


def _nonempty_lines(text: str) -> int:
    return sum(1 for line in text.split("\n") if line.strip())


def _finish(article: CleanedArticle, paragraphs: list[str]) -> CleanedArticle:
    text = "\n\n".join(p for p in paragraphs if p.strip())
    article.text = text
    article.tokens = count_tokens(text) if text else 0
    if article.language is None:
        article.language = detect_language(text)
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


def _pick_date(layout: Layout, today: date | None, month_first: bool) -> str | None:
    """The article's date: near the headline first, then a dated footer line; never a teaser's."""
    units = layout.units
    # Date lines may stand between the lead and the body, so the header reaches to the body's end.
    header = list(range(0, layout.end + 1))
    if layout.title is not None:
        header = [i for i in header if i > layout.title] + [i for i in header if i < layout.title]
    after = []
    for i in range(layout.end + 1, len(units)):
        if units[i].kind in ("stop", "teaser"):
            break
        after.append(i)
    for candidates in (header, after):
        for i in candidates:
            if units[i].kind in ("meta", "title", "short", "chrome") and is_date_line(units[i].text):
                for hit in find_dates(units[i].text, month_first=month_first, relative=False):
                    return hit.iso
    for i in header:
        if is_date_line(units[i].text):
            for hit in find_dates(units[i].text, today=today):
                if hit.relative:
                    return hit.iso
    return None


def _clean_dump(article: CleanedArticle, text: str, today: date | None, batch_lines: frozenset[str]) -> CleanedArticle:
    scraper_date, text = _split_scraper_date(text)
    layout = analyse(text.split("\n"), batch_lines)
    units = layout.units
    paragraphs = _trim_tail([units[i].text for i in layout.body])
    kept_sources = sum(units[i].sources for i in layout.body)
    if layout.title is not None:
        article.title = units[layout.title].text
        paragraphs.insert(0, article.title)
        kept_sources += units[layout.title].sources
    article.removed = max(0, _nonempty_lines(text) - kept_sources)
    body = "\n\n".join(p for p in paragraphs if p)
    article.language = detect_language(body)
    article.published = scraper_date or _pick_date(layout, today, article.language == "en")
    kept = set(layout.body) | ({layout.title} if layout.title is not None else set())
    others = [u.text for i, u in enumerate(units) if i not in kept]
    article.source = find_source(others, text)
    if article.title is None:
        article.title = layout.breadcrumb_title or derive_title(body)
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


def _clean_html(article: CleanedArticle, html: str, today: date | None, batch_lines: frozenset[str]) -> CleanedArticle:
    page = extract_html(html)
    if page is None:
        article.repairs.append("html without article markup")
        return _clean_dump(article, visible_text(html), today, batch_lines)
    paragraphs: list[str] = []
    for line in page.text.split("\n"):
        line = line.strip()
        if not line:
            continue
        if (is_stop_heading(line) or is_teaser(line)) and paragraphs:
            break
        if not _is_chrome_paragraph(line):
            paragraphs.append(line)
    paragraphs = _trim_tail(paragraphs)
    article.title = page.title
    if page.title and (not paragraphs or normalize(paragraphs[0]) != normalize(page.title)):
        paragraphs.insert(0, page.title)
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
        return _clean_html(article, text, today, batch_lines)
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
    inputs: list[tuple[str, Decoded | str]] = []  # a str is the failure reason
    for raw in raw_inputs:
        try:
            if raw.data is None:
                raise InputError(raw.error or "not read")
            inputs.append((raw.label, decode_bytes(raw.data)))
        except InputError as exc:
            inputs.append((raw.label, str(exc)))
    batch = repeated_lines(item.text for _, item in inputs if isinstance(item, Decoded))
    articles: list[CleanedArticle] = []
    for label, item in inputs:
        if isinstance(item, str):
            articles.append(CleanedArticle(path=label, ok=False, error=item))
            continue
        try:
            articles.append(
                clean_text(label, item.text, encoding=item.encoding, repairs=item.repairs,
                           today=today, batch_lines=batch)
            )
        except Exception as exc:  # one malformed page must not stop the batch
            reason = f"{exc.__class__.__name__}: {exc}".splitlines()[0][:200]
            articles.append(CleanedArticle(path=label, ok=False, error=f"cannot clean ({reason})"))
    return articles
