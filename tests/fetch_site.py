"""A small news site on 127.0.0.1 for the fetch tests: RSS, Atom, a sitemap
index with a Google News sitemap, article pages built from the seeds wrapped
in realistic HTML, robots.txt, ETag/Last-Modified with 304s, and hostile
routes (redirects, gzip, slow, 429, 500, 404, huge, wrong type).

Every request is logged (`requests`), so a test can count what was asked.
"""

from __future__ import annotations

import gzip
import html
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from email.utils import format_datetime
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from summarize.ingest.inputs import decode_bytes

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").iterdir())
LAST_MODIFIED = format_datetime(datetime(2026, 1, 3, 6, 0, tzinfo=timezone.utc), usegmt=True)


@dataclass
class Article:
    slug: str
    title: str
    paragraphs: list[str]
    date: str  # YYYY-MM-DD, the feed item's date
    outlet: str | None  # named by the page (og:site_name), or None: the URL's host is the fallback
    dated: bool = True  # the page shows its date
    titled: bool = True  # the page shows its headline


# Headline and date of each seed (what the page shows), and the outlet its page names.
SEED_PAGES = [
    ("Gespräche zur Ukraine mit Sicherheitsberatern fortgesetzt", "2026-01-03", "Kurier am Morgen"),
    ("Die Unterstützer der Ukraine haben Sicherheitsberater nach Kyjiw geschickt", "2026-01-03", "Rheintal-Bote"),
    ("USA nehmen neuen Anlauf für Ukraine-Frieden", "2025-12-31", None),
    ("USA und Ukraine nennen Gespräche in Miami »konstruktiv«", "2026-01-03", "Harbour Post"),
    ("Ukraine: USA wollen Kiew und Moskau an einen Tisch bringen", "2025-12-20", None),
]


def seed_paragraphs(path: Path) -> list[str]:
    """The article sentences of a seed dump: its long lines (a record's Inhalt field in groups of three
    sentences), without the menus and short chrome lines around them."""
    paragraphs = []
    for line in decode_bytes(path.read_bytes()).text.split("\n"):
        line = line.strip()
        if line.startswith(("TLDR", "Datum", "Quelle")):
            continue
        if line.startswith("Inhalt"):
            sentences = re.split(r"(?<=[.!?])\s+", line.removeprefix("Inhalt"))
            paragraphs += [" ".join(sentences[i:i + 3]) for i in range(0, len(sentences), 3)]
        elif len(line) >= 120 and ". " in line:
            paragraphs.append(line)
    return paragraphs


def seed_articles() -> list[Article]:
    """The five seeds as articles; seed-2's page names neither date nor outlet, seed-3's no headline."""
    return [Article(slug=f"seed-{i}", title=title, paragraphs=seed_paragraphs(path), date=day, outlet=outlet,
                    dated=i != 2, titled=i != 3)
            for i, (path, (title, day, outlet)) in enumerate(zip(SEEDS, SEED_PAGES))]


def article_page(a: Article, base: str, canonical: bool = True, charset: str = "utf-8") -> str:
    """An article as a news site serves it: navigation, consent banner,
    headline, byline, body, related links, footer."""
    e = html.escape
    head = [f'<meta charset="{charset}">', '<meta name="viewport" content="width=device-width, initial-scale=1">']
    if a.titled:
        head.append(f"<title>{e(a.title)} | {e(a.outlet or 'News')}</title>")
        head.append(f'<meta property="og:title" content="{e(a.title)}">')
    if a.outlet:
        head.append(f'<meta property="og:site_name" content="{e(a.outlet)}">')
    if a.dated:
        head.append(f'<meta property="article:published_time" content="{a.date}T06:30:00+01:00">')
    if canonical:
        head.append(f'<link rel="canonical" href="{base}/news/{a.slug}.html">')
    head.append('<link rel="stylesheet" href="/static/site.css"><script src="/static/app.js" defer></script>')
    body = "\n".join(f"<p>{e(p)}</p>" for p in a.paragraphs)
    headline = f"<h1>{e(a.title)}</h1>" if a.titled else ""
    dateline = f'<time datetime="{a.date}">{a.date}</time>' if a.dated else ""
    return f"""<!DOCTYPE html>
<html lang="de">
<head>
{chr(10).join(head)}
</head>
<body>
<div class="consent">Wir verwenden Cookies. <button>Alle akzeptieren</button> <button>Einstellungen</button></div>
<header class="site"><a href="/">{e(a.outlet or "Startseite")}</a>
<nav><ul><li><a href="/politik">Politik</a></li><li><a href="/wirtschaft">Wirtschaft</a></li>
<li><a href="/sport">Sport</a></li><li><a href="/kultur">Kultur</a></li></ul></nav></header>
<main>
<article>
{headline}
<p class="byline">Von unserer Redaktion {dateline}</p>
{body}
</article>
<aside class="related">{"<h2>Mehr zum Thema</h2>" if a.titled else ""}<ul>
<li><a href="/news/other-1.html">Weitere Meldungen aus aller Welt</a></li>
<li><a href="/news/other-2.html">Der Newsticker im Überblick</a></li></ul></aside>
</main>
<footer><p>© 2026 {e(a.outlet or "Nachrichten")}. Alle Rechte vorbehalten.</p>
<a href="/impressum">Impressum</a> <a href="/datenschutz">Datenschutz</a></footer>
</body>
</html>
"""


def rss(base: str, title: str, items: list[tuple[str, str, str | None]]) -> str:
    """items: (title, link, RFC 822 date or None)."""
    entries = "".join(
        f"<item><title>{html.escape(t)}</title><link>{html.escape(link)}</link>"
        f"<guid>{html.escape(link)}</guid>{f'<pubDate>{d}</pubDate>' if d else ''}</item>\n"
        for t, link, d in items)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<rss version="2.0"><channel><title>{html.escape(title)}'
            f"</title><link>{base}/</link><description>Nachrichten</description>\n{entries}</channel></rss>\n")


def rfc822(day: str, hour: int = 7) -> str:
    return format_datetime(datetime.fromisoformat(f"{day}T{hour:02d}:15:00+01:00"))


@dataclass
class Site:
    articles: list[Article] = field(default_factory=seed_articles)
    requests: list[tuple[str, dict[str, str]]] = field(default_factory=list)
    hits: Counter = field(default_factory=Counter)
    started: list[tuple[str, float]] = field(default_factory=list)  # (path, monotonic time) per request
    in_flight: int = 0
    most_in_flight: int = 0
    healthy: bool = False  # /unwell answers 503 until a test sets this
    server: ThreadingHTTPServer | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def base(self) -> str:
        assert self.server is not None
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def start(self) -> "Site":
        site = self

        class Handler(SiteHandler):
            pass

        Handler.site = site
        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()

    def __enter__(self) -> "Site":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def log(self, path: str, headers: dict[str, str]) -> int:
        with self._lock:
            self.requests.append((path, headers))
            self.started.append((path, time.monotonic()))
            self.hits[path] += 1
            self.in_flight += 1
            self.most_in_flight = max(self.most_in_flight, self.in_flight)
            return self.hits[path]

    def done(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def reset(self) -> None:
        with self._lock:
            self.requests.clear()
            self.started.clear()
            self.hits.clear()
            self.most_in_flight = 0

    # --- the documents ------------------------------------------------------------

    def feed_rss(self) -> str:
        items = [(a.title, f"{self.base}/news/{a.slug}.html?utm_source=rss", rfc822(a.date)) for a in self.articles[:3]]
        return rss(self.base, "Kurier am Morgen – Schlagzeilen", items)

    def feed_atom(self) -> str:
        entries = "".join(
            f"<entry><title>{html.escape(a.title)}</title><link rel=\"alternate\" href=\"/news/{a.slug}.html\"/>"
            f"<id>urn:seed:{a.slug}</id><updated>{a.date}T07:00:00+01:00</updated></entry>\n"
            for a in self.articles[2:])
        return (f'<?xml version="1.0" encoding="utf-8"?>\n<feed xmlns="http://www.w3.org/2005/Atom" '
                f'xml:base="{self.base}/"><title>Harbour Post</title><id>urn:harbour</id>'
                f"<updated>2026-01-03T07:00:00Z</updated>\n{entries}</feed>\n")

    def sitemap_index(self) -> str:
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<sitemapindex xmlns="http://www.sitemaps.org/schemas/'
                f'sitemap/0.9">\n<sitemap><loc>{self.base}/sitemaps/news.xml</loc><lastmod>2026-01-03</lastmod>'
                f"</sitemap>\n<sitemap><loc>{self.base}/sitemaps/archive-2019.xml</loc><lastmod>2019-05-01"
                f"</lastmod></sitemap>\n</sitemapindex>\n")

    def news_sitemap(self) -> str:
        urls = "".join(
            f"<url><loc>{self.base}/news/{a.slug}.html</loc><news:news><news:publication><news:name>Sitemap "
            f"Zeitung</news:name><news:language>de</news:language></news:publication><news:publication_date>"
            f"{a.date}T06:00:00+01:00</news:publication_date><news:title>{html.escape(a.title)}</news:title>"
            f"</news:news></url>\n" for a in self.articles)
        mirror = (f"<url><loc>{self.base}/mirror/seed-0.html</loc><lastmod>{self.articles[0].date}</lastmod>"
                  f"</url>\n")
        return (f'<?xml version="1.0" encoding="UTF-8"?>\n<urlset xmlns="http://www.sitemaps.org/schemas/'
                f'sitemap/0.9" xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">\n{urls}{mirror}'
                f"</urlset>\n")


class QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client that hung up on a slow or huge answer is what those routes are for


class SiteHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    site: Site

    def log_message(self, format: str, *args: object) -> None:
        pass

    def send(self, status: int, body: bytes = b"", content_type: str | None = "text/html; charset=utf-8",
             headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def document(self, text: str, content_type: str, etag: str) -> None:
        """A feed or sitemap with validators: 304 when the client has it."""
        if self.headers.get("If-None-Match") == etag or self.headers.get("If-Modified-Since") == LAST_MODIFIED:
            self.send(304, content_type=None, headers={"ETag": etag})
            return
        self.send(200, text.encode("utf-8"), content_type, {"ETag": etag, "Last-Modified": LAST_MODIFIED})

    def do_GET(self) -> None:  # noqa: C901 - one route table
        site = self.site
        path = urlsplit(self.path).path
        count = site.log(path, dict(self.headers.items()))
        try:
            self.route(path, count)
        finally:
            site.done()

    def route(self, path: str, count: int) -> None:
        site = self.site
        by_slug = {a.slug: a for a in site.articles}
        if path == "/robots.txt":
            self.send(200, b"User-agent: *\nDisallow: /private/\n\nUser-agent: BadBot\nDisallow: /\n",
                      "text/plain")
        elif path == "/feeds/rss.xml":
            self.document(site.feed_rss(), "application/rss+xml; charset=utf-8", '"rss-1"')
        elif path == "/feeds/atom.xml":
            self.document(site.feed_atom(), "application/atom+xml", '"atom-1"')
        elif path == "/sitemap_index.xml":
            self.document(site.sitemap_index(), "application/xml", '"index-1"')
        elif path == "/sitemaps/news.xml":
            self.document(site.news_sitemap(), "application/xml", '"news-1"')
        elif path == "/sitemaps/archive-2019.xml":  # followed only without --since
            self.document(f'<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
                          f"<url><loc>{site.base}/news/2019/old.html</loc><lastmod>2019-05-01</lastmod></url>"
                          f"</urlset>", "application/xml", '"archive-1"')
        elif path.startswith("/news/") and path.removeprefix("/news/").removesuffix(".html") in by_slug:
            article = by_slug[path.removeprefix("/news/").removesuffix(".html")]
            if article.slug == "seed-4":  # an older site: windows-1252, the charset only in <meta>
                page = article_page(article, site.base, charset="windows-1252").encode("cp1252", "replace")
                self.send(200, page, "text/html")
            else:
                # seed-2 names neither its outlet nor a canonical address: the outlet comes from the URL.
                self.send(200, article_page(article, site.base, canonical=article.slug != "seed-2").encode("utf-8"))
        elif path == "/mirror/seed-0.html":  # the same article under another URL, without a canonical link
            self.send(200, article_page(site.articles[0], site.base, canonical=False).encode("utf-8"))
        elif path.startswith("/bulk/"):
            n = path.rsplit("/", 1)[-1]
            page = article_page(Article(f"bulk-{n}", f"Meldung {n}", [f"Kurzmeldung Nummer {n} aus dem Ticker. " * 8],
                                        "2026-01-03", "Ticker"), site.base, canonical=False)
            self.send(200, page.encode("utf-8"))
        else:
            self.hostile(path, count)

    def hostile(self, path: str, count: int) -> None:
        site = self.site
        extra = Article("extra", "Extra-Meldung über den Hafen", ["Im Hafen legte am Morgen ein neues Schiff an. "
                        "Die Besatzung wurde von vielen Schaulustigen begrüßt, berichtete die Hafenbehörde."] * 3,
                        "2026-01-03", "Harbour Post")
        if path == "/feeds/pause.xml":
            items = [(f"Meldung {n}", f"{site.base}/pause/{n}", rfc822("2026-01-03")) for n in range(6)]
            self.send(200, rss(site.base, "Langsam", items).encode("utf-8"), "application/rss+xml")
        elif path.startswith("/pause/"):
            time.sleep(0.3)
            n = path.rsplit("/", 1)[-1]
            page = article_page(Article(f"pause-{n}", f"Langsame Meldung {n}", [f"Die Meldung Nummer {n} kam "
                                        "mit Verzögerung, aber vollständig beim Leser an. " * 6], "2026-01-03",
                                        "Bummelbote"), site.base, canonical=False)
            self.send(200, page.encode("utf-8"))
        elif path == "/feeds/unwell.xml":
            self.document(rss(site.base, "Unwell", [("Meldung vom kranken Server", f"{site.base}/unwell",
                                                     rfc822("2026-01-03"))]), "application/rss+xml", '"unwell-1"')
        elif path == "/unwell":
            if not site.healthy:
                self.send(503, b"maintenance")
            else:
                self.send(200, article_page(Article("unwell", "Meldung vom kranken Server",
                                                    ["Nach der Wartung lieferte der Server die Meldung über den "
                                                     "neuen Radweg am Fluss endlich aus."] * 3, "2026-01-03",
                                                    "Flussbote"), site.base, canonical=False).encode("utf-8"))
        elif path == "/feeds/hostile.xml":
            self.send(200, hostile_feed(site.base).encode("utf-8"), "application/rss+xml")
        elif path == "/feeds/broken.xml":
            self.send(200, b"<html><body>Oops, this is not a feed </body", "application/rss+xml")
        elif path == "/feeds/big.xml":
            items = [(f"Meldung {n}", f"{site.base}/bulk/{n}", rfc822("2026-01-03")) for n in range(10_000)]
            self.send(200, rss(site.base, "Ticker", items).encode("utf-8"), "application/rss+xml")
        elif path == "/feeds/gone.xml":
            self.send(404, b"not here")
        elif path == "/feeds/down.xml":
            self.send(503, b"down", headers={"Retry-After": "0"})
        elif path == "/private/secret.html":
            self.send(200, article_page(extra, site.base).encode("utf-8"))
        elif path == "/redirect/ok":
            self.send(302, headers={"Location": "/moved/extra.html"})
        elif path == "/moved/extra.html":
            self.send(200, article_page(extra, site.base, canonical=False).encode("utf-8"))
        elif path == "/redirect/private":
            self.send(302, headers={"Location": "http://10.1.2.3/internal"})
        elif path == "/redirect/metadata":
            self.send(301, headers={"Location": "http://169.254.169.254/latest/meta-data/"})
        elif path in ("/redirect/loop-a", "/redirect/loop-b"):
            self.send(302, headers={"Location": "/redirect/loop-b" if path.endswith("a") else "/redirect/loop-a"})
        elif path.startswith("/redirect/chain/"):
            n = int(path.rsplit("/", 1)[-1])
            self.send(302, headers={"Location": f"/redirect/chain/{n + 1}"})
        elif path == "/gzip/article":
            page = article_page(Article("gzip", "Komprimierte Meldung aus dem Rathaus",
                                        ["Der Stadtrat beschloss am Abend einen neuen Haushalt für das Jahr. "
                                         "Die Opposition kritisierte die hohen Ausgaben für Straßen."] * 3,
                                        "2026-01-03", "Rathaus-Kurier"), site.base, canonical=False)
            self.send(200, gzip.compress(page.encode("utf-8")), headers={"Content-Encoding": "gzip"})
        elif path == "/br/article":
            import brotli

            page = article_page(Article("br", "Meldung mit Brotli aus der Bibliothek",
                                        ["Die Stadtbibliothek verlängerte ihre Öffnungszeiten am Wochenende. "
                                         "Leserinnen und Leser hatten das seit Langem gefordert."] * 3,
                                        "2026-01-03", "Bücherbote"), site.base, canonical=False)
            self.send(200, brotli.compress(page.encode("utf-8")), headers={"Content-Encoding": "br"})
        elif path == "/slow":
            time.sleep(3)
            self.send(200, b"<html><body>too late</body></html>")
        elif path == "/drip":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", "100000")
            self.end_headers()
            for _ in range(40):
                try:
                    self.wfile.write(b"<p>")
                    self.wfile.flush()
                except OSError:
                    return
                time.sleep(0.1)
        elif path == "/limited":
            if count == 1:
                self.send(429, b"slow down", headers={"Retry-After": "1"})
            else:
                self.send(200, article_page(Article("limited", "Meldung nach der Wartezeit",
                                                    ["Nach einer kurzen Pause lieferte der Server die Meldung "
                                                     "über das neue Schwimmbad der Gemeinde aus."] * 3,
                                                    "2026-01-03", "Gemeindeblatt"), site.base,
                                            canonical=False).encode("utf-8"))
        elif path == "/throttled":
            self.send(429, b"come back tomorrow", headers={"Retry-After": "3600"})
        elif path == "/flaky":
            if count == 1:
                self.send(500, b"oops")
            else:
                self.send(200, article_page(Article("flaky", "Meldung nach dem Serverfehler",
                                                    ["Beim zweiten Versuch kam die Meldung über die neue "
                                                     "Buslinie zwischen den beiden Dörfern an."] * 3,
                                                    "2026-01-03", "Busbote"), site.base,
                                            canonical=False).encode("utf-8"))
        elif path == "/huge":
            self.send(200, b"<html><body>" + b"x" * 6_000_000 + b"</body></html>")
        elif path == "/huge-unannounced":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Connection", "close")
            self.end_headers()
            try:
                for _ in range(120):
                    self.wfile.write(b"<p>" + b"y" * 65_536 + b"</p>")
            except OSError:
                pass
            self.close_connection = True
        elif path == "/report.pdf":
            self.send(200, b"%PDF-1.4 not an article", "application/pdf")
        else:
            self.send(404, b"<html><body>not found</body></html>")


HOSTILE = [
    ("robots", "/private/secret.html"),
    ("redirect", "/redirect/ok"),
    ("redirect to a private address", "/redirect/private"),
    ("redirect to the metadata address", "/redirect/metadata"),
    ("redirect loop", "/redirect/loop-a"),
    ("too many redirects", "/redirect/chain/0"),
    ("gzip", "/gzip/article"),
    ("brotli", "/br/article"),
    ("slow", "/slow"),
    ("dripping", "/drip"),
    ("429 with Retry-After 1", "/limited"),
    ("429 with Retry-After 3600", "/throttled"),
    ("500 then 200", "/flaky"),
    ("404", "/missing"),
    ("too large (Content-Length)", "/huge"),
    ("too large (no length)", "/huge-unannounced"),
    ("wrong content type", "/report.pdf"),
]
FOREIGN = [
    ("private address in the feed", "http://192.168.0.10/article"),
    ("localhost, another name for loopback", "http://localhost:{port}/news/seed-0.html"),
    ("not http", "ftp://127.0.0.1/pub/article.txt"),
]


def hostile_feed(base: str) -> str:
    port = urlsplit(base).port
    items = [(name, f"{base}{path}", rfc822("2026-01-03")) for name, path in HOSTILE]
    items += [(name, url.format(port=port), rfc822("2026-01-03")) for name, url in FOREIGN]
    return rss(base, "Hostile", items)
