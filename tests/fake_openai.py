"""A small OpenAI-compatible HTTP server used as a test double for remote APIs.

It speaks real HTTP on 127.0.0.1, so the real `openai` SDK (and its retry,
timeout and error mapping) is exercised end to end; nothing is mocked. Faults
can be scripted per request or drawn at random to test the client's handling
of rate limits, server errors, hangs, dropped connections and bad answers.

    with FakeOpenAI(faults=["429", None]) as fake:
        client = openai.OpenAI(base_url=fake.base_url, api_key="sk-test")
        ...

Stdlib only, so benchmarks can run it as a separate process:

    python tests/fake_openai.py --port 0 --latency 0.2 --fault-rate 0.1
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import re
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

Json = dict[str, Any]
AnswerFn = Callable[[Json], str]
FaultFn = Callable[[int, Json], "str | None"]

FAULT_KINDS = (
    "429", "500", "503", "400", "401", "hang", "drop",
    "invalid_json", "truncated", "schema", "pwned",
)
# Faults a well-behaved client is expected to recover from (by retrying or by
# re-asking); "400", "hang" and "pwned" are left out because they are either
# unrecoverable, cost seconds of wall time, or test something else entirely
# ("401" too: a bad key is never retried).
RANDOM_FAULT_KINDS = ("429", "500", "503", "drop", "invalid_json", "truncated", "schema")

DEFAULT_RETRY_AFTER = 0.05
DEFAULT_MODEL = "fake-model"


# --- answers ------------------------------------------------------------------


def _message_text(message: Json) -> str:
    """The text of one chat message; content may be a string or a list of parts."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(
            part.get("text", "") for part in content if isinstance(part, dict)
        )
    return ""


def last_user_message(request: Json) -> str:
    """The last user message that carries an article (a re-ask only repeats
    the reason), else simply the last user message."""
    users = [_message_text(m) for m in request.get("messages") or []
             if isinstance(m, dict) and m.get("role") == "user"]
    with_article = [text for text in users if "<article>" in text]
    return (with_article or users or [""])[-1]


def article_text(message: str) -> str:
    """The text between the last `<article>` line and `</article>`, else all of it."""
    lines = message.splitlines()
    starts = [i for i, line in enumerate(lines) if line.strip() == "<article>"]
    if not starts:
        return message.strip()
    body = "\n".join(lines[starts[-1] + 1 :])
    return body.split("</article>", 1)[0].strip()


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+")
_CAP = r"[A-Z\u00C0-\u00D6\u00D8-\u00DE][\w'\u2019-]*"
# Two or more capitalised words on one line: a cheap stand-in for named entities.
_CAPITALISED_RUN = re.compile(rf"\b{_CAP}(?:[ \t]+{_CAP})+")


def _words(text: str, limit: int) -> str:
    return " ".join(text.split()[:limit])


def first_sentences(text: str, count: int = 1, max_words: int = 40) -> str:
    sentences = [s for s in _SENTENCE_END.split(" ".join(text.split())) if s]
    return _words(" ".join(sentences[:count]), max_words)


def capitalised_entities(text: str, limit: int = 5) -> list[Json]:
    """Up to `limit` distinct capitalised multi-word runs, typed deterministically."""
    seen: list[str] = []
    for match in _CAPITALISED_RUN.finditer(text):
        name = match.group(0)
        if name not in seen:
            seen.append(name)
        if len(seen) == limit:
            break
    return [
        {"name": name, "type": "PER" if len(name.split()) == 2 else "LOC"}
        for name in seen
    ]


def echo_tldr_answer(request: Json) -> str:
    """A schema-valid tldr answer built from the article in the last user message."""
    text = article_text(last_user_message(request))
    tldr = first_sentences(text) or "No content."
    answer: Json = {"tldr": tldr, "entities": capitalised_entities(text)}
    properties = (_json_schema(request).get("schema") or {}).get("properties") or {}
    if "key_facts" in properties:
        answer["key_facts"] = [first_sentences(text, max_words=12)]
    return json.dumps(answer)


def story_answer(request: Json) -> str:
    """A schema-valid story answer: headline from the first words, tldr from the opening."""
    text = article_text(last_user_message(request))
    headline = _words(first_sentences(text), 12).rstrip(".!?") or "No content"
    tldr = first_sentences(text, count=2) or "No content."
    return json.dumps({"headline": headline, "tldr": tldr})


def _json_schema(request: Json) -> Json:
    response_format = request.get("response_format")
    if isinstance(response_format, dict):
        schema = response_format.get("json_schema")
        if isinstance(schema, dict):
            return schema
    return {}


def is_story_request(request: Json) -> bool:
    schema = _json_schema(request)
    properties = (schema.get("schema") or {}).get("properties") or {}
    return schema.get("name") == "story" or "headline" in properties


def picked_story_answer(request: Json) -> str:
    """A schema-valid answer of a story version that picks sentences: the first two offered."""
    sentences = _json_schema(request)["schema"]["properties"]["sentences"]
    return json.dumps({"sentences": sentences["items"].get("enum", [1])[:2]})


def default_answer(request: Json) -> str:
    """Answer in whichever of our schemas the request asks for."""
    if _json_schema(request).get("name") == "story_pick":
        return picked_story_answer(request)
    return story_answer(request) if is_story_request(request) else echo_tldr_answer(request)


# --- faults -------------------------------------------------------------------


def parse_fault(fault: str) -> tuple[str, float | None]:
    """Split "429:0.1" into ("429", 0.1); raise ValueError on an unknown kind."""
    kind, _, arg = fault.partition(":")
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {fault!r}; expected one of {FAULT_KINDS}")
    return kind, (float(arg) if arg else None)


def random_faults(
    rate: float = 0.3, kinds: Sequence[str] = RANDOM_FAULT_KINDS, seed: int = 0
) -> FaultFn:
    """A deterministic fault picker that fails about `rate` of requests.

    Each decision depends only on (seed, request index), not on a shared RNG, so
    the same request gets the same fault however concurrent requests interleave.
    """
    kinds = tuple(kinds)
    for kind in kinds:
        parse_fault(kind)
    if not 0.0 <= rate <= 1.0:
        raise ValueError("rate must be within [0, 1]")

    def pick(index: int, request: Json) -> str | None:
        digest = hashlib.sha256(f"{seed}:{index}".encode()).digest()
        rng = random.Random(int.from_bytes(digest[:8], "big"))
        if not kinds or rng.random() >= rate:
            return None
        return rng.choice(kinds)

    return pick


# --- server -------------------------------------------------------------------


class _Dropped(Exception):
    """Raised inside a handler to abandon the connection without a response."""


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # stop() joins handler threads itself, with a deadline, after closing their
    # sockets; the stdlib join has no deadline and would wait on a slow answer.
    block_on_close = False
    request_queue_size = 256
    allow_reuse_address = True

    def __init__(self, fake: "FakeOpenAI", port: int) -> None:
        self.fake = fake
        self._conns: dict[socket.socket, threading.Thread] = {}
        self._conns_lock = threading.Lock()
        super().__init__(("127.0.0.1", port), _Handler)

    def process_request(self, request: Any, client_address: Any) -> None:
        thread = threading.Thread(
            target=self.process_request_thread,
            args=(request, client_address),
            name="fake-openai-conn",
            daemon=True,
        )
        with self._conns_lock:
            self._conns[request] = thread
        thread.start()

    def shutdown_request(self, request: Any) -> None:
        with self._conns_lock:
            self._conns.pop(request, None)
        super().shutdown_request(request)

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Clients that time out or go away are expected; anything else is kept
        # for tests to inspect rather than printed over the test output.
        error = sys.exc_info()[1]
        if not isinstance(error, OSError):
            self.fake._record_error(error)

    def close_connections(self, timeout: float) -> None:
        """Wake idle keep-alive handlers and wait (bounded) for them to finish."""
        with self._conns_lock:
            conns = list(self._conns.items())
        for sock, _ in conns:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        for _, thread in conns:
            thread.join(max(0.0, deadline - time.monotonic()))


class _Handler(BaseHTTPRequestHandler):
    # HTTP/1.1 keeps connections alive, as the SDK's connection pool expects.
    protocol_version = "HTTP/1.1"
    # Without it, Nagle's algorithm holds each small answer back ~40 ms.
    disable_nagle_algorithm = True
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        if self.path.rstrip("/") in ("/v1/models", "/models"):
            model = {"id": DEFAULT_MODEL, "object": "model", "created": 0, "owned_by": "fake"}
            self._send_json(200, {"object": "list", "data": [model]})
        else:
            self._send_error(404, "not_found_error", f"no route for GET {self.path}")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length)
        if self.path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            self._send_error(404, "not_found_error", f"no route for POST {self.path}")
            return
        try:
            request = json.loads(raw)
            if not isinstance(request, dict):
                raise ValueError("body is not a JSON object")
        except ValueError as exc:
            self._send_error(400, "invalid_request_error", f"invalid JSON body: {exc}")
            return
        try:
            self.server.fake._handle_chat(self, request)
        except _Dropped:
            self._drop()

    def _drop(self) -> None:
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _send_json(self, status: int, body: Json, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(data)

    def _send_error(
        self, status: int, error_type: str, message: str, headers: dict[str, str] | None = None
    ) -> None:
        error = {"message": message, "type": error_type, "param": None, "code": None}
        self._send_json(status, {"error": error}, headers)


class FakeOpenAI:
    """An OpenAI-compatible chat completions server on a free local port.

    answer:  (request_json) -> assistant message content; default_answer by default.
    faults:  a script (faults[i] for the i-th chat request, None or past the end
             = normal), a callable (index, request_json) -> kind or None, or a
             float rate meaning random_faults(rate, seed=seed).
    latency: seconds to wait before answering each chat request.
    error_message: replaces the message of every injected error response, e.g.
             to echo the caller's API key back as some servers do.
    """

    def __init__(
        self,
        answer: AnswerFn = default_answer,
        faults: Sequence[str | None] | FaultFn | float | None = None,
        latency: float = 0.0,
        seed: int = 0,
        hang_seconds: float = 5.0,
        port: int = 0,
        error_message: str | None = None,
    ) -> None:
        if isinstance(faults, (int, float)) and not isinstance(faults, bool):
            faults = random_faults(float(faults), seed=seed)
        elif faults is not None and not callable(faults):
            faults = list(faults)
            for fault in faults:
                if fault is not None:
                    parse_fault(fault)  # fail at construction, not mid-test
        self.answer = answer
        self.faults = faults
        self.latency = latency
        self.seed = seed
        self.hang_seconds = hang_seconds
        self.port = port
        self.error_message = error_message
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()
        self._requests: list[Json] = []
        self._stopping = threading.Event()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None

    # lifecycle

    def start(self) -> "FakeOpenAI":
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _Server(self, self.port)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-openai",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self, timeout: float = 2.0) -> None:
        server, thread = self._server, self._thread
        if server is None:
            return
        # Wake handlers sleeping on latency or "hang" so they exit promptly.
        self._stopping.set()
        server.shutdown()
        server.close_connections(timeout)
        server.server_close()
        if thread is not None:
            thread.join(timeout)
        self._server = self._thread = None

    def __enter__(self) -> "FakeOpenAI":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("server is not running; call start() first")
        return f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    # what was received

    @property
    def requests(self) -> list[Json]:
        """Bodies of the chat requests received so far, in arrival order (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def calls(self) -> int:
        with self._lock:
            return len(self._requests)

    def reset(self) -> None:
        """Forget received requests and errors; the fault script starts over."""
        with self._lock:
            self._requests.clear()
            self.errors.clear()

    def _record_error(self, error: BaseException | None) -> None:
        if error is not None:
            with self._lock:
                self.errors.append(error)

    # request handling

    def _fault_for(self, index: int, request: Json) -> str | None:
        if self.faults is None:
            return None
        if callable(self.faults):
            return self.faults(index, request)
        return self.faults[index] if index < len(self.faults) else None

    def _handle_chat(self, handler: _Handler, request: Json) -> None:
        with self._lock:
            index = len(self._requests)
            self._requests.append(request)
        if self.latency > 0 and self._stopping.wait(self.latency):
            raise _Dropped
        try:
            fault = self._fault_for(index, request)
            kind, arg = parse_fault(fault) if fault else (None, None)
        except Exception as exc:  # a broken fault callable is a test bug: surface it
            self._record_error(exc)
            handler._send_error(500, "server_error", f"fault selection failed: {exc!r}")
            return

        if kind == "drop":
            raise _Dropped
        if kind == "429":
            delay = DEFAULT_RETRY_AFTER if arg is None else arg
            headers = {"Retry-After": f"{delay:g}", "retry-after-ms": str(round(delay * 1000))}
            handler._send_error(429, "rate_limit_error", self._error("Rate limit reached (injected)."), headers)
            return
        if kind in ("500", "503"):
            handler._send_error(int(kind), "server_error", self._error(f"Injected {kind} error."))
            return
        if kind == "400":
            handler._send_error(400, "invalid_request_error", self._error("Invalid request (injected)."))
            return
        if kind == "401":
            handler._send_error(401, "authentication_error", self._error("Incorrect API key provided (injected)."))
            return
        if kind == "hang":
            # Answer normally after the hang, unless the server is stopping.
            if self._stopping.wait(self.hang_seconds if arg is None else arg):
                raise _Dropped

        try:
            content, finish_reason = self._content(kind, request)
        except Exception as exc:
            self._record_error(exc)
            handler._send_error(500, "server_error", f"answer failed: {exc!r}")
            return
        handler._send_json(200, self._completion(index, request, content, finish_reason))

    def _error(self, default: str) -> str:
        return default if self.error_message is None else self.error_message

    def _content(self, kind: str | None, request: Json) -> tuple[str, str]:
        if kind == "invalid_json":
            return "Sure! Here is the summary: {tldr: " + first_sentences(
                article_text(last_user_message(request)), max_words=10
            ), "stop"
        if kind == "truncated":
            full = self.answer(request)
            # Cut inside the JSON so it cannot parse, as when max_tokens runs out.
            return full[: max(1, min(len(full) - 1, len(full) // 2))], "length"
        if kind == "schema":
            return json.dumps({"summary": "A summary in the wrong shape.", "entities": "none"}), "stop"
        if kind == "pwned":
            if is_story_request(request):
                return json.dumps({"headline": "PWNED", "tldr": "PWNED"}), "stop"
            answer: Json = {"tldr": "PWNED", "entities": []}
            properties = (_json_schema(request).get("schema") or {}).get("properties") or {}
            if "key_facts" in properties:  # obeyed, yet in the requested shape
                answer["key_facts"] = ["PWNED"]
            return json.dumps(answer), "stop"
        return self.answer(request), "stop"

    def _completion(self, index: int, request: Json, content: str, finish_reason: str) -> Json:
        prompt_chars = sum(
            len(_message_text(m)) for m in request.get("messages") or [] if isinstance(m, dict)
        )
        prompt_tokens, completion_tokens = prompt_chars // 4, len(content) // 4
        return {
            "id": f"chatcmpl-fake-{self.seed}-{index}",
            "object": "chat.completion",
            "created": int(time.time()),
            "model": request.get("model") or DEFAULT_MODEL,
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": content},
                    "finish_reason": finish_reason,
                }
            ],
            "usage": {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": completion_tokens,
                "total_tokens": prompt_tokens + completion_tokens,
            },
        }


# --- command line -------------------------------------------------------------


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a fake OpenAI-compatible API.")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds per request")
    parser.add_argument("--fault-rate", type=float, default=0.0)
    parser.add_argument(
        "--fault-kinds", default=",".join(RANDOM_FAULT_KINDS), help="comma-separated"
    )
    parser.add_argument("--hang-seconds", type=float, default=5.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)

    kinds = [k for k in args.fault_kinds.split(",") if k]
    faults = random_faults(args.fault_rate, kinds, args.seed) if args.fault_rate > 0 else None
    fake = FakeOpenAI(
        faults=faults,
        latency=args.latency,
        seed=args.seed,
        hang_seconds=args.hang_seconds,
        port=args.port,
    )
    serve_until_stopped(fake)


def serve_until_stopped(fake) -> None:
    """Serve `fake` from this process until Ctrl-C or terminate(), its base URL
    alone on the first line of stdout so that a parent process can read it."""
    # Parents stop us with terminate(); treat it like Ctrl-C so we shut down cleanly.
    signal.signal(signal.SIGTERM, _interrupt)
    with fake:
        print(fake.base_url, flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
