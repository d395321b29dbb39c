"""Article-derived text in a briefing written by `summarize digest` stays text:
escaped in the HTML page, and unable to change the structure of the Markdown."""

import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

from fake_openai import FakeOpenAI, default_answer, is_story_request
from markdown_it import MarkdownIt

ROOT = Path(__file__).resolve().parent.parent
TITLE_SCRIPT = "<script>alert('xss-title')</script>"
BODY_IMAGE = "<img src=x onerror=alert('xss-body')>"
ENTITY_SCRIPT = "Jonas <script>alert('xss-entity')</script> Berg"
HEADING = "# Gehackt"

ARTICLES = {
    # a field record keeps its title as given, markup and all
    "council.txt": (f"Titel: Stadtrat {TITLE_SCRIPT} beschließt Haushalt\nDatum: 10.02.2026\n"
                    "Quelle: www.example-zeitung.de\n"
                    "Inhalt: Der Stadtrat von Kassel hat am Dienstag einen Haushalt von 812 Millionen Euro "
                    "beschlossen. Kämmerin Petra Lindner sprach von einem soliden Plan für die kommenden zwei "
                    "Jahre.\nDie Opposition kritisierte die geplanten Kürzungen bei den Bädern und kündigte "
                    "Widerstand an.\n"),
    "harbour.txt": ("date 2026-02-12 Hafen Bremen meldet Rekordumschlag\n\n"
                    f"Der Hafen in Bremen hat im Januar 4,2 Millionen Tonnen umgeschlagen {BODY_IMAGE} und damit einen "
                    "Rekord aufgestellt. Hafenchef Jonas Berg nannte den Containerverkehr als Grund.\n\n"
                    "Umweltverbände fordern dennoch strengere Regeln für Schiffsabgase im Hafengebiet.\n"),
    "harbour-2.txt": ("date 2026-02-12 Rekord im Bremer Hafen: 4,2 Millionen Tonnen im Januar\n\n"
                      "Im Januar hat der Hafen Bremen 4,2 Millionen Tonnen Güter umgeschlagen, so viel wie nie. "
                      "Hafenchef Jonas Berg führte den Rekord auf den Containerverkehr zurück.\n\n"
                      "Umweltverbände verlangen strengere Regeln für Abgase der Schiffe im Hafen.\n"),
    "tram.html": ("<html><head><title>Ruhige Woche\n# Gehackt im Titel</title></head><body><article>"
                  "<h1>Ruhige Woche\n# Gehackt im Titel</h1><p>Die Stadt Erfurt hat am Montag 14 neue Straßenbahnen "
                  "bestellt. Oberbürgermeister Karl Vogel sagte, die Fahrzeuge sollten ab 2028 fahren.</p>"
                  "<p>Der Hersteller aus Bautzen liefert die Bahnen in zwei Tranchen.</p></article></body></html>"),
    # fails (empty): its name reaches the "not summarized" list and stderr
    f"leer\n{HEADING} im \x1b[31mDateinamen\x1b[0m <img src=x onerror=alert(1)>.txt": "",
}


def hostile_model(request):
    """Answers in the right shape, with markup, newlines and headings in every free-text field."""
    answer = json.loads(default_answer(request))
    if is_story_request(request):
        return json.dumps({
            "headline": f"Hafen Bremen meldet Rekord\n{HEADING} als Überschrift\n## Noch eine",
            "tldr": (f"Der Hafen in Bremen hat im Januar 4,2 Millionen Tonnen umgeschlagen.\n\n{HEADING} im TLDR\n\n"
                     f"<script>alert('xss-story')</script> {BODY_IMAGE}"),
        })
    answer["entities"] = answer["entities"] + [{"name": ENTITY_SCRIPT, "type": "PER"},
                                               {"name": f"Anna\n{HEADING} Weber", "type": "PER"}]
    return json.dumps(answer)


class Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.attributes, self.text = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.attributes += [name for name, _ in attrs]

    def handle_data(self, data):
        self.text.append(data)


def parse_html(page: str) -> Tags:
    tags = Tags()
    tags.feed(page)
    tags.close()
    return tags


def test_crafted_articles_cannot_inject_markup_or_structure(tmp_path):
    box, out = tmp_path / "inbox", tmp_path / "out"
    box.mkdir()
    for name, text in ARTICLES.items():
        (box / name).write_text(text, encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
    with FakeOpenAI(answer=hostile_model) as fake:
        env.update(OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY="sk-test")
        result = subprocess.run([sys.executable, "-m", "summarize", "digest", str(box), "--out", str(out),
                                 "--format", "md,html,json", "--db", str(tmp_path / "db.sqlite3")],
                                env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
        merged = sum(is_story_request(r) for r in fake.requests)
    assert "Traceback" not in result.stderr and result.returncode == 1, result.stderr
    # the failed file's name stays on one line of stderr and sends the terminal no escape sequence
    (failure_line,) = [line for line in result.stderr.splitlines() if line.endswith(": empty file")]
    assert failure_line.endswith(
        "leer\\n# Gehackt im \\x1b[31mDateinamen\\x1b[0m <img src=x onerror=alert(1)>.txt: empty file")
    assert "\x1b" not in result.stderr
    assert merged == 1, "the two harbour reports form one story with a merged headline"
    (page,) = out.glob("*.html")
    (markdown,) = out.glob("*.md")
    (data,) = out.glob("*.json")
    briefing = json.loads(data.read_text(encoding="utf-8"))
    html, md = page.read_text(encoding="utf-8"), markdown.read_text(encoding="utf-8")

    # the hostile text did reach the briefing, so the checks below are not vacuous
    everything = json.dumps(briefing, ensure_ascii=False)
    # (the entity is cut to its name-like start, markup included, and listed as not found in the source)
    for payload in (TITLE_SCRIPT, BODY_IMAGE, "xss-story", "Jonas <script>alert", HEADING):
        assert payload in everything, payload

    # HTML: no element or attribute came from an article; the payloads show as text
    tags = parse_html(html)
    assert "script" not in tags.tags and "img" not in tags.tags
    assert not [a for a in tags.attributes if a.startswith("on")]
    text = "".join(tags.text)
    for payload in (TITLE_SCRIPT, BODY_IMAGE, "Jonas <script>alert", "<script>alert('xss-story')</script>"):
        assert payload in text, payload
    assert "<script" not in html.lower() and "<img" not in html.lower() and "<svg" not in html.lower()

    # Markdown: the crafted headings are no headings, and nothing renders as raw HTML
    lines = md.splitlines()
    assert not [line for line in lines if re.match(r"#{1,6}\s*(Gehackt|Noch eine)", line)]
    headings = [line for line in lines if line.startswith("#")]
    assert headings[0].startswith("# Briefing — ") and all(h.startswith("## ") for h in headings[1:])
    assert len(headings) == 1 + len(briefing["stories"]) + 1, "the briefing's own headings only"
    tokens = MarkdownIt("commonmark").parse(md)
    assert not [t for t in tokens if t.type == "html_block"]
    assert not [c for t in tokens for c in (t.children or []) if c.type == "html_inline"]
    titles = [tokens[i + 1].content for i, t in enumerate(tokens) if t.type == "heading_open"]
    assert not [t for t in titles if t.startswith(("Gehackt", "Noch eine"))]
    rendered = parse_html(MarkdownIt("commonmark").render(md))
    assert "script" not in rendered.tags and "img" not in rendered.tags
    assert not [a for a in rendered.attributes if a.startswith("on")]
