"""Briefings on a timetable: the scheduler that makes each due briefing
exactly once (how "once" is kept is told in summarize.schedule.state).

Time (when a schedule is due) is summarize.schedule.timetable.

Catch-up: only the most recent due time is ever considered. After downtime
over several due times, one briefing is made, for the latest date, from every
article that arrived since the last successful run, so nothing is lost and
the reader does not get a burst of stale briefings.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from summarize.models import Briefing
from summarize.schedule.config import Config, ConfigError, Schedule, load_config
from summarize.schedule.deliver import SmtpSettings, send_email, update_atom_feed
from summarize.schedule.state import (
    InputFile,
    Run,
    RunLog,
    hold_flock,
    job_lock_path,
    may_claim,
)
from summarize.schedule.timetable import Due, due_after, due_at_or_before, utc_now


class JobError(Exception):
    """A briefing job failed in a way that is worth retrying later."""


# --- the job -----------------------------------------------------------------------


def inbox_files(inbox: Path) -> list[InputFile]:
    """Every visible file under `inbox`, as the digest would read them."""
    from summarize.ingest.inputs import expand_inputs

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
    from summarize.digest.briefing import DigestSettings, run_digest
    from summarize.llm.engine import open_caller
    from summarize.render.files import render_html, render_markdown, write_briefing

    if schedule.email_to and smtp is None:
        raise JobError("email_to is set but the config has no [smtp] section")
    with open_caller(model=schedule.model, backend=schedule.backend, db=db) as caller:
        # The versions `summarize digest` takes for the model, unless the schedule names one.
        settings = DigestSettings.for_model(caller.backend.model, prompt=schedule.prompt, language=schedule.language)
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
        with hold_flock(job_lock_path(self.config_path, name), blocking=False) as locked:
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

    def _fetch(self, name: str, schedule: Schedule, day: date) -> None:
        """The schedule's sources into its inbox. A source that fails is
        reported, not fatal: the briefing covers what did arrive."""
        from summarize.fetch.run import fetch_named
        from summarize.fetch.sources import SourcesError, default_sources_path

        try:
            report = fetch_named(schedule.sources, schedule.inbox, db=self.db_path,
                                 sources_path=default_sources_path(self.config_path))
        except SourcesError as exc:
            self.report(f"{name} {day}: fetch: {exc}")
            return
        self.report(f"{name} {day}: fetched {report.summary()}")
        for outcome in report.outcomes:
            if outcome.outcome == "failed":
                self.report(f"{name} {day}: fetch failed: {outcome.url}: {outcome.reason}")

    def _execute(self, name: str, schedule: Schedule, smtp: SmtpSettings | None, due: Due, run: Run) -> Outcome:
        assert self._log is not None
        local = due.instant.astimezone(schedule.zone).strftime("%H:%M %Z")
        self.report(f"{name} {due.day}: due {local}, attempt {run.attempts}")
        inputs: list[InputFile] = []
        written: list[Path] = []
        try:
            if schedule.sources:
                self._fetch(name, schedule, due.day)
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
