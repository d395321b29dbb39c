"""The scheduler against a local OpenAI-compatible server: time simulated with
an injected clock and sleep, everything else real (files, SQLite, locks, HTTP)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import feedparser
import pytest
from fake_openai import FakeOpenAI
from test_deliver import PASSWORD, SmtpSink
from typer.testing import CliRunner

from summarize.cli.schedule import schedule_app
from summarize.schedule.config import Schedule, load_config, save_config
from summarize.schedule.install import crontab_block, replace_block
from summarize.schedule.runner import Scheduler
from summarize.schedule.state import Run, RunLog, may_claim
from summarize.schedule.timetable import due_after, due_at_or_before, wall_time_instant

ROOT = Path(__file__).resolve().parent.parent
UTC = timezone.utc
BERLIN = ZoneInfo("Europe/Berlin")
RUN_CLI = [sys.executable, "-m", "summarize", "schedule"]


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN).astimezone(UTC)


class FakeTime:
    """A clock that only moves when the scheduler sleeps; stops it at `end`."""

    def __init__(self, start: datetime, end: datetime | None = None):
        self.now, self.end = start, end
        self.stop = threading.Event()
        self.sleeps: list[float] = []

    def clock(self) -> datetime:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += timedelta(seconds=seconds)
        if self.end is not None and self.now >= self.end:
            self.stop.set()


@pytest.fixture
def fake(monkeypatch):
    with FakeOpenAI() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        yield server


@pytest.fixture
def home(tmp_path, monkeypatch):
    """Inbox with the seed articles (arrived long ago), config and DB paths."""
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for seed in sorted((ROOT / "seeds").iterdir()):
        shutil.copy(seed, inbox / seed.name)
        arrived(inbox / seed.name, datetime(2026, 1, 1, tzinfo=UTC))
    monkeypatch.setenv("SUMMARIZE_CONFIG", str(tmp_path / "config" / "schedules.toml"))
    monkeypatch.setenv("SUMMARIZE_DB", str(tmp_path / "state.sqlite3"))
    for name in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_STATE_HOME"):
        monkeypatch.setenv(name, str(tmp_path / "xdg" / name.lower()))
    return tmp_path


def arrived(path: Path, when: datetime) -> None:
    os.utime(path, (when.timestamp(), when.timestamp()))


def add(home: Path, name: str = "morning", *, at: str = "07:00", tz: str = "Europe/Berlin",
        created: datetime = datetime(2026, 1, 1, tzinfo=UTC), **options) -> Schedule:
    config_path = home / "config" / "schedules.toml"
    config = load_config(config_path)
    config.schedules[name] = Schedule(inbox=home / "inbox", at=at, tz=tz, out=home / "out" / name,
                                      created=created, **options)
    save_config(config_path, config)
    return config.schedules[name]


def scheduler(home: Path, time_: FakeTime, **options) -> Scheduler:
    return Scheduler(home / "config" / "schedules.toml", home / "state.sqlite3", clock=time_.clock,
                     sleep=time_.sleep, stop=time_.stop, **options)


def run_span(home: Path, start: datetime, end: datetime, poll: float = 60.0, **options):
    time_ = FakeTime(start, end)
    return scheduler(home, time_, poll=poll, **options).run(), time_


def run_rows(home: Path) -> list:
    with RunLog(home / "state.sqlite3") as log:
        return sorted(log.runs(limit=1000), key=lambda r: (r.name, r.briefing_date))


# --- time --------------------------------------------------------------------------


def test_dst_days_have_exactly_one_due_time_each():
    spring = [due_after("30 2 * * *", BERLIN, berlin(2026, 3, 27, 12))]
    autumn = [due_after("30 2 * * *", BERLIN, berlin(2026, 10, 23, 12))]
    for dues in (spring, autumn):
        for _ in range(3):
            dues.append(due_after("30 2 * * *", BERLIN, dues[-1].instant))
    # 02:30 does not exist on 29 March: it runs at the end of the gap, 03:00 CEST.
    assert [(d.day.isoformat(), d.instant.isoformat()) for d in spring] == [
        ("2026-03-28", "2026-03-28T01:30:00+00:00"), ("2026-03-29", "2026-03-29T01:00:00+00:00"),
        ("2026-03-30", "2026-03-30T00:30:00+00:00"), ("2026-03-31", "2026-03-31T00:30:00+00:00")]
    # 02:30 happens twice on 25 October: only the first counts.
    assert [(d.day.isoformat(), d.instant.isoformat()) for d in autumn] == [
        ("2026-10-24", "2026-10-24T00:30:00+00:00"), ("2026-10-25", "2026-10-25T00:30:00+00:00"),
        ("2026-10-26", "2026-10-26T01:30:00+00:00"), ("2026-10-27", "2026-10-27T01:30:00+00:00")]
    # In the repeated hour's second pass the latest due time is still the first 02:30.
    second_pass = datetime(2026, 10, 25, 1, 45, tzinfo=UTC)  # 02:45 CET
    assert due_at_or_before("30 2 * * *", BERLIN, second_pass).instant == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    assert wall_time_instant(datetime(2026, 3, 8, 0, 0), ZoneInfo("America/Havana")).hour == 5  # midnight skipped


def test_a_started_row_is_taken_over_only_when_left_by_a_crash():
    now = datetime(2026, 3, 10, 8, tzinfo=UTC)
    row = dict(id=1, name="m", briefing_date="2026-03-10", due=now.isoformat(), finished=None, status="started",
               attempts=1, articles=0, inputs=[], outputs=[], error=None, pid=1)
    here, elsewhere = socket.gethostname(), "another-host"
    # Called with the schedule's lock held: on this host nobody else is on it.
    assert may_claim(Run(**row, started=(now - timedelta(minutes=5)).isoformat(), host=here), now, force=False)
    assert not may_claim(Run(**row, started=(now - timedelta(hours=1)).isoformat(), host=elsewhere), now,
                         force=True)
    assert may_claim(Run(**row, started=(now - timedelta(hours=7)).isoformat(), host=elsewhere), now, force=False)


# --- the loop ----------------------------------------------------------------------


def test_injected_clock_passing_the_due_time_makes_exactly_one_briefing(fake, home):
    add(home, created=berlin(2026, 3, 10, 6))  # added this morning: yesterday is not caught up
    outcomes, time_ = run_span(home, berlin(2026, 3, 10, 6, 50), berlin(2026, 3, 10, 7, 30))
    assert [(o.name, o.day, o.status) for o in outcomes] == [("morning", date(2026, 3, 10), "ok")]
    assert time_.sleeps[0] == pytest.approx(60.0)  # polls, then wakes right at the due time
    out = home / "out" / "morning"
    assert sorted(p.name for p in out.iterdir()) == ["2026-03-10.html", "2026-03-10.json", "2026-03-10.md",
                                                      "feed.atom"]
    (run,) = run_rows(home)
    assert (run.status, run.attempts, run.articles, run.briefing_date) == ("ok", 1, 5, "2026-03-10")
    assert run.due == berlin(2026, 3, 10, 7).isoformat()
    assert berlin(2026, 3, 10, 7) <= datetime.fromisoformat(run.started) < berlin(2026, 3, 10, 7, 1)
    assert sorted(Path(f.path).name for f in run.inputs) == sorted(p.name for p in (ROOT / "seeds").iterdir())
    assert {Path(p).name for p in run.outputs} == {p.name for p in out.iterdir()}
    briefing = json.loads((out / "2026-03-10.json").read_text())
    assert briefing["date"] == "2026-03-10" and briefing["stories"]
    calls, mtimes = fake.calls, {p.name: p.stat().st_mtime_ns for p in out.iterdir()}

    again, _ = run_span(home, berlin(2026, 3, 10, 7, 5), berlin(2026, 3, 10, 9, 0))
    assert again == [] and fake.calls == calls
    assert {p.name: p.stat().st_mtime_ns for p in out.iterdir()} == mtimes
    assert len(run_rows(home)) == 1


def test_crash_mid_run_is_caught_up_once_at_start(fake, home):
    add(home)
    # A scheduler died while making today's briefing: its row says 'started'.
    with RunLog(home / "state.sqlite3") as log:
        due = due_at_or_before("0 7 * * *", BERLIN, berlin(2026, 3, 10, 7, 1))
        log.claim("morning", due, berlin(2026, 3, 10, 7, 0, 1))

    outcomes, _ = run_span(home, berlin(2026, 3, 10, 9, 0), berlin(2026, 3, 10, 12, 0))
    assert [(o.day, o.status) for o in outcomes] == [(date(2026, 3, 10), "ok")]
    (run,) = run_rows(home)
    assert (run.status, run.attempts, run.articles) == ("ok", 2, 5)
    assert (home / "out" / "morning" / "2026-03-10.html").is_file()


def test_downtime_over_several_due_times_catches_up_only_the_latest(fake, home):
    add(home, created=berlin(2026, 3, 10, 6))
    run_span(home, berlin(2026, 3, 10, 6, 59), berlin(2026, 3, 10, 7, 1))
    # Down from the 10th to the 13th; articles kept arriving.
    new = []
    for day in (11, 12, 13):
        path = home / "inbox" / f"late-{day}.txt"
        shutil.copy(ROOT / "seeds" / "002_26e6bf0d87fe9133.txt", path)
        path.write_text(path.read_text(encoding="utf-8") + f"\nNachtrag {day}.\n", encoding="utf-8")
        arrived(path, berlin(2026, 3, day, 5))
        new.append(path.name)

    outcomes, _ = run_span(home, berlin(2026, 3, 13, 10, 0), berlin(2026, 3, 14, 7, 30), poll=600)
    assert [(o.day, o.status) for o in outcomes] == [(date(2026, 3, 13), "ok"), (date(2026, 3, 14), "empty")]
    rows = run_rows(home)
    assert [r.briefing_date for r in rows] == ["2026-03-10", "2026-03-13", "2026-03-14"]
    assert sorted(Path(f.path).name for f in rows[1].inputs) == new  # everything since the 10th, once
    assert rows[2].articles == 0
    feed = feedparser.parse((home / "out" / "morning" / "feed.atom").read_bytes())
    assert [e.title for e in feed.entries] == ["Briefing — 2026-03-13", "Briefing — 2026-03-10"]


@pytest.mark.parametrize("start", [datetime(2026, 3, 28, 0, 0, tzinfo=UTC), datetime(2026, 10, 24, 0, 0, tzinfo=UTC)])
def test_dst_change_neither_skips_nor_doubles_a_run(fake, home, start):
    add(home, at="02:30", created=start)
    outcomes, _ = run_span(home, start, start + timedelta(days=3), poll=900)
    days = [o.day.isoformat() for o in outcomes]
    assert days == [(start.date() + timedelta(days=i)).isoformat() for i in range(3)]
    dues = {r.briefing_date: r.due for r in run_rows(home)}
    assert dues.get("2026-03-29", "2026-03-29T01:00:00+00:00") == "2026-03-29T01:00:00+00:00"
    assert dues.get("2026-10-25", "2026-10-25T00:30:00+00:00") == "2026-10-25T00:30:00+00:00"


def test_two_schedulers_race_for_the_same_briefing(monkeypatch, home):
    add(home)
    with FakeOpenAI(latency=0.05) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        start = threading.Barrier(2)
        results: list = []

        def one_scheduler():
            time_ = FakeTime(berlin(2026, 3, 10, 7, 0, 30))
            start.wait()
            results.extend(scheduler(home, time_).run(once=True))

        threads = [threading.Thread(target=one_scheduler) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    assert [o.status for o in results] == ["ok"]
    (run,) = run_rows(home)
    assert (run.status, run.attempts) == ("ok", 1)


def test_force_remakes_and_an_existing_briefing_is_respected(fake, home):
    add(home)
    at_nine = FakeTime(berlin(2026, 3, 10, 9))
    assert [o.status for o in scheduler(home, at_nine).run(once=True)] == ["ok"]
    calls = fake.calls
    assert scheduler(home, at_nine).run(once=True) == []
    assert [o.status for o in scheduler(home, at_nine).run(once=True, force=True)] == ["ok"]
    (run,) = run_rows(home)
    assert (run.attempts, run.articles) == (2, 5)  # the remake uses the same articles
    assert fake.calls == calls  # answered from the cache

    # A briefing made by hand for the next day is not made again.
    (home / "out" / "morning" / "2026-03-11.json").write_text("{}")
    outcomes = scheduler(home, FakeTime(berlin(2026, 3, 11, 8))).run(once=True)
    assert [(o.day, o.status) for o in outcomes] == [(date(2026, 3, 11), "exists")]
    assert scheduler(home, FakeTime(berlin(2026, 3, 11, 9))).run(once=True) == []


def test_a_failed_run_is_retried_later_with_the_new_articles(fake, home):
    for path in (home / "inbox").iterdir():
        path.write_bytes(b"")  # nothing readable: the run fails
        arrived(path, datetime(2026, 1, 1, tzinfo=UTC))
    add(home)
    outcomes, _ = run_span(home, berlin(2026, 3, 10, 7, 0, 5), berlin(2026, 3, 10, 7, 10))
    assert [o.status for o in outcomes] == ["failed"] and "no article" in outcomes[0].error
    shutil.copy(ROOT / "seeds" / "002_26e6bf0d87fe9133.txt", home / "inbox" / "good.txt")
    outcomes, _ = run_span(home, berlin(2026, 3, 10, 7, 10), berlin(2026, 3, 10, 8, 0))
    assert [o.status for o in outcomes] == ["ok"]
    (run,) = run_rows(home)
    assert (run.status, run.attempts, run.error) == ("ok", 2, None)


def test_mail_is_sent_and_the_password_is_stored_nowhere(fake, home, monkeypatch):
    monkeypatch.setenv("SUMMARIZE_SMTP_PASSWORD", PASSWORD)
    runner = CliRunner()
    with SmtpSink(password=PASSWORD) as sink:
        result = runner.invoke(schedule_app, ["smtp", "--host", "127.0.0.1", "--port", str(sink.controller.port),
                                              "--no-starttls", "--user", "reader", "--from", "news@example.org"])
        assert result.exit_code == 0, result.output
        add(home, email_to=["me@example.org"])
        outcomes = scheduler(home, FakeTime(berlin(2026, 3, 10, 7, 5))).run(once=True)
    assert [o.status for o in outcomes] == ["ok"]
    (message,) = sink.messages
    assert message["Subject"] == "Briefing — 2026-03-10 (morning)"
    assert [p.get_content_type() for p in message.iter_parts()] == ["text/plain", "text/html"]
    assert sink.logins == [("reader", PASSWORD)]
    for path in [*(home / "config").iterdir(), *home.glob("state.sqlite3*"), *(home / "out").rglob("*")]:
        if path.is_file():
            assert PASSWORD.encode() not in path.read_bytes(), path


# --- the command line --------------------------------------------------------------


def test_add_list_remove_and_user_errors(home):
    runner = CliRunner()
    ok = runner.invoke(schedule_app, ["add", "morning", "--inbox", str(home / "inbox"), "--at", "7:00",
                                      "--tz", "Europe/Berlin", "--out", str(home / "out"), "--format", "md"])
    assert ok.exit_code == 0, ok.output
    assert "added morning: daily at 07:00 Europe/Berlin" in ok.output
    schedule = load_config(home / "config" / "schedules.toml").schedules["morning"]
    assert (schedule.at, schedule.formats, schedule.out) == ("07:00", ["md"], (home / "out").resolve())
    listed = runner.invoke(schedule_app, ["list"])
    assert listed.exit_code == 0 and "morning" in listed.output and "never run" in listed.output
    for args, message in [(["add", "morning", "--inbox", str(home), "--at", "08:00"], "exists"),
                          (["add", "x", "--inbox", str(home), "--at", "25:00"], "HH:MM"),
                          (["add", "x", "--inbox", str(home), "--at", "07:00", "--tz", "Nowhere/City"], "time zone"),
                          (["add", "x y", "--inbox", str(home), "--at", "07:00"], "names"),
                          (["add", "x", "--inbox", str(home / "nope"), "--at", "07:00"], "not a directory"),
                          (["remove", "nope"], "no schedule"), (["install", "morning"], "--cron")]:
        result = runner.invoke(schedule_app, args)
        assert result.exit_code == 2 and message in result.output, (args, result.output)
        assert "Traceback" not in result.output
    assert runner.invoke(schedule_app, ["remove", "morning"]).exit_code == 0
    assert load_config(home / "config" / "schedules.toml").schedules == {}

    (home / "config" / "schedules.toml").write_text('[smtp]\nhost = "h"\nsender = "a@b"\npassword = "x"\n')
    result = runner.invoke(schedule_app, ["list"])
    assert result.exit_code == 2 and "never read from the config" in result.output


def test_install_prints_a_crontab_block_and_systemd_units(home):
    add(home)
    runner = CliRunner()
    cron = runner.invoke(schedule_app, ["install", "morning", "--cron"])
    assert cron.exit_code == 0, cron.output
    entries = [line for line in cron.output.splitlines() if line and not line.startswith("#")]
    assert entries and all(re.match(r"^\d+ [\d,]+ \* \* \* set -a; ", line) for line in entries)
    assert "schedule run --once --only morning --config " in entries[0]
    assert "%" not in entries[0].replace(r"\%", "")
    units = runner.invoke(schedule_app, ["install", "morning", "--systemd"])
    assert units.exit_code == 0, units.output
    assert "OnCalendar=*-*-* 07:00:00 Europe/Berlin\n" in units.output
    assert "Persistent=true" in units.output and "Type=oneshot" in units.output
    assert "ExecStart=" + sys.executable in units.output
    if shutil.which("systemd-analyze"):
        check = subprocess.run(["systemd-analyze", "calendar", "*-*-* 07:00:00 Europe/Berlin"], capture_output=True)
        assert check.returncode == 0


@pytest.mark.parametrize("at, cron_zone, expected", [
    ("07:00", "Europe/Berlin", ["0 7 * * *"]),
    ("07:00", "UTC", ["0 5,6 * * *"]),  # CEST and CET
    ("07:00", "America/New_York", ["0 1,2 * * *"]),  # the zones change on different weekends, same hours
    ("02:30", "UTC", ["0 1 * * *", "30 0,1 * * *"]),  # 02:30 on spring-forward day is 03:00 CEST
])
def test_crontab_times_follow_the_schedule_zone_in_crons_zone(at, cron_zone, expected):
    schedule = Schedule(inbox=Path("/in"), at=at, tz="Europe/Berlin", out=Path("/out"),
                        created=datetime(2026, 1, 1, tzinfo=UTC))
    block = crontab_block("m", schedule, ["summarize", "schedule", "run", "--once", "--only", "m"],
                          env_file=Path("/cfg/summarize.env"), log_file=Path("/log/m.log"),
                          cron_zone=ZoneInfo(cron_zone), start=datetime(2026, 1, 1, tzinfo=UTC))
    entries = [line for line in block.splitlines() if not line.startswith("#")]
    assert [" ".join(line.split()[:5]) for line in entries] == expected
    assert entries[0].endswith("exec summarize schedule run --once --only m >> /log/m.log 2>&1")


def test_install_write_replaces_its_own_crontab_block_and_writes_units(home, monkeypatch):
    bin_dir, table = home / "bin", home / "crontab.txt"
    bin_dir.mkdir()
    table.write_text("MAILTO=me\n5 * * * * other-job\n")
    (bin_dir / "crontab").write_text(f'#!/bin/sh\nif [ "$1" = "-l" ]; then cat {table}; else cat > {table}; fi\n')
    (bin_dir / "systemctl").write_text(f'#!/bin/sh\necho "$@" >> {home / "systemctl.log"}\n')
    for tool in bin_dir.iterdir():
        tool.chmod(0o755)
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    add(home)
    runner = CliRunner()
    for _ in range(2):
        assert runner.invoke(schedule_app, ["install", "morning", "--cron", "--write"]).exit_code == 0
    text = table.read_text()
    assert text.startswith("MAILTO=me\n5 * * * * other-job\n")
    assert text.count("# BEGIN summarize schedule morning") == 1 and text.count("--only morning") == 1
    assert replace_block(text, "morning", "") == "MAILTO=me\n5 * * * * other-job\n"
    assert (home / "xdg" / "xdg_state_home" / "summarize" / "log").is_dir()  # where the job's output goes

    result = runner.invoke(schedule_app, ["install", "morning", "--systemd", "--write"])
    assert result.exit_code == 0, result.output
    unit_dir = home / "xdg" / "xdg_config_home" / "systemd" / "user"
    assert "OnCalendar=*-*-* 07:00:00 Europe/Berlin" in (unit_dir / "summarize-morning.timer").read_text()
    assert "--only morning" in (unit_dir / "summarize-morning.service").read_text()
    assert (home / "systemctl.log").read_text().splitlines() == [
        "--user daemon-reload", "--user enable --now summarize-morning.timer"]


def test_sigterm_lets_the_running_job_finish_then_exits_0(home, tmp_path):
    now = datetime.now(UTC)
    add(home, at=f"{(now - timedelta(minutes=1)).astimezone(BERLIN):%H:%M}", created=now - timedelta(hours=1))
    with FakeOpenAI(latency=0.25) as server:
        env = {**os.environ, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-test"}
        process = subprocess.Popen([*RUN_CLI, "run", "--poll", "0.1"], env=env, stderr=subprocess.PIPE, text=True)
        try:
            deadline = time.monotonic() + 30
            while server.calls == 0 and time.monotonic() < deadline and process.poll() is None:
                time.sleep(0.05)
            assert server.calls > 0, "the job did not start"
            process.send_signal(signal.SIGTERM)
            _, stderr = process.communicate(timeout=60)
        finally:
            process.kill() if process.poll() is None else None
    assert process.returncode == 0, stderr
    assert "SIGTERM: stopping after the current job" in stderr and "scheduler stopped" in stderr
    assert "Traceback" not in stderr
    (run,) = run_rows(home)
    assert run.status == "ok" and run.articles == 5


def test_ctrl_c_while_waiting_exits_0_at_once(home):
    add(home, at="07:00", created=datetime.now(UTC))  # nothing due before tomorrow
    process = subprocess.Popen([*RUN_CLI, "run", "--poll", "30"], stderr=subprocess.PIPE, text=True)
    try:
        assert "scheduler started" in process.stderr.readline()
        began = time.monotonic()
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=20)
    finally:
        process.kill() if process.poll() is None else None
    assert process.returncode == 0 and time.monotonic() - began < 5, stderr
    assert "SIGINT: stopping" in stderr and "Traceback" not in stderr


def test_two_processes_make_one_briefing(home):
    now = datetime.now(UTC)
    add(home, at=f"{(now - timedelta(minutes=1)).astimezone(BERLIN):%H:%M}", created=now - timedelta(hours=1))
    with FakeOpenAI(latency=0.05) as server:
        env = {**os.environ, "OPENAI_BASE_URL": server.base_url, "OPENAI_API_KEY": "sk-test"}
        processes = [subprocess.Popen([*RUN_CLI, "run", "--once"], env=env, stderr=subprocess.PIPE, text=True)
                     for _ in range(2)]
        results = [(p.wait(timeout=90), p.stderr.read()) for p in processes]
    assert [code for code, _ in results] == [0, 0], results
    (run,) = run_rows(home)
    assert (run.status, run.attempts) == ("ok", 1)
    assert len(list((home / "out" / "morning").glob("*.json"))) == 1
    with sqlite3.connect(home / "state.sqlite3") as db:
        assert db.execute("SELECT COUNT(*) FROM schedule_runs").fetchone() == (1,)
