"""Evaluation metrics: entities against gold, story clusters, aggregation.

Pure functions of their arguments, no I/O. TLDR measures live in
`tldr_metrics` and are re-exported here, so `summarize.evaluate.metrics` is the one
place an evaluation imports from.

Conventions shared by every precision/recall pair: with nothing predicted,
precision is 1.0 if nothing was expected either and 0.0 otherwise (the
convention of `cleanscore.body_scores`); with nothing expected, recall is 1.0.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import combinations
from typing import Literal

from pydantic import BaseModel, Field

from summarize.evaluate.tldr_metrics import (
    ROUGE_TYPES,
    FoldingTokenizer,
    entity_precision_source,
    faithful_compression,
    lead_baseline,
    rouge_scores,
    tldr_language,
    tldr_metrics,
    tldr_names,
)
from summarize.ground.entities import same_person
from summarize.ground.lexicon import alias_group, alias_key
from summarize.ground.names import clean_entity_name
from summarize.models import Entity
from summarize.text.normalize import (
    NAME_ENDINGS,
    fold,
    name_word_matches,
    names_similar,
)

__all__ = [
    "HEADLINE_METRICS", "ROUGE_TYPES", "bcubed_items", "EntityScores", "FoldingTokenizer", "HeadlineMetric", "PRF",
    "aggregate", "bcubed", "entity_precision_source", "entity_scores", "failure_rate", "faithful_compression",
    "lead_baseline", "micro_prf", "names_match", "pairwise_f1", "regressions", "rouge_scores",
    "tldr_faithfulness", "tldr_language", "tldr_metrics", "tldr_names",
]


class PRF(BaseModel):
    precision: float
    recall: float
    f1: float
    # Counts where the measure is a ratio of counts; None for B-cubed, whose
    # precision and recall are means over items.
    tp: int | None = None
    fp: int | None = None
    fn: int | None = None


class EntityScores(PRF):
    type_accuracy: float | None = None  # share of matched pairs with the gold type; None without matches
    missed: list[str] = Field(default_factory=list)  # gold names nothing matched
    spurious: list[str] = Field(default_factory=list)  # predicted names that matched no gold entity


def _ratio(part: float, whole: float, empty: float) -> float:
    return part / whole if whole else empty


def _prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    precision = _ratio(tp, tp + fp, 1.0 if fn == 0 else 0.0)
    recall = _ratio(tp, tp + fn, 1.0)
    return precision, recall, _f1(precision, recall)


def _f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def _rounded(precision: float, recall: float, f1: float) -> dict[str, float]:
    return {"precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


# --- entities --------------------------------------------------------------------


def _words(name: str) -> list[str]:
    return fold(name).replace("-", " ").replace(".", "").split()


def _bare_forms(word: str) -> set[str]:
    """The word and the word without a name ending: "selenskyjs" → {"selenskyjs", "selenskyj"}."""
    return {word} | {word[: -len(e)] for e in NAME_ENDINGS if word.endswith(e) and len(word) - len(e) >= 3}


def _word_matches(a: str, b: str, *, adjective: bool) -> bool:
    """Same name word up to inflection ("Kiews"), adjective endings where
    allowed ("Europäischen") or spelling ("Umerov" / "Umjerow")."""
    if name_word_matches(a, b, adjective=adjective):
        return True
    return any(x == y or names_similar(x, y) for x in _bare_forms(a) for y in _bare_forms(b))


def _phrase_matches(a: str, b: str) -> bool:
    words_a, words_b = _words(a), _words(b)
    if not words_a or len(words_a) != len(words_b):
        return False
    last = len(words_a) - 1
    return all(_word_matches(x, y, adjective=i < last) for i, (x, y) in enumerate(zip(words_a, words_b)))


def _surname_matches(a: str, b: str) -> bool:
    """One person, named by surname only or with given names that agree
    (`entity_merge.same_person`), the surnames compared up to inflection."""
    words_a, words_b = a.split(), b.split()
    if not _word_matches(fold(words_a[-1]), fold(words_b[-1]), adjective=False):
        return False
    return same_person(" ".join(words_a[:-1] + words_b[-1:]), b)


def names_match(a: str, b: str, *, persons: bool = False) -> bool:
    """Whether two names denote one entity: the same alias-table group
    ("Kyjiw" / "Kiew", "US" / "USA"), the same words up to inflection and
    transliteration ("Selenskyjs" / "Selenskyj", "Europäischen Kommission" /
    "Europäische Kommission", "Umerov" / "Umjerow"), or with `persons`, one
    person by surname ("Witkoff" / "Steve Witkoff", not "Melania Trump" /
    "Donald Trump"). Articles and titles are not stripped here; `entity_scores`
    does that first."""
    if alias_key(a) == alias_key(b):
        return True
    group = alias_group(a)
    if group is not None and group == alias_group(b):
        return True
    if _phrase_matches(a, b):
        return True
    return persons and _surname_matches(a, b)


def _forms(entity: Entity) -> list[str]:
    """Name and aliases without the grammar and titles around them."""
    forms = [clean_entity_name(form, entity.type) or form.strip() for form in [entity.name, *entity.aliases]]
    return list(dict.fromkeys(form for form in forms if form))


def _entities_match(predicted: Entity, gold: Entity) -> bool:
    persons = predicted.type == "PER" and gold.type == "PER"
    return any(names_match(p, g, persons=persons) for p in _forms(predicted) for g in _forms(gold))


def _max_matching(edges: list[list[int]]) -> dict[int, int]:
    """A maximum bipartite matching (left → right) by augmenting paths.

    A predicted entity may match several gold ones ("Kessler": a person and a
    company); the maximum matching lets each count once without a greedy
    choice stealing the only partner of another."""
    partner: dict[int, int] = {}  # right → left

    def augment(left: int, seen: set[int]) -> bool:
        for right in edges[left]:
            if right in seen:
                continue
            seen.add(right)
            if right not in partner or augment(partner[right], seen):
                partner[right] = left
                return True
        return False

    for left in range(len(edges)):
        augment(left, set())
    return {left: right for right, left in partner.items()}


def entity_scores(predicted: Sequence[Entity], gold: Sequence[Mapping | Entity]) -> EntityScores:
    """Precision, recall and F1 of predicted entities against gold ones.

    A prediction matches a gold entity when its name or any alias matches the
    gold name or any gold alias (see `names_match`); each gold entity is
    matched at most once, so two predictions of one entity ("Selenskyj" and
    "Wolodymyr Selenskyj" unmerged) give one true and one false positive.
    Types do not decide a match; `type_accuracy` reports how often they agree.
    """
    gold_entities = [g if isinstance(g, Entity) else Entity.model_validate(g) for g in gold]
    edges = []
    for p in predicted:
        candidates = [i for i, g in enumerate(gold_entities) if _entities_match(p, g)]
        # Same-type partners first, so a free choice keeps the types aligned.
        edges.append(sorted(candidates, key=lambda i: gold_entities[i].type != p.type))
    matching = _max_matching(edges)
    tp = len(matching)
    fp, fn = len(predicted) - tp, len(gold_entities) - tp
    same_type = sum(1 for p, g in matching.items() if predicted[p].type == gold_entities[g].type)
    return EntityScores(
        **_rounded(*_prf(tp, fp, fn)), tp=tp, fp=fp, fn=fn,
        type_accuracy=round(same_type / tp, 4) if tp else None,
        missed=[g.name for i, g in enumerate(gold_entities) if i not in matching.values()],
        spurious=[p.name for i, p in enumerate(predicted) if i not in matching],
    )


def micro_prf(scores: Iterable[PRF]) -> PRF:
    """Precision, recall and F1 over the summed counts of several scores."""
    tp = fp = fn = 0
    for score in scores:
        if score.tp is None or score.fp is None or score.fn is None:
            raise ValueError("micro averaging needs counts; B-cubed scores have none")
        tp, fp, fn = tp + score.tp, fp + score.fp, fn + score.fn
    return PRF(**_rounded(*_prf(tp, fp, fn)), tp=tp, fp=fp, fn=fn)


# --- story clusters -----------------------------------------------------------------


def _cluster_of(predicted_groups: Sequence[Sequence[str]], gold_keys: Mapping[str, str]) -> dict[str, object]:
    """The predicted group of every gold item; an item no group holds is a
    group of its own. Items without a gold key are left out."""
    cluster: dict[str, object] = {}
    for number, group in enumerate(predicted_groups):
        for item in group:
            if item in cluster:
                raise ValueError(f"{item!r} is in more than one predicted group")
            cluster[item] = number
    return {item: cluster.get(item, ("alone", item)) for item in gold_keys}


def bcubed_items(predicted_groups: Sequence[Sequence[str]], gold_keys: Mapping[str, str]) -> list[tuple[float, float]]:
    """B-cubed (precision, recall) of each gold item: the share of its
    predicted group that shares its gold story, and the share of its gold
    story that is in its predicted group."""
    cluster = _cluster_of(predicted_groups, gold_keys)
    items = []
    for item, story in gold_keys.items():
        same_group = [other for other in cluster if cluster[other] == cluster[item]]
        same_story = [other for other in gold_keys if gold_keys[other] == story]
        both = sum(1 for other in same_group if gold_keys[other] == story)
        items.append((both / len(same_group), both / len(same_story)))
    return items


def bcubed(predicted_groups: Sequence[Sequence[str]], gold_keys: Mapping[str, str]) -> PRF:
    """B-cubed precision, recall and F1 (Bagga and Baldwin 1998) over the gold items:
    `bcubed_items` averaged over items, F1 their harmonic mean. `gold_keys`
    maps each item to its story key."""
    items = bcubed_items(predicted_groups, gold_keys)
    if not items:
        return PRF(precision=1.0, recall=1.0, f1=1.0)
    precision = sum(p for p, _ in items) / len(items)
    recall = sum(r for _, r in items) / len(items)
    return PRF(**_rounded(precision, recall, _f1(precision, recall)))


def pairwise_f1(predicted_groups: Sequence[Sequence[str]], gold_keys: Mapping[str, str]) -> PRF:
    """Precision, recall and F1 over pairs of gold items: a pair is a true
    positive when both the prediction and the gold put it in one story."""
    cluster = _cluster_of(predicted_groups, gold_keys)
    tp = fp = fn = 0
    for a, b in combinations(sorted(cluster), 2):
        predicted_together, gold_together = cluster[a] == cluster[b], gold_keys[a] == gold_keys[b]
        tp += predicted_together and gold_together
        fp += predicted_together and not gold_together
        fn += gold_together and not predicted_together
    return PRF(**_rounded(*_prf(tp, fp, fn)), tp=tp, fp=fp, fn=fn)


# --- aggregation and the gate ----------------------------------------------------


def _is_number(value: object) -> bool:
    return isinstance(value, (int, float)) and not (isinstance(value, float) and math.isnan(value))


def aggregate(rows: Sequence[Mapping]) -> dict[str, float | None]:
    """Mean of every numeric field over the rows, None values left out.

    Booleans count as 0/1, so a flag's mean is the share of rows that have
    it. A field that is None in every row stays in the result as None; text
    and list fields are skipped.
    """
    sums: dict[str, float] = {}
    counts: dict[str, int] = {}
    for row in rows:
        for key, value in row.items():
            if _is_number(value):
                sums[key] = sums.get(key, 0.0) + float(value)
                counts[key] = counts.get(key, 0) + 1
            elif value is None:
                sums.setdefault(key, 0.0)
                counts.setdefault(key, 0)
    return {key: round(sums[key] / counts[key], 4) if counts[key] else None for key in sums}


def tldr_faithfulness(tldr_rows: Sequence[Mapping]) -> float | None:
    """One faithfulness number for a set of `tldr_metrics` rows: the mean of
    (a) the mean prec_s and (b) the share of TLDRs whose every name and
    number is in the source. A part no row has a value for is left out; with
    neither, None."""
    means = aggregate([{key: row.get(key) for key in ("entity_precision_source", "all_names_numbers_in_source")}
                       for row in tldr_rows])
    parts = [value for value in means.values() if value is not None]
    return round(sum(parts) / len(parts), 4) if parts else None


def failure_rate(succeeded: Sequence[bool]) -> float:
    """Share of articles without a usable answer; 0.0 for none at all."""
    return round(sum(1 for ok in succeeded if not ok) / len(succeeded), 4) if succeeded else 0.0


@dataclass(frozen=True)
class HeadlineMetric:
    name: str
    better: Literal["higher", "lower"]
    description: str


HEADLINE_METRICS: tuple[HeadlineMetric, ...] = (
    HeadlineMetric("entity_f1", "higher",
                   "mean per-article F1 of `entity_scores`; an article without an answer counts as "
                   "predicting nothing (F1 0)"),
    HeadlineMetric("tldr_faithfulness", "higher",
                   "`tldr_faithfulness` over the articles with a TLDR"),
    HeadlineMetric("failure_rate", "lower",
                   "`failure_rate`: share of articles without a usable answer"),
    HeadlineMetric("fluency", "higher",
                   "share of a TLDR's sentences the fluency checks pass (`evaluate.fluency.tldr_fluency`), "
                   "mean over the articles with a TLDR in German or English"),
)


def regressions(current: Mapping[str, float | None], baseline: Mapping[str, float | None],
                tolerance: float = 0.0) -> list[str]:
    """Names of the headline metrics on which `current` is worse than
    `baseline` by more than `tolerance`; a metric missing on either side is
    not compared."""
    worse = []
    for metric in HEADLINE_METRICS:
        now, before = current.get(metric.name), baseline.get(metric.name)
        if now is None or before is None:
            continue
        change = now - before if metric.better == "higher" else before - now
        if change < -tolerance:
            worse.append(metric.name)
    return worse
