"""Deciding which names denote the same entity, and merging them.

Two names are merged when
- the alias table puts them in one group ("Kiew" / "Kyiv", "USA" / "Vereinigte
  Staaten"), whatever types the model gave them;
- they are equal after folding (a model labelling "Trump" PER once and ORG
  once still means one entity);
- both are persons and one's surname is the other's surname up to
  transliteration, with given names that do not contradict each other
  ("Selenskyj" / "Wolodymyr Selenskyj" / "Volodymyr Zelensky");
- they have the same type and are transliteration-similar (`names_similar`).

Persons who share a surname but have different given names are never merged,
even through a bare surname ("Donald Trump", "Melania Trump", "Trump").

The canonical name of a merged entity is, for persons, the fullest form (most
words: the given name is known); for places and organisations the most
frequent form, then the first seen ("USA" rather than "Vereinigte Staaten von
Amerika" when the source says "USA" more often). Frequency is the number of
occurrences in the source within an article, the number of articles across
articles. The type is the most frequent one, the first seen on a tie.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from summarize.ground.lexicon import alias_group, alias_key
from summarize.models import Entity, EntityType
from summarize.text.normalize import fold, names_similar, translit_key


@dataclass
class Mention:
    """One name for an entity, with every other form it was seen under."""

    name: str
    type: EntityType
    forms: list[str] = field(default_factory=list)
    weight: int = 1  # how often this form was given (or occurs in the source)


def same_entity(a: Mention, b: Mention) -> bool:
    if {alias_key(f) for f in [a.name, *a.forms]} & {alias_key(f) for f in [b.name, *b.forms]}:
        return True
    groups_a = {alias_group(f) for f in [a.name, *a.forms]} - {None}
    groups_b = {alias_group(f) for f in [b.name, *b.forms]} - {None}
    if groups_a & groups_b:
        return True
    if a.type != b.type:
        return False
    if a.type == "PER":
        return same_person(a.name, b.name)
    if " " not in a.name and " " not in b.name:
        return names_similar(a.name, b.name)
    return translit_key(a.name) == translit_key(b.name)


def different_people(a: Mention, b: Mention) -> bool:
    """Two persons who share a surname but whose given names differ
    ("Donald Trump", "Melania Trump"): a bare "Trump" must not join them."""
    if a.type != "PER" or b.type != "PER" or " " not in a.name or " " not in b.name:
        return False
    return names_similar(a.name.split()[-1], b.name.split()[-1]) and not same_person(a.name, b.name)


def same_person(a: str, b: str) -> bool:
    """Surnames match up to spelling and the given names, where both have
    them, match too, or one is the other's initial ("W. Selenskyj")."""
    words_a, words_b = a.split(), b.split()
    if not names_similar(words_a[-1], words_b[-1]):
        return False
    given_a, given_b = words_a[:-1], words_b[:-1]
    if not given_a or not given_b:
        return True
    first_a, first_b = translit_key(given_a[0]), translit_key(given_b[0])
    if first_a.rstrip(".") == first_b.rstrip(".") or names_similar(given_a[0], given_b[0]):
        return True
    return (len(given_a[0].rstrip(".")) == 1 or len(given_b[0].rstrip(".")) == 1) and first_a[:1] == first_b[:1]


def merge_mentions(mentions: list[Mention]) -> list[Entity]:
    """Group mentions that denote one entity; entities come in order of first mention."""
    parent = list(range(len(mentions)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def members(r: int) -> list[Mention]:
        return [m for k, m in enumerate(mentions) if root(k) == r]

    for i in range(len(mentions)):
        for j in range(i):
            if root(i) == root(j) or not same_entity(mentions[i], mentions[j]):
                continue
            if any(different_people(a, b) for a in members(root(i)) for b in members(root(j))):
                continue
            parent[root(i)] = root(j)
    groups: dict[int, list[Mention]] = {}
    for i, mention in enumerate(mentions):
        groups.setdefault(root(i), []).append(mention)
    return [_entity_from(group) for group in groups.values()]


def _entity_from(group: list[Mention]) -> Entity:
    types = Counter()
    for mention in group:
        types[mention.type] += mention.weight
    top = max(types.values())
    entity_type = next(m.type for m in group if types[m.type] == top)

    weights: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    display: dict[str, str] = {}
    for mention in group:
        for position, form in enumerate([mention.name, *mention.forms]):
            key = alias_key(form)
            if not key:
                continue
            display.setdefault(key, form)
            first_seen.setdefault(key, len(first_seen))
            weights[key] += mention.weight if position == 0 else 0

    def rank(key: str) -> tuple:
        if entity_type == "PER":
            return (-len(key.split()), -weights[key], first_seen[key])
        return (-weights[key], first_seen[key])

    # Only names a mention stood for can be canonical; forms it was merely
    # seen under (alias-table variants found in the source) become aliases.
    canonical = min((k for k in first_seen if weights[k] > 0), key=rank)
    aliases = [display[k] for k in sorted(first_seen, key=first_seen.get) if k != canonical]
    return Entity(name=display[canonical], type=entity_type, aliases=_dedupe(aliases, display[canonical]))


def _dedupe(names: list[str], canonical: str) -> list[str]:
    seen = {fold(canonical)}
    kept: list[str] = []
    for name in names:
        if fold(name) not in seen:
            seen.add(fold(name))
            kept.append(name)
    return kept


def merge_entities(groups: list[list[Entity]]) -> list[Entity]:
    """Merge the entity lists of several articles into one list for a story.

    The same rules as within an article apply; an entity's aliases take part
    in the matching, so "Kyjiw" (with alias "Kiew") meets "Kiew".
    """
    mentions = [Mention(name=e.name, type=e.type, forms=list(e.aliases)) for group in groups for e in group]
    return merge_mentions(mentions)
