"""An unchanged re-run reuses the finished briefing; any change, or a failure
worth retrying, makes a real run."""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI, article_text, last_user_message

from summarize.digest.briefing import DigestSettings
from summarize.digest.stored import as_rerun, briefing_key, is_reusable
from summarize.ingest.inputs import RawInput, read_inputs
from summarize.models import Briefing, CleanedArticle, Failure, Story, Usage

ROOT = Path(__file__).resolve().parent.parent


def digest(fake, *args, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
    env.update({"OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test", **(env_extra or {})})
    return subprocess.run([sys.executable, "-m", "summarize", "digest", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=300)


def tldr_calls(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT COUNT(*) FROM calls WHERE prompt LIKE 'tldr@%'").fetchone()[0]


@pytest.fixture
def inbox(tmp_path: Path) -> Path:
    folder = tmp_path / "inbox"
    shutil.copytree(ROOT / "seeds", folder)
    return folder


def test_a_changed_article_is_summarized_again_and_nothing_else(inbox: Path, tmp_path: Path) -> None:
    db, out = tmp_path / "db.sqlite3", tmp_path / "out"
    with FakeOpenAI() as fake:
        assert digest(fake, str(inbox), "--db", str(db), "--out", str(out)).returncode == 0
        first = fake.calls
        assert digest(fake, str(inbox), "--db", str(db), "--out", str(out)).returncode == 0
        assert fake.calls == first
        page = inbox / "002_26e6bf0d87fe9133.txt"
        page.write_text(page.read_text(encoding="utf-8").replace("am Mittwoch", "am späten Mittwoch"),
                        encoding="utf-8")
        changed = digest(fake, str(inbox), "--db", str(db), "--out", str(out))
        assert changed.returncode == 0, changed.stderr
        assert tldr_calls(db) == 6  # five, then only the changed article's TLDR
        assert fake.calls - first <= 2  # and its story's merge, if it has one
    briefing = json.loads((out / "2026-01-03.json").read_text(encoding="utf-8"))
    assert 1 <= briefing["usage"]["calls"] <= 2


def test_a_briefing_with_a_failed_call_is_not_reused(inbox: Path, tmp_path: Path) -> None:
    db, out = tmp_path / "db.sqlite3", tmp_path / "out"
    refuse_002 = lambda index, request: "500" if "Anlauf" in article_text(last_user_message(request)) else None
    with FakeOpenAI(faults=refuse_002) as fake:
        first = digest(fake, str(inbox), "--db", str(db), "--out", str(out),
                       env_extra={"SUMMARIZE_LLM_ATTEMPTS": "1"})
        assert first.returncode == 1 and "002_26e6bf0d87fe9133.txt" in first.stderr
    with FakeOpenAI() as fake:
        second = digest(fake, str(inbox), "--db", str(db), "--out", str(out))
        assert second.returncode == 0, second.stderr
        assert tldr_calls(db) == 6  # the failed article is asked again; the others come from the cache
        assert "not_summarized" in (out / "2026-01-03.json").read_text(encoding="utf-8")
        assert json.loads((out / "2026-01-03.json").read_text(encoding="utf-8"))["not_summarized"] == []


def test_the_key_follows_inputs_prompts_and_settings(inbox: Path) -> None:
    settings = DigestSettings.load(prompt="tldr@v4")

    def key(settings=settings, model="m", today=None):
        return briefing_key(read_inputs([str(inbox)]), settings, model, max_bytes=5_000_000, today=today)

    first = key()
    assert first == key()
    assert first != key(model="other-model")
    assert first != key(settings=DigestSettings.load(prompt="tldr@v1"))
    assert first != key(today=date(2026, 1, 3))
    (inbox / "new.txt").write_text("Ein neuer Artikel.", encoding="utf-8")
    assert first != key()
    stdin = [RawInput("-", "Ein Artikel von der Standardeingabe.".encode(), from_stdin=True)]
    assert briefing_key(stdin, settings, "m", max_bytes=5_000_000, today=None) is None


def test_only_input_failures_and_successful_merges_are_reusable() -> None:
    cleaned = [CleanedArticle(path="a.txt", ok=True), CleanedArticle(path="b.txt", ok=False, error="empty file")]
    input_failure = Briefing(date=None, not_summarized=[Failure(path="b.txt", error="empty file")])
    call_failure = Briefing(date=None, not_summarized=[Failure(path="a.txt", error="timed out")])
    merge_failure = Briefing(date=None, stories=[Story(id="s", headline="h", tldr="t", flags=["merge_failed"])])
    assert is_reusable(input_failure, cleaned)
    assert not is_reusable(call_failure, cleaned)
    assert not is_reusable(merge_failure, cleaned)
    rerun = as_rerun(Briefing(date=None, usage=Usage(calls=5, cached=2, prompt_tokens=900)))
    assert rerun.usage == Usage(cached=7)


def test_a_stored_briefing_is_kept_compressed_and_an_older_text_row_still_reads(tmp_path: Path) -> None:
    from summarize.store import Store

    briefing = Briefing(date="2026-01-03", stories=[Story(id=f"s-{i}", headline="Fernwärme wird teurer",
                                                          tldr="Die Stadtwerke erhöhen die Preise. " * 5)
                                                    for i in range(20)])
    text = "".join(briefing.json_parts())
    store = Store(tmp_path / "s.sqlite3")
    store.put_briefing("k", briefing.json_parts())
    assert store.get_briefing("k") == text
    store.close()
    with sqlite3.connect(tmp_path / "s.sqlite3") as conn:
        stored = conn.execute("SELECT briefing FROM briefings WHERE key = 'k'").fetchone()[0]
        assert isinstance(stored, bytes) and len(stored) < len(text) / 4
        conn.execute("INSERT INTO briefings VALUES ('old', ?, 0)", (text,))
    assert Store(tmp_path / "s.sqlite3").get_briefing("old") == text
