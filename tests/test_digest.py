"""`summarize digest` end to end against a local OpenAI-compatible server."""

import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI

from summarize.digest.briefing import Member, group_members, of_day, story_importance
from summarize.models import ArticleSummary, CleanedArticle, Entity, Story, StorySource
from summarize.tldr.stage import DEFAULT_PROMPT

ROOT = Path(__file__).resolve().parent.parent


def digest(fake, *args, cwd=ROOT):
    env = {**os.environ, "OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test-sentinel"}
    env.pop("SUMMARIZE_DB", None)
    return subprocess.run([sys.executable, "-m", "summarize", "digest", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def fake():
    with FakeOpenAI() as server:
        yield server


def test_briefing_files_and_a_second_run_without_calls(fake, tmp_path):
    db, out = tmp_path / "state.sqlite3", tmp_path / "out"
    first = digest(fake, str(ROOT / "seeds"), "--db", str(db), "--out", str(out))
    assert first.returncode == 0, first.stderr
    calls = fake.calls
    assert calls >= 5
    assert sorted(p.name for p in out.iterdir()) == ["2026-01-03.html", "2026-01-03.json", "2026-01-03.md"]
    data = json.loads((out / "2026-01-03.json").read_text())
    assert {"date", "stories", "not_summarized", "usage", "prompts", "model"} <= set(data)
    paths = sorted(s["path"] for story in data["stories"] for s in story["sources"])
    assert len(paths) == 5 and data["not_summarized"] == []
    assert data["model"] == "fake-model" and DEFAULT_PROMPT in data["prompts"]
    for story in data["stories"]:
        assert {"id", "headline", "tldr", "entities", "sources"} <= set(story)
        assert all({"path", "source", "title", "published"} <= set(s) for s in story["sources"])

    second = digest(fake, str(ROOT / "seeds"), "--db", str(db), "--out", str(out))
    assert second.returncode == 0, second.stderr
    assert fake.calls == calls, "the second run must be answered from the cache"
    assert json.loads((out / "2026-01-03.json").read_text())["stories"] == data["stories"]


def test_failures_are_listed_never_dropped(fake, tmp_path):
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    (inbox / "empty.txt").write_text("")
    (inbox / "blob.bin").write_bytes(b"\0" * 64)
    (inbox / "ok.txt").write_text((ROOT / "seeds/002_26e6bf0d87fe9133.txt").read_text(encoding="utf-8"))
    result = digest(fake, str(inbox), "--db", str(tmp_path / "db"), "--out", str(tmp_path / "out"),
                    "--format", "json")
    assert result.returncode == 1
    data = json.loads((tmp_path / "out" / "2025-12-31.json").read_text())
    assert sorted(Path(f["path"]).name for f in data["not_summarized"]) == ["blob.bin", "empty.txt"]
    assert all(f["error"] for f in data["not_summarized"])
    assert [Path(s["path"]).name for st in data["stories"] for s in st["sources"]] == ["ok.txt"]
    assert "Traceback" not in result.stderr


def test_markdown_goes_to_stdout_without_out(fake, tmp_path):
    result = digest(fake, str(ROOT / "seeds/002_26e6bf0d87fe9133.txt"), "--db", str(tmp_path / "db"),
                    cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("# Briefing") and "USA nehmen neuen Anlauf" in result.stdout
    assert (tmp_path / "briefings" / "2025-12-31.md").is_file()


def test_date_selects_one_day_and_counts_the_rest(fake, tmp_path):
    result = digest(fake, str(ROOT / "seeds"), "--date", "2026-01-03", "--db", str(tmp_path / "db"),
                    "--out", str(tmp_path), "--format", "json")
    assert result.returncode == 0, result.stderr
    data = json.loads((tmp_path / "2026-01-03.json").read_text())
    kept = sorted(Path(s["path"]).name[:3] for st in data["stories"] for s in st["sources"])
    assert kept == ["000", "001", "003"], "the undated article is kept, the other days ignored"
    assert data["ignored"] == 2
    assert "2 article(s) outside 2026-01-03 ignored" in result.stderr


def test_bad_format_is_a_usage_error(fake, tmp_path):
    result = digest(fake, "seeds/", "--format", "pdf", "--db", str(tmp_path / "db"))
    assert result.returncode == 2 and "--format" in result.stderr and "Traceback" not in result.stderr


# --- the pure parts -------------------------------------------------------------

def member(path, published, text, entities, source="A", tldr=None):
    article = CleanedArticle(path=path, published=published, text=text, title=text.split(".")[0], source=source)
    summary = ArticleSummary(path=path, published=published, source=source, title=article.title,
                             tldr=tldr or text[:80], entities=[Entity(name=e, type="PER") for e in entities])
    return Member(article, summary)


AGENCY = ("Die Bundesregierung hat am Dienstag in Berlin ein neues Klimaschutzprogramm beschlossen. "
          "Es sieht Investitionen von 12 Milliarden Euro in Wärmepumpen und Stromnetze vor. "
          "Umweltministerin Petra Lindner sprach von einem Durchbruch, die Opposition kritisierte die Finanzierung.")


def test_agency_copies_ride_along_as_sources_of_one_story():
    members = [
        member("a.txt", "2026-02-03", AGENCY, ["Petra Lindner"], source="Zeitung A"),
        member("b.txt", "2026-02-03", AGENCY + " (dpa)", ["Petra Lindner"], source="Zeitung B"),
        member("c.txt", "2026-02-03", "Der FC Hafenstadt gewann das Derby gegen Nordstadt mit 3:1. "
               "Trainer Jonas Berg lobte die zweite Halbzeit seiner Mannschaft ausdrücklich.", ["Jonas Berg"]),
    ]
    groups = group_members(members, window_days=1)
    assert sorted(sorted(m.article.path for m in g) for g in groups) == [["a.txt", "b.txt"], ["c.txt"]]


def test_a_day_keeps_failures_and_undated():
    articles = [CleanedArticle(path="1", published="2026-01-03"), CleanedArticle(path="2", published="2026-01-02"),
                CleanedArticle(path="3"), CleanedArticle(path="4", ok=False, error="empty file")]
    kept = [a for a in articles if of_day(a, date(2026, 1, 3))]
    ignored = len(articles) - len(kept)
    assert [a.path for a in kept] == ["1", "3", "4"] and ignored == 1


def test_stories_ordered_by_outlets_then_recency():
    def story(name, sources):
        return Story(id=name, headline=name, tldr="", sources=[StorySource(path=p, source=s, published=d)
                                                                   for p, s, d in sources])
    ordered = sorted([
        story("old-single", [("1", "A", "2026-01-01")]),
        story("new-single", [("2", "B", "2026-01-03")]),
        story("two-outlets", [("3", "A", "2026-01-01"), ("4", "B", "2026-01-01")]),
        story("undated", [("5", "C", None)]),
    ], key=story_importance)
    assert [s.id for s in ordered] == ["two-outlets", "new-single", "old-single", "undated"]


def test_an_outlet_prefix_copied_from_the_reports_is_removed():
    from summarize.digest.briefing import without_outlet_prefix

    outlets = ["Südtirol News", "zeit.de"]
    assert without_outlet_prefix("Südtirol News: sicherheitsberater in Kiew", outlets) == "Sicherheitsberater in Kiew"
    assert without_outlet_prefix("zeit.de : Treffen in Kyjiw", outlets) == "Treffen in Kyjiw"
    assert without_outlet_prefix("Laut zeit.de: 15 Staaten", outlets) == "Laut zeit.de: 15 Staaten"
