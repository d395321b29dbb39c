"""Clustering on short invented articles and on the real seed pages."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import numpy as np
import pytest

from summarize.digest import cluster
from summarize.digest.cluster import (
    ClusterItem,
    cluster_stories,
    story_similarity,
)
from summarize.digest.duplicates import find_duplicates
from summarize.digest.vectors import average_linkage

SEEDS = Path(__file__).resolve().parent.parent / "seeds"

STRIKE_DAY1_A = ClusterItem(
    key="a/bahnstreik-tagesschau.html",
    published=date(2025, 3, 10),
    title="Bahnstreik legt Fernverkehr weitgehend lahm",
    text=(
        "Die Lokführergewerkschaft GDL hat am Montag den Fern- und Regionalverkehr der Deutschen Bahn "
        "bundesweit bestreikt. Nach Angaben der Bahn fielen rund 80 Prozent der Fernzüge aus, in vielen "
        "Regionen fuhr kaum eine S-Bahn. GDL-Chef Claus Weselsky sagte in Frankfurt, der Ausstand solle bis "
        "Mittwochmorgen dauern, wenn die Bahn kein neues Angebot vorlege. Die Gewerkschaft fordert eine "
        "35-Stunden-Woche bei vollem Lohnausgleich. Bahn-Personalvorstand Martin Seiler nannte den Streik "
        "unverhältnismäßig und rief die GDL an den Verhandlungstisch zurück. Pendler mussten auf Autos und "
        "Busse ausweichen, an den Hauptbahnhöfen in Berlin und München blieben die Bahnsteige leer."
    ),
    entities=["GDL", "Deutsche Bahn", "Claus Weselsky", "Martin Seiler", "Frankfurt", "Berlin", "München"],
)
STRIKE_DAY1_B = ClusterItem(
    key="b/gdl-streik-zeitung.html",
    published=date(2025, 3, 10),
    title="GDL-Streik: Pendler stranden, Weselsky droht mit längerem Ausstand",
    text=(
        "Leere Bahnsteige, volle Autobahnen: Wegen des Streiks der GDL ist der Zugverkehr in Deutschland am "
        "Montag großteils zum Erliegen gekommen. Die Deutsche Bahn sprach von rund 80 Prozent ausgefallenen "
        "Fernverbindungen. Gewerkschaftschef Claus Weselsky kündigte an, seine Lokführer würden bis Mittwoch "
        "die Arbeit niederlegen, sollte der Konzern sein Angebot nicht nachbessern. Streitpunkt bleibt die "
        "Arbeitszeit: Die GDL verlangt die 35-Stunden-Woche ohne Lohneinbußen. Personalvorstand Martin Seiler "
        "warf der Gewerkschaft vor, Millionen Fahrgäste in Geiselhaft zu nehmen."
    ),
    entities=["GDL", "Deutsche Bahn", "Claus Weselsky", "Martin Seiler", "Deutschland"],
)
STRIKE_UNDATED = ClusterItem(
    key="c/liveblog-streik.html",
    published=None,
    title="Streik bei der Bahn: Was Fahrgäste jetzt wissen müssen",
    text=(
        "Die GDL bestreikt seit Montag den Fern- und Regionalverkehr der Deutschen Bahn, rund 80 Prozent der "
        "Fernzüge fallen aus. Gewerkschaftschef Claus Weselsky will den Ausstand bis Mittwochmorgen fortsetzen, "
        "falls die Bahn kein besseres Angebot zur 35-Stunden-Woche vorlegt. Fahrgäste mit Fernverkehrstickets "
        "können ihre Reise verschieben, die Zugbindung ist aufgehoben. Personalvorstand Martin Seiler nannte "
        "den Streik unverhältnismäßig."
    ),
    entities=["GDL", "Deutsche Bahn", "Claus Weselsky", "Martin Seiler"],
)
STRIKE_SETTLED_LATER = ClusterItem(
    key="d/bahn-einigung.html",
    published=date(2025, 3, 24),
    title="Bahn und GDL einigen sich im Tarifstreit",
    text=(
        "Nach monatelangem Tarifkonflikt haben sich die Deutsche Bahn und die Lokführergewerkschaft GDL auf "
        "einen neuen Tarifvertrag geeinigt. Die Arbeitszeit für Schichtarbeiter sinkt bis 2029 schrittweise auf "
        "35 Stunden pro Woche, wie beide Seiten am Montag in Berlin mitteilten. GDL-Chef Claus Weselsky sprach "
        "von einem historischen Erfolg, Personalvorstand Martin Seiler von einem schmerzhaften, aber "
        "tragfähigen Kompromiss. Weitere Streiks sind damit vom Tisch."
    ),
    entities=["GDL", "Deutsche Bahn", "Claus Weselsky", "Martin Seiler", "Berlin"],
)
QUAKE_REUTERS = ClusterItem(
    key="e/quake-reuters.html",
    published=date(2025, 3, 10),
    title="Strong earthquake shakes northern Japan, tsunami warning lifted",
    text=(
        "A magnitude 6.9 earthquake struck off the coast of Iwate prefecture in northern Japan on Monday, "
        "the Japan Meteorological Agency said. A tsunami warning for the Pacific coast was lifted after two "
        "hours; waves of up to 40 centimetres were observed in the port of Miyako. Prime Minister Shigeru "
        "Ishiba told reporters there were no reports of deaths, though several people were injured by "
        "falling objects. Bullet train services between Tokyo and Aomori were briefly suspended."
    ),
    entities=["Japan", "Iwate", "Japan Meteorological Agency", "Miyako", "Shigeru Ishiba", "Tokyo", "Aomori"],
)
QUAKE_AP_NEXT_DAY = ClusterItem(
    key="f/quake-ap.html",
    published=date(2025, 3, 11),
    title="Japan quake: injuries reported as Shinkansen resumes",
    text=(
        "Northern Japan was jolted by a 6.9-magnitude quake off Iwate on Monday, prompting a brief tsunami "
        "warning that was lifted within two hours. The Japan Meteorological Agency recorded waves of about "
        "40 cm at Miyako. Prime Minister Shigeru Ishiba said no one had died, but falling objects injured a "
        "number of residents. Shinkansen bullet trains linking Tokyo and Aomori halted for inspections and "
        "resumed service later in the day."
    ),
    entities=["Japan", "Iwate", "Japan Meteorological Agency", "Miyako", "Shigeru Ishiba", "Tokyo", "Aomori"],
)
FOOTBALL = ClusterItem(
    key="g/bundesliga.html",
    published=date(2025, 3, 10),
    title="Leverkusen gewinnt Spitzenspiel gegen Bayern",
    text=(
        "Bayer Leverkusen hat das Spitzenspiel der Bundesliga gegen den FC Bayern München mit 2:1 gewonnen. "
        "Florian Wirtz traf in der 23. Minute zur Führung, Harry Kane glich kurz nach der Pause aus. Den "
        "Siegtreffer erzielte Victor Boniface per Kopfball. Trainer Xabi Alonso lobte die Moral seiner "
        "Mannschaft, die den Abstand auf die Münchner damit auf vier Punkte verkürzte."
    ),
    entities=["Bayer Leverkusen", "FC Bayern München", "Florian Wirtz", "Harry Kane", "Victor Boniface", "Xabi Alonso"],
)
AGENCY_TEXT = (
    "Der Bundestag hat am Donnerstag mit großer Mehrheit ein Gesetz zur Beschleunigung von Genehmigungen für "
    "Windräder an Land beschlossen. Künftig sollen Behörden über Anträge innerhalb von drei Monaten "
    "entscheiden müssen, sonst gilt die Genehmigung als erteilt. Wirtschaftsminister Robert Habeck sprach "
    "von einem wichtigen Schritt für die Energiewende. Die Union kritisierte, das Gesetz gehe zu Lasten des "
    "Naturschutzes. Der Bundesrat muss noch zustimmen, dies gilt aber als sicher."
)
AGENCY_ON_SITE_A = ClusterItem(
    key="h/windkraft.html",
    published=date(2025, 3, 13),
    title="Bundestag beschleunigt Windkraft-Ausbau",
    text=AGENCY_TEXT + " (dpa)",
    entities=["Bundestag", "Robert Habeck", "Union", "Bundesrat"],
)
AGENCY_ON_SITE_B = ClusterItem(
    key="i/windraeder.html",
    published=date(2025, 3, 13),
    title="Schneller zu neuen Windrädern",
    text="Berlin – " + AGENCY_TEXT.replace("großer Mehrheit", "breiter Mehrheit") + " © dpa-infocom",
    entities=["Bundestag", "Robert Habeck", "Union", "Bundesrat", "Berlin"],
)


def keys(items: list[ClusterItem], groups: list[list[int]]) -> list[set[str]]:
    return [{items[i].key for i in group} for group in groups]


def assert_partition(groups: list[list[int]], count: int) -> None:
    assert sorted(i for group in groups for i in group) == list(range(count))
    assert all(group == sorted(group) for group in groups)
    assert [group[0] for group in groups] == sorted(group[0] for group in groups)


# --- stories on invented articles ---------------------------------------------------


def test_two_outlets_same_event_same_day_in_different_words_make_one_story() -> None:
    items = [STRIKE_DAY1_A, FOOTBALL, STRIKE_DAY1_B]
    assert cluster_stories(items) == [[0, 2], [1]]


def test_same_event_reported_next_day_joins_within_the_window() -> None:
    items = [QUAKE_REUTERS, QUAKE_AP_NEXT_DAY]
    assert cluster_stories(items) == [[0, 1]]
    assert cluster_stories(items, window_days=0) == [[0], [1]]


def test_same_topic_on_another_day_is_another_story() -> None:
    items = [STRIKE_DAY1_A, STRIKE_DAY1_B, STRIKE_SETTLED_LATER]
    # Same union, same people, same words: only the dates tell the strike
    # from the settlement two weeks later.
    assert story_similarity(items)[0, 2] > 0.3
    assert cluster_stories(items) == [[0, 1], [2]]


def test_undated_article_joins_its_event_by_content() -> None:
    items = [STRIKE_SETTLED_LATER, STRIKE_DAY1_A, QUAKE_REUTERS, STRIKE_UNDATED, STRIKE_DAY1_B]
    assert keys(items, cluster_stories(items)) == [
        {STRIKE_SETTLED_LATER.key},
        {STRIKE_DAY1_A.key, STRIKE_UNDATED.key, STRIKE_DAY1_B.key},
        {QUAKE_REUTERS.key},
    ]


def test_undated_articles_need_more_similarity_than_dated_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    between = cluster.JOIN_THRESHOLD + cluster.UNDATED_MARGIN / 2
    monkeypatch.setattr(cluster, "story_similarity", lambda items: np.array([[1.0, between], [between, 1.0]]))
    pair = [STRIKE_DAY1_A, STRIKE_DAY1_B]
    assert cluster_stories(pair) == [[0, 1]]
    assert cluster_stories([STRIKE_DAY1_A, STRIKE_UNDATED]) == [[0], [1]]


def test_unrelated_undated_article_stays_alone() -> None:
    lonely = FOOTBALL.model_copy(update={"published": None})
    items = [STRIKE_DAY1_A, lonely, QUAKE_REUTERS, STRIKE_DAY1_B]
    assert cluster_stories(items) == [[0, 3], [1], [2]]


def test_unrelated_stories_stay_apart() -> None:
    items = [STRIKE_DAY1_A, QUAKE_REUTERS, FOOTBALL, AGENCY_ON_SITE_A]
    assert cluster_stories(items, window_days=30) == [[0], [1], [2], [3]]


def test_the_date_gate_holds_for_the_whole_story_not_only_pairs() -> None:
    day = [
        STRIKE_DAY1_A.model_copy(update={"key": f"day{n}", "published": date(2025, 3, 10 + n)})
        for n in range(3)
    ]
    # Identical texts on three consecutive days: each neighbour is within a
    # day, but days 0 and 2 are not, so they cannot share a story.
    groups = cluster_stories(day, window_days=1)
    assert len(groups) == 2
    assert cluster_stories(day, window_days=2) == [[0, 1, 2]]


def test_a_chain_of_partial_overlaps_does_not_merge_everything() -> None:
    # Article k is about themes k and k+1 only: each shares half its words with
    # its neighbours and nothing with the rest.
    themes = [
        "Hafenkran Containerschiff Löschzug Kaianlage",
        "Orgelkonzert Domchor Kantorei Passionsmusik",
        "Gletscherschmelze Permafrost Murenabgang Bergpfad",
        "Weinlese Kellerei Rebsorte Traubenmost",
        "Radrennen Zeitfahren Bergetappe Sprintwertung",
        "Sternwarte Teleskop Komet Meteorschauer",
    ]
    chain = [
        ClusterItem(key=f"chain{k}", published=date(2025, 5, 1), title="", text=f"{themes[k]} {themes[k + 1]}")
        for k in range(5)
    ]
    groups = cluster_stories(chain)
    assert_partition(groups, 5)
    assert len(groups) >= 2
    assert max(len(group) for group in groups) <= 3


def test_output_is_a_partition_ordered_by_first_member_and_stable() -> None:
    items = [
        FOOTBALL,
        STRIKE_DAY1_B,
        QUAKE_AP_NEXT_DAY,
        STRIKE_UNDATED,
        AGENCY_ON_SITE_B,
        STRIKE_DAY1_A,
        QUAKE_REUTERS,
        AGENCY_ON_SITE_A,
        STRIKE_SETTLED_LATER,
    ]
    groups = cluster_stories(items)
    assert_partition(groups, len(items))
    assert groups == cluster_stories(items)
    assert keys(items, groups) == [
        {FOOTBALL.key},
        {STRIKE_DAY1_B.key, STRIKE_UNDATED.key, STRIKE_DAY1_A.key},
        {QUAKE_AP_NEXT_DAY.key, QUAKE_REUTERS.key},
        {AGENCY_ON_SITE_B.key, AGENCY_ON_SITE_A.key},
        {STRIKE_SETTLED_LATER.key},
    ]
    reversed_groups = keys(items[::-1], cluster_stories(items[::-1]))
    assert sorted(map(sorted, reversed_groups)) == sorted(map(sorted, keys(items, groups)))


def test_articles_without_entities_are_judged_on_text() -> None:
    items = [item.model_copy(update={"entities": []}) for item in (STRIKE_DAY1_A, QUAKE_REUTERS, STRIKE_DAY1_B)]
    assert cluster_stories(items) == [[0, 2], [1]]


def test_trivial_inputs() -> None:
    assert cluster_stories([]) == []
    assert cluster_stories([FOOTBALL]) == [[0]]
    empty = [ClusterItem(key="x"), ClusterItem(key="y")]
    assert cluster_stories(empty) == [[0], [1]]
    with pytest.raises(ValueError):
        cluster_stories([FOOTBALL], window_days=-1)


# --- duplicates ---------------------------------------------------------------------


def test_agency_copies_on_two_sites_are_near_duplicates() -> None:
    items = [STRIKE_DAY1_A, AGENCY_ON_SITE_A, STRIKE_DAY1_B, AGENCY_ON_SITE_B, FOOTBALL]
    assert find_duplicates(items) == [[1, 3]]


def test_exact_copies_group_transitively_and_reports_in_own_words_do_not() -> None:
    copy = STRIKE_DAY1_A.model_copy(update={"key": "copy"})
    shouted = STRIKE_DAY1_A.model_copy(update={"key": "upper", "text": STRIKE_DAY1_A.text.upper()})
    items = [copy, STRIKE_DAY1_B, STRIKE_UNDATED, STRIKE_DAY1_A, shouted]
    assert find_duplicates(items) == [[0, 3, 4]]


def test_duplicates_ignore_empty_texts_and_check_the_threshold() -> None:
    assert find_duplicates([ClusterItem(key="a"), ClusterItem(key="b")]) == []
    assert find_duplicates([]) == []
    assert find_duplicates([AGENCY_ON_SITE_A, AGENCY_ON_SITE_B], threshold=0.99) == []
    with pytest.raises(ValueError):
        find_duplicates([FOOTBALL], threshold=0.0)


# --- the seed pages -----------------------------------------------------------------

# Dates from the pages themselves; seed 003 says only "vor 2 Stunden".
SEED_DATES = {
    "000": date(2026, 1, 3),
    "001": date(2026, 1, 3),
    "002": date(2025, 12, 31),
    "003": None,
    "004": date(2025, 12, 20),
}
# What entity extraction and grounding would keep for each page.
SEED_ENTITIES = {
    "000": [
        "Kiew", "Rustem Umjerow", "Steve Witkoff", "NATO", "EU", "Kanada", "USA", "Ukraine",
        "Russland", "Wolodymyr Selenskyj", "Paris", "Koalition der Willigen", "Donald Trump",
    ],
    "001": [
        "Kiew", "Wolodymyr Selenskyj", "EU", "NATO", "USA", "Paris", "Koalition der Willigen",
        "Donald Trump", "Florida", "Russland", "Ukraine",
    ],
    "002": [
        "USA", "Ukraine", "Steve Witkoff", "Rustem Umjerow", "Marco Rubio", "Jared Kushner",
        "Donald Trump", "Wolodymyr Selenskyj", "Koalition der Willigen", "Großbritannien",
        "Frankreich", "Deutschland", "NATO", "Wladimir Putin",
    ],
    "003": [
        "USA", "Ukraine", "Miami", "Steve Witkoff", "Rustem Umjerow", "Jared Kushner",
        "Wolodymyr Selenskyj", "Russland", "Kirill Dmitrijew", "Odessa",
    ],
    "004": [
        "USA", "Ukraine", "Russland", "Miami", "Wolodymyr Selenskyj", "Rustem Umjerow", "Marco Rubio",
        "Donald Trump", "Wladimir Putin", "Kirill Dmitrijew", "Kiew", "Moskau",
    ],
}


def seed_item(path: Path) -> ClusterItem:
    lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    number = path.name[:3]
    return ClusterItem(
        key=path.name,
        published=SEED_DATES[number],
        title=lines[0],
        # Menus and link lists are short lines; prose paragraphs are long.
        text="\n".join(line for line in lines if len(line) > 80),
        entities=SEED_ENTITIES[number],
    )


def test_seed_pages_form_three_stories_one_per_event() -> None:
    paths = sorted(SEEDS.glob("*.txt"))
    assert [p.name[:3] for p in paths] == ["000", "001", "002", "003", "004"]
    items = [seed_item(p) for p in paths]
    stories = [{items[i].key[:3] for i in group} for group in cluster_stories(items)]
    assert sorted(stories, key=min) == [{"000", "001"}, {"002"}, {"003", "004"}]


def test_seed_pages_in_any_order_form_the_same_stories() -> None:
    items = [seed_item(p) for p in sorted(SEEDS.glob("*.txt"), reverse=True)]
    stories = [{items[i].key[:3] for i in group} for group in cluster_stories(items)]
    assert sorted(stories, key=min) == [{"000", "001"}, {"002"}, {"003", "004"}]


def test_seed_pages_are_not_duplicates_of_each_other() -> None:
    items = [seed_item(p) for p in sorted(SEEDS.glob("*.txt"))]
    assert find_duplicates(items) == []


def _brute_force_average_linkage(distance: np.ndarray, threshold: float) -> list[list[int]]:
    """Average linkage by its definition: mean of the original pairwise distances."""
    groups = [[i] for i in range(len(distance))]
    while len(groups) > 1:
        best = min(((float(np.mean([distance[a, b] for a in groups[i] for b in groups[j]])), i, j)
                    for i in range(len(groups)) for j in range(i + 1, len(groups))))
        if not best[0] < threshold:
            break
        _, i, j = best
        groups[i] = sorted(groups[i] + groups[j])
        del groups[j]
    return sorted(groups)


def test_average_linkage_equals_the_mean_of_original_distances() -> None:
    rng = np.random.default_rng(7)
    for size in (2, 5, 9, 14):
        for threshold in (0.3, 0.5, 0.7):
            points = rng.random((size, 2))
            distance = np.sqrt(((points[:, None, :] - points[None, :, :]) ** 2).sum(-1))
            labels = average_linkage(distance, threshold)
            assert cluster.groups_from_labels(labels) == _brute_force_average_linkage(distance, threshold)


def test_similarity_matrices_are_symmetric_with_unit_diagonal_for_texts_with_content() -> None:
    items = [ClusterItem(key=str(i), title=t, text=t * 3, entities=e) for i, (t, e) in enumerate([
        ("Hochwasser in Passau: Pegel steigt ", ["Passau"]),
        ("Pegel in Passau steigt weiter ", ["Passau"]),
        ("Bundestag beschließt Haushalt ", ["Bundestag"]),
    ])]
    similarity = story_similarity(items)
    assert np.allclose(similarity, similarity.T)
    assert np.allclose(np.diag(similarity), cluster.LEAD_WEIGHT + cluster.BODY_WEIGHT + cluster.ENTITY_WEIGHT)
    assert similarity[0, 1] > similarity[0, 2]


NOBEL_DE = ClusterItem(
    key="de/nobelpreis.html", published=date(2025, 10, 7), language="de",
    title="Physik-Nobelpreis für Quantenforscher",
    text=("Der Nobelpreis für Physik geht in diesem Jahr an die Quantenphysiker John Clarke, Michel Devoret und "
          "John Martinis. Das teilte die Akademie in Stockholm mit. Die Forscher hätten gezeigt, dass sich "
          "Quanteneffekte in einem elektrischen Schaltkreis beobachten lassen."),
    entities=["John Clarke", "Michel Devoret", "John Martinis", "Stockholm"],
)
NOBEL_EN = ClusterItem(
    key="en/nobel-prize.html", published=date(2025, 10, 7), language="en",
    title="Three scientists win the Nobel Prize in Physics",
    text=("STOCKHOLM: John Clarke, Michel H. Devoret and John M. Martinis won the Nobel Prize in Physics on "
          "Tuesday for showing that quantum effects can be seen in an electrical circuit you can hold in a hand."),
    entities=["John Clarke", "Michel H. Devoret", "John M. Martinis", "Stockholm"],
)
STORM_EN = ClusterItem(
    key="en/storm.html", published=date(2025, 10, 7), language="en",
    title="Storm closes ferry port",
    text=("Storm Elin closed the ferry port of Kettleby on Tuesday, and about 40,000 homes in Cornwall lost power "
          "overnight, Western Grid Networks said. Trains to Stockholm were not affected."),
    entities=["Kettleby", "Cornwall", "Western Grid Networks", "Stockholm"],
)


def test_across_languages_people_count_as_much_as_places() -> None:
    # Each report names places the other does not; the three laureates are the event.
    german = NOBEL_DE.model_copy(update={
        "entities": [*NOBEL_DE.entities, "USA", "Schweiz"],
        "entity_types": {"Stockholm": "LOC", "USA": "LOC", "Schweiz": "LOC", "John Clarke": "PER",
                         "Michel Devoret": "PER", "John Martinis": "PER"}})
    english = NOBEL_EN.model_copy(update={
        "text": NOBEL_EN.text + " Clarke works in Berkeley, Devoret at Yale, Martinis in Santa Barbara.",
        "entities": [*NOBEL_EN.entities, "Berkeley", "Yale", "Santa Barbara"],
        "entity_types": {"Stockholm": "LOC", "Berkeley": "LOC", "Yale": "LOC", "Santa Barbara": "LOC",
                         "John Clarke": "PER", "Michel H. Devoret": "PER", "John M. Martinis": "PER"}})
    vectors = cluster.story_vectors([german, english])
    weighted, alike = vectors.entities, vectors.names  # two languages: the names are kept apart
    assert alike is not None
    assert (alike @ alike.T)[0, 1] > (weighted @ weighted.T)[0, 1]
    assert cluster_stories([german, english, STORM_EN]) == [[0, 1], [2]]


def test_one_event_in_two_languages_is_one_story_by_its_names() -> None:
    # The texts share no content word; the names, with or without middle initials, are the evidence.
    assert cluster.entity_key("Michel H. Devoret") == cluster.entity_key("Michel Devoret")
    assert cluster_stories([NOBEL_DE, NOBEL_EN, STORM_EN]) == [[0, 1], [2]]
    # Without the languages the pair is judged on words as well, which two languages do not share.
    unknown = [item.model_copy(update={"language": None}) for item in (NOBEL_DE, NOBEL_EN)]
    assert story_similarity(unknown)[0, 1] < story_similarity([NOBEL_DE, NOBEL_EN])[0, 1]
