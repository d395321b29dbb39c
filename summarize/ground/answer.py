"""Checking a model's answer against the article it summarises.

`ground_entities` keeps the entities the source really names, as bare names,
merged across spellings; `check_tldr` flags a TLDR that is too long, copied,
or mentions names or numbers the source lacks.

What happens to each listed entity:

- Titles, roles, articles and prepositions are stripped first
  ("US-Außenminister Marco Rubio" → "Marco Rubio", "in Kyjiw" → "Kyjiw").
- A name with nothing left, or only generic words ("Vertreter",
  "Sicherheitsberater", "officials", "Europäer"), is *dropped*: listed in
  `GroundedEntities.dropped`, not in `ungrounded`, because a generic noun is a
  bad answer but not an invented fact.
- A name is *grounded* when its words occur in the source as a contiguous
  phrase, case- and diacritic-insensitively and tolerant of German inflection
  ("Selenskyjs", "des Kremls", "der Europäischen Union"); or when an alias-table
  variant or a transliteration-similar spelling occurs ("Zelensky" for
  "Selenskyj"). A one-word name also counts when it is part of a hyphenated
  word ("Putin-Vertraute").
- A person whose full name is not in the source is grounded by the surname
  alone, but is then named as the source names them: "Wolodymyr Selenskyj"
  becomes "Selenskyj" when the source never gives the first name, since an
  unverified first name may be wrong (the model might say "Olaf Merz"). A
  surname is expanded to the source's fuller form ("Trump" → "Donald Trump").
- Anything else is *ungrounded*: listed in `ungrounded` and not kept.

Grounded names are merged within the article (see `entity_merge`), and each
entity keeps the other spellings it was given, plus alias-table spellings the
source uses, as `aliases`.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from summarize.ground.checks import CopyStats, TldrCheck, check_tldr, copy_stats
from summarize.ground.entities import Mention, merge_entities, merge_mentions
from summarize.ground.lexicon import alias_key, alias_variants, is_function_word
from summarize.ground.names import clean_entity_name, is_generic_name
from summarize.ground.source_index import SourceIndex, source_index
from summarize.models import Entity, RawEntity
from summarize.text.normalize import fold, name_word_matches

__all__ = [
    "CopyStats", "GroundedEntities", "TldrCheck", "check_tldr", "copy_stats", "ground_entities",
    "ground_name", "merge_entities",
]


class GroundedEntities(BaseModel):
    entities: list[Entity] = Field(default_factory=list)
    ungrounded: list[str] = Field(default_factory=list)  # names the source does not contain
    dropped: list[str] = Field(default_factory=list)  # generic nouns and empty names


class NameMatch(BaseModel):
    name: str  # the name as the source writes it, in its base form where possible
    aliases: list[str] = Field(default_factory=list)  # the model's spelling, alias-table spellings in the source
    occurrences: int = 0


def ground_entities(raw: list[RawEntity], source: str) -> GroundedEntities:
    index = source_index(source)
    mentions: list[Mention] = []
    ungrounded: list[str] = []
    dropped: list[str] = []
    for entity in raw:
        name = clean_entity_name(entity.name, entity.type)
        if not name or is_generic_name(name, index.capitalised_words):
            if entity.name.strip():
                _append_new(dropped, entity.name.strip())
            continue
        match = ground_name(name, entity.type, index)
        if match is None:
            _append_new(ungrounded, name)
            continue
        mentions.append(Mention(name=match.name, type=entity.type, forms=match.aliases,
                                weight=max(1, match.occurrences)))
    return GroundedEntities(entities=merge_mentions(mentions), ungrounded=ungrounded, dropped=dropped)


def ground_name(name: str, entity_type: str, index: SourceIndex) -> NameMatch | None:
    """How the source writes `name`, or None if it does not contain it."""
    found = index.find_name(name)
    if found is None and " " in name and is_function_word(name.split()[0]):
        found = index.find_name(name.split(" ", 1)[1])
    by_surname = False
    if found is None and entity_type == "PER" and " " in name:
        found, by_surname = index.find_name(name.split()[-1]), True
    if found is None:
        return None
    name_text, occurrences = found
    if entity_type == "PER":
        fuller = index.expand_person(occurrences)
        if fuller is not None and len(index.surface(fuller).split()) > len(name_text.split()):
            name_text = index.base_form(index.surface(fuller))
    variants = [v for v in alias_variants(name_text) if alias_key(v) != alias_key(name_text)]
    source_forms = [v for v in variants if any(o.exact for o in index.find(v))]
    # The model's own spelling is an alias unless it is a mere inflection of
    # the source's form, or carries a given name the source does not confirm.
    model_form = index.base_form(name)
    model_forms = [] if by_surname or _is_inflection_of(model_form, name_text) else [model_form]
    return NameMatch(name=name_text, aliases=model_forms + source_forms, occurrences=len(occurrences))


def _is_inflection_of(name: str, base: str) -> bool:
    """Whether `name` is `base`, or its last words, in another case: "Umjerows"
    of "Rustem Umjerow". An uninflected surname is not: it is a useful alias."""
    words, base_words = fold(name).split(), fold(base).split()
    tail = base_words[-len(words):]
    if len(words) > len(base_words) or words == tail and len(words) < len(base_words):
        return False
    return all(name_word_matches(b, w, adjective=True) for w, b in zip(words, tail))


def _append_new(names: list[str], name: str) -> None:
    if alias_key(name) not in {alias_key(n) for n in names}:
        names.append(name)
