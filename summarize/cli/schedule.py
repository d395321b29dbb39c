"""`summarize schedule …`: parse, call the summarize.schedule.runner* modules, print.

The install section only renders text: a crontab block and systemd units that
call `schedule run --once` for one schedule. That command is idempotent and
does its own due-time arithmetic, so a system scheduler firing late, twice,
or after the machine was off still yields one briefing per date.
"""

from __future__ import annotations

import sys
import threading
from datetime import datetime
from pathlib import Path
from typing import List, NoReturn, Optional

import platformdirs
import typer
from pydantic import ValidationError

from summarize.cli import console
from summarize.schedule.config import (
    ConfigError,
    Schedule,
    check_name,
    default_config_path,
    editing_config,
    load_config,
    local_zone_name,
    validation_message,
)
from summarize.schedule.deliver import DEFAULT_PASSWORD_ENV, SmtpSettings
from summarize.schedule.install import (
    InstallError,
    crontab_block,
    job_log_file,
    run_command,
    system_zone,
    systemd_units,
    write_crontab,
    write_systemd,
)
from summarize.schedule.runner import Scheduler, stop_on_signals
from summarize.schedule.state import RunLog
from summarize.schedule.timetable import due_after, utc_now
from summarize.store import default_db_path

schedule_app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                           help="Make the briefing every day at a set time.")

ConfigOption = typer.Option(None, "--config", help="Schedules file (default: SUMMARIZE_CONFIG or the user "
                                                   "config directory's summarize/schedules.toml).")
DbOption = typer.Option(None, "--db", help="SQLite file for the cache and the run log "
                                           "(default: SUMMARIZE_DB or the user data dir).")
ENV_FILE_NAME = "summarize.env"


def _fail(message: str, code: int = 2) -> NoReturn:
    console.stderr.print(f"summarize: {message}", markup=False)
    raise typer.Exit(code)


def _say(message: str) -> None:
    console.stderr.print(f"{datetime.now().astimezone():%Y-%m-%d %H:%M:%S %Z} {message}", markup=False)


def _paths(config: Optional[Path], db: Optional[Path] = None) -> tuple[Path, Path]:
    return (config or default_config_path()).absolute(), (db or default_db_path()).absolute()


def _local(moment: datetime, schedule: Schedule) -> str:
    return f"{moment.astimezone(schedule.zone):%Y-%m-%d %H:%M %Z}"


@schedule_app.command("add")
def add(name: str = typer.Argument(..., help="A name for the schedule: letters, digits, - and _."),
        inbox: Path = typer.Option(..., "--inbox", help="Directory the scraper drops articles into."),
        at: str = typer.Option(..., "--at", help="Local time of the daily briefing, HH:MM."),
        tz: Optional[str] = typer.Option(None, "--tz", help="IANA time zone, e.g. Europe/Berlin "
                                                           "[default: the system's]."),
        out: Optional[Path] = typer.Option(None, "--out", help="Directory for briefings and feed.atom "
                                                              "[default: the user data dir's briefings/NAME]."),
        formats: str = typer.Option("md,html,json", "--format", help="Comma-separated: md, html, json "
                                                                     "(json is always written too: the feed needs it)."),
        prompt: Optional[str] = typer.Option(None, "--prompt", help="TLDR prompt version."),
        language: Optional[str] = typer.Option(None, "--language", help="Write TLDRs in this language."),
        model: Optional[str] = typer.Option(None, "--model", help="Model name."),
        backend: str = typer.Option("auto", "--backend", help="auto, embedded or openai."),
        email_to: Optional[List[str]] = typer.Option(None, "--email-to", help="Mail the briefing here "
                                                                            "(repeat or comma-separate)."),
        feed_url: Optional[str] = typer.Option(None, "--feed-url", help="URL where --out is served, "
                                                                       "for the links in feed.atom."),
        sources: Optional[List[str]] = typer.Option(None, "--source", help="A saved source (summarize sources "
                                                    "add) to fetch into the inbox before each briefing; repeat."),
        replace: bool = typer.Option(False, "--replace", help="Overwrite a schedule of the same name."),
        config: Optional[Path] = ConfigOption) -> None:
    """Add a daily schedule (or change one with --replace)."""
    from summarize.llm.prompts import PromptError, load_prompt

    config_path, _ = _paths(config)
    if not inbox.is_dir():
        _fail(f"--inbox {inbox} is not a directory")
    recipients = [a.strip() for value in email_to or [] for a in value.split(",") if a.strip()]
    source_names = list(dict.fromkeys(n.strip() for value in sources or [] for n in value.split(",") if n.strip()))
    if source_names:
        from summarize.fetch.sources import (
            SourcesError,
            default_sources_path,
            load_sources,
        )

        try:
            saved = load_sources(default_sources_path(config_path)).sources
        except SourcesError as exc:
            _fail(str(exc))
        unknown = [n for n in source_names if n not in saved]
        if unknown:
            _fail(f"no saved source named {unknown[0]!r}; add it first: summarize sources add {unknown[0]} URL")
    if any("@" not in a for a in recipients):
        _fail(f"--email-to expects e-mail addresses, got {', '.join(recipients)}")
    try:
        check_name(name)
        if prompt:
            load_prompt(prompt)
        out_dir = out or Path(platformdirs.user_data_dir("summarize")) / "briefings" / name
        with editing_config(config_path) as cfg:
            old = cfg.schedules.get(name)
            if old and not replace:
                _fail(f"a schedule named {name!r} exists; use --replace to change it")
            schedule = Schedule(inbox=inbox.resolve(), at=at, tz=tz or local_zone_name(), out=out_dir.resolve(),
                                formats=[f.strip() for f in formats.split(",") if f.strip()], prompt=prompt,
                                language=language, model=model, backend=backend, email_to=recipients,
                                feed_url=feed_url, sources=source_names, created=old.created if old else utc_now())
            clash = [n for n, s in cfg.schedules.items() if n != name and s.out == schedule.out]
            if clash:
                _fail(f"{schedule.out} is already the output of {clash[0]!r}; give each schedule its own --out")
            cfg.schedules[name] = schedule
            smtp_missing = bool(recipients) and cfg.smtp is None
    except ValidationError as exc:
        _fail(validation_message(exc))
    except (ConfigError, PromptError, ValueError) as exc:
        _fail(str(exc))
    next_due = due_after(schedule.cron, schedule.zone, utc_now())
    print(f"{'changed' if old else 'added'} {name}: daily at {schedule.at} {schedule.tz}, "
          f"next {_local(next_due.instant, schedule)}")
    fetched = f"\n  fetches {', '.join(schedule.sources)} into the inbox first" if schedule.sources else ""
    print(f"  articles from {schedule.inbox}{fetched}\n  briefings to {schedule.out}\n  config {config_path}")
    if smtp_missing:
        print("  set the mail server before then: summarize schedule smtp --host … --from …")


@schedule_app.command("list")
def list_schedules(config: Optional[Path] = ConfigOption, db: Optional[Path] = DbOption) -> None:
    """The schedules, their next time and their last run."""
    config_path, db_path = _paths(config, db)
    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        _fail(str(exc))
    if not cfg.schedules:
        print(f"no schedules in {config_path}; add one with: summarize schedule add NAME --inbox DIR --at 07:00")
        return
    now = utc_now()
    with RunLog(db_path) as log:
        for name, s in cfg.schedules.items():
            last = log.runs(name, limit=1)
            last_text = f"{last[0].briefing_date} {last[0].status}" if last else "never run"
            mail = f"  mail to {', '.join(s.email_to)}" if s.email_to else ""
            mail += f"  fetches {', '.join(s.sources)}" if s.sources else ""
            print(f"{name:<16} {s.at} {s.tz:<20} next {_local(due_after(s.cron, s.zone, now).instant, s)}"
                  f"   last {last_text}\n{'':<16} {s.inbox} → {s.out}{mail}")


@schedule_app.command("remove")
def remove(name: str = typer.Argument(...), config: Optional[Path] = ConfigOption) -> None:
    """Delete a schedule. Its briefings and run log stay."""
    config_path, _ = _paths(config)
    try:
        with editing_config(config_path) as cfg:
            if cfg.schedules.pop(name, None) is None:
                _fail(f"no schedule named {name!r} in {config_path}")
    except ConfigError as exc:
        _fail(str(exc))
    print(f"removed {name}; a crontab line or systemd timer installed for it stays until you remove it")


@schedule_app.command("run")
def run(once: bool = typer.Option(False, "--once", help="Make what is due now (or was missed), then exit."),
        force: bool = typer.Option(False, "--force", help="Remake the most recent briefing even if it exists."),
        only: Optional[str] = typer.Option(None, "--only", help="Only this schedule."),
        poll: float = typer.Option(30.0, "--poll", min=0.05, help="Seconds between checks of the config "
                                                                  "and of failed runs."),
        config: Optional[Path] = ConfigOption, db: Optional[Path] = DbOption) -> None:
    """The scheduler: runs in the foreground until Ctrl-C or SIGTERM."""
    config_path, db_path = _paths(config, db)
    stop = threading.Event()
    scheduler = Scheduler(config_path, db_path, stop=stop, poll=poll, only=only, report=_say)
    try:
        with stop_on_signals(stop, _say):
            if not once:
                _say(f"scheduler started: {config_path}, state in {db_path}")
                _say_next(scheduler.selected(load_config(config_path)))
            outcomes = scheduler.run(once=once, force=force)
            if once and not outcomes:
                _say_next(scheduler.selected(load_config(config_path)), "nothing due")
    except ConfigError as exc:
        _fail(str(exc))
    if not once:
        _say("scheduler stopped")
    raise typer.Exit(1 if any(o.status == "failed" for o in outcomes) else 0)


def _say_next(schedules: dict[str, Schedule], prefix: str = "") -> None:
    now = utc_now()
    upcoming = [f"{name} {_local(due_after(s.cron, s.zone, now).instant, s)}" for name, s in schedules.items()]
    _say(f"{prefix + '; ' if prefix else ''}next: {', '.join(upcoming) or 'no schedule yet'}")


@schedule_app.command("runs")
def runs(name: Optional[str] = typer.Argument(None), limit: int = typer.Option(20, "--limit"),
         db: Optional[Path] = DbOption) -> None:
    """The run log: one line per schedule and briefing date."""
    _, db_path = _paths(None, db)
    with RunLog(db_path) as log:
        for r in log.runs(name, limit):
            took = (f"{(datetime.fromisoformat(r.finished) - datetime.fromisoformat(r.started)).total_seconds():.1f}s"
                    if r.finished else "-")
            print(f"{r.name:<16} {r.briefing_date} {r.status:<8} attempts {r.attempts}  articles {r.articles:<4}"
                  f" {took:>7}  {r.error or ', '.join(Path(p).name for p in r.outputs)}")


@schedule_app.command("smtp")
def smtp(host: Optional[str] = typer.Option(None, "--host"), port: int = typer.Option(587, "--port"),
         user: Optional[str] = typer.Option(None, "--user", help="Login name; the password comes from "
                                                                "the environment variable --password-env."),
         sender: Optional[str] = typer.Option(None, "--from", help="Sender address [default: --user]."),
         starttls: bool = typer.Option(True, "--starttls/--no-starttls", help="Upgrade to TLS with STARTTLS."),
         use_ssl: bool = typer.Option(False, "--ssl", help="TLS from the start (port 465) instead of STARTTLS."),
         password_env: str = typer.Option(DEFAULT_PASSWORD_ENV, "--password-env"),
         cafile: Optional[Path] = typer.Option(None, "--cafile", help="CA bundle for a private server."),
         config: Optional[Path] = ConfigOption) -> None:
    """Set the mail server used for --email-to (without --host: show it)."""
    config_path, _ = _paths(config)
    try:
        if host is None:
            current = load_config(config_path).smtp
            print(current.model_dump_json(indent=2) if current else "no mail server set")
            return
        if not (sender or user):
            _fail("--from (or --user) is needed as the sender address")
        settings = SmtpSettings(host=host, port=port, user=user, sender=sender or user, starttls=starttls,
                                ssl=use_ssl, password_env=password_env,
                                cafile=str(cafile.resolve()) if cafile else None)
        with editing_config(config_path) as cfg:
            cfg.smtp = settings
    except ValidationError as exc:
        _fail(validation_message(exc))
    except ConfigError as exc:
        _fail(str(exc))
    print(f"mail via {host}:{port}{' (STARTTLS)' if starttls and not use_ssl else ' (TLS)' if use_ssl else ''}"
          + (f" as {user}; export the password in ${password_env}" if user else ""))


# --- install: crontab and systemd --------------------------------------------------


@schedule_app.command("install")
def install(name: str = typer.Argument(...),
            cron: bool = typer.Option(False, "--cron", help="A crontab entry."),
            systemd: bool = typer.Option(False, "--systemd", help="A systemd user service and timer."),
            write: bool = typer.Option(False, "--write", help="Install it for this user instead of printing it."),
            config: Optional[Path] = ConfigOption, db: Optional[Path] = DbOption) -> None:
    """Let cron or systemd run the schedule instead of `schedule run`."""
    if cron == systemd:
        _fail("choose one of --cron and --systemd")
    config_path, db_path = _paths(config, db)
    try:
        cfg = load_config(config_path)
    except ConfigError as exc:
        _fail(str(exc))
    schedule = cfg.schedules.get(name)
    if schedule is None:
        _fail(f"no schedule named {name!r} in {config_path}")
    command = run_command(name, config_path, db_path)
    env_file = config_path.parent / ENV_FILE_NAME
    try:
        if cron:
            block = crontab_block(name, schedule, command, env_file=env_file, log_file=job_log_file(name),
                                  cron_zone=system_zone(), start=utc_now())
            write_crontab(block, name) if write else print(block, end="")
        else:
            units = systemd_units(name, schedule, command, env_file=env_file)
            if write:
                write_systemd(units, name)
            else:
                for file_name, text in units.items():
                    print(f"# {file_name}\n{text}")
    except InstallError as exc:
        _fail(str(exc), exc.code)
    secrets = ["OPENAI_API_KEY", *([cfg.smtp.password_env] if cfg.smtp and cfg.smtp.user else [])]
    print(f"# the job reads {', '.join(secrets)} and the like from {env_file} (KEY=value lines, chmod 600)",
          file=sys.stderr)
