"""Turning what a model lists as an entity into a bare name.

Models copy the words around a name: articles and prepositions ("in Kyjiw",
"der Ukraine"), titles and roles ("US-Außenminister Marco Rubio",
"Secretary of State Marco Rubio", "le président Emmanuel Macron"), apposition
("Marco Rubio, US-Außenminister"). `clean_entity_name` removes them;
`is_generic_name` recognises answers that are no name at all ("Vertreter",
"nationale Sicherheitsberater", "officials").
"""

from __future__ import annotations

import re

from summarize.ground.lexicon import (
    alias_group,
    is_function_word,
    is_generic_word,
    is_lowercase_common_word,
    is_role_word,
    is_temporal_word,
    word_list,
)
from summarize.text.normalize import fold

# Lower-case particles that belong to a surname ("Ursula von der Leyen", "de Gaulle").
_NAME_PARTICLES = frozenset({"von", "van", "vom", "de", "da", "di", "del", "della", "du", "dos", "zu",
                             "ter", "ten", "bin", "ibn", "af", "av", "der", "den"})
_GENITIVE_ARTICLES = frozenset({"der", "des"})
_NAME_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv"})
_QUOTES = "\"'„“”‚‘’«»‹›"


def clean_entity_name(name: str, entity_type: str) -> str:
    """The name without surrounding grammar, titles or apposition; "" if nothing is left."""
    name = " ".join(name.replace("\u00ad", "").split()).strip(_QUOTES + " ,;:!?")
    if name.endswith(".") and not re.search(r"\b\w\.$", name):  # keep the dot of "U.S."
        name = name[:-1]
    name = re.split(r"\s*[(,;/|]\s*|\s+[–—-]\s+", name, maxsplit=1)[0]
    words = [w.strip(_QUOTES) for w in name.split()]
    words = [w for w in words if w]
    words = _drop_leading_grammar(words, entity_type)
    if entity_type == "PER":
        words = _drop_titles(words)
    words = _drop_leading_place_class(words)
    return " ".join(words)


def _drop_leading_grammar(words: list[str], entity_type: str) -> list[str]:
    while len(words) > 1:
        first = words[0]
        if not first[:1].isupper():
            # "der" opens "der Ukraine" but belongs to "von der Leyen": a particle
            # is kept only when it cannot be an article or preposition.
            if fold(first) in _NAME_PARTICLES and not is_function_word(first):
                break
            words = words[1:]  # article, preposition or adjective: "in", "le", "ukrainische"
        elif entity_type == "PER" and is_function_word(first):
            # A capitalised article can open a name ("Die Linke", "The Hague"),
            # but not a person's.
            words = words[1:]
        else:
            break
    return words


def _drop_titles(words: list[str]) -> list[str]:
    """Everything up to the last title that is followed by a name."""
    connectors, portfolios = word_list("title_connectors"), word_list("title_portfolios")
    for position in range(len(words) - 1, -1, -1):
        if not is_role_word(words[position]):
            continue
        rest = words[position + 1:]
        while rest:
            if fold(rest[0]) in _GENITIVE_ARTICLES and len(rest) > 1:
                rest = rest[2:]  # "Präsident der Ukraine", "Sprecher des Kremls"
            elif fold(rest[0]) in connectors or fold(rest[0]) in portfolios or is_role_word(rest[0]):
                rest = rest[1:]
            else:
                break
        if any(w[:1].isupper() and len(w) > 1 and fold(w).rstrip(".") not in _NAME_SUFFIXES for w in rest):
            return rest
    return words


def _drop_leading_place_class(words: list[str]) -> list[str]:
    # "Hauptstadt Kiew", "Region Odessa"; the kind of place is not its name.
    place_classes = word_list("place_class_nouns")
    while len(words) > 1 and fold(words[0]) in place_classes and words[1][:1].isupper():
        words = words[1:]
    return words


def is_generic_name(name: str, capitalised_in_source: frozenset[str] = frozenset()) -> bool:
    """Whether a cleaned name is a common noun rather than a name.

    `capitalised_in_source` (folded words the source capitalises) lets a
    lower-case answer such as "nato" count as a name when the source writes
    it with a capital.
    """
    words = name.split()
    if not words:
        return True
    if alias_group(name) is not None:
        return False
    if all(_is_non_name_word(w, capitalised_in_source) for w in words):
        return True
    return False


def _is_non_name_word(word: str, capitalised_in_source: frozenset[str]) -> bool:
    if not word[:1].isupper() and fold(word) not in capitalised_in_source and is_lowercase_common_word(word):
        return True
    return (is_generic_word(word) or is_role_word(word) or is_function_word(word) or is_temporal_word(word)
            or fold(word) in _NAME_PARTICLES)
