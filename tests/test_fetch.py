"""The fetch stage's parts: address checks, the inbox file format and what
the reader takes from it, feed and sitemap parsing, decoding, saved sources."""

from __future__ import annotations

import ipaddress
import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from summarize.clean.cleaner import clean_text
from summarize.cli.fetch import sources_app
from summarize.fetch.discover import item_date, kind_of, read_listing
from summarize.fetch.http import FetchError, Response, retry_after_seconds
from summarize.fetch.inbox import file_bytes, file_name, header_line, read_header
from summarize.fetch.page import decode_html, normalize_url
from summarize.fetch.safety import AddressPolicy, UnsafeURL, check_url, redact, split_credentials
from summarize.fetch.sources import FetchSettings, load_sources
from summarize.ingest.inputs import decode_bytes

ARTICLE = """<!DOCTYPE html><html><head><title>Hafen bekommt neues Terminal</title></head><body>
<article><h1>Hafen bekommt neues Terminal</h1>
<p>Der Hafen der Stadt bekommt ein neues Terminal für Containerschiffe. Der Bau soll im Frühjahr beginnen
und zwei Jahre dauern, teilte die Hafengesellschaft am Montag mit.</p>
<p>Die Kosten liegen nach Angaben des Unternehmens bei rund 120 Millionen Euro. Das Land beteiligt sich mit
einem Zuschuss, der Rest wird über Kredite finanziert.</p></article></body></html>"""


@pytest.mark.parametrize("address, kind", [
    ("127.0.0.1", "loopback"), ("127.8.9.10", "loopback"), ("10.1.2.3", "private"), ("172.16.0.1", "private"),
    ("172.31.255.255", "private"), ("192.168.1.1", "private"), ("169.254.1.1", "link-local"),
    ("169.254.169.254", "cloud metadata"), ("::1", "loopback"), ("fc00::1", "private"), ("fd12::1", "private"),
    ("fe80::1", "link-local"), ("::ffff:127.0.0.1", "loopback"), ("0.0.0.0", "unspecified"),
    ("100.64.0.1", "non-public"),
])
def test_non_public_addresses_are_refused_with_their_kind(address, kind):
    reason = AddressPolicy().refusal("example.org", address)
    assert reason and f"{kind} address" in reason and "example.org resolves to" in reason
    assert AddressPolicy().allowing("example.org").refusal("example.org", address) is None
    assert AddressPolicy().allowing("other.org").refusal("example.org", address) is not None


def test_public_addresses_and_schemes():
    for address in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "172.32.0.1"):
        assert AddressPolicy().refusal("example.org", ipaddress.ip_address(address)) is None
    assert check_url("https://example.org/a", AddressPolicy()) == "https://example.org/a"
    for url, words in [("ftp://example.org/x", "only http and https"), ("file:///etc/passwd", "only http and https"),
                       ("javascript:alert(1)", "only http and https"), ("http://10.0.0.8/x", "private address"),
                       ("http://[::1]:8080/x", "loopback address"), ("http:///nohost", "no host"),
                       ("http://example.org:99999/", "not a valid URL")]:
        with pytest.raises(UnsafeURL, match=words):
            check_url(url, AddressPolicy())


def test_credentials_are_split_off_and_never_shown():
    url = "https://reader:s3cret@news.example.org:8443/feed?x=1"
    clean, credentials = split_credentials(url)
    assert clean == "https://news.example.org:8443/feed?x=1" and credentials == ("reader", "s3cret")
    assert redact(url) == "https://***@news.example.org:8443/feed?x=1"
    assert redact("https://news.example.org/feed") == "https://news.example.org/feed"
    assert "s3cret" not in normalize_url(url)


def test_header_round_trips_and_cannot_break_out_of_its_comment():
    meta = {"url": "https://example.org/a?b=1", "item_title": "Ende --> <script>alert(1)</script> -- ---",
            "item_date": "2026-01-03", "status": 200, "unknown": "dropped"}
    line = header_line(meta)
    assert line.startswith("<!-- summarize:fetched {") and line.endswith("} -->\n")
    inner = line[len("<!-- "):-len(" -->\n")]
    assert "--" not in inner and "<" not in inner and ">" not in inner
    assert read_header(line + ARTICLE) == {k: v for k, v in meta.items() if k != "unknown"}
    assert read_header(ARTICLE) is None
    assert read_header("<!-- summarize:fetched {not json} -->" + ARTICLE) is None
    long = header_line({"url": "https://example.org/" + "a" * 5000, "feed_title": "t" * 5000, "item_title": "x" * 5000})
    assert len(long) < 4000 and read_header(long)["url"].startswith("https://example.org/aaa")


def test_the_reader_takes_url_outlet_date_and_title_from_the_header():
    meta = {"url": "https://www.harbour-post.example/news/terminal.html", "item_date": "2026-01-05",
            "item_title": "Neues Terminal im Hafen"}
    data = file_bytes(meta, ARTICLE.encode("utf-8"), ARTICLE, "utf-8")
    decoded = decode_bytes(data)
    article = clean_text("x.html", decoded.text)
    assert article.ok and article.url == meta["url"]
    assert article.source == "harbour-post.example"  # the page names no outlet
    assert article.published == "2026-01-05"  # nor a date
    assert article.title == "Hafen bekommt neues Terminal"  # but it has a headline
    assert "summarize:fetched" not in article.text
    bare = ARTICLE.replace("<title>Hafen bekommt neues Terminal</title>", "").replace(
        "<h1>Hafen bekommt neues Terminal</h1>", "")
    untitled = clean_text("y.html", decode_bytes(file_bytes(meta, bare.encode(), bare, "utf-8")).text)
    assert untitled.title == "Neues Terminal im Hafen"
    named = ARTICLE.replace("</head>", '<meta property="og:site_name" content="Harbour Post">'
                                       '<meta property="article:published_time" content="2026-01-02"></head>')
    page = clean_text("z.html", decode_bytes(file_bytes(meta, named.encode(), named, "utf-8")).text)
    assert (page.source, page.published) == ("Harbour Post", "2026-01-02")  # the page's own word wins
    assert clean_text("plain.html", ARTICLE).url is None


def test_a_page_not_in_utf8_is_stored_as_utf8_behind_a_bom():
    text = ARTICLE.replace("Hafen bekommt", "Hafen bekommt größeres")
    data = file_bytes({"url": "https://example.org/a"}, text.encode("cp1252"), text, "cp1252")
    assert data.startswith(b"\xef\xbb\xbf<!-- summarize:fetched") and "größeres".encode() in data
    assert '"encoding":"cp1252"' in data.decode("utf-8")
    assert decode_html(text.encode("cp1252"), "windows-1252") == (text, "cp1252")
    assert decode_html(b'<meta charset="iso-8859-1"><p>Gr\xf6\xdfe</p>', None)[0].endswith("Größe</p>")
    assert decode_html(b'<meta charset="utf-8"><p>Gr\xf6\xdfe</p>', "bogus")[1] != "utf-8"  # a wrong label
    assert decode_html("\ufeffÄrger".encode("utf-8"), "iso-8859-1") == ("Ärger", "utf-8")  # the BOM first


def test_file_names_are_safe_and_unique_per_url():
    a = file_name("https://www.zeit.de/politik/2026-01/ukraine-gespraeche?id=1", "2026-01-03")
    b = file_name("https://www.zeit.de/politik/2026-01/ukraine-gespraeche?id=2", "2026-01-03")
    assert a.startswith("2026-01-03_zeit-de_ukraine-gespraeche_") and a.endswith(".html") and a != b
    evil = file_name("https://example.org/../../etc/passwd%00/.hidden", "2026-01-03")
    assert "/" not in evil and not evil.startswith(".") and ".." not in evil


def test_feeds_and_sitemaps_are_told_apart_and_read():
    rss = (b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>'
           b"<item><title>Alt</title><link>/a/1</link><pubDate>Fri, 02 Jan 2026 23:30:00 -0500</pubDate></item>"
           b"<item><title>Neu</title><link>https://u:p@example.org/a/2#top</link>"
           b"<pubDate>Sat, 03 Jan 2026 00:30:00 +0100</pubDate></item>"
           b"<item><title>Ohne Link</title></item></channel></rss>")
    listing = read_listing(Response("https://example.org/feed", 200, {"content-type": "text/xml"}, rss), 10**6)
    assert listing.kind == "feed" and listing.title == "T"
    assert [(i.title, i.url, i.date) for i in listing.items] == [
        ("Neu", "https://example.org/a/2#top", "2026-01-03"),  # the publisher's own day; credentials dropped
        ("Alt", "https://example.org/a/1", "2026-01-02")]
    index = (b'<?xml version="1.0"?><sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
             b"<sitemap><loc>https://example.org/s1.xml</loc><lastmod>2025-01-01</lastmod></sitemap>"
             b"<sitemap><loc>https://example.org/s2.xml</loc><lastmod>2026-01-01</lastmod></sitemap></sitemapindex>")
    listing = read_listing(Response("https://example.org/sitemap.xml", 200, {"content-type": "application/xml"},
                                    index), 10**6)
    assert listing.kind == "sitemap" and listing.sitemaps == [("https://example.org/s2.xml", "2026-01-01"),
                                                              ("https://example.org/s1.xml", "2025-01-01")]
    news = (b'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
            b'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9" '
            b'xmlns:image="http://www.google.com/schemas/sitemap-image/1.1"><url><loc>https://example.org/n/1</loc>'
            b"<image:image><image:loc>https://example.org/i.jpg</image:loc><image:title>Bild</image:title>"
            b"</image:image><news:news><news:publication><news:name>Die Zeitung</news:name></news:publication>"
            b"<news:publication_date>2026-01-03T06:00:00+01:00</news:publication_date><news:title>Titel</news:title>"
            b"</news:news></url><url><loc>https://example.org/n/2</loc><lastmod>2025-12-30</lastmod></url></urlset>")
    import gzip

    listing = read_listing(Response("https://example.org/news.xml.gz", 200,
                                    {"content-type": "application/x-gzip"}, gzip.compress(news)), 10**6)
    assert [(i.url, i.title, i.date, i.feed_title) for i in listing.items] == [
        ("https://example.org/n/1", "Titel", "2026-01-03", "Die Zeitung"),
        ("https://example.org/n/2", None, "2025-12-30", None)]
    text = Response("https://example.org/sitemap.txt", 200, {"content-type": "text/plain"},
                    b"https://example.org/t/1\nhttps://example.org/t/2\n")
    assert [i.url for i in read_listing(text, 10**6).items] == ["https://example.org/t/1", "https://example.org/t/2"]
    page = Response("https://example.org/a", 200, {"content-type": "text/html"}, ARTICLE.encode())
    assert kind_of(page) == "page" and read_listing(page, 10**6).items[0].url == "https://example.org/a"
    for body, mime in [(b"%PDF-1.4", "application/pdf"), (b"<html><body>no feed", "application/rss+xml"),
                       (b'<?xml version="1.0"?><urlset><oops', "application/xml")]:
        with pytest.raises(FetchError):
            read_listing(Response("https://example.org/x", 200, {"content-type": mime}, body), 10**6)
    with pytest.raises(FetchError, match="too large once unpacked"):
        read_listing(Response("https://example.org/bomb.xml.gz", 200, {"content-type": "application/gzip"},
                              gzip.compress(b" " * 3_000_000)), 1_000_000)


def test_dates_and_retry_after():
    assert item_date("Sat, 03 Jan 2026 00:30:00 +0100") == "2026-01-03"
    assert item_date("2026-01-03T23:30:00-05:00") == "2026-01-03"
    assert item_date("2026-01-03") == "2026-01-03" and item_date("soon") is None
    assert retry_after_seconds("7") == 7.0 and retry_after_seconds(None) is None
    assert retry_after_seconds("Wed, 21 Oct 2015 07:28:00 GMT") == 0.0  # in the past
    assert retry_after_seconds("tomorrow-ish") is None


def test_url_normalization_for_dedup():
    assert normalize_url("HTTP://WWW.Example.org:80/a/?utm_source=rss&b=2&a=1#x") == "http://www.example.org/a/?a=1&b=2"
    assert normalize_url("https://u:p@example.org/x") == "https://example.org/x"


def test_user_agent_names_the_contact(monkeypatch):
    monkeypatch.delenv("SUMMARIZE_CONTACT", raising=False)
    assert FetchSettings().user_agent("1.0") == "summarize/1.0 (news digest)"
    assert FetchSettings(contact="mailto:me@example.org").user_agent("1.0") == \
        "summarize/1.0 (news digest; +mailto:me@example.org)"
    monkeypatch.setenv("SUMMARIZE_CONTACT", "https://me.example.org")
    assert "+https://me.example.org" in FetchSettings().user_agent("1.0")


def test_sources_add_list_remove_and_credentials_are_refused(tmp_path, monkeypatch):
    monkeypatch.setenv("SUMMARIZE_CONFIG", str(tmp_path / "config" / "schedules.toml"))
    monkeypatch.delenv("SUMMARIZE_SOURCES", raising=False)
    runner = CliRunner()
    done = runner.invoke(sources_app, ["add", "tagesschau", "https://www.tagesschau.de/index~rss2.xml"])
    assert done.exit_code == 0, done.output
    assert (tmp_path / "config" / "sources.toml").is_file()  # beside the schedules file
    done = runner.invoke(sources_app, ["add", "intranet", "http://news.intranet/feed", "--allow-private",
                                       "--auth-env", "INTRANET_AUTH"])
    assert done.exit_code == 0, done.output
    refused = runner.invoke(sources_app, ["add", "secret", "https://me:hunter2@example.org/feed"])
    assert refused.exit_code == 2 and "credentials are never stored" in refused.output
    assert "hunter2" not in (tmp_path / "config" / "sources.toml").read_text()
    for bad in (["add", "x", "ftp://example.org/feed"], ["add", "bad name", "https://example.org/f"],
                ["add", "tagesschau", "https://other.example.org/f"], ["remove", "nope"]):
        assert runner.invoke(sources_app, bad).exit_code == 2, bad
    listed = runner.invoke(sources_app, ["list", "--json"])
    assert json.loads(listed.output) == {
        "tagesschau": {"url": "https://www.tagesschau.de/index~rss2.xml", "allow_private": False},
        "intranet": {"url": "http://news.intranet/feed", "allow_private": True, "auth_env": "INTRANET_AUTH"}}
    assert runner.invoke(sources_app, ["remove", "tagesschau"]).exit_code == 0
    saved = load_sources(tmp_path / "config" / "sources.toml")
    assert list(saved.sources) == ["intranet"] and saved.fetch.delay == 1.0


def test_fetch_tables_live_in_the_store(tmp_path):
    from summarize.fetch.state import FetchState
    from summarize.store import Store

    Store(tmp_path / "s.sqlite3").close()
    with FetchState(tmp_path / "s.sqlite3") as state:
        state.put_validators("https://example.org/feed", '"e1"', None, 200)
        assert state.validators("https://example.org/feed") == {"If-None-Match": '"e1"'}
    tables = {r[0] for r in sqlite3.connect(tmp_path / "s.sqlite3").execute("SELECT name FROM sqlite_master")}
    assert {"answers", "calls", "fetch_validators", "fetch_articles", "fetch_urls", "fetch_robots"} <= tables


def test_layout_rank_of_fetch():
    import test_layout

    assert test_layout.RANK["fetch"] == test_layout.RANK["ingest"]
    graph = test_layout.import_graph()
    fetch_imports = {t for m, targets in graph.items() if m.startswith("summarize.fetch") for t in targets}
    assert not {t for t in fetch_imports if t.startswith(("summarize.ingest", "summarize.clean"))}
    assert Path(__file__).parent.joinpath("fetch_site.py").is_file()
