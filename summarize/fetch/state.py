"""What the fetcher remembers, in the project's SQLite store (its own tables
beside the answer cache): validators of feeds and sitemaps for conditional
GETs, every URL and content hash of a saved article, items that failed (so a
feed answering 304 does not hide them), and robots.txt files for a day.

No URL with credentials is ever stored: callers pass URLs through
`safety.redact` or `split_credentials` first.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

from summarize.store import connect

SCHEMA = """
CREATE TABLE IF NOT EXISTS fetch_validators (
    url TEXT PRIMARY KEY,
    etag TEXT,
    last_modified TEXT,
    status INTEGER NOT NULL,
    checked REAL NOT NULL,
    children TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE IF NOT EXISTS fetch_articles (
    canonical TEXT PRIMARY KEY,
    url TEXT NOT NULL,
    source TEXT NOT NULL,
    content_hash TEXT NOT NULL,
    path TEXT NOT NULL,
    status INTEGER,
    etag TEXT,
    last_modified TEXT,
    fetched REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS fetch_articles_hash ON fetch_articles (content_hash);
CREATE TABLE IF NOT EXISTS fetch_urls (
    url TEXT PRIMARY KEY,
    canonical TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS fetch_failures (
    url TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    reason TEXT NOT NULL,
    retryable INTEGER NOT NULL,
    attempts INTEGER NOT NULL,
    item TEXT NOT NULL,
    updated REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS fetch_failures_source ON fetch_failures (source);
CREATE TABLE IF NOT EXISTS fetch_robots (
    origin TEXT PRIMARY KEY,
    status INTEGER NOT NULL,
    body TEXT NOT NULL,
    fetched REAL NOT NULL
);
"""

# A failed item is tried again by later runs (even when its feed is unchanged) this often.
MAX_RUNS_PER_FAILURE = 3


class FetchState:
    def __init__(self, path: Path | str):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = connect(path)
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> "FetchState":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _one(self, sql: str, args: tuple) -> tuple | None:
        with self._lock:
            return self._conn.execute(sql, args).fetchone()

    def _write(self, sql: str, args: tuple) -> None:
        with self._lock, self._conn:
            self._conn.execute(sql, args)

    # --- feeds and sitemaps ---------------------------------------------------------

    def validators(self, url: str) -> dict[str, str]:
        row = self._one("SELECT etag, last_modified FROM fetch_validators WHERE url = ?", (url,))
        if row is None:
            return {}
        headers = {}
        if row[0]:
            headers["If-None-Match"] = row[0]
        if row[1]:
            headers["If-Modified-Since"] = row[1]
        return headers

    def put_validators(self, url: str, etag: str | None, last_modified: str | None, status: int,
                       children: list[tuple[str, str | None]] = ()) -> None:
        """A feed's or sitemap's validators, and the child sitemaps of an index
        (which are checked again when the index itself is unchanged)."""
        self._write("INSERT OR REPLACE INTO fetch_validators VALUES (?, ?, ?, ?, ?, ?)",
                    (url, etag, last_modified, status, time.time(), json.dumps(list(children))))

    def children(self, url: str) -> list[tuple[str, str | None]]:
        row = self._one("SELECT children FROM fetch_validators WHERE url = ?", (url,))
        return [tuple(child) for child in json.loads(row[0])] if row else []

    # --- articles -------------------------------------------------------------------

    def known(self, url: str) -> str | None:
        """The canonical URL of the saved article this URL led to, or None."""
        row = self._one("SELECT canonical FROM fetch_urls WHERE url = ?", (url,))
        return row[0] if row else None

    def with_hash(self, content_hash: str) -> tuple[str, str] | None:
        """(canonical URL, URL) of a saved article with this text, or None."""
        row = self._one("SELECT canonical, url FROM fetch_articles WHERE content_hash = ?", (content_hash,))
        return (row[0], row[1]) if row else None

    def alias(self, url: str, canonical: str) -> None:
        """Another URL of a saved article: known from now on, never fetched again."""
        with self._lock, self._conn:
            self._conn.execute("INSERT OR REPLACE INTO fetch_urls VALUES (?, ?)", (url, canonical))
            self._conn.execute("DELETE FROM fetch_failures WHERE url = ?", (url,))

    def saved(self, *, canonical: str, url: str, aliases: list[str], source: str, content_hash: str, path: str,
              status: int, etag: str | None, last_modified: str | None) -> None:
        with self._lock, self._conn:
            self._conn.execute("INSERT OR REPLACE INTO fetch_articles VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               (canonical, url, source, content_hash, path, status, etag, last_modified,
                                time.time()))
            for alias in {canonical, url, *aliases}:
                self._conn.execute("INSERT OR REPLACE INTO fetch_urls VALUES (?, ?)", (alias, canonical))
                self._conn.execute("DELETE FROM fetch_failures WHERE url = ?", (alias,))

    def failed(self, url: str, source: str, reason: str, retryable: bool, item: dict) -> None:
        with self._lock, self._conn:
            row = self._conn.execute("SELECT attempts FROM fetch_failures WHERE url = ?", (url,)).fetchone()
            self._conn.execute("INSERT OR REPLACE INTO fetch_failures VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (url, source, reason, int(retryable), (row[0] if row else 0) + 1,
                                json.dumps(item, ensure_ascii=False), time.time()))

    def retry_items(self, source: str) -> list[dict]:
        """Items of `source` that failed for a passing reason, to try again
        although the source itself is unchanged."""
        with self._lock:
            rows = self._conn.execute(
                "SELECT item FROM fetch_failures WHERE source = ? AND retryable = 1 AND attempts < ?"
                " ORDER BY updated", (source, MAX_RUNS_PER_FAILURE)).fetchall()
        return [json.loads(row[0]) for row in rows]

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {table: self._conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                    for table in ("fetch_articles", "fetch_failures", "fetch_validators", "fetch_robots")}

    # --- robots.txt -----------------------------------------------------------------

    def robots(self, origin: str, *, max_age: float) -> tuple[int, str] | None:
        row = self._one("SELECT status, body, fetched FROM fetch_robots WHERE origin = ?", (origin,))
        if row is None or time.time() - row[2] > max_age:
            return None
        return row[0], row[1]

    def put_robots(self, origin: str, status: int, body: str) -> None:
        self._write("INSERT OR REPLACE INTO fetch_robots VALUES (?, ?, ?, ?)", (origin, status, body, time.time()))
