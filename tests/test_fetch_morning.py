"""The whole morning against a news site on 127.0.0.1 and the fake model:
sources → fetch → digest → a briefing whose sources link to the articles,
then a second fetch that downloads nothing new; and a schedule that fetches
its sources before it makes the briefing."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import urllib.request
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from fake_openai import FakeOpenAI
from fetch_site import Site
from typer.testing import CliRunner

from summarize.cli.main import app
from summarize.schedule.config import Schedule, load_config, save_config
from summarize.schedule.runner import Scheduler

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def site():
    with Site() as running:
        yield running


@pytest.fixture
def fake():
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def home(tmp_path, monkeypatch, fake):
    monkeypatch.setenv("SUMMARIZE_CONFIG", str(tmp_path / "config" / "schedules.toml"))
    monkeypatch.setenv("SUMMARIZE_DB", str(tmp_path / "state.sqlite3"))
    monkeypatch.setenv("SUMMARIZE_CONTACT", "mailto:reader@example.org")
    monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
    monkeypatch.delenv("SUMMARIZE_SOURCES", raising=False)
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / "xdg" / name.lower()))
    return tmp_path


def summarize(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "summarize", *args], env=dict(os.environ), capture_output=True,
                          text=True, timeout=300)


def requests_reported(stderr: str) -> int:
    return int(re.search(r"(\d+) request\(s\)", stderr).group(1))


def test_the_whole_morning_and_a_second_fetch_that_downloads_nothing(site, home):
    runner = CliRunner()
    for name, path in [("kurier", "/feeds/rss.xml"), ("harbour", "/feeds/atom.xml"), ("zeitung", "/sitemap_index.xml")]:
        added = runner.invoke(app, ["sources", "add", name, site.base + path, "--allow-private"])
        assert added.exit_code == 0, added.output
    assert (home / "config" / "sources.toml").is_file()
    inbox, out = home / "inbox", home / "briefings"
    fetch = ["fetch", "kurier", "harbour", "zeitung", "--inbox", str(inbox), "--since", "2025-12-01", "--json",
             "--delay", "0"]

    first = runner.invoke(app, fetch)  # in this process: the subprocesses below show the real entry point
    assert first.exit_code == 0, first.stdout + first.stderr
    lines = [json.loads(line) for line in first.stdout.splitlines()]
    outcomes = [(o["kind"], o["outcome"]) for o in lines]
    assert outcomes.count(("item", "saved")) == 5 and ("item", "failed") not in outcomes
    reasons = {o["reason"] for o in lines if o["outcome"] == "skipped"}
    assert "sitemap older than --since" in reasons and "listed twice in this run" in reasons
    assert any(r.startswith("already have it (same text as") for r in reasons)  # the mirror of seed-0
    files = sorted(inbox.iterdir())
    assert len(files) == 5
    first_requests = requests_reported(first.stderr)
    assert first_requests == len(site.requests) == 11  # robots.txt, 2 feeds, index, news sitemap, 6 pages
    assert site.hits["/sitemaps/archive-2019.xml"] == 0

    digest = summarize("digest", str(inbox), "--out", str(out), "--format", "md,html,json")
    assert digest.returncode == 0, digest.stderr
    (briefing_json,) = out.glob("*.json")
    briefing = json.loads(briefing_json.read_text())
    sources = [s for story in briefing["stories"] for s in story["sources"]]
    assert len(sources) == 5 and briefing["not_summarized"] == []
    html_page = briefing_json.with_suffix(".html").read_text()
    markdown = briefing_json.with_suffix(".md").read_text()
    for source in sources:
        assert source["url"].startswith(site.base + "/")
        with urllib.request.urlopen(source["url"], timeout=5) as answer:  # a working link
            assert answer.status == 200
        assert f'href="{source["url"].replace("&", "&amp;")}"' in html_page
        assert f"](<{source['url']}>)" in markdown
    by_page = {s["url"].rsplit("/", 1)[-1]: s for s in sources}
    seed2 = next(s for page, s in by_page.items() if page.startswith("seed-2"))
    assert seed2["source"] == "127.0.0.1" and seed2["published"] == "2025-12-31"  # from the URL and the feed
    seed3 = next(s for page, s in by_page.items() if page.startswith("seed-3"))
    assert seed3["title"] == site.articles[3].title  # the page shows no headline: the feed item's title

    site.reset()
    second = runner.invoke(app, fetch)
    assert second.exit_code == 0, second.stdout + second.stderr
    lines = [json.loads(line) for line in second.stdout.splitlines()]
    assert [o["kind"] for o in lines] == ["source"] * 5  # nothing new: not one item
    assert sorted((o["outcome"], o.get("status")) for o in lines) == [("skipped", None)] + [("unchanged", 304)] * 4
    assert sorted(inbox.iterdir()) == files
    assert requests_reported(second.stderr) == len(site.requests) == 4
    assert all(headers.get("If-None-Match") for _, headers in site.requests)
    print(f"\nrequests: first fetch {first_requests}, second fetch {requests_reported(second.stderr)}")


def test_a_schedule_fetches_its_sources_before_the_briefing(site, home):
    sources_file = home / "config" / "sources.toml"
    sources_file.parent.mkdir(parents=True)
    sources_file.write_text(f'[fetch]\ndelay = 0.0\n\n[sources.kurier]\nurl = "{site.base}/feeds/rss.xml"\n'
                            f"allow_private = true\n", encoding="utf-8")
    inbox = home / "inbox"
    inbox.mkdir()
    runner = CliRunner()
    unknown = runner.invoke(app, ["schedule", "add", "morning", "--inbox", str(inbox), "--at", "07:00",
                                  "--tz", "Europe/Berlin", "--source", "nope"])
    assert unknown.exit_code == 2 and "no saved source named 'nope'" in unknown.output
    added = runner.invoke(app, ["schedule", "add", "morning", "--inbox", str(inbox), "--at", "07:00", "--tz",
                                "Europe/Berlin", "--out", str(home / "out"), "--source", "kurier"])
    assert added.exit_code == 0, added.output
    assert "fetches kurier into the inbox first" in added.output
    config_path = home / "config" / "schedules.toml"
    config = load_config(config_path)
    assert config.schedules["morning"].sources == ["kurier"]
    # Added long ago, so this morning's 07:00 is due.
    config.schedules["morning"] = config.schedules["morning"].model_copy(
        update={"created": datetime(2026, 1, 1, tzinfo=timezone.utc)})
    save_config(config_path, config)

    said: list[str] = []
    morning = datetime(2026, 3, 10, 7, 5, tzinfo=BERLIN).astimezone(timezone.utc)
    outcomes = Scheduler(config_path, home / "state.sqlite3", clock=lambda: morning, report=said.append).run(once=True)
    assert [(o.name, o.status) for o in outcomes] == [("morning", "ok")], said
    assert any("fetched 1 source(s): 3 saved" in line for line in said)
    assert len(list(inbox.iterdir())) == 3
    briefing = json.loads((home / "out" / "2026-03-10.json").read_text())
    urls = sorted(s["url"] for story in briefing["stories"] for s in story["sources"])
    assert len(urls) == 3 and all(u.startswith(f"{site.base}/news/seed-") for u in urls)
    feed = feedparser.parse((home / "out" / "feed.atom").read_bytes())
    related = sorted(link.href for link in feed.entries[0].links if link.rel == "related")
    assert related == urls  # the Atom entry links each story's sources
    assert isinstance(Schedule.model_fields["sources"].default_factory(), list)
