"""Every seed and every extra article, end to end, against evals/gold.jsonl."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from summarize.clean.cleaner import clean_paths, clean_text
from summarize.evaluate.cleanscore import (
    body_scores,
    body_without_title,
    boilerplate_left,
    load_gold,
    same_source,
    same_title,
)
from summarize.ingest.inputs import InputRef, read_input
from summarize.models import CleanedArticle

ROOT = Path(__file__).resolve().parent.parent
# The articles the cleaner was built on; the real pages added later are measured, not required to be perfect.
GOLD = [g for g in load_gold(ROOT / "evals" / "gold.jsonl") if g["split"] == "tuned"]
BY_ID = {entry["id"]: entry for entry in GOLD}


@pytest.fixture(scope="module")
def batch() -> dict[str, CleanedArticle]:
    """All gold inputs cleaned as one batch, as the CLI would."""
    articles = clean_paths([str(ROOT / entry["path"]) for entry in GOLD])
    return {entry["id"]: article for entry, article in zip(GOLD, articles)}


@pytest.fixture(scope="module")
def alone() -> dict[str, CleanedArticle]:
    """Each gold input cleaned on its own, without batch signals."""
    results = {}
    for entry in GOLD:
        path = ROOT / entry["path"]
        decoded = read_input(InputRef(str(path), path=path))
        results[entry["id"]] = clean_text(entry["path"], decoded.text, encoding=decoded.encoding,
                                          repairs=decoded.repairs)
    return results


def test_gold_covers_seeds_and_required_extras() -> None:
    ids = {entry["id"] for entry in GOLD}
    assert {"000", "001", "002", "003", "004"} <= ids
    extras = [e for e in GOLD if e["path"].startswith("evals/articles/")]
    assert len(extras) >= 6
    assert {"en", "de"} <= {e["language"] for e in extras} and {"fr", "it"} & {e["language"] for e in extras}
    assert any(e["path"].endswith(".html") for e in extras)
    for entry in GOLD:
        assert (ROOT / entry["path"]).is_file(), entry["path"]
        assert {"id", "path", "title", "source", "published", "language", "body", "boilerplate"} <= set(entry)


@pytest.mark.parametrize("article_id", sorted(BY_ID))
@pytest.mark.parametrize("mode", ["batch", "alone"])
def test_article_matches_gold(article_id: str, mode: str, request: pytest.FixtureRequest) -> None:
    gold = BY_ID[article_id]
    article = request.getfixturevalue(mode)[article_id]
    assert article.ok, article.error
    precision, recall, _ = body_scores(article.text, body_without_title(gold["body"], gold["title"]))
    assert recall >= 0.97, f"recall {recall:.3f}"
    assert precision >= 0.95, f"precision {precision:.3f}"
    assert boilerplate_left(article.text, gold["boilerplate"]) == 0
    assert same_title(article.title, gold["title"]), article.title
    assert same_source(article.source, gold["source"]), article.source
    assert article.published == gold["published"]
    assert article.language == gold["language"]
    assert article.tokens > 0
    assert "\n\n\n" not in article.text


def test_seed_004_mojibake_is_repaired(batch: dict[str, CleanedArticle]) -> None:
    article = batch["004"]
    assert "mixed code page mojibake" in article.repairs
    for word in ("längerem", "schlägt", "Präsident", "für", "Gespräche", "begrüße"):
        assert word in article.text
    for broken in ("Ă", "lÀngerem"):
        assert broken not in article.text


def test_seed_001_record_keeps_its_tldr_apart(batch: dict[str, CleanedArticle]) -> None:
    article = batch["001"]
    assert article.given_tldr and article.given_tldr.startswith("Die nationalen Sicherheitsberater")
    assert article.given_tldr not in article.text
    assert "\n" not in article.text  # one paragraph in, one paragraph out


def test_seed_003_relative_date_needs_today() -> None:
    path = ROOT / BY_ID["003"]["path"]
    (article,) = clean_paths([str(path)], today=date(2026, 1, 3))
    assert article.published == "2026-01-03"


def test_long_article_needs_chunking(batch: dict[str, CleanedArticle]) -> None:
    long = [a for a in batch.values() if len(a.text.split()) >= 3500]
    assert long and all(a.tokens > 6000 for a in long)


def test_cp1252_article_is_decoded(batch: dict[str, CleanedArticle]) -> None:
    (article,) = [a for a in batch.values() if a.encoding == "cp1252"]
    assert "decoded as cp1252" in article.repairs
    assert "€" in article.text and "„" in article.text


def test_removed_counts_dropped_lines(batch: dict[str, CleanedArticle]) -> None:
    assert batch["001"].removed == 3  # Datum, Quelle, TLDR
    assert batch["000"].removed > 60
