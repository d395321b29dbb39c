"""One rule at a time, on small pages written in several outlets' styles."""

from __future__ import annotations

from datetime import date

import pytest

from summarize.clean import boilerplate as bp
from summarize.clean.cleaner import clean_text, repeated_lines
from summarize.clean.dates import find_dates, first_date, is_date_line
from summarize.clean.html import extract_html, looks_like_html
from summarize.clean.layout import build_units
from summarize.clean.metadata import (
    derive_title,
    detect_language,
    domain_of,
    find_source,
)
from summarize.ingest.records import parse_record

P1 = "Die Landesregierung hat am Freitag ein neues Gesetz zur Förderung von Sozialwohnungen beschlossen, das ab März gelten soll."
P2 = "Die Opposition kritisierte, dass die Mittel nicht ausreichten. „Das ist ein Tropfen auf den heißen Stein“, sagte die Klubobfrau."
P3 = "Der Landeshauptmann verteidigte das Gesetz und erklärte, man habe die Förderung gegenüber dem Vorjahr um ein Drittel erhöht."
E1 = "The council voted on Thursday night to spend $310 million over the next seven years replacing the remaining lead pipes in the city."
E2 = "About 21,000 homes are still connected to the water system through lead pipes, according to the water department of the city."
E3 = "Homeowners will not be charged for the work, which will be paid for with federal grants and a small surcharge on water bills."


def page(*lines: str) -> str:
    return "\n\n".join(lines)


def cleaned(*lines: str, **kwargs: object):
    return clean_text("page.txt", page(*lines), **kwargs)


# --- chrome phrases in five languages -----------------------------------------


@pytest.mark.parametrize(
    "line",
    [
        "Teilen", "Schriftgröße", "Artikel vorlesen", "Kommentare anzeigen", "Gesamten Artikel lesen",
        "Externen Inhalt anzeigen", "Share this article", "Skip to main content", "Advertisement",
        "Partager", "Publicité", "Lire la suite", "Condividi", "Leggi tutto", "Compartir", "Leer más",
        "Teilen Drucken Merken", "Share | Tweet | Email", "Fehler im Artikel gefunden? Jetzt melden.",
        "Lesen Sie auch: Stadtwerke erhöhen die Preise", "Read more: How to claim compensation",
        "Lire aussi : Les tarifs augmentent", "Listen to this article · 4 min", "Facebook",
    ],
)
def test_chrome_phrases(line: str) -> None:
    assert bp.chrome_reason(line) is not None


@pytest.mark.parametrize(
    "line",
    [
        "Wen schickt Russland?", "Auch politisch-militärische Fragen erörtert", "Ferries cancelled until Sunday",
        "Des horaires de travail revus", "Volontari e sacchi di sabbia", "Restricciones para el verano",
        "„Das ist wichtig“, betonte Selenskyj.", P1, E1,
    ],
)
def test_article_lines_are_not_chrome(line: str) -> None:
    assert bp.chrome_reason(line) is None
    assert not bp.is_stop_heading(line)


@pytest.mark.parametrize(
    "line",
    ["Weitere Meldungen", "Mehr zum Thema", "Meistkommentiert", "Related stories", "Most read",
     "More from Local News", "À lire aussi", "Leggi anche", "Potrebbe interessarti", "Te puede interesar"],
)
def test_stop_headings(line: str) -> None:
    assert bp.is_stop_heading(line)


def test_comment_widgets_and_counts() -> None:
    for line in ("Aktuell sind 0 Kommentare vorhanden", "Kommentare (23)", "12 comments", "Comments (3)",
                 "Bitte melden Sie sich an, um zu kommentieren.", "4 min read", "Lesezeit: 3 Minuten"):
        assert bp.is_comment_widget(line), line


def test_template_fragments() -> None:
    assert bp.is_code_fragment("{$dispatch('toggle')}, 250);\">")
    assert bp.is_code_fragment("window.dataLayer = window.dataLayer || [];")
    assert not bp.is_code_fragment(P1)


def test_breadcrumbs() -> None:
    assert bp.breadcrumb_parts("Aktuelle Seite: Home > Politik > Gespräche fortgesetzt")[-1] == "Gespräche fortgesetzt"
    assert bp.is_breadcrumb("Accueil › Vaud › Lausanne")
    assert not bp.is_breadcrumb("Ukraine: USA wollen Kiew und Moskau an einen Tisch bringen")


def test_credits_and_captions() -> None:
    for line in ("APA/APA/dpa/Michael Kappeler", "© Getty", "Bild: APA/Georg Hochmuth", "Foto: picture alliance / dpa"):
        assert bp.is_credit(line), line
    assert bp.has_inline_credit("Fallen trees block the coast road on Friday. Photo: Tom Rendle/PA")
    assert not bp.is_credit("Die APA meldete am Freitag neue Zahlen aus dem Ministerium.")


def test_bylines() -> None:
    assert bp.byline_name("Von: APA/dpa") == "APA/dpa"
    assert bp.byline_name("By Eleanor Whitby, Transport Correspondent") == "Eleanor Whitby"
    assert bp.byline_name("di Marco Ferri") == "Marco Ferri"
    assert bp.byline_name("By the end of the year, prices had doubled.") is None


def test_consent_notices_need_reader_address() -> None:
    assert bp.is_consent_notice(
        "Ich bin damit einverstanden, dass mir externe Inhalte angezeigt werden. "
        "Damit können personenbezogene Daten an Drittplattformen übermittelt werden."
    )
    assert bp.is_consent_notice("We use cookies to improve your experience. See our privacy policy.")
    assert not bp.is_consent_notice(
        "Die Zustimmung des Parlaments zum Datenschutzgesetz gilt als sicher, das Cookies strenger regelt."
    )


def test_pointer_sentences_are_cut_from_the_end_only() -> None:
    body = "Die Lage bleibt angespannt. Verfolgen Sie alle aktuellen Entwicklungen in unserem Liveblog."
    assert bp.trim_pointer_sentences(body) == "Die Lage bleibt angespannt."
    assert bp.trim_pointer_sentences("Follow our live coverage for updates.") == ""
    assert bp.trim_pointer_sentences(P1) == P1


def test_menu_rows_and_tag_lists() -> None:
    assert bp.is_menu_line("Ticker Auto Astro Business Buzz24 Chronik Cooking Deutschland Digital E-Paper")
    assert bp.is_menu_line("Home | Politik | Inland | Wirtschaft")
    assert bp.is_tag_list("Ukraine, Russland")
    assert not bp.is_menu_line("USA nehmen neuen Anlauf für Ukraine-Frieden")


def test_teasers() -> None:
    assert bp.is_teaser("Merz hebt Bedeutung hervor. Bundeskanzler sagte etwas. (Politik, 29.01.2026 - 14:24) weiterlesen...")
    assert not bp.is_teaser(P1)


def test_sentences_split_without_breaking_quotes_or_abbreviations() -> None:
    assert bp.split_sentences("Er sagte: „Das ist gut.“ Dann ging er. Dr. Müller kam z.B. später.") == [
        "Er sagte: „Das ist gut.“", "Dann ging er.", "Dr. Müller kam z.B. später.",
    ]


def test_a_sentence_goes_on_after_a_day_before_its_month_and_after_mrd() -> None:
    """"am 3. Jänner" and "60 Mrd. Euro" end no sentence; a day that does, does."""
    assert bp.split_sentences("Die Umbuchung von 60 Mrd. Euro war nichtig. Am 3. Jänner tagt die Koalition. "
                              "Er kam am 12. Das war gut.") == [
        "Die Umbuchung von 60 Mrd. Euro war nichtig.", "Am 3. Jänner tagt die Koalition.", "Er kam am 12.",
        "Das war gut.",
    ]


# --- the page layout ------------------------------------------------------------


def test_headline_lead_subheading_short_paragraph_and_quote_are_kept() -> None:
    article = cleaned(
        "Startseite", "Politik", "Landtag beschließt Wohnbaugesetz", "03.01.2026 um 14:12 Uhr", "Von Anna Berger",
        P1, P2, "Kritik der Arbeiterkammer", P3, "Die Lage bleibt angespannt.", "„Wir bleiben dran“",
        "Mehr zum Thema", "Budget: Tirol plant Rekordinvestitionen", "Gemeinderatswahlen: Termin steht fest",
    )
    assert article.title == "Landtag beschließt Wohnbaugesetz"
    assert article.text.split("\n\n") == [
        P1, P2, "Kritik der Arbeiterkammer", P3,
        "Die Lage bleibt angespannt.", "„Wir bleiben dran“",
    ]
    assert "Budget" not in article.text
    assert article.published == "2026-01-03"


def test_title_case_headline_above_standfirst_and_byline() -> None:
    article = cleaned(
        "WORLD", "Markets Tumble As Oil Prices Surge After Pipeline Explosion",
        "Brent crude jumped 8 percent on Friday, its biggest one-day gain in two years.",
        "By Sarah Lee and Tom Park", "Updated: 5:04 PM EST, Fri January 2, 2026", E1, E2, E3,
    )
    assert article.title == "Markets Tumble As Oil Prices Surge After Pipeline Explosion"
    assert article.published == "2026-01-02"
    assert "Brent crude jumped" in article.text and "Sarah Lee" not in article.text


def test_live_blog_entries_keep_their_headings_but_not_timestamps() -> None:
    article = cleaned(
        "LIVE: Latest updates", "Ministers meet as rail strike enters second day", "Saturday 3 January 2026 16:05, UK",
        "14:32", "Talks resume at conciliation service", E1, "13:58", "Passengers urged not to travel", E2, E3,
    )
    assert article.title == "Ministers meet as rail strike enters second day"
    assert article.text.split("\n\n") == [
        "Talks resume at conciliation service", E1,
        "Passengers urged not to travel", E2, E3,
    ]


def test_list_of_other_stories_ends_the_article() -> None:
    teaser = "Ein anderes Thema mit langem Vorspann, der wie ein Absatz aussieht und viele Wörter hat, wie ein Artikel."
    article = cleaned("Überschrift der Meldung hier", "02.01.2026", P1, P2, "Weitere Meldungen", teaser, teaser + " Noch mehr.")
    assert "anderes Thema" not in article.text


def test_inline_related_box_does_not_end_the_article() -> None:
    article = cleaned(
        "City council approves plan", "Jan. 2, 2026", E1, E2, "Recommended",
        "Millbrook schools to add 40 minutes to the school day", "Concerns about cost", E3, E1.replace("council", "board"),
    )
    assert "Concerns about cost" in article.text and E3 in article.text
    assert "Millbrook schools" not in article.text


def test_comment_section_ends_the_article() -> None:
    reader = "The city has been promising to fix the water mains on our street for ten years and nothing happened."
    article = cleaned("City council approves plan", "January 2, 2026", E1, E2, E3, "Comments (2)", "JaneD · 2 hours ago", reader)
    assert reader not in article.text
    assert E3 in article.text


def test_caption_next_to_credit_is_dropped_but_glued_paragraph_is_not() -> None:
    text = "\n".join([
        "Ministers meet as talks resume", "Saturday 3 January 2026", P1, P2,
        "Bild: APA/EXPA/Johann Groder", P3,
    ])
    article = clean_text("p.txt", text)
    assert P2 in article.text and "Groder" not in article.text
    article = cleaned("Ministers meet as talks resume", "3 Jan 2026", "Minister Anna Berger in Wien.\nFoto: dpa", P1, P2)
    assert "Anna Berger in Wien" not in article.text


def test_repeated_headline_appears_once_and_lines_shared_by_the_batch_go() -> None:
    title = "USA nehmen neuen Anlauf für Frieden"
    article = cleaned(title, "© Getty", title, "31.12.25, 20:50", P1, "Jetzt im Abo lesen", P2, P3,
                      batch_lines=frozenset({"jetzt im abo lesen"}))
    assert article.title == title and title not in article.text
    assert "Abo" not in article.text


def test_repeated_lines_only_counts_short_lines_shared_by_documents() -> None:
    shared = repeated_lines([page("Abo-Angebote", P1), page("Abo-Angebote", P1), page("Sonstiges", P2)])
    assert "abo-angebote" in shared
    assert bp.normalize(P1) not in shared  # syndicated paragraphs are not site chrome


def test_hard_wrapped_paragraphs_are_joined() -> None:
    units = build_units([
        "La strada provinciale 34 è stata chiusa al traffico tra Canaro e",
        "Polesella e il servizio di autobus è stato deviato sulla statale.",
        "Le scuole dei comuni interessati resteranno chiuse fino a lunedì.",
        "",
        "Maltempo, allerta rossa in tre province del Veneto",
        "Ponte sul Po chiuso a Polesella: traffico deviato fino a marzo",
    ])
    assert units[0].text.startswith("La strada") and units[0].text.endswith("lunedì.") and units[0].sources == 3
    assert [u.text[:5] for u in units[1:]] == ["Malte", "Ponte"]


def test_embed_notice_and_template_fragment_inside_the_body() -> None:
    article = cleaned(
        "USA und Ukraine nennen Gespräche konstruktiv", "vor 2 Stunden", P1, "Empfohlener externer Inhalt",
        "An dieser Stelle finden Sie einen externen Inhalt von X.com, der den Artikel ergänzt. "
        "Sie können Ihre Zustimmung jederzeit wieder zurücknehmen.",
        "{$dispatch('toggle')}, 250);\">", "Externen Inhalt anzeigen", P2, P3, "Gesamten Artikel lesen",
    )
    assert article.title == "USA und Ukraine nennen Gespräche konstruktiv"
    assert article.text.split("\n\n") == [P1, P2, P3]
    assert article.removed == 6  # the date line, the embed notice's four lines, the link


def test_author_note_at_the_end_is_dropped() -> None:
    note = "Marcus Hill covers city government for the Tribune. Reach him at mhill@tribune.example."
    article = cleaned("City council approves plan", "January 2, 2026", E1, E2, E3, note)
    assert "Reach him" not in article.text and E3 in article.text


def test_page_without_prose_keeps_its_short_lines() -> None:
    article = cleaned("Kurzmeldung aus dem Rathaus", "02.01.2026", "Die Sitzung fällt aus.", "Neuer Termin folgt.")
    assert article.ok
    assert "Die Sitzung fällt aus." in article.text


# --- records ------------------------------------------------------------------------


def test_record_with_glued_field_names() -> None:
    text = "Datum03.01.2026 05:37\nQuellewww.zeit.de\nTLDRKurz gesagt: es gab Gespräche.\nInhalt" + P1 + " " + P2
    record = parse_record(text)
    assert record and record.fields["source"] == "www.zeit.de" and record.fields["tldr"].startswith("Kurz")
    article = clean_text("r.txt", text)
    assert article.source == "zeit.de" and article.published == "2026-01-03"
    assert article.given_tldr == "Kurz gesagt: es gab Gespräche."
    assert article.text == P1 + " " + P2
    assert article.title == derive_title(P1)


def test_record_with_colons_and_title() -> None:
    text = "Titel: Neues Gesetz beschlossen\nDate: 2026-01-02\nSource: https://www.example.org/politik/a1\nContent: " + E1
    article = clean_text("r.txt", text)
    assert (article.title, article.source, article.published) == ("Neues Gesetz beschlossen", "example.org", "2026-01-02")


def test_ordinary_text_is_not_a_record() -> None:
    assert parse_record("Textilindustrie in der Krise\n\n" + P1) is None


def test_derived_title_is_cut_at_a_clause() -> None:
    body = "Die Unterstützer der Ukraine haben Sicherheitsberater nach Kyjiw geschickt, um über eine Beendigung des Kriegs zu beraten. Mehr."
    assert derive_title(body) == "Die Unterstützer der Ukraine haben Sicherheitsberater nach Kyjiw geschickt"


# --- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "iso"),
    [
        ("Samstag, 03. Januar 2026 | 15:55 Uhr", "2026-01-03"),
        ("20.12.2025 - 19:25:08", "2025-12-20"),
        ("31.12.25, 20:50", "2025-12-31"),
        ("Datum03.01.2026 05:37", "2026-01-03"),
        ("Aktualisiert am 4. Jänner 2026, 08:14", "2026-01-04"),
        ("January 3, 2026", "2026-01-03"),
        ("Jan. 2, 2026 5:04 p.m. ET", "2026-01-02"),
        ("3 Jan 2026", "2026-01-03"),
        ("Published 2 January 2026, 21:14 GMT", "2026-01-02"),
        ("Publié le 1er janvier 2026 à 14h12", "2026-01-01"),
        ("Pubblicato il 2 gennaio 2026 alle 09:41", "2026-01-02"),
        ("2 de enero de 2026, 08:30", "2026-01-02"),
        ("2026-01-03T08:30:00+01:00", "2026-01-03"),
    ],
)
def test_absolute_dates(text: str, iso: str) -> None:
    assert first_date(text) == iso
    assert is_date_line(text)


def test_relative_dates_need_a_reference_day() -> None:
    today = date(2026, 1, 3)
    assert first_date("vor 2 Stunden") is None
    assert first_date("vor 2 Stunden", today=today) == "2026-01-03"
    assert first_date("vor 3 Tagen", today=today) == "2025-12-31"
    assert first_date("2 days ago", today=today) == "2026-01-01"
    assert first_date("gestern, 18:00", today=today) == "2026-01-02"
    assert first_date("il y a 2 jours", today=today) == "2026-01-01"
    assert first_date("hace 3 horas", today=today) == "2026-01-03"


def test_relative_date_resolves_only_with_today() -> None:
    lines = ("Gespräche in Miami konstruktiv", "vor 2 Stunden", P1, P2)
    assert cleaned(*lines).published is None
    assert cleaned(*lines, today=date(2026, 1, 3)).published == "2026-01-03"


def test_date_of_a_teaser_is_not_the_articles() -> None:
    teaser = "Ein anderes Thema, das später passierte und in einer Liste steht. (Ausland, 29.01.2026 - 20:20) weiterlesen..."
    article = cleaned("Überschrift ohne Datum im Kopf", P1, P2, "Weitere Meldungen", teaser)
    assert article.published is None
    assert [h.iso for h in find_dates(teaser)] == ["2026-01-29"]


def test_scraper_date_prefix_is_read_and_removed() -> None:
    article = clean_text("p.txt", " date 2026-01-03 Aktuelle Seite: Home > Politik > Titel\n\nTitel der Seite\n\n" + P1 + "\n\n" + P2)
    assert article.published == "2026-01-03"
    assert "date 2026" not in article.text


def test_date_line_at_the_foot_is_used_when_the_head_has_none() -> None:
    assert cleaned("Überschrift der Meldung", P1, P2, "Stand: 02.01.2026, 18:30 Uhr").published == "2026-01-02"


# --- outlet and language -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "source"),
    [
        (["Südtirol News im App Store", "© 2026 First Avenue GmbH", "Von: APA/dpa"], "Südtirol News"),
        (["@ dpa.de"], "dpa.de"),
        (["Quelle: https://www.example.com/a/b"], "example.com"),
        (["OE24 Logo", "oe24 entdecken", "oe24"], "oe24"),
        (["© 2026 Harbour Post Media Ltd. All rights reserved."], "Harbour Post"),
        (["Le Courrier du Léman", "© Le Courrier du Léman 2026 – Tous droits réservés"], "Le Courrier du Léman"),
        (["Il Gazzettino del Delta - P.IVA 01234567890 - Tutti i diritti riservati"], "Il Gazzettino del Delta"),
        (["Von: APA/dpa"], "APA/dpa"),
        (["Gesamten Artikel lesen", "Externen Inhalt anzeigen"], None),
    ],
)
def test_source_signals(lines: list[str], source: str | None) -> None:
    assert find_source(lines, "\n".join(lines)) == source


def test_domain_of() -> None:
    assert domain_of("Quelle www.zeit.de") == "zeit.de"
    assert domain_of("https://www.heraldodelebro.es/aragon/x.html") == "heraldodelebro.es"
    assert domain_of("no domain here") is None


@pytest.mark.parametrize(("text", "language"), [(P1 + P2, "de"), (E1 + E2, "en"),
                                                 ("La grève est suspendue après un accord salarial conclu vendredi soir.", "fr"),
                                                 ("Le scuole dei comuni interessati resteranno chiuse fino a lunedì.", "it")])
def test_language(text: str, language: str) -> None:
    assert detect_language(text) == language


# --- HTML ---------------------------------------------------------------------------------


def test_html_is_detected_by_content_not_name() -> None:
    assert looks_like_html("<!DOCTYPE html><html><body><p>x</p></body></html>")
    assert looks_like_html("\n<html lang='de'><head><title>t</title></head></html>")
    assert not looks_like_html("Die Regel a < b und c > d gilt.\n" + P1)


def test_html_page_with_nav_scripts_and_cookie_banner() -> None:
    html = f"""<html><head><title>Flood defences fail | River Times</title>
<meta property="og:site_name" content="River Times">
<meta property="article:published_time" content="2026-01-02T10:00:00Z">
<script>var tracking = {{id: 42}}; function go() {{ return 1; }}</script></head>
<body><div class="cookie"><p>We use cookies to personalise content. You can withdraw your consent at any time in our privacy policy.</p>
<button>Accept all</button></div>
<nav><ul><li><a href="/">Home</a></li><li><a href="/news">News</a></li><li><a href="/sport">Sport</a></li></ul></nav>
<article><h1>Flood defences fail</h1><p>{E1}</p><p>{E2}</p><h2>What happens next</h2><p>{E3}</p></article>
<footer>© 2026 River Times. All rights reserved.</footer><script>go();</script></body></html>"""
    article = clean_text("page.txt", html)
    assert article.ok
    assert article.title == "Flood defences fail"
    assert article.source == "River Times"
    assert article.published == "2026-01-02"
    for kept in (E1, E2, E3):
        assert kept in article.text
    for gone in ("cookies", "tracking", "Accept all", "Sport", "All rights reserved"):
        assert gone not in article.text


def test_a_copyright_year_is_no_publication_date() -> None:
    body = "".join(f"<p>Der Gemeinderat hat am Abend den Haushalt beschlossen, Satz {i} mit vielen Wörtern.</p>"
                   for i in range(8))
    page = f"<html><head><title>Haushalt beschlossen</title></head><body><article><h1>Haushalt beschlossen</h1>" \
           f"{body}</article><footer><p>© 2026 Nachrichten. Alle Rechte vorbehalten.</p></footer></body></html>"
    assert extract_html(page).published is None
    assert extract_html(page.replace("<h1>", "<p>1. Januar 2026</p><h1>")).published == "2026-01-01"
