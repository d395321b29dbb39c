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
    including on Ctrl-C, so the embedded server never outlives the run.
    backend="batch": the calls go as OpenAI Batch API jobs (`llm/batch.py`)."""
    store = Store(db or default_db_path())
    llm = ledger = None
    try:
        if backend == "batch":
            from summarize.llm.batch import open_ledger

            llm = open_backend(model=model, backend="batch")
            ledger = open_ledger(store, llm, use_cache=use_cache)
        else:
            llm = open_backend(model=model, backend=backend)
        yield StructuredCaller(llm, store, use_cache=use_cache, batch=ledger)
    finally:
        if ledger is not None:
            ledger.api.close()
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
    if backend not in ("openai", "batch"):
        raise LLMError(f"unknown backend {backend!r} (use auto, embedded, openai or batch)")
    if not base_url and not api_key:
        if backend == "batch":
            raise LLMError("--batch needs the OpenAI Batch API: set OPENAI_API_KEY, or OPENAI_BASE_URL for a "
                           "server that offers /v1/batches; without --batch the embedded model answers live")
        raise LLMError("the openai backend needs OPENAI_API_KEY or OPENAI_BASE_URL")
    if base_url and not model:
        model = _first_served_model(base_url, api_key)
    model = model or DEFAULT_OPENAI_MODEL
    context = int(os.environ.get("SUMMARIZE_CONTEXT") or KNOWN_CONTEXT.get(model, FALLBACK_CONTEXT))
    policy = policy or policy_from_env(RetryPolicy())
    if client_kind() == "sync":
        return OpenAIChat(base_url=base_url, api_key=api_key, model=model, name="openai",
                          context_size=context, policy=policy)
    from summarize.llm.async_client import AsyncOpenAIChat
    from summarize.llm.ratelimit import RateLimiter

    return AsyncOpenAIChat(base_url=base_url, api_key=api_key, model=model, name="openai", context_size=context,
                           policy=policy, limiter=RateLimiter.from_env())


# Live calls to an OpenAI-compatible server go through one event loop
# (`async_client`) unless this says "sync" (one blocking client per thread).
CLIENT_ENV = "SUMMARIZE_CLIENT"


def client_kind() -> str:
    kind = os.environ.get(CLIENT_ENV, "").strip().lower() or "async"
    if kind not in ("async", "sync"):
        raise LLMError(f"{CLIENT_ENV} is async or sync, got {kind!r}")
    return kind


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
