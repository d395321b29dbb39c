"""`summarize digest` as one call: the day's briefing made from paths and written to files."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Sequence

from summarize.digest.briefing import run_digest
from summarize.digest.settings import DigestSettings
from summarize.ingest.inputs import expand_inputs
from summarize.llm.engine import BackendChoice, open_caller
from summarize.models import Briefing
from summarize.render.files import write_briefing
from summarize.tldr.run import Progress


@dataclass
class DigestRun:
    briefing: Briefing
    written: list[Path]


def digest_paths(paths: Sequence[str], choice: BackendChoice, progress: Progress, *, out_dir: Path,
                 formats: Sequence[str], prompt: str | None = None, story_prompt: str | None = None,
                 language: str | None = None, day: date | None = None, window_days: int = 1,
                 concurrency: int = 4, max_bytes: int = 5_000_000, today: date | None = None) -> DigestRun:
    """Make the briefing and write it in every format asked for; without
    prompts, the versions prompts/defaults.toml names for the model."""
    total = len(expand_inputs(list(paths)))
    with open_caller(model=choice.model, backend=choice.backend, db=choice.db, use_cache=choice.use_cache) as caller:
        settings = DigestSettings.for_model(caller.backend.model, prompt=prompt, story_prompt=story_prompt, language=language,
                                            day=day, window_days=window_days, concurrency=concurrency)
        with progress(total) as advance:
            briefing = run_digest(paths, caller, settings, max_bytes=max_bytes, today=today, on_article=advance,
                                  briefings=caller.book if choice.use_cache else None)
    return DigestRun(briefing, write_briefing(briefing, out_dir, formats))
