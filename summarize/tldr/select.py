"""The per-article call for prompt versions that choose instead of write.

`tldr_select`: the model picks and types the entities from the names the
tool found in the article (`ground.candidates`), then writes key facts and
the TLDR as before. `tldr_extract`: it picks the entities the same way and
the numbers of the sentences that carry the story; the tool assembles the
TLDR from them (`tldr.extract`). `tldr_label`: as `tldr_extract`, but the
model labels every found name (person, organisation, place or other) in a
mapping whose keys the schema fixes, so it can neither stop early nor list a
name twice; `tldr_kind` gives the names that are no entity kinds of their
own (event, product, law or plan, common word). Either way the choices are
enums of the request's JSON schema, so a name the article lacks or a
sentence it does not have cannot be decoded, and the call is one per article
however long the article is (the prompt version condenses it).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from summarize.ground.candidates import Candidate, find_candidates
from summarize.ground.lexicon import alias_group_type
from summarize.ground.source_index import source_index
from summarize.llm.condense import condense
from summarize.llm.prompts import Prompt
from summarize.models import (
    KIND_TYPES,
    ExtractAnswer,
    KindAnswer,
    LabelAnswer,
    RawEntity,
    SelectAnswer,
)
from summarize.tldr.extract import (
    Sentence,
    assemble,
    choosable,
    numbered_sentences,
    shown,
)

SELECT_SCHEMAS = frozenset({"tldr_select", "tldr_extract", "tldr_label", "tldr_kind"})
# The versions whose TLDR the tool assembles from the sentences the model picks.
EXTRACT_SCHEMAS = frozenset({"tldr_extract", "tldr_label", "tldr_kind"})
# The versions that label every found name (a mapping keyed by the names).
LABEL_SCHEMAS = frozenset({"tldr_label", "tldr_kind"})
NAME_CHOICE = "entities.name"
LABEL_CHOICE = "entities"
NO_NAMES = "(none)"
# A label version spells every name it labels (decoded token by token); on
# the dev split the 30 most mentioned names of an article find as many gold
# entities as all 60 (recall 0.886).
LABELLED_NAMES = 30


@dataclass
class Selection:
    """What one article's call offers the model, and what its answer refers to."""

    variables: dict[str, str]
    choices: dict[str, list]
    candidates: list[Candidate] = field(default_factory=list)
    sentences: list[Sentence] = field(default_factory=list)


def chooses(prompt: Prompt) -> bool:
    return prompt.schema_name in SELECT_SCHEMAS


def extracts(prompt: Prompt) -> bool:
    """Whether the version's TLDR is the article's own sentences."""
    return prompt.schema_name in EXTRACT_SCHEMAS


def prepare(text: str, headline: str | None, language: str | None, prompt: Prompt,
            variables: dict[str, str], is_injected=None) -> Selection:
    """The variables and enum choices of the call for `text` (the article as
    a reader sees it, headline first when it has one)."""
    labels = prompt.schema_name in LABEL_SCHEMAS
    candidates = find_candidates(text, language, limit=LABELLED_NAMES) if labels else find_candidates(text, language)
    names = [c.name for c in candidates]
    shown_text = (condense(text, prompt.input_budget, source_index(text).tokens)
                  if prompt.input_budget is not None else text)
    selection = Selection({**variables, "names": "\n".join(names) or NO_NAMES},
                          {LABEL_CHOICE if labels else NAME_CHOICE: names}, candidates)
    if extracts(prompt):
        selection.sentences = numbered_sentences(shown_text, headline, is_injected)
        lines = ([f"Headline: {headline}"] if headline else []) + [shown(selection.sentences)]
        selection.variables["article"] = "\n".join(lines)
        selection.choices["sentences"] = choosable(selection.sentences)
    else:
        selection.variables["article"] = shown_text
    return selection


def chosen_entities(answer: SelectAnswer | ExtractAnswer | LabelAnswer | KindAnswer) -> list[RawEntity]:
    """The names the model chose (or labelled as a person, organisation or
    place), each once; the alias table's type wins where it knows the name
    ("Moskau" is a place even when it stands for the government)."""
    if isinstance(answer, LabelAnswer):
        return [RawEntity(name=name, type=alias_group_type(name) or label)
                for name, label in answer.entities.items() if label != "other"]
    if isinstance(answer, KindAnswer):
        return [RawEntity(name=name, type=alias_group_type(name) or KIND_TYPES[kind])
                for name, kind in answer.entities.items() if kind in KIND_TYPES]
    seen: set[str] = set()
    entities = []
    for entity in answer.entities:
        if entity.name in seen:
            continue
        seen.add(entity.name)
        entities.append(RawEntity(name=entity.name, type=alias_group_type(entity.name) or entity.type))
    return entities


def extracted_tldr(answer: ExtractAnswer | LabelAnswer | KindAnswer, selection: Selection, max_words: int) -> str:
    return assemble(list(answer.sentences), selection.sentences, max_words)
