"""The evaluation as a side-by-side table, and as a JSON + HTML report."""

from __future__ import annotations

import io
import json
from pathlib import Path

import jinja2

from summarize.atomic import write_atomic
from summarize.evaluate.compare import compare
from summarize.evaluate.runner import (
    CLEANING_METRICS,
    LEAD_BASELINE,
    METRICS,
    ColumnResult,
    EvalResult,
)
from summarize.evaluate.stories import STORY_METRICS
from summarize.llm.prompts import default_prompt

# The rows compared pairwise against the reference version.
COMPARED = (("entity_f1", "higher"), ("tldr_faithfulness", "higher"), ("failure_rate", "lower"),
            ("fluency", "higher"), ("faithful_compression", "higher"), ("rougeL", "higher"))


def _fmt(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)


def best_columns(result: EvalResult, metric: str, better: str | None) -> set[str]:
    values = {c.name: c.metrics.get(metric) for c in result.columns}
    present = {name: v for name, v in values.items() if v is not None}
    if not better or len(present) < 2 or len(set(present.values())) == 1:
        return set()
    target = max(present.values()) if better == "higher" else min(present.values())
    return {name for name, v in present.items() if v == target}


def _cell(column: ColumnResult, metric: str) -> str:
    value = column.metrics.get(metric)
    interval = column.intervals.get(metric)
    if value is None or not interval or interval[0] == interval[1]:
        return _fmt(value)
    half = max(abs(value - interval[0]), abs(interval[1] - value))
    if abs(value) >= 100 or half >= 10:
        return f"{value:.0f}±{half:.0f}"
    return f"{value:.3f}±{half:.3f}".replace("±0.", "±.")


def comparison_lines(result: EvalResult) -> list[str]:
    """Each version against the reference on the headline and the quality
    metrics: the mean per-article difference, its interval and whether it is
    larger than noise."""
    reference = result.reference_column()
    if reference is None:
        return []
    lines = [f"paired differences against {reference.name} (per article, 95 % interval; "
             f"'noise' = the interval holds 0):"]
    lead = next((c for c in result.columns if c.name == LEAD_BASELINE), None)
    for column in result.columns:
        if column.name == LEAD_BASELINE:
            continue
        pairs = [] if column.name == reference.name else [(reference, metric, better) for metric, better in COMPARED]
        if lead is not None:
            # The one metric a version must win against the lead, which is faithful by construction.
            pairs.append((lead, "faithful_compression", "higher"))
        for baseline, metric, better in pairs:
            difference = compare(column.articles, baseline.articles, metric, column.name, baseline.name)
            if difference.interval is None:
                continue
            i = difference.interval
            needed = difference.articles_for_002
            against = "" if baseline is reference else f" vs {baseline.name}"
            lines.append(f"  {column.name:<12} {metric + against:<31} {i.mean:+.3f} [{i.low:+.3f}, {i.high:+.3f}]  "
                         f"{difference.verdict(better):<7} articles to detect 0.02: {needed if needed else '—'}")
    return lines


def story_lines(result: EvalResult) -> list[str]:
    """The merge versions over the gold stories, one column each."""
    if not result.stories:
        return []
    reference = result.reference_column()
    names = [c.name for c in result.stories]
    width = max(14, *(len(n) + 2 for n in names))
    count = len(result.stories[0].articles)
    lines = ["", f"merged stories ({count} gold stories with several articles, from "
                 f"{reference.name if reference else '—'}'s answers):", f"{'metric':<30}" + "".join(f"{n:>{width}}" for n in names)]
    for metric, better in STORY_METRICS:
        arrow = {"higher": "↑", "lower": "↓"}.get(better, " ")
        lines.append(f"{metric + ' ' + arrow:<30}" + "".join(f"{_cell(c, metric):>{width}}" for c in result.stories))
    return lines


def judgment_lines(result: EvalResult) -> list[str]:
    lines = []
    for judgment in result.judgments:
        wins, ties, losses = judgment.counts()
        interval = judgment.interval()
        spread = f"{interval.mean:+.3f} [{interval.low:+.3f}, {interval.high:+.3f}]" if interval else "—"
        lines.append(f"judge {judgment.judge}: {judgment.candidate} vs {judgment.reference}: {wins} wins, {ties} ties, "
                     f"{losses} losses, {judgment.scores.count(None)} not judged; mean (win +1, loss −1) {spread}")
    return [""] + lines if lines else []


def format_table(result: EvalResult, verbose: bool = False) -> str:
    names = [c.name for c in result.columns]
    width = max(14, *(len(n) + 2 for n in names))
    lines = [f"eval of {result.dataset} ({result.split}) — model {result.model} — {result.mode} — "
             f"{len(result.columns[0].articles) if result.columns else 0} articles",
             f"default for this model (prompts/defaults.toml): {default_prompt('tldr', result.model) or '—'}", ""]
    header = f"{'metric':<26}" + "".join(f"{n:>{width}}" for n in names)
    lines += [header, "-" * len(header)]
    for metric, better in METRICS:
        best = best_columns(result, metric, better)
        cells = "".join(f"{_cell(c, metric) + ('*' if c.name in best else ' '):>{width}}"
                        for c in result.columns)
        arrow = {"higher": "↑", "lower": "↓"}.get(better, " ")
        lines.append(f"{metric + ' ' + arrow:<26}{cells}")
    lines += ["", "* best value   ↑ higher is better   ↓ lower is better   ± half-width of the 95 % "
              "bootstrap interval over articles", ""]
    lines += comparison_lines(result)
    lines += judgment_lines(result)
    lines += story_lines(result)
    lines += ["", "cleaning (same for every prompt):"]
    lines += [f"  {m:<24}{_fmt(result.cleaning.get(m))}" for m in CLEANING_METRICS]
    if verbose:
        for column in result.columns:
            lines += ["", f"== {column.name}"]
            for row in column.articles:
                if not row["ok"]:
                    lines.append(f"  {row['id']}: FAILED {row.get('error')}")
                    continue
                lines.append(f"  {row['id']}: f1={_fmt(row.get('entity_f1'))} words={row.get('words')} "
                             f"novel={_fmt(row.get('novel_bigrams'))} rougeL={_fmt(row.get('rougeL'))} "
                             f"flags={','.join(row.get('flags', [])) or '-'}")
                lines.append(f"      {row.get('tldr', '')}")
                if row.get("missed") or row.get("spurious"):
                    lines.append(f"      missed: {', '.join(row.get('missed', [])) or '-'}; "
                                 f"spurious: {', '.join(row.get('spurious', [])) or '-'}")
    return "\n".join(lines)


def _chart_svg(result: EvalResult, metric: str) -> str:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    names = [c.name for c in result.columns]
    values = [c.metrics.get(metric) or 0.0 for c in result.columns]
    errors = [[0.0, 0.0] if not c.intervals.get(metric) else
              [max(0.0, v - c.intervals[metric][0]), max(0.0, c.intervals[metric][1] - v)]
              for c, v in zip(result.columns, values)]
    figure, axis = plt.subplots(figsize=(4.2, 2.4))
    axis.bar(names, values, yerr=list(zip(*errors)), capsize=3,
             color=["#3b6ea5"] * (len(names) - 1) + ["#999999"])
    axis.set_title(metric, fontsize=10)
    axis.tick_params(labelsize=8)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


def _article_views(result: EvalResult, gold: list[dict]) -> list[dict]:
    """Per article: the reference and each version's TLDR with its flags."""
    views = []
    for index, entry in enumerate(gold):
        versions = []
        for column in result.columns:
            row = column.articles[index] if index < len(column.articles) else {}
            versions.append({"name": column.name, "tldr": row.get("tldr"), "error": row.get("error"),
                             "flags": row.get("flags", []), "words": row.get("words", "—"),
                             "entity_f1": _fmt(row.get("entity_f1"))})
        views.append({"id": entry["id"], "title": entry.get("title"), "language": entry.get("language"),
                      "story": entry.get("story"), "reference": entry.get("reference_tldr"), "versions": versions})
    return views


def write_report(result: EvalResult, directory: Path) -> list[Path]:
    """eval.json and eval.html (table, charts with intervals, every article's
    TLDRs side by side with the reference)."""
    directory.mkdir(parents=True, exist_ok=True)
    json_path, html_path = directory / "eval.json", directory / "eval.html"
    write_atomic(json_path, json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    charts = [_chart_svg(result, metric) for metric, better in METRICS
              if better and any(c.metrics.get(metric) is not None for c in result.columns)]
    environment = jinja2.Environment(loader=jinja2.PackageLoader("summarize.evaluate", "templates"),
                                     autoescape=True, undefined=jinja2.StrictUndefined)
    page = environment.get_template("report.html.j2").render(
        result=result, table=format_table(result), charts=charts, articles=_article_views(result, result.gold))
    write_atomic(html_path, page)
    return [json_path, html_path]
