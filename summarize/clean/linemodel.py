"""The learned line model: which lines of a page dump are the article.

Two passes of small boosted trees score each unit of an analysed page
(`layout.Layout`). The first pass reads the unit's own features and its
immediate neighbourhood (`lines.unit_features`); the second reads the same
plus what the first pass scored around it (`lines.context_features`), so
that a sentence-like line among teasers and a short line inside the article
are judged by their company. The body is then the one stretch of the page
whose kept lines outweigh the lines it would have to skip (`lines.best_stretch`),
and inside it the lines that score above the keep threshold.

The model is a JSON file in `summarize/data/` written by
`scripts/train_cleaner.py`; it is read once per process. The trees are
evaluated level by level for all units at once, which costs well under a
millisecond per page. `fit_forest` is the trainer (gradient boosting with
the logistic loss on histogram bins); it lives here so that the trees it
grows and the trees `Forest.predict` walks cannot drift apart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import numpy as np

from summarize.clean.boilerplate import normalize
from summarize.clean.layout import Layout
from summarize.clean.lines import (
    CONTEXT_FEATURES,
    UNIT_FEATURES,
    best_stretch,
    context_features,
    unit_features,
)

MODEL_FILE = "line_model.json"


@dataclass
class Forest:
    """Boosted trees of one depth; node k's children are 2k+1 and 2k+2, leaves follow the inner nodes."""

    depth: int
    base: float
    feature: np.ndarray  # (trees, inner nodes) column index
    threshold: np.ndarray  # (trees, inner nodes): go right when x > threshold
    leaf: np.ndarray  # (trees, 2**depth) log-odds contributions

    def predict(self, x: np.ndarray) -> np.ndarray:
        """Log-odds for each row of `x`."""
        n = x.shape[0]
        trees = self.feature.shape[0]
        if not n or not trees:
            return np.full(n, self.base)
        node = np.zeros((trees, n), dtype=np.int64)
        tree_index = np.arange(trees)[:, None]
        rows = np.arange(n)[None, :]
        for _ in range(self.depth):
            column = self.feature[tree_index, node]
            right = x[rows, column] > self.threshold[tree_index, node]
            node = 2 * node + 1 + right
        first_leaf = 2 ** self.depth - 1
        return self.base + self.leaf[tree_index, node - first_leaf].sum(axis=0)

    def to_json(self) -> dict:
        return {"depth": self.depth, "base": round(float(self.base), 6),
                "feature": self.feature.tolist(), "threshold": [[_round(t) for t in row] for row in self.threshold],
                "leaf": [[_round(v) for v in row] for row in self.leaf]}

    @classmethod
    def from_json(cls, data: dict) -> Forest:
        depth = int(data["depth"])
        inner, leaves = 2 ** depth - 1, 2 ** depth
        return cls(
            depth=depth,
            base=float(data["base"]),
            feature=np.asarray(data["feature"], dtype=np.int64).reshape(-1, inner),
            threshold=np.asarray(data["threshold"], dtype=np.float64).reshape(-1, inner),
            leaf=np.asarray(data["leaf"], dtype=np.float64).reshape(-1, leaves),
        )


def _round(value: float) -> float:
    return float(f"{float(value):.6g}")


@dataclass
class Decision:
    """How scores become a body: keep above `keep`; inside the region a dropped line costs
    its shortfall, at most `skip`; both count times the line's length in characters
    to the power `power`."""

    keep: float = 0.0
    skip: float = 2.0
    power: float = 0.5


# What the rules know for certain overrides the scores: these lines are never
# article text, whatever their neighbours (on the tune pages under 2 % of them
# are, by weight).
NEVER_KEPT = tuple(f"kind_{k}" for k in ("stop", "teaser", "meta", "title")) + tuple(
    f"reason_{r}" for r in ("batch", "phrase", "credit", "caption", "breadcrumb", "app_store", "comments", "code",
                            "copyright", "consent", "pointer", "number", "inline_related"))
# A heading over other stories, or the comments, ends the article when less
# article text follows it than precedes it; otherwise it heads a box inside.
ENDINGS = ("kind_stop", "kind_teaser", "reason_comments")
# Short lines that end like a sentence right after the body ("Die Lage bleibt
# angespannt.") close it, though alone they score as labels: up to this many,
# when they score at most this far below the keep threshold.
CLOSING_LINES, CLOSING_TOLERANCE, CLOSING_WORDS = 3, 1.0, 25
_COLUMN = {name: i for i, name in enumerate(UNIT_FEATURES)}
_NEVER_KEPT_COLUMNS = [_COLUMN[name] for name in NEVER_KEPT]
_ENDING_COLUMNS = [_COLUMN[name] for name in ENDINGS]


@dataclass
class LineModel:
    first: Forest
    second: Forest
    decision: Decision

    def scores(self, x: np.ndarray) -> np.ndarray:
        """Second-pass log-odds that each unit (a row of unit features) belongs to the article."""
        first = self.first.predict(x)
        return self.second.predict(np.hstack((x, context_features(first, x))))

    def to_json(self) -> dict:
        return {"unit_features": list(UNIT_FEATURES), "context_features": list(CONTEXT_FEATURES),
                "first": self.first.to_json(), "second": self.second.to_json(),
                "decision": vars(self.decision)}

    @classmethod
    def from_json(cls, data: dict) -> LineModel:
        if tuple(data["unit_features"]) != UNIT_FEATURES or tuple(data["context_features"]) != CONTEXT_FEATURES:
            raise ValueError("line model was trained on other features; retrain it with scripts/train_cleaner.py")
        return cls(Forest.from_json(data["first"]), Forest.from_json(data["second"]), Decision(**data["decision"]))


_override: LineModel | None = None


@lru_cache(maxsize=1)
def _shipped() -> LineModel:
    text = resources.files("summarize.data").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return LineModel.from_json(json.loads(text))


def load_model() -> LineModel:
    """The model in use: the shipped one unless `use_model` set another."""
    return _override if _override is not None else _shipped()


def use_model(model: LineModel | None) -> None:
    """Clean with `model` from now on (None: the shipped model again); for training and tests."""
    global _override
    _override = model


def decide(x: np.ndarray, texts: list[str], title: int | None, scores: np.ndarray, decision: Decision) -> list[int]:
    """The body's units: those above the keep threshold inside the best region, each text once.

    A kept line adds its margin over the threshold, a skipped line inside the
    region costs its shortfall up to `skip`, both times the line's weight; the
    region is the stretch with the largest total. It then ends at a list of
    other stories or the comments (`ENDINGS`) and takes in closing short lines.
    """
    scores = np.asarray(scores, dtype=np.float64)
    if not len(scores):
        return []
    margin = scores - decision.keep
    blocked = x[:, _NEVER_KEPT_COLUMNS].any(axis=1)
    if title is not None:
        blocked[title] = True  # the headline is printed apart, above the body
    keep = (margin > 0) & ~blocked
    lengths = np.array([max(len(t), 1) for t in texts], dtype=np.float64)
    values = np.where(keep, margin, -np.minimum(np.abs(margin), decision.skip)) * lengths ** decision.power
    start, end, _ = best_stretch(values)
    if end < start:
        return []
    kept_chars = np.cumsum(np.where(keep, lengths, 0.0))
    for i in range(start, end + 1):
        if x[i, _ENDING_COLUMNS].any():
            before = kept_chars[i] - (kept_chars[start - 1] if start else 0.0)
            if before > 0 and kept_chars[end] - kept_chars[i] < before:
                end = i - 1
                break
    # A lead above the byline, date or picture belongs to the body below them.
    i = start - 1
    while i >= 0 and i != title and (blocked[i] or keep[i]):
        if keep[i]:
            start = i
        i -= 1
    last = max((i for i in range(start, end + 1) if keep[i]), default=end)
    for i in range(last + 1, min(last + 1 + CLOSING_LINES, len(texts))):
        if not _closes(x[i], margin[i]) or blocked[i]:
            break
        keep[i], end = True, i
    seen = {normalize(texts[title])} if title is not None else set()
    body = []
    for i in range(start, end + 1):
        key = normalize(texts[i])
        if keep[i] and key not in seen:
            body.append(i)
            seen.add(key)
    return body


def _closes(row: np.ndarray, margin: float) -> bool:
    return bool(row[_COLUMN["kind_short"]] and row[_COLUMN["ends_sentence"]] and not row[_COLUMN["repeated"]]
                and row[_COLUMN["log_words"]] <= np.log1p(CLOSING_WORDS) and margin > -CLOSING_TOLERANCE)


def select_body(layout: Layout, batch_lines: frozenset[str], model: LineModel | None = None) -> list[int]:
    """Indices of the units that form the article body, in page order."""
    if not layout.units:
        return []
    model = model or load_model()
    x = unit_features(layout, batch_lines)
    return decide(x, [u.text for u in layout.units], layout.title, model.scores(x), model.decision)


# --- training -------------------------------------------------------------------------


def quantile_bins(x: np.ndarray, max_bins: int = 32) -> list[np.ndarray]:
    """Candidate thresholds per column: midpoints between distinct quantiles."""
    edges = []
    qs = np.linspace(0, 1, max_bins + 1)[1:-1]
    for j in range(x.shape[1]):
        values = np.unique(np.quantile(x[:, j], qs, method="nearest"))
        distinct = np.unique(x[:, j])
        if len(distinct) <= max_bins:
            values = distinct
        edges.append(((values[:-1] + values[1:]) / 2) if len(values) > 1 else np.zeros(0))
    return edges


def fit_forest(
    x: np.ndarray,
    y: np.ndarray,
    w: np.ndarray,
    *,
    rounds: int = 200,
    depth: int = 3,
    learning_rate: float = 0.1,
    l2: float = 1.0,
    min_hessian: float = 1.0,
    subsample: float = 0.8,
    max_bins: int = 32,
    seed: int = 0,
) -> Forest:
    """Gradient-boosted trees for the logistic loss; `y` may be a soft label in [0, 1].

    Rows are binned once; every split of every node is scored from histograms of
    gradient and hessian, all columns in one bincount. Deterministic for a seed.
    """
    rng = np.random.default_rng(seed)
    n, m = x.shape
    edges = quantile_bins(x, max_bins)
    nb = max_bins
    binned = np.zeros((n, m), dtype=np.int64)
    for j, e in enumerate(edges):
        binned[:, j] = np.searchsorted(e, x[:, j], side="left")  # bin b holds x <= e[b]
    offsets = np.arange(m, dtype=np.int64) * nb
    flat = binned + offsets
    w = w / w.sum() * n  # hessian thresholds then read in "rows"
    mean = float(np.clip(np.average(y, weights=w), 1e-4, 1 - 1e-4))
    base = float(np.log(mean / (1 - mean)))
    raw = np.full(n, base)
    inner, leaves = 2 ** depth - 1, 2 ** depth
    features = np.zeros((rounds, inner), dtype=np.int64)
    thresholds = np.full((rounds, inner), np.inf)
    leaf_values = np.zeros((rounds, leaves))
    for t in range(rounds):
        p = 1 / (1 + np.exp(-raw))
        g = w * (p - y)
        h = w * p * (1 - p)
        rows = np.flatnonzero(rng.random(n) < subsample) if subsample < 1 else np.arange(n)
        members = {0: rows}
        for node in range(inner):
            idx = members.pop(node, np.zeros(0, dtype=np.int64))
            left_child, right_child = 2 * node + 1, 2 * node + 2
            split = _best_split(flat[idx], g[idx], h[idx], m, nb, l2, min_hessian) if len(idx) else None
            if split is None:
                # No useful split: everything goes left, the right child stays empty.
                members[left_child], members[right_child] = idx, np.zeros(0, dtype=np.int64)
                continue
            j, b = split
            features[t, node] = j
            thresholds[t, node] = edges[j][b]
            go_right = binned[idx, j] > b
            members[left_child], members[right_child] = idx[~go_right], idx[go_right]
        for k in range(leaves):
            idx = members.get(inner + k, np.zeros(0, dtype=np.int64))
            if len(idx):
                leaf_values[t, k] = -learning_rate * g[idx].sum() / (h[idx].sum() + l2)
        forest = Forest(depth, 0.0, features[t:t + 1], thresholds[t:t + 1], leaf_values[t:t + 1])
        raw += forest.predict(x) - 0.0
    return Forest(depth, base, features, thresholds, leaf_values)


def _best_split(flat: np.ndarray, g: np.ndarray, h: np.ndarray, m: int, nb: int,
                l2: float, min_hessian: float) -> tuple[int, int] | None:
    size = m * nb
    hist_g = np.bincount(flat.ravel(), weights=np.repeat(g, m), minlength=size).reshape(m, nb)
    hist_h = np.bincount(flat.ravel(), weights=np.repeat(h, m), minlength=size).reshape(m, nb)
    left_g, left_h = np.cumsum(hist_g, axis=1)[:, :-1], np.cumsum(hist_h, axis=1)[:, :-1]
    total_g, total_h = hist_g[0].sum(), hist_h[0].sum()
    right_g, right_h = total_g - left_g, total_h - left_h
    gain = left_g ** 2 / (left_h + l2) + right_g ** 2 / (right_h + l2) - total_g ** 2 / (total_h + l2)
    gain[(left_h < min_hessian) | (right_h < min_hessian)] = -np.inf
    best = int(np.argmax(gain))
    j, b = divmod(best, nb - 1)
    if not np.isfinite(gain[j, b]) or gain[j, b] <= 1e-9:
        return None
    return j, b
