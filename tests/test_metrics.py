"""Evaluation metrics on hand-made examples with known answers, and the gold data itself."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest
from rouge_score.rouge_scorer import RougeScorer

from summarize.evaluate.cleanscore import same_title
from summarize.evaluate.metrics import (
    HEADLINE_METRICS,
    PRF,
    FoldingTokenizer,
    aggregate,
    bcubed,
    entity_scores,
    failure_rate,
    faithful_compression,
    lead_baseline,
    micro_prf,
    names_match,
    pairwise_f1,
    regressions,
    rouge_scores,
    tldr_faithfulness,
    tldr_language,
    tldr_metrics,
)
from summarize.ground.checks import check_tldr
from summarize.ground.source_index import SourceIndex
from summarize.models import Entity
from summarize.text.normalize import word_tokens

GOLD = Path(__file__).resolve().parent.parent / "evals" / "gold.jsonl"


def ent(name: str, kind: str = "PER", *aliases: str) -> Entity:
    return Entity(name=name, type=kind, aliases=list(aliases))


def gold(name: str, kind: str = "PER", *aliases: str) -> dict:
    return {"name": name, "type": kind, "aliases": list(aliases)}


# --- entities --------------------------------------------------------------------


def test_exact_match_scores_one():
    scores = entity_scores([ent("Wolodymyr Selenskyj"), ent("Kiew", "LOC")],
                           [gold("Wolodymyr Selenskyj"), gold("Kiew", "LOC")])
    assert (scores.precision, scores.recall, scores.f1) == (1.0, 1.0, 1.0)
    assert (scores.tp, scores.fp, scores.fn, scores.type_accuracy) == (2, 0, 0, 1.0)


def test_inflected_form_matches():
    assert entity_scores([ent("Selenskyjs")], [gold("Wolodymyr Selenskyj", "PER", "Selenskyj")]).f1 == 1.0
    assert entity_scores([ent("Kiews", "LOC")], [gold("Kiew", "LOC")]).f1 == 1.0
    commission = [gold("Europäische Kommission", "ORG")]
    assert entity_scores([ent("der Europäischen Kommission", "ORG")], commission).f1 == 1.0


def test_listed_alias_matches():
    assert entity_scores([ent("Kyjiw", "LOC")], [gold("Kiew", "LOC", "Kyjiw")]).f1 == 1.0
    # Outside the alias table only the gold aliases connect two names.
    listed = [gold("Mietervereinigung Österreichs", "ORG", "Mietervereinigung")]
    unlisted = [gold("Mietervereinigung Österreichs", "ORG")]
    assert entity_scores([ent("Mietervereinigung", "ORG")], listed).f1 == 1.0
    assert entity_scores([ent("Mietervereinigung", "ORG")], unlisted).f1 == 0.0


def test_spellings_and_surnames():
    assert entity_scores([ent("Volodymyr Zelensky")], [gold("Wolodymyr Selenskyj")]).tp == 1
    assert entity_scores([ent("Umerov")], [gold("Rustem Umjerow")]).tp == 1
    assert entity_scores([ent("Witkoff")], [gold("Steve Witkoff")]).tp == 1
    assert entity_scores([ent("Melania Trump")], [gold("Donald Trump")]).tp == 0
    assert entity_scores([ent("Schulz")], [gold("Olaf Scholz")]).tp == 0
    assert entity_scores([ent("Stadtwerke Rheinhausen", "ORG")], [gold("Stadtwerke Lindenau", "ORG")]).tp == 0


def test_surname_rule_needs_two_persons():
    assert not names_match("Kessler", "Anja Kessler")
    assert names_match("Kessler", "Anja Kessler", persons=True)
    assert entity_scores([ent("Kessler", "ORG")], [gold("Anja Kessler")]).tp == 0


def test_type_mismatch_counts_for_f1_not_for_type_accuracy():
    scores = entity_scores([ent("Trump", "ORG", "Donald Trump"), ent("Kiew", "LOC")],
                           [gold("Donald Trump"), gold("Kiew", "LOC")])
    assert scores.f1 == 1.0
    assert scores.type_accuracy == 0.5


def test_counts_with_a_miss_and_a_spurious_name():
    predicted = [ent("Selenskyj"), ent("Kiew", "LOC"), ent("Olaf Scholz")]
    expected = [gold("Wolodymyr Selenskyj", "PER", "Selenskyj"), gold("Kiew", "LOC"), gold("Paris", "LOC"),
                gold("NATO", "ORG")]
    scores = entity_scores(predicted, expected)
    assert (scores.tp, scores.fp, scores.fn) == (2, 1, 2)
    assert scores.precision == pytest.approx(2 / 3, abs=1e-4)
    assert scores.recall == 0.5
    assert scores.f1 == pytest.approx(4 / 7, abs=1e-4)
    assert scores.missed == ["Paris", "NATO"]
    assert scores.spurious == ["Olaf Scholz"]


def test_one_gold_entity_counts_once():
    scores = entity_scores([ent("Selenskyj"), ent("Wolodymyr Selenskyj")],
                           [gold("Wolodymyr Selenskyj", "PER", "Selenskyj")])
    assert (scores.tp, scores.fp, scores.fn) == (1, 1, 0)


def test_matching_is_maximal_not_greedy():
    # "Bär" fits both people; a greedy first choice would leave "Heinz" unmatched.
    predicted = [ent("Bär"), ent("Ursula Bär")]
    expected = [gold("Ursula Bär"), gold("Heinz Bär")]
    assert entity_scores(predicted, expected).tp == 2


def test_empty_conventions():
    assert entity_scores([], []).f1 == 1.0
    nothing = entity_scores([], [gold("Kiew", "LOC")])
    assert (nothing.precision, nothing.recall, nothing.f1) == (0.0, 0.0, 0.0)
    assert entity_scores([ent("Kiew", "LOC")], []).precision == 0.0


def test_micro_average_sums_counts():
    total = micro_prf([PRF(precision=1, recall=1, f1=1, tp=2, fp=0, fn=0),
                       PRF(precision=0, recall=0, f1=0, tp=0, fp=1, fn=1)])
    assert (total.tp, total.fp, total.fn) == (2, 1, 1)
    assert total.f1 == pytest.approx(2 / 3, abs=1e-4)


# --- TLDRs ------------------------------------------------------------------------

SOURCE = ("Gespräche zur Ukraine fortgesetzt\n\n"
          "Der ukrainische Präsident Wolodymyr Selenskyj hat in Kiew Sicherheitsberater aus 14 Staaten empfangen. "
          "Sie sprachen über Sicherheitsgarantien für die Ukraine. Russland nahm nicht teil.")


def test_hallucinated_name_lowers_entity_precision():
    faithful = tldr_metrics("Selenskyj empfing in Kiew Sicherheitsberater aus 14 Staaten.", SOURCE, None, "de", 60)
    invented = tldr_metrics("Selenskyj traf Olaf Scholz in Kiew.", SOURCE, None, "de", 60)
    assert faithful["entity_precision_source"] == 1.0
    assert invented["entity_precision_source"] == pytest.approx(2 / 3, abs=1e-4)
    assert invented["names_not_in_source"] == 1
    assert invented["all_names_numbers_in_source"] is False


def test_wrong_number_is_counted():
    row = tldr_metrics("Selenskyj empfing in Kiew Sicherheitsberater aus 15 Staaten.", SOURCE, None, "de", 60)
    assert row["numbers_not_in_source"] == 1
    assert row["names_not_in_source"] == 0


def test_length_language_and_compression():
    tldr = "Selenskyj hat in Kiew mit Beratern aus 14 Staaten über Sicherheitsgarantien gesprochen."
    row = tldr_metrics(tldr, SOURCE, None, "de", 10)
    assert row["words"] == 12
    assert row["within_limit"] is False
    assert row["language_ok"] is True
    assert row["compression"] == pytest.approx(12 / len(word_tokens(SOURCE)), abs=1e-4)
    assert row["rouge1"] is None
    english = tldr_metrics("Zelensky met security advisers from 14 countries in Kyiv to discuss guarantees.",
                           SOURCE, None, "de", 60)
    assert english["language"] == "en" and english["language_ok"] is False


def test_faithful_compression_rewards_brevity_only_without_inventions():
    short = tldr_metrics("Selenskyj hat in Kiew mit Beratern aus 14 Staaten gesprochen.", SOURCE, None, "de", 60)
    assert faithful_compression(short) == pytest.approx(1 - short["compression"], abs=1e-4)
    invented = tldr_metrics("Selenskyj hat in Kiew mit Beratern aus 15 Staaten gesprochen.", SOURCE, None, "de", 60)
    assert faithful_compression(invented) == 0.0
    english = tldr_metrics("Zelensky met advisers from 14 countries in Kyiv.", SOURCE, None, "de", 60)
    assert faithful_compression(english) == 0.0
    assert faithful_compression({}) == 0.0  # an article without a TLDR


def test_copied_lead_is_flagged():
    lead = lead_baseline(SOURCE, 2)
    row = tldr_metrics(lead, SOURCE, None, "de", 60)
    assert row["copied"] is True
    assert row["novel_bigrams"] == 0.0


def test_empty_tldr_has_no_quality_values():
    row = tldr_metrics("  ", SOURCE, "Eine Referenz.", "de", 60)
    assert row["words"] == 0 and row["language_ok"] is False
    assert row["entity_precision_source"] is None and row["all_names_numbers_in_source"] is None
    assert row["rouge1"] == 0.0


def test_rouge_tokenizer_keeps_german_words_whole():
    assert FoldingTokenizer(stemmed=False).tokenize("Präsident für Straße, US-Plan") == [
        "prasident", "fur", "strasse", "us", "plan"]
    assert FoldingTokenizer().tokenize("Verhandlungen") == FoldingTokenizer().tokenize("Verhandlung")


def test_rouge_on_german_text():
    reference = "Die Gespräche über Sicherheitsgarantien für die Ukraine wurden in Kiew fortgesetzt."
    assert rouge_scores(reference, reference) == {"rouge1": 1.0, "rouge2": 1.0, "rougeL": 1.0}
    paraphrase = "In Kiew gingen die Gespräche über Garantien weiter."
    scores = rouge_scores(paraphrase, reference)
    assert 0.0 < scores["rouge2"] < scores["rouge1"] < 1.0
    # rouge_score's own tokenizer keeps ASCII letters only: "Präsident für"
    # against "Präsident über" shares the fragments "pr" and "sident", and a
    # Cyrillic text has no tokens at all.
    assert RougeScorer(["rouge1"]).score("Präsident über", "Präsident für")["rouge1"].fmeasure < 0.6
    assert rouge_scores("Präsident für", "Präsident über")["rouge1"] == 0.5
    ukrainian = "Зеленський зустрівся з радниками в Києві"
    assert RougeScorer(["rouge1"]).score(ukrainian, ukrainian)["rouge1"].fmeasure == 0.0
    assert rouge_scores(ukrainian, ukrainian)["rouge1"] == 1.0


def test_rouge_in_tldr_metrics_uses_reference():
    row = tldr_metrics(SOURCE.split("\n\n")[1], SOURCE, SOURCE.split("\n\n")[1], "de", 60)
    assert (row["rouge1"], row["rouge2"], row["rougeL"]) == (1.0, 1.0, 1.0)


def test_language_of_short_text_is_chosen_among_prompt_languages():
    assert tldr_language("Selenskyj empfing in Kiew Berater aus vierzehn Staaten.") == "de"
    assert tldr_language("Zwei Wörter") is None


# --- lead baseline ----------------------------------------------------------------


def test_lead_skips_headline_and_subheadings():
    text = ("Gespräche zur Ukraine fortgesetzt\n\nErster Satz hier. Zweiter Satz hier.\n\n"
            "Eine Zwischenzeile\n\nDritter Satz hier. Vierter Satz hier.")
    assert lead_baseline(text) == "Erster Satz hier. Zweiter Satz hier. Dritter Satz hier."
    assert lead_baseline(text, 1) == "Erster Satz hier."


def test_lead_keeps_a_first_sentence_and_german_dates():
    text = "Die Berater treffen sich am 3. Jänner in Kiew. Danach folgt Paris. Dann Rom. Dann Berlin."
    assert lead_baseline(text, 2) == "Die Berater treffen sich am 3. Jänner in Kiew. Danach folgt Paris."


def test_lead_skips_a_headline_equal_to_the_title():
    text = "Ein langer Titel, der mit einem Punkt endet.\n\nDer erste Satz. Der zweite Satz."
    assert lead_baseline(text, 1) == "Ein langer Titel, der mit einem Punkt endet."
    assert lead_baseline(text, 1, title="Ein langer Titel, der mit einem Punkt endet") == "Der erste Satz."


# --- story clusters --------------------------------------------------------------

STORIES = {"a": "X", "b": "X", "c": "X", "d": "Y", "e": "Y"}


def test_bcubed_on_a_known_partition():
    # a, b: P 1, R 2/3; c: P 1/3, R 1/3; d, e: P 2/3, R 1 -> both means 11/15.
    scores = bcubed([["a", "b"], ["c", "d", "e"]], STORIES)
    assert scores.precision == pytest.approx(11 / 15, abs=1e-4)
    assert scores.recall == pytest.approx(11 / 15, abs=1e-4)
    lumped = bcubed([["a", "b", "c", "d"]], {"a": "X", "b": "X", "c": "X", "d": "Y"})
    assert lumped.precision == pytest.approx(0.625) and lumped.recall == 1.0
    assert lumped.f1 == pytest.approx(2 * 0.625 / 1.625, abs=1e-4)
    assert bcubed([["a", "b", "c"], ["d", "e"]], STORIES).f1 == 1.0


def test_pairwise_on_a_known_partition():
    scores = pairwise_f1([["a", "b"], ["c", "d", "e"]], STORIES)
    assert (scores.tp, scores.fp, scores.fn) == (2, 2, 2)
    assert scores.f1 == 0.5


def test_unclustered_items_are_singletons_and_duplicates_are_errors():
    assert bcubed([["a", "b", "c"]], STORIES) == bcubed([["a", "b", "c"], ["d"], ["e"]], STORIES)
    with pytest.raises(ValueError):
        pairwise_f1([["a", "b"], ["b", "c"]], STORIES)


# --- aggregation and the gate ----------------------------------------------------


def test_aggregate_means_ignore_none_and_text():
    rows = [{"a": 1, "b": None, "c": True, "s": "x"}, {"a": 3, "b": None, "c": False, "s": "y"}]
    assert aggregate(rows) == {"a": 2.0, "b": None, "c": 0.5}


def test_faithfulness_and_failure_rate():
    rows = [{"entity_precision_source": 1.0, "all_names_numbers_in_source": True},
            {"entity_precision_source": 0.5, "all_names_numbers_in_source": False},
            {"entity_precision_source": None, "all_names_numbers_in_source": True}]
    assert tldr_faithfulness(rows) == pytest.approx((0.75 + 2 / 3) / 2, abs=1e-4)
    assert tldr_faithfulness([]) is None
    assert failure_rate([True, False, True, True]) == 0.25


def test_headline_metrics_and_regressions():
    assert {(m.name, m.better) for m in HEADLINE_METRICS} == {
        ("entity_f1", "higher"), ("tldr_faithfulness", "higher"), ("failure_rate", "lower"), ("fluency", "higher")}
    baseline = {"entity_f1": 0.8, "tldr_faithfulness": 0.9, "failure_rate": 0.1}
    assert regressions({"entity_f1": 0.7, "tldr_faithfulness": 0.95, "failure_rate": 0.2}, baseline) == [
        "entity_f1", "failure_rate"]
    assert regressions({"entity_f1": 0.79, "tldr_faithfulness": 0.9, "failure_rate": 0.1}, baseline,
                       tolerance=0.02) == []


# --- the gold data ----------------------------------------------------------------


def load_gold() -> list[dict]:
    return [json.loads(line) for line in GOLD.read_text(encoding="utf-8").splitlines() if line.strip()]


# French and Italian write articles into the next word ("dell'Agenzia").
_ELISION = re.compile(r"\b(\w{1,4})['’](?=\w)")


def occurs(name: str, text: str) -> bool:
    return bool(SourceIndex(_ELISION.sub(r"\1' ", text)).find(_ELISION.sub(r"\1' ", name)))


@pytest.fixture(scope="module")
def gold_rows() -> list[dict]:
    return load_gold()


def test_every_line_has_the_evaluation_keys(gold_rows):
    for row in gold_rows:
        assert {"entities", "story", "reference_tldr", "reference_origin"} <= row.keys(), row["id"]
        assert row["reference_origin"] in ("page", "written")
        assert re.fullmatch(r"(\d{4}-\d{2}-\d{2}-)?[a-z0-9]+(-[a-z0-9]+)*", row["story"]), row["story"]
        for entity in row["entities"]:
            assert set(entity) == {"name", "type", "aliases"}
            assert entity["type"] in ("PER", "ORG", "LOC")


def test_gold_entities_are_named_in_the_body(gold_rows):
    for row in gold_rows:
        for entity in row["entities"]:
            forms = [entity["name"], *entity["aliases"]]
            assert any(occurs(form, row["body"]) for form in forms), (row["id"], entity["name"])
            for alias in entity["aliases"]:
                assert occurs(alias, row["body"]), (row["id"], alias)


def test_gold_entities_are_distinct_and_score_perfectly(gold_rows):
    for row in gold_rows:
        entities = [Entity.model_validate(e) for e in row["entities"]]
        for i, a in enumerate(entities):
            for b in entities[i + 1:]:
                assert entity_scores([a], [b]).tp == 0, (row["id"], a.name, b.name)
        assert entity_scores(entities, row["entities"]).f1 == 1.0


def test_reference_tldrs(gold_rows):
    for row in gold_rows:
        reference, body = row["reference_tldr"], row["body"]
        assert tldr_language(reference, row["language"]) == row["language"], row["id"]
        check = check_tldr(reference, body)
        assert not check.names_not_in_source and not check.numbers_not_in_source, (row["id"], check)
        if row["reference_origin"] == "written":
            assert len(word_tokens(reference)) <= 60, row["id"]
            assert "copied" not in check.flags, row["id"]


def test_story_keys_group_the_seeds(gold_rows):
    stories = {row["id"]: row["story"] for row in gold_rows}
    seeds = [row["id"] for row in gold_rows if row["path"].startswith("seeds/")]
    groups: dict[str, set[str]] = {}
    for article in seeds:
        groups.setdefault(stories[article], set()).add(article)
    assert sorted(map(sorted, groups.values())) == [["000", "001"], ["002"], ["003", "004"]]
    written = [stories[row["id"]] for row in gold_rows if row["split"] == "tuned" and not row["path"].startswith("seeds/")]
    assert len(set(written)) == len(written)
    assert not set(written) & set(groups)


def test_the_real_pages_test_clustering(gold_rows):
    pages = [row for row in gold_rows if row["split"] != "tuned"]
    assert len(pages) >= 60
    by_story: dict[str, list[dict]] = {}
    for row in pages:
        by_story.setdefault(row["story"], []).append(row)
    shared = [rows for rows in by_story.values() if len({r["source"] for r in rows}) >= 2]
    assert len(shared) >= 8, "stories reported by several outlets"
    assert any(len({r["language"] for r in rows}) >= 2 for rows in shared), "a story across languages"
    assert len({row["source"] for row in pages}) >= 30
    languages = Counter(row["language"] for row in pages)
    assert len(languages) >= 4 and languages.most_common(1)[0][0] == "de"
    # A story never straddles the split: the split is a function of the story key.
    assert all(len({r["split"] for r in rows}) == 1 for rows in by_story.values())


def test_lead_baseline_skips_the_gold_headlines(gold_rows):
    for row in gold_rows:
        first_line = row["body"].splitlines()[0]
        for title in (row["title"], None):
            lead = lead_baseline(row["body"], title=title)
            assert lead, row["id"]
            if same_title(first_line, row["title"]):
                assert not lead.startswith(first_line), row["id"]
    tuned = [row for row in gold_rows if row["split"] == "tuned"]
    assert sum(same_title(row["body"].splitlines()[0], row["title"]) for row in tuned) >= len(tuned) - 1
    # seed 001 has no headline line; on the real pages a null title means none
