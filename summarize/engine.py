"""Wiring shared by the commands that call the model: state, backend, caller."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from summarize.calls import StructuredCaller
from summarize.llm import open_backend
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
