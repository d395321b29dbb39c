"""Repairs of a model's TLDR: cut-off tails and sentences naming what the article lacks."""

from __future__ import annotations

from summarize.ground.checks import check_tldr
from summarize.ground.repair import repair_tldr, supported_facts

SOURCE = (
    "Die Stadtwerke Lindenau bauen bis 2030 ein Fernwärmenetz für 4,6 Milliarden Euro. "
    "Bürgermeisterin Ingrid Wolf sagte, 12.000 Haushalte sollen angeschlossen werden. "
    "Der Mieterverein kritisiert die Kosten."
)


def test_a_sentence_lifted_from_the_prompt_example_is_dropped_and_kept_aside() -> None:
    tldr = ("Lindenau baut bis 2030 ein Fernwärmenetz für 4,6 Milliarden Euro. "
            "Hamburgs Hochbahn setzt 40 neue Elektrobusse für 24 Millionen Euro ein.")
    repaired = repair_tldr(tldr, SOURCE)
    assert repaired.text == "Lindenau baut bis 2030 ein Fernwärmenetz für 4,6 Milliarden Euro."
    assert repaired.dropped == ["Hamburgs Hochbahn setzt 40 neue Elektrobusse für 24 Millionen Euro ein."]
    assert check_tldr(repaired.text, SOURCE).names_not_in_source == []


def test_a_sentence_with_an_invented_number_is_dropped() -> None:
    tldr = "Lindenau baut ein Fernwärmenetz. Angeschlossen werden 15.000 Haushalte."
    repaired = repair_tldr(tldr, SOURCE)
    assert repaired.text == "Lindenau baut ein Fernwärmenetz."
    assert repaired.dropped == ["Angeschlossen werden 15.000 Haushalte."]


def test_a_cut_off_last_sentence_and_a_stray_cjk_token_go() -> None:
    tldr = "Lindenau baut ein Fernwärmenetz für 4,6 Milliarden Euro. Ingrid Wolf sagte, 12.000 Haus抗"
    repaired = repair_tldr(tldr, SOURCE)
    assert repaired.text == "Lindenau baut ein Fernwärmenetz für 4,6 Milliarden Euro."
    assert repaired.dropped == ["Ingrid Wolf sagte, 12.000 Haus"]


def test_nothing_supported_left_means_the_tldr_stays_as_it_is_for_its_flags() -> None:
    tldr = "Olaf Scholz eröffnet in Hamburg 40 Elektrobusse."
    repaired = repair_tldr(tldr, SOURCE)
    assert repaired.text == tldr and repaired.dropped == []
    assert "name_not_in_source" in check_tldr(repaired.text, SOURCE).flags


def test_a_faithful_single_sentence_is_untouched() -> None:
    tldr = "Ingrid Wolf: 12.000 Haushalte in Lindenau sollen bis 2030 Fernwärme bekommen."
    assert repair_tldr(tldr, SOURCE).text == tldr
    fragment = "Lindenau baut ein Fernwärmenetz für 4,6 Milliarden"
    assert repair_tldr(fragment, SOURCE).text == fragment  # nothing complete to fall back on


def test_a_single_cut_off_sentence_keeps_its_complete_clauses() -> None:
    tldr = "Lindenau baut ein Fernwärmenetz für 4,6 Milliarden Euro, 12.000 Haushalte sollen angeschlos"
    repaired = repair_tldr(tldr, SOURCE)
    assert repaired.text == "Lindenau baut ein Fernwärmenetz für 4,6 Milliarden Euro …"
    assert repaired.dropped == ["12.000 Haushalte sollen angeschlos"]
    stub = "Lindenau, so Ingrid Wolf, baut bis 2030 ein Fernwärmenetz für 4,6 Milliarden Euro für 12.000 Haush"
    assert repair_tldr(stub, SOURCE).text == stub  # cutting would leave a stub


def test_key_facts_naming_what_the_article_lacks_are_left_out() -> None:
    facts = ["Fernwärmenetz für 4,6 Milliarden Euro", "Hochbahn kauft 40 Elektrobusse", "Mieterverein kritisiert Kosten"]
    assert supported_facts(facts, SOURCE) == [facts[0], facts[2]]


def test_a_sentence_initial_common_word_of_the_source_is_not_a_name() -> None:
    source = "Lausanne — La grève des transports publics est suspendue après un accord salarial."
    assert check_tldr("Grève suspendue après un accord salarial.", source).names_not_in_source == []
    assert check_tldr("Grève suspendue, dit Pascal Rochat.", source).names_not_in_source == ["Pascal Rochat"]
