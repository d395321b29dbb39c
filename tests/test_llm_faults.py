"""The OpenAI-protocol client against a real HTTP server that injects faults."""

import time

import pytest
from fake_openai import FakeOpenAI

from summarize.llm.backend import ChatRequest, LLMError, OpenAIChat, RetryPolicy
from summarize.llm.prompts import strict_schema
from summarize.models import TldrAnswer

FAST = RetryPolicy(attempts=4, timeout=1.0, deadline=20, backoff_base=0.01, backoff_max=0.05)


def request() -> ChatRequest:
    return ChatRequest(
        messages=[{"role": "user", "content": "<article>\nAnna Weber besucht Berlin.\n</article>"}],
        schema_name="tldr", schema=strict_schema(TldrAnswer),
    )


def chat(fake: FakeOpenAI, policy: RetryPolicy = FAST) -> OpenAIChat:
    return OpenAIChat(base_url=fake.base_url, api_key="sk-test", model="fake-model", name="openai",
                      context_size=8192, policy=policy)


@pytest.mark.parametrize("fault", ["429", "500", "503", "drop"])
def test_transient_fault_is_retried_once_then_succeeds(fault):
    with FakeOpenAI(faults=[fault]) as fake:
        result = chat(fake).complete(request())
        assert fake.calls == 2
    assert TldrAnswer.model_validate_json(result.content).tldr.startswith("Anna Weber")


def test_retry_after_is_honoured():
    with FakeOpenAI(faults=["429:0.6"]) as fake:
        started = time.perf_counter()
        chat(fake, RetryPolicy(attempts=3, timeout=2, backoff_base=0.0, backoff_max=0.0)).complete(request())
        waited = time.perf_counter() - started
    assert waited >= 0.6, "the client came back before the server's Retry-After"


def test_hang_times_out_and_is_retried():
    with FakeOpenAI(faults=["hang"], hang_seconds=3) as fake:
        started = time.perf_counter()
        result = chat(fake, RetryPolicy(attempts=2, timeout=0.4, backoff_base=0.01, backoff_max=0.01)).complete(request())
        assert fake.calls == 2
    assert time.perf_counter() - started < 2.5
    assert result.finish_reason == "stop"


def test_client_error_is_not_retried():
    with FakeOpenAI(faults=["400"]) as fake:
        with pytest.raises(LLMError, match="HTTP 400"):
            chat(fake).complete(request())
        assert fake.calls == 1


def test_attempts_are_capped_and_the_error_is_one_line():
    with FakeOpenAI(faults=["500"] * 10) as fake:
        with pytest.raises(LLMError) as info:
            chat(fake).complete(request())
        assert fake.calls == FAST.attempts
    assert "\n" not in str(info.value) and "500" in str(info.value)


def test_sdk_does_not_retry_on_its_own():
    with FakeOpenAI(faults=["500"] * 10) as fake:
        with pytest.raises(LLMError):
            chat(fake, RetryPolicy(attempts=1, timeout=1)).complete(request())
        assert fake.calls == 1


def test_unreachable_server_gives_a_clear_error():
    policy = RetryPolicy(attempts=2, timeout=0.5, backoff_base=0.01, backoff_max=0.01)
    client = OpenAIChat(base_url="http://127.0.0.1:9/v1", api_key=None, model="m", name="openai",
                        context_size=8192, policy=policy)
    with pytest.raises(LLMError, match="cannot reach"):
        client.complete(request())
