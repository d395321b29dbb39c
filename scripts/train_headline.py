"""Train the headline model of the dump cleaner (summarize/data/headline_model.json).

    .venv/bin/python scripts/train_headline.py CORPUS_DIR
    .venv/bin/python scripts/train_headline.py CORPUS_DIR --no-save --cache /tmp/headline-pages.pkl

CORPUS_DIR holds the `trafilatura` article-extraction corpus (gold `title` per
page, two dumps per page; see its README). Training reads only its `tune`
pages (`benchmarks/extraction_split.split_of`) and the `dev` pages of
`evals/cleaning`; the `holdout` and `test` pages are scored at the end and
nothing is chosen on them.

Labels: a candidate line is the headline when it equals the gold title
(after Unicode folding, case and edge punctuation); a page whose gold title
is no candidate line, or that has no headline (`evals/cleaning` null), wants
"no headline".

Two linear models. The ranker scores candidate lines with a softmax over
each page's candidates (pages that have the headline among them; a page of
`evals/cleaning` weighs `--ev-weight` pages, since those are the scraped news
dumps the cleaner is for). The "no headline" decision is a logistic model on
the best candidate: its score, its lead over the runner-up and a few of its
features, trained on out-of-fold ranker scores (four folds of page ids);
it answers "emit the best line" when the best line was the headline, and
"no headline" when the page has none (or none among the candidates).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import pickle
import re
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy.optimize import minimize

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "benchmarks"))

from extraction_split import split_of  # noqa: E402

from summarize.clean import headline  # noqa: E402
from summarize.clean.boilerplate import breadcrumb_parts  # noqa: E402
from summarize.clean.cleaner import (  # noqa: E402
    _normalize_whitespace,
    _split_scraper_date,
    repeated_lines,
)
from summarize.clean.layout import build_units, classify  # noqa: E402
from summarize.ingest.inputs import decode_bytes  # noqa: E402

DUMPS = ("inscriptis", "htmltext")
BATCH = 50
FOLDS = 4
_EDGE = re.compile(r"^[\W_]+|[\W_]+$", re.UNICODE)


def norm_title(text: str | None) -> str:
    """The corpus scorer's title key: NFKC, casefold, collapsed spaces, no edge punctuation."""
    text = unicodedata.normalize("NFKC", text or "").casefold()
    return _EDGE.sub("", re.sub(r"\s+", " ", text).strip())


@dataclass
class Page:
    source: str  # "trafilatura/<dump>" or "cleaning"
    id: str
    split: str
    gold: str | None
    found: list[int]
    texts: list[str]
    x: np.ndarray
    y: np.ndarray  # which candidates are the headline

    @property
    def titled(self) -> bool:
        return bool(self.y.any())


def _prepared(data: bytes) -> str:
    return _split_scraper_date(_normalize_whitespace(decode_bytes(data).text))[1]


def _page(source: str, page_id: str, split: str, gold: str | None, text: str, batch: frozenset[str]) -> Page:
    units = build_units(text.split("\n"))
    classify(units, batch)
    crumb = next((parts[-1] for u in units if u.reason == "breadcrumb" and (parts := breadcrumb_parts(u.text))),
                 None)
    found, rows = headline.candidate_rows(units, crumb)
    want = norm_title(gold) if gold else None
    texts = [units[i].text for i in found]
    y = np.array([want is not None and norm_title(headline.strip_bullet(t)) == want for t in texts], dtype=bool)
    x = np.array(rows, dtype=np.float64).reshape(len(rows), len(headline.FEATURES))
    return Page(source, page_id, split, gold, found, texts, x, y)


def load_pages(corpus_dir: Path) -> list[Page]:
    pages: list[Page] = []
    gold = [json.loads(line) for line in (corpus_dir / "trafilatura" / "gold.jsonl").open(encoding="utf-8")]
    for dump in DUMPS:
        # Batches as a user's run would make them: lines repeated across pages are site chrome.
        for start in range(0, len(gold), BATCH):
            chunk = gold[start:start + BATCH]
            texts = [_prepared((corpus_dir / "trafilatura" / "dumps" / f"{g['id']}.{dump}.txt").read_bytes())
                     for g in chunk]
            batch = repeated_lines(texts)
            for g, text in zip(chunk, texts):
                if g.get("title"):
                    pages.append(_page(f"trafilatura/{dump}", g["id"], split_of(g["id"]), g["title"], text, batch))
    cleaning = [json.loads(line) for line in (REPO / "evals" / "cleaning" / "gold.jsonl").open(encoding="utf-8")]
    texts = [_prepared((REPO / g["path"]).read_bytes()) for g in cleaning]
    batch = repeated_lines(texts)
    for g, text in zip(cleaning, texts):
        pages.append(_page("cleaning", g["id"], g["split"], g["title"], text, batch))
    return pages


def _fold(page_id: str) -> int:
    return int(hashlib.md5(page_id.encode()).hexdigest(), 16) % FOLDS


def _weight(page: Page, ev_weight: float) -> float:
    return ev_weight if page.source == "cleaning" else 1.0


# --- the ranker --------------------------------------------------------------------------


@dataclass
class Ranker:
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray

    def scores(self, x: np.ndarray) -> np.ndarray:
        return ((x - self.mean) / self.scale) @ self.weights if len(x) else np.zeros(0)


def fit_ranker(pages: list[Page], l2: float, ev_weight: float) -> Ranker:
    used = [p for p in pages if p.titled]
    x_all = np.concatenate([p.x for p in used])
    mean, scale = x_all.mean(axis=0), x_all.std(axis=0)
    scale[scale < 1e-6] = 1.0
    data = [((p.x - mean) / scale, p.y, _weight(p, ev_weight)) for p in used]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        total, grad = 0.5 * l2 * float(w @ w), l2 * w
        for z, y, weight in data:
            s = z @ w
            top = s.max()
            e = np.exp(s - top)
            p = e / e.sum()
            # Any line equal to the headline is a right answer: the log of their total probability.
            q = np.where(y, e, 0.0)
            q /= q.sum()
            total += weight * (np.log(e.sum()) - np.log(e[y].sum()))
            grad = grad + weight * (z.T @ (p - q))
        return total, grad

    w = minimize(loss, np.zeros(x_all.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 1000}).x
    return Ranker(mean, scale, w)


# --- the "no headline" decision -----------------------------------------------------------

NONE_FEATURES = ("ends_period", "ends_sentence", "words_21_30", "words_31_plus", "starts_lower", "credit",
                 "kind_prose", "last_heading", "gap_strong", "prose_before", "meta_after", "mentions", "bullet",
                 "no_strong_after", "position")


def none_row(scores: np.ndarray, x: np.ndarray) -> list[float] | None:
    if not len(scores):
        return None
    order = np.argsort(-scores)
    best = order[0]
    lead = float(scores[best] - scores[order[1]]) if len(order) > 1 else headline.LEAD_CAP
    col = {name: i for i, name in enumerate(headline.FEATURES)}
    return [float(scores[best]), min(lead, headline.LEAD_CAP)] + [float(x[best, col[n]]) for n in NONE_FEATURES]


@dataclass
class NoneModel:
    mean: np.ndarray
    scale: np.ndarray
    weights: np.ndarray
    bias: float

    def emit(self, row: list[float]) -> bool:
        return float(((np.array(row) - self.mean) / self.scale) @ self.weights + self.bias) > 0


def fit_none(rows: list[list[float]], labels: list[int], weights: list[float], l2: float) -> NoneModel:
    x, y, sw = np.array(rows), np.array(labels, dtype=np.float64), np.array(weights)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    z = np.c_[(x - mean) / scale, np.ones(len(x))]

    def loss(t: np.ndarray) -> tuple[float, np.ndarray]:
        p = 1 / (1 + np.exp(-(z @ t)))
        total = -float((sw * (y * np.log(p + 1e-12) + (1 - y) * np.log(1 - p + 1e-12))).sum())
        grad = z.T @ (sw * (p - y))
        total += 0.5 * l2 * float(t[:-1] @ t[:-1])
        grad[:-1] += l2 * t[:-1]
        return total, grad

    t = minimize(loss, np.zeros(z.shape[1]), jac=True, method="L-BFGS-B").x
    return NoneModel(mean, scale, t[:-1], float(t[-1]))


def none_data(pages: list[Page], scores: dict[int, np.ndarray], ev_weight: float):
    rows, labels, weights = [], [], []
    for page in pages:
        row = none_row(scores[id(page)], page.x)
        if row is None:
            continue
        if not page.titled:
            label = 0
        elif page.y[int(np.argmax(scores[id(page)]))]:
            label = 1
        else:
            continue  # the ranker was wrong: either answer is wrong
        rows.append(row)
        labels.append(label)
        weights.append(_weight(page, ev_weight))
    return rows, labels, weights


def out_of_fold(pages: list[Page], l2: float, ev_weight: float) -> dict[int, np.ndarray]:
    scores: dict[int, np.ndarray] = {}
    for k in range(FOLDS):
        ranker = fit_ranker([p for p in pages if _fold(p.id) != k], l2, ev_weight)
        for page in pages:
            if _fold(page.id) == k:
                scores[id(page)] = ranker.scores(page.x)
    return scores


# --- evaluation ----------------------------------------------------------------------------


def answer(page: Page, scores: np.ndarray, none: NoneModel) -> int | None:
    row = none_row(scores, page.x)
    if row is None or not none.emit(row):
        return None
    return int(np.argmax(scores))


def right(page: Page, chosen: int | None) -> bool:
    if page.gold is None:
        return chosen is None
    return chosen is not None and bool(page.y[chosen])


def report(label: str, pages: list[Page], picks: dict[int, int | None]) -> dict[str, str]:
    out = {}
    for source in sorted({p.source for p in pages}):
        for split in sorted({p.split for p in pages if p.source == source}):
            group = [p for p in pages if p.source == source and p.split == split]
            titled = [p for p in group if p.gold is not None]
            ok = sum(right(p, picks[id(p)]) for p in group)
            ok_titled = sum(right(p, picks[id(p)]) for p in titled)
            out[f"{source}/{split}"] = f"{ok}/{len(group)} (with headline {ok_titled}/{len(titled)})"
    print(label)
    for key, value in out.items():
        print(f"  {key:<28} {value}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus_dir", type=Path)
    parser.add_argument("--l2", type=float, default=1.0)
    parser.add_argument("--none-l2", type=float, default=1.0)
    parser.add_argument("--ev-weight", type=float, default=5.0)
    parser.add_argument("--cache", type=Path, help="pickle of the candidate rows, made once and reused")
    parser.add_argument("--no-save", action="store_true")
    parser.add_argument("--verbose", action="store_true", help="list the evals/cleaning pages missed")
    parser.add_argument("--held-out", action="store_true", help="also score the held-out pages (choose nothing on them)")
    args = parser.parse_args()

    if args.cache and args.cache.exists():
        pages = pickle.loads(args.cache.read_bytes())
    else:
        pages = load_pages(args.corpus_dir)
        if args.cache:
            args.cache.write_bytes(pickle.dumps(pages))
    tune = [p for p in pages if p.split in ("tune", "dev")]
    held = [p for p in pages if p.split in ("holdout", "test")]

    # Honest figures on tune: ranker scores out of fold, the decision fitted on the other folds' pages.
    scores = out_of_fold(tune, args.l2, args.ev_weight)
    picks: dict[int, int | None] = {}
    for k in range(FOLDS):
        none = fit_none(*none_data([p for p in tune if _fold(p.id) != k], scores, args.ev_weight), args.none_l2)
        for page in tune:
            if _fold(page.id) == k:
                picks[id(page)] = answer(page, scores[id(page)], none)
    report("tune, out of fold", tune, picks)
    if args.verbose:
        for page in tune:
            chosen = picks[id(page)]
            if page.source == "cleaning" and not right(page, chosen):
                got = page.texts[chosen] if chosen is not None else None
                print(f"  {page.id}: chose {got!r}, gold {page.gold!r}")

    ranker = fit_ranker(tune, args.l2, args.ev_weight)
    none = fit_none(*none_data(tune, scores, args.ev_weight), args.none_l2)
    if args.held_out:
        report("held out", held, {id(p): answer(p, ranker.scores(p.x), none) for p in held})
    order = np.argsort(-np.abs(ranker.weights))
    print("strongest ranker features:", ", ".join(f"{headline.FEATURES[i]} {ranker.weights[i]:+.2f}"
                                                    for i in order[:15]))
    if args.no_save:
        return
    model = headline.HeadlineModel(
        names=headline.FEATURES,
        mean=tuple(round(float(v), 6) for v in ranker.mean),
        scale=tuple(round(float(v), 6) for v in ranker.scale),
        weights=tuple(round(float(v), 6) for v in ranker.weights),
        none_names=NONE_FEATURES,
        none_mean=tuple(round(float(v), 6) for v in none.mean),
        none_scale=tuple(round(float(v), 6) for v in none.scale),
        none_weights=tuple(round(float(v), 6) for v in none.weights),
        none_bias=round(none.bias, 6),
    )
    path = REPO / "summarize" / "data" / headline.MODEL_FILE
    path.write_text(json.dumps(model.to_json(), indent=1) + "\n", encoding="utf-8")
    print(f"wrote {path.relative_to(REPO)}")


if __name__ == "__main__":
    main()
