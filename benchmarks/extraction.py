"""Article-extraction benchmark: how well `summarize`'s cleaner keeps the article.

    .venv/bin/python benchmarks/extraction.py ../shared/corpora/extraction
    .venv/bin/python benchmarks/extraction.py CORPUS_DIR --corpus scrapinghub --inputs html --limit 20
    .venv/bin/python benchmarks/extraction.py CORPUS_DIR --json /tmp/extraction-pages.json

CORPUS_DIR holds the `scrapinghub` and `trafilatura` corpora (the `dev` pages
of each) and their `score.py`, which is imported from there and does all the
scoring. Every page is cleaned three ways -- its HTML (original bytes), its
inscriptis dump and its html-text dump -- in batches of 50 through
`clean_inputs`, as `summarize clean` would clean 50 files. Two baselines are
scored beside it: trafilatura alone on the HTML (default `extract`, title and
date from `extract_metadata`) and each dump unchanged.

Every figure is given for all pages, for the `tune` pages and for the
`holdout` pages (`extraction_split.split_of`), with a 95 % percentile
bootstrap interval for each F1 (pages resampled, 1000 draws, the same draws
for every system). Cleaning time is the wall time of the cleaning calls per
page, after one untimed warm-up batch; the start-up of a `summarize clean`
process is measured once apart. A full run (no --limit) replaces the
"extraction" key of benchmarks/latest.json.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path
from types import ModuleType

from extraction_split import SPLITS, split_of

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
LATEST = HERE / "latest.json"
CORPORA = ("scrapinghub", "trafilatura")
INPUTS = ("html", "inscriptis", "htmltext")
DUMPS = ("inscriptis", "htmltext")
PARTS = ("all",) + SPLITS
BATCH = 50
DRAWS = 1000
SEED = 0


@dataclass
class Run:
    """One system's predictions on one corpus from one kind of input."""

    system: str
    input: str
    predictions: dict[str, dict] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)  # page id -> its share of the cleaning time
    errors: dict[str, str] = field(default_factory=dict)


# --- corpus -----------------------------------------------------------------------


def load_scorer(corpus_dir: Path) -> ModuleType:
    """The corpus's own score.py, imported by path."""
    spec = importlib.util.spec_from_file_location("extraction_corpus_score", corpus_dir / "score.py")
    if spec is None or spec.loader is None:
        raise FileNotFoundError(corpus_dir / "score.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def load_gold(scorer: ModuleType, corpus_dir: Path, corpus: str, limit: int | None = None) -> list[dict]:
    """The corpus's `dev` gold rows in file order, the first `limit` of them when given."""
    gold = scorer.load_gold(corpus, "dev", corpus_dir / corpus / "gold.jsonl")
    return gold[:limit] if limit else gold


def input_path(corpus_dir: Path, corpus: str, page_id: str, kind: str) -> Path:
    if kind == "html":
        return corpus_dir / corpus / "html" / f"{page_id}.html.gz"
    return corpus_dir / corpus / "dumps" / f"{page_id}.{kind}.txt"


def read_input(corpus_dir: Path, corpus: str, page_id: str, kind: str) -> bytes:
    """The page as a scraper saved it: the HTML's original bytes, or a dump's."""
    path = input_path(corpus_dir, corpus, page_id, kind)
    return gzip.decompress(path.read_bytes()) if kind == "html" else path.read_bytes()


def batches(items: list, size: int = BATCH) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)]


# --- systems ----------------------------------------------------------------------


def summarize_prediction(page_id: str, article) -> dict:
    if not article.ok:
        return {"id": page_id, "text": None, "title": None, "published": None}
    return {"id": page_id, "text": article.text, "title": article.title, "published": article.published}


def clean_batch(corpus_dir: Path, corpus: str, gold: list[dict], kind: str) -> tuple[list, float]:
    """Clean one batch of pages in one call; the articles and the call's wall time."""
    from summarize.clean.cleaner import clean_inputs
    from summarize.ingest.inputs import RawInput

    raw = [RawInput(f"{g['id']}.{kind}", read_input(corpus_dir, corpus, g["id"], kind)) for g in gold]
    start = time.perf_counter()
    articles = clean_inputs(raw)
    return articles, time.perf_counter() - start


def run_summarize(corpus_dir: Path, corpus: str, gold: list[dict], kind: str) -> Run:
    run = Run("summarize", kind)
    for batch in batches(gold):
        articles, seconds = clean_batch(corpus_dir, corpus, batch, kind)
        for g, article in zip(batch, articles):
            run.predictions[g["id"]] = summarize_prediction(g["id"], article)
            run.seconds[g["id"]] = seconds / len(batch)
            if not article.ok:
                run.errors[g["id"]] = article.error or "not ok"
    return run


def trafilatura_page(html: bytes) -> dict:
    import trafilatura

    text = trafilatura.extract(html)
    meta = trafilatura.extract_metadata(html)
    return {"text": text, "title": meta.title if meta else None, "published": meta.date if meta else None}


def run_trafilatura(corpus_dir: Path, corpus: str, gold: list[dict]) -> Run:
    run = Run("trafilatura", "html")
    for g in gold:
        html = read_input(corpus_dir, corpus, g["id"], "html")
        start = time.perf_counter()
        try:
            run.predictions[g["id"]] = {"id": g["id"], **trafilatura_page(html)}
        except Exception as exc:
            run.predictions[g["id"]] = {"id": g["id"], "text": None, "title": None, "published": None}
            run.errors[g["id"]] = f"{exc.__class__.__name__}: {exc}"[:200]
        run.seconds[g["id"]] = time.perf_counter() - start
    return run


def run_raw_dump(corpus_dir: Path, corpus: str, gold: list[dict], kind: str) -> Run:
    run = Run("raw dump", kind)
    for g in gold:
        text = read_input(corpus_dir, corpus, g["id"], kind).decode("utf-8", errors="replace")
        run.predictions[g["id"]] = {"id": g["id"], "text": text}
    return run


def warm_up(corpus_dir: Path, corpus: str, gold: list[dict], inputs: tuple[str, ...]) -> None:
    """Pay the one-time loads (language model, dictionaries, tokenizer) before timing."""
    for kind in inputs:
        clean_batch(corpus_dir, corpus, gold[:1], kind)
    if "html" in inputs:
        trafilatura_page(read_input(corpus_dir, corpus, gold[0]["id"], "html"))


def run_systems(corpus_dir: Path, corpus: str, gold: list[dict], inputs: tuple[str, ...]) -> list[Run]:
    """The baselines, then the cleaner on every selected kind of input."""
    warm_up(corpus_dir, corpus, gold, inputs)
    runs = [run_raw_dump(corpus_dir, corpus, gold, kind) for kind in DUMPS if kind in inputs]
    if "html" in inputs:
        runs.append(run_trafilatura(corpus_dir, corpus, gold))
    runs += [run_summarize(corpus_dir, corpus, gold, kind) for kind in inputs]
    return runs


# --- scoring ----------------------------------------------------------------------


@cache
def bootstrap_draws(n: int, draws: int = DRAWS, seed: int = SEED) -> tuple[tuple[int, ...], ...]:
    """Resampled page indices, the same for every system scored on the same pages."""
    rng = random.Random(seed)
    return tuple(tuple(rng.randrange(n) for _ in range(n)) for _ in range(draws))


def f1_of_pages(scorer: ModuleType, corpus: str, per_page: list[tuple]) -> float:
    """The corpus's F1 from per-page counts: shingle tp/fp/fn or with/without tp/fp/fn/tn."""
    if corpus == "scrapinghub":
        return scorer.metrics_from_tp_fp_fns(per_page)["f1"]
    return scorer.confusion_scores(*(sum(column) for column in zip(*per_page)))["f1"]


def f1_interval(scorer: ModuleType, corpus: str, per_page: list[tuple], level: float = 0.95) -> list[float]:
    """Percentile bootstrap interval of the F1 over pages."""
    values = sorted(f1_of_pages(scorer, corpus, [per_page[i] for i in draw])
                    for draw in bootstrap_draws(len(per_page)))
    tail = (1 - level) / 2
    return [values[round(tail * (len(values) - 1))], values[round((1 - tail) * (len(values) - 1))]]


def split_ids(gold: list[dict], part: str) -> list[str]:
    return [g["id"] for g in gold if part == "all" or split_of(g["id"]) == part]


def score_part(scorer: ModuleType, corpus: str, gold: list[dict], run: Run, part: str) -> dict | None:
    """The figures of one run on one part (all, tune or holdout) of the corpus."""
    ids = split_ids(gold, part)
    if not ids:
        return None
    result = scorer.score(corpus, gold, run.predictions, ids=ids)
    per_page = [result["per_page"][page_id] for page_id in ids]
    figures = {key: result.get(key) for key in
               ("pages", "failed", "empty", "precision", "recall", "f1", "title_exact", "title_pages",
                "date_exact", "date_pages", "tp", "fp", "fn", "tn")}
    figures["f1_ci95"] = f1_interval(scorer, corpus, per_page)
    timed = [run.seconds[page_id] for page_id in ids if page_id in run.seconds]
    figures["seconds_per_page"] = sum(timed) / len(timed) if timed else None
    return {key: rounded(value) for key, value in figures.items() if value is not None}


def rounded(value):
    if isinstance(value, float):
        return round(value, 4)
    if isinstance(value, list):
        return [rounded(item) for item in value]
    return value


def score_run(scorer: ModuleType, corpus: str, gold: list[dict], run: Run) -> dict:
    return {part: score_part(scorer, corpus, gold, run, part) for part in PARTS}


# --- per-page records (--json) ----------------------------------------------------


def page_scores(scorer: ModuleType, corpus: str, g: dict, prediction: dict) -> dict:
    """Per-page P/R (scrapinghub) or which with/without chunks were found (trafilatura)."""
    text = prediction.get("text")
    if corpus == "scrapinghub":
        tp, fp, fn = scorer.string_shingle_matching(true=g["body"], pred=text or "")
        return {"precision": scorer.precision_score(tp, fp, fn) if tp + fp > 0 else None,
                "recall": scorer.recall_score(tp, fp, fn) if tp + fn > 0 else None}
    found = scorer.norm(text) if isinstance(text, str) else None
    hits = [w for w in g["with"] if found is not None and scorer.norm(w) in found]
    leaks = [w for w in g["without"] if found is not None and scorer.norm(w) in found]
    return {"with_found": len(hits), "with_total": len(g["with"]),
            "without_found": len(leaks), "without_total": len(g["without"]),
            "with_missing": [w for w in g["with"] if w not in hits], "without_present": leaks}


def metadata_hits(scorer: ModuleType, g: dict, prediction: dict) -> dict:
    hits = {}
    if g.get("title") and "title" in prediction:
        hits["title_exact"] = scorer.norm_title(prediction.get("title")) == scorer.norm_title(g["title"])
    if g.get("date") and "published" in prediction:
        hits["date_exact"] = (prediction.get("published") or "")[:10] == g["date"][:10]
    return hits


def page_records(scorer: ModuleType, corpus: str, gold: list[dict], run: Run) -> list[dict]:
    records = []
    for g in gold:
        prediction = run.predictions[g["id"]]
        records.append({
            "corpus": corpus, "id": g["id"], "system": run.system, "input": run.input,
            "split": split_of(g["id"]), "error": run.errors.get(g["id"]),
            "text": prediction.get("text"), "title": prediction.get("title"),
            "published": prediction.get("published"), "seconds": run.seconds.get(g["id"]),
            **page_scores(scorer, corpus, g, prediction), **metadata_hits(scorer, g, prediction),
        })
    return records


# --- context ----------------------------------------------------------------------


def startup_seconds(corpus_dir: Path, corpus: str, page_id: str) -> float:
    """Wall time of one `summarize clean --json` process on one small dump."""
    exe = Path(sys.executable).with_name("summarize")
    command = [str(exe), "clean", "--json", str(input_path(corpus_dir, corpus, page_id, "inscriptis"))]
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def smallest_dump(corpus_dir: Path, corpus: str, gold: list[dict]) -> str:
    return min(gold, key=lambda g: input_path(corpus_dir, corpus, g["id"], "inscriptis").stat().st_size)["id"]


def git(*args: str) -> str:
    done = subprocess.run(["git", "--no-optional-locks", *args], check=False, cwd=REPO, capture_output=True, text=True)
    return done.stdout.strip() if done.returncode == 0 else ""


def package_digest() -> str:
    """SHA-1 over the package's files as they are on disk (what was measured)."""
    digest = hashlib.sha1()
    for path in sorted((REPO / "summarize").rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            digest.update(str(path.relative_to(REPO)).encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()[:12]


def working_tree() -> dict:
    """The commit, how many paths differ from it, and a digest of summarize/ as it is now."""
    changed = [line for line in git("status", "--porcelain").splitlines() if line.strip()]
    package = [line for line in changed if " summarize/" in line or line[3:].startswith("summarize/")]
    sha = package_digest()
    note = (f"clean working tree at HEAD; summarize/ sha1 {sha}" if not changed else
            f"uncommitted changes: {len(changed)} paths differ from HEAD ({len(package)} under summarize/); "
            f"summarize/ as measured has sha1 {sha}")
    return {"commit": git("rev-parse", "--short", "HEAD"), "changed_paths": len(changed),
            "changed_package_paths": len(package), "package_sha1": sha, "note": note}


def note_changes_during_run(state: dict) -> dict:
    """Flag a run during which summarize/ changed on disk: its figures may mix two versions."""
    after = package_digest()
    if after == state["package_sha1"]:
        return state
    return {**state, "package_sha1_after": after,
            "note": state["note"] + f"; summarize/ changed during the run (sha1 {after} at the end)"}


# --- report -----------------------------------------------------------------------


def fmt(value, digits: int = 3) -> str:
    return "–" if value is None else f"{value:.{digits}f}"


def prf_cells(figures: dict | None) -> list[str]:
    if not figures:
        return ["–", "–", "–"]
    low, high = figures["f1_ci95"]
    return [fmt(figures.get("precision")), fmt(figures.get("recall")),
            f"{fmt(figures.get('f1'))} [{fmt(low)}, {fmt(high)}]"]


def seconds_cell(row: dict, part: str) -> str:
    values = [(row.get(corpus) or {}).get(part) or {} for corpus in CORPORA]
    seconds = [v.get("seconds_per_page") for v in values]
    return "–" if all(s is None for s in seconds) else " / ".join(fmt(s) for s in seconds)


def table(rows: list[dict], part: str) -> str:
    header = ["system", "input", "SH P", "SH R", "SH F1 [95% CI]", "TR P", "TR R", "TR F1 [95% CI]",
              "title exact", "date exact", "s/page SH / TR"]
    lines = [header]
    for row in rows:
        sh = (row.get("scrapinghub") or {}).get(part)
        tr = (row.get("trafilatura") or {}).get(part)
        lines.append([row["system"], row["input"], *prf_cells(sh), *prf_cells(tr),
                      fmt((tr or {}).get("title_exact")), fmt((tr or {}).get("date_exact")),
                      seconds_cell(row, part)])
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = ["  ".join(cell.ljust(w) for cell, w in zip(line, widths)).rstrip() for line in lines]
    text.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(text)


def page_counts(gold_by_corpus: dict[str, list[dict]], part: str) -> str:
    return ", ".join(f"{corpus} {len(split_ids(gold, part))}" for corpus, gold in gold_by_corpus.items())


def merge_rows(scored: dict[str, list[tuple[Run, dict]]]) -> list[dict]:
    """One row per (system, input), each with its figures per corpus."""
    rows: dict[tuple[str, str], dict] = {}
    for corpus, runs in scored.items():
        for run, figures in runs:
            row = rows.setdefault((run.system, run.input), {"system": run.system, "input": run.input})
            row[corpus] = figures
    return list(rows.values())


def save_latest(path: Path, figures: dict) -> None:
    """Set the "extraction" key of the results file, leaving every other key as it was."""
    results = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    results["extraction"] = figures
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


# --- main -------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus_dir", type=Path, help="folder with scrapinghub/, trafilatura/ and score.py")
    parser.add_argument("--corpus", choices=CORPORA + ("both",), default="both")
    parser.add_argument("--inputs", default=",".join(INPUTS), help="comma-separated: html,inscriptis,htmltext")
    parser.add_argument("--limit", type=int, help="only the first N pages of each corpus (not saved)")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write figures and per-page predictions here")
    parser.add_argument("--latest", type=Path, default=LATEST, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.inputs = tuple(kind.strip() for kind in args.inputs.split(",") if kind.strip())
    unknown = set(args.inputs) - set(INPUTS)
    if unknown or not args.inputs:
        parser.error(f"--inputs: choose from {', '.join(INPUTS)}")
    return args


def run_corpora(args: argparse.Namespace, scorer: ModuleType,
                gold_by_corpus: dict[str, list[dict]]) -> tuple[list[dict], list[dict]]:
    """Every system on every corpus: the table rows and, with --json, the per-page records."""
    scored: dict[str, list[tuple[Run, dict]]] = {}
    pages: list[dict] = []
    for corpus, gold in gold_by_corpus.items():
        print(f"{corpus}: {len(gold)} pages ...", file=sys.stderr, flush=True)
        runs = run_systems(args.corpus_dir, corpus, gold, args.inputs)
        scored[corpus] = [(run, score_run(scorer, corpus, gold, run)) for run in runs]
        if args.json:
            pages += [record for run in runs for record in page_records(scorer, corpus, gold, run)]
    return merge_rows(scored), pages


def describe_run(args: argparse.Namespace, argv: list[str] | None, gold_by_corpus: dict[str, list[dict]]) -> dict:
    return {
        "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "command": " ".join([Path(sys.argv[0]).name, *(argv if argv is not None else sys.argv[1:])]),
        "pages": {corpus: len(gold) for corpus, gold in gold_by_corpus.items()},
        "split": "holdout = sha1(id) % 4 == 0 (benchmarks/extraction_split.py)",
        "inputs": list(args.inputs),
        "batch": BATCH,
        "bootstrap": {"draws": DRAWS, "seed": SEED, "interval": "95 % percentile"},
        "cpus": os.cpu_count(),
    }


def print_report(figures: dict, gold_by_corpus: dict[str, list[dict]]) -> None:
    for part in PARTS:
        print(f"\n{part} pages ({page_counts(gold_by_corpus, part)})")
        print(table(figures["rows"], part))
    print(f"\nsummarize clean start-up: {figures['startup_seconds']:.2f} s; "
          f"run took {figures['run_seconds']:.0f} s; {figures['note']}")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started, load_before, state = time.perf_counter(), os.getloadavg()[0], working_tree()
    scorer = load_scorer(args.corpus_dir)
    corpora = CORPORA if args.corpus == "both" else (args.corpus,)
    gold_by_corpus = {corpus: load_gold(scorer, args.corpus_dir, corpus, args.limit) for corpus in corpora}
    first = corpora[0]
    startup = startup_seconds(args.corpus_dir, first, smallest_dump(args.corpus_dir, first, gold_by_corpus[first]))
    rows, pages = run_corpora(args, scorer, gold_by_corpus)
    figures = {
        **describe_run(args, argv, gold_by_corpus),
        **note_changes_during_run(state),
        "startup_seconds": round(startup, 3),
        "run_seconds": round(time.perf_counter() - started, 1),
        "load_average_before": load_before,
        "load_average_after": os.getloadavg()[0],
        "rows": rows,
    }
    print_report(figures, gold_by_corpus)
    if args.json:
        args.json.write_text(json.dumps({"figures": figures, "pages": pages}, ensure_ascii=False, indent=1) + "\n",
                             encoding="utf-8")
    if args.limit:
        print(f"not saved to {args.latest.name}: --limit run", file=sys.stderr)
    else:
        save_latest(args.latest, figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
