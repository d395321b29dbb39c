"""What a chat request costs before it is sent, and where it goes.

The body itself is `backend.chat_body`, the one every client sends (the
blocking and the async client, and the Batch API's request lines).
"""

from __future__ import annotations

from summarize.llm.backend import CHAT_ROUTE, ChatRequest
from summarize.text.tokens import count_tokens

CHAT_PATH = "/v1" + CHAT_ROUTE  # as a Batch API request line names it, from the server's root
# Tokens the API adds around each message and before the answer (OpenAI's
# chat format); small next to an article, but not nothing next to a limit.
MESSAGE_OVERHEAD = 4
REPLY_OVERHEAD = 3


def request_tokens(request: ChatRequest) -> int:
    """What a request counts against a tokens-per-minute limit before it is
    answered: its prompt (tiktoken's count) and the longest answer it allows,
    as the API reserves them."""
    prompt = sum(count_tokens(str(m.get("content") or "")) + MESSAGE_OVERHEAD for m in request.messages)
    return prompt + REPLY_OVERHEAD + request.max_tokens
