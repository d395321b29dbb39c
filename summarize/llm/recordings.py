"""Recorded LLM answers for offline, deterministic evaluation.

A recording is a JSONL file per model under `evals/recordings/`, one validated
answer per line, keyed exactly like the cache (model, prompt hash, input hash,
parameters). Replaying serves those answers through the same code path as a
live run; a request nobody recorded fails as "not recorded", so a changed
prompt or article can never silently reuse an old answer.
"""

from __future__ import annotations

import json
import re
import threading
from pathlib import Path

from summarize.llm.backend import ChatRequest, ChatResult, LLMError
from summarize.store import CachedAnswer, CallRecord

NOT_RECORDED = "not recorded"


def recording_path(directory: Path, model: str) -> Path:
    return directory / f"{re.sub(r'[^A-Za-z0-9._-]+', '_', model)}.jsonl"


class Recordings:
    """An answer book backed by one JSONL file; new answers are appended."""

    def __init__(self, path: Path, *, writable: bool = False):
        self.path = path
        self.writable = writable
        self._lock = threading.Lock()
        self._answers: dict[str, dict] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    entry = json.loads(line)
                    self._answers[entry["key"]] = entry

    @property
    def context_size(self) -> int | None:
        """The context the answers were recorded with; replaying must chunk alike."""
        sizes = {entry.get("context_size") for entry in self._answers.values()} - {None}
        return max(sizes) if sizes else None

    def get_answer(self, key: str) -> CachedAnswer | None:
        entry = self._answers.get(key)
        if entry is None:
            return None
        return CachedAnswer(entry["content"], entry["prompt_tokens"], entry["completion_tokens"],
                            entry.get("latency", 0.0))

    def put_answer(self, key: str, *, model: str, prompt: str, prompt_hash: str, input_hash: str,
                   content: str, prompt_tokens: int, completion_tokens: int, latency: float = 0.0,
                   context_size: int | None = None) -> None:
        if not self.writable:
            return
        entry = {"key": key, "model": model, "prompt": prompt, "prompt_hash": prompt_hash,
                 "input_hash": input_hash, "content": content, "prompt_tokens": prompt_tokens,
                 "completion_tokens": completion_tokens, "latency": round(latency, 3),
                 "context_size": context_size}
        with self._lock:
            self._answers[key] = entry
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")

    def log_call(self, record: CallRecord) -> None:
        """Calls are logged by the live store, not in the recording."""


class ReplayBackend:
    """A backend that only knows recorded answers: anything else is an error."""

    name = "replay"
    slots = 64

    def __init__(self, model: str, context_size: int):
        self.model = model
        self.context_size = context_size

    def complete(self, request: ChatRequest) -> ChatResult:
        raise LLMError(NOT_RECORDED)

    def close(self) -> None:
        pass


class RecordingBook:
    """Records every validated answer of a live backend, with its context size."""

    def __init__(self, recordings: Recordings, context_size: int):
        self.recordings = recordings
        self.context_size = context_size

    def get_answer(self, key: str) -> CachedAnswer | None:
        return self.recordings.get_answer(key)

    def put_answer(self, key: str, **fields) -> None:
        self.recordings.put_answer(key, context_size=self.context_size, **fields)

    def log_call(self, record: CallRecord) -> None:
        pass
