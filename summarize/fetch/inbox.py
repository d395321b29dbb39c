"""Inbox files: one per article, the HTML as it came, with its fetch metadata
in a comment on the first line, written atomically.

    <!-- summarize:fetched {"url":"https://…","canonical_url":"…","item_date":"2026-01-03",…} -->
    <!doctype html><html>… the page as served …

The comment keeps the file one self-contained page (a sidecar file would be
read as an article of its own by `digest DIR`) that a browser still shows and
that the reader recognises as HTML: `summarize.clean.fetched` takes the URL
from it, the outlet from the URL's host when the page names none, the date
from the feed item when the page has none, and the title likewise. A page
not sent as UTF-8 is stored as UTF-8 behind a byte-order mark, which both the
reader and browsers obey before any <meta charset>.
"""

from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import unquote, urlsplit

MARKER = "summarize:fetched"
BOM = b"\xef\xbb\xbf"
_HEADER = re.compile(r"\A\ufeff?\s*<!--\s*summarize:fetched\s+(\{.*?\})\s*-->", re.DOTALL)
# The reader recognises HTML behind leading comments within its first 5,000 characters.
_MAX_HEADER = 4000
_MAX_FIELD = 1000
FIELDS = ("url", "canonical_url", "source", "feed_title", "item_title", "item_date", "fetched_at", "status",
          "etag", "last_modified", "content_type", "encoding", "sha256")
_SLUG = re.compile(r"[^a-z0-9]+")


def header_line(meta: dict[str, object]) -> str:
    """The metadata comment: JSON with nothing in it that could end a comment or a tag."""
    kept = {k: (v[:_MAX_FIELD] if isinstance(v, str) else v) for k, v in meta.items()
            if k in FIELDS and v not in (None, "")}
    for optional in ("feed_title", "item_title", "last_modified", "etag", "source", "canonical_url"):
        if len(json.dumps(kept)) < _MAX_HEADER - 100:
            break
        kept.pop(optional, None)
    text = json.dumps(kept, ensure_ascii=True, separators=(",", ":"))
    text = text.replace("--", "-\\u002d").replace("<", "\\u003c").replace(">", "\\u003e")
    return f"<!-- {MARKER} {text} -->\n"


def read_header(text: str) -> dict[str, object] | None:
    """The metadata of a fetched page, or None for any other text."""
    match = _HEADER.match(text[:_MAX_HEADER + 200])
    if not match:
        return None
    try:
        data = json.loads(match.group(1))
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    return {k: v for k, v in data.items() if k in FIELDS and isinstance(v, (str, int)) and not isinstance(v, bool)}


def file_bytes(meta: dict[str, object], body: bytes, text: str, encoding: str) -> bytes:
    """What goes into the inbox: the bytes as served when they are UTF-8, else
    the decoded text as UTF-8 behind a byte-order mark."""
    header = header_line({**meta, "encoding": encoding}).encode("ascii")
    if encoding.replace("_", "-").lower() in ("utf-8", "utf8", "ascii", "us-ascii"):
        return header + body.removeprefix(BOM)
    return BOM + header + text.lstrip("\ufeff").encode("utf-8")


def _slug(value: str, limit: int = 60) -> str:
    return _SLUG.sub("-", value.lower()).strip("-")[:limit].strip("-")


def file_name(url: str, day: str) -> str:
    """`<day>_<host>_<slug>_<hash>.html`: sorted by day, readable, unique per URL."""
    parts = urlsplit(url)
    host = _slug((parts.hostname or "unknown").removeprefix("www."), 40) or "host"
    path = unquote(parts.path).rstrip("/")
    stem = path.rsplit("/", 1)[-1].rsplit(".", 1)[0] if path else ""
    slug = _slug(stem) or "index"
    digest = hashlib.sha256(url.encode("utf-8")).hexdigest()[:10]
    return f"{day}_{host}_{slug}_{digest}.html"
