"""The evaluation: every prompt version over the gold set, side by side.

Cleaning is scored once (it does not depend on the prompt); each prompt
version is then run through the same `summarize_all` the users run, and its
answers are scored for entities, TLDR quality and faithfulness, clustering,
validity and cost. A lead-3 column (the first three sentences as the TLDR)
is the trivial answer every model has to beat.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from summarize.digest.briefing import Member, group_members
from summarize.evaluate.cleanscore import load_gold, score_gold
from summarize.evaluate.compare import bcubed_interval, gate_failures, metric_intervals
from summarize.evaluate.fluency import tldr_fluency
from summarize.evaluate.judge import Judgment
from summarize.evaluate.metrics import (
    HEADLINE_METRICS,
    aggregate,
    bcubed,
    entity_scores,
    failure_rate,
    faithful_compression,
    lead_baseline,
    pairwise_f1,
    tldr_faithfulness,
    tldr_metrics,
)
from summarize.llm.calls import StructuredCaller
from summarize.llm.prompts import default_prompt
from summarize.llm.recordings import NOT_RECORDED
from summarize.models import ArticleSummary, CleanedArticle
from summarize.tldr.stage import DEFAULT_PROMPT, TldrSettings, summarize_all

LEAD_BASELINE = "lead-3"
# The rows of the comparison table, in order, with the better direction.
METRICS: tuple[tuple[str, str], ...] = (
    ("failure_rate", "lower"), ("not_recorded", "lower"), ("json_valid", "higher"),
    ("entity_precision", "higher"), ("entity_recall", "higher"), ("entity_f1", "higher"),
    ("type_accuracy", "higher"), ("ungrounded", "lower"),
    ("tldr_faithfulness", "higher"), ("entity_precision_source", "higher"),
    ("names_not_in_source", "lower"), ("numbers_not_in_source", "lower"),
    ("copied", "lower"), ("novel_bigrams", "higher"), ("words", None), ("within_limit", "higher"),
    ("language_ok", "higher"), ("fluency", "higher"), ("compression", "lower"), ("faithful_compression", "higher"),
    ("rouge1", "higher"), ("rouge2", "higher"), ("rougeL", "higher"),
    ("cluster_bcubed_f1", "higher"), ("cluster_pairwise_f1", "higher"),
    ("tokens_per_article", "lower"), ("calls_per_article", "lower"), ("seconds_per_article", "lower"),
)
CLEANING_METRICS = ("body_precision", "body_recall", "body_f1", "boilerplate_left", "title_ok", "source_ok",
                    "date_ok", "language_ok")


@dataclass
class ColumnResult:
    """One prompt version (or the baseline) over the whole set."""

    name: str
    metrics: dict
    articles: list[dict] = field(default_factory=list)
    intervals: dict = field(default_factory=dict)  # metric → [low, high] of its 95 % interval
    summaries: list[ArticleSummary] = field(default_factory=list, repr=False)


@dataclass
class EvalResult:
    dataset: str
    model: str
    mode: str
    cleaning: dict
    columns: list[ColumnResult]
    reference: str | None = None  # the version the others are compared with
    split: str = "all"
    gold: list[dict] = field(default_factory=list, repr=False)  # the gold lines, in the articles' order
    cleaned: list[CleanedArticle] = field(default_factory=list, repr=False)
    judgments: list[Judgment] = field(default_factory=list)
    stories: list[ColumnResult] = field(default_factory=list)  # one per merge prompt version

    def reference_column(self) -> ColumnResult | None:
        """The baseline asked for, else the default of the model evaluated
        (prompts/defaults.toml), else the fallback default."""
        names = [c.name for c in self.columns if c.name != LEAD_BASELINE]
        for name in (self.reference, default_prompt("tldr", self.model), DEFAULT_PROMPT):
            if name in names:
                return self.column(name)
        return self.column(names[0]) if names else None

    def column(self, name: str) -> ColumnResult:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(name)

    def to_json(self) -> dict:
        return {"dataset": self.dataset, "split": self.split, "model": self.model, "mode": self.mode,
                "cleaning": self.cleaning, "judgments": [j.to_json() for j in self.judgments],
                "stories": [{"name": c.name, "metrics": c.metrics, "intervals": c.intervals, "articles": c.articles}
                            for c in self.stories],
                "columns": [{"name": c.name, "metrics": c.metrics, "intervals": c.intervals, "articles": c.articles}
                            for c in self.columns]}


def clean_gold(dataset: Path, split: str = "all") -> tuple[list[dict], list[CleanedArticle], dict]:
    gold = load_gold(dataset, split)
    rows = score_gold(dataset, split)
    cleaning = aggregate([{
        "body_precision": r["precision"], "body_recall": r["recall"], "body_f1": r["f1"],
        "boilerplate_left": r["boilerplate_left"], "title_ok": r["title"], "source_ok": r["source"],
        "date_ok": r["date"], "language_ok": r["language"],
    } for r in rows])
    return gold, [r["article"] for r in rows], cleaning


def article_row(gold: dict, article: CleanedArticle, summary: ArticleSummary | None, tldr: str | None,
                max_words: int) -> dict:
    row: dict = {"id": gold["id"], "ok": bool(tldr), "error": summary.error if summary else None}
    if summary is not None:
        scores = entity_scores(summary.entities, gold.get("entities", []))
        row.update(
            not_recorded=summary.error == NOT_RECORDED,
            json_valid=summary.ok and summary.usage.reasks == 0,
            entity_precision=scores.precision if summary.ok else None,
            entity_recall=scores.recall if summary.ok else None,
            entity_f1=scores.f1 if summary.ok else 0.0,
            type_accuracy=scores.type_accuracy,
            ungrounded=len(summary.ungrounded) if summary.ok else None,
            missed=scores.missed, spurious=scores.spurious,
            tokens=summary.usage.prompt_tokens + summary.usage.completion_tokens,
            calls=summary.usage.calls + summary.usage.cached,
            seconds=round(summary.usage.model_seconds, 2),
        )
    if tldr:
        row["tldr"] = tldr
        row.update(tldr_metrics(tldr, article.full_text(), gold.get("reference_tldr"), gold["language"], max_words))
        row["fluency"] = tldr_fluency(tldr, gold["language"])
    return row


def summarize_column(name: str, rows: list[dict], clusters: list[list[str]] | None, gold: list[dict]) -> ColumnResult:
    means = aggregate([{k: v for k, v in row.items() if k not in ("calls", "seconds", "tokens")} for row in rows])
    metrics = {metric: means.get(metric) for metric, _ in METRICS}
    metrics["failure_rate"] = failure_rate([row["ok"] for row in rows])
    metrics["not_recorded"] = sum(1 for row in rows if row.get("not_recorded"))
    metrics["tldr_faithfulness"] = tldr_faithfulness([row for row in rows if row["ok"]])
    metrics["faithful_compression"] = round(sum(faithful_compression(row) for row in rows) / len(rows), 4)
    if "tokens" in rows[0]:
        count = len(rows)
        metrics["tokens_per_article"] = round(sum(r["tokens"] for r in rows) / count, 1)
        metrics["calls_per_article"] = round(sum(r["calls"] for r in rows) / count, 2)
        metrics["seconds_per_article"] = round(sum(r["seconds"] for r in rows) / count, 2)
    intervals = metric_intervals(rows, [metric for metric, _ in METRICS])
    if clusters is not None:
        keys = {g["path"]: g["story"] for g in gold}
        metrics["cluster_bcubed_f1"] = bcubed(clusters, keys).f1
        metrics["cluster_pairwise_f1"] = pairwise_f1(clusters, keys).f1
        interval = bcubed_interval(clusters, keys)
        intervals["cluster_bcubed_f1"] = interval.as_list() if interval else None
    return ColumnResult(name, metrics, rows, intervals)


def evaluate_prompt(ref: str, gold: list[dict], cleaned: list[CleanedArticle], caller: StructuredCaller,
                    concurrency: int = 4) -> ColumnResult:
    settings = TldrSettings.load(ref)
    summaries = summarize_all(cleaned, caller, settings, concurrency=concurrency)
    rows = [article_row(g, a, s, s.tldr if s.ok else None, settings.prompt.max_words)
            for g, a, s in zip(gold, cleaned, summaries)]
    members = [Member(a, s) for a, s in zip(cleaned, summaries) if s.ok]
    by_path = {a.path: g["path"] for g, a in zip(gold, cleaned)}
    clusters = [[by_path[m.article.path] for m in group] for group in group_members(members, window_days=1)]
    unclustered = [[g["path"]] for g, s in zip(gold, summaries) if not s.ok]
    column = summarize_column(ref, rows, clusters + unclustered, gold)
    column.summaries = summaries
    return column


def evaluate_lead(gold: list[dict], cleaned: list[CleanedArticle], max_words: int = 60) -> ColumnResult:
    rows = [article_row(g, a, None, lead_baseline(a.text, title=a.title) if a.ok else None, max_words)
            for g, a in zip(gold, cleaned)]
    return summarize_column(LEAD_BASELINE, rows, None, gold)


def run_eval(dataset: Path, prompts: list[str], caller: StructuredCaller, *, mode: str,
             concurrency: int = 4, split: str = "all") -> EvalResult:
    gold, cleaned, cleaning = clean_gold(dataset, split)
    if not gold:
        raise ValueError(f"{dataset}: no gold article in split {split!r}")
    columns = [evaluate_prompt(ref, gold, cleaned, caller, concurrency) for ref in prompts]
    columns.append(evaluate_lead(gold, cleaned))
    return EvalResult(str(dataset), caller.backend.model, mode, cleaning, columns, split=split, gold=gold,
                      cleaned=cleaned)


def gate(result: EvalResult, baseline: str, max_drop: float) -> list[str]:
    """One line per candidate and headline metric on which the candidate is
    worse than the baseline by more than `max_drop`, the whole 95 % interval
    of the paired difference below zero; empty when every candidate passes."""
    base = result.column(baseline)
    failures = []
    for column in result.columns:
        if column.name in (baseline, LEAD_BASELINE):
            continue
        failures += gate_failures(column.articles, base.articles, column.name, baseline, max_drop)
    return failures


def headline_names() -> list[str]:
    return [m.name for m in HEADLINE_METRICS]


def default_dataset() -> Path:
    return Path(__file__).resolve().parents[2] / "evals" / "gold.jsonl"
