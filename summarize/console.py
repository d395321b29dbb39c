"""Human-readable output for the terminal: article blocks, progress, tables."""

from __future__ import annotations

import sys
from contextlib import contextmanager
from typing import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

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
