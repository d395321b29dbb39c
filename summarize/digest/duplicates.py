"""Which articles of a day are (nearly) the same text, e.g. one agency
report republished by several sites: Jaccard similarity of word shingle sets.

A pile of up to DENSE_LIMIT articles is compared pair by pair at once; a
larger one only where pairs share a rare shingle (`vectors.jaccard_pairs`),
with the same result. Pure functions of their input; no I/O.
"""

from __future__ import annotations

import re
import zlib
from array import array
from collections.abc import Sequence

import numpy as np
from scipy.sparse import csr_matrix

from summarize.digest.cluster import DENSE_LIMIT, ClusterItem, groups_from_labels
from summarize.digest.vectors import connected_labels, csr_rows, jaccard_pairs
from summarize.text.normalize import fold

# Three words: one edited word then costs an agency copy only three shingles,
# while reports of one event written separately still share almost none
# (Jaccard <= 0.1 on the examples, copies >= 0.85).
SHINGLE_WORDS = 3
DUPLICATE_THRESHOLD = 0.8  # Jaccard of shingle sets

# Shingles keep every word, function words included.
_TOKEN = re.compile(r"\w+")


def _shingles(text: str) -> set[str]:
    words = _TOKEN.findall(fold(text))
    if len(words) <= SHINGLE_WORDS:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + SHINGLE_WORDS]) for i in range(len(words) - SHINGLE_WORDS + 1)}


# Hashed shingles keep no vocabulary of every shingle of the day in memory;
# two 500-shingle texts share by collision a quarter of a bucket on average in
# 2**20, nothing next to the hundreds a near-copy shares. CRC-32, not hash():
# the same buckets in every process.
_SHINGLE_BUCKETS = 2**20


def _shingle_buckets(text: str) -> np.ndarray:
    # int32: a bucket number fits, and a large pile keeps every article's set.
    return np.unique(np.fromiter((zlib.crc32(shingle.encode()) % _SHINGLE_BUCKETS for shingle in _shingles(text)),
                                 dtype=np.int32))


def _shingle_sets(items: Sequence[ClusterItem]) -> list[np.ndarray]:
    """Every item's shingle buckets, as views of one array: ten thousand small
    arrays, freed after the search, would leave the heap in pieces (10,000
    articles: 18 MB of RSS kept after it)."""
    flat, bounds = array("i"), [0]
    for item in items:
        flat.frombytes(_shingle_buckets(item.text).tobytes())
        bounds.append(len(flat))
    return np.split(np.frombuffer(flat, dtype=np.int32), bounds[1:-1])


def shingle_jaccard(items: Sequence[ClusterItem]) -> csr_matrix:
    """Jaccard similarity of the shingle sets of every pair that shares a
    shingle, as a sparse matrix (pairs sharing none are absent, i.e. 0);
    exact but for the rare shingles that share a hash bucket.

    One sparse product of the binary item × shingle matrix gives every
    intersection at once; memory grows with the pairs that share text, not
    with the square of the pile.
    """
    rows = [_shingle_buckets(item.text) for item in items]
    matrix = csr_rows([(row, np.ones(len(row))) for row in rows], width=_SHINGLE_BUCKETS)
    shared = (matrix @ matrix.T).tocoo()
    sizes = np.array([len(row) for row in rows], dtype=np.float64)
    union = sizes[shared.row] + sizes[shared.col] - shared.data
    return csr_matrix((shared.data / union, (shared.row, shared.col)), shape=shared.shape)


def find_duplicates(items: Sequence[ClusterItem], threshold: float = DUPLICATE_THRESHOLD) -> list[list[int]]:
    """Groups of items whose texts are the same or nearly the same.

    Compares word shingles of the folded text by Jaccard similarity
    (>= `threshold`); groups are closed transitively. Only groups of two or
    more are returned (singletons omitted), each sorted, ordered by first
    index. Items with empty text are never duplicates.
    """
    if not 0.0 < threshold <= 1.0:
        raise ValueError(f"threshold must be in (0, 1], got {threshold}")
    if not items:
        return []
    if len(items) > DENSE_LIMIT:
        first, second, _ = jaccard_pairs(_shingle_sets(items), threshold)
        pairs = list(zip(first.tolist(), second.tolist()))
    else:
        similar = shingle_jaccard(items).tocoo()
        pairs = [(int(a), int(b)) for a, b, value in zip(similar.row, similar.col, similar.data) if value >= threshold]
    labels = connected_labels(len(items), pairs)
    return [group for group in groups_from_labels(labels) if len(group) > 1]
