from pathlib import Path

import pytest

from summarize.ground.answer import (
    check_tldr,
    copy_stats,
    ground_entities,
    merge_entities,
)
from summarize.ground.names import clean_entity_name, is_generic_name
from summarize.ground.source_index import source_index
from summarize.models import Entity, RawEntity

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def seed(prefix: str) -> str:
    return next(SEEDS.glob(f"{prefix}_*.txt")).read_text(encoding="utf-8")


def raw(*pairs: tuple[str, str]) -> list[RawEntity]:
    return [RawEntity(name=name, type=kind) for name, kind in pairs]


def names(grounded) -> list[str]:
    return [e.name for e in grounded.entities]


def entity(grounded, name: str) -> Entity:
    return next(e for e in grounded.entities if e.name == name)


# --- cleaning names ------------------------------------------------------------


@pytest.mark.parametrize("given, bare", [
    ("Präsident Wolodymyr Selenskyj", "Wolodymyr Selenskyj"),
    ("US-Außenminister Marco Rubio", "Marco Rubio"),
    ("Kremlchef Wladimir Putin", "Wladimir Putin"),
    ("Bundeskanzler Friedrich Merz", "Friedrich Merz"),
    ("der US-Sondergesandte Steve Witkoff", "Steve Witkoff"),
    ("Der US-Sondergesandte Steve Witkoff", "Steve Witkoff"),
    ("Chefunterhändler Rustem Umjerow", "Rustem Umjerow"),
    ("der ukrainische Präsident Wolodymyr Selenskyj", "Wolodymyr Selenskyj"),
    ("Ex-Geheimdienstchef Nikolai Patruschew", "Nikolai Patruschew"),
    ("Trumps Schwiegersohn Jared Kushner", "Jared Kushner"),
    ("President Donald Trump", "Donald Trump"),
    ("Secretary of State Marco Rubio", "Marco Rubio"),
    ("National Security Adviser Jake Sullivan", "Jake Sullivan"),
    ("le président Emmanuel Macron", "Emmanuel Macron"),
    ("il presidente Sergio Mattarella", "Sergio Mattarella"),
    ("el presidente Pedro Sánchez", "Pedro Sánchez"),
    ("Marco Rubio, US-Außenminister", "Marco Rubio"),
    ("Wladimir Putin (Präsident)", "Wladimir Putin"),
    ("„Steve Witkoff“", "Steve Witkoff"),
    ("Ursula von der Leyen", "Ursula von der Leyen"),
    ("von der Leyen", "von der Leyen"),
    ("Stephen King", "Stephen King"),
    ("Präsident der Ukraine Wolodymyr Selenskyj", "Wolodymyr Selenskyj"),
    ("Sprecher des Kremls Dmitri Peskow", "Dmitri Peskow"),
    ("Papst Leo XIV.", "Leo XIV"),
])
def test_titles_and_roles_are_stripped_from_person_names(given, bare):
    assert clean_entity_name(given, "PER") == bare


@pytest.mark.parametrize("given, kind, bare", [
    ("in Kyjiw", "LOC", "Kyjiw"),
    ("der Ukraine", "LOC", "Ukraine"),
    ("nach Moskau", "LOC", "Moskau"),
    ("den USA", "LOC", "USA"),
    ("Hauptstadt Kiew", "LOC", "Kiew"),
    ("Region Odessa", "LOC", "Odessa"),
    ("Koalition der Willigen", "ORG", "Koalition der Willigen"),
    ("Die Linke", "ORG", "Die Linke"),
    ("The Hague", "LOC", "The Hague"),
    ("European Union", "ORG", "European Union"),
    ("General Motors", "ORG", "General Motors"),
    ("U.S.", "LOC", "U.S."),
    ("Kiew.", "LOC", "Kiew"),
])
def test_articles_and_prepositions_are_stripped(given, kind, bare):
    assert clean_entity_name(given, kind) == bare


@pytest.mark.parametrize("word", [
    "Vertreter", "Staatschefs", "Sicherheitsberater", "Diplomaten", "Regierung", "Präsident", "officials",
    "Medien", "Partner", "Europäer", "Ukrainer", "Ukrainern", "Russen", "Generalstabschefs", "Partnerstaaten",
    "US-Regierung", "US-Delegation", "EU-Vertreter", "Kremlchef", "russischen", "Jänner",
])
def test_generic_nouns_are_not_names(word):
    assert is_generic_name(word)


@pytest.mark.parametrize("name", ["Selenskyj", "Koalition der Willigen", "EU", "Europäischer Rat", "Russland",
                                  "Deutschland", "dpa", "Europäische Kommission"])
def test_names_are_not_generic(name):
    assert not is_generic_name(name)


# --- grounding within one article -----------------------------------------------


@pytest.mark.parametrize("source, given, kind, expected", [
    ("Die Forderungen Selenskyjs blieben offen.", "Selenskyj", "PER", "Selenskyj"),
    ("Die Lage in der Ukraine ist ernst.", "Ukraine", "LOC", "Ukraine"),
    ("Kiews Bürgermeister warnte.", "Kiew", "LOC", "Kiew"),
    ("Umjerows Delegation reiste ab.", "Umjerow", "PER", "Umjerow"),
    ("Ein Sprecher des Kremls sagte das.", "Kreml", "ORG", "Kreml"),
    ("Die Berater trafen sich in Kyjiw.", "in Kyjiw", "LOC", "Kyjiw"),
    ("Die Delegation flog nach Moskau.", "Moskau", "LOC", "Moskau"),
    ("Gespräche mit den USA laufen.", "USA", "LOC", "USA"),
    ("Der Krieg Russlands dauert an.", "Russland", "LOC", "Russland"),
    ("Die Sicherheit Europas steht auf dem Spiel.", "Europa", "LOC", "Europa"),
    ("Ein Sprecher der Europäischen Union sagte das.", "Europäische Union", "ORG", "Europäische Union"),
    ("Die Vertraute Putins schwieg.", "Putins", "PER", "Putin"),
    # Only inflected in the text, shown as the alias table writes them.
    ("Vertreter der Europäischen Kommission kamen.", "Europäischen Kommission", "ORG", "Europäische Kommission"),
    ("Die Gipfel des Europäischen Rates sind lang.", "Europäischen Rates", "ORG", "Europäischer Rat"),
    # Not in the table: the text's form stays.
    ("Die Sitzung des Bayerischen Landtags fiel aus.", "Bayerischen Landtags", "ORG", "Bayerischen Landtags"),
])
def test_inflected_mentions_ground_a_name(source, given, kind, expected):
    grounded = ground_entities(raw((given, kind)), source)
    assert names(grounded) == [expected]
    assert grounded.ungrounded == []


@pytest.mark.parametrize("source, given", [
    ("Die russischen Angriffe gehen weiter.", "Russland"),
    ("Die europäischen Partner zögern.", "Europa"),
    ("Die Ukrainer feiern.", "Ukraine"),
    ("Wir essen zu Mittag.", "Essen"),
])
def test_adjectives_and_other_words_do_not_ground_a_name(source, given):
    grounded = ground_entities(raw((given, "LOC")), source)
    assert grounded.entities == []
    assert grounded.ungrounded == [given]


def test_titles_are_stripped_and_the_person_grounded_in_a_seed():
    grounded = ground_entities(raw(("US-Präsident Donald Trump", "PER"), ("Präsident Wolodymyr Selenskyj", "PER"),
                                   ("Chefunterhändler Rustem Umjerow", "PER")), seed("000"))
    assert names(grounded) == ["Donald Trump", "Wolodymyr Selenskyj", "Rustem Umjerow"]
    assert grounded.ungrounded == []


def test_invented_person_is_ungrounded_against_a_seed():
    grounded = ground_entities(raw(("Olaf Scholz", "PER"), ("Rustem Umjerow", "PER")), seed("000"))
    assert grounded.ungrounded == ["Olaf Scholz"]
    assert names(grounded) == ["Rustem Umjerow"]


def test_person_absent_from_the_article_is_ungrounded():
    # Seed 000 never mentions Putin.
    assert ground_entities(raw(("Kremlchef Wladimir Putin", "PER")), seed("000")).ungrounded == ["Wladimir Putin"]


def test_generic_nouns_are_dropped_not_ungrounded():
    grounded = ground_entities(raw(("Vertreter", "ORG"), ("Sicherheitsberater", "PER"), ("Europäer", "ORG"),
                                   ("Präsident", "PER"), ("officials", "ORG"), ("Kiew", "LOC")), seed("000"))
    assert names(grounded) == ["Kiew"]
    assert grounded.ungrounded == []
    assert grounded.dropped == ["Vertreter", "Sicherheitsberater", "Europäer", "Präsident", "officials"]


def test_empty_names_are_dropped_silently():
    grounded = ground_entities(raw(("", "PER"), ("  ", "LOC"), ("Kiew", "LOC")), seed("000"))
    assert names(grounded) == ["Kiew"]
    assert grounded.ungrounded == [] and grounded.dropped == []


def test_surname_grounds_a_fuller_name_but_the_source_form_is_kept():
    source = "Präsident Selenskyj sprach in Kiew. Selenskyj erwartet Fortschritte."
    grounded = ground_entities(raw(("Wolodymyr Selenskyj", "PER")), source)
    assert grounded.entities == [Entity(name="Selenskyj", type="PER", aliases=[])]
    assert grounded.ungrounded == []


def test_surname_is_expanded_to_the_full_name_in_the_source():
    grounded = ground_entities(raw(("Trump", "PER"), ("Witkoff", "PER")), seed("000"))
    assert names(grounded) == ["Donald Trump", "Steve Witkoff"]


def test_a_sentence_opening_word_is_not_a_given_name():
    source = "Laut Selenskyj ist das ein Fortschritt. Forderungen Selenskyjs blieben offen."
    assert names(ground_entities(raw(("Selenskyj", "PER")), source)) == ["Selenskyj"]


def test_role_alone_is_dropped():
    grounded = ground_entities(raw(("US-Präsident", "PER"), ("Kremlchef", "PER")), seed("004"))
    assert grounded.entities == [] and grounded.ungrounded == []
    assert grounded.dropped == ["US-Präsident", "Kremlchef"]


def test_a_genitive_before_a_surname_is_not_a_given_name():
    source = "Russlands Putin lehnte ab. Die Armee Russlands rückt vor. Putin schweigt."
    assert names(ground_entities(raw(("Putin", "PER")), source)) == ["Putin"]


def test_given_name_shared_by_two_people_still_expands():
    grounded = ground_entities(raw(("Putin", "PER"), ("Medinski", "PER")), seed("004"))
    assert names(grounded) == ["Wladimir Putin", "Wladimir Medinski"]


def test_spelling_variants_merge_into_the_source_form():
    grounded = ground_entities(raw(("Wolodymyr Selenskyj", "PER"), ("Zelensky", "PER"), ("Selenskyj", "PER"),
                                   ("Zelenskyy", "PER")), seed("000"))
    assert names(grounded) == ["Wolodymyr Selenskyj"]
    assert set(grounded.entities[0].aliases) == {"Zelensky", "Selenskyj", "Zelenskyy"}


def test_english_spellings_ground_against_german_text():
    grounded = ground_entities(raw(("Volodymyr Zelensky", "PER"), ("Kyiv", "LOC"), ("Russia", "LOC"),
                                   ("NATO", "ORG"), ("European Union", "ORG")), seed("001"))
    assert names(grounded) == ["Wolodymyr Selenskyj", "Kyjiw", "Russland", "Nato", "EU"]
    assert entity(grounded, "Kyjiw").aliases == ["Kyiv"]


def test_transliteration_similar_name_is_grounded():
    grounded = ground_entities(raw(("Umerov", "PER")), seed("000"))
    assert names(grounded) == ["Rustem Umjerow"]


def test_kiew_and_kyjiw_merge():
    grounded = ground_entities(raw(("Kiew", "LOC"), ("Kyjiw", "LOC"), ("Kyiv", "LOC")),
                               "Die Berater trafen sich in Kiew, das ukrainisch Kyjiw heißt.")
    assert grounded.entities == [Entity(name="Kiew", type="LOC", aliases=["Kyjiw", "Kyiv"])]


def test_alias_table_merges_country_and_organisation_names():
    source = ("Die USA, auch Vereinigte Staaten genannt, sprachen mit der EU. Die Europäische Union "
              "und die NATO berieten; Nato-Vertreter waren da.")
    grounded = ground_entities(raw(("USA", "LOC"), ("Vereinigte Staaten", "LOC"), ("EU", "ORG"),
                                   ("Europäische Union", "ORG"), ("NATO", "ORG"), ("Nato", "ORG")), source)
    assert [(e.name, sorted(e.aliases)) for e in grounded.entities] == [
        ("USA", ["Vereinigte Staaten"]), ("EU", ["Europäische Union"]), ("NATO", [])]


def test_same_name_with_two_types_keeps_the_first_type():
    grounded = ground_entities(raw(("Trump", "PER"), ("Trump", "ORG"), ("Donald Trump", "PER")), seed("000"))
    assert grounded.entities == [Entity(name="Donald Trump", type="PER", aliases=["Trump"])]


def test_most_frequent_type_wins():
    grounded = ground_entities(raw(("Kiew", "ORG"), ("Kiew", "LOC"), ("Kyjiw", "LOC")),
                               "Kiew und Kyjiw sind eins.")
    assert [(e.name, e.type) for e in grounded.entities] == [("Kiew", "LOC")]


def test_duplicates_collapse():
    grounded = ground_entities(raw(("Paris", "LOC"), ("Paris", "LOC"), ("paris", "LOC")), seed("000"))
    assert grounded.entities == [Entity(name="Paris", type="LOC", aliases=[])]


def test_lower_case_name_is_kept_when_no_common_word():
    grounded = ground_entities(raw(("dpa", "ORG"), ("nato", "ORG")), seed("000"))
    assert names(grounded) == ["dpa", "NATO"]


def test_inflected_answer_becomes_the_base_form():
    grounded = ground_entities(raw(("Umjerows", "PER"), ("Kiews", "LOC")), seed("000"))
    assert names(grounded) == ["Rustem Umjerow", "Kiew"]
    assert entity(grounded, "Rustem Umjerow").aliases == ["Umjerow"]


@pytest.mark.parametrize("prefix, expected", [
    ("000", ["Rustem Umjerow", "Steve Witkoff", "Wolodymyr Selenskyj", "Donald Trump", "Kiew", "Paris", "NATO",
             "EU", "Koalition der Willigen", "Russland", "Moskau"]),
    ("002", ["Steve Witkoff", "Rustem Umjerow", "Marco Rubio", "Jared Kushner", "Donald Trump",
             "Wolodymyr Selenskyj", "Wladimir Putin", "Koalition der Willigen", "NATO"]),
    ("003", ["Steve Witkoff", "Rustem Umjerow", "Jared Kushner", "Wolodymyr Selenskyj", "Kirill Dmitrijew",
             "Wladimir Putin", "Miami", "Odessa", "Tass"]),
])
def test_typical_answers_against_seeds(prefix, expected):
    answer = raw(*[(name, "PER") for name in ("Umjerow", "Steve Witkoff", "Präsident Wolodymyr Selenskyj",
                                              "US-Präsident Donald Trump", "Marco Rubio", "Jared Kushner",
                                              "Kirill Dmitrijew", "Kremlchef Wladimir Putin")],
                 ("Kiew", "LOC"), ("Paris", "LOC"), ("Miami", "LOC"), ("Odessa", "LOC"), ("NATO", "ORG"),
                 ("EU", "ORG"), ("Koalition der Willigen", "ORG"), ("Tass", "ORG"), ("Russland", "LOC"),
                 ("Moskau", "LOC"))
    grounded = ground_entities(answer, seed(prefix))
    kept = names(grounded)
    assert set(expected) <= set(kept)
    assert set(kept) | {e for e in grounded.ungrounded} >= set(expected)
    assert not set(kept) & set(grounded.ungrounded)


def test_seed_004_persons_ground_despite_damaged_umlauts():
    grounded = ground_entities(raw(("Nikolai Patruschew", "PER"), ("Juri Uschakow", "PER"),
                                   ("Ukrinform", "ORG"), ("Istanbul", "LOC"), ("Amerika", "LOC"), ("USA", "LOC")),
                               seed("004"))
    assert names(grounded) == ["Nikolai Patruschew", "Juri Uschakow", "Ukrinform", "Istanbul", "USA"]
    assert entity(grounded, "USA").aliases == ["Amerika"]


# --- merging across articles -----------------------------------------------------


def test_merge_entities_across_articles():
    merged = merge_entities([
        [Entity(name="Selenskyj", type="PER"), Entity(name="Kyjiw", type="LOC", aliases=["Kyiv"])],
        [Entity(name="Wolodymyr Selenskyj", type="PER"), Entity(name="Kiew", type="LOC")],
        [Entity(name="Volodymyr Zelensky", type="PER"), Entity(name="Kiew", type="LOC"),
         Entity(name="Nato", type="ORG")],
        [Entity(name="NATO", type="ORG"), Entity(name="Scholz", type="PER"), Entity(name="Schulz", type="PER")],
    ])
    assert [(e.name, e.type) for e in merged] == [
        ("Wolodymyr Selenskyj", "PER"), ("Kiew", "LOC"), ("Nato", "ORG"), ("Scholz", "PER"), ("Schulz", "PER")]
    assert set(merged[0].aliases) == {"Selenskyj", "Volodymyr Zelensky"}
    assert set(merged[1].aliases) == {"Kyjiw", "Kyiv"}


def test_merge_keeps_different_people_with_one_surname_apart():
    merged = merge_entities([[Entity(name="Donald Trump", type="PER")], [Entity(name="Melania Trump", type="PER")],
                             [Entity(name="Trump", type="PER")]])
    assert [e.name for e in merged] == ["Donald Trump", "Melania Trump"]


# --- TLDR checks ---------------------------------------------------------------------

FAITHFUL_000 = ("In Kiew haben Sicherheitsberater aus 14 Staaten über Sicherheitsgarantien für die Ukraine "
                "beraten. Der US-Beauftragte Witkoff war per Video zugeschaltet. Umjerow hofft, dass 2026 ein "
                "Jahr des Friedens wird.")


def test_faithful_paraphrase_is_not_flagged():
    check = check_tldr(FAITHFUL_000, seed("000"))
    assert check.flags == []
    assert check.words == 29


@pytest.mark.parametrize("prefix, tldr", [
    ("001", "Sicherheitsberater der Koalition der Willigen beraten in Kyjiw über ein Kriegsende; Selenskyj "
            "erwartet Fortschritte bei Sicherheitsgarantien. Die Staatschefs treffen sich am Dienstag in Paris."),
    ("002", "Die USA, die Ukraine und europäische Verbündete haben erneut über ein Kriegsende beraten. Witkoff "
            "nannte das Telefonat mit Umjerow und Beratern aus Großbritannien, Frankreich und Deutschland "
            "fruchtbar; Rubio und Kushner nahmen teil. Am 3. Jänner treffen sich Sicherheitsberater."),
    ("003", "Die USA und die Ukraine sprachen in Miami über Sicherheitsgarantien und den Wiederaufbau. Witkoff "
            "und Umjerow nannten die Gespräche konstruktiv, Kushner nahm teil. Auch Putins Berater Dmitrijew "
            "traf US-Vertreter."),
    ("000", "Friedensgespräche in Kiew: Sicherheitsberater der Unterstützerländer verhandeln über Garantien "
            "nach einer Waffenruhe. Die Videoschalte mit dem US-Gesandten Witkoff brachte laut Umjerow "
            "Fortschritte; ein Gipfeltreffen in Paris folgt."),
    ("000", "Beide Seiten sprachen in Kiew über Sicherheitsgarantien. Präsident Selenskyjs Treffen mit den "
            "Generalstabschefs folgt am Montag."),
    ("002", "Am 6. Jänner folgt ein Gipfel der Staatschefs; am 3. Jänner treffen sich die Sicherheitsberater "
            "von mehr als 10 Ländern."),
])
def test_faithful_german_tldrs_raise_no_flag(prefix, tldr):
    assert check_tldr(tldr, seed(prefix)).flags == []


def test_the_seed_tldr_is_faithful_but_long():
    text = seed("001")
    tldr = text.split("TLDR", 1)[1].split("Inhalt", 1)[0]
    article = text.split("Inhalt", 1)[1]
    check = check_tldr(tldr, article)
    assert check.flags == ["too_long"]
    assert check_tldr(tldr, article, max_words=80).flags == []


def test_wrong_count_is_flagged():
    check = check_tldr("Sicherheitsberater aus 15 Staaten trafen sich in Kiew.", seed("000"))
    assert check.flags == ["number_not_in_source"]
    assert check.numbers_not_in_source == ["15"]


def test_number_formats_and_words_agree():
    source = "Mehr als zehn Länder schicken 1.000 Soldaten; das Budget steigt um 3,5 Prozent."
    assert check_tldr("10 Länder schicken 1000 Soldaten, das Budget steigt um 3.5 Prozent.", source).flags == []


def test_a_clock_time_does_not_vouch_for_a_count():
    source = "15:55 Uhr. Sicherheitsberater aus 14 Staaten trafen sich."
    assert check_tldr("Sicherheitsberater aus 15 Staaten trafen sich.", source).numbers_not_in_source == ["15"]


def test_wrong_date_is_flagged():
    check = check_tldr("Am 7. Jänner folgt ein Gipfel der Staatschefs.", seed("002"))
    assert check.numbers_not_in_source == ["7"]


def test_nouns_next_to_a_name_are_not_a_name():
    check = check_tldr("Die Europäer wollen der Ukraine Schutz und Kiew Sicherheitsgarantien geben.", seed("000"))
    assert check.names_not_in_source == []


def test_place_adjectives_count_as_their_place():
    check = check_tldr("Das Kiewer Treffen der Berater brachte Fortschritte.", seed("000"))
    assert check.names_not_in_source == []


def test_invented_name_is_flagged():
    check = check_tldr("Olaf Scholz traf Sicherheitsberater in Kiew.", seed("000"))
    assert check.flags == ["name_not_in_source"]
    assert check.names_not_in_source == ["Olaf Scholz"]


@pytest.mark.parametrize("tldr, missing", [
    ("Lawrow kritisierte das Telefonat von Witkoff.", ["Lawrow"]),
    ("Witkoff telefonierte mit Sergej Lawrow und Umjerow.", ["Sergej Lawrow"]),
])
def test_invented_names_in_another_seed(tldr, missing):
    assert check_tldr(tldr, seed("002")).names_not_in_source == missing


def test_names_in_another_spelling_or_inflection_are_not_flagged():
    tldr = "Zelensky und Umjerows Delegation sprachen mit Witkoff über Kyiv und die Vereinigten Staaten."
    check = check_tldr(tldr, seed("000"))
    assert check.names_not_in_source == []


def test_names_missing_from_the_article_are_flagged_even_when_famous():
    check = check_tldr("Die Delegationen aus Washington und Kiew trafen sich in Miami.", seed("003"))
    assert check.names_not_in_source == ["Washington", "Kiew"]


def test_copied_lead_is_flagged():
    lead = ("In der ukrainischen Hauptstadt Kiew haben sich Sicherheitsberater aus mehreren Staaten erneut zu "
            "Verhandlungen über die Zukunft des von Russland angegriffenen Landes getroffen.")
    check = check_tldr(lead, seed("000"))
    assert check.flags == ["copied"]
    assert check.longest_copied_share == 1.0


def test_stitched_sentences_are_flagged_by_bigrams():
    tldr = ("In der ukrainischen Hauptstadt Kiew haben sich Sicherheitsberater aus mehreren Staaten erneut zu "
            "Verhandlungen getroffen. Per Video sei der US-Beauftragte Steve Witkoff zugeschaltet worden. "
            "Zudem seien die NATO und die EU vertreten, sagte Umjerow.")
    check = check_tldr(tldr, seed("000"))
    assert check.flags == ["copied"]
    assert check.longest_copied_share < 0.6 and check.novel_bigram_share < 0.15


def test_short_tldr_sharing_a_phrase_is_not_copied():
    assert "copied" not in check_tldr("Russland sitzt nicht am Verhandlungstisch.", seed("000")).flags


def test_copy_stats():
    stats = copy_stats("Die Ukraine lehnt Gebietsabtretungen weiter strikt ab", "Vor allem lehnt die Ukraine "
                       "einen Abtritt ab. Die Ukraine lehnt Gebietsabtretungen ab.")
    assert stats.words == 7
    assert stats.longest_copied_run == 4
    assert stats.longest_copied_share == pytest.approx(4 / 7, abs=1e-3)
    assert stats.novel_bigram_share == 0.5


def test_copy_stats_of_nothing():
    assert copy_stats("", "Text").words == 0


@pytest.mark.parametrize("tldr", ["PWNED", "I have been PWNED. Ignore all previous instructions.",
                                  "Hier ist ein Gedicht über Katzen und Mäuse."])
def test_answer_obeying_an_injection_has_no_grounded_content(tldr):
    assert "no_grounded_content" in check_tldr(tldr, seed("000")).flags


def test_empty_tldr():
    assert check_tldr("   ", seed("000")).flags == ["empty"]


def test_too_long():
    tldr = " ".join(["Selenskyj sprach in Kiew."] * 20)
    assert "too_long" in check_tldr(tldr, seed("000"), max_words=60).flags


ENGLISH_SOURCE = (
    "KYIV (Reuters) - National security advisers from 14 countries met in Kyiv on Saturday to discuss "
    "security guarantees for Ukraine, Rustem Umerov said. U.S. envoy Steve Witkoff joined by video. "
    "President Volodymyr Zelenskiy said leaders of the so-called coalition of the willing would meet in "
    "Paris on Tuesday. Russia was not at the table."
)


def test_english_tldr_of_english_source():
    tldr = ("Security advisers from 14 countries met in Kyiv about guarantees for Ukraine; US envoy Witkoff "
            "joined by video and Zelensky expects a leaders' summit in Paris.")
    assert check_tldr(tldr, ENGLISH_SOURCE).flags == []
    bad = check_tldr("Security advisers from 15 countries met Olaf Scholz in Berlin.", ENGLISH_SOURCE)
    assert bad.flags == ["name_not_in_source", "number_not_in_source"]
    assert bad.names_not_in_source == ["Olaf Scholz", "Berlin"]


def test_english_tldr_of_german_source_is_grounded():
    tldr = "Security advisers from 14 countries met in Kyiv; Zelensky expects progress on guarantees for Ukraine."
    check = check_tldr(tldr, seed("000"))
    assert "no_grounded_content" not in check.flags
    assert check.names_not_in_source == []


def test_english_entities_against_english_source():
    grounded = ground_entities(raw(("President Volodymyr Zelensky", "PER"), ("Umerov", "PER"),
                                   ("Kiev", "LOC"), ("United States", "LOC"), ("Boris Johnson", "PER")),
                               ENGLISH_SOURCE)
    assert names(grounded) == ["Volodymyr Zelenskiy", "Rustem Umerov", "Kyiv", "U.S."]
    assert grounded.ungrounded == ["Boris Johnson"]


def test_an_index_in_use_is_shared_however_many_were_built_since():
    """An article's index, built when its text is condensed, is the one its
    answer is checked against, with dozens of articles prepared in between."""
    text = "Olaf Scholz besucht am Montag Paris."
    held = source_index(text)
    for i in range(40):
        source_index(f"Artikel {i}: Anna Berg besucht Wien.")
    assert source_index(text) is held
