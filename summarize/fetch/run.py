"""`summarize fetch` as one call: read every source, pick the new articles,
fetch and save them; every source and every item ends with one outcome.

Sources (feeds, sitemaps, pages) are read first, all at once within the
per-host limits; then the items are chosen in source order, newest first (a
URL this run already has, or the store knows, is skipped without a request;
so is an item older than --since or beyond --max), and fetched.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path

from summarize import __version__
from summarize.atomic import write_atomic
from summarize.fetch.discover import Item, read_listing
from summarize.fetch.http import (
    ACCEPT_FEED,
    ACCEPT_HTML,
    Disallowed,
    FetchError,
    HttpClient,
    Response,
)
from summarize.fetch.inbox import file_bytes, file_name
from summarize.fetch.page import normalize_url, read_page
from summarize.fetch.robots import Robots
from summarize.fetch.safety import (
    AddressPolicy,
    UnsafeURL,
    check_url,
    host_of,
    origin_of,
    redact,
    split_credentials,
)
from summarize.fetch.sources import FetchSettings, Source, SourcesError
from summarize.fetch.state import FetchState


@dataclass
class Outcome:
    """One line of the report: a source (or child sitemap) or an item."""

    kind: str  # "source" or "item"
    source: str
    url: str
    outcome: str  # items: saved, skipped, failed; sources: read, unchanged, skipped, failed
    reason: str = ""
    status: int | None = None
    path: str | None = None
    title: str | None = None

    def to_json(self) -> str:
        return json.dumps({k: v for k, v in asdict(self).items() if v not in (None, "")}, ensure_ascii=False)


@dataclass
class FetchReport:
    outcomes: list[Outcome] = field(default_factory=list)
    counts: Counter = field(default_factory=Counter)

    def count(self, outcome: str, kind: str = "item") -> int:
        return sum(1 for o in self.outcomes if o.kind == kind and o.outcome == outcome)

    @property
    def requests(self) -> int:
        return self.counts["requests"]

    @property
    def failed(self) -> bool:
        return any(o.outcome == "failed" for o in self.outcomes)

    def summary(self) -> str:
        sources = sum(1 for o in self.outcomes if o.kind == "source")
        return (f"{sources} source(s): {self.count('saved')} saved, {self.count('skipped')} skipped, "
                f"{self.count('failed')} failed; {self.count('unchanged', 'source')} unchanged, "
                f"{self.count('failed', 'source')} failed; {self.requests} request(s), "
                f"{self.counts['304']} not modified")


Candidate = tuple[Item, tuple[str, str] | None, tuple[str, str, int | None], Response | None]


class _Run:
    def __init__(self, inbox: Path, state: FetchState, settings: FetchSettings, policy: AddressPolicy,
                 since: date | None, max_items: int, on_outcome: Callable[[Outcome], None] | None):
        self.inbox, self.state, self.settings, self.policy = inbox, state, settings, policy
        self.since = since.isoformat() if since else None
        self.max_items = max_items
        self.client = HttpClient(settings, policy, settings.user_agent(__version__))
        self.client.robots_check = Robots(self.client, state, settings.robots_ttl).refusal
        self.report = FetchReport(counts=self.client.counts)
        self._on_outcome = on_outcome
        self._lock = threading.Lock()
        self._claim = threading.Lock()

    def emit(self, outcome: Outcome) -> None:
        with self._lock:
            self.report.outcomes.append(outcome)
            if self._on_outcome:
                self._on_outcome(outcome)

    # --- sources --------------------------------------------------------------------

    def read_source(self, label: str, source: Source) -> list[Candidate]:
        url, in_url = split_credentials(source.url)
        shown = redact(source.url)
        try:
            credentials = source.credentials() or in_url
            check_url(url, self.policy)
        except (SourcesError, UnsafeURL) as exc:
            self.emit(Outcome("source", label, shown, "failed", str(exc)))
            return []
        auth = (credentials, origin_of(url))
        if self.state.known(normalize_url(url)):
            self.emit(Outcome("source", label, shown, "skipped", "already have it (a saved article)"))
            return []
        candidates: list[Candidate] = []
        queue, followed, visited = [(url, None)], 0, set()
        while queue:
            current, lastmod = queue.pop(0)
            if current in visited:
                continue  # an index that lists itself, or two that list each other
            visited.add(current)
            if followed and self.since and lastmod and lastmod < self.since:
                self.emit(Outcome("source", label, redact(current), "skipped", "sitemap older than --since"))
                continue
            if followed > self.settings.max_sitemaps:
                self.emit(Outcome("source", label, redact(current), "skipped",
                                  f"beyond the {self.settings.max_sitemaps} sitemaps followed per source"))
                continue
            followed += 1
            # A source's credentials go to its own origin only, never to a sitemap it points elsewhere.
            listing_items, children = self._read_one(label, current,
                                                     credentials if origin_of(current) == auth[1] else None)
            candidates += [(item, *auth, prefetched) for item, prefetched in listing_items]
            queue += children
        return candidates

    def _read_one(self, label: str, url: str, credentials: tuple[str, str] | None
                  ) -> tuple[list[tuple[Item, Response | None]], list[tuple[str, str | None]]]:
        shown = redact(url)
        try:
            response = self.client.get(url, accept=ACCEPT_FEED, validators=self.state.validators(url),
                                       credentials=credentials)
            if response.status == 304:
                retry = [Item(**data) for data in self.state.retry_items(shown)]
                note = f"; {len(retry)} failed item(s) tried again" if retry else ""
                self.emit(Outcome("source", label, shown, "unchanged", f"not modified (304){note}", 304))
                return [(item, None) for item in retry], self.state.children(url)
            listing = read_listing(response, self.settings.max_bytes)
        except Disallowed as exc:
            self.emit(Outcome("source", label, shown, "skipped", str(exc), exc.status))
            return [], []
        except FetchError as exc:
            self.emit(Outcome("source", label, shown, "failed", str(exc), exc.status))
            return [], []
        if listing.kind == "page":
            self.emit(Outcome("source", label, shown, "read", "an article page", response.status))
            return [(listing.items[0], response)], []
        self.state.put_validators(url, response.headers.get("etag"), response.headers.get("last-modified"),
                                  response.status, listing.sitemaps)
        found = f"{len(listing.items)} item(s)" + (f", {len(listing.sitemaps)} sitemap(s)" if listing.sitemaps else "")
        self.emit(Outcome("source", label, shown, "read", f"{listing.kind}: {found}", response.status,
                          title=listing.title))
        listed = {normalize_url(item.url) for item in listing.items}
        retry = [Item(**data) for data in self.state.retry_items(shown) if normalize_url(data["url"]) not in listed]
        return [(item, None) for item in listing.items + retry], listing.sitemaps

    # --- items ----------------------------------------------------------------------

    def choose(self, label: str, candidates: list[Candidate], seen: set[str]) -> list[Candidate]:
        chosen: list[Candidate] = []
        for candidate in candidates:
            item = candidate[0]
            key = normalize_url(item.url)
            skip = None
            if key in seen:
                skip = "listed twice in this run"
            elif self.state.known(key):
                skip = "already have it"
            elif self.since and item.date and item.date < self.since:
                skip = f"older than --since ({item.date})"
            elif len(chosen) >= self.max_items:
                skip = f"beyond --max {self.max_items} for this source"
            seen.add(key)
            if skip:
                self.emit(Outcome("item", label, redact(item.url), "skipped", skip, title=item.title))
                continue
            try:
                check_url(item.url, self.policy)
            except UnsafeURL as exc:
                self.fail(label, item, FetchError(str(exc)))
                continue
            chosen.append(candidate)
        return chosen

    def fail(self, label: str, item: Item, exc: FetchError) -> None:
        self.state.failed(normalize_url(item.url), item.source, str(exc), exc.retryable, item.as_dict())
        self.emit(Outcome("item", label, redact(item.url), "failed", str(exc), exc.status, title=item.title))

    def fetch_item(self, label: str, candidate: Candidate) -> None:
        item, credentials, auth_origin, prefetched = candidate
        if credentials and origin_of(item.url) != auth_origin:
            credentials = None  # a source's credentials go to its own origin only
        try:
            response = prefetched or self.client.get(item.url, accept=ACCEPT_HTML, credentials=credentials)
            page = read_page(response)
        except Disallowed as exc:
            self.emit(Outcome("item", label, redact(item.url), "skipped", str(exc), exc.status, title=item.title))
            return
        except FetchError as exc:
            self.fail(label, item, exc)
            return
        final = normalize_url(response.url)
        canonical = page.canonical or final
        aliases = [normalize_url(item.url), final]
        with self._claim:
            known = self.state.known(canonical) or self.state.known(final)
            same = None if known else self.state.with_hash(page.content_hash)
            if known or same:
                for alias in aliases:
                    self.state.alias(alias, known or same[0])
                reason = "already have it (same canonical URL)" if known else f"already have it (same text as {same[1]})"
                self.emit(Outcome("item", label, redact(item.url), "skipped", reason, response.status,
                                  title=item.title))
                return
            fetched_at = datetime.now(timezone.utc).replace(microsecond=0)
            meta = {"url": redact(final), "canonical_url": redact(canonical), "source": item.source,
                    "feed_title": item.feed_title, "item_title": item.title, "item_date": item.date,
                    "fetched_at": fetched_at.isoformat().replace("+00:00", "Z"), "status": response.status,
                    "etag": response.headers.get("etag"), "last_modified": response.headers.get("last-modified"),
                    "content_type": response.headers.get("content-type"), "sha256": page.content_hash}
            path = self.inbox / file_name(canonical, item.date or fetched_at.date().isoformat())
            write_atomic(path, file_bytes(meta, response.body, page.text, page.encoding), private=True)
            self.state.saved(canonical=canonical, url=redact(response.url), aliases=aliases, source=item.source,
                             content_hash=page.content_hash, path=str(path), status=response.status,
                             etag=response.headers.get("etag"), last_modified=response.headers.get("last-modified"))
        self.emit(Outcome("item", label, redact(response.url), "saved", "", response.status, str(path),
                          item.title or page.title))


def fetch_sources(sources: list[tuple[str, Source]], inbox: Path, *, db: Path, settings: FetchSettings | None = None,
                  since: date | None = None, max_items: int | None = None, allow_private: bool = False,
                  on_outcome: Callable[[Outcome], None] | None = None) -> FetchReport:
    """Fetch the new articles of `sources` (label, Source) into `inbox`.
    `allow_private` lets every source given here be on a private address,
    like `allow_private` on a saved source; never the hosts they link to."""
    settings = settings or FetchSettings()
    inbox = Path(inbox)
    inbox.mkdir(parents=True, exist_ok=True)
    policy = AddressPolicy().allowing(*(host_of(s.url) for _, s in sources if allow_private or s.allow_private))
    with FetchState(db) as state:
        run = _Run(inbox, state, settings, policy, since, max_items or settings.max_items, on_outcome)
        try:
            with ThreadPoolExecutor(max_workers=settings.workers) as pool:
                listed = list(pool.map(lambda pair: run.read_source(*pair), sources))
            seen: set[str] = set()
            jobs = [(label, c) for (label, _), candidates in zip(sources, listed)
                    for c in run.choose(label, candidates, seen)]
            with ThreadPoolExecutor(max_workers=settings.workers) as pool:
                list(pool.map(lambda job: run.fetch_item(*job), jobs))
        finally:
            run.client.close()
        return run.report


def fetch_named(values: list[str], inbox: Path, *, db: Path, sources_path: Path, since: date | None = None,
                max_items: int | None = None, allow_private: bool = False, overrides: dict | None = None,
                on_outcome: Callable[[Outcome], None] | None = None) -> FetchReport:
    """`summarize fetch` and a schedule's fetch: saved source names or URLs,
    with the settings of the sources file (and `overrides` of them)."""
    from summarize.fetch.sources import load_sources, resolve

    saved = load_sources(sources_path)
    settings = saved.fetch.model_copy(update={k: v for k, v in (overrides or {}).items() if v is not None})
    settings = FetchSettings.model_validate(settings.model_dump())
    return fetch_sources(resolve(values, saved), inbox, db=db, settings=settings, since=since, max_items=max_items,
                         allow_private=allow_private, on_outcome=on_outcome)
