"""One HTTP GET, politely and within bounds, on urllib3 and tenacity.

urllib3 does the connections, pooling and gzip/deflate/br decoding; tenacity
the retries. Written here, because neither does it:
- the address check on the resolved address before connecting
  (`CheckedConnection`; see `safety`);
- per-host limits: at most `per_host` requests in flight to one host and
  `delay` seconds between the starts of two of them (`HostGate`);
- redirects followed one hop at a time so every hop is checked like the
  first (scheme, address, robots.txt, loop, at most `max_redirects`);
- a whole-response deadline and a size cap counted on the decoded bytes, so a
  server that drips or a gzip bomb is cut off in bounded time and memory;
- Retry-After (seconds or an HTTP date) as tenacity's wait, and a host held
  back for that long.
"""

from __future__ import annotations

import base64
import contextlib
import socket
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from http import HTTPStatus
from urllib.parse import urljoin

import tenacity
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.util import connection as urllib3_connection

from summarize.fetch.safety import (
    AddressPolicy,
    UnsafeURL,
    check_url,
    origin_of,
    redact,
    split_credentials,
)
from summarize.fetch.sources import FetchSettings

REDIRECTS = (301, 302, 303, 307, 308)
CHUNK = 64 * 1024
ACCEPT_FEED = ("application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, "
               "text/html;q=0.8, */*;q=0.5")
ACCEPT_HTML = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"


class FetchError(Exception):
    """A request that gave no usable response; the message is one line."""

    def __init__(self, message: str, status: int | None = None, retryable: bool = False):
        super().__init__(message)
        self.status = status
        self.retryable = retryable


class Transient(FetchError):
    """Worth another try: 429, 5xx, a timeout or a dropped connection."""

    def __init__(self, message: str, status: int | None = None, retry_after: float | None = None):
        super().__init__(message, status, retryable=True)
        self.retry_after = retry_after


class Disallowed(FetchError):
    """robots.txt asks not to fetch it: skipped, not failed."""


class Refused(FetchError):
    """Not requested at all: the URL or the address it resolves to is not allowed."""


class AddressRefused(Exception):
    """Raised inside urllib3 when the resolved address is refused; not an OSError, so it is not retried."""


# --- connections that check the address they connect to ------------------------------


class _Checked:
    policy: AddressPolicy = AddressPolicy()

    def _new_conn(self) -> socket.socket:  # type: ignore[override]
        host, port = self._dns_host, self.port  # type: ignore[attr-defined]
        try:
            infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            raise urllib3.exceptions.NameResolutionError(self.host, self, exc) from exc  # type: ignore[attr-defined]
        refusals, allowed = [], []
        for family, _, _, _, address in infos:
            reason = self.policy.refusal(host, address[0])
            (refusals if reason else allowed).append(reason or (family, address[0]))
        if not allowed:
            raise AddressRefused(refusals[0])
        last: OSError | None = None
        for _, ip in dict.fromkeys(allowed):
            try:
                # An address, not a name: no second lookup that could answer differently.
                return urllib3_connection.create_connection(
                    (ip, port), self.timeout, source_address=self.source_address,  # type: ignore[attr-defined]
                    socket_options=self.socket_options)  # type: ignore[attr-defined]
            except socket.timeout as exc:
                raise urllib3.exceptions.ConnectTimeoutError(self, f"connecting to {host} timed out") from exc
            except OSError as exc:
                last = exc
        raise urllib3.exceptions.NewConnectionError(self, f"cannot connect: {last}")  # type: ignore[arg-type]


def _manager(policy: AddressPolicy, settings: FetchSettings) -> urllib3.PoolManager:
    conn = type("CheckedHTTPConnection", (_Checked, HTTPConnection), {"policy": policy})
    sconn = type("CheckedHTTPSConnection", (_Checked, HTTPSConnection), {"policy": policy})
    manager = urllib3.PoolManager(num_pools=64, maxsize=settings.per_host, block=False)
    manager.pool_classes_by_scheme = {  # type: ignore[assignment]
        "http": type("CheckedHTTPPool", (HTTPConnectionPool,), {"ConnectionCls": conn}),
        "https": type("CheckedHTTPSPool", (HTTPSConnectionPool,), {"ConnectionCls": sconn}),
    }
    return manager


# --- politeness -------------------------------------------------------------------------


@dataclass
class HostGate:
    """At most `per_host` requests in flight to one host, starts `delay` apart."""

    per_host: int
    delay: float
    _slots: threading.Semaphore = field(init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)
    _next: float = field(default=0.0, init=False)

    def __post_init__(self) -> None:
        self._slots = threading.Semaphore(self.per_host)

    def hold(self, seconds: float) -> None:
        """No request to this host for `seconds` (a 429's Retry-After)."""
        with self._lock:
            self._next = max(self._next, time.monotonic() + seconds)

    @contextlib.contextmanager
    def turn(self) -> Iterator[None]:
        with self._slots:
            with self._lock:
                now = time.monotonic()
                start = max(now, self._next)
                self._next = start + self.delay
            if start > now:
                time.sleep(start - now)
            yield


def retry_after_seconds(value: str | None) -> float | None:
    """Retry-After as seconds from now: delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return max(0.0, moment.timestamp() - time.time())


def _status_text(status: int) -> str:
    try:
        return f"{status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


@dataclass
class Response:
    url: str  # the final URL, after redirects
    status: int
    headers: dict[str, str]
    body: bytes = b""
    redirects: int = 0

    @property
    def mime(self) -> str:
        return self.headers.get("content-type", "").split(";")[0].strip().lower()

    @property
    def charset(self) -> str | None:
        for param in self.headers.get("content-type", "").split(";")[1:]:
            key, _, value = param.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip("\"'")
        return None


@dataclass
class HttpClient:
    """GETs for one run: shared pools, host gates and request counts."""

    settings: FetchSettings
    policy: AddressPolicy
    user_agent: str
    robots_check: Callable[[str], str | None] | None = None  # url -> why robots.txt disallows it (or raises)
    sleep: Callable[[float], None] = time.sleep
    counts: Counter = field(default_factory=Counter)
    _manager: urllib3.PoolManager = field(init=False)
    _gates: dict[str, HostGate] = field(default_factory=dict, init=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False)

    def __post_init__(self) -> None:
        self._manager = _manager(self.policy, self.settings)

    def close(self) -> None:
        self._manager.clear()

    def gate(self, url: str, delay: float | None = None) -> HostGate:
        _, host, port = origin_of(url)
        with self._lock:
            gate = self._gates.get(host)
            if gate is None:
                gate = self._gates[host] = HostGate(self.settings.per_host, self.settings.delay)
            if delay is not None:
                gate.delay = max(gate.delay, delay)
            return gate

    def _count(self, key: str, by: int = 1) -> None:
        with self._lock:
            self.counts[key] += by

    def get(self, url: str, *, accept: str = ACCEPT_HTML, validators: dict[str, str] | None = None,
            credentials: tuple[str, str] | None = None, max_bytes: int | None = None,
            check_robots: bool = True) -> Response:
        """The response to GET `url`, redirects followed; a 2xx or a 304.
        Raises FetchError (Disallowed for robots.txt) with a one-line reason."""
        url, in_url = split_credentials(url.strip())
        credentials = credentials or in_url
        auth_origin = origin_of(url)
        seen: list[str] = []
        status = None
        for hop in range(self.settings.max_redirects + 1):
            try:
                check_url(url, self.policy)
            except UnsafeURL as exc:
                self._count("refused")
                raise Refused(str(exc)) from None
            if check_robots and self.robots_check is not None:
                reason = self.robots_check(url)
                if reason:
                    raise Disallowed(reason)
            headers = {"User-Agent": self.user_agent, "Accept": accept,
                       "Accept-Encoding": urllib3.util.make_headers(accept_encoding=True)["accept-encoding"]}
            if credentials and origin_of(url) == auth_origin:
                token = base64.b64encode(f"{credentials[0]}:{credentials[1]}".encode()).decode("ascii")
                headers["Authorization"] = f"Basic {token}"
            headers.update(validators or {})
            response = self._with_retries(url, headers, max_bytes or self.settings.max_bytes)
            response.redirects = hop
            if response.status not in REDIRECTS:
                return response
            status = response.status
            location = response.headers.get("location")
            if not location:
                raise FetchError(f"{_status_text(response.status)} without a Location", response.status)
            seen.append(url)
            # Credentials a Location carries are not used: only the caller's go, and only to their origin.
            url = split_credentials(urljoin(url, location.strip()))[0]
            if url in seen:
                raise FetchError(f"redirect loop at {redact(url)}", response.status)
        raise FetchError(f"more than {self.settings.max_redirects} redirects (last to {redact(url)})", status)

    def _with_retries(self, url: str, headers: dict[str, str], max_bytes: int) -> Response:
        def wait(state: tenacity.RetryCallState) -> float:
            exc = state.outcome.exception() if state.outcome else None
            after = getattr(exc, "retry_after", None)
            if after is not None:
                return after
            return self.settings.backoff * 2 ** (state.attempt_number - 1)

        retrying = tenacity.Retrying(stop=tenacity.stop_after_attempt(self.settings.attempts),
                                     retry=tenacity.retry_if_exception_type(Transient), wait=wait,
                                     sleep=self.sleep, reraise=True)
        try:
            return retrying(self._attempt, url, headers, max_bytes)
        except Transient as exc:
            tries = self.settings.attempts
            raise Transient(f"{exc} ({tries} attempt{'s' if tries > 1 else ''})", exc.status) from None

    def _attempt(self, url: str, headers: dict[str, str], max_bytes: int) -> Response:
        gate = self.gate(url)
        timeout = urllib3.Timeout(connect=self.settings.connect_timeout, read=self.settings.timeout)
        with gate.turn():
            self._count("requests")
            started = time.monotonic()
            try:
                raw = self._manager.request("GET", url, headers=headers, redirect=False, retries=False,
                                            preload_content=False, decode_content=True, timeout=timeout)
            except AddressRefused as exc:
                self._count("refused")
                self._count("requests", -1)  # judged before connecting: nothing was sent
                raise Refused(str(exc)) from None
            except Exception as exc:
                self._count("errors")
                raise _mapped(exc, url, self.settings) from None
            try:
                return self._read(raw, url, gate, started, max_bytes)
            finally:
                raw.release_conn()

    def _read(self, raw: urllib3.BaseHTTPResponse, url: str, gate: HostGate, started: float,
              max_bytes: int) -> Response:
        status = raw.status
        self._count(str(status))
        headers = {k.lower(): v for k, v in raw.headers.items()}
        response = Response(url=url, status=status, headers=headers)
        if status == 429 or status >= 500:
            after = retry_after_seconds(headers.get("retry-after"))
            raw.close()
            if after is not None:
                if after > self.settings.max_retry_after:
                    raise FetchError(f"{_status_text(status)}: Retry-After {after:.0f} s is longer than the "
                                     f"{self.settings.max_retry_after:.0f} s this run waits", status)
                gate.hold(after)
            raise Transient(_status_text(status), status, after)
        if status in REDIRECTS or status == 304:
            raw.close()
            return response
        if status >= 400 or status < 200:
            raw.close()
            raise FetchError(_status_text(status), status)
        length = headers.get("content-length", "")
        if length.isdigit() and int(length) > max_bytes:
            raw.close()
            raise FetchError(f"too large ({_megabytes(int(length))} > {_megabytes(max_bytes)} limit)", status)
        chunks, size = [], 0
        try:
            while True:
                chunk = raw.read1(CHUNK, decode_content=True)
                if not chunk:
                    break
                size += len(chunk)
                if size > max_bytes:
                    raw.close()
                    raise FetchError(f"too large (over the {_megabytes(max_bytes)} limit)", status)
                if time.monotonic() - started > self.settings.deadline:
                    raw.close()
                    raise Transient(f"too slow (no complete response within {self.settings.deadline:g} s)", status)
                chunks.append(chunk)
        except FetchError:
            raise
        except Exception as exc:
            self._count("errors")
            raise _mapped(exc, url, self.settings) from None
        response.body = b"".join(chunks)
        return response


def _mapped(exc: Exception, url: str, settings: FetchSettings) -> FetchError:
    """urllib3's exceptions as one line for the user."""
    errors = urllib3.exceptions
    if isinstance(exc, errors.ReadTimeoutError):
        return Transient(f"timed out (no answer within {settings.timeout:g} s)")
    # NewConnectionError (and NameResolutionError) are ConnectTimeoutErrors too, for compatibility.
    if isinstance(exc, errors.NameResolutionError):
        return FetchError(f"cannot resolve the host of {redact(url)}")
    if isinstance(exc, errors.NewConnectionError):
        return FetchError(f"cannot connect ({str(exc).rsplit(': ', 1)[-1][:120]})")
    if isinstance(exc, errors.ConnectTimeoutError):
        return Transient(f"connection timed out after {settings.connect_timeout:g} s")
    if isinstance(exc, errors.SSLError):
        return FetchError(f"TLS error: {str(exc).splitlines()[0][:160]}")
    if isinstance(exc, errors.DecodeError):
        return FetchError("the compressed body cannot be decoded")
    if isinstance(exc, (errors.ProtocolError, errors.IncompleteRead, ConnectionError)):
        return Transient("the connection was dropped mid-response")
    if isinstance(exc, (errors.LocationValueError, errors.LocationParseError)):
        return FetchError(f"not a valid URL: {redact(url)[:200]}")
    return FetchError(f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:160] if str(exc) else ''}".rstrip(": "))
