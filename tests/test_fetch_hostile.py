"""`summarize fetch` against a hostile server on 127.0.0.1 (tests/fetch_site.py):
every item ends saved, skipped or failed with its reason, in bounded time,
without a request to any other address, within the per-host limits."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fetch_site import Site
from typer.testing import CliRunner

from summarize.cli.main import app

from summarize.fetch.inbox import read_header
from summarize.fetch.run import fetch_sources
from summarize.fetch.sources import FetchSettings, Source

# Short timeouts and backoff so the slow routes cost seconds, not minutes.
FAST = dict(delay=0.0, timeout=0.5, connect_timeout=1.0, deadline=1.0, backoff=0.05, attempts=3, max_retry_after=5)
SETTINGS = FetchSettings(**FAST)

# title of the hostile feed's item -> (outcome, words of the reason)
EXPECTED = {
    "robots": ("skipped", "robots.txt disallows it"),
    "redirect": ("saved", ""),
    "redirect to a private address": ("failed", "refused: 10.1.2.3 is a private address"),
    "redirect to the metadata address": ("failed", "refused: 169.254.169.254 is a cloud metadata address"),
    "redirect loop": ("failed", "redirect loop"),
    "too many redirects": ("failed", "more than 5 redirects"),
    "gzip": ("saved", ""),
    "brotli": ("saved", ""),
    "slow": ("failed", "timed out (no answer within 0.5 s) (3 attempts)"),
    "dripping": ("failed", "too slow (no complete response within 1 s) (3 attempts)"),
    "429 with Retry-After 1": ("saved", ""),
    "429 with Retry-After 3600": ("failed", "Retry-After 3600 s is longer than the 5 s this run waits"),
    "500 then 200": ("saved", ""),
    "404": ("failed", "404 Not Found"),
    "too large (Content-Length)": ("failed", "too large (6.0 MB > 5.0 MB limit)"),
    "too large (no length)": ("failed", "too large (over the 5.0 MB limit)"),
    "wrong content type": ("failed", "not an HTML page (application/pdf)"),
    "private address in the feed": ("failed", "refused: 192.168.0.10 is a private address"),
    "localhost, another name for loopback": ("failed", "refused: localhost resolves to 127.0.0.1, a loopback"),
    "not http": ("failed", "only http and https URLs are fetched"),
}


@pytest.fixture
def site():
    with Site() as running:
        yield running


def cli(*args: str, env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "summarize", *args], env={**os.environ, **env},
                          capture_output=True, text=True, timeout=timeout)


def run_cli(monkeypatch, env: dict[str, str], *args: str):
    """The command in this process (no interpreter start-up): stdout and stderr apart."""
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    return CliRunner().invoke(app, list(args))


def fast_sources_file(path: Path, **extra: object) -> Path:
    lines = ["[fetch]"] + [f"{k} = {json.dumps(v)}" for k, v in {**FAST, **extra}.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_every_hostile_item_ends_with_its_reason_in_bounded_time(site, tmp_path):
    started = time.monotonic()
    report = fetch_sources([("hostile", Source(url=f"{site.base}/feeds/hostile.xml"))], tmp_path / "inbox",
                           db=tmp_path / "state.sqlite3", settings=SETTINGS, allow_private=True)
    took = time.monotonic() - started
    items = {o.title: (o.outcome, o.reason) for o in report.outcomes if o.kind == "item"}
    assert set(items) == set(EXPECTED)
    for title, (outcome, words) in EXPECTED.items():
        assert items[title][0] == outcome and words in items[title][1], (title, items[title])
    assert report.failed and took < 20

    hits = site.hits
    assert hits["/robots.txt"] == 1
    assert hits["/missing"] == 1 and hits["/report.pdf"] == 1  # no retry on a 4xx or a wrong type
    assert hits["/throttled"] == 1  # a Retry-After longer than we wait is not waited for
    assert hits["/flaky"] == 2 and hits["/limited"] == 2 and hits["/slow"] == 3
    limited = [t for path, t in site.started if path == "/limited"]
    assert limited[1] - limited[0] >= 0.95  # Retry-After: 1 honoured
    assert hits["/private/secret.html"] == 0  # robots.txt asked us not to
    assert [hits[f"/redirect/chain/{n}"] for n in range(7)] == [1, 1, 1, 1, 1, 1, 0]
    assert hits["/redirect/loop-a"] == 1 and hits["/redirect/loop-b"] == 1
    # Nothing but this server was ever connected to: the refused hosts were judged before connecting.
    assert report.counts["refused"] == 3  # localhost, and the redirects to 10.1.2.3 and 169.254.169.254
    assert len(site.requests) == report.requests

    saved = sorted((tmp_path / "inbox").iterdir())
    assert len(saved) == 5 and not [p for p in (tmp_path / "inbox").iterdir() if p.name.startswith(".")]
    headers = [read_header(p.read_text(encoding="utf-8")) for p in saved]
    assert {h["url"].removeprefix(site.base) for h in headers} == {"/moved/extra.html", "/gzip/article",
                                                                     "/br/article", "/limited", "/flaky"}
    gzip_file = next(p for p, h in zip(saved, headers) if h["url"].endswith("/gzip/article"))
    assert "Der Stadtrat beschloss" in gzip_file.read_text(encoding="utf-8")  # decoded, stored as text
    br_file = next(p for p, h in zip(saved, headers) if h["url"].endswith("/br/article"))
    assert "Die Stadtbibliothek verlängerte" in br_file.read_text(encoding="utf-8")


def test_cli_json_lines_for_broken_missing_failing_and_huge_feeds(site, tmp_path, monkeypatch):
    env = {"SUMMARIZE_SOURCES": str(fast_sources_file(tmp_path / "sources.toml")),
           "SUMMARIZE_DB": str(tmp_path / "state.sqlite3")}
    feeds = ["broken", "gone", "down", "big"]
    started = time.monotonic()
    done = run_cli(monkeypatch, env, "fetch", *[f"{site.base}/feeds/{f}.xml" for f in feeds], "--inbox",
                   str(tmp_path / "inbox"), "--json", "--max", "3", "--allow-private")
    took = time.monotonic() - started
    assert done.exit_code == 1, done.stderr
    lines = [json.loads(line) for line in done.stdout.splitlines()]
    sources = {o["url"].rsplit("/", 1)[-1]: o for o in lines if o["kind"] == "source"}
    assert sources["broken.xml"]["outcome"] == "failed" and "not a valid RSS or Atom feed" in sources["broken.xml"]["reason"]
    assert (sources["gone.xml"]["outcome"], sources["gone.xml"]["reason"]) == ("failed", "404 Not Found")
    assert sources["down.xml"]["reason"] == "503 Service Unavailable (3 attempts)"
    assert sources["big.xml"]["reason"] == "feed: 10000 item(s)"
    items = [o for o in lines if o["kind"] == "item"]
    assert len(items) == 10_000  # every item of the 10,000 has its line
    assert sum(o["outcome"] == "saved" for o in items) == 3
    assert sum(o["outcome"] == "skipped" and o["reason"] == "beyond --max 3 for this source" for o in items) == 9_997
    assert site.hits["/feeds/down.xml"] == 3 and site.hits["/feeds/gone.xml"] == 1
    assert len(list((tmp_path / "inbox").iterdir())) == 3
    assert "3 saved, 9997 skipped, 0 failed" in done.stderr and took < 40
    assert "Traceback" not in done.stderr


def test_private_addresses_need_the_explicit_allowance(site, tmp_path, monkeypatch):
    env = {"SUMMARIZE_SOURCES": str(fast_sources_file(tmp_path / "sources.toml")),
           "SUMMARIZE_DB": str(tmp_path / "state.sqlite3")}
    done = run_cli(monkeypatch, env, "fetch", f"{site.base}/feeds/rss.xml", "--inbox", str(tmp_path / "inbox"))
    assert done.exit_code == 1
    assert "refused: 127.0.0.1 is a loopback address" in done.stdout
    assert site.requests == []  # refused before any connection
    # A saved source may carry the allowance instead of the command line.
    added = run_cli(monkeypatch, env, "sources", "add", "local", f"{site.base}/feeds/rss.xml", "--allow-private")
    assert added.exit_code == 0, added.output
    done = run_cli(monkeypatch, env, "fetch", "local", "--inbox", str(tmp_path / "inbox"))
    assert done.exit_code == 0, done.stdout + done.stderr
    assert len(list((tmp_path / "inbox").iterdir())) == 3


def test_credentials_are_sent_to_their_origin_but_never_printed_or_stored(site, tmp_path):
    env = {"SUMMARIZE_SOURCES": str(fast_sources_file(tmp_path / "sources.toml")),
           "SUMMARIZE_DB": str(tmp_path / "state.sqlite3")}
    secret = "s3cret-pw-4711"
    url = site.base.replace("http://", f"http://reader:{secret}@") + "/feeds/rss.xml"
    done = cli("fetch", url, "--inbox", str(tmp_path / "inbox"), "--json", "--allow-private", env=env)
    assert done.returncode == 0, done.stderr
    token = "Basic " + base64.b64encode(f"reader:{secret}".encode()).decode()
    sent = {path: headers.get("Authorization") for path, headers in site.requests}
    assert sent["/feeds/rss.xml"] == token and sent["/news/seed-0.html"] == token
    assert "***@127.0.0.1" in done.stdout
    for blob in [done.stdout, done.stderr, (tmp_path / "state.sqlite3").read_bytes().decode("latin-1"),
                 *(p.read_text(encoding="utf-8") for p in (tmp_path / "inbox").iterdir())]:
        assert secret not in blob


def test_politeness_user_agent_delay_robots_cache_and_conditional_get(site, tmp_path):
    settings = FetchSettings(**{**FAST, "delay": 0.2, "contact": "mailto:news@example.org"})
    source = [("rss", Source(url=f"{site.base}/feeds/rss.xml"))]
    first = fetch_sources(source, tmp_path / "inbox", db=tmp_path / "db", settings=settings, allow_private=True)
    assert first.count("saved") == 3 and first.requests == 5  # robots.txt, the feed, three articles
    agents = {headers["User-Agent"] for _, headers in site.requests}
    assert agents == {"summarize/" + __import__("summarize").__version__ + " (news digest; +mailto:news@example.org)"}
    starts = sorted(t for _, t in site.started)
    # The delay between two requests to one host (as the server saw them arrive, give or take its threads).
    assert starts[-1] - starts[0] >= 4 * 0.2 * 0.95 and min(b - a for a, b in zip(starts, starts[1:])) >= 0.1
    assert site.most_in_flight <= 2

    site.reset()
    second = fetch_sources(source, tmp_path / "inbox", db=tmp_path / "db", settings=settings, allow_private=True)
    assert [path for path, _ in site.requests] == ["/feeds/rss.xml"]  # robots.txt kept for a day
    assert site.requests[0][1]["If-None-Match"] == '"rss-1"'
    assert second.counts["304"] == 1 and second.count("saved") == 0 and not second.failed


def test_since_and_max_skip_items_without_a_request(site, tmp_path):
    from datetime import date

    source = [("rss", Source(url=f"{site.base}/feeds/rss.xml"))]
    report = fetch_sources(source, tmp_path / "inbox", db=tmp_path / "db", settings=SETTINGS, allow_private=True,
                           since=date(2026, 1, 1), max_items=1)
    items = [(o.url.rsplit("/", 1)[-1], o.outcome, o.reason) for o in report.outcomes if o.kind == "item"]
    assert sorted(items) == [("seed-0.html?utm_source=rss", "saved", ""),
                             ("seed-1.html?utm_source=rss", "skipped", "beyond --max 1 for this source"),
                             ("seed-2.html?utm_source=rss", "skipped", "older than --since (2025-12-31)")]
    assert site.hits["/news/seed-1.html"] == site.hits["/news/seed-2.html"] == 0


def test_a_closed_port_fails_at_once_without_retries(tmp_path):
    import socket

    with socket.socket() as probe:  # a port on this machine that nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    started = time.monotonic()
    report = fetch_sources([("closed", Source(url=f"http://127.0.0.1:{port}/feed.xml"))], tmp_path / "inbox",
                           db=tmp_path / "db", settings=SETTINGS, allow_private=True)
    (outcome,) = report.outcomes
    assert outcome.outcome == "failed" and "robots.txt cannot be read (cannot connect" in outcome.reason
    assert report.requests == 1 and time.monotonic() - started < 5


def test_at_most_two_requests_in_flight_to_one_host(site, tmp_path):
    source = [("pause", Source(url=f"{site.base}/feeds/pause.xml"))]
    report = fetch_sources(source, tmp_path / "inbox", db=tmp_path / "db", settings=SETTINGS, allow_private=True)
    assert report.count("saved") == 6
    assert site.most_in_flight == 2  # six slow pages, eight workers, one host: two at a time


def test_a_failed_item_is_tried_again_while_its_feed_is_unchanged(site, tmp_path):
    source = [("unwell", Source(url=f"{site.base}/feeds/unwell.xml"))]
    first = fetch_sources(source, tmp_path / "inbox", db=tmp_path / "db", settings=SETTINGS, allow_private=True)
    assert [(o.outcome, o.reason) for o in first.outcomes if o.kind == "item"] == [
        ("failed", "503 Service Unavailable (3 attempts)")]
    site.healthy = True
    second = fetch_sources(source, tmp_path / "inbox", db=tmp_path / "db", settings=SETTINGS, allow_private=True)
    assert [o.outcome for o in second.outcomes] == ["unchanged", "saved"]
    assert "1 failed item(s) tried again" in second.outcomes[0].reason
    third = fetch_sources(source, tmp_path / "inbox", db=tmp_path / "db", settings=SETTINGS, allow_private=True)
    assert [o.outcome for o in third.outcomes] == ["unchanged"] and third.requests == 1
