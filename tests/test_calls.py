"""Validation, the single re-ask, caching and the call log."""

import pytest
from fake_openai import FakeOpenAI

from summarize.llm.backend import OpenAIChat, RetryPolicy
from summarize.llm.calls import AnswerError, StructuredCaller
from summarize.llm.prompts import load_prompt
from summarize.models import Usage
from summarize.store import Store

VARIABLES = {"article": "Anna Weber besucht Berlin. Sie trifft den Bürgermeister.", "language": "German", "title": ""}


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "state.sqlite3")
    yield s
    s.close()


def caller(fake, store, use_cache=True):
    backend = OpenAIChat(base_url=fake.base_url, api_key="sk-test", model="fake-model", name="openai",
                         context_size=8192, policy=RetryPolicy(attempts=2, timeout=2, backoff_base=0.01))
    return StructuredCaller(backend, store, use_cache=use_cache)


@pytest.mark.parametrize("fault", ["invalid_json", "truncated", "schema"])
def test_bad_answer_is_asked_again_once_with_the_reason(fault, store):
    with FakeOpenAI(faults=[fault]) as fake:
        usage = Usage()
        answer = caller(fake, store).ask(load_prompt("tldr@v1"), VARIABLES, usage)
        assert fake.calls == 2
        reask = fake.requests[1]["messages"][-1]["content"]
    assert "rejected" in reask
    assert answer.tldr.startswith("Anna Weber")
    assert usage.calls == 2
    outcomes = [c["outcome"] for c in reversed(store.recent_calls())]
    assert outcomes == ["rejected", "ok"]


def test_two_bad_answers_fail_with_the_reason_and_nothing_is_cached(store):
    with FakeOpenAI(faults=["truncated", "truncated"]) as fake:
        with pytest.raises(AnswerError, match="finish_reason=length"):
            caller(fake, store).ask(load_prompt("tldr@v1"), VARIABLES, Usage())
    with FakeOpenAI() as fake:
        caller(fake, store).ask(load_prompt("tldr@v1"), VARIABLES, Usage())
        assert fake.calls == 1, "a failed answer must not have been cached"


def test_caller_check_rejects_an_obeyed_injection(store):
    with FakeOpenAI(faults=["pwned", "pwned"]) as fake:
        with pytest.raises(AnswerError, match="PWNED-free"):
            caller(fake, store).ask(load_prompt("tldr@v1"), VARIABLES, Usage(),
                                    check=lambda a: "PWNED-free answer expected" if "PWNED" in a.tldr else None)


def test_second_ask_is_served_from_the_cache(store):
    with FakeOpenAI() as fake:
        first, second = Usage(), Usage()
        c = caller(fake, store)
        a = c.ask(load_prompt("tldr@v1"), VARIABLES, first)
        b = c.ask(load_prompt("tldr@v1"), VARIABLES, second)
        assert fake.calls == 1
    assert a == b
    assert (second.calls, second.cached) == (0, 1)


def test_cache_key_covers_prompt_version_and_input(store):
    with FakeOpenAI() as fake:
        c = caller(fake, store)
        c.ask(load_prompt("tldr@v1"), VARIABLES, Usage())
        c.ask(load_prompt("tldr@v2"), VARIABLES, Usage())
        c.ask(load_prompt("tldr@v1"), {**VARIABLES, "article": "Otto Lang besucht Bonn."}, Usage())
        assert fake.calls == 3


def test_no_cache_calls_again(store):
    with FakeOpenAI() as fake:
        c = caller(fake, store, use_cache=False)
        c.ask(load_prompt("tldr@v1"), VARIABLES, Usage())
        c.ask(load_prompt("tldr@v1"), VARIABLES, Usage())
        assert fake.calls == 2
