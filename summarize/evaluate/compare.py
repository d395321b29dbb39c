"""Intervals on every metric of an eval, paired comparisons of prompt
versions, and the gate that decides whether a candidate may replace a baseline.

A metric's interval resamples the articles (`stats.bootstrap_interval`); the
story metrics resample the articles as clustered items. A comparison uses the
per-article differences, so the interval says whether the difference is larger
than what swapping a few articles would give: the gate fails a candidate only
when its drop is larger than the allowed one and the whole interval lies below
zero.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from summarize.evaluate.metrics import (
    HEADLINE_METRICS,
    bcubed_items,
    faithful_compression,
)
from summarize.evaluate.stats import (
    DRAWS,
    SEED,
    Interval,
    articles_needed,
    bootstrap_interval,
    paired_interval,
)

# Totals per article the runner keeps outside the averaged metrics.
_PER_ARTICLE_TOTALS = {"tokens_per_article": "tokens", "calls_per_article": "calls",
                       "seconds_per_article": "seconds"}
DETECTABLE = 0.02


def _number(value) -> float | None:
    if isinstance(value, bool):
        return float(value)
    return float(value) if isinstance(value, (int, float)) else None


def _faithfulness(row: dict) -> float | None:
    if not row.get("ok"):
        return None
    parts = [_number(row.get(key)) for key in ("entity_precision_source", "all_names_numbers_in_source")]
    parts = [p for p in parts if p is not None]
    return sum(parts) / len(parts) if parts else None


def article_values(rows: Sequence[dict], metric: str) -> list[float | None]:
    """The metric's value for each article (None where it has none), in the
    gold order; the table's figure is their mean, except for the story
    metrics, which are not per article."""
    if metric == "failure_rate":
        return [0.0 if row["ok"] else 1.0 for row in rows]
    if metric == "not_recorded":
        return [1.0 if row.get("not_recorded") else 0.0 for row in rows]
    if metric == "tldr_faithfulness":
        return [_faithfulness(row) for row in rows]
    if metric == "faithful_compression":
        return [faithful_compression(row) for row in rows]
    key = _PER_ARTICLE_TOTALS.get(metric, metric)
    return [_number(row.get(key)) for row in rows]


def bcubed_interval(clusters: Sequence[Sequence[str]], keys: dict[str, str], *, draws: int = DRAWS,
                    seed: int = SEED) -> Interval | None:
    """B-cubed F1 with an interval from resampling the clustered items."""
    items = np.array(bcubed_items(clusters, keys), dtype=np.float64)
    if not len(items):
        return None
    picks = np.random.default_rng(seed).integers(0, len(items), size=(draws, len(items)))
    precision, recall = items[picks, 0].mean(axis=1), items[picks, 1].mean(axis=1)
    f1 = np.divide(2 * precision * recall, precision + recall, out=np.zeros_like(precision),
                   where=precision + recall > 0)
    p, r = items[:, 0].mean(), items[:, 1].mean()
    low, high = np.percentile(f1, [2.5, 97.5])
    return Interval(float(2 * p * r / (p + r)) if p + r else 0.0, float(low), float(high), len(items))


def metric_intervals(rows: Sequence[dict], metrics: Sequence[str]) -> dict[str, list[float] | None]:
    """[low, high] of each per-article metric's mean."""
    intervals: dict[str, list[float] | None] = {}
    for metric in metrics:
        if metric.startswith("cluster_") or metric == "not_recorded":
            continue  # story metrics are not per article; not_recorded is a count
        interval = bootstrap_interval(article_values(rows, metric))
        intervals[metric] = interval.as_list() if interval else None
    return intervals


@dataclass(frozen=True)
class Difference:
    """candidate − baseline on one metric, per article, with its interval."""

    metric: str
    candidate: str
    baseline: str
    interval: Interval | None
    articles_for_002: int | None

    def verdict(self, better: str | None) -> str:
        if self.interval is None:
            return "not comparable"
        if not self.interval.excludes_zero():
            return "noise"
        improved = (self.interval.mean > 0) == (better == "higher")
        return "better" if improved else "worse"


def compare(candidate_rows: Sequence[dict], baseline_rows: Sequence[dict], metric: str, candidate: str,
            baseline: str) -> Difference:
    ours, theirs = article_values(candidate_rows, metric), article_values(baseline_rows, metric)
    differences = [a - b for a, b in zip(ours, theirs, strict=True) if a is not None and b is not None]
    return Difference(metric, candidate, baseline, paired_interval(ours, theirs),
                      articles_needed(differences, DETECTABLE))


def gate_failures(candidate_rows: Sequence[dict], baseline_rows: Sequence[dict], candidate: str, baseline: str,
                  max_drop: float) -> list[str]:
    """One line per headline metric on which the candidate is worse than the
    baseline by more than `max_drop` with the whole interval below zero."""
    failures = []
    for metric in HEADLINE_METRICS:
        difference = compare(candidate_rows, baseline_rows, metric.name, candidate, baseline)
        interval = difference.interval
        if interval is None:
            continue
        sign = 1.0 if metric.better == "higher" else -1.0
        drop, worst_low, worst_high = -sign * interval.mean, sign * interval.low, sign * interval.high
        if drop > max_drop and max(worst_low, worst_high) < 0:
            low, high = sorted((interval.low, interval.high))
            failures.append(f"{candidate} is worse than {baseline} on {metric.name}: "
                            f"{interval.mean:+.3f} per article, 95 % interval [{low:+.3f}, {high:+.3f}] "
                            f"over {interval.n} articles (allowed drop {max_drop})")
    return failures
