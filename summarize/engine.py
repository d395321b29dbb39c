"""Wiring shared by the commands that call the model: state, backend, caller."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import os

from summarize.calls import StructuredCaller
from summarize.embedded import MODEL_NAME, SLOT_CONTEXT
from summarize.llm import open_backend
from summarize.recordings import RecordingBook, Recordings, ReplayBackend, recording_path
from summarize.store import Store, default_db_path


@contextmanager
def open_caller(*, model: str | None = None, backend: str = "auto", db: Path | None = None,
                use_cache: bool = True) -> Iterator[StructuredCaller]:
    """A caller over the chosen backend and the SQLite store; both closed on exit,
    including on Ctrl-C, so the embedded server never outlives the run."""
    store = Store(db or default_db_path())
    llm = None
    try:
        llm = open_backend(model=model, backend=backend)
        yield StructuredCaller(llm, store, use_cache=use_cache)
    finally:
        if llm is not None:
            llm.close()
        store.close()


@contextmanager
def open_eval_caller(mode: str, *, model: str | None, backend: str,
                     recordings_dir: Path) -> Iterator[StructuredCaller]:
    """replay: recorded answers only; record: a live backend whose validated
    answers are appended to the recording; live: a live backend, no cache."""
    if mode == "replay":
        name = model or os.environ.get("SUMMARIZE_MODEL") or MODEL_NAME
        recordings = Recordings(recording_path(recordings_dir, name))
        yield StructuredCaller(ReplayBackend(name, recordings.context_size or SLOT_CONTEXT), recordings,
                               count_cached_cost=True)
        return
    llm = open_backend(model=model, backend=backend)
    try:
        if mode == "record":
            recordings = Recordings(recording_path(recordings_dir, llm.model), writable=True)
            yield StructuredCaller(llm, RecordingBook(recordings, llm.context_size), count_cached_cost=True)
        else:
            yield StructuredCaller(llm, None, use_cache=False)
    finally:
        llm.close()
