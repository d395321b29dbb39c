"""`kill -9` in the middle of a digest, then a re-run.

The SQLite state must stay intact, the output directory must hold either no
briefing or a complete one (and nothing a user could take for one), and the
re-run must reuse every answer obtained before the kill.
"""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from fake_openai import FakeOpenAI, article_text, is_story_request, last_user_message
from test_llm_fault_digest import index_of, write_articles

from summarize.models import Briefing

ROOT = Path(__file__).resolve().parent.parent
ARTICLES = 20


def command(box, out, db, *extra):
    return [sys.executable, "-m", "summarize", "digest", str(box), "--out", str(out), "--format", "md,html,json",
            "--db", str(db), "--concurrency", "2", *extra]


def environment(fake):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
    env.update(OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY="sk-test")
    return env


def stored_answers(db: Path) -> int:
    try:
        with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=1) as conn:
            return conn.execute("SELECT COUNT(*) FROM answers").fetchone()[0]
    except sqlite3.Error:
        return 0  # not created yet


def kill_when(args, env, ready, tmp_path):
    """Start the digest and SIGKILL it as soon as `ready()` holds."""
    with open(tmp_path / "stdout", "wb") as stdout, open(tmp_path / "stderr", "wb") as stderr:
        process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=stdout, stderr=stderr)
        try:
            deadline = time.monotonic() + 60
            while not ready():
                assert process.poll() is None, "the run ended before it could be killed"
                assert time.monotonic() < deadline, "the run made no progress"
                time.sleep(0.05)
            os.kill(process.pid, signal.SIGKILL)
        finally:
            if process.poll() is None:
                process.kill()
            process.wait(10)
    assert process.returncode == -signal.SIGKILL


def assert_database_sound(db: Path):
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        for (content,) in conn.execute("SELECT content FROM answers"):
            json.loads(content)  # every stored answer is whole


def assert_no_partial_files(out: Path):
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".") or p.suffix == ".tmp"] if out.exists() else []
    assert leftovers == [], "temporary files left behind"


def tldr_answers(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return [row[0] for row in conn.execute("SELECT prompt FROM answers") if not row[0].startswith("story@")]


def test_kill_nine_mid_digest_then_rerun(tmp_path):
    box, out, db = tmp_path / "inbox", tmp_path / "out", tmp_path / "state.sqlite3"
    paths = write_articles(box, ARTICLES)
    with FakeOpenAI(latency=0.3) as fake:
        env = environment(fake)
        kill_when(command(box, out, db), env, lambda: stored_answers(db) >= 4, tmp_path)

        assert Path(f"{db}-wal").exists(), "killed with its write-ahead log not yet checkpointed"
        # no briefing (the run died before writing one) and nothing half-written
        assert not out.exists() or list(out.iterdir()) == []
        assert (tmp_path / "stderr").read_bytes().count(b"Traceback") == 0
        assert_database_sound(db)
        answered = len(tldr_answers(db))
        assert 4 <= answered < ARTICLES

        fake.reset()
        rerun = subprocess.run(command(box, out, db), env=env, cwd=ROOT, capture_output=True, text=True,
                               timeout=180)
        requests = fake.requests

    assert rerun.returncode == 0, rerun.stderr
    assert "Traceback" not in rerun.stderr
    tldr_asked = [index_of(article_text(last_user_message(r))) for r in requests if not is_story_request(r)]
    assert len(tldr_asked) == len(set(tldr_asked)) == ARTICLES - answered, \
        "the re-run asks only for the articles not answered before the kill"
    briefing = Briefing.model_validate_json((out / "2025-03-28.json").read_text(encoding="utf-8"))
    merges = [s for s in briefing.stories if len(s.sources) > 1]
    assert len(requests) == ARTICLES - answered + len(merges)
    assert briefing.usage.cached == answered
    assert sorted(src.path for s in briefing.stories for src in s.sources) == sorted(map(str, paths))
    assert briefing.not_summarized == []
    assert sorted(p.name for p in out.iterdir()) == ["2025-03-28.html", "2025-03-28.json", "2025-03-28.md"]
    assert_database_sound(db)


def test_a_complete_briefing_survives_a_killed_rerun(tmp_path):
    """A run killed while the previous briefing exists leaves that briefing whole."""
    box, out, db = tmp_path / "inbox", tmp_path / "out", tmp_path / "state.sqlite3"
    write_articles(box, 8)
    with FakeOpenAI() as fake:
        env = environment(fake)
        first = subprocess.run(command(box, out, db), env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
        assert first.returncode == 0, first.stderr
    before = {p.name: p.read_bytes() for p in out.iterdir()}
    assert sorted(before) == ["2025-03-10.html", "2025-03-10.json", "2025-03-10.md"]

    with FakeOpenAI(latency=0.3) as fake:
        # killed in the middle of its work: once it has made a few calls
        kill_when(command(box, out, db, "--no-cache"), environment(fake), lambda: fake.calls >= 3, tmp_path)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert_no_partial_files(out)
    Briefing.model_validate_json(before["2025-03-10.json"])
    assert_database_sound(db)
