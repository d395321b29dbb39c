"""Briefings on a timetable: the schedules config, when each one is due, and
the scheduler that makes each due briefing exactly once.

Time: croniter steps through local wall-clock times (naive, so it never sees a
DST transition) and zoneinfo turns each into an instant. A wall time that a
spring-forward skips happens at the end of the gap; one that an autumn
fall-back repeats happens at its first occurrence. So every local day has one
due instant: none is skipped, none doubled.

Exactly once: a run is a row in `schedule_runs`, unique per (schedule,
briefing date), claimed in one SQLite transaction while holding an flock on a
lock file per schedule next to the config. The transaction makes check-and-
claim atomic and the record durable; the flock tells whether a 'started' row
is still being worked on, because the kernel drops it when its process dies:
a 'started' row of this host found under the lock was left by a crash and is
taken over. Schedulers on one host that share a database must therefore share
the config file too (its lock files); a lock file does not reach across
hosts, so another host's 'started' row is only taken over once it is old.

Catch-up: only the most recent due time is ever considered. After downtime
over several due times, one briefing is made, for the latest date, from every
article that arrived since the last successful run, so nothing is lost and
the reader does not get a burst of stale briefings.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import signal
import socket
import sqlite3
import threading
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs
import tomli_w
from croniter import croniter
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from summarize.deliver import SmtpSettings, send_email, update_atom_feed
from summarize.models import Briefing
from summarize.render import FORMATS, write_atomic

UTC = timezone.utc
CONFIG_ENV = "SUMMARIZE_CONFIG"
NAME_PATTERN = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,63}")
_AT_PATTERN = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)")
# Walking this far from a wall time covers any UTC offset change on record.
_SLACK = timedelta(hours=26)
MAX_ATTEMPTS = 3
RETRY_AFTER = timedelta(minutes=15)
# A 'started' row of a live process on another host is only taken over this late.
STALE_AFTER = timedelta(hours=6)
DONE = ("ok", "empty", "exists")


class ConfigError(Exception):
    """The schedules config cannot be read or would be invalid."""


class JobError(Exception):
    """A briefing job failed in a way that is worth retrying later."""


# --- config ------------------------------------------------------------------------


class Schedule(BaseModel):
    model_config = ConfigDict(extra="forbid")

    inbox: Path
    at: str
    tz: str
    out: Path
    formats: list[str] = Field(default_factory=lambda: list(FORMATS))
    prompt: str | None = None
    language: str | None = None
    model: str | None = None
    backend: Literal["auto", "embedded", "openai"] = "auto"
    email_to: list[str] = Field(default_factory=list)
    feed_url: str | None = None
    created: datetime  # due times before this are never caught up

    @field_validator("at")
    @classmethod
    def _valid_at(cls, value: str) -> str:
        match = _AT_PATTERN.fullmatch(value.strip())
        if not match:
            raise ValueError(f"expected HH:MM (24-hour), got {value!r}")
        return f"{int(match[1]):02d}:{match[2]}"

    @field_validator("tz")
    @classmethod
    def _valid_tz(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {value!r} (use an IANA name like Europe/Berlin)") from None
        return value

    @field_validator("formats")
    @classmethod
    def _valid_formats(cls, value: list[str]) -> list[str]:
        unknown = [f for f in value if f not in FORMATS]
        if unknown or not value:
            raise ValueError(f"formats take {', '.join(FORMATS)}; got {', '.join(value) or 'none'}")
        return list(dict.fromkeys(value))

    @field_validator("created")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.tz)

    @property
    def cron(self) -> str:
        hour, minute = self.at.split(":")
        return f"{int(minute)} {int(hour)} * * *"

    @property
    def written_formats(self) -> list[str]:
        """The formats asked for, plus JSON: the feed is built from it."""
        return list(dict.fromkeys([*self.formats, "json"]))


class Config(BaseModel):
    model_config = ConfigDict(extra="forbid")

    smtp: SmtpSettings | None = None
    schedules: dict[str, Schedule] = Field(default_factory=dict)

    @field_validator("schedules")
    @classmethod
    def _valid_names(cls, value: dict[str, Schedule]) -> dict[str, Schedule]:
        for name in value:
            check_name(name)
        return value


def check_name(name: str) -> str:
    if not NAME_PATTERN.fullmatch(name):
        raise ValueError(f"schedule names are letters, digits, - and _ (at most 64); got {name!r}")
    return name


def default_config_path() -> Path:
    configured = os.environ.get(CONFIG_ENV)
    if configured:
        return Path(configured)
    return Path(platformdirs.user_config_dir("summarize")) / "schedules.toml"


def validation_message(exc: ValidationError) -> str:
    return "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg'].removeprefix('Value error, ')}"
                     for e in exc.errors())


def load_config(path: Path) -> Config:
    """The config at `path`; an empty one if the file does not exist yet."""
    try:
        raw = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config()
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"{path}: {exc}") from None
    if isinstance(raw.get("smtp"), dict) and "password" in raw["smtp"]:
        raise ConfigError(f"{path}: smtp.password is never read from the config; remove it and export "
                          f"the password in ${raw['smtp'].get('password_env', 'SUMMARIZE_SMTP_PASSWORD')}")
    try:
        return Config.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path}: {validation_message(exc)}") from None


def save_config(path: Path, config: Config) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, tomli_w.dumps(config.model_dump(mode="json", exclude_none=True)))


@contextlib.contextmanager
def editing_config(path: Path) -> Iterator[Config]:
    """Load, let the caller change, save; concurrent editors take turns."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with _flock(path.with_name(path.name + ".lock"), blocking=True):
        config = load_config(path)
        yield config
        save_config(path, Config.model_validate(config.model_dump()))


def local_zone_name() -> str:
    """The system's IANA zone name, for a schedule added without --tz."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    with contextlib.suppress(OSError):
        candidates.append(os.path.realpath("/etc/localtime").partition("zoneinfo/")[2])
    for name in candidates:
        with contextlib.suppress(ZoneInfoNotFoundError, ValueError):
            if name:
                ZoneInfo(name)
                return name
    return "UTC"


# --- time --------------------------------------------------------------------------


@dataclass(frozen=True)
class Due:
    instant: datetime  # aware, UTC
    day: date  # the briefing date: the local calendar day the schedule fires on


def _local_wall(moment: datetime, zone: ZoneInfo) -> datetime:
    return moment.astimezone(zone).replace(tzinfo=None)


def wall_time_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """When the naive local time `wall` happens in `zone`, as UTC."""
    first = wall.replace(tzinfo=zone, fold=0).astimezone(UTC)
    if _local_wall(first, zone) == wall:
        return first  # exists; fold=0 is the first of a repeated hour
    # Skipped by a spring-forward: fold=1 applies the later offset, landing
    # before the gap; search for the first instant whose wall time reaches `wall`.
    low, high = wall.replace(tzinfo=zone, fold=1).astimezone(UTC), first
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) / 2
        if _local_wall(middle, zone) >= wall:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def due_at_or_before(cron: str, zone: ZoneInfo, now: datetime) -> Due | None:
    """The most recent due time at or before `now`."""
    walls = croniter(cron, _local_wall(now, zone) + _SLACK)
    for _ in range(100_000):
        wall = walls.get_prev(datetime)
        instant = wall_time_instant(wall, zone)
        if instant <= now:
            return Due(instant, wall.date())
    return None


def due_after(cron: str, zone: ZoneInfo, moment: datetime) -> Due:
    """The first due time strictly after `moment`."""
    walls = croniter(cron, _local_wall(moment, zone) - _SLACK)
    while True:
        wall = walls.get_next(datetime)
        instant = wall_time_instant(wall, zone)
        if instant > moment:
            return Due(instant, wall.date())


def utc_now() -> datetime:
    return datetime.now(UTC)


# --- run state ---------------------------------------------------------------------

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
        self._conn = sqlite3.connect(str(path), timeout=30, isolation_level=None, check_same_thread=False)
        self._conn.row_factory = sqlite3.Row
        self._conn.execute("PRAGMA journal_mode=WAL")
        self._conn.execute("PRAGMA synchronous=NORMAL")
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
def _flock(path: Path, *, blocking: bool) -> Iterator[bool]:
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


# --- the job -----------------------------------------------------------------------


def inbox_files(inbox: Path) -> list[InputFile]:
    """Every visible file under `inbox`, as the digest would read them."""
    from summarize.ingest import expand_inputs

    if not Path(inbox).is_dir():
        raise JobError(f"inbox {inbox} is not a directory")
    refs = [ref for ref in expand_inputs([str(inbox)]) if ref.path is not None]
    return [InputFile(ref.label, ref.path.stat().st_mtime_ns) for ref in refs]


def select_new(files: list[InputFile], previous: Run | None) -> list[InputFile]:
    """Files that arrived since the previous successful run started; all of
    them for the first run. The previous run's own files are left out even if
    written while it was starting, so no article is briefed twice."""
    if previous is None:
        return list(files)
    cutoff = datetime.fromisoformat(previous.started).timestamp() * 1e9
    used = set(previous.inputs)
    return [f for f in files if f.mtime_ns > cutoff and f not in used]


def make_briefing(name: str, schedule: Schedule, day: date, inputs: list[InputFile], *, db: Path,
                  smtp: SmtpSettings | None) -> tuple[Briefing, list[Path]]:
    """Digest `inputs` into the briefing for `day`, write it, update the feed
    and send the e-mail; returns the briefing and the files written."""
    from summarize.digest import DigestSettings, run_digest
    from summarize.engine import open_caller
    from summarize.render import render_html, render_markdown, write_briefing
    from summarize.tldr import DEFAULT_PROMPT

    if schedule.email_to and smtp is None:
        raise JobError("email_to is set but the config has no [smtp] section")
    settings = DigestSettings.load(prompt=schedule.prompt or DEFAULT_PROMPT, language=schedule.language)
    with open_caller(model=schedule.model, backend=schedule.backend, db=db) as caller:
        # No `today`: a "heute" in a page scraped yesterday afternoon is not the
        # briefing's day, and the arrival day of each file is not passed on.
        briefing = run_digest([f.path for f in inputs], caller, settings)
    if not briefing.stories and briefing.not_summarized:
        first = briefing.not_summarized[0]
        raise JobError(f"no article could be summarized (e.g. {first.path}: {first.error})")
    # The briefing is the schedule's for that morning, whatever the articles' dates.
    briefing.date = day.isoformat()
    written = write_briefing(briefing, schedule.out, schedule.written_formats)
    written.append(update_atom_feed(schedule.out, title=f"Briefings — {name}", base_url=schedule.feed_url))
    if schedule.email_to:
        send_email(briefing, render_html(briefing), render_markdown(briefing), smtp, schedule.email_to,
                   subject=f"Briefing — {day.isoformat()} ({name})")
    return briefing, written


# --- the scheduler -----------------------------------------------------------------


@dataclass
class Outcome:
    name: str
    day: date
    status: str
    outputs: list[str] = field(default_factory=list)
    error: str | None = None


def _silent(message: str) -> None:
    pass


@dataclass
class Scheduler:
    config_path: Path
    db_path: Path
    clock: Callable[[], datetime] = utc_now
    sleep: Callable[[float], object] | None = None  # default: wait on `stop`, so a signal wakes it
    stop: threading.Event = field(default_factory=threading.Event)
    poll: float = 30.0
    only: str | None = None
    report: Callable[[str], None] = _silent
    _log: RunLog | None = field(default=None, init=False, repr=False)
    _busy_seen: set[tuple[str, date]] = field(default_factory=set, init=False, repr=False)
    _config_error: str | None = field(default=None, init=False, repr=False)

    def run(self, *, once: bool = False, force: bool = False) -> list[Outcome]:
        """Make due briefings until stopped (or one pass with `once`).
        `force` remakes the most recent briefing of each schedule, on the first pass only."""
        outcomes: list[Outcome] = []
        config = self._load(None)
        with RunLog(self.db_path) as self._log:
            first = True
            while not self.stop.is_set():
                outcomes += self.tick(config, force=force and first)
                first = False
                if once or self.stop.is_set():
                    break
                (self.sleep or self.stop.wait)(self.wait_seconds(config))
                config = self._load(config)
        return outcomes

    def _load(self, previous: Config | None) -> Config:
        # Reread every pass so `schedule add` takes effect without a restart;
        # a broken edit keeps the last good config instead of stopping the service.
        try:
            config = load_config(self.config_path)
        except ConfigError as exc:
            if previous is None:
                raise
            if str(exc) != self._config_error:
                self.report(f"config not reloaded: {exc}")
            self._config_error = str(exc)
            return previous
        self._config_error = None
        if self.only is not None and self.only not in config.schedules:
            raise ConfigError(f"no schedule named {self.only!r} in {self.config_path}")
        return config

    def selected(self, config: Config) -> dict[str, Schedule]:
        return {n: s for n, s in config.schedules.items() if self.only in (None, n)}

    def tick(self, config: Config, *, force: bool = False) -> list[Outcome]:
        outcomes = []
        for name, schedule in self.selected(config).items():
            if self.stop.is_set():
                break  # between jobs: the one before has finished
            outcome = self.run_due(name, schedule, config.smtp, force=force)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def wait_seconds(self, config: Config) -> float:
        now = self.clock()
        nexts = [due_after(s.cron, s.zone, now).instant for s in self.selected(config).values()]
        until_due = min(((n - now).total_seconds() for n in nexts), default=self.poll)
        # A hair past the due instant, so the wake-up sees it as due.
        return max(0.0, min(self.poll, until_due + 0.01))

    def run_due(self, name: str, schedule: Schedule, smtp: SmtpSettings | None, *,
                force: bool = False) -> Outcome | None:
        """Make the briefing of the most recent due time if nobody has; None
        when there was nothing to do."""
        assert self._log is not None, "run_due is called from run()"
        now = self.clock()
        due = due_at_or_before(schedule.cron, schedule.zone, now)
        if due is None or due.instant < schedule.created:
            return None
        known = self._log.get(name, due.day)
        if known is not None and known.status != "started" and not may_claim(known, now, force=force):
            return None  # done, or failed too recently: no need to touch the lock
        with _flock(job_lock_path(self.config_path, name), blocking=False) as locked:
            if not locked:
                if (name, due.day) not in self._busy_seen:
                    self._busy_seen.add((name, due.day))
                    self.report(f"{name} {due.day}: another scheduler is making it")
                return None
            known = self._log.get(name, due.day)
            run = self._log.claim(name, due, now, force=force)
            if run is None:
                return None
            if known is None and not force and (schedule.out / f"{due.day}.json").exists():
                # Made outside the scheduler, e.g. by `summarize digest`: respected, and recorded.
                self._log.finish(run.id, "exists", now)
                self.report(f"{name} {due.day}: a briefing exists in {schedule.out}, not made again")
                return Outcome(name, due.day, "exists")
            return self._execute(name, schedule, smtp, due, run)

    def _execute(self, name: str, schedule: Schedule, smtp: SmtpSettings | None, due: Due, run: Run) -> Outcome:
        assert self._log is not None
        local = due.instant.astimezone(schedule.zone).strftime("%H:%M %Z")
        self.report(f"{name} {due.day}: due {local}, attempt {run.attempts}")
        inputs: list[InputFile] = []
        written: list[Path] = []
        try:
            inputs = select_new(inbox_files(schedule.inbox), self._log.previous_success(name, due.day))
            if not inputs:
                self._log.finish(run.id, "empty", self.clock())
                self.report(f"{name} {due.day}: no new articles in {schedule.inbox}")
                return Outcome(name, due.day, "empty")
            _, written = make_briefing(name, schedule, due.day, inputs, db=self.db_path, smtp=smtp)
        except Exception as exc:
            error = str(exc).splitlines()[0] if str(exc) else exc.__class__.__name__
            self._log.finish(run.id, "failed", self.clock(), inputs=inputs, outputs=written, error=error)
            self.report(f"{name} {due.day}: failed: {error}")
            return Outcome(name, due.day, "failed", [str(p) for p in written], error)
        except BaseException:
            self._log.finish(run.id, "failed", self.clock(), inputs=inputs, outputs=written, error="interrupted")
            raise
        self._log.finish(run.id, "ok", self.clock(), inputs=inputs, outputs=written)
        self.report(f"{name} {due.day}: {len(inputs)} article(s) → {', '.join(str(p) for p in written)}")
        return Outcome(name, due.day, "ok", [str(p) for p in written])


@contextlib.contextmanager
def stop_on_signals(stop: threading.Event, report: Callable[[str], None] = _silent) -> Iterator[None]:
    """SIGINT and SIGTERM set `stop`: the current job finishes and the loop
    exits before the next. A second signal interrupts the job itself."""
    def handle(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        report(f"{signal.Signals(signum).name}: stopping after the current job")

    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
