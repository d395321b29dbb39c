"""The model as fluency judge: one token, "Yes" or "No", and the probability
of "No" from its top log-probabilities; answers recorded under
`evals/recordings/` and replayed."""

from __future__ import annotations

import hashlib
import json
import math
import threading
import time
from collections.abc import Callable
from pathlib import Path

from summarize.llm.embedded import MODEL_NAME

JUDGE_VERSION = "fluency-judge@v1"
JUDGE_MODEL = MODEL_NAME
_YES, _NO = {"yes", "ja"}, {"no", "nein"}


def default_recording_path(model: str = JUDGE_MODEL) -> Path:
    return Path(__file__).resolve().parents[2] / "evals" / "recordings" / f"fluency-judge-{model}.jsonl"


def judge_messages(text: str, language: str) -> list[dict]:
    name = {"de": "German", "en": "English"}[language]
    return [{"role": "system", "content": "You are a strict proofreader."},
            {"role": "user", "content": f"Is this a grammatically correct, complete {name} sentence? "
                                        f"Answer Yes or No.\n\n{text}"}]


def judge_key(text: str, language: str, model: str = JUDGE_MODEL, version: str = JUDGE_VERSION) -> str:
    return hashlib.sha256(json.dumps([version, model, language, text], ensure_ascii=False).encode()).hexdigest()


def broken_probability(top_logprobs: list[list]) -> float | None:
    """P(No) / (P(Yes) + P(No)) over the first answer token's candidates, all
    spellings of each answer together; None when neither is among them."""
    yes = sum(math.exp(lp) for token, lp in top_logprobs if token.strip().lower() in _YES)
    no = sum(math.exp(lp) for token, lp in top_logprobs if token.strip().lower() in _NO)
    return no / (yes + no) if yes + no > 0 else None


# P(broken) of a sentence in a language, None when there is no answer.
Judge = Callable[[str, str], "float | None"]


class ReplayJudge:
    """Recorded judgments only: a sentence nobody recorded has no answer."""

    def __init__(self, path: Path | None = None, *, model: str = JUDGE_MODEL, version: str = JUDGE_VERSION):
        self.path = path or default_recording_path(model)
        self.model, self.version = model, version
        self._entries: dict[str, dict] = {}
        lines = self.path.read_text(encoding="utf-8").splitlines() if self.path.is_file() else []
        for entry in (json.loads(line) for line in lines if line.strip()):
            self._entries[entry["key"]] = entry

    def entry(self, text: str, language: str) -> dict | None:
        return self._entries.get(judge_key(text, language, self.model, self.version))

    def __call__(self, text: str, language: str) -> float | None:
        entry = self.entry(text, language)
        return broken_probability(entry["top_logprobs"]) if entry else None


class LiveJudge(ReplayJudge):
    """Recorded judgments first; any other sentence is put to the model over the
    OpenAI protocol (one token, its top log-probabilities) and appended to the
    recording, so that the next run replays it. `client` is an openai SDK client:
    `OpenAIChat` always asks for JSON, the judge needs one plain token."""

    def __init__(self, client, path: Path | None = None, *, model: str = JUDGE_MODEL,
                 version: str = JUDGE_VERSION):
        super().__init__(path, model=model, version=version)
        self.client = client
        self._lock = threading.Lock()

    def __call__(self, text: str, language: str) -> float | None:
        entry = self.entry(text, language) or self._ask(text, language)
        return broken_probability(entry["top_logprobs"])

    def _ask(self, text: str, language: str) -> dict:
        started = time.perf_counter()
        response = self.client.chat.completions.create(
            model=self.model, messages=judge_messages(text, language), max_tokens=1, temperature=0, seed=0,
            logprobs=True, top_logprobs=5)
        top = response.choices[0].logprobs.content[0].top_logprobs
        entry = {"key": judge_key(text, language, self.model, self.version), "prompt": self.version,
                 "model": self.model, "language": language, "text": text,
                 "top_logprobs": [[t.token, round(t.logprob, 4)] for t in top],
                 "latency": round(time.perf_counter() - started, 3)}
        with self._lock:
            self._entries[entry["key"]] = entry
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self.path.open("a", encoding="utf-8") as out:
                out.write(json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n")
        return entry
