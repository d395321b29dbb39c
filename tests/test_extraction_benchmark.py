"""The extraction benchmark's functions on three pages of each corpus (skipped without the corpora)."""

from __future__ import annotations

import math
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CORPUS_DIR = REPO.parent / "shared" / "corpora" / "extraction"

sys.path.insert(0, str(REPO / "benchmarks"))
import extraction
from extraction_split import split_of


@pytest.fixture(scope="module")
def scored() -> dict:
    if not (CORPUS_DIR / "score.py").is_file():
        pytest.skip(f"extraction corpora not found at {CORPUS_DIR}")
    scorer = extraction.load_scorer(CORPUS_DIR)
    results = {}
    for corpus in extraction.CORPORA:
        gold = extraction.load_gold(scorer, CORPUS_DIR, corpus, limit=3)
        runs = extraction.run_systems(CORPUS_DIR, corpus, gold, extraction.INPUTS)
        results[corpus] = {(run.system, run.input): extraction.score_run(scorer, corpus, gold, run) for run in runs}
    return results


def _fractions(figures: dict) -> list[float]:
    keys = ("precision", "recall", "f1", "title_exact", "date_exact")
    return [figures[key] for key in keys if key in figures] + list(figures["f1_ci95"])


def test_every_system_and_input_is_scored(scored):
    for runs in scored.values():
        assert set(runs) == {("raw dump", "inscriptis"), ("raw dump", "htmltext"), ("trafilatura", "html"),
                             ("summarize", "html"), ("summarize", "inscriptis"), ("summarize", "htmltext")}
        for figures in runs.values():
            assert figures["all"]["pages"] == 3


def test_scores_are_fractions(scored):
    for runs in scored.values():
        for parts in runs.values():
            for figures in filter(None, parts.values()):
                for value in _fractions(figures):
                    assert isinstance(value, float) and not math.isnan(value) and 0.0 <= value <= 1.0
                low, high = figures["f1_ci95"]
                assert low <= high


def test_raw_dump_keeps_nearly_all_of_the_article(scored):
    for kind in ("inscriptis", "htmltext"):
        assert scored["scrapinghub"][("raw dump", kind)]["all"]["recall"] > 0.8


def test_cleaning_is_timed(scored):
    for runs in scored.values():
        for kind in extraction.INPUTS:
            assert runs[("summarize", kind)]["all"]["seconds_per_page"] > 0


def test_split_is_stable_and_about_a_quarter():
    assert split_of("042bb7b5feda") == split_of("042bb7b5feda")
    held = sum(split_of(f"page-{i}") == "holdout" for i in range(4000))
    assert 800 < held < 1200
