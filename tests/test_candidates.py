"""The names a model may choose from are found in the article itself."""

import json
from pathlib import Path

import pytest

from summarize.evaluate.metrics import names_match
from summarize.ground.candidates import find_candidates

ROOT = Path(__file__).resolve().parent.parent


def names(text: str, language: str = "de") -> list[str]:
    return [c.name for c in find_candidates(text, language)]


def test_a_role_before_and_a_noun_after_a_name_are_cut():
    assert names("Chefunterhändler Rustem Umjerow sagte Medien in Kiew, die Gespräche seien gut gewesen.") \
        == ["Rustem Umjerow", "Kiew"]
    assert names("„Ich hoffe auf Frieden“, sagte Chefunterhändler Rustem Umjerow Medien in Kiew zufolge.") \
        == ["Rustem Umjerow", "Kiew"]
    assert "Thomas Gerber" in names("Im Kreistag sprach Landrat Thomas Gerber von einem Erfolg.")


def test_a_phrase_of_common_nouns_is_no_organisation():
    found = names("Selenskyj traf in Kiew die Generalstabschefs der Verbündeten des Landes.")
    assert found == ["Selenskyj", "Kiew"]
    assert not any("Verbündeten" in n or "Generalstab" in n for n in found)


def test_a_genitive_is_folded_into_the_name():
    found = find_candidates("Selenskyjs Büro bestätigte das Treffen. Selenskyj reiste danach nach Paris.", "de")
    assert [c.name for c in found] == ["Selenskyj", "Paris"]
    assert found[0].count == 2 and found[0].type_hint == "PER"


def test_multi_word_names_are_joined():
    assert names("Am Sonntag trafen sich Selenskyj und US-Präsident Donald Trump in Florida.") \
        == ["Selenskyj", "US", "Donald Trump", "Florida"]
    assert names("Die Europäische Kommission beriet mit Ursula von der Leyen und der Koalition der Willigen.") \
        == ["Europäische Kommission", "Ursula von der Leyen", "Koalition der Willigen"]
    assert names("Die Papierfabrik Kessler und die Stadtwerke Lindenau bauen am Kepler-Gymnasium.") \
        == ["Papierfabrik Kessler", "Stadtwerke Lindenau", "Kepler-Gymnasium"]


def test_languages_that_capitalise_only_names():
    assert names("Power was cut in Cornwall, Western Grid Networks said. The Met Office issued a warning.", "en") \
        == ["Cornwall", "Western Grid Networks", "Met Office"]
    assert names("El Ayuntamiento de Zaragoza aprobó el plan con la Confederación Hidrográfica del Ebro.", "es") \
        == ["Ayuntamiento de Zaragoza", "Confederación Hidrográfica del Ebro"]
    # A sentence's first word is no name unless the text capitalises it inside a sentence too.
    assert names("Plusieurs lignes restent fermées à Renens. L'accord a été signé.", "fr") == ["Renens"]


def test_a_dateline_place_and_spellings_of_one_name():
    found = find_candidates("BERLIN (dpa) - In Berlin und in Kyjiw wurde verhandelt. Kiew bestätigte das.", "de")
    assert [c.name for c in found] == ["Berlin", "Kyjiw"]
    assert found[1].forms == ["Kiew"]


def test_cities_the_dictionary_lists_as_words_are_names_unless_used_as_nouns():
    # "Kiel" and "Emden" are German dictionary words; GeoNames knows them as cities.
    assert names("Der Sturm traf Kiel und Emden am Montag. Das Essen im Hotel war kalt.") == ["Kiel", "Emden"]
    assert names("Die Aufräumarbeiten auf der Strecke Düsseldorf und Köln dauern an.") == ["Düsseldorf", "Köln"]
    assert names("In Tokios Einkaufsviertel Ikebukuro standen Hunderte Menschen an.") == ["Tokio", "Ikebukuro"]


def test_hyphenated_names_and_capitalised_particles_stay_whole():
    assert names("In Sachsen-Anhalt und Baden-Württemberg fielen Bäume, meldete die US-Delegation.") \
        == ["Sachsen-Anhalt", "Baden-Württemberg", "US"]
    assert names("Für Bochum traf Eric Maxim Choupo-Moting nach einer Ecke von Kimmich, dann köpfte Matthijs De Ligt.") \
        == ["Bochum", "Eric Maxim Choupo-Moting", "Kimmich", "Matthijs De Ligt"]
    assert names("Dann pfiff der Unparteiische Daniel Schlager ab.") == ["Daniel Schlager"]


def test_a_name_of_the_alias_table_is_not_taken_for_an_inflection():
    assert names("Thüringens Ministerpräsident besuchte Thüringen. Kiews Bürgermeister traf Putins Sprecher.") \
        == ["Thüringen", "Kiew", "Putin"]


@pytest.mark.parametrize("split, floor", [("tuned", 0.85), ("dev", 0.85)])
def test_most_gold_entities_are_among_the_candidates(split, floor):
    gold = [json.loads(line) for line in (ROOT / "evals/gold.jsonl").read_text(encoding="utf-8").splitlines()]
    found = total = 0
    for entry in (g for g in gold if g["split"] == split):
        candidates = [c.name for c in find_candidates(entry["body"], entry["language"])]
        for entity in entry["entities"]:
            total += 1
            found += any(names_match(c, form, persons=entity["type"] == "PER")
                         for c in candidates for form in [entity["name"], *entity["aliases"]])
    assert found / total >= floor
