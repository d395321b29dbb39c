"""Calls held in flight to a number, and threads that take turns: one runs
pipeline code at a time, the others wait for the model without the turn."""

from __future__ import annotations

import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor

import pytest
from fake_openai import FakeOpenAI, default_answer

from summarize.inflight import SWITCH_INTERVAL, call_threads
from summarize.llm.async_client import AsyncOpenAIChat, Submitted
from summarize.llm.backend import ChatRequest, OpenAIChat, RetryPolicy
from summarize.llm.calls import StructuredCaller
from summarize.llm.prompts import load_prompt
from summarize.llm.ratelimit import RateLimiter
from summarize.llm.turns import in_turns

POLICY = RetryPolicy(attempts=1, timeout=10.0)


def request(i: int) -> ChatRequest:
    prompt = load_prompt("tldr@v1")
    return ChatRequest(messages=prompt.messages(article=f"Person {i} besucht Berlin.", language="German", title=""),
                       schema_name=prompt.schema_name, schema=prompt.json_schema(), max_tokens=300)


def client(kind, fake):
    return kind(base_url=fake.base_url, api_key="sk-test", model="fake-model", name="openai", context_size=8192,
                policy=POLICY)


class Counted:
    """How many requests the server is answering at once, at most."""

    def __init__(self, seconds: float):
        self.seconds, self.now, self.most = seconds, 0, 0
        self.lock = threading.Lock()

    def __call__(self, body: dict) -> str:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(self.seconds)
        with self.lock:
            self.now -= 1
        return default_answer(body)


@pytest.mark.parametrize("kind", [AsyncOpenAIChat, OpenAIChat])
def test_in_flight_holds_the_calls_to_its_limit(kind):
    counted = Counted(0.15)
    with FakeOpenAI(answer=counted) as fake:
        backend = client(kind, fake)
        try:
            with backend.in_flight(2), ThreadPoolExecutor(6) as pool:
                results = list(pool.map(lambda i: backend.complete(request(i)), range(6)))
            held, counted.most = counted.most, 0
            with ThreadPoolExecutor(4) as pool:  # after the block, no limit but the threads
                list(pool.map(lambda i: backend.complete(request(i)), range(4)))
        finally:
            backend.close()
    assert len(results) == 6 and all(r.content for r in results)
    assert held == 2
    assert counted.most == 4, "the limit ended with its block"


def test_a_backend_that_holds_its_calls_gets_threads_to_prepare_the_next():
    with FakeOpenAI() as fake:
        backend = client(AsyncOpenAIChat, fake)
        try:
            threads, _ = call_threads(backend, 8)
            assert threads == 16
            assert call_threads(backend, 1)[0] == 1
        finally:
            backend.close()

    class Plain:  # a backend without `in_flight`, such as a recording's
        slots = 64

    threads, block = call_threads(Plain(), 8)
    assert threads == 8
    with block:
        pass


def test_the_switch_interval_is_short_while_calls_are_held_in_flight():
    """So that the thread that reads answers waits little for the GIL; as it was after."""
    before = sys.getswitchinterval()
    with FakeOpenAI() as fake:
        backend = client(AsyncOpenAIChat, fake)
        try:
            _, block = call_threads(backend, 8)
            with block:
                assert sys.getswitchinterval() == min(before, SWITCH_INTERVAL) < 0.005
            assert sys.getswitchinterval() == before
        finally:
            backend.close()


def test_threads_take_turns_and_wait_for_the_model_without_theirs():
    """Three threads' calls meet at the server (a barrier there would time
    out if a thread kept its turn while waiting), and no two threads ever run
    the code around the calls at once."""
    barrier = threading.Barrier(3, timeout=10)

    def meet(body: dict) -> str:
        barrier.wait()
        return default_answer(body)

    running, most, lock = 0, 0, threading.Lock()

    def work(index: int, caller: StructuredCaller) -> str:
        nonlocal running, most
        with lock:
            running += 1
            most = max(most, running)
        time.sleep(0.02)  # pipeline code that another thread could overlap
        with lock:
            running -= 1
        return caller.backend.complete(request(index)).content

    with FakeOpenAI(answer=meet) as fake:
        backend = client(OpenAIChat, fake)
        try:
            run = in_turns(work, StructuredCaller(backend))
            with ThreadPoolExecutor(3) as pool:
                answers = list(pool.map(run, range(3)))
        finally:
            backend.close()
    assert len(answers) == 3 and all(answers)
    assert most == 1, "pipeline code ran in two threads at once"
    assert not barrier.broken


def test_a_call_that_fails_gives_the_turn_back():
    with FakeOpenAI(faults=["400"]) as fake:
        backend = client(OpenAIChat, fake)
        try:
            run = in_turns(lambda i, caller: caller.backend.complete(request(i)).content, StructuredCaller(backend))
            with pytest.raises(Exception):
                run(0)
            assert run(1), "the next thread's turn came"
        finally:
            backend.close()


def test_the_async_client_hands_a_request_over_once_written_or_queued():
    """`submit` returns at once; `handed_over` is set when the request is on
    the wire (long before its answer), when it waits behind the in-flight
    limit, and when it fails."""
    with FakeOpenAI(latency=1.0) as fake:
        backend = client(AsyncOpenAIChat, fake)
        try:
            with backend.in_flight(1):
                first = backend.submit(request(0))
                assert first.handed_over.wait(0.8), "written, not answered yet"
                assert not first.future.done()
                second = backend.submit(request(1))
                assert second.handed_over.wait(0.5), "queued behind the limit"
                assert not second.future.done()
                assert first.result().content and second.result().content
        finally:
            backend.close()
    with FakeOpenAI(faults=["400"]) as fake:
        backend = client(AsyncOpenAIChat, fake)
        try:
            failed = backend.submit(request(2))
            assert failed.handed_over.wait(5)
            with pytest.raises(Exception):
                failed.result()
        finally:
            backend.close()


class _HandsOverLate:
    """A backend whose requests take 0.1 s to be handed over: a thread's
    turn must last until then."""

    slots = 4

    def __init__(self):
        self.submitted: list[float] = []

    def submit(self, request):
        handed_over, future = threading.Event(), Future()
        self.submitted.append(time.perf_counter())
        threading.Timer(0.1, handed_over.set).start()
        threading.Timer(0.2, future.set_result, args=["answer"]).start()
        return Submitted(handed_over, future)


def test_a_turn_lasts_until_the_request_is_handed_over():
    backend = _HandsOverLate()
    started: list[float] = []

    def work(index: int, caller: StructuredCaller) -> str:
        started.append(time.perf_counter())
        return caller.backend.complete(request(index))

    run = in_turns(work, StructuredCaller(backend))
    with ThreadPoolExecutor(3) as pool:
        answers = list(pool.map(run, range(3)))
    assert answers == ["answer"] * 3
    started.sort()
    assert all(later - earlier >= 0.09 for earlier, later in zip(started, started[1:])), started


def test_a_request_waiting_for_the_rate_limit_is_handed_over_at_once():
    """A thread must not keep its turn while its request waits out a limit per minute."""
    with FakeOpenAI() as fake:
        backend = AsyncOpenAIChat(base_url=fake.base_url, api_key="sk-test", model="fake-model", name="openai",
                                  context_size=8192, policy=POLICY, limiter=RateLimiter(requests_per_minute=1))
        try:
            assert backend.submit(request(0)).result().content
            waiting = backend.submit(request(1))  # the next request fits the limit in a minute
            assert waiting.handed_over.wait(2)
            assert not waiting.future.done()
        finally:
            backend.close()
