"""The fake OpenAI server, exercised through the real `openai` SDK over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import openai
import pytest
from fake_openai import (
    FakeOpenAI,
    article_text,
    default_answer,
    echo_tldr_answer,
    random_faults,
    story_answer,
)

ARTICLE = (
    "Angela Merkel met officials of the European Central Bank in Frankfurt am Main "
    "on Tuesday. The talks covered inflation and the euro. Olaf Scholz was not there."
)
TLDR_SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "tldr",
        "strict": True,
        "schema": {"type": "object", "properties": {"tldr": {}, "entities": {}}},
    },
}
STORY_SCHEMA = {
    "type": "json_schema",
    "json_schema": {
        "name": "story",
        "strict": True,
        "schema": {"type": "object", "properties": {"headline": {}, "tldr": {}}},
    },
}


def user_prompt(article: str = ARTICLE) -> str:
    return f"Summarise the article.\n<article>\n{article}\n</article>"


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


_clients: list[openai.OpenAI] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    # SDK clients pool keep-alive sockets; close them so no test leaks one.
    yield
    while _clients:
        _clients.pop().close()


def client_for(
    target: FakeOpenAI | str, timeout: float = 5.0, max_retries: int = 0
) -> openai.OpenAI:
    # No retries by default: each test sees exactly what the server sent.
    base_url = target if isinstance(target, str) else target.base_url
    client = openai.OpenAI(
        base_url=base_url, api_key="sk-test", max_retries=max_retries, timeout=timeout
    )
    _clients.append(client)
    return client


def ask(client: openai.OpenAI, schema: dict = TLDR_SCHEMA, article: str = ARTICLE):
    return client.chat.completions.create(
        model="test-model",
        messages=[
            {"role": "system", "content": "You summarise news."},
            {"role": "user", "content": user_prompt(article)},
        ],
        response_format=schema,  # type: ignore[arg-type]
    )


# --- normal answers -------------------------------------------------------------


def test_normal_answer_is_schema_valid_json(fake: FakeOpenAI) -> None:
    completion = ask(client_for(fake))
    choice = completion.choices[0]
    assert completion.object == "chat.completion"
    assert completion.model == "test-model"
    assert choice.finish_reason == "stop"
    assert choice.message.role == "assistant"
    answer = json.loads(choice.message.content or "")
    assert set(answer) == {"tldr", "entities"}
    assert answer["tldr"] == "Angela Merkel met officials of the European Central Bank in Frankfurt am Main on Tuesday."
    assert answer["entities"] == [
        {"name": "Angela Merkel", "type": "PER"},
        {"name": "European Central Bank", "type": "LOC"},
        {"name": "Olaf Scholz", "type": "PER"},
    ]
    for entity in answer["entities"]:
        assert entity["type"] in {"PER", "ORG", "LOC"}
        assert entity["name"] in ARTICLE  # extracted verbatim, so it is grounded
    usage = completion.usage
    assert usage is not None and usage.completion_tokens == len(choice.message.content or "") // 4
    assert usage.total_tokens == usage.prompt_tokens + usage.completion_tokens > 0


def test_story_schema_gets_story_answer(fake: FakeOpenAI) -> None:
    completion = ask(client_for(fake), schema=STORY_SCHEMA)
    answer = json.loads(completion.choices[0].message.content or "")
    assert set(answer) == {"headline", "tldr"}
    assert answer["headline"] and answer["tldr"].startswith("Angela Merkel")


def test_models_endpoint(fake: FakeOpenAI) -> None:
    models = client_for(fake).models.list()
    assert [m.id for m in models.data] == ["fake-model"]


def test_answer_helpers_without_http() -> None:
    request = {"messages": [{"role": "user", "content": "intro\n<article>\nx\n<article>\nLast one. More.\n</article>"}]}
    assert article_text(request["messages"][0]["content"]) == "Last one. More."
    assert json.loads(echo_tldr_answer(request)) == {"tldr": "Last one.", "entities": []}
    assert json.loads(story_answer(request))["tldr"] == "Last one. More."
    long = {"messages": [{"role": "user", "content": " ".join(["word"] * 100)}]}
    assert len(json.loads(default_answer(long))["tldr"].split()) == 40


def test_custom_answer_and_request_recording() -> None:
    with FakeOpenAI(answer=lambda request: "custom") as fake:
        client = client_for(fake)
        assert ask(client).choices[0].message.content == "custom"
        ask(client, article="Second.")
        assert fake.calls == 2
        assert fake.requests[0]["model"] == "test-model"
        assert fake.requests[1]["messages"][1]["content"] == user_prompt("Second.")
        assert fake.requests[0]["response_format"]["json_schema"]["name"] == "tldr"
        fake.reset()
        assert fake.calls == 0 and fake.requests == []


# --- faults ---------------------------------------------------------------------


def test_429_has_retry_after_headers() -> None:
    with FakeOpenAI(faults=["429:0.1", "429"]) as fake:
        client = client_for(fake)
        with pytest.raises(openai.RateLimitError) as err:
            ask(client)
        assert err.value.response.headers["retry-after"] == "0.1"
        assert err.value.response.headers["retry-after-ms"] == "100"
        with pytest.raises(openai.RateLimitError) as err:
            ask(client)
        assert float(err.value.response.headers["retry-after"]) == 0.05


@pytest.mark.parametrize("kind", ["500", "503"])
def test_server_errors(kind: str) -> None:
    with FakeOpenAI(faults=[kind]) as fake:
        with pytest.raises(openai.InternalServerError) as err:
            ask(client_for(fake))
        assert err.value.status_code == int(kind)


def test_400_is_bad_request() -> None:
    with FakeOpenAI(faults=["400"]) as fake:
        with pytest.raises(openai.BadRequestError):
            ask(client_for(fake))


def test_400_is_not_retried_by_the_sdk() -> None:
    with FakeOpenAI(faults=["400", None]) as fake:
        client = client_for(fake, max_retries=3)
        with pytest.raises(openai.BadRequestError):
            ask(client)
        assert fake.calls == 1


def test_hang_times_out_client() -> None:
    with FakeOpenAI(faults=["hang"], hang_seconds=2) as fake:
        started = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            ask(client_for(fake, timeout=0.5))
        assert time.monotonic() - started < 1.5
    # stop() woke the hanging handler instead of waiting the full 2 s.
    assert time.monotonic() - started < 1.8


def test_hang_then_answers_when_client_waits() -> None:
    with FakeOpenAI(faults=["hang:0.2"]) as fake:
        completion = ask(client_for(fake, timeout=5))
        assert json.loads(completion.choices[0].message.content or "")["tldr"]


def test_drop_is_connection_error() -> None:
    with FakeOpenAI(faults=["drop", None]) as fake:
        client = client_for(fake)
        with pytest.raises(openai.APIConnectionError) as err:
            ask(client)
        assert not isinstance(err.value, openai.APITimeoutError)
        assert ask(client).choices[0].finish_reason == "stop"  # server still serves


def test_bad_answer_faults() -> None:
    faults = ["invalid_json", "truncated", "schema", "pwned"]
    with FakeOpenAI(faults=faults) as fake:
        client = client_for(fake)

        invalid = ask(client).choices[0]
        assert invalid.finish_reason == "stop"
        with pytest.raises(json.JSONDecodeError):
            json.loads(invalid.message.content or "")

        truncated = ask(client).choices[0]
        assert truncated.finish_reason == "length"
        assert (truncated.message.content or "").startswith('{"tldr": ')
        with pytest.raises(json.JSONDecodeError):
            json.loads(truncated.message.content or "")

        schema = json.loads(ask(client).choices[0].message.content or "")
        assert "tldr" not in schema and not isinstance(schema["entities"], list)

        assert json.loads(ask(client).choices[0].message.content or "") == {"tldr": "PWNED", "entities": []}


def test_fault_script_order_then_normal() -> None:
    with FakeOpenAI(faults=["500", None, "429", "400"]) as fake:
        client = client_for(fake)
        outcomes = []
        for _ in range(6):
            try:
                ask(client)
                outcomes.append("ok")
            except openai.APIStatusError as exc:
                outcomes.append(str(exc.status_code))
        assert outcomes == ["500", "ok", "429", "400", "ok", "ok"]
        fake.reset()  # the script starts over
        with pytest.raises(openai.InternalServerError):
            ask(client)


def test_fault_callable_and_unknown_kind() -> None:
    with FakeOpenAI(faults=lambda index, request: "503" if index % 2 else None) as fake:
        client = client_for(fake)
        ask(client)
        with pytest.raises(openai.InternalServerError):
            ask(client)
    with pytest.raises(ValueError):
        FakeOpenAI(faults=["teapot"])


def test_random_faults_are_deterministic_and_near_rate() -> None:
    request: dict = {}
    picks = [random_faults(0.3, seed=7)(i, request) for i in range(200)]
    assert picks == [random_faults(0.3, seed=7)(i, request) for i in range(200)]
    assert picks != [random_faults(0.3, seed=8)(i, request) for i in range(200)]
    failed = [p for p in picks if p is not None]
    assert 40 <= len(failed) <= 80  # binomial(200, 0.3): mean 60, sd ~6.5
    assert len(set(failed)) >= 4  # kinds are mixed
    assert not any(random_faults(0.0)(i, request) for i in range(50))
    assert all(random_faults(1.0, kinds=["500"])(i, request) == "500" for i in range(50))


# --- concurrency and lifecycle ----------------------------------------------------


def test_concurrent_requests_overlap() -> None:
    with FakeOpenAI(latency=0.2) as fake:
        client = client_for(fake)
        ask(client)  # warm up the connection pool outside the timing
        started = time.monotonic()
        with ThreadPoolExecutor(16) as pool:
            results = list(pool.map(lambda i: ask(client, article=f"Story {i}."), range(16)))
        elapsed = time.monotonic() - started
        assert elapsed < 1.5, elapsed
        assert all(r.choices[0].finish_reason == "stop" for r in results)
        assert fake.calls == 17
        assert fake.errors == []


def test_stop_leaves_no_threads_and_frees_port() -> None:
    before = {t for t in threading.enumerate() if t.name.startswith("fake-openai")}
    fake = FakeOpenAI(latency=0.05).start()
    url = fake.base_url
    ask(client_for(fake))  # leaves an idle keep-alive connection open
    fake.stop()
    after = {t for t in threading.enumerate() if t.name.startswith("fake-openai")}
    assert after == before
    with pytest.raises(RuntimeError):
        fake.base_url
    with pytest.raises(openai.APIConnectionError):
        ask(client_for(url, timeout=1))


def test_cli_prints_base_url_and_serves() -> None:
    script = Path(__file__).with_name("fake_openai.py")
    command = [sys.executable, str(script), "--port", "0", "--latency", "0.0"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as proc:
        try:
            assert proc.stdout is not None
            url = proc.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:") and url.endswith("/v1")
            client = client_for(url)
            assert json.loads(ask(client).choices[0].message.content or "")["tldr"]
        finally:
            proc.terminate()
        assert proc.wait(timeout=5) == 0  # SIGTERM is a clean shutdown


def test_sdk_retries_honour_retry_after() -> None:
    with FakeOpenAI(faults=["429", "429", None]) as fake:
        client = client_for(fake, max_retries=2)
        started = time.monotonic()
        completion = ask(client)
        # Two 0.05 s Retry-After waits; the SDK's own backoff would be >= 0.375 s each.
        assert time.monotonic() - started < 0.5
        assert json.loads(completion.choices[0].message.content or "")["entities"]
        assert fake.calls == 3
