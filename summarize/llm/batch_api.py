"""The OpenAI Batch API: a JSONL file of chat requests goes up, a job runs
within 24 hours at half the price, its output and error files come back.

Every call goes through tenacity with the live calls' retry policy (the
SDK's own retries are off). A server without the endpoints gets one line
that names the alternative.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import openai

from summarize.llm.backend import (
    LLMError,
    RetryPolicy,
    describe_error,
    parse_completion,
    retrying,
    shown_url,
)
from summarize.llm.wire import CHAT_PATH

WINDOW = "24h"
# Statuses after which a job changes no more.
TERMINAL = ("completed", "failed", "expired", "cancelled")
# The key in a job's metadata that names our own id for it, so that a job
# created by a run that died before it could note the server's id is found.
JOB_TAG = "summarize_job"
# How many pages of the server's job list are searched for such a job.
FIND_PAGES = 20


def not_offered(url: str) -> str:
    return (f"the server at {url} does not offer the Batch API (/v1/files, /v1/batches); "
            "run without --batch to make live calls")


@dataclass
class Job:
    """What the server says about one batch job."""

    id: str
    status: str
    input_file_id: str | None = None
    output_file_id: str | None = None
    error_file_id: str | None = None
    total: int = 0
    completed: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    tag: str | None = None

    @property
    def finished(self) -> bool:
        return self.status in TERMINAL


def _job(batch) -> Job:
    counts = getattr(batch, "request_counts", None)
    errors = getattr(getattr(batch, "errors", None), "data", None) or []
    return Job(id=batch.id, status=batch.status, input_file_id=batch.input_file_id,
               output_file_id=batch.output_file_id, error_file_id=batch.error_file_id,
               total=getattr(counts, "total", 0) or 0, completed=getattr(counts, "completed", 0) or 0,
               failed=getattr(counts, "failed", 0) or 0,
               errors=[f"{getattr(e, 'code', '') or 'error'}: {getattr(e, 'message', '') or ''}".strip() for e in errors],
               tag=(batch.metadata or {}).get(JOB_TAG))


class BatchAPI:
    """The files and batches endpoints of one server."""

    def __init__(self, *, base_url: str | None, api_key: str | None, policy: RetryPolicy | None = None):
        self.url = shown_url(base_url or "https://api.openai.com/v1")
        self.policy = policy or RetryPolicy()
        self._client = openai.OpenAI(base_url=base_url, api_key=api_key or "not-needed", max_retries=0,
                                     timeout=self.policy.timeout)

    def _call(self, what: str, fn, *args, **kwargs):
        try:
            return retrying(self.policy)(fn, *args, **kwargs)
        except openai.APIStatusError as exc:
            if exc.status_code in (404, 405, 501) and what in ("upload", "create", "list"):
                raise LLMError(not_offered(self.url)) from None
            raise LLMError(f"Batch API {what}: {describe_error(exc)}") from None
        except openai.OpenAIError as exc:
            raise LLMError(f"Batch API {what}: {describe_error(exc)}") from None

    def upload(self, path: Path) -> str:
        """The file of JSONL request lines, uploaded for a batch; its id."""
        with path.open("rb") as handle:
            uploaded = self._call("upload", self._client.files.create,
                                  file=(path.name, handle, "application/jsonl"), purpose="batch")
        return uploaded.id

    def create(self, input_file_id: str, tag: str) -> Job:
        return _job(self._call("create", self._client.batches.create, input_file_id=input_file_id,
                               endpoint=CHAT_PATH, completion_window=WINDOW, metadata={JOB_TAG: tag}))

    def retrieve(self, remote_id: str) -> Job:
        return _job(self._call("status", self._client.batches.retrieve, remote_id))

    def find(self, tag: str, input_file_id: str | None) -> Job | None:
        """The job created for `tag` (or from `input_file_id`), if the server has one."""
        page = self._call("list", self._client.batches.list, limit=100)
        for _ in range(FIND_PAGES):
            for batch in page.data:
                job = _job(batch)
                if job.tag == tag or (input_file_id and job.input_file_id == input_file_id):
                    return job
            if not page.has_next_page():
                return None
            page = self._call("list", page.get_next_page)
        return None

    def content(self, file_id: str) -> bytes:
        return self._call("download", self._client.files.content, file_id).content

    def close(self) -> None:
        self._client.close()


def read_results(data: bytes) -> dict[str, dict]:
    """An output or error file's lines by custom_id: the answer's content,
    finish reason and tokens, or the request's error (one line)."""
    results: dict[str, dict] = {}
    for raw in data.splitlines():
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            continue  # a damaged line: its request counts as unanswered
        custom_id = line.get("custom_id")
        if not isinstance(custom_id, str):
            continue
        results[custom_id] = _result(line)
    return results


def _result(line: dict) -> dict:
    response = line.get("response") or {}
    error = line.get("error")
    status = response.get("status_code")
    body = response.get("body") or {}
    if error:
        return {"error": f"{error.get('code') or 'error'}: {error.get('message') or ''}".strip().rstrip(":")}
    if status != 200:
        message = ((body.get("error") or {}).get("message") or "") if isinstance(body, dict) else ""
        return {"error": f"HTTP {status}{': ' + message if message else ''}"}
    try:
        result = parse_completion(body)
    except LLMError as exc:
        return {"error": str(exc)}
    return {"content": result.content, "finish_reason": result.finish_reason, "prompt_tokens": result.prompt_tokens,
            "completion_tokens": result.completion_tokens, "error": None}
