"""Sparse vectors, cosine similarity and agglomerative clustering, in the
small form clustering a day's articles needs (numpy and scipy).

TF-IDF is the usual "smooth" variant: idf = ln((1 + n) / (1 + df)) + 1, rows
scaled to unit length, so that the product of two rows is their cosine.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence

import numpy as np
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.sparse import coo_matrix, csr_matrix
from scipy.sparse.csgraph import connected_components
from scipy.spatial.distance import squareform

# Rows are kept as compact arrays from the start: Python lists and dicts of
# a whole day's terms would cost many times the articles' own text.
Row = tuple[np.ndarray, np.ndarray]  # column numbers, values


def csr_rows(rows: Sequence[Row], width: int) -> csr_matrix:
    """The rows stacked into one sparse matrix of `width` columns."""
    indptr = np.cumsum([0] + [len(columns) for columns, _ in rows])
    indices = np.concatenate([columns for columns, _ in rows]) if rows else np.zeros(0, dtype=np.int64)
    data = np.concatenate([values for _, values in rows]) if rows else np.zeros(0)
    return csr_matrix((data, indices, indptr), shape=(len(rows), width))


def sparse_row(weights: Mapping[str, float], vocabulary: dict[str, int], *, grow: bool) -> Row:
    """One row over `vocabulary`; with `grow`, unseen features get new columns,
    else they are left out."""
    columns, values = [], []
    for feature, value in weights.items():
        column = vocabulary.setdefault(feature, len(vocabulary)) if grow else vocabulary.get(feature)
        if column is not None:
            columns.append(column)
            values.append(value)
    return np.array(columns, dtype=np.int64), np.array(values, dtype=np.float64)


def smooth_idf(matrix: csr_matrix) -> np.ndarray:
    documents = np.bincount(matrix.indices, minlength=matrix.shape[1])
    return np.log((1.0 + matrix.shape[0]) / (1.0 + documents)) + 1.0


def _unit_rows(matrix: csr_matrix) -> csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return csr_matrix(matrix.multiply(scale[:, None]))


def cosine(matrix: csr_matrix) -> np.ndarray:
    unit = _unit_rows(matrix)
    return (unit @ unit.T).toarray()


def sublinear_weights(terms: list[str]) -> dict[str, float]:
    return {term: 1.0 + np.log(count) for term, count in Counter(terms).items()}


def connected_labels(count: int, pairs: Sequence[tuple[int, int]]) -> list[int]:
    """A label per item, equal for items joined by a chain of pairs."""
    rows = np.array([a for a, _ in pairs], dtype=np.int64)
    cols = np.array([b for _, b in pairs], dtype=np.int64)
    graph = coo_matrix((np.ones(len(pairs)), (rows, cols)), shape=(count, count))
    return connected_components(graph, directed=False)[1].tolist()


def average_linkage(distance: np.ndarray, threshold: float) -> list[int]:
    """A label per item from agglomerative clustering with average linkage:
    the two closest groups merge while their mean pairwise distance is below
    `threshold` (scipy merges up to and including its cut, hence the next
    float down)."""
    if len(distance) < 2:
        return list(range(len(distance)))
    merges = linkage(squareform(distance, checks=False), method="average")
    return fcluster(merges, np.nextafter(threshold, -np.inf), criterion="distance").tolist()
