"""Train the line model of the dump cleaner (summarize/data/line_model.json).

    .venv/bin/python scripts/train_cleaner.py CORPUS_DIR
    .venv/bin/python scripts/train_cleaner.py CORPUS_DIR --no-save --cache /tmp/cleaner-cache.pkl

CORPUS_DIR holds the `scrapinghub` and `trafilatura` article-extraction
corpora and their `score.py` (see its README). Only `tune` pages
(`benchmarks/extraction_split.split_of`) are read for training and for
choosing the decision's settings; `holdout` pages are cleaned once at the end
and scored, nothing is chosen on them.

Labels. A unit of a dump (a line, or a hard-wrapped paragraph joined) is
scored against the gold:
- scrapinghub: the share of its word 4-gram shingles found among the gold
  body's (a soft label); a unit of fewer than four words counts when its
  words occur in the gold body in order and it stands between labelled body
  lines;
- trafilatura: 1 when it overlaps a `with` chunk, 0 when it overlaps a
  `without` chunk; units overlapping neither are not used.
Every page weighs the same; inside a page a unit weighs by the square root
of its length.

Steps: unit features of every tune dump (both renderers); out-of-fold
first-pass scores (four folds of pages) to train the second pass on honest
neighbour scores; out-of-fold second-pass scores to choose the decision's
keep threshold, skip cost and length weighting by the corpora's own F1; the
final two forests on all tune pages; then the real cleaner with the new
model on tune and holdout pages in batches of 50, scored by score.py. It
prints those figures and the strongest features. Deterministic: the folds
come from page ids, the row sampling from --seed.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import itertools
import json
import pickle
import re
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from extraction_split import split_of  # noqa: E402

from summarize.clean import linemodel  # noqa: E402
from summarize.clean.cleaner import _normalize_whitespace, _split_scraper_date, clean_inputs, repeated_lines  # noqa: E402
from summarize.clean.layout import analyse  # noqa: E402
from summarize.clean.lines import CONTEXT_FEATURES, UNIT_FEATURES, context_features, unit_features  # noqa: E402
from summarize.clean.linemodel import Decision, Forest, LineModel, fit_forest  # noqa: E402
from summarize.ingest.inputs import RawInput, decode_bytes  # noqa: E402

CORPORA = ("scrapinghub", "trafilatura")
DUMPS = ("inscriptis", "htmltext")
BATCH = 50
FOLDS = 4
FIRST = dict(rounds=150, depth=3, learning_rate=0.1, l2=1.0, min_hessian=1.0, subsample=0.8)
SECOND = dict(rounds=150, depth=3, learning_rate=0.1, l2=1.0, min_hessian=1.0, subsample=0.8)
GRID = dict(keep=(-1.0, -0.5, 0.0, 0.5, 1.0), skip=(0.5, 1.0, 2.0, 4.0), power=(0.3, 0.5, 0.7))
_TOKEN = re.compile(r"\w+")


@dataclass
class Page:
    corpus: str
    id: str
    dump: str
    units: list[str]
    title: int | None
    x: np.ndarray
    y: np.ndarray = field(default_factory=lambda: np.zeros(0))
    w: np.ndarray = field(default_factory=lambda: np.zeros(0))
    x2: np.ndarray = field(default_factory=lambda: np.zeros(0))


def load_scorer(corpus_dir: Path):
    spec = importlib.util.spec_from_file_location("extraction_corpus_score", corpus_dir / "score.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def dump_text(corpus_dir: Path, corpus: str, page_id: str, dump: str) -> str:
    return decode_bytes((corpus_dir / corpus / "dumps" / f"{page_id}.{dump}.txt").read_bytes()).text


# --- labels ---------------------------------------------------------------------------


def shingles(tokens: list[str], n: int = 4) -> list[tuple[str, ...]]:
    return [tuple(tokens[i:i + n]) for i in range(max(1, len(tokens) - n + 1))]


def scrapinghub_labels(units: list[str], body: str) -> tuple[np.ndarray, np.ndarray]:
    gold_tokens = _TOKEN.findall(body)
    grams = {n: set(shingles(gold_tokens, n)) for n in (1, 2, 3, 4)}
    y = np.zeros(len(units))
    short = []
    for i, text in enumerate(units):
        tokens = _TOKEN.findall(text)
        if len(tokens) >= 4:
            found = shingles(tokens)
            y[i] = sum(1 for s in found if s in grams[4]) / len(found)
        elif tokens:
            short.append((i, tuple(tokens) in grams[len(tokens)]))
    strong = np.flatnonzero(y >= 0.5)
    if len(strong):
        for i, inside in short:
            y[i] = float(inside and strong[0] < i < strong[-1])
    lengths = np.array([len(_TOKEN.findall(t)) for t in units], dtype=np.float64)
    w = np.sqrt(lengths + 1)
    w[lengths == 0] = 0
    return y, w / max(w.sum(), 1e-9)


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _occurrences(haystack: str, needle: str) -> list[tuple[int, int]]:
    spans, start = [], haystack.find(needle)
    while needle and start >= 0:
        spans.append((start, start + len(needle)))
        start = haystack.find(needle, start + 1)
    return spans


def trafilatura_labels(units: list[str], with_: list[str], without: list[str]) -> tuple[np.ndarray, np.ndarray]:
    normed = [_norm(t) for t in units]
    offsets, position = [], 0
    for text in normed:
        offsets.append((position, position + len(text)))
        position += len(text) + 1
    joined = " ".join(normed)
    positive, negative = np.zeros(len(units), bool), np.zeros(len(units), bool)
    for chunks, mark in ((with_, positive), (without, negative)):
        for chunk in chunks:
            for a, b in _occurrences(joined, _norm(chunk)):
                for i, (s, e) in enumerate(offsets):
                    if s < b and a < e:
                        mark[i] = True
    y = positive.astype(np.float64)
    w = np.sqrt(np.array([len(t) for t in normed], dtype=np.float64) / 5 + 1)
    w[~(positive ^ negative)] = 0  # neither, or both: no evidence about this unit
    return y, w / max(w.sum(), 1e-9)


# --- pages ----------------------------------------------------------------------------


def analysed(text: str, batch: frozenset[str]):
    _, text = _split_scraper_date(_normalize_whitespace(text))
    return analyse(text.split("\n"), batch)


def build_pages(corpus_dir: Path, golds: dict[str, list[dict]], split: str) -> list[Page]:
    """Features and labels of every dump of the given split; batch signals from that split only."""
    pages = []
    for corpus in CORPORA:
        rows = [g for g in golds[corpus] if split_of(g["id"]) == split]
        for dump in DUMPS:
            for start in range(0, len(rows), BATCH):
                batch_rows = rows[start:start + BATCH]
                texts = [dump_text(corpus_dir, corpus, g["id"], dump) for g in batch_rows]
                batch = repeated_lines(texts)
                for g, text in zip(batch_rows, texts):
                    layout = analysed(text, batch)
                    units = [u.text for u in layout.units]
                    page = Page(corpus, g["id"], dump, units, layout.title, unit_features(layout, batch))
                    if corpus == "scrapinghub":
                        page.y, page.w = scrapinghub_labels(units, g["body"])
                    else:
                        page.y, page.w = trafilatura_labels(units, g["with"], g["without"])
                    pages.append(page)
    return pages


def fold_of(page_id: str, seed: int) -> int:
    return int(hashlib.sha1(f"{seed}:{page_id}".encode()).hexdigest(), 16) % FOLDS


def fit(pages: list[Page], part: str, params: dict, seed: int) -> Forest:
    x = np.vstack([getattr(p, part) for p in pages])
    y = np.concatenate([p.y for p in pages])
    w = np.concatenate([p.w for p in pages])
    keep = w > 0
    return fit_forest(x[keep], y[keep], w[keep], seed=seed, **params)


def out_of_fold(pages: list[Page], part: str, params: dict, seed: int) -> list[np.ndarray]:
    """Each page scored by a forest that did not see it."""
    scores: list[np.ndarray | None] = [None] * len(pages)
    for k in range(FOLDS):
        train = [p for p in pages if fold_of(p.id, seed) != k]
        forest = fit(train, part, params, seed)
        for i, p in enumerate(pages):
            if fold_of(p.id, seed) == k:
                scores[i] = forest.predict(getattr(p, part))
    return scores  # type: ignore[return-value]


# --- decision ---------------------------------------------------------------------------


def body_text(page: Page, scores: np.ndarray, decision: Decision) -> str:
    """The article text the cleaner would print for these scores (the headline stands apart)."""
    return "\n\n".join(page.units[i] for i in linemodel.decide(page.x, page.units, page.title, scores, decision))


def corpus_f1(scorer, corpus: str, golds: dict[str, list[dict]], texts: dict[str, str]) -> float:
    return scorer.score(corpus, golds[corpus], {i: {"id": i, "text": t} for i, t in texts.items()}, ids=list(texts))["f1"]


def choose_decision(scorer, golds, pages: list[Page], scores: list[np.ndarray]) -> tuple[Decision, float]:
    best: tuple[float, Decision] | None = None
    for keep, skip, power in itertools.product(GRID["keep"], GRID["skip"], GRID["power"]):
        decision = Decision(keep=keep, skip=skip, power=power)
        figures = []
        for corpus, dump in itertools.product(CORPORA, DUMPS):
            texts = {p.id: body_text(p, s, decision) for p, s in zip(pages, scores)
                     if p.corpus == corpus and p.dump == dump}
            figures.append(corpus_f1(scorer, corpus, golds, texts))
        value = float(np.mean(figures))
        if best is None or value > best[0]:
            best = (value, decision)
    assert best is not None
    return best[1], best[0]


# --- evaluation ---------------------------------------------------------------------------


def evaluate(scorer, corpus_dir: Path, golds: dict[str, list[dict]]) -> dict[tuple[str, str, str], float]:
    """The real cleaner, batches of 50 in gold order as benchmarks/extraction.py cleans them."""
    figures: dict[tuple[str, str, str], float] = {}
    for corpus, dump in itertools.product(CORPORA, DUMPS):
        rows = golds[corpus]
        predictions = {}
        for start in range(0, len(rows), BATCH):
            batch = rows[start:start + BATCH]
            raw = [RawInput(f"{g['id']}.{dump}",
                            (corpus_dir / corpus / "dumps" / f"{g['id']}.{dump}.txt").read_bytes()) for g in batch]
            for g, article in zip(batch, clean_inputs(raw)):
                predictions[g["id"]] = {"id": g["id"], "text": article.text if article.ok else None}
        for split in ("tune", "holdout"):
            ids = [g["id"] for g in rows if split_of(g["id"]) == split]
            figures[(corpus, dump, split)] = scorer.score(corpus, rows, predictions, ids=ids)["f1"]
    return figures


def print_figures(figures: dict[tuple[str, str, str], float], label: str) -> None:
    print(f"\n{label}")
    print(f"{'split':<8} {'dump':<11} {'SH F1':>6} {'TR F1':>6}")
    for split in ("tune", "holdout"):
        for dump in DUMPS:
            print(f"{split:<8} {dump:<11} {figures[('scrapinghub', dump, split)]:6.3f} "
                  f"{figures[('trafilatura', dump, split)]:6.3f}")


def importance(forest: Forest, names: list[str], x: np.ndarray) -> list[tuple[str, float]]:
    """Mean absolute change of the log-odds a feature's splits make, over the given rows."""
    totals = np.zeros(len(names))
    for t in range(forest.feature.shape[0]):
        single = Forest(forest.depth, 0.0, forest.feature[t:t + 1], forest.threshold[t:t + 1], forest.leaf[t:t + 1])
        spread = np.abs(single.predict(x)).mean()
        used = {int(f) for f, th in zip(forest.feature[t], forest.threshold[t]) if np.isfinite(th)}
        for f in used:
            totals[f] += spread / len(used)
    order = np.argsort(-totals)
    return [(names[i], float(totals[i])) for i in order if totals[i] > 0]


# --- main ----------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus_dir", type=Path)
    parser.add_argument("--out", type=Path, default=REPO / "summarize" / "data" / linemodel.MODEL_FILE)
    parser.add_argument("--no-save", action="store_true", help="train and score, but keep the shipped model")
    parser.add_argument("--cache", type=Path, help="keep the tune pages' features here between runs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    started = time.perf_counter()
    scorer = load_scorer(args.corpus_dir)
    golds = {c: scorer.load_gold(c, "all", args.corpus_dir / c / "gold.jsonl") for c in CORPORA}
    if args.cache and args.cache.is_file():
        pages = pickle.loads(args.cache.read_bytes())
    else:
        pages = build_pages(args.corpus_dir, golds, "tune")
        if args.cache:
            args.cache.write_bytes(pickle.dumps(pages))
    assert all(split_of(p.id) == "tune" for p in pages)
    print(f"{len(pages)} tune dumps, {sum(len(p.units) for p in pages)} units "
          f"({time.perf_counter() - started:.0f} s)")

    first_oof = out_of_fold(pages, "x", FIRST, args.seed)
    for p, s in zip(pages, first_oof):
        p.x2 = np.hstack((p.x, context_features(s, p.x)))
    second_oof = out_of_fold(pages, "x2", SECOND, args.seed)
    decision, value = choose_decision(scorer, golds, pages, second_oof)
    print(f"decision {vars(decision)}: out-of-fold mean F1 {value:.3f} ({time.perf_counter() - started:.0f} s)")

    first = fit(pages, "x", FIRST, args.seed)
    for p in pages:
        p.x2 = np.hstack((p.x, context_features(first.predict(p.x), p.x)))
    second = fit(pages, "x2", SECOND, args.seed)
    model = LineModel(first, second, decision)

    linemodel.use_model(model)
    figures = evaluate(scorer, args.corpus_dir, golds)
    linemodel.use_model(None)
    print_figures(figures, "the cleaner with this model (F1, score.py)")

    names2 = list(UNIT_FEATURES) + list(CONTEXT_FEATURES)
    x_all = np.vstack([p.x for p in pages])
    x2_all = np.vstack([p.x2 for p in pages])
    print("\nstrongest features, first pass:", ", ".join(f"{n} {v:.3f}" for n, v in importance(first, list(UNIT_FEATURES), x_all)[:12]))
    print("strongest features, second pass:", ", ".join(f"{n} {v:.3f}" for n, v in importance(second, names2, x2_all)[:12]))

    if not args.no_save:
        args.out.write_text(json.dumps(model.to_json(), separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"\nwrote {args.out} ({args.out.stat().st_size // 1024} KiB)")
    print(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
