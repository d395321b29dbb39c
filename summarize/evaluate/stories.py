"""The merge prompt measured: every gold story with several articles merged
by each `story@` version, from the reference TLDR version's answers.

The groups are the gold stories, not the predicted clusters, so a merge
version is judged on the same inputs whatever the clustering does. Per story:
faithfulness to the sources (no name or number the reports lack), length, one
language in every sentence, and whether a figure only some outlets report is
attributed to an outlet in its sentence.
"""

from __future__ import annotations

from collections.abc import Sequence

from summarize.digest.briefing import Member, make_story, sources_text
from summarize.digest.language import counts_of
from summarize.evaluate.compare import metric_intervals
from summarize.evaluate.fluency import tldr_fluency
from summarize.evaluate.runner import ColumnResult
from summarize.evaluate.tldr_metrics import tldr_language
from summarize.ground.checks import check_tldr
from summarize.llm.calls import StructuredCaller
from summarize.llm.chunk import split_sentences
from summarize.llm.prompts import load_prompt
from summarize.llm.recordings import NOT_RECORDED
from summarize.models import ArticleSummary, CleanedArticle, Story, Usage
from summarize.text.normalize import fold

STORY_METRICS: tuple[tuple[str, str | None], ...] = (
    ("merge_failed", "lower"), ("story_faithful", "higher"), ("story_names_not_in_sources", "lower"),
    ("story_numbers_not_in_sources", "lower"), ("story_one_language", "higher"),
    ("figures_attributed", "higher"), ("story_fluency", "higher"), ("story_words", None),
)

def gold_story_groups(gold: Sequence[dict], cleaned: Sequence[CleanedArticle],
                      summaries: Sequence[ArticleSummary]) -> list[list[Member]]:
    """Members of each gold story reported by two or more answered articles."""
    groups: dict[str, list[Member]] = {}
    for entry, article, summary in zip(gold, cleaned, summaries, strict=True):
        if summary.ok:
            groups.setdefault(entry["story"], []).append(Member(article, summary))
    return [members for _, members in sorted(groups.items()) if len(members) > 1]


def figures_attributed(tldr: str, group: Sequence[Member]) -> float | None:
    """Share of the figures in the TLDR that only some reports give and whose
    sentence names an outlet that gives it; None when there is no such figure."""
    per_source = [(m.summary.source or "", counts_of(m.article.full_text())) for m in group]
    everywhere = set.intersection(*(numbers for _, numbers in per_source)) if per_source else set()
    attributed = total = 0
    for sentence in split_sentences(tldr):
        folded = fold(sentence)
        for value in counts_of(sentence) - everywhere:
            total += 1
            attributed += any(value in numbers and outlet and fold(outlet) in folded for outlet, numbers in per_source)
    return attributed / total if total else None


def story_row(story: Story, group: Sequence[Member], language: str, max_words: int) -> dict:
    sources = sources_text(group)
    check = check_tldr(story.tldr, sources, max_words=max_words)
    sentences = [s for s in split_sentences(story.tldr) if len(s.split()) >= 4]
    languages = [tldr_language(s, language) for s in sentences]
    failed = "merge_failed" in story.flags
    row = {
        "id": story.id, "headline": story.headline, "tldr": story.tldr, "flags": story.flags,
        "merge_failed": "merge_failed" in story.flags,
        "not_recorded": "merge_failed" in story.flags and f"unavailable: {NOT_RECORDED})" in story.tldr,
        "story_faithful": not check.names_not_in_source and not check.numbers_not_in_source,
        "story_names_not_in_sources": len(check.names_not_in_source),
        "story_numbers_not_in_sources": len(check.numbers_not_in_source),
        "story_one_language": all(found in (None, language) for found in languages),
        "figures_attributed": figures_attributed(story.tldr, group),
        "story_fluency": tldr_fluency(story.tldr, language),
        "story_words": check.words,
    }
    if failed:  # the fallback text is one report's TLDR, not a merge: nothing to measure
        row.update({metric: None for metric, _ in STORY_METRICS if metric != "merge_failed"})
    return row


def evaluate_story_version(ref: str, groups: Sequence[list[Member]], caller: StructuredCaller,
                           extractive: bool = False) -> ColumnResult:
    """`extractive`: the TLDRs are the articles' own sentences, in their
    languages, as the digest treats them."""
    prompt = load_prompt(ref)
    rows = []
    for group in groups:
        language = max(group, key=lambda m: m.article.published or "").article.language or "de"
        story = make_story(group, caller, prompt, language, Usage(), extractive=extractive)
        rows.append(story_row(story, group, language, prompt.max_words))
    metrics = {}
    for metric, _ in STORY_METRICS:
        values = [float(row[metric]) for row in rows if row[metric] is not None]
        metrics[metric] = round(sum(values) / len(values), 4) if values else None
    return ColumnResult(ref, metrics, rows, metric_intervals(rows, [m for m, _ in STORY_METRICS]))
