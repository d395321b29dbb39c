"""Live calls through the SDK's AsyncOpenAI, all on one event loop.

The pipeline summarizes articles on threads; each thread hands its request
to the loop and sleeps until the answer is there. The loop does the HTTP
work of every call in flight: one thread's sockets instead of one set per
thread, each of whose reads would wait to get the GIL back from the
threads busy with other articles. It also keeps the limits per minute
(`ratelimit`) for all of them. tenacity still owns the retries (the SDK's
are off), with the same policy as `backend.OpenAIChat`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import openai
from tenacity import AsyncRetrying

from summarize.llm.backend import (
    CHAT_ROUTE,
    RAW_RESPONSE,
    ChatRequest,
    ChatResult,
    LLMError,
    RetryPolicy,
    chat_body,
    describe_error,
    read_completion,
    retrying,
)
from summarize.llm.ratelimit import RateLimiter
from summarize.llm.wire import request_tokens


class AsyncOpenAIChat:
    """An OpenAI-compatible endpoint behind the `LLMBackend` protocol."""

    def __init__(self, *, base_url: str | None, api_key: str | None, model: str, name: str,
                 context_size: int, policy: RetryPolicy | None = None, limiter: RateLimiter | None = None,
                 max_in_flight: int = 64):
        self.name = name
        self.model = model
        self.context_size = context_size
        self.slots = max_in_flight
        # OpenAI's strict mode rejects string length bounds; other servers enforce them.
        self.length_bounds = base_url is not None
        self.policy = policy or RetryPolicy()
        self.limiter = limiter or RateLimiter()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="summarize-llm-loop", daemon=True)
        self._thread.start()
        self._client = openai.AsyncOpenAI(base_url=base_url, api_key=api_key or "not-needed", max_retries=0,
                                          timeout=self.policy.timeout)
        self._closed = False
        self._gate: asyncio.Semaphore | None = None

    @contextmanager
    def in_flight(self, limit: int) -> Iterator[None]:
        """At most `limit` requests in flight inside the block, the rest
        waiting on the loop: the next one goes out as an answer comes in,
        whatever the threads are doing."""
        saved, self._gate = self._gate, asyncio.Semaphore(max(1, limit))
        try:
            yield
        finally:
            self._gate = saved

    def complete(self, request: ChatRequest) -> ChatResult:
        # Counted on the calling thread, before the loop's turn, and only
        # when a limit on tokens is known.
        tokens = request_tokens(request) if self.limiter.counts_tokens else 0
        future = asyncio.run_coroutine_threadsafe(self.acomplete(request, tokens), self._loop)
        try:
            return future.result()
        except concurrent.futures.CancelledError:
            raise LLMError("LLM call cancelled") from None
        except BaseException:  # Ctrl-C on this thread: the call stops too
            future.cancel()
            raise

    async def acomplete(self, request: ChatRequest, tokens: int | None = None) -> ChatResult:
        if tokens is None:
            tokens = request_tokens(request) if self.limiter.counts_tokens else 0
        try:
            if self._gate is None:
                return await retrying(self.policy, AsyncRetrying)(self._call_once, request, tokens)
            async with self._gate:
                return await retrying(self.policy, AsyncRetrying)(self._call_once, request, tokens)
        except openai.OpenAIError as exc:
            raise LLMError(describe_error(exc)) from None

    async def _call_once(self, request: ChatRequest, tokens: int) -> ChatResult:
        await self.limiter.acquire(tokens)
        started = time.perf_counter()
        # The raw response: its headers carry the server's rate limits, and
        # reading the JSON directly spares building the SDK's models.
        response = await self._client.post(CHAT_ROUTE, cast_to=RAW_RESPONSE,
                                           body=chat_body(self.model, request, length_bounds=self.length_bounds))
        latency = time.perf_counter() - started
        self.limiter.observe(response.headers)
        return read_completion(response, latency)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True

        async def shut() -> None:
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()
            await self._client.close()

        try:
            asyncio.run_coroutine_threadsafe(shut(), self._loop).result(timeout=5)
        except (concurrent.futures.TimeoutError, RuntimeError):
            pass
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        if not self._thread.is_alive():
            self._loop.close()
