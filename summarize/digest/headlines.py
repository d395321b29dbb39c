"""A story's headline: the best real headline of its sources, else the model's.

A page's own headline was written by an editor and names the event; a small
model's reads worse. But what the cleaner kept as a title may be a photo
caption with its credit, a teaser of another article, a byline or a
disclaimer; those never head a story. Of the headlines that remain, in the
briefing's language, the one naming most of the story's entities wins, a
newer report's on a tie.
"""

from __future__ import annotations

import re
from typing import Iterable

from summarize.clean.boilerplate import (
    byline_name,
    has_inline_credit,
    is_consent_notice,
    is_copyright,
    is_credit,
    is_pointer,
    is_teaser,
)
from summarize.models import CleanedArticle, Entity
from summarize.text.normalize import fold

MIN_WORDS = 3
MAX_WORDS = 20

# Captions, image labels, teasers, live tickers and notes to the reader.
_NOT_A_HEADLINE = re.compile(
    r"^(?:foto|fotos|bild|bilder|photo|image|video|audio|grafik|galerie|bildergalerie|archivbild|symbolbild"
    r"|live|liveblog|ticker|newsticker|eilmeldung|update|anzeige|werbung|sponsored|advertisement|hinweis"
    r"|transparenzhinweis|disclaimer|lesen sie|mehr zum thema|auch interessant|read more|weiterlesen|jetzt lesen"
    r"|zum artikel|mehr lesen|see also|related|newsletter|abo|plus)\b"
    r"|(?:©|\(c\)|\bfoto:|\bbild:|\bphoto:|\bcredit:|\bquelle:|getty images|picture alliance|imago\b|/\s*dpa\b"
    r"|\bdpa-bildfunk\b|keystone|shutterstock)"
    r"|(?:dieser artikel|this article|cet article|questo articolo|este artículo)\b",
    re.IGNORECASE,
)
_TRAILING_ELLIPSIS = re.compile(r"(?:…|\.\.\.|\bmehr\s*[»›>]?)\s*$", re.IGNORECASE)


def is_headline_like(title: str | None) -> bool:
    """A line that can head a story: not a caption, credit, teaser, byline,
    disclaimer or notice, and of a headline's length."""
    if not title:
        return False
    text = " ".join(title.split())
    if not MIN_WORDS <= len(text.split()) <= MAX_WORDS:
        return False
    if _NOT_A_HEADLINE.search(text) or _TRAILING_ELLIPSIS.search(text):
        return False
    return not (is_credit(text) or has_inline_credit(text) or is_copyright(text) or byline_name(text)
                or is_teaser(text) or is_pointer(text) or is_consent_notice(text))


def real_headlines(articles: Iterable[CleanedArticle], language: str | None) -> list[CleanedArticle]:
    """The articles whose page headline may head the story: the page's own
    headline line, in the briefing's language, that looks like a headline."""
    return [a for a in articles if a.title_is_headline and is_headline_like(a.title)
            and (language is None or a.language in (None, language))]


def best_headline(articles: list[CleanedArticle], entities: list[Entity], language: str | None) -> str | None:
    """The real headline naming most of the story's entities, the newest on a
    tie; None when no source has one to offer."""
    usable = real_headlines(articles, language)
    if not usable:
        return None
    names = [fold(n) for e in entities for n in (e.name, *e.aliases)]

    def score(article: CleanedArticle) -> tuple:
        folded = fold(article.title or "")
        return (sum(1 for n in names if n and re.search(rf"\b{re.escape(n)}", folded)), article.published or "")

    return " ".join(max(usable, key=score).title.split())
