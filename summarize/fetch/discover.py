"""What a source is and which articles it lists: RSS/Atom feeds through
feedparser, sitemaps (index, urlset, Google News, plain text) checked with
trafilatura's sitemap helpers, anything else that is HTML an article.

Written here: the <url> entries of an XML sitemap are read with lxml for
their lastmod and news:title/news:publication_date, which trafilatura's
sitemap helpers (links only) do not return, and which --since and the
date/title fallbacks need.
"""

from __future__ import annotations

import io
import re
import zlib
from dataclasses import dataclass, field
from datetime import date, datetime
from email.utils import parsedate_to_datetime
from typing import Literal
from urllib.parse import urljoin

from summarize.fetch.http import FetchError, Response
from summarize.fetch.safety import redact, split_credentials

Kind = Literal["feed", "sitemap", "page"]
_FEED_TYPES = {"application/rss+xml", "application/atom+xml", "application/rdf+xml", "application/feed+json"}
_XML_TYPES = {"application/xml", "text/xml"} | _FEED_TYPES
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_GZIP_TYPES = {"application/gzip", "application/x-gzip", "application/octet-stream"}
_SNIFF_SITEMAP = re.compile(rb"<(?:[\w.-]+:)?(?:urlset|sitemapindex)\b")
_SNIFF_FEED = re.compile(rb"<(?:rss|feed|rdf:RDF)\b")
_SNIFF_HTML = re.compile(rb"<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE)


@dataclass
class Item:
    """One article a source lists, with what the source says about it."""

    url: str
    source: str = ""  # the source's URL, redacted
    title: str | None = None
    date: str | None = None  # YYYY-MM-DD
    feed_title: str | None = None

    def as_dict(self) -> dict:
        return {"url": self.url, "source": self.source, "title": self.title, "date": self.date,
                "feed_title": self.feed_title}


@dataclass
class Listing:
    kind: Kind
    items: list[Item] = field(default_factory=list)
    sitemaps: list[tuple[str, str | None]] = field(default_factory=list)  # child sitemaps and their lastmod
    title: str | None = None


def gunzipped(body: bytes, limit: int) -> bytes:
    """A gzip file's content (a `sitemap.xml.gz`), at most `limit` bytes."""
    inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
    try:
        data = inflater.decompress(body, limit + 1)
    except zlib.error:
        raise FetchError("not a valid gzip file") from None
    if len(data) > limit:
        raise FetchError(f"too large once unpacked (over {limit / 1_000_000:.1f} MB)")
    return data


def kind_of(response: Response) -> Kind:
    """A feed, a sitemap or a page, by content type and then by content."""
    head = response.body[:2048].lstrip()
    mime = response.mime
    if _SNIFF_SITEMAP.search(head):
        return "sitemap"
    if mime in _FEED_TYPES or (mime in _XML_TYPES | {"", "text/plain"} and _SNIFF_FEED.search(head)):
        return "feed"
    if mime in _HTML_TYPES or (mime in ("", "text/plain") and _SNIFF_HTML.search(head)):
        if _SNIFF_FEED.search(head[:300]):
            return "feed"  # a feed served as text/html
        return "page"
    if mime == "text/plain" and re.match(rb"\s*https?://", head):
        return "sitemap"  # a plain-text sitemap: one URL per line
    raise FetchError(f"not a feed, sitemap or HTML page ({mime or 'no content type'})", response.status)


def item_date(raw: str | None, parsed: object = None) -> str | None:
    """A feed or sitemap date as YYYY-MM-DD, on the publisher's own clock when it says which."""
    if raw:
        text = raw.strip()
        for parse in (parsedate_to_datetime, lambda v: datetime.fromisoformat(v.replace("Z", "+00:00"))):
            try:
                return parse(text).date().isoformat()
            except (TypeError, ValueError, IndexError, OverflowError):
                continue
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text[:10]):
            try:
                return date.fromisoformat(text[:10]).isoformat()
            except ValueError:
                pass
    if parsed is not None:
        try:
            return date(*parsed[:3]).isoformat()  # type: ignore[index]
        except (TypeError, ValueError):
            return None
    return None


def _clean_link(link: str | None, base: str) -> str | None:
    if not link or not isinstance(link, str):
        return None
    absolute = urljoin(base, link.strip())
    # Credentials an item carries are neither used nor kept.
    return split_credentials(absolute)[0] if absolute.lower().startswith(("http://", "https://")) else absolute


def parse_feed(response: Response) -> Listing:
    import feedparser

    parsed = feedparser.parse(io.BytesIO(response.body), response_headers={
        "content-type": response.headers.get("content-type", "application/xml"),
        "content-location": response.url})
    if not parsed.version and not parsed.entries:
        problem = parsed.get("bozo_exception")
        detail = f": {str(problem).splitlines()[0][:120]}" if problem else ""
        raise FetchError(f"not a valid RSS or Atom feed{detail}", response.status)
    title = (parsed.feed.get("title") or "").strip() or None
    source = redact(response.url)
    items = []
    for entry in parsed.entries:
        link = entry.get("link") or next((l.get("href") for l in entry.get("links", []) if l.get("href")), None)
        if not link and str(entry.get("id", "")).startswith(("http://", "https://")):
            link = entry.get("id")  # an Atom entry whose id is its address
        url = _clean_link(link, response.url)
        if url is None:
            continue
        raw_date = entry.get("published") or entry.get("updated") or entry.get("created")
        parsed_date = entry.get("published_parsed") or entry.get("updated_parsed")
        items.append(Item(url=url, source=source, title=(entry.get("title") or "").strip() or None,
                          date=item_date(raw_date, parsed_date), feed_title=title))
    return Listing("feed", _newest_first(items), title=title)


def _newest_first(items: list[Item]) -> list[Item]:
    return sorted(items, key=lambda i: i.date or "", reverse=True)


def _local(tag: object) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _child_text(element, name: str, deep: bool = False) -> str | None:
    """The text of a child element named `name` in any namespace (any descendant with `deep`)."""
    for child in (element.iter() if deep else element):
        if _local(child.tag) == name and child.text and child.text.strip():
            return child.text.strip()
    return None


def parse_sitemap(response: Response, max_bytes: int) -> Listing:
    from lxml import etree
    from trafilatura.sitemaps import SITEMAP_FORMAT, SitemapObject, is_plausible_sitemap

    body = response.body
    if body[:2] == b"\x1f\x8b":
        body = gunzipped(body, max_bytes)
    text = body.decode("utf-8", errors="replace")
    if not is_plausible_sitemap(response.url, text):
        raise FetchError("not a valid sitemap", response.status)
    source = redact(response.url)
    if not SITEMAP_FORMAT.match(text):
        # A plain-text sitemap: trafilatura's own link extraction and filters.
        listing = SitemapObject(response.url, "", [], external=True)
        listing.current_url, listing.content = response.url, text
        listing.process()
        return Listing("sitemap", [Item(url=u, source=source) for u in dict.fromkeys(listing.urls)],
                       [(u, None) for u in dict.fromkeys(listing.sitemap_urls)])
    parser = etree.XMLParser(resolve_entities=False, no_network=True, recover=True, huge_tree=False)
    try:
        root = etree.fromstring(body, parser)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        raise FetchError("not a valid sitemap (unreadable XML)", response.status)
    listing = Listing("sitemap")
    if _local(root.tag) == "sitemapindex":
        for element in root:
            if _local(element.tag) == "sitemap":
                loc = _clean_link(_child_text(element, "loc"), response.url)
                if loc:
                    listing.sitemaps.append((loc, item_date(_child_text(element, "lastmod"))))
        listing.sitemaps.sort(key=lambda s: s[1] or "", reverse=True)
        if not listing.sitemaps and len(parser.error_log):
            raise FetchError(f"not a valid sitemap ({parser.error_log[0].message.strip()[:120]})", response.status)
        return listing
    for element in root:
        if _local(element.tag) != "url":
            continue
        loc = _clean_link(_child_text(element, "loc"), response.url)
        if not loc:
            continue
        news = next((child for child in element if _local(child.tag) == "news"), None)
        when = (_child_text(news, "publication_date") if news is not None else None) or _child_text(element, "lastmod")
        listing.items.append(Item(url=loc, source=source, date=item_date(when),
                                  title=_child_text(news, "title") if news is not None else None,
                                  feed_title=_child_text(news, "name", deep=True) if news is not None else None))
    listing.items = _newest_first(listing.items)
    if not listing.items and len(parser.error_log):
        raise FetchError(f"not a valid sitemap ({parser.error_log[0].message.strip()[:120]})", response.status)
    return listing


def read_listing(response: Response, max_bytes: int) -> Listing:
    """A source's response as the articles it lists; a page lists itself."""
    body = response.body
    if body[:2] == b"\x1f\x8b" and response.mime in _GZIP_TYPES | _XML_TYPES | {""}:
        response = Response(response.url, response.status, {**response.headers, "content-type": "application/xml"},
                            gunzipped(body, max_bytes), response.redirects)
    kind = kind_of(response)
    if kind == "feed":
        return parse_feed(response)
    if kind == "sitemap":
        return parse_sitemap(response, max_bytes)
    return Listing("page", [Item(url=response.url, source=redact(response.url))])

