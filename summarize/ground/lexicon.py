"""Word knowledge for telling names from the words around them.

The word lists live in `summarize/data/*.toml`; a general dictionary of German
and English words comes from simplemma, whose data ships in its wheel. All
lookups take any spelling and compare folded forms.
"""

from __future__ import annotations

import os
import threading
import tomllib
import unicodedata
from functools import cache, lru_cache
from importlib import resources
from pathlib import Path

import platformdirs

from summarize.text.normalize import (
    ADJECTIVE_ENDINGS,
    NAME_ENDINGS,
    fold,
    strip_ending,
    translit_key,
)

_LEXICON_LANGUAGES = ("de", "en")
# Per-word answers are cached, but only for the words of the last few
# articles: a day's pile must not keep every word it has seen in memory.
WORD_CACHE = 8192
# Linking elements between the parts of a German compound ("Sicherheits|rat").
_LINKING = ("", "s", "es", "n", "en", "er")
_COMMON_NOUN_SUFFIXES = ("ung", "heit", "keit", "schaft", "tion", "sion", "ität", "ismus", "nis", "tum",
                         "ment", "chen", "lein", "ungen", "heiten", "keiten", "schaften", "tionen")


@cache
def _load(name: str) -> dict:
    with resources.files("summarize").joinpath("data", name).open("rb") as handle:
        return tomllib.load(handle)


@cache
def _folded_set(key: str) -> frozenset[str]:
    return frozenset(fold(word) for word in _load("name_words.toml")[key])


def word_list(key: str) -> frozenset[str]:
    """A folded word list from name_words.toml: roles, generic_nouns, temporal_words, ..."""
    return _folded_set(key)


# --- aliases ------------------------------------------------------------------


@cache
def alias_groups() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(type, names) for every group of the alias table, in file order."""
    return tuple((group["type"], tuple(group["names"])) for group in _load("aliases.toml")["group"])


def alias_key(name: str) -> str:
    """How alias-table names are compared: folded, without dots, hyphens as
    spaces, and adjective endings of all but the last word removed, so
    "der Europäischen Union" finds "Europäische Union"."""
    words = fold(name).replace(".", "").replace("-", " ").split()
    return " ".join([strip_ending(w, ADJECTIVE_ENDINGS) for w in words[:-1]] + words[-1:])


@cache
def _alias_index() -> dict[str, int]:
    index: dict[str, int] = {}
    for number, (_, names) in enumerate(alias_groups()):
        for name in names:
            index.setdefault(alias_key(name), number)
            if len(translit_key(name)) >= 5:
                index.setdefault(translit_key(name), number)
    return index


@cache
def known_alias_names() -> frozenset[str]:
    """`alias_key` of every name in the alias table."""
    return frozenset(alias_key(name) for _, names in alias_groups() for name in names)


@lru_cache(maxsize=WORD_CACHE)
def alias_group(name: str) -> int | None:
    """The alias-table group a name belongs to, also in an inflected form
    ("Kiews", "des Kremls"), or None."""
    index = _alias_index()
    key = alias_key(name)
    if not key:
        return None
    keys = [key] + [key[: -len(e)] for e in NAME_ENDINGS if key.endswith(e) and len(key) - len(e) >= 3]
    if len(translit_key(name)) >= 5:
        keys.append(translit_key(name))
    for candidate in keys:
        if candidate in index:
            return index[candidate]
    return None


def alias_group_type(name: str) -> str | None:
    group = alias_group(name)
    return alias_groups()[group][0] if group is not None else None


def alias_variants(name: str) -> tuple[str, ...]:
    """All names of the alias-table group of `name`, or just `name`."""
    group = alias_group(name)
    return alias_groups()[group][1] if group is not None else (name,)


def table_spelling(name: str) -> str:
    """The alias table's spelling of a name of several words that differs
    from it only by the endings of the words before the last: "Europäischen
    Kommission" (as in "der Europäischen Kommission") is shown "Europäische
    Kommission". Any other name is returned as it is."""
    words = name.split()
    if len(words) < 2:
        return name
    key = alias_key(name)
    for variant in alias_variants(name):
        variant_words = variant.split()
        if len(variant_words) == len(words) and fold(variant_words[-1]) == fold(words[-1]) \
                and alias_key(variant) == key:
            return variant
    return name


# --- roles and generic words -------------------------------------------------


def _inflection_candidates(word: str) -> set[str]:
    word = fold(word)
    found = {word}
    for ending in ("innen", "nen", "en", "n", "s", "e", "r"):
        if word.endswith(ending) and len(word) - len(ending) >= 3:
            found.add(word[: -len(ending)])
    return found


@lru_cache(maxsize=WORD_CACHE)
def is_role_word(word: str) -> bool:
    """A title or role, also as a German compound or plural: "US-Außenminister",
    "Kremlchef", "Sicherheitsberatern", "Präsident"."""
    head = fold(word).rstrip(".").split("-")[-1]
    if not head:
        return False
    roles, endings = word_list("roles"), word_list("role_endings")
    for form in _inflection_candidates(head):
        if form in roles or form in endings:
            return True
        if any(form.endswith(ending) and len(form) - len(ending) >= 3 for ending in endings):
            return True
    return False


@lru_cache(maxsize=WORD_CACHE)
def is_generic_word(word: str) -> bool:
    """A common noun that names nobody in particular: "Vertreter", "Partnerstaaten",
    "US-Regierung", "Europäer", "officials"."""
    folded = fold(word)
    if _inflection_candidates(folded) & word_list("generic_nouns"):
        return True
    head = folded.split("-")[-1]
    if head in word_list("generic_nouns") and "-" in folded:
        return True
    return any(head.endswith(h) and (len(head) - len(h) >= 3 or "-" in folded) for h in word_list("generic_heads"))


def is_function_word(word: str) -> bool:
    return fold(word) in word_list("leading_function_words")


def is_temporal_word(word: str) -> bool:
    return fold(word) in word_list("temporal_words")


# --- general dictionary ------------------------------------------------------


# simplemma decodes a language's packed dictionary on every process start
# (1 s for German) and concurrent first uses each decode their own copy. Its
# trie form (marisa-trie) is built once per installation into the cache
# directory and then opens in milliseconds, with the least memory of its
# backends; its slower lookups are cached here and in `cluster`. Loaded once,
# under a lock.
_lexicon_lock = threading.Lock()
_lexicon: tuple | None = None


def dictionary_cache_dir() -> Path:
    import simplemma

    return Path(platformdirs.user_cache_dir("summarize")) / f"simplemma-{simplemma.__version__}"


def _open_lexicon() -> tuple:
    from simplemma import Lemmatizer
    from simplemma.strategies import (
        DefaultStrategy,
        DictionaryLookupStrategy,
        TrieDictionaryFactory,
    )

    class AtomicTrieFactory(TrieDictionaryFactory):
        # Written under a temporary name and renamed, so that a digest
        # starting meanwhile never opens a half-written trie.
        def _write_trie_to_disk(self, lang, trie) -> None:
            target = dictionary_cache_dir() / f"{lang}.dic"
            target.parent.mkdir(parents=True, exist_ok=True)
            partial = target.with_suffix(f".tmp{os.getpid()}")
            try:
                trie.save(str(partial))
                os.replace(partial, target)
            finally:
                partial.unlink(missing_ok=True)

    factory = AtomicTrieFactory(disk_cache_dir=str(dictionary_cache_dir()))
    for language in _LEXICON_LANGUAGES:
        factory.get_dictionary(language)
    return Lemmatizer(cache_max_size=WORD_CACHE, lemmatization_strategy=DefaultStrategy(dictionary_factory=factory)), \
        DictionaryLookupStrategy(factory)


def _lexicon_parts() -> tuple:
    global _lexicon
    if _lexicon is None:
        with _lexicon_lock:
            if _lexicon is None:
                _lexicon = _open_lexicon()
    return _lexicon


def lemmatize(word: str, lang: str | tuple[str, ...] = "de") -> str:
    """simplemma's lemma of `word` (the word itself when unknown)."""
    return _lexicon_parts()[0].lemmatize(word, lang)


@lru_cache(maxsize=WORD_CACHE)
def is_known_word(word: str) -> bool:
    """Whether a German or English dictionary lists the word (names of famous
    places and people included: the dictionary cannot tell them apart)."""
    lookup = _lexicon_parts()[1]
    token = unicodedata.normalize("NFC", word)
    return any(lookup.get_lemma(token, language) is not None for language in _LEXICON_LANGUAGES)


@lru_cache(maxsize=WORD_CACHE)
def is_compound_of_known_words(word: str, depth: int = 2) -> bool:
    """A German compound whose parts are dictionary words: "Sicherheitsratssekretär"."""
    if depth == 0 or len(word) < 7:
        return False
    for split in range(3, len(word) - 3):
        head = word[split:]
        # The head of a German compound is a noun: "Kimmich" does not end in "mich".
        if len(head) < 4 or not is_known_word(head.capitalize()) or not lemmatize(head.capitalize())[:1].isupper():
            continue
        prefix = word[:split]
        for link in _LINKING:
            if link and not prefix.endswith(link):
                continue
            stem = prefix[: len(prefix) - len(link)] if link else prefix
            if len(stem) >= 3 and (is_known_word(stem) or is_compound_of_known_words(stem, depth - 1)):
                return True
    return False


@lru_cache(maxsize=WORD_CACHE)
def looks_like_common_word(word: str) -> bool:
    """Whether a capitalised word is more likely a dictionary word than a name.

    German capitalises every noun, so capitalisation says little. A word counts
    as common when the dictionary knows it, when it is a compound of dictionary
    words, or when it has a typical noun suffix.
    """
    folded = fold(word)
    if alias_group(word) is not None:
        return False
    if is_known_word(word) or is_known_word(word.lower()):
        return True
    return folded.endswith(_COMMON_NOUN_SUFFIXES) or is_compound_of_known_words(word.lower())


@lru_cache(maxsize=WORD_CACHE)
def is_common_noun_shaped(word: str) -> bool:
    """A dictionary word that is an inflected form ("Gespräche" → "Gespräch")
    or carries a noun suffix: common nouns rather than names that happen to be
    in the dictionary ("Scholz", "Olaf")."""
    if fold(word).endswith(_COMMON_NOUN_SUFFIXES) or is_generic_word(word) or is_role_word(word):
        return True
    return is_known_word(word) and fold(lemmatize(word, lang="de")) != fold(word)


_ADJECTIVE_SUFFIXES = ("isch", "ische", "ischen", "ischer", "isches", "ischem", "lich", "liche", "lichen",
                       "licher", "liches", "ian", "ish", "ese")


@lru_cache(maxsize=WORD_CACHE)
def is_lowercase_common_word(word: str) -> bool:
    """A lower-case word that is an adjective or an inflected dictionary word
    ("russischen", "westliche"), as opposed to a name written in lower case
    ("dpa", "oe24")."""
    folded = fold(word)
    if folded.endswith(_ADJECTIVE_SUFFIXES) or is_generic_word(word):
        return True
    return is_known_word(word) and fold(lemmatize(word, lang="de")) != folded
