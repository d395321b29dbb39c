"""Calls submitted a few at a time, results read in order."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from summarize.inflight import bounded_map


def test_results_come_in_order_with_few_calls_ahead():
    lock = threading.Lock()
    started: list[int] = []
    read = 0
    most_ahead = 0

    def call(i: int) -> int:
        nonlocal most_ahead
        with lock:
            started.append(i)
            most_ahead = max(most_ahead, len(started) - read)
        return i * i

    with ThreadPoolExecutor(max_workers=4) as pool:
        results = []
        for value in bounded_map(pool, call, 50, ahead=3):
            results.append(value)
            read += 1
    assert results == [i * i for i in range(50)]
    assert sorted(started) == list(range(50))
    assert most_ahead <= 3


def test_stopping_early_leaves_the_rest_unrun():
    gate = threading.Event()
    ran: list[int] = []

    def call(i: int) -> int:
        ran.append(i)
        gate.wait(5)
        return i

    with ThreadPoolExecutor(max_workers=1) as pool:
        mapped = bounded_map(pool, call, 100, ahead=4)
        gate.set()
        assert next(mapped) == 0
        mapped.close()
    assert len(ran) <= 5  # the one read, and at most the ones submitted with it
