"""SQLite state: the answer cache and the log of every LLM call.

WAL mode and one transaction per write keep the file consistent when a run is
killed; answers are stored only once validated, so a re-run repeats exactly
the calls that had not succeeded.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import platformdirs

SCHEMA = """
CREATE TABLE IF NOT EXISTS answers (
    key TEXT PRIMARY KEY,
    model TEXT NOT NULL,
    prompt TEXT NOT NULL,
    prompt_hash TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    content TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    latency REAL NOT NULL DEFAULT 0,
    created REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    ts REAL NOT NULL,
    backend TEXT NOT NULL,
    model TEXT NOT NULL,
    prompt TEXT NOT NULL,
    prompt_hash TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    cached_tokens INTEGER NOT NULL DEFAULT 0,
    latency REAL NOT NULL DEFAULT 0,
    outcome TEXT NOT NULL,
    error TEXT
);
CREATE INDEX IF NOT EXISTS calls_ts ON calls (ts);
CREATE TABLE IF NOT EXISTS briefings (
    key TEXT PRIMARY KEY,
    briefing TEXT NOT NULL,
    created REAL NOT NULL
);
"""


def default_db_path() -> Path:
    configured = os.environ.get("SUMMARIZE_DB")
    if configured:
        return Path(configured)
    return Path(platformdirs.user_data_dir("summarize")) / "summarize.sqlite3"


def stable_hash(*parts: object) -> str:
    payload = json.dumps(parts, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def answer_key(model: str, prompt_hash: str, input_hash: str, params: dict) -> str:
    """The cache key covers every parameter that changes the answer."""
    return stable_hash(model, prompt_hash, input_hash, params)


@dataclass
class CachedAnswer:
    content: str
    prompt_tokens: int
    completion_tokens: int
    latency: float = 0.0


@dataclass
class CallRecord:
    backend: str
    model: str
    prompt: str
    prompt_hash: str
    input_hash: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    latency: float = 0.0
    outcome: str = "ok"
    error: str | None = None


# How long a process waits for another that holds the database.
BUSY_SECONDS = 30.0


def connect(path: Path | str) -> sqlite3.Connection:
    """An autocommit connection in WAL mode, shared by the threads of a run.

    Two processes opening a new database at once: the second one's switch to
    WAL fails at once with "database is locked" (SQLite's busy wait does not
    cover it), so it is retried for as long as any other statement would wait."""
    conn = sqlite3.connect(str(path), check_same_thread=False, timeout=BUSY_SECONDS, isolation_level=None)
    deadline = time.monotonic() + BUSY_SECONDS
    while True:
        try:
            conn.execute("PRAGMA journal_mode=WAL")
            break
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                conn.close()
                raise
            time.sleep(0.05)
    conn.execute("PRAGMA synchronous=NORMAL")
    return conn


class Store:
    def __init__(self, path: Path | str):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._conn = connect(self.path)
        self._conn.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def get_answer(self, key: str) -> CachedAnswer | None:
        with self._lock:
            row = self._conn.execute(
                "SELECT content, prompt_tokens, completion_tokens, latency FROM answers WHERE key = ?", (key,)
            ).fetchone()
        return CachedAnswer(*row) if row else None

    def put_answer(self, key: str, *, model: str, prompt: str, prompt_hash: str, input_hash: str,
                   content: str, prompt_tokens: int, completion_tokens: int, latency: float = 0.0) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (key, model, prompt, prompt_hash, input_hash, content, prompt_tokens, completion_tokens,
                 latency, time.time()),
            )

    def get_briefing(self, key: str) -> str | None:
        with self._lock:
            row = self._conn.execute("SELECT briefing FROM briefings WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    def put_briefing(self, key: str, briefing: str) -> None:
        with self._lock, self._conn:
            self._conn.execute("INSERT OR REPLACE INTO briefings VALUES (?, ?, ?)", (key, briefing, time.time()))

    def log_call(self, record: CallRecord) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT INTO calls (ts, backend, model, prompt, prompt_hash, input_hash, prompt_tokens,"
                " completion_tokens, cached_tokens, latency, outcome, error)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (time.time(), record.backend, record.model, record.prompt, record.prompt_hash,
                 record.input_hash, record.prompt_tokens, record.completion_tokens, record.cached_tokens,
                 record.latency, record.outcome, record.error),
            )

    def recent_calls(self, limit: int = 20) -> list[dict]:
        with self._lock:
            cursor = self._conn.execute("SELECT * FROM calls ORDER BY id DESC LIMIT ?", (limit,))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def totals(self) -> list[dict]:
        with self._lock:
            cursor = self._conn.execute(
                "SELECT model, COUNT(*) AS calls, SUM(outcome = 'ok') AS ok,"
                " SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens,"
                " ROUND(AVG(latency), 3) AS avg_latency FROM calls GROUP BY model ORDER BY calls DESC"
            )
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]
