"""Wiring shared by the commands that call the model: which backend, state, caller."""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import openai

from summarize.llm.backend import (
    DEFAULT_OPENAI_MODEL,
    FALLBACK_CONTEXT,
    KNOWN_CONTEXT,
    LLMBackend,
    LLMError,
    OpenAIChat,
    RetryPolicy,
    describe_error,
    policy_from_env,
    shown_url,
)
from summarize.llm.calls import StructuredCaller
from summarize.llm.embedded import (
    EMBEDDED_POLICY,
    MODEL_NAME,
    SLOT_CONTEXT,
    EmbeddedLlama,
)
from summarize.llm.recordings import (
    RecordingBook,
    Recordings,
    ReplayBackend,
    recording_path,
)
from summarize.store import Store, default_db_path


@dataclass(frozen=True)
class BackendChoice:
    """Which model a command talks to and where its state lives."""

    model: str | None = None
    backend: str = "auto"
    db: Path | None = None
    use_cache: bool = True


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


def open_backend(*, model: str | None = None, backend: str = "auto",
                 policy: RetryPolicy | None = None) -> LLMBackend:
    """Choose the backend from the environment: a configured endpoint wins,
    then OpenAI with a key, else the embedded model."""
    base_url = os.environ.get("OPENAI_BASE_URL")
    api_key = os.environ.get("OPENAI_API_KEY")
    model = model or os.environ.get("SUMMARIZE_MODEL")
    if backend == "auto":
        backend = "openai" if (base_url or api_key) else "embedded"
    if backend == "embedded":
        return EmbeddedLlama(policy=policy or policy_from_env(EMBEDDED_POLICY))
    if backend != "openai":
        raise LLMError(f"unknown backend {backend!r} (use auto, embedded or openai)")
    if not base_url and not api_key:
        raise LLMError("the openai backend needs OPENAI_API_KEY or OPENAI_BASE_URL")
    if base_url and not model:
        model = _first_served_model(base_url, api_key)
    model = model or DEFAULT_OPENAI_MODEL
    context = int(os.environ.get("SUMMARIZE_CONTEXT") or KNOWN_CONTEXT.get(model, FALLBACK_CONTEXT))
    return OpenAIChat(base_url=base_url, api_key=api_key, model=model, name="openai",
                      context_size=context, policy=policy or policy_from_env(RetryPolicy()))


def _first_served_model(base_url: str, api_key: str | None) -> str:
    client = openai.OpenAI(base_url=base_url, api_key=api_key or "not-needed", max_retries=0, timeout=10)
    try:
        models = client.models.list().data
    except openai.OpenAIError as exc:
        raise LLMError(f"{describe_error(exc)} at {shown_url(base_url)}; pass --model") from None
    finally:
        client.close()
    if not models:
        raise LLMError(f"the server at {shown_url(base_url)} lists no model; pass --model")
    return models[0].id
