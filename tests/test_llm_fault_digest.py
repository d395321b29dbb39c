"""A 40-article digest against a server that fails about 30 % of the calls in every
way it can, then a second run with the faults gone: no article is lost, and the
second run asks only what the first one could not get.
"""

import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import threading
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, article_text, is_story_request, last_user_message

from summarize.clean.cleaner import clean_paths
from summarize.digest.cluster import ClusterItem
from summarize.digest.duplicates import find_duplicates
from summarize.llm.backend import LLMError, RetryPolicy, policy_from_env
from summarize.llm.engine import open_backend

ROOT = Path(__file__).resolve().parent.parent
NAMES = ["Anna Weber", "Jonas Berg", "Petra Lindner", "Markus Hofmann", "Lena Schulz", "Tobias Krüger",
         "Sabine Neumann", "Felix Vogel", "Miriam Brandt", "Karl Seidel"]
CITIES = ["Hamburg", "Köln", "Leipzig", "Dresden", "Bremen", "Kassel", "Erfurt", "Mainz", "Kiel", "Ulm"]
MONTHS = ["März", "April", "Mai", "Juni"]
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ„\"»])")
# Short client-side limits so that hangs and retries cost fractions of a second.
FAST_CLIENT = {"SUMMARIZE_LLM_TIMEOUT": "1", "SUMMARIZE_LLM_ATTEMPTS": "2", "SUMMARIZE_LLM_BACKOFF": "0.01"}
MIXED_FAULTS = ("429:0.05", "500", "503", "hang", "drop", "invalid_json", "truncated", "schema")


def marker(i: int) -> str:
    return f"Sitzung Nummer {100 + i} "


def seed_sentences() -> list[list[str]]:
    sentences = []
    for article in clean_paths([str(p) for p in sorted((ROOT / "seeds").glob("*.txt"))]):
        paragraphs = article.text.split("\n\n")
        body = " ".join(paragraphs[1:] if paragraphs[0] == article.title else paragraphs)
        sentences.append([s for s in _SENTENCE.split(" ".join(body.split())) if len(s.split()) >= 5])
    return sentences


def write_articles(directory: Path, count: int) -> list[Path]:
    """`count` small German articles made from the seeds' sentences: each its own
    sentences, numbers, names, place and lead; two per date, dates three days apart,
    so pairs may form a story while no two articles are near-duplicates."""
    directory.mkdir(parents=True, exist_ok=True)
    sentences = seed_sentences()
    paths = []
    for i in range(count):
        pair, variant = divmod(i, 2)
        seed = sentences[pair % len(sentences)]
        j = (pair // len(sentences)) * 2 + variant
        picked = [seed[(2 * j) % len(seed)], seed[(2 * j + 1) % len(seed)]]
        picked = [re.sub(r"\b\d+\b", lambda m: str(int(m.group()) + i + 1), s) for s in picked]
        day = date(2025, 3, 1) + timedelta(days=3 * pair)
        name, city = NAMES[i % 10], CITIES[(i // 10 + i) % 10]
        lead = (f"{city}: Nach Angaben von {name} nahmen {12 + 7 * i} Delegierte an der {marker(i)}"
                f"am {day.day}. {MONTHS[(day.month - 3) % 4]} teil.")
        title = " ".join(picked[0].split()[:7]).rstrip(",.:;") + f" ({city})"
        path = directory / f"article-{i:02d}.txt"
        path.write_text(f"date {day.isoformat()} {title}\n\n{lead} {picked[0]}\n\n{picked[1]}\n", encoding="utf-8")
        paths.append(path)
    return paths


class FaultsByContent:
    """Fails about `rate` of the calls, chosen by what is asked and how often it
    was asked before, not by arrival order: the same article meets the same
    faults however the concurrent calls interleave. `scripted` forces the
    faults for the articles whose text holds a marker."""

    def __init__(self, rate: float, kinds, seed: int, scripted: dict[str, list]):
        self.rate, self.kinds, self.seed, self.scripted = rate, kinds, seed, scripted
        self.seen: Counter[str] = Counter()
        self.injected: Counter[str] = Counter()
        self._lock = threading.Lock()

    def __call__(self, index: int, request: dict) -> str | None:
        key = article_text(last_user_message(request))
        with self._lock:
            attempt = self.seen[key]
            self.seen[key] += 1
        scripted = [faults for mark, faults in self.scripted.items() if mark in key and not is_story_request(request)]
        if scripted:
            fault = scripted[0][attempt] if attempt < len(scripted[0]) else None
        else:
            rng = random.Random(f"{self.seed}:{key}:{attempt}")
            fault = rng.choice(self.kinds) if rng.random() < self.rate else None
        if fault:
            with self._lock:
                self.injected[fault.split(":")[0]] += 1
        return fault


def digest(fake, box, out, db):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
    env.update(OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY="sk-test", **FAST_CLIENT)
    result = subprocess.run([sys.executable, "-m", "summarize", "digest", str(box), "--out", str(out),
                             "--format", "json,md,html", "--db", str(db), "--concurrency", "8"],
                            env=env, cwd=ROOT, capture_output=True, text=True, timeout=240)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), result.stderr
    (json_file,) = out.glob("*.json")
    return result, json.loads(json_file.read_text(encoding="utf-8"))


def calls_logged(db: Path) -> list[dict]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute("SELECT * FROM calls ORDER BY id")]


def index_of(text: str) -> int:
    found = re.findall(r"Sitzung Nummer (1\d\d) ", text)
    assert len(set(found)) == 1, text[:300]
    return int(found[0]) - 100


def test_forty_articles_through_thirty_percent_faults_then_a_clean_rerun(tmp_path):
    box, out, db = tmp_path / "inbox", tmp_path / "out", tmp_path / "state.sqlite3"
    paths = write_articles(box, 40)
    cleaned = clean_paths([str(p) for p in paths])
    assert all(a.ok for a in cleaned)
    items = [ClusterItem(key=a.path, published=a.published, title=a.title or "", text=a.text) for a in cleaned]
    assert find_duplicates(items) == [], "forty distinct articles, no near-duplicates"

    faults = FaultsByContent(0.3, MIXED_FAULTS, seed=11, scripted={
        marker(3): ["invalid_json", "invalid_json"],  # fails; with it back, its pair's story needs a merge
        marker(7): ["500", "500"],  # the server keeps failing: LLMError after the retry
        marker(13): ["schema", "truncated"],  # two unusable answers: failed after the re-ask
        marker(21): ["hang", "drop"],  # a timeout, then a dropped connection
        marker(30): ["429:0.3", None],  # rate limited, comes back after Retry-After
    })
    with FakeOpenAI(faults=faults, hang_seconds=3) as fake:
        first, run1 = digest(fake, box, out, db)
        run1_calls = fake.calls
        fake.faults = None
        fake.reset()
        calls_before = len(calls_logged(db))
        second, run2 = digest(fake, box, out, db)
        run2_requests = fake.requests

    # --- run 1: every article summarized or listed with its reason, none lost
    assert sum(faults.injected.values()) >= 0.2 * run1_calls, (faults.injected, run1_calls)
    assert {"429", "500", "hang", "drop", "schema", "truncated"} <= set(faults.injected), faults.injected
    summarized1 = {s["path"] for story in run1["stories"] for s in story["sources"]}
    failed1 = {f["path"]: f["error"] for f in run1["not_summarized"]}
    assert len(summarized1) + len(run1["not_summarized"]) == 40
    assert summarized1 | set(failed1) == {str(p) for p in paths}
    assert first.returncode == (1 if failed1 else 0)
    for reason in failed1.values():
        assert reason and "\n" not in reason and "Traceback" not in reason
    assert failed1[str(paths[3])].startswith("invalid answer after a re-ask: not valid JSON")
    assert failed1[str(paths[7])] == "LLM server answered HTTP 500"
    assert failed1[str(paths[13])].startswith("invalid answer after a re-ask: the answer was cut off")
    assert failed1[str(paths[21])] == "cannot reach the LLM server"
    assert str(paths[30]) in summarized1
    for failure in run1["not_summarized"]:
        assert f"{failure['path']}: {failure['error']}" in first.stderr

    # --- run 2: everything summarized; only what failed was asked again
    assert second.returncode == 0, second.stderr
    summarized2 = {s["path"] for story in run2["stories"] for s in story["sources"]}
    assert summarized2 == {str(p) for p in paths} and run2["not_summarized"] == []

    tldr_asked = [index_of(article_text(last_user_message(r))) for r in run2_requests if not is_story_request(r)]
    assert sorted(tldr_asked) == sorted(paths.index(Path(p)) for p in failed1), \
        "exactly the failed articles are asked again, each once"

    ok_before = {(c["prompt"], c["input_hash"]) for c in calls_logged(db)[:calls_before] if c["outcome"] == "ok"}
    rerun = calls_logged(db)[calls_before:]
    assert len(rerun) == len(run2_requests)
    assert all(c["outcome"] == "ok" for c in rerun)
    assert not [c for c in rerun if (c["prompt"], c["input_hash"]) in ok_before], "nothing answered is asked again"

    merged_before = {frozenset(s["path"] for s in story["sources"]) for story in run1["stories"]
                     if len(story["sources"]) > 1 and "merge_failed" not in story["flags"]}
    new_merges = [story for story in run2["stories"]
                  if len(story["sources"]) > 1 and frozenset(s["path"] for s in story["sources"]) not in merged_before]
    story_asked = [r for r in run2_requests if is_story_request(r)]
    assert len(run2_requests) == len(failed1) + len(new_merges)
    assert len(story_asked) == len(new_merges)
    assert {str(paths[2]), str(paths[3])} in [{s["path"] for s in story["sources"]} for story in new_merges], \
        "the story of article 2 and the article that failed in run 1 is merged anew"
    assert run2["usage"]["calls"] == len(run2_requests)
    assert run2["usage"]["cached"] == 40 - len(failed1) + (len(run2["stories"]) - len(new_merges)
                                                          - sum(len(s["sources"]) == 1 for s in run2["stories"]))


def test_retry_policy_from_the_environment(monkeypatch):
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")
    for name, value in FAST_CLIENT.items():
        monkeypatch.setenv(name, value)
    backend = open_backend(model="m", backend="openai")
    try:
        assert (backend.policy.timeout, backend.policy.attempts, backend.policy.backoff_base) == (1.0, 2, 0.01)
        assert backend.policy.backoff_max <= 0.3
    finally:
        backend.close()
    monkeypatch.setenv("SUMMARIZE_LLM_ATTEMPTS", "0")
    with pytest.raises(LLMError, match="SUMMARIZE_LLM_ATTEMPTS must be a positive whole number, got '0'"):
        policy_from_env(RetryPolicy())
    for name in FAST_CLIENT:
        monkeypatch.delenv(name)
    assert policy_from_env(RetryPolicy()) == RetryPolicy()
