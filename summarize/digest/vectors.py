"""Sparse vectors, cosine similarity and agglomerative clustering, in the
small form clustering a day's articles needs (numpy and scipy).

TF-IDF is the usual "smooth" variant: idf = ln((1 + n) / (1 + df)) + 1, rows
scaled to unit length, so that the product of two rows is their cosine.
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence

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
    indices = np.concatenate([columns for columns, _ in rows]) if rows else np.zeros(0, dtype=np.int32)
    data = np.concatenate([values for _, values in rows]) if rows else np.zeros(0)
    return csr_matrix((data, indices, indptr), shape=(len(rows), width))


def sparse_matrix(rows: Iterable[Mapping[str, float]], vocabulary: dict[str, int], *, grow: bool) -> csr_matrix:
    """One row per mapping over `vocabulary`, as many columns as it has in
    the end; with `grow`, unseen features get new columns, else they are
    left out. Built in flat buffers, not as a list of small arrays to be
    joined: those took twice the finished matrix at once."""
    indices, data, indptr = array("i"), array("d"), array("q", [0])
    for weights in rows:
        for feature, value in weights.items():
            column = vocabulary.setdefault(feature, len(vocabulary)) if grow else vocabulary.get(feature)
            if column is not None:
                indices.append(column)
                data.append(value)
        indptr.append(len(indices))
    return csr_matrix((np.frombuffer(data, dtype=np.float64), np.frombuffer(indices, dtype=np.int32),
                       np.frombuffer(indptr, dtype=np.int64)), shape=(len(indptr) - 1, len(vocabulary)))


def smooth_idf(matrix: csr_matrix) -> np.ndarray:
    documents = np.bincount(matrix.indices, minlength=matrix.shape[1])
    return np.log((1.0 + matrix.shape[0]) / (1.0 + documents)) + 1.0


def _unit_rows(matrix: csr_matrix) -> csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    return csr_matrix(matrix.multiply(scale[:, None]))


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


def weighted_unit_rows(matrix: csr_matrix, weights: np.ndarray) -> csr_matrix:
    """`matrix` with every column scaled by its weight and every row then to
    unit length, so that the product of two rows is their cosine. In place:
    a large pile's matrix is not copied for each step. The unit rows are
    kept in single precision: a cosine needs no more than its seven digits,
    and a day's term matrices and their transposed copies were the largest
    arrays of a digest's peak."""
    matrix.data *= weights[matrix.indices]
    owners = np.repeat(np.arange(matrix.shape[0]), np.diff(matrix.indptr))
    norms = np.sqrt(np.bincount(owners, weights=matrix.data * matrix.data, minlength=matrix.shape[0]))
    scale = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    matrix.data *= scale[owners]
    matrix.data = matrix.data.astype(np.float32)
    return matrix


def cosine_block(unit: csr_matrix, rows: np.ndarray, cols: np.ndarray,
                 transposed: csr_matrix | None = None) -> np.ndarray:
    """The cosines of `rows` against `cols` of unit rows, dense. Each entry is
    summed over the terms of its row in their stored order, as in the product
    of the whole matrix, so a block holds exactly the numbers the n × n matrix
    would. `transposed` (unit.T as CSR, made once) spares many blocks that
    reach over most of the columns the transposition of their columns."""
    if transposed is not None and 2 * len(cols) > unit.shape[0]:
        return (unit[rows] @ transposed).toarray()[:, cols]
    return (unit[rows] @ unit[cols].T).toarray()


def row_dots(unit: csr_matrix, first: np.ndarray, second: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """The product of rows first[k] and second[k], for each k."""
    out = np.empty(len(first))
    for start in range(0, len(first), chunk):
        part = slice(start, start + chunk)
        out[part] = np.asarray(unit[first[part]].multiply(unit[second[part]]).sum(axis=1)).ravel()
    return out


def component_members(count: int, rows: np.ndarray, cols: np.ndarray) -> Iterator[np.ndarray]:
    """The items (sorted) of each connected component of more than one item
    of the graph with edges rows[k]–cols[k]."""
    graph = coo_matrix((np.ones(len(rows), dtype=np.int8), (rows, cols)), shape=(count, count))
    labels = connected_components(graph, directed=False)[1]
    by_component = np.argsort(labels, kind="stable")
    for members in np.split(by_component, np.flatnonzero(np.diff(labels[by_component])) + 1):
        if len(members) > 1:
            yield np.sort(members)


def window_blocks(days: np.ndarray, undated: np.ndarray, window_days: int,
                  entries: int) -> Iterator[tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """Every pair of items at most `window_days` apart (or one of them
    undated) once, in blocks of about `entries` pairs: (rows, cols, wanted),
    `wanted` marking the pairs of the block that are such pairs."""
    count = len(days)
    # Dated items by day, then the undated: a row's partners within the
    # window are a run of positions after it, plus every undated item.
    order = np.lexsort((np.arange(count), days, undated))
    dated = int(count - undated.sum())
    sorted_days = days[order[:dated]]
    step = max(1, entries // max(1, count))
    for start in range(0, count, step):
        stop = min(count, start + step)
        if stop > dated:  # undated rows meet every later item
            positions = np.arange(start, count)
        else:
            last = int(np.searchsorted(sorted_days, sorted_days[stop - 1] + window_days, side="right"))
            positions = np.concatenate([np.arange(start, last), np.arange(max(last, dated), count)])
        rows, cols = order[start:stop], order[positions]
        wanted = np.arange(start, stop)[:, None] < positions[None, :]
        wanted &= (undated[rows][:, None] | undated[cols][None, :]
                   | (np.abs(days[rows][:, None] - days[cols][None, :]) <= window_days))
        yield rows, cols, wanted


def jaccard_pairs(sets: Sequence[np.ndarray], threshold: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Every pair i < j of sets (sorted, distinct, small non-negative integers)
    with Jaccard similarity >= `threshold`, and that similarity: the numbers
    an all-pairs product gives, found without comparing every pair.

    Prefix filtering: with the elements of each set ordered rarest first, two
    sets that reach `threshold` share an element among the first
    |s| - ceil(threshold |s|) + 1 of either; only pairs that do are compared.
    Near copies share their rarest elements (names, numbers), so candidates
    are few where an all-pairs product would meet every pair that shares a
    common phrase.
    """
    empty = np.zeros(0, dtype=np.int64)
    sizes = np.array([len(s) for s in sets], dtype=np.int64)
    if not sizes.any():
        return empty, empty, np.zeros(0)
    frequency = np.zeros(max(int(s.max()) for s in sets if len(s)) + 1, dtype=np.int32)
    for elements in sets:
        frequency[elements] += 1  # distinct elements: one count per set
    # One more element than the bound needs: the product threshold * size is
    # rounded, and a longer prefix only adds candidates.
    lengths = sizes - np.ceil(threshold * sizes).astype(np.int64) + 2
    lengths = np.minimum(lengths, sizes)
    # Every prefix in one array (a small array per set would fragment the
    # heap), then sorted by element and owner as one 64-bit key in place: an
    # index array and sorted copies of both would take three times the room.
    ends = np.cumsum(lengths)
    keys = np.empty(int(ends[-1]), dtype=np.int64)
    for elements, length, end in zip(sets, lengths.tolist(), ends.tolist()):
        keys[end - length:end] = elements[np.lexsort((elements, frequency[elements]))[:length]]
    keys <<= 32
    keys |= np.repeat(np.arange(len(sets), dtype=np.int64), lengths)
    keys.sort()
    elements, owners = (keys >> 32).astype(np.int32), (keys & 0xFFFFFFFF).astype(np.int32)
    del keys
    bounds = np.flatnonzero(np.diff(elements)) + 1
    del elements
    starts, ends = np.concatenate([[0], bounds]), np.concatenate([bounds, [len(owners)]])
    # The pairs of all groups of one size at once, as rows of a 2-D array:
    # most shared elements are shared by two sets, and a pair of small arrays
    # per group cost more room than the pairs themselves.
    counts = ends - starts
    firsts, seconds = [], []
    for size in np.unique(counts[counts > 1]).tolist():
        groups = owners[starts[counts == size][:, None] + np.arange(size)]
        a, b = np.triu_indices(size, k=1)
        firsts.append(groups[:, a].ravel())
        seconds.append(groups[:, b].ravel())
    del owners, starts, ends, counts
    if not sum(len(f) for f in firsts):
        return empty, empty, np.zeros(0)
    # Each pair as one 64-bit key (first, then second): unique and sorted as
    # the rows of a pair array would be, in a fraction of the room.
    keys = np.concatenate(firsts).astype(np.int64) << 32
    keys |= np.concatenate(seconds)
    del firsts, seconds
    keys = np.unique(keys)
    first, second = keys >> 32, keys & 0xFFFFFFFF
    del keys
    shared = np.empty(len(first))
    step = 4096  # a chunk of pairs at a time as Python numbers
    for start in range(0, len(first), step):
        part = slice(start, start + step)
        chunk = zip(first[part].tolist(), second[part].tolist())
        shared[part] = [len(np.intersect1d(sets[a], sets[b], assume_unique=True)) for a, b in chunk]
    union = sizes[first].astype(np.float64) + sizes[second].astype(np.float64) - shared
    similarity = shared / union
    keep = similarity >= threshold
    return first[keep], second[keep], similarity[keep]
