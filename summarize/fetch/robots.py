"""robots.txt, read with protego (RFC 9309: longest match, wildcards,
Crawl-delay), fetched once per origin and kept in the store for a day.

As the RFC says: a robots.txt that is missing or refused (4xx) allows
everything; one that cannot be read (5xx, timeout, no connection) disallows
everything until it can. Such an item fails (and is tried again by a later
run) rather than being skipped: nothing was said against fetching it.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from protego import Protego

from summarize.fetch.http import FetchError, HttpClient, Refused
from summarize.fetch.safety import origin_of
from summarize.fetch.state import FetchState

TOKEN = "summarize"  # the product token a robots.txt names us by
MAX_ROBOTS_BYTES = 500_000  # RFC 9309 asks crawlers to read at least 500 KiB
MAX_CRAWL_DELAY = 60.0


@dataclass
class Rules:
    parser: Protego | None  # None: everything allowed
    blocked: str | None = None  # why nothing may be fetched for now

    def refusal(self, url: str) -> str | None:
        """The reason robots.txt disallows `url`, or None; FetchError when it cannot be read."""
        if self.blocked:
            raise FetchError(self.blocked, retryable=True)
        if self.parser is not None and not self.parser.can_fetch(url, TOKEN):
            return "robots.txt disallows it"
        return None

    def crawl_delay(self) -> float | None:
        delay = self.parser.crawl_delay(TOKEN) if self.parser is not None else None
        return min(float(delay), MAX_CRAWL_DELAY) if delay else None


@dataclass
class Robots:
    client: HttpClient
    state: FetchState
    ttl: float
    _rules: dict[str, Rules] = field(default_factory=dict)
    _locks: dict[str, threading.Lock] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refusal(self, url: str) -> str | None:
        """Why robots.txt keeps us from `url`, or None."""
        return self.rules(url).refusal(url)

    def rules(self, url: str) -> Rules:
        scheme, host, port = origin_of(url)
        origin = f"{scheme}://{host}:{port}"
        with self._lock:
            lock = self._locks.setdefault(origin, threading.Lock())
        with lock:  # one fetch per origin, the others wait for it
            if origin not in self._rules:
                rules = self._load(origin, url)
                delay = rules.crawl_delay()
                if delay:
                    self.client.gate(url, delay)
                self._rules[origin] = rules
            return self._rules[origin]

    def _load(self, origin: str, url: str) -> Rules:
        cached = self.state.robots(origin, max_age=self.ttl)
        if cached is not None:
            return _rules(*cached)
        parts = urlsplit(url)
        robots_url = f"{parts.scheme}://{parts.netloc.rsplit('@', 1)[-1]}/robots.txt"
        try:
            response = self.client.get(robots_url, accept="text/plain, */*;q=0.5", max_bytes=MAX_ROBOTS_BYTES,
                                       check_robots=False)
            status, body = response.status, response.body.decode("utf-8", errors="replace")
        except Refused:
            raise  # the host itself may not be asked: the item fails with that reason
        except FetchError as exc:
            if exc.status is not None and 400 <= exc.status < 500:
                status, body = exc.status, ""
            else:
                # Not stored: the next run asks again.
                return Rules(None, f"robots.txt cannot be read ({exc}), so nothing is fetched from "
                                   f"{urlsplit(url).hostname} for now")
        self.state.put_robots(origin, status, body)
        return _rules(status, body)


def _rules(status: int, body: str) -> Rules:
    if status >= 400 or not body.strip():
        return Rules(None)
    return Rules(Protego.parse(body))

