"""The learned line model: it loads, its features point the right way, it keeps
the article of a page with every kind of chrome, and its trainer is repeatable."""

from __future__ import annotations

import json

import numpy as np

from summarize.clean import linemodel
from summarize.clean.cleaner import clean_text
from summarize.clean.layout import analyse
from summarize.clean.lines import CONTEXT_FEATURES, UNIT_FEATURES, unit_features
from summarize.clean.linemodel import Decision, Forest, LineModel, decide, fit_forest, load_model

MENU = "Home Politik Wirtschaft Sport Kultur Wissen Reisen Auto Digital Video"
SENTENCE = ("Der Gemeinderat hat am Donnerstag beschlossen, die alten Bleirohre in der Stadt bis zum Jahr 2030 "
            "zu ersetzen, wie die Bürgermeisterin mitteilte.")
ARTICLE = [
    "Die Stadtwerke ersetzen in den kommenden sieben Jahren alle verbliebenen Bleirohre im Netz der Stadt, "
    "wie der Gemeinderat am Donnerstagabend nach einer langen Debatte mit großer Mehrheit beschlossen hat.",
    "Rund 21.000 Haushalte sind nach Angaben der Wasserwerke noch über Leitungen aus Blei an das Netz "
    "angeschlossen; die meisten von ihnen liegen in den Altbauvierteln nördlich des Bahnhofs.",
    "Die Kosten von 310 Millionen Euro sollen zum größten Teil aus Fördermitteln des Bundes kommen, "
    "der Rest über einen kleinen Aufschlag auf die Wassergebühren, den die Opposition kritisierte.",
    "Hauseigentümer müssen für die Arbeiten nichts bezahlen, sie werden aber gebeten, den Handwerkern "
    "Zugang zu den Kellern zu geben, sobald ihre Straße an der Reihe ist, teilte die Stadt mit.",
    "Die ersten Baustellen sollen im Frühjahr eingerichtet werden, zunächst in der Nähe von Schulen und "
    "Kindergärten, wo das Risiko für die Gesundheit der Kinder am größten ist, sagte die Bürgermeisterin.",
]


def synthetic_page() -> str:
    lines = [
        "Zum Inhalt springen", "Startseite", "Politik", "Wirtschaft", "Sport", "Kultur", "Newsletter", "Suche",
        "Stadt ersetzt alle Bleirohre bis 2030", "03.01.2026, 14:12 Uhr", "Von Anna Berger",
        *ARTICLE,
        "Teilen", "Drucken",
        "Weitere Meldungen",
        "Neue Buslinie verbindet ab Montag die Vororte",
        "Stadtbibliothek verlängert die Öffnungszeiten",
        "Streit um Parkgebühren geht in die nächste Runde",
        "Impressum", "Datenschutz", "Kontakt", "© 2026 Stadtanzeiger Verlag GmbH. Alle Rechte vorbehalten.",
    ]
    return "\n\n".join(lines)


def test_shipped_model_loads_and_matches_the_features() -> None:
    model = load_model()
    assert model.first.feature.shape[0] > 0 and model.second.feature.shape[0] > 0
    assert model.first.feature.max() < len(UNIT_FEATURES)
    assert model.second.feature.max() < len(UNIT_FEATURES) + len(CONTEXT_FEATURES)
    again = LineModel.from_json(json.loads(json.dumps(model.to_json())))
    x = np.random.default_rng(0).normal(size=(5, len(UNIT_FEATURES)))
    assert np.allclose(again.scores(x), model.scores(x), atol=1e-4)


def test_menu_row_and_sentence_differ_as_expected() -> None:
    layout = analyse([MENU, "", SENTENCE])
    x = unit_features(layout, frozenset())
    column = {name: i for i, name in enumerate(UNIT_FEATURES)}
    menu, sentence = x[0], x[1]
    assert sentence[column["function_words"]] > menu[column["function_words"]]
    assert sentence[column["stopwords"]] > menu[column["stopwords"]]
    assert sentence[column["sentences"]] > menu[column["sentences"]]
    assert sentence[column["ends_sentence"]] == 1 and menu[column["ends_sentence"]] == 0
    assert sentence[column["capitalised"]] < menu[column["capitalised"]]
    assert sentence[column["leading_capitals"]] < menu[column["leading_capitals"]]
    assert menu[column["menu_row"]] == 1 and sentence[column["menu_row"]] == 0
    scores = load_model().scores(x)
    assert scores[1] > scores[0]


def test_synthetic_page_keeps_the_article_and_drops_the_chrome() -> None:
    article = clean_text("page.txt", synthetic_page())
    assert article.ok
    assert article.text.split("\n\n") == ARTICLE
    for gone in ("Startseite", "Teilen", "Weitere Meldungen", "Buslinie", "Parkgebühren", "Impressum", "©"):
        assert gone not in article.text


def test_decision_keeps_one_region_and_never_rule_chrome() -> None:
    texts = ["menu", "a long paragraph", "Teilen", "another long paragraph", "footer", "far away paragraph"]
    x = np.zeros((len(texts), len(UNIT_FEATURES)))
    x[2, UNIT_FEATURES.index("reason_phrase")] = 1
    scores = np.array([-3.0, 4.5, 5.0, 5.0, -6.0, 1.0])
    decision = Decision(keep=0.0, skip=4.0, power=0.0)
    assert decide(x, texts, None, scores, decision) == [1, 3]
    # A cheap gap joins the far paragraph too.
    assert decide(x, texts, None, scores, Decision(keep=0.0, skip=0.5, power=0.0)) == [1, 3, 5]


def test_training_is_deterministic_and_learns() -> None:
    rng = np.random.default_rng(7)
    x = rng.normal(size=(400, 4))
    y = ((x[:, 0] + 0.5 * x[:, 1]) > 0).astype(float)
    w = np.ones(len(y))
    first = fit_forest(x, y, w, rounds=20, depth=2, seed=3)
    second = fit_forest(x, y, w, rounds=20, depth=2, seed=3)
    assert np.array_equal(first.feature, second.feature)
    assert np.array_equal(first.threshold, second.threshold)
    assert np.array_equal(first.leaf, second.leaf)
    accuracy = ((first.predict(x) > 0) == (y > 0.5)).mean()
    assert accuracy > 0.9
    assert set(first.feature[np.isfinite(first.threshold)].tolist()) <= {0, 1}


def test_forest_round_trips_through_json() -> None:
    rng = np.random.default_rng(1)
    x = rng.normal(size=(50, 3))
    forest = fit_forest(x, (x[:, 2] > 0).astype(float), np.ones(50), rounds=5, depth=3, seed=0)
    again = Forest.from_json(json.loads(json.dumps(forest.to_json())))
    assert np.allclose(again.predict(x), forest.predict(x), atol=1e-4)


def test_use_model_swaps_and_restores() -> None:
    shipped = load_model()
    empty = Forest(1, -5.0, np.zeros((0, 1), dtype=np.int64), np.zeros((0, 1)), np.zeros((0, 2)))
    linemodel.use_model(LineModel(empty, empty, Decision()))
    try:
        assert load_model() is not shipped
        assert linemodel.select_body(analyse(ARTICLE), frozenset()) == []
    finally:
        linemodel.use_model(None)
    assert load_model() is shipped
