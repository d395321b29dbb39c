"""The LLM behind one small interface, spoken over the OpenAI protocol.

Every backend — the embedded llama.cpp server, a user's own server (vLLM,
Ollama, LM Studio) or OpenAI itself — is an `OpenAIChat` pointed at a
different base URL. tenacity is the only retry owner: the SDK's own retries
are switched off so that one failure never multiplies into many calls.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, field, replace
from typing import Protocol
from urllib.parse import urlsplit, urlunsplit

import openai
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
)

DEFAULT_OPENAI_MODEL = "gpt-4.1-mini"
# Context windows of models we know; a server we do not know is assumed small.
KNOWN_CONTEXT = {"gpt-4.1-mini": 1_000_000, "gpt-4.1-nano": 1_000_000, "gpt-4o-mini": 128_000}
FALLBACK_CONTEXT = 8192
# USD per million tokens (input, output), for `summarize log`.
PRICES = {"gpt-4.1-mini": (0.40, 1.60), "gpt-4.1-nano": (0.10, 0.40), "gpt-4o-mini": (0.15, 0.60)}


def call_cost(model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """US dollars at the list price per million tokens; None for a model without one."""
    price = PRICES.get(model)
    return (prompt_tokens * price[0] + completion_tokens * price[1]) / 1e6 if price else None


class LLMError(Exception):
    """A call that failed for good; the message is one line, fit for a report."""


@dataclass
class ChatRequest:
    messages: list[dict]
    schema_name: str
    schema: dict
    temperature: float = 0.0
    max_tokens: int = 512
    seed: int | None = 0

    def params(self) -> dict:
        """Everything besides the messages that changes the answer (the cache key)."""
        return {"temperature": self.temperature, "max_tokens": self.max_tokens, "seed": self.seed,
                "schema_name": self.schema_name, "schema": self.schema}


@dataclass
class ChatResult:
    content: str
    finish_reason: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cached_tokens: int = 0
    latency: float = 0.0
    timings: dict = field(default_factory=dict)


class LLMBackend(Protocol):
    """What the pipeline needs from any model: a name, a context size, one call.
    A backend may also offer `in_flight(limit)`, a block in which it holds its
    calls in flight to `limit` itself (`inflight.call_threads`), and
    `submit(request)`, which returns once the request is handed over, with
    the answer to wait for (`async_client.Submitted`, used by `turns`)."""

    name: str
    model: str
    context_size: int
    slots: int  # requests the backend serves at once; more only queue

    def complete(self, request: ChatRequest) -> ChatResult: ...

    def close(self) -> None: ...


@dataclass
class RetryPolicy:
    attempts: int = 4
    timeout: float = 120.0  # per call
    deadline: float = 600.0  # all attempts of one call together
    backoff_base: float = 1.0
    backoff_max: float = 30.0
    retry_after_max: float = 60.0


# Environment overrides of the retry policy, e.g. a short timeout in tests or
# on a flaky network: seconds per call, attempts per call, first backoff step.
POLICY_ENV = {"SUMMARIZE_LLM_TIMEOUT": "timeout", "SUMMARIZE_LLM_ATTEMPTS": "attempts",
              "SUMMARIZE_LLM_BACKOFF": "backoff_base"}


def policy_from_env(base: RetryPolicy) -> RetryPolicy:
    """`base` with the SUMMARIZE_LLM_* variables that are set applied."""
    changes: dict[str, float] = {}
    for variable, name in POLICY_ENV.items():
        raw = os.environ.get(variable, "").strip()
        if not raw:
            continue
        try:
            value = int(raw) if name == "attempts" else float(raw)
        except ValueError:
            value = -1
        if value < 0 or (value == 0 and name != "backoff_base"):
            kind = "whole number" if name == "attempts" else "number of seconds"
            raise LLMError(f"{variable} must be a positive {kind}, got {raw!r}")
        changes[name] = value
    if "backoff_base" in changes:
        changes["backoff_max"] = min(base.backoff_max, changes["backoff_base"] * 30)
    return replace(base, **changes) if changes else base


def without_length_bounds(node):
    if isinstance(node, dict):
        return {k: without_length_bounds(v) for k, v in node.items() if k not in ("maxLength", "minLength")}
    if isinstance(node, list):
        return [without_length_bounds(v) for v in node]
    return node


# The live clients (`OpenAIChat`, `async_client.AsyncOpenAIChat`) and the
# Batch API (`batch`) send this same body for the same `ChatRequest`: an answer
# from any of them is cached under one key and must have been asked the same way.
def chat_body(model: str, request: ChatRequest, *, length_bounds: bool) -> dict:
    """The JSON body of POST /v1/chat/completions for `request`."""
    body = {
        "model": model,
        "messages": request.messages,
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": request.schema_name, "strict": True,
                            "schema": request.schema if length_bounds else without_length_bounds(request.schema)},
        },
    }
    if request.seed is not None:
        body["seed"] = request.seed
    return body


def parse_completion(data: dict, latency: float = 0.0) -> ChatResult:
    """A chat completion's JSON as a `ChatResult`."""
    choices = data.get("choices") or []
    if not choices:
        raise LLMError("LLM answered with no choices")
    choice = choices[0]
    usage = data.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    return ChatResult(
        content=(choice.get("message") or {}).get("content") or "",
        finish_reason=choice.get("finish_reason") or "stop",
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        cached_tokens=int(details.get("cached_tokens") or 0),
        latency=latency,
        timings=data.get("timings") or {},
    )


def _sdk_response_class() -> type:
    """The HTTP response class the installed SDK is built on (httpx2 in 3.x, httpx before)."""
    try:
        from openai._httpx2 import http_response_types
    except ImportError:
        import httpx

        return httpx.Response
    return http_response_types()[0]


# The SDK's `chat.completions.create` walks every request's messages and
# JSON schema to transform them; the body built here is already in wire
# form, so it is posted as it is and the raw response read back (CPU per
# article against a local server: 14.5 → 8.9 ms blocking, 16.1 → 13.2 ms async).
RAW_RESPONSE = _sdk_response_class()
CHAT_ROUTE = "/chat/completions"  # under the SDK's base URL, which ends in /v1


def read_completion(response, latency: float) -> ChatResult:
    """The raw HTTP response to a chat request as a `ChatResult`."""
    try:
        data = response.json()
    except ValueError:
        raise LLMError("LLM server answered with invalid JSON") from None
    return parse_completion(data, latency)


def _is_transient(exc: BaseException) -> bool:
    if isinstance(exc, (openai.APIConnectionError, openai.APITimeoutError, openai.RateLimitError)):
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code >= 500 or exc.status_code in (408, 409)
    return False


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """The server's own word on when to come back, if it gave one."""
    response = getattr(exc, "response", None)
    if response is None:
        return None
    headers = response.headers
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            return max(0.0, float(value) * scale)
        except ValueError:
            continue  # an HTTP date: fall back to backoff
    return None


def _wait(policy: RetryPolicy):
    def wait(state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        told = retry_after_seconds(exc)
        if told is not None:
            return min(told, policy.retry_after_max)
        ceiling = min(policy.backoff_max, policy.backoff_base * 2 ** (state.attempt_number - 1))
        return random.uniform(0, ceiling)  # full jitter

    return wait


def retrying(policy: RetryPolicy, kind: type[Retrying | AsyncRetrying] = Retrying):
    """tenacity's loop for one call under `policy`: transient errors only,
    Retry-After or jittered backoff, the last error raised when it gives up."""
    return kind(
        retry=retry_if_exception(_is_transient),
        wait=_wait(policy),
        stop=stop_after_attempt(policy.attempts) | stop_after_delay(policy.deadline),
        reraise=True,
    )


def describe_error(exc: BaseException) -> str:
    if isinstance(exc, openai.APITimeoutError):
        return "LLM call timed out"
    if isinstance(exc, openai.APIConnectionError):
        return "cannot reach the LLM server"
    if isinstance(exc, openai.APIStatusError):
        return f"LLM server answered HTTP {exc.status_code}"
    return f"LLM call failed ({type(exc).__name__})"


class OpenAIChat:
    """Any OpenAI-compatible endpoint."""

    def __init__(self, *, base_url: str | None, api_key: str | None, model: str, name: str,
                 context_size: int, policy: RetryPolicy | None = None):
        self.name = name
        self.model = model
        self.context_size = context_size
        self.slots = 64
        # OpenAI's strict mode rejects string length bounds; other servers enforce them.
        self.length_bounds = base_url is not None
        self.policy = policy or RetryPolicy()
        self._client = openai.OpenAI(
            base_url=base_url, api_key=api_key or "not-needed", max_retries=0, timeout=self.policy.timeout
        )
        self._gate: threading.Semaphore | None = None

    @contextmanager
    def in_flight(self, limit: int) -> Iterator[None]:
        """At most `limit` requests in flight inside the block; a thread
        beyond them waits here with its request ready."""
        saved, self._gate = self._gate, threading.BoundedSemaphore(max(1, limit))
        try:
            yield
        finally:
            self._gate = saved

    def complete(self, request: ChatRequest) -> ChatResult:
        try:
            with self._gate or nullcontext():
                return retrying(self.policy)(self._call_once, request)
        except openai.OpenAIError as exc:
            raise LLMError(describe_error(exc)) from None

    def _call_once(self, request: ChatRequest) -> ChatResult:
        started = time.perf_counter()
        response = self._client.post(CHAT_ROUTE, body=chat_body(self.model, request, length_bounds=self.length_bounds),
                                     cast_to=RAW_RESPONSE)
        latency = time.perf_counter() - started
        return read_completion(response, latency)

    def close(self) -> None:
        self._client.close()


def shown_url(url: str) -> str:
    """A URL fit for a message: without credentials in it (user:key@) or a query."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
