"""Intervals, paired differences and the gate of `summarize eval`."""

import math

import pytest

from summarize.evaluate.compare import (
    article_values,
    bcubed_interval,
    compare,
    gate_failures,
)
from summarize.evaluate.stats import (
    articles_needed,
    bootstrap_interval,
    paired_interval,
)


def test_interval_holds_the_mean_and_narrows_with_more_articles():
    values = [0.2, 0.9, 0.5, 0.7, 0.4, 0.6] * 2
    small = bootstrap_interval(values)
    large = bootstrap_interval(values * 10)
    assert small.low <= small.mean <= small.high
    assert math.isclose(small.mean, sum(values) / len(values))
    assert (large.high - large.low) < (small.high - small.low) / 2


def test_interval_is_reproducible_and_skips_missing_values():
    values = [1.0, None, 0.0, 0.5, None, 0.25]
    assert bootstrap_interval(values) == bootstrap_interval(values)
    assert bootstrap_interval(values).n == 4
    assert bootstrap_interval([None, None]) is None


def test_paired_difference_sees_what_unpaired_intervals_hide():
    # Articles differ a lot in difficulty, the candidate is always a little better.
    baseline = [0.1, 0.9, 0.3, 0.7, 0.5, 0.2, 0.8, 0.4, 0.6, 0.35]
    candidate = [b + 0.03 for b in baseline]
    alone = bootstrap_interval(candidate)
    assert alone.low < bootstrap_interval(baseline).mean  # the intervals overlap
    paired = paired_interval(candidate, baseline)
    assert paired.low > 0 and paired.excludes_zero()


def test_articles_needed_grows_with_the_spread():
    assert articles_needed([0.0, 0.0, 0.0]) is None
    calm = articles_needed([0.01, -0.01, 0.02, 0.0, 0.01])
    noisy = articles_needed([0.3, -0.3, 0.2, -0.1, 0.25])
    assert calm < noisy
    # spread 0.1, effect 0.02: (2.80 * 0.1 / 0.02)^2 ≈ 196
    assert 150 < articles_needed([0.1, -0.1] * 20) < 250


def rows(f1s, ok=None):
    return [{"id": str(i), "ok": True if ok is None else ok[i], "entity_f1": v} for i, v in enumerate(f1s)]


def test_gate_needs_both_a_large_drop_and_an_interval_below_zero():
    base = rows([0.8] * 20)
    clearly_worse = rows([0.6] * 20)
    failures = gate_failures(clearly_worse, base, "tldr@v9", "tldr@v7", 0.02)
    assert len(failures) == 1
    assert "entity_f1" in failures[0] and "-0.200" in failures[0] and "95 % interval" in failures[0]
    # A drop of 0.1 on average, but driven by two articles: the interval holds zero.
    noisy = rows([0.8] * 18 + [0.0, 0.0])
    assert gate_failures(noisy, base, "tldr@v9", "tldr@v7", 0.02) == []
    # A consistent drop smaller than allowed passes.
    assert gate_failures(rows([0.79] * 20), base, "tldr@v9", "tldr@v7", 0.02) == []


def test_failure_rate_is_compared_in_the_right_direction():
    base = rows([0.5] * 20)
    failing = rows([0.5] * 20, ok=[False] * 10 + [True] * 10)
    failures = gate_failures(failing, base, "tldr@v9", "tldr@v7", 0.02)
    assert any("failure_rate" in line for line in failures)
    assert compare(failing, base, "failure_rate", "tldr@v9", "tldr@v7").verdict("lower") == "worse"


def test_article_values_per_metric():
    table = [{"ok": True, "entity_precision_source": 1.0, "all_names_numbers_in_source": False, "tokens": 10},
             {"ok": False, "not_recorded": True}]
    assert article_values(table, "tldr_faithfulness") == [0.5, None]
    assert article_values(table, "failure_rate") == [0.0, 1.0]
    assert article_values(table, "not_recorded") == [0.0, 1.0]
    assert article_values(table, "tokens_per_article") == [10.0, None]


def test_bcubed_interval():
    keys = {"a": "s1", "b": "s1", "c": "s2", "d": "s3"}
    perfect = bcubed_interval([["a", "b"], ["c"], ["d"]], keys)
    assert perfect.mean == pytest.approx(1.0) and perfect.low == pytest.approx(1.0)
    merged = bcubed_interval([["a", "b", "c", "d"]], keys)
    assert merged.mean < 1.0 and merged.low <= merged.mean <= merged.high


def test_comparison_lines_pair_fluency_and_measure_every_version_against_the_lead():
    from summarize.evaluate.report import comparison_lines
    from summarize.evaluate.runner import LEAD_BASELINE, ColumnResult, EvalResult

    def column(name, fluency, compression):
        rows = [{"ok": True, "fluency": f, "compression": 1 - c, "all_names_numbers_in_source": True,
                 "language_ok": True} for f, c in zip(fluency, compression)]
        return ColumnResult(name=name, metrics={}, articles=rows)

    result = EvalResult(dataset="d", model="m", mode="replay", cleaning={}, reference="tldr@v1", columns=[
        column("tldr@v1", [0.5, 0.4, 0.6, 0.5], [0.90, 0.80, 0.85, 0.90]),
        column("tldr@v2", [1.0, 0.9, 1.0, 1.0], [0.70, 0.60, 0.65, 0.70]),
        column(LEAD_BASELINE, [1.0] * 4, [0.50, 0.40, 0.45, 0.50])])
    lines = comparison_lines(result)
    fluency = next(line for line in lines if "tldr@v2" in line and " fluency " in line)
    assert "+0.475" in fluency and "better" in fluency
    against_lead = [line for line in lines if "vs lead-3" in line]
    assert [line.split()[0] for line in against_lead] == ["tldr@v1", "tldr@v2"]
    assert all("+0.400" in line or "+0.200" in line for line in against_lead)
    assert not any(line.split()[0] == LEAD_BASELINE for line in lines[1:])
