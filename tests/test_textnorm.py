import pytest

from summarize.text.normalize import (
    content_words,
    extract_numbers,
    fold,
    name_word_matches,
    names_similar,
    normalise_number,
    number_mentions,
    stem,
    tokenize,
    translit_key,
    word_tokens,
)


@pytest.mark.parametrize("text, folded", [
    ("Präsident", "prasident"),
    ("Straße", "strasse"),
    ("GROẞE", "grosse"),
    ("Kyïv", "kyiv"),
    ("Łódź", "lodz"),
    ("Trump’s", "trump's"),
    ("Inga Ruginienė", "inga ruginiene"),
])
def test_fold_removes_case_and_diacritics(text, folded):
    assert fold(text) == folded


def test_tokenize_keeps_hyphenated_names_and_abbreviations_whole():
    words = [t.text for t in tokenize("US-Präsident Donald Trump, die U.S. Army und Putin-Vertraute.")]
    assert words == ["US-Präsident", "Donald", "Trump", "die", "U.S.", "Army", "und", "Putin-Vertraute"]


def test_tokenize_does_not_join_sentences_missing_a_space():
    assert [t.text for t in tokenize("hervorgehoben.Merz sagte")] == ["hervorgehoben", "Merz", "sagte"]


def test_token_parts_split_hyphens_and_french_elision():
    assert tokenize("EU-Kommission")[0].parts == ["EU", "Kommission"]
    assert tokenize("l'Ukraine")[0].parts == ["Ukraine"]


def test_sentence_initial_and_breaks():
    tokens = tokenize("Er sagte: Selenskyj kommt.\nKiew wartet, Moskau nicht")
    initial = {t.text for t in tokens if t.sentence_initial}
    assert initial == {"Er", "Selenskyj", "Kiew"}
    moskau = next(t for t in tokens if t.text == "Moskau")
    assert moskau.after_break and not moskau.sentence_initial


def test_newline_breaks_a_phrase():
    tokens = tokenize("15:55 Uhr\nSelenskyj")
    assert tokens[-1].after_break


def test_word_tokens_are_folded_and_keep_numbers():
    assert word_tokens("Die Ukraine bekommt 1.000 Drohnen!") == ["die", "ukraine", "bekommt", "1.000", "drohnen"]


@pytest.mark.parametrize("a, b", [
    ("Verhandlungen", "Verhandlung"),
    ("Sicherheitsgarantien", "Sicherheitsgarantie"),
    ("Kiews", "Kiew"),
    ("Trump's", "Trump"),
    ("talks", "talk"),
    ("countries", "country"),
    ("Staaten", "Staat"),
])
def test_stem_meets_inflected_forms(a, b):
    assert stem(a) == stem(b)


def test_stem_leaves_short_words_alone():
    assert stem("Rat") == "rat"
    assert stem("USA") == "usa"


def test_content_words_drop_function_words():
    assert content_words("Die USA und die Ukraine sprachen in Miami") == ["usa", "ukrain", "sprach", "miami"]


@pytest.mark.parametrize("name, text", [
    ("selenskyj", "selenskyjs"),
    ("kreml", "kremls"),
    ("russland", "russlands"),
    ("europa", "europas"),
    ("kiews", "kiew"),
    ("trump", "trump's"),
    ("rat", "rates"),
])
def test_name_word_matches_inflection(name, text):
    assert name_word_matches(name, text)


@pytest.mark.parametrize("name, text", [
    ("russland", "russischen"),
    ("europa", "europaischen"),
    ("ukraine", "ukrainer"),
    ("usa", "us"),
])
def test_name_word_does_not_match_other_words(name, text):
    assert not name_word_matches(name, text)


def test_name_word_matches_adjective_endings_only_when_asked():
    assert name_word_matches("europaischer", "europaischen", adjective=True)
    assert not name_word_matches("europaischer", "europaischen")


@pytest.mark.parametrize("names", [
    ("Selenskyj", "Zelenskyy", "Zelensky", "Selensky", "Zelenskiy"),
    ("Kyjiw", "Kyiv"),
    ("Dmitrijew", "Dmitriev"),
    ("Uschakow", "Ushakov"),
    ("Patruschew", "Patrushev"),
    ("Chodorkowski", "Khodorkovsky"),
    ("Wolodymyr Selenskyj", "Volodymyr Zelensky"),
])
def test_translit_key_unifies_spellings(names):
    assert len({translit_key(n) for n in names}) == 1


def test_names_similar():
    assert names_similar("Umjerow", "Umerov")
    assert names_similar("Witkoff", "Witkow")
    assert not names_similar("Scholz", "Schulz")
    assert not names_similar("Merz", "März")
    assert not names_similar("Dmitri", "Dmitrijew")
    assert not names_similar("Putin", "Rubio")


@pytest.mark.parametrize("raw, value", [
    ("1.000", "1000"),
    ("1,000", "1000"),
    ("1000", "1000"),
    ("1.000.000", "1000000"),
    ("3,5", "3.5"),
    ("3.5", "3.5"),
    ("3,50", "3.5"),
    ("03", "3"),
    ("2026", "2026"),
])
def test_normalise_number(raw, value):
    assert normalise_number(raw) == value


def test_extract_numbers_german_and_english_formats():
    text = "14 Staaten, 1.000 Soldaten, 3,5 Prozent, 1,000 men, 2.5 percent, zehn Ländern, dreitägige Gespräche"
    assert extract_numbers(text) == ["14", "1000", "3.5", "1000", "2.5", "10", "3"]


def test_extract_numbers_without_words():
    assert extract_numbers("zehn Länder und 12 Staaten", words=False) == ["12"]


def test_extract_numbers_ignores_words_that_start_like_numbers():
    assert extract_numbers("Achtung, Elfmeter und Neunkirchen") == []


def test_number_mentions_know_dates_times_and_years():
    mentions = number_mentions("31.12.25, 20:50 — am 3. Jänner um 15 Uhr trafen sich 14 Staaten; "
                               "2026 soll anders werden.")
    assert [(m.value, m.kind) for m in mentions] == [
        ("31", "date"), ("12", "date"), ("2025", "year"), ("20", "time"), ("50", "time"),
        ("3", "date"), ("15", "time"), ("14", "count"), ("2026", "year"),
    ]
