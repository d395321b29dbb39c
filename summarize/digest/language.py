"""One language per briefing, and which reports a story is written from.

Every headline, TLDR and merged story of a briefing is in one language:
`digest --language`, else the language most of the day's articles are in.
A prompt version that writes (v7, v8) writes each TLDR in that language.
An extractive one (v9) cannot: its TLDR is the article's own sentences. A
story then is written from its sources in the briefing's language when it
has any; when it has none, the chosen sentences of one source are
translated, a narrower task than free writing that small models do better.
Either way the story's sources say which of them were translated.
"""

from __future__ import annotations

from collections import Counter
from typing import Iterable, Sequence

from summarize.models import CleanedArticle
from summarize.text.normalize import fold, number_mentions


def briefing_language(articles: Sequence[CleanedArticle], forced: str | None) -> str | None:
    """`forced`, else the commonest language of the usable articles (the
    first seen on a tie), None when no article has one."""
    if forced:
        return forced.lower()
    counts = Counter(a.language for a in articles if a.ok and a.language)
    if not counts:
        return None
    top = max(counts.values())
    return next(a.language for a in articles if a.ok and a.language and counts[a.language] == top)


def in_language(article: CleanedArticle, language: str) -> bool:
    return (article.language or language) == language


def counts_of(text: str) -> set[str]:
    """The counts a text gives ("15 Staaten" → "15")."""
    return {m.value for m in number_mentions(text) if m.kind == "count"}


def counts_in_every(texts: Iterable[str]) -> set[str]:
    """The counts every one of `texts` gives."""
    counts = [counts_of(text) for text in texts]
    return set.intersection(*counts) if counts else set()


def differing_figures(reports: Sequence[tuple[str, str, str]]) -> str:
    """The counts only some reports give, each with the word after it and
    the outlets that give it, one a line ("- 2.000 Fahrgäste: Stadtanzeiger");
    `reports` are (outlet, what the merge reads of it, its whole text).
    Empty when all reports agree."""
    if len(reports) < 2:
        return ""
    everywhere = counts_in_every(text for _, _, text in reports)
    lines: dict[str, list[str]] = {}
    for outlet, summary, _ in reports:
        for mention in number_mentions(summary):
            if mention.kind != "count" or mention.value in everywhere:
                continue
            figure = " ".join(summary[mention.start:].split()[:2]).rstrip(".,;:")
            outlets = lines.setdefault(fold(figure), [figure])
            if outlet and outlet not in outlets[1:]:
                outlets.append(outlet)
    return "\n".join(f"- {entry[0]}: {', '.join(entry[1:]) or 'one report'}" for entry in lines.values())
