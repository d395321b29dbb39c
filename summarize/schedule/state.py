"""The run log, so that each due briefing is made exactly once, however many
schedulers run and however they stop.

A run is a row in `schedule_runs`, unique per (schedule, briefing date),
claimed in one SQLite transaction while holding an flock on a lock file per
schedule next to the config. The transaction makes check-and-claim atomic and
the record durable; the flock tells whether a 'started' row is still being
worked on, because the kernel drops it when its process dies: a 'started' row
of this host found under the lock was left by a crash and is taken over.
Schedulers on one host that share a database must therefore share the config
file too (its lock files); a lock file does not reach across hosts, so another
host's 'started' row is only taken over once it is old.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import socket
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

from summarize.schedule.timetable import Due
from summarize.store import connect

MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(minutes=15)
# A 'started' row of a live process on another host is only taken over this late.
STALE_AFTER = timedelta(hours=6)
DONE = ("ok", "empty", "exists")

RUNS_SCHEMA = """
CREATE TABLE IF NOT EXISTS schedule_runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    briefing_date TEXT NOT NULL,
    due TEXT NOT NULL,
    started TEXT NOT NULL,
    finished TEXT,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 1,
    articles INTEGER NOT NULL DEFAULT 0,
    inputs TEXT NOT NULL DEFAULT '[]',
    outputs TEXT NOT NULL DEFAULT '[]',
    error TEXT,
    host TEXT NOT NULL,
    pid INTEGER NOT NULL,
    UNIQUE (name, briefing_date)
);
"""


@dataclass(frozen=True)
class InputFile:
    path: str
    mtime_ns: int


@dataclass
class Run:
    id: int
    name: str
    briefing_date: str
    due: str
    started: str
    finished: str | None
    status: str  # started | ok | empty | exists | failed
    attempts: int
    articles: int
    inputs: list[InputFile]
    outputs: list[str]
    error: str | None
    host: str
    pid: int

    @classmethod
    def from_row(cls, row: sqlite3.Row) -> "Run":
        values = dict(row)
        values["inputs"] = [InputFile(**f) for f in json.loads(values["inputs"])]
        values["outputs"] = json.loads(values["outputs"])
        return cls(**values)


def may_claim(run: Run | None, now: datetime, *, force: bool) -> bool:
    """Whether a scheduler holding the schedule's lock may (re)start this date."""
    if run is None:
        return True
    if run.status == "started":
        # Under the lock, no scheduler on this host is working on it: the row
        # was left by a crash (or by a container that was restarted, with the
        # same pid perhaps, so pids prove nothing). A lock file does not reach
        # across hosts, so another host's row is only taken over when old.
        age = now - datetime.fromisoformat(run.started)
        return run.host == socket.gethostname() or age > STALE_AFTER
    if force:
        return True
    if run.status == "failed":
        last = datetime.fromisoformat(run.finished or run.started)
        return run.attempts < MAX_ATTEMPTS and now - last >= RETRY_AFTER
    return False


class RunLog:
    """The `schedule_runs` table, on a connection of its own next to the cache."""

    def __init__(self, path: Path):
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = connect(path)
        self._conn.row_factory = sqlite3.Row
        self._conn.executescript(RUNS_SCHEMA)

    def __enter__(self) -> "RunLog":
        return self

    def __exit__(self, *exc: object) -> None:
        self._conn.close()

    def get(self, name: str, day: date) -> Run | None:
        row = self._conn.execute("SELECT * FROM schedule_runs WHERE name = ? AND briefing_date = ?",
                                 (name, day.isoformat())).fetchone()
        return Run.from_row(row) if row else None

    def previous_success(self, name: str, before: date) -> Run | None:
        row = self._conn.execute(
            "SELECT * FROM schedule_runs WHERE name = ? AND briefing_date < ? AND status IN (?, ?, ?)"
            " ORDER BY briefing_date DESC LIMIT 1", (name, before.isoformat(), *DONE)).fetchone()
        return Run.from_row(row) if row else None

    def runs(self, name: str | None = None, limit: int = 20) -> list[Run]:
        rows = self._conn.execute(
            "SELECT * FROM schedule_runs WHERE ? IS NULL OR name = ? ORDER BY briefing_date DESC, name"
            " LIMIT ?", (name, name, limit)).fetchall()
        return [Run.from_row(r) for r in rows]

    def claim(self, name: str, due: Due, now: datetime, *, force: bool = False) -> Run | None:
        """Mark (name, date) as started by this process, atomically; None if
        it is done or in progress elsewhere."""
        with self._transaction():
            run = self.get(name, due.day)
            if not may_claim(run, now, force=force):
                return None
            values = (due.instant.isoformat(), now.isoformat(), "started", socket.gethostname(), os.getpid())
            if run is None:
                self._conn.execute(
                    "INSERT INTO schedule_runs (due, started, status, host, pid, name, briefing_date)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?)", (*values, name, due.day.isoformat()))
            else:
                self._conn.execute(
                    "UPDATE schedule_runs SET due = ?, started = ?, status = ?, host = ?, pid = ?,"
                    " finished = NULL, error = NULL, attempts = attempts + 1 WHERE id = ?", (*values, run.id))
            return self.get(name, due.day)

    def finish(self, run_id: int, status: str, now: datetime, *, inputs: list[InputFile] = (),
               outputs: list[Path] = (), error: str | None = None) -> None:
        with self._transaction():
            self._conn.execute(
                "UPDATE schedule_runs SET finished = ?, status = ?, articles = ?, inputs = ?, outputs = ?,"
                " error = ? WHERE id = ?",
                (now.isoformat(), status, len(inputs), json.dumps([vars(f) for f in inputs]),
                 json.dumps([str(p) for p in outputs]), error, run_id))

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        # IMMEDIATE takes the write lock before the read, so two claimers
        # cannot both see "no row" and both insert.
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            yield
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")


@contextlib.contextmanager
def hold_flock(path: Path, *, blocking: bool) -> Iterator[bool]:
    """An exclusive flock on `path`; yields whether it was acquired."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        yield True
    finally:
        os.close(fd)  # releases the lock


def job_lock_path(config_path: Path, name: str) -> Path:
    return Path(config_path).with_name(f"{Path(config_path).name}.{name}.lock")

