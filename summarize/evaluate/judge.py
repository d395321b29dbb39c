"""A judge model compares two versions' TLDRs of the same article.

Each pair is asked twice, with the candidate as A and then as B; a version
wins an article only when both orders prefer it, so a judge that favours
whatever comes first yields ties, not wins. Judgments go through the same
`StructuredCaller` as answers, so `--record` stores them and a replay reads
them back offline.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from summarize.evaluate.stats import Interval, bootstrap_interval
from summarize.llm.backend import LLMError
from summarize.llm.calls import AnswerError, StructuredCaller
from summarize.llm.prompts import LANGUAGE_NAMES, Prompt
from summarize.models import CleanedArticle, Usage

JUDGE_PROMPT = "judge@v1"
# The article as the judge reads it; longer ones are cut, both TLDRs stay whole.
ARTICLE_CHARS = 6000


@dataclass
class Judgment:
    """The candidate against the reference over a set of articles."""

    candidate: str
    reference: str
    judge: str
    scores: list[int | None] = field(default_factory=list)  # +1 win, 0 tie, -1 loss, None not judged

    def counts(self) -> tuple[int, int, int]:
        return (self.scores.count(1), self.scores.count(0), self.scores.count(-1))

    def interval(self) -> Interval | None:
        """Mean of win (+1), tie (0), loss (−1) over the judged articles."""
        return bootstrap_interval([float(s) if s is not None else None for s in self.scores])

    def to_json(self) -> dict:
        wins, ties, losses = self.counts()
        interval = self.interval()
        return {"candidate": self.candidate, "reference": self.reference, "judge": self.judge,
                "wins": wins, "ties": ties, "losses": losses, "not_judged": self.scores.count(None),
                "mean": round(interval.mean, 4) if interval else None,
                "interval": interval.as_list() if interval else None, "scores": self.scores}


def _ask(caller: StructuredCaller, prompt: Prompt, article: CleanedArticle, first: str, second: str) -> str | None:
    variables = {"language": LANGUAGE_NAMES.get(article.language or "", "the article's language"),
                 "article": article.full_text()[:ARTICLE_CHARS], "summary_a": first, "summary_b": second}
    try:
        return caller.ask(prompt, variables, Usage()).better
    except (AnswerError, LLMError):
        return None


def judge_article(caller: StructuredCaller, prompt: Prompt, article: CleanedArticle, candidate: str,
                  reference: str) -> int | None:
    """+1 when both orders prefer the candidate, −1 when both prefer the
    reference, 0 otherwise; None when a judgment could not be had."""
    as_a = _ask(caller, prompt, article, candidate, reference)
    as_b = _ask(caller, prompt, article, reference, candidate)
    if as_a is None or as_b is None:
        return None
    if as_a == "A" and as_b == "B":
        return 1
    if as_a == "B" and as_b == "A":
        return -1
    return 0


def judge_versions(caller: StructuredCaller, prompt: Prompt, cleaned: Sequence[CleanedArticle],
                   candidate: tuple[str, Sequence[dict]], reference: tuple[str, Sequence[dict]]) -> Judgment:
    """The candidate's TLDRs against the reference's, article by article
    (rows as the eval keeps them: `tldr` where the version answered)."""
    judgment = Judgment(candidate[0], reference[0], caller.backend.model)
    for article, ours, theirs in zip(cleaned, candidate[1], reference[1], strict=True):
        if not ours.get("tldr") or not theirs.get("tldr"):
            judgment.scores.append(None)
            continue
        judgment.scores.append(judge_article(caller, prompt, article, ours["tldr"], theirs["tldr"]))
    return judgment
