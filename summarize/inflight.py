"""Model calls run on threads: how many threads, and `Executor.map` with a
bounded number of calls submitted ahead.

`Executor.map` submits every call at once: a pending future weighs about
1.8 KB (tracemalloc, 10,000 of them), so a 10,000-article digest held 18 MB
of futures per stage before the first answer came back.
"""

from __future__ import annotations

import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Executor, Future
from contextlib import AbstractContextManager, contextmanager, nullcontext
from typing import TypeVar

T = TypeVar("T")


def bounded_map(pool: Executor, fn: Callable[[int], T], count: int, ahead: int) -> Iterator[T]:
    """fn(0), fn(1), … fn(count - 1) run on `pool`, results in order, with at
    most `ahead` calls submitted and not yet read."""
    pending: deque[Future[T]] = deque()
    submitted = 0
    try:
        while submitted < count or pending:
            while submitted < count and len(pending) < max(1, ahead):
                pending.append(pool.submit(fn, submitted))
                submitted += 1
            yield pending.popleft().result()
    finally:
        for future in pending:  # stopped early (Ctrl-C, an error): the rest is not run
            future.cancel()


def call_threads(backend, calls: int) -> tuple[int, AbstractContextManager]:
    """The threads to run for `calls` requests in flight, and the block to run
    them in. A backend that holds its requests in flight to a number itself
    (`in_flight(limit)`, the OpenAI-compatible clients) gets twice as many
    threads: while `calls` of them wait for answers, the others prepare the
    next requests and check the answers, so a call that ends is followed by
    the next at once instead of after its thread has checked the answer and
    prepared another article (async client, 16 in flight, 64 articles,
    200 ms answers, three runs each: 1.16–1.33 → 1.01–1.06 s)."""
    hold = getattr(backend, "in_flight", None)
    if hold is None or calls <= 1:
        return calls, nullcontext()
    return 2 * calls, _held(hold(calls))


# While calls are in flight, what reads the answers and writes the next
# requests (the async client's loop, a blocking client's thread) waits for the
# GIL behind the thread at pipeline code for at most this long instead of
# CPython's 5 ms: 64 articles, 16 in flight, medians of 9 runs, six pairs of
# runs, 0.976 → 0.958 s on average (async client; blocking clients
# 0.967 → 0.953 s over three pairs).
SWITCH_INTERVAL = 0.0005


@contextmanager
def _held(block: AbstractContextManager) -> Iterator[None]:
    saved = sys.getswitchinterval()
    sys.setswitchinterval(min(saved, SWITCH_INTERVAL))
    try:
        with block:
            yield
    finally:
        sys.setswitchinterval(saved)
