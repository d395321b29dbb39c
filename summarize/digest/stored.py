"""A finished briefing kept for a re-run over the same inputs.

Every LLM answer is cached already, so a re-run makes no call; but it would
still clean, ground and cluster every article again. The briefing itself is
stored under a key of everything that decides it: the bytes of every input,
the prompt versions, the model, the digest's settings and the code of this
package (an upgrade of the cleaner must not serve yesterday's output). A
briefing with an article that failed for any reason but its own input (a
timeout, a refused answer) is not kept, so that the next run tries again.
"""

from __future__ import annotations

import hashlib
from datetime import date
from functools import lru_cache
from pathlib import Path
from typing import Sequence

from summarize.digest.settings import DigestSettings
from summarize.ingest.inputs import RawInput
from summarize.models import Briefing, CleanedArticle, Usage
from summarize.store import stable_hash

_PACKAGE = Path(__file__).resolve().parents[1]


@lru_cache(maxsize=1)
def code_version() -> str:
    """A hash of the package's code and data files."""
    digest = hashlib.sha256()
    files = (p for p in _PACKAGE.rglob("*") if p.is_file() and p.suffix in (".py", ".toml", ".json", ".txt", ".j2", ".css"))
    for path in sorted(files):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _input_fingerprint(inputs: Sequence[RawInput]) -> list[tuple] | None:
    """(label, content hash or the reason it has none) per input, or None when
    an input cannot be read twice (standard input)."""
    if any(raw.from_stdin for raw in inputs):
        return None
    return [(raw.label, hashlib.sha256(raw.data).hexdigest()) if raw.data is not None
            else (raw.label, "error", raw.error) for raw in inputs]


def briefing_key(inputs: Sequence[RawInput], settings: DigestSettings, model: str, *, max_bytes: int,
                 today: date | None) -> str | None:
    """The key of the briefing these inputs (as read) and settings make, or
    None when it cannot be known without running (standard input)."""
    fingerprint = _input_fingerprint(inputs)
    if fingerprint is None:
        return None
    tldr = settings.tldr
    prompts = [(p.ref, p.content_hash) for p in (tldr.prompt, tldr.reduce_prompt, settings.story_prompt,
                                                  settings.translate_prompt) if p is not None]
    return stable_hash(code_version(), model, prompts, tldr.language, settings.day, settings.window_days,
                       max_bytes, today, fingerprint)


def is_reusable(briefing: Briefing, cleaned: list[CleanedArticle]) -> bool:
    """True when every failure is one of the input itself, which a re-run of
    the same bytes would repeat, and every merge call succeeded."""
    input_failures = {a.path for a in cleaned if not a.ok}
    return (all(f.path in input_failures for f in briefing.not_summarized)
            and not any(flag in s.flags for s in briefing.stories for flag in ("merge_failed", "not_translated")))


def as_rerun(briefing: Briefing) -> Briefing:
    """The stored briefing as a re-run reports it: every answer from cache."""
    served = briefing.usage.calls + briefing.usage.cached
    return briefing.model_copy(update={"usage": Usage(cached=served)})
