"""Installing a schedule into cron or a systemd user timer: the command it
runs, the crontab block and the unit files, written in place."""

from __future__ import annotations

import contextlib
import re
import shlex
import shutil
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import platformdirs

from summarize.atomic import write_atomic
from summarize.schedule.config import Schedule
from summarize.schedule.timetable import due_after


class InstallError(Exception):
    """Installing failed; `code` is the exit code the command should end with."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code

def run_command(name: str, config_path: Path, db_path: Path) -> list[str]:
    return [sys.executable, "-m", "summarize", "schedule", "run", "--once", "--only", name,
            "--config", str(config_path), "--db", str(db_path)]


def system_zone() -> ZoneInfo:
    """The zone cron itself runs in: the system's, whatever TZ this shell has."""
    localtime = Path("/etc/localtime")
    key = localtime.resolve().as_posix().partition("zoneinfo/")[2]
    with contextlib.suppress(ZoneInfoNotFoundError, ValueError, OSError):
        if key:
            return ZoneInfo(key)
        with localtime.open("rb") as handle:
            return ZoneInfo.from_file(handle, key="the system's zone")
    return ZoneInfo("UTC")


def cron_times(schedule: Schedule, cron_zone: ZoneInfo, start: datetime) -> dict[int, list[int]]:
    """The schedule's due times over a year, as cron (minute → hours) in the
    zone cron runs in. Where the two zones' offsets differ with the season
    there are several; the job then starts at each and makes the briefing once."""
    times: dict[int, set[int]] = {}
    moment = start
    for _ in range(366):
        moment = due_after(schedule.cron, schedule.zone, moment).instant
        local = moment.astimezone(cron_zone)
        times.setdefault(local.minute, set()).add(local.hour)
    return {minute: sorted(hours) for minute, hours in sorted(times.items())}


def crontab_block(name: str, schedule: Schedule, command: list[str], *, env_file: Path, log_file: Path,
                  cron_zone: ZoneInfo, start: datetime) -> str:
    """Lines for `crontab -e`, between markers so --write can replace them."""
    # cron turns % into a newline; the shell sees the rest.
    shell = (f"set -a; [ -r {shlex.quote(str(env_file))} ] && . {shlex.quote(str(env_file))}; set +a; "
             f"exec {shlex.join(command)} >> {shlex.quote(str(log_file))} 2>&1").replace("%", r"\%")
    times = cron_times(schedule, cron_zone, start)
    lines = [f"# BEGIN summarize schedule {name}", f"# daily at {schedule.at} {schedule.tz}"]
    if len(times) > 1 or any(len(hours) > 1 for hours in times.values()):
        lines.append(f"# (in cron's zone, {cron_zone.key}, that time moves with daylight saving: cron starts "
                     f"the job at each candidate and the job makes the briefing once, on time)")
    lines += [f"{minute} {','.join(map(str, hours))} * * * {shell}" for minute, hours in times.items()]
    lines.append(f"# END summarize schedule {name}")
    return "\n".join(lines) + "\n"


def replace_block(crontab: str, name: str, block: str) -> str:
    pattern = re.compile(rf"^# BEGIN summarize schedule {re.escape(name)}\n.*?^# END summarize schedule "
                         rf"{re.escape(name)}\n?", re.M | re.S)
    kept = pattern.sub("", crontab)
    return (kept.rstrip("\n") + "\n" if kept.strip() else "") + block


def _systemd_quote(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace('"', '\\"').replace("%", "%%").replace("$", "$$")
    return f'"{escaped}"' if re.search(r'[\s"\'\\;$%]', word) or not word else escaped


def systemd_units(name: str, schedule: Schedule, command: list[str], *, env_file: Path) -> dict[str, str]:
    """A oneshot service and its timer, for `systemctl --user`."""
    unit = f"summarize-{name}"
    service = (f"[Unit]\nDescription=summarize briefing {name}\n\n"
               f"[Service]\nType=oneshot\nEnvironmentFile=-{env_file}\n"
               f"ExecStart={' '.join(_systemd_quote(w) for w in command)}\n")
    timer = (f"[Unit]\nDescription=summarize briefing {name}, daily at {schedule.at} {schedule.tz}\n\n"
             f"[Timer]\nOnCalendar=*-*-* {schedule.at}:00 {schedule.tz}\nPersistent=true\nAccuracySec=1s\n"
             f"Unit={unit}.service\n\n[Install]\nWantedBy=timers.target\n")
    return {f"{unit}.service": service, f"{unit}.timer": timer}


def job_log_file(name: str) -> Path:
    """Where cron appends the job's output; the folder is made here."""
    log_dir = Path(platformdirs.user_log_dir("summarize"))
    log_dir.mkdir(parents=True, exist_ok=True)
    return log_dir / f"{name}.log"


def write_crontab(block: str, name: str) -> None:
    """Replace this schedule's block in the user's crontab."""
    if shutil.which("crontab") is None:
        raise InstallError("crontab is not installed; print the lines without --write and add them to your cron")
    current = subprocess.run(["crontab", "-l"], capture_output=True, text=True)
    existing = current.stdout if current.returncode == 0 else ""
    result = subprocess.run(["crontab", "-"], input=replace_block(existing, name, block), capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise InstallError(f"crontab refused the new table: {result.stderr.strip()}", 1)
    print("installed in your crontab (see it with crontab -l)")


def write_systemd(units: dict[str, str], name: str) -> None:
    """Write the units and enable the timer, or say how to when systemctl is missing."""
    unit_dir = Path(platformdirs.user_config_dir("systemd")) / "user"
    unit_dir.mkdir(parents=True, exist_ok=True)
    for file_name, text in units.items():
        write_atomic(unit_dir / file_name, text)
        print(f"wrote {unit_dir / file_name}")
    steps = [["systemctl", "--user", "daemon-reload"],
             ["systemctl", "--user", "enable", "--now", f"summarize-{name}.timer"]]
    if shutil.which("systemctl") is None:
        print("enable it with:\n  " + "\n  ".join(shlex.join(step) for step in steps))
        return
    for step in steps:
        result = subprocess.run(step, capture_output=True, text=True)
        if result.returncode != 0:
            raise InstallError(f"{shlex.join(step)} failed: {result.stderr.strip() or result.returncode}; "
                               f"the units are written, enable them by hand", 1)
    print(f"enabled summarize-{name}.timer (see it with systemctl --user list-timers)")
