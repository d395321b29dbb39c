"""Human-readable output for the terminal: article blocks, progress, tables."""

from __future__ import annotations

import sys
from collections.abc import Iterable, Mapping
from contextlib import contextmanager
from datetime import datetime
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
)

from summarize.llm.backend import call_cost
from summarize.models import ArticleSummary, CleanedArticle

stderr = Console(stderr=True, highlight=False, soft_wrap=True)


def _shown(text: str) -> str:
    """Control characters written as escapes: a newline or a terminal escape
    sequence in a file name can neither split the line nor drive the terminal."""
    return "".join(c if c.isprintable() or c == " " else repr(c)[1:-1] for c in text)


def error_line(path: str, reason: str) -> str:
    return f"{_shown(path)}: {_shown(reason)}"


def cleaned_block(article: CleanedArticle) -> str:
    if not article.ok:
        return f"== {article.path}\nERROR: {article.error}\n"
    head = [
        f"== {article.path}",
        f"title:     {article.title or '-'}",
        f"source:    {article.source or '-'}",
        f"published: {article.published or '-'}",
        f"language:  {article.language or '-'}   encoding: {article.encoding or '-'}"
        f"   tokens: {article.tokens}   lines removed: {article.removed}",
    ]
    if article.repairs:
        head.append(f"repairs:   {', '.join(article.repairs)}")
    if article.given_tldr:
        head.append(f"given tldr: {article.given_tldr}")
    return "\n".join(head) + "\n\n" + article.text + "\n"


def summary_block(summary: ArticleSummary) -> str:
    if not summary.ok:
        return f"== {summary.path}\nNOT SUMMARIZED: {summary.error}\n"
    entities = ", ".join(
        f"{e.name} ({e.type}{'; ' + ' / '.join(e.aliases) if e.aliases else ''})" for e in summary.entities
    )
    usage = summary.usage
    lines = [
        f"== {summary.path}",
        f"title:      {summary.title or '-'}  [{summary.source or '-'}, {summary.published or 'undated'}]",
        f"tldr:       {summary.tldr}",
        f"entities:   {entities or '-'}",
    ]
    if summary.ungrounded:
        lines.append(f"ungrounded: {', '.join(summary.ungrounded)}")
    if summary.flags:
        lines.append(f"flags:      {', '.join(summary.flags)}")
    lines.append(
        f"prompt:     {summary.prompt} ({summary.prompt_hash})  model: {summary.model}  "
        f"{summary.seconds:.1f} s  tokens {usage.prompt_tokens}+{usage.completion_tokens}  "
        f"calls {usage.calls}  cached {usage.cached}"
    )
    return "\n".join(lines) + "\n"


@contextmanager
def progress(total: int, label: str, quiet: bool = False) -> Iterator[Callable[..., None]]:
    """A progress bar on stderr for batches, silent when stderr is no terminal."""
    if quiet or total <= 1 or not sys.stderr.isatty():
        yield lambda *_args, **_kw: None
        return
    bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                   console=stderr, transient=True)
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda *_args, **_kw: bar.advance(task)


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts).strftime("%Y-%m-%d %H:%M:%S")


def call_log_lines(calls: Iterable[Mapping], totals: Iterable[Mapping]) -> Iterator[str]:
    """`summarize log`: one line per call, then the totals per model."""
    for call in calls:
        yield (f"{_when(call['ts'])}  {call['backend']:<8} {call['model'][:28]:<28} {call['prompt']:<12} "
               f"{call['prompt_tokens']:>6}+{call['completion_tokens']:<5} {call['latency']:6.2f}s  "
               f"{call['outcome']}{': ' + call['error'] if call['error'] else ''}")
    yield "\ntotals:"
    for row in totals:
        cost = call_cost(row["model"], row["prompt_tokens"], row["completion_tokens"])
        yield (f"  {row['model']}: {row['calls']} calls ({row['ok']} ok), "
               f"{row['prompt_tokens']} prompt + {row['completion_tokens']} completion tokens, "
               f"avg {row['avg_latency']} s{f'  ${cost:.4f}' if cost is not None else ''}")
