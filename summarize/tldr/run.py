"""`summarize tldr` as one call: clean the paths, summarize every article."""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import date
from typing import Callable, Sequence

from summarize.clean.cleaner import clean_paths
from summarize.llm.engine import BackendChoice, open_caller
from summarize.llm.prompts import default_prompt
from summarize.models import ArticleSummary
from summarize.tldr.stage import DEFAULT_PROMPT, TldrSettings, summarize_all

# progress(total) → a context whose value is called once per finished article
Progress = Callable[[int], AbstractContextManager[Callable[[], None]]]


def tldr_paths(paths: Sequence[str], choice: BackendChoice, progress: Progress, *, prompt: str | None = None,
               language: str | None = None, concurrency: int = 4, max_bytes: int = 5_000_000,
               today: date | None = None) -> list[ArticleSummary]:
    """A grounded summary (or its failure) per input, in input order; without
    `prompt`, the version prompts/defaults.toml names for the model."""
    articles = clean_paths(list(paths), max_bytes=max_bytes, today=today)
    with open_caller(model=choice.model, backend=choice.backend, db=choice.db, use_cache=choice.use_cache) as caller:
        chosen = prompt or default_prompt("tldr", caller.backend.model) or DEFAULT_PROMPT
        settings = TldrSettings.load(chosen, language)
        with progress(len(articles)) as advance:
            return summarize_all(articles, caller, settings, concurrency=concurrency, on_done=advance)
