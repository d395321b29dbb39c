"""Pages saved by `summarize fetch`: the metadata comment on their first line
(`summarize.fetch.inbox`) gives the article its URL and fills in what the
page itself does not say: the outlet from the URL's host, the date and the
title from the feed or sitemap item."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from summarize.fetch.inbox import read_header
from summarize.models import CleanedArticle

_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")


def outlet_of(url: str) -> str | None:
    """"https://www.zeit.de:443/politik/…" -> "zeit.de"."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.removeprefix("www.") if host else None


def apply_fetched(article: CleanedArticle, text: str) -> CleanedArticle:
    """`article` with the fetch metadata of `text` applied; unchanged for any other page."""
    meta = read_header(text)
    if meta is None:
        return article
    url = meta.get("url")
    if isinstance(url, str) and url.lower().startswith(("http://", "https://")):
        article.url = url
        if not article.source:
            article.source = outlet_of(url)
    day = meta.get("item_date")
    if not article.published and isinstance(day, str) and _ISO_DAY.fullmatch(day):
        article.published = day
    title = meta.get("item_title")
    if not article.title and isinstance(title, str) and title.strip():
        article.title = title.strip()
    return article
