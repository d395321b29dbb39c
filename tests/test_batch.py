"""--batch: a run's calls as Batch API jobs, against the loopback double
(tests/fake_batch.py): the same answers as live calls, validated, cached and
logged alike; statuses and partial errors; re-asks in a follow-up job or live."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_batch import FakeBatchAPI
from fake_openai import FakeOpenAI

from summarize.digest.briefing import run_digest
from summarize.digest.settings import DigestSettings
from summarize.llm.backend import LLMError, RetryPolicy, call_cost
from summarize.llm.batch import BatchLedger, BatchRun, batch_cost, batch_run, job_lines
from summarize.llm.batch_api import BatchAPI
from summarize.llm.calls import AnswerError, StructuredCaller
from summarize.llm.engine import open_caller
from summarize.llm.prompts import load_prompt
from summarize.models import Usage
from summarize.schedule.config import Schedule
from summarize.store import Store
from summarize.tldr.stage import DEFAULT_PROMPT

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(str(p) for p in (ROOT / "seeds").glob("*.txt"))
FAST = RetryPolicy(attempts=2, timeout=5, backoff_base=0.01)
NAMES = ["Anna Weber", "Jonas Berg", "Petra Lindner", "Markus Hofmann", "Lena Schulz", "Tobias Krüger"]


def who(body: dict) -> int:
    """Which of NAMES a request asks about."""
    text = "\n".join(m["content"] for m in body["messages"] if m["role"] == "user")
    return next(i for i, name in enumerate(NAMES) if name in text)


def variables(i: int) -> dict[str, str]:
    return {"article": f"{NAMES[i]} besucht Berlin. Sie trifft dort den Bürgermeister.", "language": "German",
            "title": ""}


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch):
    monkeypatch.setenv("SUMMARIZE_BATCH_POLL", "0.01")


@pytest.fixture
def env(monkeypatch):
    def point_at(fake) -> None:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test")
        monkeypatch.setenv("SUMMARIZE_MODEL", "gpt-4.1-mini")
        monkeypatch.setenv("SUMMARIZE_BATCH_POLL", "0.01")
        monkeypatch.setenv("SUMMARIZE_LLM_BACKOFF", "0.01")
    return point_at


class Asker:
    """A batch caller on its own ledger, asking about NAMES[i] for each i."""

    def __init__(self, fake, db: Path, reask: str = "batch"):
        from summarize.llm.backend import OpenAIChat

        self.store = Store(db)
        self.live = OpenAIChat(base_url=fake.base_url, api_key="sk-test", model="gpt-4.1-mini", name="openai",
                               context_size=8192, policy=FAST)
        self.api = BatchAPI(base_url=fake.base_url, api_key="sk-test", policy=FAST)
        self.ledger = BatchLedger(self.store, self.api, self.live, base_url=fake.base_url, run=BatchRun(reask=reask))
        self.caller = StructuredCaller(self.live, self.store, batch=self.ledger)
        self.prompt = load_prompt("tldr@v1")

    def ask(self, indices) -> tuple[list, Usage]:
        """The answers (or errors) and the usage of the pass that settled them."""
        def one_pass():
            usage = Usage()
            results = []
            for i in indices:
                try:
                    results.append(self.caller.ask(self.prompt, variables(i), usage))
                except (LLMError, AnswerError) as exc:
                    results.append(exc)
            return results, usage

        return self.ledger.settle(one_pass)

    def close(self):
        self.api.close()
        self.live.close()
        self.store.close()

    def calls(self) -> list[tuple[str, str]]:
        return [(c["backend"], c["outcome"]) for c in reversed(self.store.recent_calls(100))]


def test_batch_digest_gives_the_live_briefing_in_two_jobs(tmp_path, env):
    settings = DigestSettings.load(prompt=DEFAULT_PROMPT)
    with FakeBatchAPI() as fake:
        env(fake)
        with open_caller(backend="openai", db=tmp_path / "live.db") as caller:
            live = run_digest(SEEDS, caller, settings)
        live_calls = fake.calls
        fake.reset()
        with batch_run(), open_caller(backend="batch", db=tmp_path / "batch.db") as caller:
            batched = run_digest(SEEDS, caller, settings)
        jobs = fake.submitted()
        with batch_run(), open_caller(backend="batch", db=tmp_path / "batch.db") as caller:
            again = run_digest(SEEDS, caller, settings)
    assert batched.stories == live.stories and batched.not_summarized == [] == live.not_summarized
    # The TLDRs in one job, the story merges, which need them, in a second.
    assert [len(job) for job in jobs] == [5, live_calls - 5]
    assert len({custom_id for job in jobs for custom_id in job}) == live_calls
    assert batched.usage.calls == live_calls and batched.usage.cached == 0
    assert again.usage.calls == 0 and fake.creates == 2, "a re-run is answered from the cache"
    store = Store(tmp_path / "batch.db")
    try:
        assert {c["backend"] for c in store.recent_calls(100)} == {"batch"}
        assert len(store.recent_calls(100)) == live_calls
        [merges, tldrs] = store.batch_jobs()
        assert (tldrs["status"], tldrs["requests"], tldrs["completed"], merges["status"]) == \
            ("completed", 5, 5, "completed")
        assert store.batch_requests_of() == [], "settled requests leave the queue"
        total = store.totals(batch=True)[0]
    finally:
        store.close()
    assert total["calls"] == live_calls
    # `summarize batches` bills each job at half the live price.
    half = call_cost("gpt-4.1-mini", tldrs["prompt_tokens"], tldrs["completion_tokens"]) / 2
    assert f"${half:.4f}" in list(job_lines([tldrs]))[0]


@pytest.mark.parametrize("outcome", ["failed", "expired", "cancelled"])
def test_a_job_that_ends_early_is_followed_by_one_for_the_rest(tmp_path, outcome):
    first_only = lambda number: outcome if number == 0 else "completed"  # noqa: E731
    with FakeBatchAPI(outcome=first_only, answered_share=0.5) as fake:
        asker = Asker(fake, tmp_path / "db")
        try:
            answers, usage = asker.ask(range(4))
            jobs = fake.submitted()
            calls = asker.calls()
        finally:
            asker.close()
    assert [a.tldr.split()[0] for a in answers] == [n.split()[0] for n in NAMES[:4]]
    answered_first = 0 if outcome == "failed" else 2
    assert [len(job) for job in jobs] == [4, 4 - answered_first]
    assert set(jobs[1]) <= {cid.replace("-0", "-1") for cid in jobs[0]}, "only the unanswered go again"
    assert calls.count(("batch", "error")) == 4 - answered_first
    assert usage.calls == 4 and usage.reasks == 0


def test_partial_errors_are_asked_again_in_a_follow_up_job(tmp_path):
    faults = {0: "500", 1: "schema", 2: "truncated", 3: "expired"}
    with FakeBatchAPI(request_faults=lambda i, cid, body: faults.get(who(body)) if cid.endswith("-0") else None
                      ) as fake:
        asker = Asker(fake, tmp_path / "db")
        try:
            answers, usage = asker.ask(range(5))
            jobs = fake.submitted()
            bodies = {line["custom_id"]: line["body"] for f in fake.files.values()
                      for line in map(json.loads, f["_data"].splitlines()) if "body" in line and "method" in line}
            calls = asker.calls()
        finally:
            asker.close()
    assert all(a.tldr.startswith(NAMES[i].split()[0]) for i, a in enumerate(answers))
    assert [len(job) for job in jobs] == [5, 4]
    reasks = [bodies[cid]["messages"][-1]["content"] for cid in jobs[1]]
    # Rejected answers are asked again with the reason, as live; failed requests as they were.
    assert sum("rejected" in text for text in reasks) == 2
    assert sorted(outcome for _, outcome in calls) == ["error", "error", "ok", "ok", "ok", "ok", "ok",
                                                        "rejected", "rejected"]
    assert usage.calls == 7 and usage.reasks == 2


def test_twice_bad_answers_fail_with_their_reason_and_the_next_run_asks_again(tmp_path):
    always = {0: "truncated", 1: "503"}
    with FakeBatchAPI(request_faults=lambda i, cid, body: always.get(who(body))) as fake:
        asker = Asker(fake, tmp_path / "db")
        try:
            results, _ = asker.ask([0, 1, 2])
            creates = fake.creates
        finally:
            asker.close()
    assert isinstance(results[0], AnswerError) and "finish_reason=length" in str(results[0])
    assert isinstance(results[1], LLMError) and "failed twice" in str(results[1]) and "503" in str(results[1])
    assert results[2].tldr.startswith("Petra")
    assert creates == 2
    with FakeBatchAPI() as fake:
        asker = Asker(fake, tmp_path / "db")
        try:
            results, usage = asker.ask([0, 1, 2])
        finally:
            asker.close()
    assert [len(job) for job in fake.submitted()] == [2], "failures are not cached; the answer is"
    assert usage.cached == 1 and usage.calls == 2


def test_live_reask_after_a_rejected_batch_answer(tmp_path):
    with FakeBatchAPI(request_faults=lambda i, cid, body: "schema" if who(body) == 1 else None) as fake:
        asker = Asker(fake, tmp_path / "db", reask="live")
        try:
            answers, usage = asker.ask(range(3))
            live = [r for r in fake.requests if "rejected" in r["messages"][-1]["content"]]
            calls = asker.calls()
        finally:
            asker.close()
    assert all(not isinstance(a, Exception) for a in answers)
    assert fake.creates == 1 and len(live) == 1
    assert ("openai", "ok") in calls and calls.count(("batch", "rejected")) == 1
    assert usage.calls == 4 and usage.reasks == 1


def test_a_server_without_the_batch_api_names_live_calls(tmp_path, env):
    with FakeOpenAI() as fake:
        env(fake)
        with batch_run(), open_caller(backend="batch", db=tmp_path / "db") as caller:
            with pytest.raises(LLMError) as failure:
                run_digest(SEEDS[:1], caller, DigestSettings.load(prompt=DEFAULT_PROMPT))
    message = str(failure.value)
    assert "does not offer the Batch API" in message and "without --batch" in message and "\n" not in message


def test_batch_needs_an_openai_compatible_server(tmp_path, monkeypatch):
    for name in ("OPENAI_BASE_URL", "OPENAI_API_KEY"):
        monkeypatch.delenv(name, raising=False)
    with pytest.raises(LLMError, match="embedded model answers live"):
        with open_caller(backend="batch", db=tmp_path / "db"):
            pass


def test_batch_price_is_half_and_jobs_are_listed(tmp_path):
    assert batch_cost("gpt-4.1-mini", 1_000_000, 1_000_000) == pytest.approx((0.40 + 1.60) / 2)
    assert batch_cost("unknown-model", 10, 10) is None
    store = Store(tmp_path / "db")
    try:
        store.add_batch_job("sj-1", base_url="http://x/v1", model="gpt-4.1-mini")
        store.update_batch_job("sj-1", remote_id="batch_9", status="in_progress", requests=3,
                               prompt_tokens=1_000_000, completion_tokens=0)
        [line] = list(job_lines(store.batch_jobs()))
    finally:
        store.close()
    assert "batch_9" in line and "in_progress" in line and "$0.2000" in line and "pending" in line


def test_a_schedule_can_make_its_briefing_in_batch(tmp_path):
    schedule = Schedule(inbox=tmp_path, at="07:00", tz="UTC", out=tmp_path, backend="batch",
                        created="2026-01-01T00:00:00Z")
    assert schedule.backend == "batch"
