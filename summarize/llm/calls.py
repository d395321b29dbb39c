"""One structured LLM call: cache lookup, request, validation, one re-ask, log.

A cached answer was validated when it was stored, so a re-run of the same
work makes no call at all. An answer that is cut off, is not JSON, violates
the schema or fails the caller's own check is asked for once more with the
reason; after that the error is raised — a result is never invented.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Callable, Protocol

from pydantic import BaseModel, ValidationError

from summarize.llm.backend import ChatRequest, ChatResult, LLMBackend, LLMError
from summarize.llm.prompts import Prompt
from summarize.models import Usage
from summarize.store import CachedAnswer, CallRecord, answer_key, stable_hash


class AnswerError(Exception):
    """The model did not give a usable answer after the re-ask; one line."""


class AnswerBook(Protocol):
    """Where validated answers are kept and calls are logged (SQLite or a recording)."""

    def get_answer(self, key: str) -> CachedAnswer | None: ...

    def put_answer(self, key: str, *, model: str, prompt: str, prompt_hash: str, input_hash: str,
                   content: str, prompt_tokens: int, completion_tokens: int, latency: float = 0.0) -> None: ...

    def log_call(self, record: CallRecord) -> None: ...


# Returns a reason when an otherwise well-formed answer must be rejected.
AnswerCheck = Callable[[BaseModel], str | None]
# (content, finish_reason) → the answer, or None and why it is rejected.
Validate = Callable[[str, str], "tuple[BaseModel | None, str]"]


class BatchAnswers(Protocol):
    """Answers from Batch API jobs instead of live calls: validated with the
    same `Validate`, cached and logged alike (`llm/batch.py`)."""

    def ask(self, caller: "StructuredCaller", prompt: Prompt, request: ChatRequest, key: str, input_hash: str,
            usage: Usage, validate: Validate) -> BaseModel: ...

REASK = (
    "Your previous answer was rejected: {reason}. Answer again with only one JSON object "
    "that matches the schema, about the article above, following the instructions."
)


@dataclass
class StructuredCaller:
    backend: LLMBackend
    book: AnswerBook | None = None
    use_cache: bool = True
    # A replayed evaluation reports the tokens and time the recorded call cost.
    count_cached_cost: bool = False
    # Set for a --batch run: answers come from Batch API jobs (llm/batch.py).
    batch: BatchAnswers | None = None

    def ask(self, prompt: Prompt, variables: dict[str, str], usage: Usage,
            check: AnswerCheck | None = None, choices: dict[str, list] | None = None) -> BaseModel:
        """The validated answer; `choices` restricts fields to one request's
        values (see `Prompt.json_schema`), and the cache key, which covers the
        schema, then differs with them."""
        messages = prompt.messages(**variables)
        sampling = dict(prompt.sampling)
        request = ChatRequest(
            messages=messages,
            schema_name=prompt.schema_name,
            schema=prompt.json_schema(choices),
            temperature=float(sampling.get("temperature", 0.0)),
            max_tokens=int(sampling.get("max_tokens", 512)),
            seed=sampling.get("seed", 0),
        )
        input_hash = stable_hash(variables)
        key = answer_key(self.backend.model, prompt.content_hash, input_hash, request.params())
        if self.batch is not None:
            return self.batch.ask(self, prompt, request, key, input_hash, usage,
                                  lambda content, finish: _parse(prompt, content, finish, check, choices))

        if self.use_cache and self.book is not None:
            cached = self.book.get_answer(key)
            if cached is not None:
                answer, reason = _parse(prompt, cached.content, "stop", check, choices)
                if answer is not None:
                    usage.cached += 1
                    if self.count_cached_cost:
                        usage.prompt_tokens += cached.prompt_tokens
                        usage.completion_tokens += cached.completion_tokens
                        usage.model_seconds += cached.latency
                    return answer

        reason = ""
        for attempt in range(2):
            if attempt == 1:
                usage.reasks += 1
                request.messages = messages + [
                    {"role": "assistant", "content": result.content[:4000]},
                    {"role": "user", "content": REASK.format(reason=reason)},
                ]
            result = self._call(request, prompt, input_hash, usage)
            answer, reason = _parse(prompt, result.content, result.finish_reason, check, choices)
            self._log(prompt, input_hash, result, "ok" if answer is not None else "rejected", reason)
            if answer is not None:
                if self.book is not None:
                    self.book.put_answer(
                        key, model=self.backend.model, prompt=prompt.ref, prompt_hash=prompt.content_hash,
                        input_hash=input_hash, content=result.content,
                        prompt_tokens=result.prompt_tokens, completion_tokens=result.completion_tokens,
                        latency=result.latency,
                    )
                return answer
        raise AnswerError(f"invalid answer after a re-ask: {reason}")

    def _call(self, request: ChatRequest, prompt: Prompt, input_hash: str, usage: Usage) -> ChatResult:
        usage.calls += 1
        try:
            result = self.backend.complete(request)
        except LLMError as exc:
            self._log(prompt, input_hash, None, "error", str(exc))
            raise
        usage.prompt_tokens += result.prompt_tokens
        usage.completion_tokens += result.completion_tokens
        usage.model_seconds += result.latency
        return result

    def _log(self, prompt: Prompt, input_hash: str, result: ChatResult | None, outcome: str,
             error: str | None) -> None:
        if self.book is None:
            return
        self.book.log_call(CallRecord(
            backend=self.backend.name, model=self.backend.model, prompt=prompt.ref,
            prompt_hash=prompt.content_hash, input_hash=input_hash,
            prompt_tokens=result.prompt_tokens if result else 0,
            completion_tokens=result.completion_tokens if result else 0,
            cached_tokens=result.cached_tokens if result else 0,
            latency=result.latency if result else 0.0,
            outcome=outcome, error=error or None,
        ))


def _parse(prompt: Prompt, content: str, finish_reason: str, check: AnswerCheck | None,
           choices: dict[str, list] | None = None) -> tuple[BaseModel | None, str]:
    if finish_reason == "length":
        return None, "the answer was cut off (finish_reason=length); keep it shorter"
    try:
        data = json.loads(content)
    except json.JSONDecodeError as exc:
        return None, f"not valid JSON ({exc.msg} at position {exc.pos})"
    try:
        answer = prompt.schema.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "answer"
        return None, f"schema violation at {where}: {first['msg']}"
    # A server that does not decode under the schema's grammar may answer
    # outside an enum; such an answer is as invalid as any other violation.
    for name, allowed in (choices or {}).items():
        outside = [v for v in _values(answer, name) if v not in allowed]
        if outside:
            return None, f"schema violation at {name}: {outside[0]!r} is not one of the listed values"
    if check is not None:
        reason = check(answer)
        if reason:
            return None, reason
    return answer, ""


def _values(answer: BaseModel, path: str) -> list:
    """The values of a field, of a field of a list's objects ("entities.name"),
    or a mapping's keys."""
    head, _, rest = path.partition(".")
    value = getattr(answer, head)
    if isinstance(value, dict):
        return list(value)  # a mapping's choices are its keys
    items = value if isinstance(value, list) else [value]
    return [getattr(item, rest) for item in items] if rest else items
