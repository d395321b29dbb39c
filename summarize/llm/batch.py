"""`--batch`: a run's calls as OpenAI Batch API jobs, at half the price.

A batch run goes in passes. A pass runs the stage (every article's TLDR; a
digest's story merges) as a live run would, but a request whose answer is
not there yet is queued in the SQLite store and its ask fails with
`Deferred`. After the pass, everything queued goes up as one job, which is
polled until it has finished; its results are read back into the store,
and the next pass finds them. A pass that waits for nothing is the run's
result. The story merges need the TLDRs, so a digest's second job holds them.

An answer from a job is validated exactly as a live one (the caller's
`validate`: schema, cut-off, the stage's own check). A request that was
rejected or failed inside a job is asked once more, in a follow-up job (or
live, with `reask="live"`), and then fails with its reason. Each result is
logged once in the call log (backend "batch") and a valid answer is cached
like any other.

The store holds every request with its job, and each job with the server's
id as soon as it is known, so a run that is stopped at any point (Ctrl-C,
kill -9, a reboot) and started again waits for the job it had submitted
instead of paying for its requests again.
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import os
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from summarize.llm.backend import (
    ChatRequest,
    LLMBackend,
    LLMError,
    call_cost,
    chat_body,
)
from summarize.llm.batch_api import BatchAPI, Job, read_results
from summarize.llm.calls import REASK, AnswerError
from summarize.llm.prompts import Prompt
from summarize.llm.wire import CHAT_PATH
from summarize.models import Usage
from summarize.store import BATCH_BACKEND, BatchRow, CallRecord, Store

log = logging.getLogger(__name__)
T = TypeVar("T")

# The Batch API bills half the live price.
BATCH_DISCOUNT = 0.5
# One job holds at most this many requests and bytes (the API's limits are
# 50,000 and 200 MB); more go as several jobs.
MAX_REQUESTS = 50_000
MAX_BYTES = 190_000_000
# Seconds between polls: the first, growing by POLL_GROWTH up to POLL_MAX.
POLL_ENV = "SUMMARIZE_BATCH_POLL"
POLL_FIRST = 5.0
POLL_GROWTH = 1.5
POLL_MAX = 300.0
REASK_MODES = ("batch", "live")


def batch_cost(model: str, prompt_tokens: int, completion_tokens: int) -> float | None:
    """US dollars at the Batch API's price; None for a model without a price."""
    cost = call_cost(model, prompt_tokens, completion_tokens)
    return cost * BATCH_DISCOUNT if cost is not None else None


class Deferred(LLMError):
    """The answer comes from a Batch API job that has not finished yet."""


@dataclass
class Settled:
    """An answer validated in this run: later passes are served from it."""

    content: str
    calls: int
    reasks: int
    prompt_tokens: int
    completion_tokens: int

    def count(self, usage: Usage) -> None:
        usage.calls += self.calls
        usage.reasks += self.reasks
        usage.prompt_tokens += self.prompt_tokens
        usage.completion_tokens += self.completion_tokens


@dataclass
class BatchRun:
    """What one run keeps across its passes."""

    reask: str = "batch"  # a rejected or failed request is asked again in a follow-up job, or "live"
    # With --no-cache, requests of earlier runs are not reused either.
    scope: str = ""
    settled: dict[str, Settled] = field(default_factory=dict)
    failed: dict[str, LLMError] = field(default_factory=dict)
    waiting: set[str] = field(default_factory=set)  # custom_ids the current pass waits for
    jobs: list[str] = field(default_factory=list)  # every job this run submitted or waited for
    where: tuple[Path, str | None, str] | None = None  # database, base URL, model: for `settle` after a pass
    lock: threading.Lock = field(default_factory=threading.Lock)

    def settle(self, stage: Callable[[], T], flush: Callable[["BatchRun"], None] | None = None) -> T:
        """`stage` run until it no longer waits for a job; each pass's
        queued requests go up as one job in between."""
        previous: set[str] | None = None
        while True:
            with self.lock:
                self.waiting = set()
            result = stage()
            with self.lock:
                waiting = set(self.waiting)
            if not waiting:
                return result
            if waiting == previous:
                raise LLMError(f"batch: {len(waiting)} request(s) are still waiting after their job finished")
            previous = waiting
            (flush or _flush_where)(self)


_current: contextvars.ContextVar[BatchRun | None] = contextvars.ContextVar("summarize_batch_run", default=None)


@contextlib.contextmanager
def batch_run(reask: str = "batch") -> Iterator[BatchRun]:
    """A run whose callers (every `open_caller(backend="batch")` inside it)
    share one state, so that a command that opens a caller per pass
    (`summarize tldr`) settles like one that keeps it."""
    if reask not in REASK_MODES:
        raise LLMError(f"re-ask mode is {' or '.join(REASK_MODES)}, got {reask!r}")
    run = BatchRun(reask=reask)
    token = _current.set(run)
    try:
        yield run
    finally:
        _current.reset(token)


def current_run() -> BatchRun:
    return _current.get() or BatchRun()


def poll_policy() -> tuple[float, float]:
    raw = os.environ.get(POLL_ENV, "").strip()
    if not raw:
        return POLL_FIRST, POLL_MAX
    try:
        first = float(raw)
    except ValueError:
        first = -1.0
    if first <= 0:
        raise LLMError(f"{POLL_ENV} must be a positive number of seconds, got {raw!r}")
    return first, max(first, min(POLL_MAX, first * 30))


class BatchLedger:
    """A caller's answers from Batch API jobs (`StructuredCaller.batch`)."""

    def __init__(self, store: Store, api: BatchAPI, live: LLMBackend, *, base_url: str | None,
                 run: BatchRun | None = None, use_cache: bool = True):
        self.store = store
        self.api = api
        self.live = live
        self.base_url = base_url
        self.run = run or current_run()
        if not use_cache and not self.run.scope:
            self.run.scope = uuid.uuid4().hex[:12]
        self.length_bounds = base_url is not None
        self.run.where = (store.path, base_url, live.model)

    def settle(self, stage: Callable[[], T]) -> T:
        return self.run.settle(stage, lambda run: flush(self.store, self.api, run, self.live.model))

    # --- one ask ------------------------------------------------------------

    def ask(self, caller, prompt: Prompt, request: ChatRequest, key: str, input_hash: str, usage: Usage,
            validate: Callable[[str, str], tuple[BaseModel | None, str]]) -> BaseModel:
        """`StructuredCaller.ask` for a batch run, from the cache key on:
        the answer, or Deferred while the job that will give it runs."""
        run = self.run
        with run.lock:
            settled, failed = run.settled.get(key), run.failed.get(key)
        if settled is not None:
            answer, reason = validate(settled.content, "stop")
            if answer is None:
                raise AnswerError(f"invalid answer after a re-ask: {reason}")
            settled.count(usage)
            return answer
        if failed is not None:
            raise failed
        if caller.use_cache and caller.book is not None and (cached := caller.book.get_answer(key)) is not None:
            answer, _ = validate(cached.content, "stop")
            if answer is not None:
                usage.cached += 1
                return answer
        rows = self.store.batch_requests(key, run.scope)
        first = rows.get(0)
        if first is None:
            self._queue(key, 0, request, prompt, input_hash)
        answer, reason = self._outcome(first, prompt, validate)
        if answer is not None:
            return self._accept(key, [first], answer, usage, prompt, input_hash, reasked=False)
        again = request if first.state == "failed" else _reasked(request, first.content or "", reason)
        if run.reask == "live":
            return self._ask_live(key, again, first, prompt, input_hash, usage, validate)
        second = rows.get(1)
        if second is None:
            self._queue(key, 1, again, prompt, input_hash)
        answer, second_reason = self._outcome(second, prompt, validate)
        if answer is not None:
            return self._accept(key, [first, second], answer, usage, prompt, input_hash,
                                reasked=first.state == "answered")
        raise self._fail(key, second.state == "failed", second_reason)

    def _queue(self, key: str, attempt: int, request: ChatRequest, prompt: Prompt, input_hash: str) -> None:
        scope = self.run.scope
        custom_id = f"{key[:40]}-{attempt}{'-' + scope if scope else ''}"
        line = json.dumps({"custom_id": custom_id, "method": "POST", "url": CHAT_PATH,
                           "body": chat_body(self.live.model, request, length_bounds=self.length_bounds)},
                          ensure_ascii=False)
        self.store.queue_batch_request(BatchRow(custom_id, key, attempt, scope, prompt.ref, prompt.content_hash,
                                                input_hash, line))
        with self.run.lock:
            self.run.waiting.add(custom_id)
        raise Deferred("waiting for a Batch API job")

    def _outcome(self, row: BatchRow, prompt: Prompt,
                 validate: Callable[[str, str], tuple[BaseModel | None, str]]) -> tuple[BaseModel | None, str]:
        """The row's validated answer, or why there is none; Deferred while
        its job runs. The first to see a result logs it."""
        if row.state in ("queued", "assigned"):
            with self.run.lock:
                self.run.waiting.add(row.custom_id)
            raise Deferred("waiting for a Batch API job")
        if row.state == "failed":
            answer, reason, outcome = None, row.error or "failed in the batch", "error"
        else:
            answer, reason = validate(row.content or "", row.finish_reason or "stop")
            outcome = "ok" if answer is not None else "rejected"
        if self.store.settle_batch_request(row.custom_id, outcome):
            self.store.log_call(CallRecord(
                backend=BATCH_BACKEND, model=self.live.model, prompt=prompt.ref, prompt_hash=prompt.content_hash,
                input_hash=row.input_hash, prompt_tokens=row.prompt_tokens, completion_tokens=row.completion_tokens,
                outcome=outcome, error=reason or None))
        return answer, reason

    def _accept(self, key: str, rows: list[BatchRow], answer: BaseModel, usage: Usage, prompt: Prompt,
                input_hash: str, *, reasked: bool) -> BaseModel:
        answered = [row for row in rows if row.state == "answered"]
        last = rows[-1]
        settled = Settled(last.content or "", calls=len(answered), reasks=int(reasked),
                          prompt_tokens=sum(r.prompt_tokens for r in answered),
                          completion_tokens=sum(r.completion_tokens for r in answered))
        self.store.put_answer(key, model=self.live.model, prompt=prompt.ref, prompt_hash=prompt.content_hash,
                              input_hash=input_hash, content=settled.content, prompt_tokens=last.prompt_tokens,
                              completion_tokens=last.completion_tokens)
        with self.run.lock:
            self.run.settled[key] = settled
        self.store.drop_batch_requests(key, self.run.scope)
        settled.count(usage)
        return answer

    def _fail(self, key: str, transport: bool, reason: str) -> LLMError | AnswerError:
        """The error of an answer that failed for good; later passes of the run
        repeat it without asking again, the next run asks afresh."""
        error = (LLMError(f"batch request failed twice: {reason}") if transport
                 else AnswerError(f"invalid answer after a re-ask: {reason}"))
        with self.run.lock:
            self.run.failed[key] = error
        self.store.drop_batch_requests(key, self.run.scope)
        return error

    def _ask_live(self, key: str, request: ChatRequest, first: BatchRow, prompt: Prompt, input_hash: str,
                  usage: Usage, validate: Callable[[str, str], tuple[BaseModel | None, str]]) -> BaseModel:
        """The one re-ask made at once, live, instead of in a follow-up job."""
        reasked = first.state == "answered"
        usage.calls += 1 + int(reasked)
        usage.reasks += int(reasked)
        usage.prompt_tokens += first.prompt_tokens
        usage.completion_tokens += first.completion_tokens
        record = dict(backend=self.live.name, model=self.live.model, prompt=prompt.ref,
                      prompt_hash=prompt.content_hash, input_hash=input_hash)
        try:
            result = self.live.complete(request)
        except LLMError as exc:
            self.store.log_call(CallRecord(**record, outcome="error", error=str(exc)))
            raise self._fail(key, True, str(exc)) from None
        usage.prompt_tokens += result.prompt_tokens
        usage.completion_tokens += result.completion_tokens
        usage.model_seconds += result.latency
        answer, reason = validate(result.content, result.finish_reason)
        self.store.log_call(CallRecord(**record, prompt_tokens=result.prompt_tokens,
                                       completion_tokens=result.completion_tokens,
                                       cached_tokens=result.cached_tokens, latency=result.latency,
                                       outcome="ok" if answer is not None else "rejected", error=reason or None))
        if answer is None:
            raise self._fail(key, False, reason)
        self.store.put_answer(key, model=self.live.model, prompt=prompt.ref, prompt_hash=prompt.content_hash,
                              input_hash=input_hash, content=result.content, prompt_tokens=result.prompt_tokens,
                              completion_tokens=result.completion_tokens, latency=result.latency)
        with self.run.lock:
            self.run.settled[key] = Settled(result.content, calls=1 + int(reasked), reasks=int(reasked),
                                            prompt_tokens=first.prompt_tokens + result.prompt_tokens,
                                            completion_tokens=first.completion_tokens + result.completion_tokens)
        self.store.drop_batch_requests(key, self.run.scope)
        return answer


def _reasked(request: ChatRequest, content: str, reason: str) -> ChatRequest:
    """The request once more with the rejected answer and why, as a live re-ask sends it."""
    return ChatRequest(messages=request.messages + [
        {"role": "assistant", "content": content[:4000]},
        {"role": "user", "content": REASK.format(reason=reason)},
    ], schema_name=request.schema_name, schema=request.schema, temperature=request.temperature,
        max_tokens=request.max_tokens, seed=request.seed)


# --- jobs -------------------------------------------------------------------------


def _flush_where(run: BatchRun) -> None:
    """A flush after a pass whose caller is closed: the store and server the pass used."""
    if run.where is None:
        raise LLMError("batch: a pass waited for a job but opened no batch caller")
    db, base_url, model = run.where
    store = Store(db)
    api = BatchAPI(base_url=base_url, api_key=os.environ.get("OPENAI_API_KEY"))
    try:
        flush(store, api, run, model)
    finally:
        api.close()
        store.close()


def flush(store: Store, api: BatchAPI, run: BatchRun, model: str) -> None:
    """Submit what the pass queued as new jobs, then wait for every job that
    holds a request the pass waits for, and read their results back."""
    with run.lock:
        waiting = sorted(run.waiting)
    queued = store.batch_requests_of(custom_ids=waiting, state="queued")
    for part in _parts(queued):
        job = "sj-" + uuid.uuid4().hex[:16]
        store.add_batch_job(job, base_url=api.url, model=model)
        store.assign_batch_requests(job, [row.custom_id for row in part])
    jobs = sorted({row.job for row in store.batch_requests_of(custom_ids=waiting) if row.job},
                  key=lambda job: (store.batch_job(job) or {}).get("created", 0))
    for job in jobs:
        if job not in run.jobs:
            run.jobs.append(job)
        finish_job(store, api, job)


def _parts(rows: list[BatchRow]) -> Iterator[list[BatchRow]]:
    part: list[BatchRow] = []
    size = 0
    for row in rows:
        line = len(row.line.encode("utf-8")) + 1
        if part and (len(part) >= MAX_REQUESTS or size + line > MAX_BYTES):
            yield part
            part, size = [], 0
        part.append(row)
        size += line
    if part:
        yield part


def finish_job(store: Store, api: BatchAPI, job: str, sleep: Callable[[float], None] = time.sleep) -> None:
    """Take one job from wherever it stopped to its results in the store:
    upload its file, create it on the server (or find the one a stopped
    run created), poll until it ends, read its output and error files."""
    record = store.batch_job(job)
    if record is None or record["ingested"]:
        return
    if record["remote_id"] is None:
        found = api.find(job, record["input_file_id"]) if record["input_file_id"] else None
        if found is None and record["input_file_id"] is None:
            store.update_batch_job(job, input_file_id=_upload(store, api, job), status="uploaded")
            record = store.batch_job(job)
        remote = found or api.create(record["input_file_id"], job)
        store.update_batch_job(job, remote_id=remote.id, status=remote.status)
        log.info("batch %s: %d request(s) submitted to %s as %s", job, record["requests"], api.url, remote.id)
        record = store.batch_job(job)
    first, most = poll_policy()
    delay = first
    remote_id = record["remote_id"]
    try:
        while True:
            state = api.retrieve(remote_id)
            _note(store, job, state)
            if state.finished:
                break
            sleep(delay)
            delay = min(most, delay * POLL_GROWTH)
    except KeyboardInterrupt:
        log.warning("batch %s (%s) keeps running on the server; run the same command again to collect it",
                    job, remote_id)
        raise
    _ingest(store, api, job, state)


def _upload(store: Store, api: BatchAPI, job: str) -> str:
    rows = store.batch_requests_of(job=job)
    with tempfile.TemporaryDirectory(prefix="summarize-batch-") as tmp:
        path = Path(tmp) / f"{job}.jsonl"
        with path.open("w", encoding="utf-8") as handle:
            for row in rows:
                handle.write(row.line + "\n")
        return api.upload(path)


def _note(store: Store, job: str, state: Job) -> None:
    previous = store.batch_job(job) or {}
    store.update_batch_job(job, status=state.status, completed=state.completed, failed=state.failed,
                           output_file_id=state.output_file_id, error_file_id=state.error_file_id,
                           error="; ".join(state.errors) or None)
    if previous.get("status") != state.status or previous.get("completed") != state.completed:
        log.info("batch %s: %s, %d of %d done", job, state.status, state.completed + state.failed,
                 state.total or previous.get("requests", 0))


def _ingest(store: Store, api: BatchAPI, job: str, state: Job) -> None:
    results: dict[str, dict] = {}
    for file_id in (state.output_file_id, state.error_file_id):
        if file_id:
            results.update(read_results(api.content(file_id)))
    answered = [r for r in results.values() if r.get("error") is None]
    missing = {"failed": "the batch failed" + (f" ({'; '.join(state.errors)})" if state.errors else ""),
               "expired": "the batch expired before this request was answered",
               "cancelled": "the batch was cancelled before this request was answered"}.get(
        state.status, "no result in the batch's files")
    store.update_batch_job(job, prompt_tokens=sum(r["prompt_tokens"] for r in answered),
                           completion_tokens=sum(r["completion_tokens"] for r in answered))
    store.record_batch_results(job, results, missing_error=missing)
    log.info("batch %s: %s; %d answered, %d failed", job, state.status, len(answered), len(results) - len(answered))


def job_lines(jobs: list[dict]) -> Iterator[str]:
    """`summarize batches`: one line per job, newest first, with its cost at the batch price."""
    for job in jobs:
        cost = batch_cost(job["model"], job["prompt_tokens"], job["completion_tokens"])
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(job["created"]))
        pending = "" if job["ingested"] else "  (pending: run the same command again to collect it)"
        yield (f"{job['id']}  {job['remote_id'] or '-':<24} {job['status']:<11} {when}  {job['model'][:24]:<24} "
               f"{job['requests']:>6} requests, {job['completed']} done, {job['failed']} failed  "
               f"{job['prompt_tokens']}+{job['completion_tokens']} tokens"
               f"{f'  ${cost:.4f}' if cost is not None else ''}{pending}")


def open_ledger(store: Store, live: LLMBackend, *, use_cache: bool) -> BatchLedger:
    """The ledger of a batch caller, on the server the environment names."""
    base_url = os.environ.get("OPENAI_BASE_URL")
    api = BatchAPI(base_url=base_url, api_key=os.environ.get("OPENAI_API_KEY"),
                   policy=getattr(live, "policy", None))
    return BatchLedger(store, api, live, base_url=base_url, use_cache=use_cache)

