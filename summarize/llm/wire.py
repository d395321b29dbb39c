"""One chat request as the OpenAI protocol carries it, and its answer back.

The live clients (`backend.OpenAIChat`, `async_client.AsyncOpenAIChat`) and
the Batch API (`batch`) send the same body for the same `ChatRequest`: an
answer from any of them is cached under one key and must have been asked
the same way.
"""

from __future__ import annotations

from summarize.llm.backend import ChatRequest, ChatResult, LLMError, without_length_bounds
from summarize.text.tokens import count_tokens

CHAT_PATH = "/v1/chat/completions"
# Tokens the API adds around each message and before the answer (OpenAI's
# chat format); small next to an article, but not nothing next to a limit.
MESSAGE_OVERHEAD = 4
REPLY_OVERHEAD = 3


def chat_body(model: str, request: ChatRequest, *, length_bounds: bool) -> dict:
    """The JSON body of POST /v1/chat/completions for `request`."""
    body = {
        "model": model,
        "messages": request.messages,
        "temperature": request.temperature,
        "max_tokens": request.max_tokens,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": request.schema_name, "strict": True,
                            "schema": request.schema if length_bounds else without_length_bounds(request.schema)},
        },
    }
    if request.seed is not None:
        body["seed"] = request.seed
    return body


def parse_completion(data: dict, latency: float = 0.0) -> ChatResult:
    """A chat completion's JSON as a `ChatResult`."""
    choices = data.get("choices") or []
    if not choices:
        raise LLMError("LLM answered with no choices")
    choice = choices[0]
    usage = data.get("usage") or {}
    details = usage.get("prompt_tokens_details") or {}
    return ChatResult(
        content=(choice.get("message") or {}).get("content") or "",
        finish_reason=choice.get("finish_reason") or "stop",
        prompt_tokens=int(usage.get("prompt_tokens") or 0),
        completion_tokens=int(usage.get("completion_tokens") or 0),
        cached_tokens=int(details.get("cached_tokens") or 0),
        latency=latency,
        timings=data.get("timings") or {},
    )


def request_tokens(request: ChatRequest) -> int:
    """What a request counts against a tokens-per-minute limit before it is
    answered: its prompt (tiktoken's count) and the longest answer it allows,
    as the API reserves them."""
    prompt = sum(count_tokens(str(m.get("content") or "")) + MESSAGE_OVERHEAD for m in request.messages)
    return prompt + REPLY_OVERHEAD + request.max_tokens
