"""Command line: parses arguments, calls the pipeline, prints. No logic here."""

from __future__ import annotations

import logging
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from typing import List, Optional

import typer

from summarize import __version__
from summarize.clean.cleaner import clean_paths
from summarize.cli import console
from summarize.cli.fetch import fetch_command, sources_app
from summarize.cli.heap import keep_large_blocks_mapped
from summarize.cli.schedule import schedule_app
from summarize.llm.backend import LLMError
from summarize.llm.calls import AnswerError
from summarize.llm.engine import BackendChoice
from summarize.llm.prompts import PromptError, diff_prompts, list_prompts, load_prompt
from summarize.store import Store, default_db_path

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Turn scraped news pages into a grounded daily briefing.")
prompts_app = typer.Typer(no_args_is_help=True, help="List, show and compare the versioned prompts.")
app.add_typer(prompts_app, name="prompts")
app.add_typer(schedule_app, name="schedule")
app.add_typer(sources_app, name="sources")
app.command("fetch")(fetch_command)

MB = 1_000_000
Paths = typer.Argument(..., help="Files, directories, globs, or - for stdin.")
MaxSize = typer.Option(5.0, "--max-size", help="Reject inputs larger than this many MB.")
Today = typer.Option(None, "--today", help="Reference date for relative dates (YYYY-MM-DD).")
AsJson = typer.Option(False, "--json", help="One JSON object per article per line.")
Model = typer.Option(None, "--model", help="Model name (default: SUMMARIZE_MODEL, or the backend's default).")
Backend = typer.Option("auto", "--backend", help="auto, embedded or openai (any OpenAI-compatible server).")
Db = typer.Option(None, "--db", help="SQLite file for the cache and call log (default: SUMMARIZE_DB or the user data dir).")
NoCache = typer.Option(False, "--no-cache", help="Call the model even when an answer is cached.")
Concurrency = typer.Option(4, "--concurrency", min=1, max=64, help="LLM calls in flight at once.")
Quiet = typer.Option(False, "--quiet", "-q", help="No progress bar.")
Batch = typer.Option(False, "--batch", help="Send the calls as OpenAI Batch API jobs: half the price, answers "
                     "within 24 hours; a stopped run picks up its job when started again.")
Reask = typer.Option("batch", "--reask", help="With --batch: ask a rejected or failed request again in a "
                     "follow-up job (batch) or at once (live).")


def fail(message: str, code: int = 2) -> None:
    console.stderr.print(f"summarize: {message}", markup=False)
    raise typer.Exit(code)


def parse_day(value: Optional[str], option: str) -> Optional[date]:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} expects YYYY-MM-DD, got {value!r}")


def report_failures(items) -> None:
    for item in items:
        if not item.ok:
            console.stderr.print(console.error_line(item.path, item.error or "failed"), markup=False)


@app.command()
def clean(paths: List[str] = Paths, as_json: bool = AsJson, max_size: float = MaxSize,
          today: Optional[str] = Today) -> None:
    """Clean raw page dumps and HTML: body text and metadata."""
    articles = clean_paths(paths, max_bytes=int(max_size * MB), today=parse_day(today, "--today"))
    for article in articles:
        print(article.model_dump_json() if as_json else console.cleaned_block(article), flush=True)
    report_failures(articles)
    raise typer.Exit(0 if all(a.ok for a in articles) else 1)


def _choice(model: Optional[str], backend: str, db: Optional[Path], no_cache: bool,
            batch: bool = False) -> BackendChoice:
    if batch and backend not in ("auto", "openai", "batch"):
        fail(f"--batch talks to an OpenAI-compatible server, not to --backend {backend}")
    return BackendChoice(model=model, backend="batch" if batch else backend, db=db, use_cache=not no_cache)


@contextmanager
def _batch_run(batch: bool, reask: str):
    """The shared state of a --batch run's passes, with its progress on stderr."""
    if not batch:
        yield None
        return
    from summarize.llm.batch import batch_run, log

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("summarize: %(message)s"))
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        with batch_run(reask) as run:
            yield run
    finally:
        log.removeHandler(handler)


@app.command()
def tldr(paths: List[str] = Paths, as_json: bool = AsJson, prompt: str = typer.Option(None, "--prompt",
         help="Prompt version, e.g. tldr@v2 (default: the shipped default)."),
         language: Optional[str] = typer.Option(None, "--language", help="Write TLDRs in this language (de, en, …)."),
         model: Optional[str] = Model, backend: str = Backend, db: Optional[Path] = Db, no_cache: bool = NoCache,
         concurrency: int = Concurrency, quiet: bool = Quiet, max_size: float = MaxSize,
         today: Optional[str] = Today, batch: bool = Batch, reask: str = Reask) -> None:
    """Clean each article and ask the model for a grounded TLDR and entities."""
    from summarize.tldr.run import tldr_paths

    choice = _choice(model, backend, db, no_cache, batch)
    with _batch_run(batch, reask) as run:
        def once():
            return tldr_paths(paths, choice, lambda total: console.progress(total, "summarizing", quiet or batch),
                              prompt=prompt, language=language, concurrency=concurrency,
                              max_bytes=int(max_size * MB), today=parse_day(today, "--today"))

        summaries = run.settle(once) if run else once()
    for summary in summaries:
        print(summary.model_dump_json() if as_json else console.summary_block(summary), flush=True)
    report_failures(summaries)
    raise typer.Exit(0 if all(s.ok for s in summaries) else 1)


@app.command()
def digest(paths: List[str] = Paths,
           day: Optional[str] = typer.Option(None, "--date", help="Only articles of this day (YYYY-MM-DD)."),
           out: Optional[Path] = typer.Option(None, "--out", help="Directory for the briefing files "
                                              "[default: ./briefings/, and the Markdown also goes to stdout]."),
           formats: str = typer.Option("md,html,json", "--format", help="Comma-separated: md, html, json."),
           window: int = typer.Option(1, "--window", min=0, help="Days apart that still count as one event."),
           prompt: str = typer.Option(None, "--prompt", help="TLDR prompt version (default: the shipped default)."),
           story_prompt: Optional[str] = typer.Option(None, "--story-prompt",
                                                      help="Prompt version for merged stories (default: the shipped default)."),
           language: Optional[str] = typer.Option(None, "--language", help="Write every headline, TLDR and merged "
                                                  "story in this language [default: the language most articles are in]."),
           model: Optional[str] = Model, backend: str = Backend, db: Optional[Path] = Db, no_cache: bool = NoCache,
           concurrency: int = Concurrency, quiet: bool = Quiet, max_size: float = MaxSize,
           today: Optional[str] = Today, batch: bool = Batch, reask: str = Reask) -> None:
    """The daily briefing: stories across outlets in Markdown, HTML and JSON."""
    from summarize.render.files import parse_formats, render_markdown
    from summarize.render.run import digest_paths

    try:
        chosen = parse_formats(formats)
    except ValueError as exc:
        fail(str(exc))
    choice = _choice(model, backend, db, no_cache, batch)
    with _batch_run(batch, reask):
        run = digest_paths(paths, choice, lambda total: console.progress(total, "summarizing", quiet or batch),
                           out_dir=out or Path("briefings"), formats=chosen, prompt=prompt,
                           story_prompt=story_prompt, language=language, day=parse_day(day, "--date"),
                           window_days=window, concurrency=concurrency, max_bytes=int(max_size * MB),
                           today=parse_day(today, "--today"))
    briefing = run.briefing
    if out is None:
        print(render_markdown(briefing), flush=True)
    for path in run.written:
        console.stderr.print(f"wrote {path}", markup=False)
    if briefing.ignored:
        console.stderr.print(f"{briefing.ignored} article(s) outside {day} ignored", markup=False)
    for failure in briefing.not_summarized:
        console.stderr.print(console.error_line(failure.path, failure.error), markup=False)
    raise typer.Exit(1 if briefing.not_summarized else 0)


@app.command("eval")
def eval_command(
        prompts: List[str] = typer.Option(None, "--prompt", help="Prompt version to evaluate (repeatable; default: every tldr version)."),
        dataset: Optional[Path] = typer.Option(None, "--dataset", help="Gold JSONL [default: evals/gold.jsonl]."),
        split: str = typer.Option("all", "--split", help="all, tuned (what the pipeline was built on), "
                                  "dev (real pages to tune on) or test (real pages kept for judging)."),
        replay: bool = typer.Option(False, "--replay", help="Answers from evals/recordings only (the default)."),
        record: bool = typer.Option(False, "--record", help="Call the model and store its answers as recordings."),
        live: bool = typer.Option(False, "--live", help="Call the model, store nothing."),
        recordings_dir: Optional[Path] = typer.Option(None, "--recordings", help="Recordings directory [default: evals/recordings]."),
        as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
        report: Optional[Path] = typer.Option(None, "--report", help="Write eval.json and eval.html with charts here."),
        baseline: Optional[str] = typer.Option(None, "--baseline", help="Fail when a candidate is worse than this version."),
        max_drop: float = typer.Option(0.02, "--max-drop", help="Allowed drop on a headline metric."),
        verbose: bool = typer.Option(False, "--verbose", "-v", help="Per-article detail."),
        story_prompts: List[str] = typer.Option(None, "--story-prompt", help="Merge prompt version to evaluate on "
                                                "the gold stories (repeatable; default: every story version)."),
        judge: Optional[str] = typer.Option(None, "--judge", help="A model that compares each version's TLDRs with "
                                            "the reference version's, pairwise in both orders (recorded like answers)."),
        model: Optional[str] = Model, backend: str = Backend, concurrency: int = Concurrency) -> None:
    """Compare prompt versions on the gold set; with --baseline, a CI gate."""
    import json as json_lib

    from summarize.evaluate.cleanscore import SPLITS
    from summarize.evaluate.report import format_table, write_report
    from summarize.evaluate.runner import gate
    from summarize.evaluate.session import eval_mode, evaluate_versions, missing_answers
    from summarize.llm.recordings import NOT_RECORDED

    try:
        mode = eval_mode(replay, record, live)
    except ValueError as exc:
        fail(str(exc))
    if split not in SPLITS:
        fail(f"--split takes {', '.join(SPLITS)}; got {split!r}")
    result = evaluate_versions(prompts, baseline=baseline, dataset=dataset, mode=mode,
                               choice=BackendChoice(model=model, backend=backend),
                               recordings_dir=recordings_dir, concurrency=concurrency, split=split,
                               judge=judge, story_prompts=story_prompts)
    print(json_lib.dumps(result.to_json(), indent=2, ensure_ascii=False) if as_json
          else format_table(result, verbose))
    if report:
        for path in write_report(result, report):
            console.stderr.print(f"wrote {path}", markup=False)
    code = 0
    missing = missing_answers(result)
    if missing:
        console.stderr.print(f"summarize: {missing} answer(s) {NOT_RECORDED}; run with --record", markup=False)
        code = 1
    if baseline:
        for line in gate(result, baseline, max_drop):
            console.stderr.print(f"gate: {line}", markup=False)
            code = 1
    raise typer.Exit(code)


@prompts_app.command("list")
def prompts_list() -> None:
    """Every prompt version with its hash and description."""
    for p in list_prompts():
        first_line = p.description.splitlines()[0] if p.description else ""
        print(f"{p.ref:<14} {p.content_hash}  {p.schema_name:<14} {first_line}")


@prompts_app.command("show")
def prompts_show(ref: str = typer.Argument(..., help="NAME@VERSION")) -> None:
    """Print one prompt file."""
    p = load_prompt(ref)
    print(f"# {p.ref}  hash {p.content_hash}  ({p.path})")
    print(Path(p.path).read_text(encoding="utf-8"))


@prompts_app.command("diff")
def prompts_diff(a: str = typer.Argument(...), b: str = typer.Argument(...)) -> None:
    """Unified diff of two prompt versions."""
    print(diff_prompts(load_prompt(a), load_prompt(b)) or "(identical)")


@app.command("log")
def log(limit: int = typer.Option(20, "--limit", help="How many recent calls."), db: Optional[Path] = Db) -> None:
    """Recent LLM calls and totals (tokens, cost where the price is known)."""
    from summarize.llm.batch import batch_cost

    store = Store(db or default_db_path())
    try:
        calls = list(reversed(store.recent_calls(limit)))
        totals, batch = store.totals(batch=False), store.totals(batch=True)
    finally:
        store.close()
    for line in console.call_log_lines(calls, totals):
        print(line)
    if batch:
        print("batch totals (Batch API price):")
    for row in batch:
        cost = batch_cost(row["model"], row["prompt_tokens"], row["completion_tokens"])
        print(f"  {row['model']}: {row['calls']} calls ({row['ok']} ok), {row['prompt_tokens']} prompt + "
              f"{row['completion_tokens']} completion tokens{f'  ${cost:.4f}' if cost is not None else ''}")


@app.command("batches")
def batches(limit: int = typer.Option(50, "--limit", help="How many recent jobs."), db: Optional[Path] = Db) -> None:
    """Batch API jobs of --batch runs, newest first: pending ones and finished ones, with their cost."""
    from summarize.llm.batch import job_lines

    store = Store(db or default_db_path())
    try:
        jobs = store.batch_jobs(limit)
    finally:
        store.close()
    if not jobs:
        print("no batch jobs")
    for line in job_lines(jobs):
        print(line)


def show_version(value: bool) -> None:
    if value:
        print(f"summarize {__version__}")
        raise typer.Exit(0)


@app.callback()
def common(version: bool = typer.Option(False, "--version", callback=show_version, is_eager=True,
                                        help="Print the version and exit.")) -> None:
    """Turn scraped news pages into a grounded daily briefing."""


def main() -> None:
    """Entry point: user errors become one line on stderr, never a traceback."""
    keep_large_blocks_mapped()
    try:
        app()
    except (PromptError, LLMError, AnswerError) as exc:
        console.stderr.print(f"summarize: {exc}", markup=False)
        sys.exit(2)
    except KeyboardInterrupt:
        console.stderr.print("summarize: interrupted", markup=False)
        sys.exit(130)
    except OSError as exc:
        console.stderr.print(f"summarize: {exc.strerror or exc}: {exc.filename or ''}".rstrip(": "), markup=False)
        sys.exit(1)
