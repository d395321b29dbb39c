"""Threads that take turns: one runs pipeline code at a time, the others
wait for the model.

With 16 calls in flight, 16 threads that prepare requests and check answers
compete for the GIL with what reads the answers (the async client's event
loop, or the other threads' sockets), and every answer waits its turn behind
them. Taken in turns, the pipeline code is one thread against the readers.
64 articles, 16 calls held in flight, twice the threads, 200 ms answers,
median of 7 runs: 1.106 → 0.972 s through the async client, 0.996 → 0.935 s
through blocking clients.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from typing import TypeVar

from summarize.llm.backend import ChatRequest, ChatResult, LLMBackend
from summarize.llm.calls import StructuredCaller

T = TypeVar("T")


class _WaitsOutOfTurn:
    """A backend whose calls give up the caller's turn while they wait."""

    def __init__(self, inner: LLMBackend, turn: threading.Lock):
        self.inner = inner
        self._turn = turn

    def __getattr__(self, name: str):  # name, model, context_size, slots, …
        return getattr(self.inner, name)

    def complete(self, request: ChatRequest) -> ChatResult:
        # The async client's loop writes the request: the turn is kept until
        # it has, so that no other thread's pipeline code delays the writing.
        submit = getattr(self.inner, "submit", None)
        submitted = submit(request) if submit is not None else None
        if submitted is not None:
            submitted.handed_over.wait()
        self._turn.release()
        try:
            return submitted.result() if submitted is not None else self.inner.complete(request)
        finally:
            self._turn.acquire()

    def close(self) -> None:
        self.inner.close()


def in_turns(work: Callable[[int, StructuredCaller], T], caller: StructuredCaller) -> Callable[[int], T]:
    """`work(index, caller)` for threads: each runs in its turn with a caller
    that gives the turn up while it waits for the model. A Batch API run is
    left as it is: its answers are not waited for in a call."""
    if caller.batch is not None:
        return lambda index: work(index, caller)
    turn = threading.Lock()
    waiting = replace(caller, backend=_WaitsOutOfTurn(caller.backend, turn))

    def in_turn(index: int) -> T:
        with turn:
            return work(index, waiting)

    return in_turn
