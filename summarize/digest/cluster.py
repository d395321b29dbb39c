"""Group a day's articles: copies of one text, and reports of one event.

`cluster_stories`: which articles report the same real-world event, even in
different words. Text similarity (TF-IDF cosine), shared entities and the
articles' own dates, joined by average-link agglomerative clustering. Copies
of one text are found apart (`digest.duplicates`).

A day's pile of up to DENSE_LIMIT articles is compared pair by pair at
once; a larger one only where pairs can matter (pairs close enough to join,
within the date window), with the same result and memory that grows with
the articles, not with their square.

Everything here is a pure function of its input; no I/O.
"""

from __future__ import annotations

import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

import numpy as np
from pydantic import BaseModel, ConfigDict, Field
from scipy.sparse import csr_matrix

from summarize.digest.terms import content_terms
from summarize.digest.vectors import (
    average_linkage,
    component_members,
    cosine_block,
    row_dots,
    smooth_idf,
    sparse_matrix,
    sublinear_weights,
    weighted_unit_rows,
    window_blocks,
)
from summarize.ground.lexicon import alias_group, alias_key, alias_variants
from summarize.text.normalize import content_words


class ClusterItem(BaseModel):
    """What clustering needs to know about one article."""

    model_config = ConfigDict(frozen=True)

    key: str  # the article's path
    published: date | None = None
    title: str = ""
    text: str = ""
    language: str | None = None  # ISO 639-1, where known
    entities: list[str] = Field(default_factory=list)  # grounded names, as the article's answer gives them
    entity_types: dict[str, str] = Field(default_factory=dict)  # name -> PER, ORG or LOC, where known


# --- thresholds -----------------------------------------------------------------
#
# Chosen on the seed articles (five German reports of three events in the
# Ukraine peace talks, sharing most names and much vocabulary) and on the short
# invented articles of tests/test_cluster.py. Similarities seen there:
#   same event, both dated          0.35-0.69  (seeds: Kyiv meeting 0.57-0.59)
#   undated report vs its event     0.29-0.51  (seeds: Miami talks 0.46-0.50)
#   undated report vs other events  <= 0.47    (seeds: Miami vs the 31 Dec call)
#   same topic and cast, other day  up to 0.50 (only the date gate parts them)
#   unrelated                       <= 0.11
# The seed ranges are with the entities of the embedded model's recorded
# answers for every shipped prompt version (tests/test_cluster_recorded.py).
# The undated Miami report is only 0.02-0.14 closer to its own event than to
# the phone call a week later, which shares its whole cast: the place weighs
# most (TYPE_WEIGHTS). JOIN_THRESHOLD sits well above "unrelated" and below
# "same event"; an undated pair must clear UNDATED_MARGIN more.

# The lead (headline and first sentences) states the event itself, while the
# rest of a report often recaps earlier events of the same topic (the seed on
# the 31 Dec phone call retells the Miami talks). So the lead carries most of
# the text weight and the full text only a little. Entities are compared as
# sets, weighted by rarity (see `_entity_similarity`).
LEAD_WORDS = 60
LEAD_WEIGHT = 0.5
BODY_WEIGHT = 0.1
ENTITY_WEIGHT = 0.5

# Mean similarity two groups need to merge.
JOIN_THRESHOLD = 0.22
# An undated article has no date gate to keep it from a same-topic story of
# another day, so it must be this much more similar to join.
UNDATED_MARGIN = 0.04

# Up to this many articles every pair is compared at once (n × n matrices);
# a larger pile is compared in blocks and only the pairs close enough to
# join are kept (`_blocked_stories`), with the same result.
DENSE_LIMIT = 600
# Entries of one dense block of pairs. 10,000 generated articles, blocks of
# double-precision cosines: 2**18 peaked at 373.3 MB in 303.7 s, 2**16 at
# 367.9 MB in 280.9 s.
BLOCK_ENTRIES = 1 << 16


# --- text normalisation ---------------------------------------------------------

def _lead(item: ClusterItem) -> str:
    return f"{item.title}\n{' '.join(item.text.split()[:LEAD_WORDS])}"


def _full(item: ClusterItem) -> str:
    return f"{item.title}\n{item.text}"


def groups_from_labels(labels: Sequence[int]) -> list[list[int]]:
    members: dict[int, list[int]] = {}
    for index, label in enumerate(labels):
        members.setdefault(int(label), []).append(index)
    return sorted(members.values(), key=lambda group: group[0])


# --- stories --------------------------------------------------------------------


def _text_vectors(items: Sequence[ClusterItem]) -> tuple[csr_matrix, csr_matrix] | None:
    """Unit TF-IDF rows of the leads and of the full texts; None when the
    whole pile has not a single content word."""
    # One vocabulary and IDF from the full texts, so the short leads are
    # weighted by how common a word is in the whole day's pile.
    vocabulary: dict[str, int] = {}
    full = sparse_matrix((sublinear_weights(content_terms(_full(item))) for item in items), vocabulary, grow=True)
    if not vocabulary:
        return None
    lead = sparse_matrix((sublinear_weights(content_terms(_lead(item))) for item in items), vocabulary, grow=False)
    del vocabulary
    idf = smooth_idf(full)
    return weighted_unit_rows(lead, idf), weighted_unit_rows(full, idf)


# An entity named in the lead is what the report is about; one named only
# further down is often background from earlier events of the topic.
LEAD_MENTION = 1.0
BODY_MENTION = 0.5
# Where an event happened tells events of one running story apart better
# than who took part: the same negotiators meet in Miami one week and talk on
# the phone the next. Cosine ignores a common factor, so these weights only
# matter between articles that share names of different types.
TYPE_WEIGHTS = {"LOC": 3.0, "ORG": 1.0, "PER": 0.33}


_INITIAL = re.compile(r"(?<=\w)\s+[A-Z]\.(?=\s+\w)")


def entity_key(name: str) -> str:
    """One key per real-world entity across articles: "Kiew" in one outlet and
    "Kyjiw" in another count as the same place, "Michel H. Devoret" and
    "Michel Devoret" as the same person."""
    group = alias_group(name)
    return f"alias-group-{group}" if group is not None else alias_key(_INITIAL.sub(" ", name))


def _name_stems(name: str) -> tuple[str, ...]:
    return tuple(content_words(name))


def entity_mentions(items: Sequence[ClusterItem],
                    type_weights: Mapping[str, float] = TYPE_WEIGHTS) -> list[dict[str, float]]:
    """Per item, the day's entities its text names: LEAD_MENTION when the lead
    names one, BODY_MENTION when only the rest does, times the weight of the
    entity's type (TYPE_WEIGHTS; the type the first answer naming it gave;
    1 for every name with `type_weights={}`)."""
    types: dict[str, str] = {}
    return list(_weighted(_mentions(items, types), types, type_weights))


def _weighted(mentions: Iterable[dict[str, float]], types: Mapping[str, str],
              type_weights: Mapping[str, float]) -> Iterator[dict[str, float]]:
    """Each item's mentions times their types' weights."""
    return ({key: level * type_weights.get(types.get(key, ""), 1.0) for key, level in found.items()}
            for found in mentions)


def _mentions(items: Sequence[ClusterItem], types: dict[str, str]) -> Iterator[dict[str, float]]:
    """Per item, one at a time, LEAD_MENTION or BODY_MENTION for each of the
    day's entities its text names; `types` gets each entity's type (the first
    answer's) before the first item's mentions come.

    The vocabulary is every entity any article's answer listed (after
    grounding), looked up in every article's own text, because a small
    model lists only some of the names an article has: one report of the
    Miami talks may list "Miami" and another only its cast. A name matches
    when the stems of all its content words occur, in any of its alias
    spellings.
    """
    spellings: dict[str, set[tuple[str, ...]]] = {}
    for item in items:
        for name in item.entities:
            stems = {_name_stems(variant) for variant in alias_variants(name)} - {()}
            if stems:
                key = entity_key(name)
                spellings.setdefault(key, set()).update(stems)
                types.setdefault(key, item.entity_types.get(name, ""))
    # Each spelling is looked up only in the articles that have its rarest
    # stem (the fewest articles), not in every article of the day: looked up
    # by a common first word ("Präsident …"), every article would meet a
    # share of all the day's names, and the work would grow with n².
    # Interned: the stems each article keeps are the names' own strings, not copies.
    name_stems = {sys.intern(part) for variants in spellings.values() for variant in variants for part in variant}
    texts: list[tuple[tuple[str, ...], tuple[str, ...]]] = []
    frequency: Counter[str] = Counter()
    for item in items:
        whole = tuple(map(sys.intern, name_stems.intersection(content_words(_full(item)))))
        texts.append((tuple(map(sys.intern, name_stems.intersection(content_words(_lead(item))))), whole))
        frequency.update(whole)
    by_rarest: dict[str, list[tuple[str, tuple[str, ...]]]] = {}
    for key, variants in spellings.items():
        for variant in sorted(variants):
            rarest = min(variant, key=lambda part: (frequency[part], part))
            by_rarest.setdefault(rarest, []).append((key, variant))
    for item, (lead_stems, whole_stems) in zip(items, texts):
        lead, whole = set(lead_stems), set(whole_stems)
        found: dict[str, float] = {}
        for stem in sorted(whole & by_rarest.keys()):
            for key, variant in by_rarest[stem]:
                if all(part in lead for part in variant):
                    found[key] = LEAD_MENTION
                elif key not in found and all(part in whole for part in variant):
                    found[key] = BODY_MENTION
        for key in map(entity_key, item.entities):  # the answer's own names are grounded in the text
            found.setdefault(key, BODY_MENTION)
        yield found


def _unit_idf_rows(matrix: csr_matrix) -> csr_matrix:
    # Cosine of IDF-weighted mention vectors, a Jaccard-like overlap in which
    # sharing a name every article has (the country of the day) counts little
    # and sharing a rare one (the city of the talks) counts much.
    return weighted_unit_rows(matrix, smooth_idf(matrix))


@dataclass
class StoryVectors:
    """Every item's unit rows (lead, full text, entity mentions), from which
    any block of `story_similarity` is computed."""

    text: tuple[csr_matrix, csr_matrix] | None  # None: not one content word in the pile
    entities: csr_matrix | None  # None: no item names an entity
    has_entities: np.ndarray
    languages: np.ndarray  # a code per item, -1 where unknown
    # The entity rows without type weights, for pairs across languages; None
    # in a pile of one language. Across languages the place two reports share
    # is most often the country both write about, while the people and
    # organisations are the event: every shared name counts alike (dev split,
    # B-cubed with tldr@v11's entities 0.920 with type weights, 0.973 without;
    # the seeds' stories stay).
    names: csr_matrix | None = None

    def across_languages(self, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
        """Per pair, whether the two items are in two different known languages."""
        a, b = self.languages[rows], self.languages[cols]
        return (a != b) & (a >= 0) & (b >= 0)


def story_vectors(items: Sequence[ClusterItem]) -> StoryVectors:
    text = _text_vectors(items)
    types: dict[str, str] = {}
    keys: dict[str, int] = {}
    # One item's mentions at a time into the matrix of mention levels: a
    # pile's dicts of them took 2.5 KB an article at once.
    levels = sparse_matrix(_mentions(items, types), keys, grow=True)
    has_entities = np.diff(levels.indptr) > 0
    codes: dict[str, int] = {}
    languages = np.array([codes.setdefault(item.language, len(codes)) if item.language else -1 for item in items],
                         dtype=np.int16)
    if not has_entities.any():
        return StoryVectors(text, None, has_entities, languages)
    # Without type weights the mention levels are the rows of the names.
    names = _unit_idf_rows(levels.copy()) if len(codes) > 1 else None
    levels.data *= np.array([TYPE_WEIGHTS.get(types.get(key, ""), 1.0) for key in keys])[levels.indices]
    return StoryVectors(text, _unit_idf_rows(levels), has_entities, languages, names)


def _combined(lead: np.ndarray, full: np.ndarray | float, entity: np.ndarray | None,
              both_named: np.ndarray, across: np.ndarray) -> np.ndarray:
    """The story similarity from its parts, for arrays of any one shape."""
    similarity = LEAD_WEIGHT * lead + BODY_WEIGHT * full
    if entity is None:
        return similarity / (LEAD_WEIGHT + BODY_WEIGHT)
    # Missing entities (a failed extraction) are no evidence against a
    # match: such pairs are judged on the text alone, on the same scale.
    # Likewise two languages share names, not words: such pairs are judged
    # on their names alone.
    named = np.where(across, entity, similarity + ENTITY_WEIGHT * entity)
    return np.where(both_named, named, similarity / (LEAD_WEIGHT + BODY_WEIGHT))


def similarity_block(vectors: StoryVectors, rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """`story_similarity` of the items `rows` against the items `cols`."""
    lead = full = np.zeros((len(rows), len(cols)))
    if vectors.text is not None:
        lead, full = (cosine_block(unit, rows, cols) for unit in vectors.text)
    entity = cosine_block(vectors.entities, rows, cols) if vectors.entities is not None else None
    has = vectors.has_entities
    across = vectors.across_languages(rows[:, None], cols[None, :])
    if vectors.names is not None:
        entity = np.where(across, cosine_block(vectors.names, rows, cols), entity)
    return _combined(lead, full, entity, has[rows][:, None] & has[cols][None, :], across)


def story_similarity(items: Sequence[ClusterItem]) -> np.ndarray:
    """Pairwise similarity of items in 0..1, before any date rule."""
    everything = np.arange(len(items))
    return similarity_block(story_vectors(items), everything, everything)


def _dates(items: Sequence[ClusterItem]) -> tuple[np.ndarray, np.ndarray]:
    undated = np.array([item.published is None for item in items], dtype=bool)
    days = np.array([item.published.toordinal() if item.published else 0 for item in items], dtype=np.int64)
    return days, undated


def _story_distance(similarity: np.ndarray, days: np.ndarray, undated: np.ndarray, count: int,
                    window_days: int) -> np.ndarray:
    """The linkage's distances, in place of a square block of similarities."""
    distance = similarity
    np.clip(distance, 0.0, 1.0, out=distance)
    np.subtract(1.0, distance, out=distance)
    distance[undated[:, None] | undated[None, :]] += UNDATED_MARGIN
    # Any mean over at most count**2 / 4 cross pairs that includes one of
    # these stays far above the threshold: a hard gate, not a penalty.
    too_far = np.abs(days[:, None] - days[None, :]) > window_days
    too_far[undated, :] = too_far[:, undated] = False
    distance[too_far] = 4.0 * count * count
    np.fill_diagonal(distance, 0.0)
    return distance


def cluster_stories(items: Sequence[ClusterItem], *, window_days: int = 1) -> list[list[int]]:
    """Partition items into stories, one per real-world event.

    Average-link agglomerative clustering on `story_similarity`: two groups merge
    while the mean similarity over all their cross pairs reaches
    JOIN_THRESHOLD, so one strong link cannot drag in a whole chain. Two dated
    items more than `window_days` apart never end in one story (the whole
    story stays within the window); a pair with an undated item must clear
    UNDATED_MARGIN more. Every item is in exactly one group; each group is
    sorted and groups are ordered by their first index.
    """
    if window_days < 0:
        raise ValueError(f"window_days must be >= 0, got {window_days}")
    count = len(items)
    if count < 2:
        return [[0]] if count else []
    if count > DENSE_LIMIT:
        return _blocked_stories(items, window_days)
    days, undated = _dates(items)
    distance = _story_distance(story_similarity(items), days, undated, count, window_days)
    return groups_from_labels(average_linkage(distance, 1.0 - JOIN_THRESHOLD))


# Pairs this little below the join threshold are kept as candidates too: a
# candidate too many only makes a component larger, one too few would split it.
# The full-text cosine of a candidate is summed in another order than in the
# component's matrix, which in single precision moves it by up to about 1e-7.
_EDGE_TOLERANCE = 1e-5


def _close_pairs(vectors: StoryVectors, rows: np.ndarray, cols: np.ndarray, wanted: np.ndarray,
                 undated: np.ndarray, transposed: dict[str, csr_matrix]) -> tuple[np.ndarray, np.ndarray]:
    """The pairs (row, col) among `wanted` of the block similar enough to join.

    The full-text cosine, the costly product, is at most 1: the lead and
    entity cosines bound each pair's similarity from above, and the full
    texts are compared only for the pairs that bound does not rule out."""
    r, c = np.nonzero(wanted)
    if not len(r):
        return r, c
    lead = (cosine_block(vectors.text[0], rows, cols, transposed["lead"])[r, c] if vectors.text is not None
            else np.zeros(len(r)))
    entity = (cosine_block(vectors.entities, rows, cols, transposed["entities"])[r, c]
              if vectors.entities is not None else None)
    both_named = vectors.has_entities[rows[r]] & vectors.has_entities[cols[c]]
    across = vectors.across_languages(rows[r], cols[c])
    if vectors.names is not None and across.any():
        entity = np.where(across, cosine_block(vectors.names, rows, cols, transposed["names"])[r, c], entity)
    either_undated = undated[rows[r]] | undated[cols[c]]
    needed = JOIN_THRESHOLD + np.where(either_undated, UNDATED_MARGIN, 0.0) - _EDGE_TOLERANCE
    full = 1.0 if vectors.text is not None else 0.0
    maybe = _combined(lead, full, entity, both_named, across) > needed
    r, c, lead, needed, both_named, across = (r[maybe], c[maybe], lead[maybe], needed[maybe], both_named[maybe],
                                              across[maybe])
    entity = entity[maybe] if entity is not None else None
    if vectors.text is not None and len(r):
        full = row_dots(vectors.text[1], rows[r], cols[c])
    close = _combined(lead, full, entity, both_named, across) > needed
    return rows[r[close]], cols[c[close]]


def _blocked_stories(items: Sequence[ClusterItem], window_days: int) -> list[list[int]]:
    """`cluster_stories` without an n × n matrix.

    Two groups merge only when some pair across them is closer than the
    threshold, so every story lies within one connected component of the
    graph of such pairs, and average linkage on each component alone (its
    own dense matrix of the very same numbers) makes the same stories as on
    the whole pile. The pairs are found block by block, each row against
    the later items of its date window and the undated ones.
    """
    count = len(items)
    vectors = story_vectors(items)
    days, undated = _dates(items)
    transposed = {"lead": vectors.text[0].T.tocsr() if vectors.text is not None else None,
                  "entities": vectors.entities.T.tocsr() if vectors.entities is not None else None,
                  "names": vectors.names.T.tocsr() if vectors.names is not None else None}
    firsts, seconds = [], []
    for rows, cols, wanted in window_blocks(days, undated, window_days, BLOCK_ENTRIES):
        first, second = _close_pairs(vectors, rows, cols, wanted, undated, transposed)
        firsts.append(first)
        seconds.append(second)
    del transposed
    stories = np.arange(count)  # a story number per item; singletons keep their own
    for members in component_members(count, np.concatenate(firsts), np.concatenate(seconds)):
        distance = _story_distance(similarity_block(vectors, members, members), days[members], undated[members],
                                   count, window_days)
        _, first, inverse = np.unique(average_linkage(distance, 1.0 - JOIN_THRESHOLD), return_index=True,
                                      return_inverse=True)
        stories[members] = members[first][inverse]  # numbered by a member: unique across components
    return groups_from_labels(stories.tolist())
