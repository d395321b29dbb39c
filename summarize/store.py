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
import zlib
from collections.abc import Iterable
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
CREATE TABLE IF NOT EXISTS batch_jobs (
    id TEXT PRIMARY KEY,
    remote_id TEXT,
    base_url TEXT NOT NULL,
    model TEXT NOT NULL,
    input_file_id TEXT,
    status TEXT NOT NULL,
    requests INTEGER NOT NULL DEFAULT 0,
    completed INTEGER NOT NULL DEFAULT 0,
    failed INTEGER NOT NULL DEFAULT 0,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    output_file_id TEXT,
    error_file_id TEXT,
    error TEXT,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    ingested REAL
);
CREATE TABLE IF NOT EXISTS batch_requests (
    custom_id TEXT PRIMARY KEY,
    answer_key TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    scope TEXT NOT NULL DEFAULT '',
    prompt TEXT NOT NULL,
    prompt_hash TEXT NOT NULL,
    input_hash TEXT NOT NULL,
    line TEXT NOT NULL,
    job TEXT,
    state TEXT NOT NULL,
    content TEXT,
    finish_reason TEXT,
    prompt_tokens INTEGER NOT NULL DEFAULT 0,
    completion_tokens INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    outcome TEXT,
    created REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS batch_requests_key ON batch_requests (answer_key, scope);
CREATE INDEX IF NOT EXISTS batch_requests_job ON batch_requests (job);
"""

# The columns of batch_jobs a batch's progress updates.
JOB_FIELDS = ("remote_id", "input_file_id", "status", "requests", "completed", "failed", "prompt_tokens",
              "completion_tokens", "output_file_id", "error_file_id", "error", "ingested")


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
class BatchRow:
    """One request of a Batch API job: its JSONL line and, once the job is
    finished, its result."""

    custom_id: str
    answer_key: str
    attempt: int
    scope: str
    prompt: str
    prompt_hash: str
    input_hash: str
    line: str
    job: str | None = None
    state: str = "queued"  # queued, assigned (to a job), answered, failed
    content: str | None = None
    finish_reason: str | None = None
    prompt_tokens: int = 0
    completion_tokens: int = 0
    error: str | None = None
    outcome: str | None = None  # ok, rejected or error, once validated
    created: float = 0.0


def _batch_row(values: tuple) -> BatchRow:
    return BatchRow(*values)


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


# The backend name of calls answered through the Batch API, in the call log.
BATCH_BACKEND = "batch"

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
        if row is None:
            return None
        # Stored compressed; a store written before that holds the text.
        return zlib.decompress(row[0]).decode("utf-8") if isinstance(row[0], bytes) else row[0]

    def put_briefing(self, key: str, parts: Iterable[str]) -> None:
        """The briefing's JSON, given part by part, stored compressed: the JSON
        of a 10,000-article briefing (13 MB) is never held whole."""
        packer = zlib.compressobj(1)
        packed = [packer.compress(part.encode("utf-8")) for part in parts]
        packed.append(packer.flush())
        with self._lock, self._conn:
            self._conn.execute("INSERT OR REPLACE INTO briefings VALUES (?, ?, ?)",
                               (key, b"".join(packed), time.time()))

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

    # --- Batch API jobs (llm/batch.py): a run stopped at any point and
    # started again finds its requests and its job here, and pays once.

    def queue_batch_request(self, row: BatchRow) -> None:
        with self._lock, self._conn:
            self._conn.execute(
                "INSERT OR IGNORE INTO batch_requests (custom_id, answer_key, attempt, scope, prompt, prompt_hash,"
                " input_hash, line, state, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?)",
                (row.custom_id, row.answer_key, row.attempt, row.scope, row.prompt, row.prompt_hash, row.input_hash,
                 row.line, time.time()),
            )

    def batch_requests(self, answer_key: str, scope: str) -> dict[int, BatchRow]:
        """The requests of one answer that are under way, by attempt."""
        with self._lock:
            cursor = self._conn.execute(
                "SELECT * FROM batch_requests WHERE answer_key = ? AND scope = ?", (answer_key, scope))
            return {row.attempt: row for row in map(_batch_row, cursor.fetchall())}

    def batch_requests_of(self, *, job: str | None = None, custom_ids: list[str] | None = None,
                          state: str | None = None) -> list[BatchRow]:
        where, args = [], []
        if job is not None:
            where.append("job = ?")
            args.append(job)
        if state is not None:
            where.append("state = ?")
            args.append(state)
        query = "SELECT * FROM batch_requests" + (" WHERE " + " AND ".join(where) if where else "")
        with self._lock:
            rows = list(map(_batch_row, self._conn.execute(query + " ORDER BY rowid", args).fetchall()))
        if custom_ids is not None:
            wanted = set(custom_ids)
            rows = [row for row in rows if row.custom_id in wanted]
        return rows

    def assign_batch_requests(self, job: str, custom_ids: list[str]) -> int:
        """Give the still-queued requests among `custom_ids` to `job`; a
        request another process assigned meanwhile is left to its job."""
        with self._lock:
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                assigned = 0
                for custom_id in custom_ids:
                    assigned += self._conn.execute(
                        "UPDATE batch_requests SET job = ?, state = 'assigned' WHERE custom_id = ? AND state = 'queued'",
                        (job, custom_id)).rowcount
                self._conn.execute("UPDATE batch_jobs SET requests = ?, updated = ? WHERE id = ?",
                                   (assigned, time.time(), job))
                self._conn.execute("COMMIT")
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
        return assigned

    def record_batch_results(self, job: str, results: dict[str, dict], *, missing_error: str) -> None:
        """The results of a finished job in one transaction: each request
        answered (content, finish_reason, tokens) or failed (error); one of
        the job without a result failed with `missing_error`."""
        now = time.time()
        with self._lock, self._conn:
            for custom_id, result in results.items():
                self._conn.execute(
                    "UPDATE batch_requests SET state = ?, content = ?, finish_reason = ?, prompt_tokens = ?,"
                    " completion_tokens = ?, error = ? WHERE custom_id = ? AND job = ? AND state = 'assigned'",
                    ("answered" if result.get("error") is None else "failed", result.get("content"),
                     result.get("finish_reason"), result.get("prompt_tokens", 0), result.get("completion_tokens", 0),
                     result.get("error"), custom_id, job))
            self._conn.execute("UPDATE batch_requests SET state = 'failed', error = ? WHERE job = ? AND state = 'assigned'",
                               (missing_error, job))
            self._conn.execute("UPDATE batch_jobs SET ingested = ?, updated = ? WHERE id = ?", (now, now, job))

    def settle_batch_request(self, custom_id: str, outcome: str) -> bool:
        """Mark a request's result as validated; True only for the one caller
        that does it first, so that each result is logged once."""
        with self._lock, self._conn:
            return self._conn.execute("UPDATE batch_requests SET outcome = ? WHERE custom_id = ? AND outcome IS NULL",
                                      (outcome, custom_id)).rowcount == 1

    def drop_batch_requests(self, answer_key: str, scope: str) -> None:
        """Forget an answer's requests once it is cached or has failed for good."""
        with self._lock, self._conn:
            self._conn.execute("DELETE FROM batch_requests WHERE answer_key = ? AND scope = ? AND state IN"
                               " ('answered', 'failed')", (answer_key, scope))

    def add_batch_job(self, job: str, *, base_url: str, model: str) -> None:
        now = time.time()
        with self._lock, self._conn:
            self._conn.execute("INSERT INTO batch_jobs (id, base_url, model, status, created, updated)"
                               " VALUES (?, ?, ?, 'preparing', ?, ?)", (job, base_url, model, now, now))

    def update_batch_job(self, job: str, **fields: object) -> None:
        unknown = set(fields) - set(JOB_FIELDS)
        if unknown:
            raise ValueError(f"not a batch job field: {', '.join(sorted(unknown))}")
        names = list(fields)
        with self._lock, self._conn:
            self._conn.execute(f"UPDATE batch_jobs SET {', '.join(f'{n} = ?' for n in names)}, updated = ? WHERE id = ?",
                               [fields[n] for n in names] + [time.time(), job])

    def batch_job(self, job: str) -> dict | None:
        with self._lock:
            cursor = self._conn.execute("SELECT * FROM batch_jobs WHERE id = ?", (job,))
            row = cursor.fetchone()
            return dict(zip([d[0] for d in cursor.description], row)) if row else None

    def batch_jobs(self, limit: int = 50) -> list[dict]:
        """The most recent jobs first."""
        with self._lock:
            cursor = self._conn.execute("SELECT * FROM batch_jobs ORDER BY created DESC, rowid DESC LIMIT ?", (limit,))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def recent_calls(self, limit: int = 20) -> list[dict]:
        with self._lock:
            cursor = self._conn.execute("SELECT * FROM calls ORDER BY id DESC LIMIT ?", (limit,))
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]

    def totals(self, batch: bool | None = None) -> list[dict]:
        """Calls, tokens and latency per model: of every call, or only of the
        live calls (batch=False) or of the Batch API's (batch=True), which
        are billed at another price."""
        where = {None: "", False: f" WHERE backend != '{BATCH_BACKEND}'", True: f" WHERE backend = '{BATCH_BACKEND}'"}
        with self._lock:
            cursor = self._conn.execute(
                "SELECT model, COUNT(*) AS calls, SUM(outcome = 'ok') AS ok,"
                " SUM(prompt_tokens) AS prompt_tokens, SUM(completion_tokens) AS completion_tokens,"
                f" ROUND(AVG(latency), 3) AS avg_latency FROM calls{where[batch]} GROUP BY model ORDER BY calls DESC"
            )
            names = [d[0] for d in cursor.description]
            return [dict(zip(names, row)) for row in cursor.fetchall()]
