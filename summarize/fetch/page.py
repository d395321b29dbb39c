"""An article page as fetched: checked to be HTML, decoded, its canonical URL
and a hash of its text for spotting the same article under another URL.

Written here: the charset order of a browser (byte-order mark, the
Content-Type header, <meta charset> in the first bytes, then UTF-8, then
charset-normalizer's guess); trafilatura's own decoding ignores the header.
"""

from __future__ import annotations

import codecs
import hashlib
import re
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import charset_normalizer

from summarize.fetch.http import FetchError, Response
from summarize.fetch.safety import split_credentials

HTML_TYPES = ("text/html", "application/xhtml+xml")
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
_SNIFF_HTML = re.compile(rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.IGNORECASE | re.DOTALL)
_BOMS = ((b"\xef\xbb\xbf", "utf-8"), (b"\xff\xfe", "utf-16-le"), (b"\xfe\xff", "utf-16-be"))
# HTML's encoding standard reads these labels as windows-1252.
_AS_CP1252 = {"iso-8859-1", "latin-1", "latin1", "ascii", "us-ascii", "iso8859-1", "l1", "cp819"}
_SPACE = re.compile(r"\s+")


@dataclass
class Page:
    text: str
    encoding: str
    canonical: str | None  # the page's own <link rel=canonical> or og:url, normalized
    content_hash: str
    title: str | None


def normalize_url(url: str) -> str:
    """The key an article is known by: courlan's normalization (lower-case
    host, no default port, no tracking parameters, sorted query), no fragment,
    no credentials."""
    from courlan import normalize_url as courlan_normalize

    url = split_credentials(url.strip())[0]
    try:
        url = courlan_normalize(url, strict=False)
    except (ValueError, AttributeError):
        pass
    parts = urlsplit(url)
    return urlunsplit(parts._replace(fragment=""))


def _codec(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().lower()
    if label in _AS_CP1252:
        return "cp1252"
    try:
        return codecs.lookup(label).name
    except LookupError:
        return None


def decode_html(body: bytes, header_charset: str | None) -> tuple[str, str]:
    """The page as text and the encoding it was read in."""
    for bom, codec in _BOMS:
        if body.startswith(bom):
            return body[len(bom):].decode(codec, errors="replace"), codec
    meta = _META_CHARSET.search(body[:4096])
    for label in (header_charset, meta.group(1).decode("ascii", "ignore") if meta else None):
        codec = _codec(label)
        if codec:
            try:
                return body.decode(codec), codec
            except UnicodeDecodeError:
                continue  # a wrong label: the next one, then the guess
    try:
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = charset_normalizer.from_bytes(body[:200_000]).best()
    codec = _codec(best.encoding) if best else None
    codec = codec or "cp1252"
    return body.decode(codec, errors="replace"), codec


def is_html(response: Response) -> bool:
    if response.mime in HTML_TYPES:
        return True
    return response.mime in ("", "text/plain", "application/octet-stream") and bool(
        _SNIFF_HTML.match(response.body[:4096]))


def read_page(response: Response) -> Page:
    """The page of an article response; FetchError when it is not HTML."""
    if not is_html(response):
        raise FetchError(f"not an HTML page ({response.mime or 'no content type'})", response.status)
    if not response.body.strip():
        raise FetchError("empty page", response.status)
    text, encoding = decode_html(response.body, response.charset)
    canonical, title, body_text = None, None, ""
    try:
        import trafilatura

        document = trafilatura.bare_extraction(text, url=None, fast=True, with_metadata=True,
                                               include_comments=False)
        if document is not None and not isinstance(document, dict):
            document = document.as_dict()
    except Exception:  # a page trafilatura cannot parse is still saved, and the reader reports it
        document = None
    if isinstance(document, dict):
        body_text = document.get("text") or ""
        title = document.get("title") or None
        link = document.get("url")
        if isinstance(link, str) and link.lower().startswith(("http://", "https://")):
            canonical = normalize_url(link)
    # The article's words, not its markup: the same text under another URL is the same article.
    basis = _SPACE.sub(" ", body_text or text).strip().casefold()
    return Page(text=text, encoding=encoding, canonical=canonical,
                content_hash=hashlib.sha256(basis.encode("utf-8")).hexdigest(), title=title)
