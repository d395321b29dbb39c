"""HTML pages: body and metadata through trafilatura.

A page is treated as HTML by its content, whatever its file name: scraped
dumps are often saved as .txt.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass

_HTML_START = re.compile(r"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
_TAG = re.compile(
    r"</?(?:p|div|span|a|br|li|ul|ol|h[1-6]|script|style|body|head|meta|article|section|nav|footer|header|main|img)\b[^>]*>",
    re.IGNORECASE,
)
_HIDDEN = re.compile(r"<(script|style|noscript|template)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)
# trafilatura's own date search (the extensive one finds 4 % more dates right on
# the tune pages of the extraction corpora); htmldate refuses dates after its
# max_date, which defaults to the machine's clock.
_DATE_PARAMS = {"original_date": True, "extensive_search": True, "max_date": "2100-12-31"}
# The extensive search turns a bare year ("© 2026" in a footer) into 1 January:
# such a date counts only when the page writes 1 January out.
_NEW_YEAR = r"(?:{y}-0?1-0?1|0?1\.\s?0?1\.\s?{y}|{y}/0?1/0?1|1\.?\s+(?:Januar|Jänner|January|janvier|gennaio|enero)\s+{y}|" \
            r"(?:January|Jan\.?)\s+1(?:st)?,?\s+{y}|{y}0101)"


@dataclass(frozen=True)
class HtmlArticle:
    title: str | None
    text: str
    published: str | None
    sitename: str | None
    hostname: str | None


def looks_like_html(text: str) -> bool:
    head = text[:5000]
    if _HTML_START.match(head):
        return True
    sample = text[:50000]
    tags = _TAG.findall(sample)
    return len(tags) >= 10 and sum(map(len, tags)) / max(len(sample), 1) > 0.05


def _strip_site_suffix(title: str, sitename: str | None) -> str:
    """"Headline | Outlet" -> "Headline"."""
    parts = re.split(r"\s+[|–—-]\s+", title)
    if len(parts) > 1:
        tail = parts[-1].strip().lower()
        if (sitename and tail in sitename.lower()) or len(tail.split()) <= 3:
            return " - ".join(parts[:-1]).strip()
    return title.strip()


def extract_html(html: str) -> HtmlArticle | None:
    """Main text and metadata, or None when trafilatura finds no article."""
    import trafilatura

    document = trafilatura.bare_extraction(
        html,
        with_metadata=True,
        include_comments=False,
        include_tables=True,
        include_images=False,
        deduplicate=False,
        date_extraction_params=dict(_DATE_PARAMS),
    )
    if document is None:
        return None
    data = document if isinstance(document, dict) else document.as_dict()
    text = (data.get("text") or "").strip()
    if not text:
        return None
    sitename = (data.get("sitename") or "").strip() or None
    title = data.get("title")
    date = data.get("date")
    if date and date[5:10] == "01-01" and not re.search(_NEW_YEAR.format(y=date[:4]), html, re.IGNORECASE):
        date = _date_without_guessing(html)
    return HtmlArticle(
        title=_strip_site_suffix(title, sitename) if title else None,
        text=text,
        published=date[:10] if date else None,
        sitename=sitename,
        hostname=(data.get("hostname") or None),
    )


def _date_without_guessing(html: str) -> str | None:
    """htmldate's search of the page's markup and its stated dates only, without the year-only guesses."""
    from htmldate import find_date

    return find_date(html, **{**_DATE_PARAMS, "extensive_search": False})


def visible_text(html: str) -> str:
    """All text of a page, one block per line: the fallback when extraction fails."""
    from lxml import html as lxml_html

    try:
        tree = lxml_html.fromstring(html)
    except (ValueError, TypeError, SyntaxError):
        return re.sub(r"<[^>]+>", "\n", html)
    for bad in tree.xpath("//script|//style|//noscript|//template"):
        bad.drop_tree()
    blocks = tree.xpath("//text()")
    text = "\n".join(t.strip() for t in blocks if t.strip())
    # libxml2 drops everything below 255 levels of nesting: when the tree shows
    # far less text than the markup holds, strip the tags instead.
    stripped = htmllib.unescape(re.sub(r"<[^>]*>", "\n", _HIDDEN.sub("", html)))
    raw = "\n".join(line.strip() for line in stripped.split("\n") if line.strip())
    return raw if len(raw) > 2 * len(text) else text
