"""Command line: parses arguments, calls the pipeline, prints. No logic here."""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import List, Optional

import typer

from summarize import console
from summarize.cli_schedule import schedule_app
from summarize.calls import AnswerError
from summarize.clean import clean_paths
from summarize.llm import PRICES, LLMError
from summarize.prompts import PromptError, diff_prompts, list_prompts, load_prompt
from summarize.store import Store, default_db_path

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Turn scraped news pages into a grounded daily briefing.")
prompts_app = typer.Typer(no_args_is_help=True, help="List, show and compare the versioned prompts.")
app.add_typer(prompts_app, name="prompts")
app.add_typer(schedule_app, name="schedule")

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


@app.command()
def tldr(paths: List[str] = Paths, as_json: bool = AsJson, prompt: str = typer.Option(None, "--prompt",
         help="Prompt version, e.g. tldr@v2 (default: the shipped default)."),
         language: Optional[str] = typer.Option(None, "--language", help="Write TLDRs in this language (de, en, …)."),
         model: Optional[str] = Model, backend: str = Backend, db: Optional[Path] = Db, no_cache: bool = NoCache,
         concurrency: int = Concurrency, quiet: bool = Quiet, max_size: float = MaxSize,
         today: Optional[str] = Today) -> None:
    """Clean each article and ask the model for a grounded TLDR and entities."""
    from summarize.engine import open_caller
    from summarize.tldr import DEFAULT_PROMPT, TldrSettings, summarize_all

    settings = TldrSettings.load(prompt or DEFAULT_PROMPT, language)
    articles = clean_paths(paths, max_bytes=int(max_size * MB), today=parse_day(today, "--today"))
    with open_caller(model=model, backend=backend, db=db, use_cache=not no_cache) as caller, \
            console.progress(len(articles), "summarizing", quiet) as advance:
        summaries = summarize_all(articles, caller, settings, concurrency=concurrency, on_done=advance)
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
           language: Optional[str] = typer.Option(None, "--language", help="Write TLDRs in this language."),
           model: Optional[str] = Model, backend: str = Backend, db: Optional[Path] = Db, no_cache: bool = NoCache,
           concurrency: int = Concurrency, quiet: bool = Quiet, max_size: float = MaxSize,
           today: Optional[str] = Today) -> None:
    """The daily briefing: stories across outlets in Markdown, HTML and JSON."""
    from summarize.digest import STORY_PROMPT, DigestSettings, run_digest
    from summarize.engine import open_caller
    from summarize.render import FORMATS, render_markdown, write_briefing
    from summarize.tldr import DEFAULT_PROMPT

    chosen = [f.strip() for f in formats.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in FORMATS]
    if unknown or not chosen:
        fail(f"--format takes {', '.join(FORMATS)}; got {formats!r}")
    settings = DigestSettings.load(prompt=prompt or DEFAULT_PROMPT, story_prompt=story_prompt or STORY_PROMPT,
                                   language=language, day=parse_day(day, "--date"), window_days=window,
                                   concurrency=concurrency)
    from summarize.ingest import expand_inputs

    total = len(expand_inputs(paths))
    with open_caller(model=model, backend=backend, db=db, use_cache=not no_cache) as caller, \
            console.progress(total, "summarizing", quiet) as advance:
        briefing = run_digest(paths, caller, settings, max_bytes=int(max_size * MB),
                              today=parse_day(today, "--today"), on_article=advance,
                              briefings=None if no_cache else caller.book)
    written = write_briefing(briefing, out or Path("briefings"), chosen)
    if out is None:
        print(render_markdown(briefing), flush=True)
    for path in written:
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
        replay: bool = typer.Option(False, "--replay", help="Answers from evals/recordings only (the default)."),
        record: bool = typer.Option(False, "--record", help="Call the model and store its answers as recordings."),
        live: bool = typer.Option(False, "--live", help="Call the model, store nothing."),
        recordings_dir: Optional[Path] = typer.Option(None, "--recordings", help="Recordings directory [default: evals/recordings]."),
        as_json: bool = typer.Option(False, "--json", help="Print the results as JSON."),
        report: Optional[Path] = typer.Option(None, "--report", help="Write eval.json and eval.html with charts here."),
        baseline: Optional[str] = typer.Option(None, "--baseline", help="Fail when a candidate is worse than this version."),
        max_drop: float = typer.Option(0.02, "--max-drop", help="Allowed drop on a headline metric."),
        verbose: bool = typer.Option(False, "--verbose", "-v", help="Per-article detail."),
        model: Optional[str] = Model, backend: str = Backend, concurrency: int = Concurrency) -> None:
    """Compare prompt versions on the gold set; with --baseline, a CI gate."""
    import json as json_lib

    from summarize.engine import open_eval_caller
    from summarize.eval_report import format_table, write_report
    from summarize.evaluate import default_dataset, gate, run_eval
    from summarize.recordings import NOT_RECORDED

    if sum((replay, record, live)) > 1:
        fail("choose one of --replay, --record, --live")
    mode = "record" if record else "live" if live else "replay"
    refs = prompts or [p.ref for p in list_prompts() if p.name == "tldr"]
    for ref in refs + ([baseline] if baseline else []):
        load_prompt(ref)
    if baseline and baseline not in refs:
        refs = [baseline, *refs]
    dataset = dataset or default_dataset()
    if not dataset.is_file():
        fail(f"{dataset}: no such dataset")
    with open_eval_caller(mode, model=model, backend=backend,
                          recordings_dir=recordings_dir or dataset.parent / "recordings") as caller:
        result = run_eval(dataset, refs, caller, mode=mode, concurrency=concurrency)
    print(json_lib.dumps(result.to_json(), indent=2, ensure_ascii=False) if as_json
          else format_table(result, verbose))
    if report:
        for path in write_report(result, report):
            console.stderr.print(f"wrote {path}", markup=False)
    code = 0
    missing = sum(c.metrics.get("not_recorded") or 0 for c in result.columns)
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
    store = Store(db or default_db_path())
    try:
        for call in reversed(store.recent_calls(limit)):
            print(f"{_when(call['ts'])}  {call['backend']:<8} {call['model'][:28]:<28} {call['prompt']:<12} "
                  f"{call['prompt_tokens']:>6}+{call['completion_tokens']:<5} {call['latency']:6.2f}s  "
                  f"{call['outcome']}{': ' + call['error'] if call['error'] else ''}")
        print("\ntotals:")
        for row in store.totals():
            price = PRICES.get(row["model"])
            cost = (f"  ${(row['prompt_tokens'] * price[0] + row['completion_tokens'] * price[1]) / 1e6:.4f}"
                    if price else "")
            print(f"  {row['model']}: {row['calls']} calls ({row['ok']} ok), "
                  f"{row['prompt_tokens']} prompt + {row['completion_tokens']} completion tokens, "
                  f"avg {row['avg_latency']} s{cost}")
    finally:
        store.close()


def _when(ts: float) -> str:
    from datetime import datetime

    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def main() -> None:
    """Entry point: user errors become one line on stderr, never a traceback."""
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
