"""The async client (one event loop for every live call) and its limits per
minute: the same answers and retries as the blocking client, calls in
flight together, requests and tokens held to their budget."""

from __future__ import annotations

import asyncio
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from fake_openai import FakeOpenAI

from summarize.llm.async_client import AsyncOpenAIChat
from summarize.llm.backend import ChatRequest, LLMError, OpenAIChat, RetryPolicy
from summarize.llm.engine import open_backend
from summarize.llm.prompts import load_prompt
from summarize.llm.ratelimit import RateLimiter
from summarize.llm.wire import MESSAGE_OVERHEAD, REPLY_OVERHEAD, request_tokens
from summarize.text.tokens import count_tokens

FAST = RetryPolicy(attempts=2, timeout=1.0, backoff_base=0.01)


def request(name: str = "Anna Weber") -> ChatRequest:
    prompt = load_prompt("tldr@v1")
    return ChatRequest(messages=prompt.messages(article=f"{name} besucht Berlin. Sie trifft den Bürgermeister.",
                                                language="German", title=""),
                       schema_name=prompt.schema_name, schema=prompt.json_schema(), max_tokens=300)


def client(fake, kind=AsyncOpenAIChat, policy: RetryPolicy = FAST):
    return kind(base_url=fake.base_url, api_key="sk-test", model="fake-model", name="openai", context_size=8192,
                policy=policy)


def test_async_answers_like_the_blocking_client():
    with FakeOpenAI() as fake:
        blocking, looped = client(fake, OpenAIChat), client(fake)
        try:
            a, b = blocking.complete(request()), looped.complete(request())
        finally:
            blocking.close()
            looped.close()
        sent = fake.requests
    assert (a.content, a.finish_reason, a.prompt_tokens, a.completion_tokens) == \
        (b.content, b.finish_reason, b.prompt_tokens, b.completion_tokens)
    assert sent[0] == sent[1], "one request body, whichever client sends it"


@pytest.mark.parametrize("fault", ["429", "500", "drop", "hang"])
def test_transient_faults_are_retried_by_tenacity(fault):
    with FakeOpenAI(faults=[fault], hang_seconds=3) as fake:
        looped = client(fake)
        try:
            result = looped.complete(request())
        finally:
            looped.close()
        assert fake.calls == 2
    assert result.content.startswith('{"tldr"')


def test_client_errors_are_one_line_and_not_retried():
    with FakeOpenAI(faults=["400", "400"]) as fake:
        looped = client(fake)
        try:
            with pytest.raises(LLMError, match="^LLM server answered HTTP 400$"):
                looped.complete(request())
        finally:
            looped.close()
        assert fake.calls == 1


def test_sixteen_calls_are_in_flight_together():
    with FakeOpenAI(latency=0.2) as fake:
        looped = client(fake)
        try:
            started = time.perf_counter()
            with ThreadPoolExecutor(16) as pool:
                results = list(pool.map(lambda i: looped.complete(request(f"Person {i}")), range(32)))
            wall = time.perf_counter() - started
        finally:
            looped.close()
    assert len(results) == 32
    assert wall < 1.5, f"32 calls of 0.2 s, 16 at a time, took {wall:.2f} s"


def test_closing_stops_a_call_in_flight():
    with FakeOpenAI(faults=["hang"], hang_seconds=30) as fake:
        looped = client(fake, policy=RetryPolicy(attempts=1, timeout=60))
        outcome = []
        worker = threading.Thread(target=lambda: outcome.append(_error_of(looped.complete, request())))
        worker.start()
        while fake.calls == 0:
            time.sleep(0.01)
        started = time.perf_counter()
        looped.close()
        worker.join(10)
    assert not worker.is_alive() and time.perf_counter() - started < 6
    assert isinstance(outcome[0], LLMError)


def _error_of(fn, *args):
    try:
        fn(*args)
    except Exception as exc:  # noqa: BLE001 - the test looks at which
        return exc
    return None


class VirtualTime:
    """A clock that moves only when the limiter sleeps."""

    def __init__(self):
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def starts(limiter: RateLimiter, clock: VirtualTime, tokens: list[int]) -> list[float]:
    async def run():
        times = []
        for count in tokens:
            await limiter.acquire(count)
            times.append(round(clock.now, 3))
        return times

    return asyncio.run(run())


def test_requests_per_minute_space_the_requests_out():
    clock = VirtualTime()
    limiter = RateLimiter(requests_per_minute=2, clock=clock, sleep=clock.sleep)
    # A minute's budget at once, then one request every 30 seconds.
    assert starts(limiter, clock, [1] * 5) == [0, 0, 30, 60, 90]


def test_tokens_per_minute_hold_back_large_requests():
    clock = VirtualTime()
    limiter = RateLimiter(tokens_per_minute=1000, clock=clock, sleep=clock.sleep)
    assert starts(limiter, clock, [400, 400, 400, 1500]) == [0, 0, 12, 72]


def test_the_servers_headers_correct_the_limits():
    clock = VirtualTime()
    limiter = RateLimiter(clock=clock, sleep=clock.sleep)
    assert not limiter.counts_tokens
    limiter.observe({"x-ratelimit-limit-requests": "60", "x-ratelimit-remaining-requests": "0",
                     "x-ratelimit-limit-tokens": "6000", "x-ratelimit-remaining-tokens": "5000"})
    assert limiter.counts_tokens, "a token limit the server names is kept from then on"
    assert starts(limiter, clock, [100, 100]) == [1, 2]
    # A remaining count above ours does not raise ours: other clients spend from it too.
    limiter.observe({"x-ratelimit-remaining-requests": "59"})
    assert limiter.requests.level < 1


def test_tokens_are_counted_with_tiktoken_before_sending():
    sent = request()
    expected = sum(count_tokens(m["content"]) + MESSAGE_OVERHEAD for m in sent.messages)
    assert request_tokens(sent) == expected + REPLY_OVERHEAD + sent.max_tokens


def test_the_environment_chooses_the_client_and_its_limits(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    monkeypatch.setenv("SUMMARIZE_TPM", "200000")
    looped = open_backend(model="m", backend="openai")
    try:
        assert isinstance(looped, AsyncOpenAIChat) and looped.limiter.tokens.limit == 200000
    finally:
        looped.close()
    monkeypatch.setenv("SUMMARIZE_CLIENT", "sync")
    assert isinstance(open_backend(model="m", backend="openai"), OpenAIChat)
    monkeypatch.setenv("SUMMARIZE_CLIENT", "async")
    monkeypatch.setenv("SUMMARIZE_RPM", "many")
    with pytest.raises(LLMError, match="SUMMARIZE_RPM must be a positive number"):
        open_backend(model="m", backend="openai")
