"""Requests and tokens per minute, kept by the client, so that a run on a
rate-limited key waits its turn instead of meeting a wall of 429s.

Two buckets refill continuously at their rate per minute and hold at most a
minute's worth. A request waits until both hold what it needs: one request,
and its tokens counted before it is sent (`wire.request_tokens`). The
server's `x-ratelimit-*` headers, when it sends them, correct both: its
limit replaces a larger or unknown one, and its remaining count caps ours,
since other clients of the same key spend from the same budget.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from summarize.llm.backend import LLMError

# Limits from the environment: a key's tier, or a self-hosted server's capacity.
LIMIT_ENV = {"requests": "SUMMARIZE_RPM", "tokens": "SUMMARIZE_TPM"}


@dataclass
class Bucket:
    limit: float | None  # per minute; None: no limit known
    level: float
    updated: float

    def refill(self, now: float) -> None:
        if self.limit is not None:
            self.level = min(self.limit, self.level + (now - self.updated) * self.limit / 60.0)
        self.updated = now

    def wait(self, amount: float) -> float:
        """Seconds until `amount` fits; a request larger than a minute's
        budget waits for a full bucket and then overdraws it."""
        if self.limit is None:
            return 0.0
        need = min(amount, self.limit)
        return 0.0 if self.level >= need else (need - self.level) * 60.0 / self.limit

    def cap(self, limit: float | None, remaining: float | None) -> None:
        if limit is not None and limit > 0 and (self.limit is None or limit < self.limit):
            self.level = min(self.level, limit) if self.limit is not None else limit
            self.limit = limit
        if remaining is not None and self.limit is not None:
            self.level = min(self.level, remaining)


class RateLimiter:
    """The limits of one API key; used from the client's event loop only."""

    def __init__(self, requests_per_minute: float | None = None, tokens_per_minute: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], Awaitable[None]] = asyncio.sleep):
        now = clock()
        self.clock = clock
        self.sleep = sleep
        self.requests = Bucket(requests_per_minute, requests_per_minute or 0.0, now)
        self.tokens = Bucket(tokens_per_minute, tokens_per_minute or 0.0, now)
        self.waited = 0.0  # seconds requests spent waiting for the limits
        self._turn: asyncio.Lock | None = None

    @classmethod
    def from_env(cls) -> "RateLimiter":
        limits = {}
        for kind, variable in LIMIT_ENV.items():
            raw = os.environ.get(variable, "").strip()
            if raw:
                try:
                    limits[kind] = float(raw)
                except ValueError:
                    limits[kind] = -1.0
                if limits[kind] <= 0:
                    raise LLMError(f"{variable} must be a positive number per minute, got {raw!r}")
        return cls(limits.get("requests"), limits.get("tokens"))

    @property
    def limited(self) -> bool:
        """Whether any limit is known, so that a request may have to wait."""
        return self.requests.limit is not None or self.tokens.limit is not None

    @property
    def counts_tokens(self) -> bool:
        """Whether a request's tokens need counting before it is sent."""
        return self.tokens.limit is not None

    async def acquire(self, tokens: int) -> None:
        """Wait until one more request of `tokens` fits both limits, then take it."""
        if not self.limited:
            return
        if self._turn is None:
            self._turn = asyncio.Lock()
        async with self._turn:  # first come, first served: a large request is not starved
            while True:
                now = self.clock()
                self.requests.refill(now)
                self.tokens.refill(now)
                delay = max(self.requests.wait(1), self.tokens.wait(tokens))
                if delay <= 0:
                    self.requests.level -= 1
                    self.tokens.level -= tokens
                    return
                self.waited += delay
                await self.sleep(delay)

    def observe(self, headers: Mapping[str, str]) -> None:
        """Correct the buckets from a response's x-ratelimit-* headers."""
        for bucket, kind in ((self.requests, "requests"), (self.tokens, "tokens")):
            limit = _number(headers.get(f"x-ratelimit-limit-{kind}"))
            remaining = _number(headers.get(f"x-ratelimit-remaining-{kind}"))
            if limit is not None or remaining is not None:
                bucket.refill(self.clock())
                bucket.cap(limit, remaining)


def _number(value: str | None) -> float | None:
    if value is None:
        return None
    try:
        return float(value)
    except ValueError:
        return None
