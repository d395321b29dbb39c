"""A loopback test double of OpenAI's Batch API, on top of `fake_openai`.

Besides chat completions and the model list, it serves the files and
batches endpoints: JSONL uploads (purpose "batch"), POST /v1/batches,
retrieval, listing (with metadata, as a resumed run searches it), cancel,
and the output and error files. A job walks validating → in_progress →
finalizing → completed, one step per retrieval, or ends failed, expired
or cancelled; its requests are answered by the same answer function and
fault kinds as live calls, so a batch run can be checked against a live
one.

    with FakeBatchAPI(outcome="expired", answered_share=0.5) as fake:
        ...

Stdlib only, so the benchmark can run it as its own process:

    python tests/fake_batch.py --port 0
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import fake_openai  # noqa: E402
from fake_openai import FakeOpenAI, Json, parse_fault  # noqa: E402

CHAT_PATH = "/v1/chat/completions"
STEPS = ("validating", "in_progress", "finalizing")
OUTCOMES = ("completed", "failed", "expired", "cancelled")
# request_faults may also name these, which only a batch has.
BATCH_FAULTS = ("expired",)

# (index of the request in its job, custom_id, body) -> a fault kind or None
RequestFaults = Callable[[int, str, Json], "str | None"]


class FakeBatchAPI(FakeOpenAI):
    """FakeOpenAI plus the Batch API.

    outcome:        how every job ends: completed, failed, expired or cancelled,
                    or a callable (job number from 0) -> one of them.
    answered_share: of an expired or cancelled job, the share of requests
                    answered before it ended (the rest are in the error file).
    request_faults: a fault per request (fake_openai's kinds, plus "expired").
    hold:           while set, jobs stay in_progress (release() lets them go on).
    create_delay:   seconds POST /v1/batches waits after making the job and
                    before answering, as a slow or lost response would.
    polls_per_step: retrievals that each status before the end lasts.
    """

    def __init__(self, *, outcome: str | Callable[[int], str] = "completed", answered_share: float = 0.0,
                 request_faults: RequestFaults | None = None, hold: bool = False, create_delay: float = 0.0,
                 polls_per_step: int = 1, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.outcome = outcome
        self.answered_share = answered_share
        self.request_faults = request_faults
        self.create_delay = create_delay
        self.polls_per_step = polls_per_step
        self._released = threading.Event()
        if not hold:
            self._released.set()
        self.files: dict[str, dict] = {}
        self.batches: dict[str, dict] = {}
        self.uploads = 0
        self.creates = 0
        self.retrievals = 0

    def release(self) -> None:
        self._released.set()

    # what was received

    def submitted(self) -> list[list[str]]:
        """The custom_ids of every job, in the order the jobs were created."""
        with self._lock:
            return [list(batch["_custom_ids"]) for batch in self.batches.values()]

    # lifecycle: our own server class, for the routes

    def start(self) -> "FakeBatchAPI":
        if self._server is not None:
            return self
        self._stopping.clear()
        self._server = _BatchServer(self, self.port)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-batch", daemon=True)
        self._thread.start()
        return self

    # files

    def _upload(self, handler: "_BatchHandler", raw: bytes) -> None:
        fields = _multipart(handler.headers.get("Content-Type", ""), raw)
        if fields.get("purpose", (None, b""))[1] != b"batch" or "file" not in fields:
            handler._send_error(400, "invalid_request_error", "expected a file and purpose=batch")
            return
        name, data = fields["file"]
        with self._lock:
            self.uploads += 1
            file_id = f"file-{len(self.files) + 1:04d}"
            self.files[file_id] = {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                                   "filename": name or "upload.jsonl", "purpose": "batch", "status": "processed",
                                   "_data": data}
        handler._send_json(200, _public(self.files[file_id]))

    def _file_content(self, handler: "_BatchHandler", file_id: str) -> None:
        with self._lock:
            file = self.files.get(file_id)
        if file is None:
            handler._send_error(404, "not_found_error", f"no file {file_id}")
            return
        handler.send_response(200)
        handler.send_header("Content-Type", "application/octet-stream")
        handler.send_header("Content-Length", str(len(file["_data"])))
        handler.end_headers()
        handler.wfile.write(file["_data"])

    def _add_file(self, name: str, lines: list[Json]) -> str | None:
        if not lines:
            return None
        data = "".join(json.dumps(line) + "\n" for line in lines).encode()
        file_id = f"file-{len(self.files) + 1:04d}"
        self.files[file_id] = {"id": file_id, "object": "file", "bytes": len(data), "created_at": int(time.time()),
                               "filename": name, "purpose": "batch_output", "status": "processed", "_data": data}
        return file_id

    # batches

    def _create(self, handler: "_BatchHandler", body: Json) -> None:
        with self._lock:
            file = self.files.get(body.get("input_file_id", ""))
            if file is None:
                handler._send_error(400, "invalid_request_error", "input_file_id is not a file")
                return
            if body.get("endpoint") != CHAT_PATH or body.get("completion_window") != "24h":
                handler._send_error(400, "invalid_request_error", "endpoint or completion_window not supported")
                return
            lines, errors = _request_lines(file["_data"])
            number = len(self.batches)
            outcome = self.outcome(number) if callable(self.outcome) else self.outcome
            batch_id = f"batch_{number + 1:04d}"
            self.creates += 1
            self.batches[batch_id] = {
                "id": batch_id, "object": "batch", "endpoint": CHAT_PATH, "completion_window": "24h",
                "input_file_id": file["id"], "status": "validating", "created_at": int(time.time()) + number,
                "metadata": body.get("metadata") or {}, "output_file_id": None, "error_file_id": None,
                "errors": {"object": "list", "data": errors} if errors else None,
                "request_counts": {"total": len(lines), "completed": 0, "failed": 0},
                "_lines": lines, "_outcome": "failed" if errors else outcome, "_polls": 0,
                "_custom_ids": [line["custom_id"] for line in lines],
            }
            public = _public(self.batches[batch_id])
        if self.create_delay and self._stopping.wait(self.create_delay):
            raise fake_openai._Dropped
        handler._send_json(200, public)

    def _retrieve(self, handler: "_BatchHandler", batch_id: str) -> None:
        with self._lock:
            self.retrievals += 1
            batch = self.batches.get(batch_id)
        if batch is None:
            handler._send_error(404, "not_found_error", f"no batch {batch_id}")
            return
        self._advance(batch)
        with self._lock:
            handler._send_json(200, _public(batch))

    def _list(self, handler: "_BatchHandler", query: str) -> None:
        params = dict(part.split("=", 1) for part in query.split("&") if "=" in part)
        limit = int(params.get("limit", 20))
        with self._lock:
            newest_first = sorted(self.batches.values(), key=lambda b: b["created_at"], reverse=True)
            after = params.get("after")
            if after:
                ids = [b["id"] for b in newest_first]
                newest_first = newest_first[ids.index(after) + 1:] if after in ids else []
            page = [_public(b) for b in newest_first[:limit]]
            more = len(newest_first) > limit
        handler._send_json(200, {"object": "list", "data": page, "first_id": page[0]["id"] if page else None,
                                 "last_id": page[-1]["id"] if page else None, "has_more": more})

    def _cancel(self, handler: "_BatchHandler", batch_id: str) -> None:
        with self._lock:
            batch = self.batches.get(batch_id)
            if batch is None:
                handler._send_error(404, "not_found_error", f"no batch {batch_id}")
                return
            if batch["status"] not in OUTCOMES:
                batch["_outcome"] = "cancelled"
            public = _public(batch)
        handler._send_json(200, public)

    def _advance(self, batch: Json) -> None:
        """One retrieval's worth of progress."""
        with self._lock:
            if batch["status"] in OUTCOMES:
                return
            batch["_polls"] += 1
            if batch["_polls"] < self.polls_per_step:
                return
            batch["_polls"] = 0
            if batch["_outcome"] == "failed" and batch["status"] == "validating":
                batch["status"] = "failed"
                if not batch["errors"]:
                    batch["errors"] = {"object": "list", "data": [
                        {"code": "model_not_found", "message": "The model is not available for batch.",
                         "line": None, "param": "body.model"}]}
                batch["request_counts"]["failed"] = batch["request_counts"]["total"]
                return
            step = STEPS.index(batch["status"]) if batch["status"] in STEPS else 0
            if batch["status"] == "in_progress" and not self._released.is_set():
                return
            if step + 1 < len(STEPS) and batch["_outcome"] == "completed":
                batch["status"] = STEPS[step + 1]
                return
            if batch["status"] == "validating":
                batch["status"] = "in_progress"
                return
        self._finish(batch)

    def _finish(self, batch: Json) -> None:
        """Answer the job's requests and write its output and error files."""
        outcome = batch["_outcome"]
        lines = batch["_lines"]
        answered = len(lines) if outcome == "completed" else int(len(lines) * self.answered_share)
        outputs, errors = [], []
        for index, line in enumerate(lines):
            custom_id, body = line["custom_id"], line.get("body") or {}
            if index >= answered:
                code = "batch_expired" if outcome == "expired" else "batch_cancelled"
                errors.append({"id": f"batch_req_{index}", "custom_id": custom_id, "response": None,
                               "error": {"code": code, "message": f"The request was not run ({outcome})."}})
                continue
            fault = self.request_faults(index, custom_id, body) if self.request_faults else None
            if fault == "expired":
                errors.append({"id": f"batch_req_{index}", "custom_id": custom_id, "response": None,
                               "error": {"code": "batch_expired", "message": "The request expired."}})
                continue
            kind = parse_fault(fault)[0] if fault else None
            if kind in ("500", "503", "400", "429"):
                errors.append({"id": f"batch_req_{index}", "custom_id": custom_id, "error": None, "response": {
                    "status_code": int(kind), "request_id": f"req_{index}",
                    "body": {"error": {"message": f"Injected {kind} error.", "type": "server_error"}}}})
                continue
            content, finish_reason = self._content(kind, body)
            with self._lock:
                self._requests.append(body)
                number = len(self._requests)
            outputs.append({"id": f"batch_req_{index}", "custom_id": custom_id, "error": None, "response": {
                "status_code": 200, "request_id": f"req_{index}",
                "body": self._completion(number, body, content, finish_reason)}})
        with self._lock:
            batch["output_file_id"] = self._add_file(f"{batch['id']}_output.jsonl", outputs)
            batch["error_file_id"] = self._add_file(f"{batch['id']}_error.jsonl", errors)
            batch["request_counts"].update(completed=len(outputs), failed=len(errors))
            batch["status"] = outcome
            batch[f"{outcome}_at"] = int(time.time())


def _public(record: Json) -> Json:
    return {k: v for k, v in record.items() if not k.startswith("_")}


def _request_lines(data: bytes) -> tuple[list[Json], list[Json]]:
    lines, errors, seen = [], [], set()
    for number, raw in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        if not raw.strip():
            continue
        try:
            line = json.loads(raw)
        except ValueError:
            errors.append({"code": "invalid_json_line", "message": "not JSON", "line": number, "param": None})
            continue
        custom_id = line.get("custom_id")
        if line.get("url") != CHAT_PATH or line.get("method") != "POST" or not custom_id or custom_id in seen:
            errors.append({"code": "invalid_request", "message": "bad url, method or custom_id", "line": number,
                           "param": None})
            continue
        seen.add(custom_id)
        lines.append(line)
    return lines, errors


def _multipart(content_type: str, raw: bytes) -> dict[str, tuple[str | None, bytes]]:
    message = BytesParser(policy=email_policy).parsebytes(f"Content-Type: {content_type}\r\n\r\n".encode() + raw)
    fields = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if name:
            fields[name] = (part.get_filename(), part.get_payload(decode=True) or b"")
    return fields


class _BatchHandler(fake_openai._Handler):
    server: "_BatchServer"

    def do_GET(self) -> None:
        fake = self.server.fake
        path, _, query = self.path.partition("?")
        parts = path.rstrip("/").split("/")
        if path.startswith("/v1/files/") and path.endswith("/content"):
            fake._file_content(self, parts[3])
        elif path.rstrip("/") == "/v1/batches":
            fake._list(self, query)
        elif path.startswith("/v1/batches/") and len(parts) == 4:
            fake._retrieve(self, parts[3])
        else:
            super().do_GET()

    def do_POST(self) -> None:
        fake = self.server.fake
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        path = self.path.partition("?")[0].rstrip("/")
        parts = path.split("/")
        try:
            if path == "/v1/files":
                fake._upload(self, raw)
            elif path == "/v1/batches":
                fake._create(self, json.loads(raw or b"{}"))
            elif path.startswith("/v1/batches/") and path.endswith("/cancel"):
                fake._cancel(self, parts[3])
            elif path in ("/v1/chat/completions", "/chat/completions"):
                fake._handle_chat(self, json.loads(raw))
            else:
                self._send_error(404, "not_found_error", f"no route for POST {self.path}")
        except fake_openai._Dropped:
            self._drop()


class _BatchServer(fake_openai._Server):
    def __init__(self, fake: FakeBatchAPI, port: int) -> None:
        self.fake = fake
        self._conns = {}
        self._conns_lock = threading.Lock()
        ThreadingHTTPServer.__init__(self, ("127.0.0.1", port), _BatchHandler)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a fake OpenAI API with the Batch API.")
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--polls-per-step", type=int, default=1)
    args = parser.parse_args(argv)
    fake_openai.serve_until_stopped(FakeBatchAPI(port=args.port, polls_per_step=args.polls_per_step))


if __name__ == "__main__":
    main()
