"""`summarize fetch` and `summarize sources …`: parse, call summarize.fetch, print."""

from __future__ import annotations

import json
import threading
from datetime import date
from pathlib import Path
from typing import List, NoReturn, Optional

import typer
from pydantic import ValidationError

from summarize.cli import console
from summarize.fetch.run import Outcome, fetch_named
from summarize.fetch.sources import (
    SourcesError,
    add_source,
    default_sources_path,
    load_sources,
    remove_source,
)
from summarize.store import default_db_path

sources_app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False,
                          help="Saved feeds, sitemaps and pages for `summarize fetch` and schedules.")
SourcesFileOption = typer.Option(None, "--sources-file", help="Sources file (default: SUMMARIZE_SOURCES, or "
                                                             "sources.toml beside the schedules file).")


def _fail(message: str, code: int = 2) -> NoReturn:
    console.stderr.print(f"summarize: {message}", markup=False)
    raise typer.Exit(code)


def _line(outcome: Outcome) -> str:
    where = f" → {outcome.path}" if outcome.path else ""
    why = f": {outcome.reason}" if outcome.reason else ""
    return f"{outcome.outcome:<9} {outcome.url}{why}{where}"


def fetch_command(
        sources: List[str] = typer.Argument(..., help="Feed, sitemap or article URLs, or names of saved sources."),
        inbox: Path = typer.Option(..., "--inbox", help="Directory the articles are saved into (one .html each)."),
        since: Optional[str] = typer.Option(None, "--since", help="Skip items dated before this day (YYYY-MM-DD)."),
        max_items: Optional[int] = typer.Option(None, "--max", min=1, help="New articles per source and run "
                                                                           "(default: 50, or the sources file's)."),
        as_json: bool = typer.Option(False, "--json", help="One JSON object per source and item per line."),
        allow_private: bool = typer.Option(False, "--allow-private", help="Let the sources named here be on a "
                                           "loopback or private address (never the hosts they link to)."),
        contact: Optional[str] = typer.Option(None, "--contact", help="E-mail or URL for the User-Agent "
                                                                     "(default: SUMMARIZE_CONTACT or the sources file)."),
        delay: Optional[float] = typer.Option(None, "--delay", min=0, help="Seconds between requests to one host "
                                                                           "(default: 1)."),
        timeout: Optional[float] = typer.Option(None, "--timeout", min=0.1, help="Seconds to wait for a server "
                                                                                 "(default: 20)."),
        verbose: bool = typer.Option(False, "--verbose", "-v", help="Also list the skipped items."),
        db: Optional[Path] = typer.Option(None, "--db", help="SQLite file for what was fetched "
                                                            "(default: SUMMARIZE_DB or the user data dir)."),
        sources_file: Optional[Path] = SourcesFileOption) -> None:
    """Fetch new articles from feeds, sitemaps and pages into an inbox directory."""
    day = None
    if since is not None:
        try:
            day = date.fromisoformat(since)
        except ValueError:
            _fail(f"--since expects YYYY-MM-DD, got {since!r}")
    lock = threading.Lock()

    def show(outcome: Outcome) -> None:
        with lock:
            if as_json:
                print(outcome.to_json(), flush=True)
            elif verbose or outcome.outcome != "skipped" or outcome.kind == "source":
                print(_line(outcome), flush=True)

    try:
        report = fetch_named(sources, inbox, db=db or default_db_path(), sources_path=sources_file or
                             default_sources_path(), since=day, max_items=max_items, allow_private=allow_private,
                             overrides={"contact": contact, "delay": delay, "timeout": timeout}, on_outcome=show)
    except SourcesError as exc:
        _fail(str(exc))
    except ValidationError as exc:
        _fail(str(exc).splitlines()[0])
    console.stderr.print(f"fetched {report.summary()}", markup=False)
    raise typer.Exit(1 if report.failed else 0)


@sources_app.command("add")
def add(name: str = typer.Argument(..., help="A name: letters, digits, ., - and _."),
        url: str = typer.Argument(..., help="Feed, sitemap or article URL (http or https)."),
        allow_private: bool = typer.Option(False, "--allow-private", help="This source's host may be on a "
                                                                         "loopback or private address."),
        auth_env: Optional[str] = typer.Option(None, "--auth-env", help="Environment variable holding "
                                                                       "user:password for this source."),
        replace: bool = typer.Option(False, "--replace", help="Overwrite a source of the same name."),
        sources_file: Optional[Path] = SourcesFileOption) -> None:
    """Save a source under a name."""
    path = sources_file or default_sources_path()
    try:
        add_source(path, name, url, allow_private=allow_private, auth_env=auth_env, replace=replace)
    except SourcesError as exc:
        _fail(str(exc))
    print(f"added {name}: {url}{' (private address allowed)' if allow_private else ''}\n  sources {path}")


@sources_app.command("list")
def list_sources(as_json: bool = typer.Option(False, "--json", help="As one JSON object."),
                 sources_file: Optional[Path] = SourcesFileOption) -> None:
    """The saved sources."""
    path = sources_file or default_sources_path()
    try:
        saved = load_sources(path)
    except SourcesError as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps({n: s.model_dump(exclude_none=True) for n, s in saved.sources.items()}, indent=2))
        return
    if not saved.sources:
        print(f"no sources in {path}; add one with: summarize sources add NAME URL")
    for name, source in saved.sources.items():
        notes = [n for n, on in (("private address allowed", source.allow_private),
                                 (f"credentials from ${source.auth_env}", source.auth_env)) if on]
        print(f"{name:<20} {source.url}{'  (' + ', '.join(notes) + ')' if notes else ''}")


@sources_app.command("remove")
def remove(name: str = typer.Argument(...), sources_file: Optional[Path] = SourcesFileOption) -> None:
    """Delete a saved source. What it fetched stays in the inbox."""
    path = sources_file or default_sources_path()
    try:
        remove_source(path, name)
    except SourcesError as exc:
        _fail(str(exc))
    print(f"removed {name}")
