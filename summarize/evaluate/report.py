"""The evaluation as a side-by-side table, and as a JSON + HTML report."""

from __future__ import annotations

import html
import io
import json
from pathlib import Path

from summarize.evaluate.runner import CLEANING_METRICS, METRICS, EvalResult
from summarize.render.files import write_atomic


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


def format_table(result: EvalResult, verbose: bool = False) -> str:
    names = [c.name for c in result.columns]
    width = max(12, *(len(n) + 2 for n in names))
    lines = [f"eval of {result.dataset} — model {result.model} — {result.mode}", ""]
    header = f"{'metric':<26}" + "".join(f"{n:>{width}}" for n in names)
    lines += [header, "-" * len(header)]
    for metric, better in METRICS:
        best = best_columns(result, metric, better)
        cells = "".join(f"{_fmt(c.metrics.get(metric)) + ('*' if c.name in best else ' '):>{width}}"
                        for c in result.columns)
        arrow = {"higher": "↑", "lower": "↓"}.get(better, " ")
        lines.append(f"{metric + ' ' + arrow:<26}{cells}")
    lines += ["", "* best value   ↑ higher is better   ↓ lower is better", "",
              "cleaning (same for every prompt):"]
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
    figure, axis = plt.subplots(figsize=(4.2, 2.4))
    axis.bar(names, values, color=["#3b6ea5"] * (len(names) - 1) + ["#999999"])
    axis.set_title(metric, fontsize=10)
    axis.tick_params(labelsize=8)
    figure.tight_layout()
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg")
    plt.close(figure)
    svg = buffer.getvalue()
    return svg[svg.index("<svg"):]


def write_report(result: EvalResult, directory: Path) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    json_path, html_path = directory / "eval.json", directory / "eval.html"
    write_atomic(json_path, json.dumps(result.to_json(), indent=2, ensure_ascii=False))
    charts = "".join(f"<figure>{_chart_svg(result, metric)}</figure>" for metric, better in METRICS
                     if better and any(c.metrics.get(metric) is not None for c in result.columns))
    table = html.escape(format_table(result))
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>summarize eval — {html.escape(result.model)}</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:1.5rem;max-width:75rem}"
        "pre{overflow-x:auto;background:#f5f5f5;padding:1rem}"
        "figure{display:inline-block;margin:.5rem}svg{max-width:100%;height:auto}</style></head><body>"
        f"<h1>Evaluation — {html.escape(result.model)} ({html.escape(result.mode)})</h1>"
        f"<pre>{table}</pre><h2>Charts</h2>{charts}</body></html>"
    )
    write_atomic(html_path, page)
    return [json_path, html_path]
