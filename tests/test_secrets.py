"""The API key is sent to the server and written nowhere else: not to the call
log, the SQLite cache (with its -wal and -shm files), the briefings, any file
under the user's home, stdout or stderr - even when the server's error bodies
echo the key back, or the key sits in the base URL."""

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from fake_openai import FakeOpenAI

from summarize.store import Store

ROOT = Path(__file__).resolve().parent.parent
SENTINEL = "sk-proj-SENTINEL-4f9d2c7a1b83-never-store-me"
FRAGMENT = "SENTINEL-4f9d2c7a1b83"  # what a truncated or masked copy would still show
ECHO = f"Incorrect API key provided: {SENTINEL}. You can find your API key at https://example.invalid/keys."
SEEDS = [ROOT / "seeds/000_3fa42d1dc32d8eb1.txt", ROOT / "seeds/002_26e6bf0d87fe9133.txt",
         ROOT / "seeds/003_bf79b8952234a4b1.txt", ROOT / "seeds/004_044aac90155ef23c.txt"]


@pytest.fixture
def home(tmp_path):
    """Every place a run could write to lies under tmp_path, so all of it can be searched."""
    paths = {name: tmp_path / name for name in ("home", "cache", "data", "config", "tmp")}
    for path in paths.values():
        path.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
    env.update(HOME=str(paths["home"]), XDG_CACHE_HOME=str(paths["cache"]), XDG_DATA_HOME=str(paths["data"]),
               XDG_CONFIG_HOME=str(paths["config"]), TMPDIR=str(paths["tmp"]), OPENAI_API_KEY=SENTINEL,
               SUMMARIZE_LLM_ATTEMPTS="2", SUMMARIZE_LLM_BACKOFF="0.01", SUMMARIZE_LLM_TIMEOUT="5")
    return env


def summarize(env, *args, base_url=None):
    env = {**env, **({"OPENAI_BASE_URL": base_url} if base_url else {})}
    result = subprocess.run([sys.executable, "-m", "summarize", *map(str, args)], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=180)
    assert "Traceback" not in result.stderr, result.stderr
    return result


def assert_no_key_in(label: str, data: bytes | str):
    if isinstance(data, str):
        data = data.encode("utf-8", "surrogateescape")
    for secret in (SENTINEL, FRAGMENT):
        assert secret.encode() not in data, f"the API key leaked into {label}"
        assert secret.encode("utf-16-le") not in data, f"the API key leaked into {label} (UTF-16)"


def test_the_key_is_written_nowhere(tmp_path, home):
    db, out = tmp_path / "state.sqlite3", tmp_path / "out"
    # An open connection keeps the -wal and -shm files in place after each run, so they are searched too.
    keeper = Store(db)
    outputs = []
    try:
        # 1. error bodies that echo the key: 401 and 400 (never retried), 500 (retried, then given up),
        #    429 (retried after Retry-After, then answered)
        script = ["401", "400", "500", "500", "429:0.05"]
        with FakeOpenAI(faults=script, error_message=ECHO) as fake:
            failing = summarize(home, "digest", *SEEDS, "--out", out, "--db", db, "--concurrency", "1",
                                base_url=fake.base_url)
            assert fake.calls >= 5
        assert failing.returncode == 1
        reasons = [line for line in failing.stderr.splitlines() if ": LLM server answered HTTP" in line]
        assert [line.rsplit(": ", 1)[1] for line in reasons] == [
            "LLM server answered HTTP 401", "LLM server answered HTTP 400", "LLM server answered HTTP 500"]
        outputs.append(("digest with echoing errors", failing))

        # 2. a normal digest and tldr, then the call log
        with FakeOpenAI() as fake:
            outputs.append(("digest", summarize(home, "digest", *SEEDS, "--out", out, "--db", db,
                                                base_url=fake.base_url)))
            outputs.append(("tldr", summarize(home, "tldr", "--json", "--no-cache", SEEDS[0], "--db", db,
                                              base_url=fake.base_url)))
        outputs.append(("log", summarize(home, "log", "--limit", "100", "--db", db)))

        # 3. the key inside the base URL of a server that cannot be reached, and no --model
        unreachable = summarize(home, "digest", SEEDS[0], "--out", out, "--db", db,
                                base_url=f"http://user:{SENTINEL}@127.0.0.1:9/v1?api-key={SENTINEL}")
        assert unreachable.returncode == 2
        assert unreachable.stderr.strip() == ("summarize: cannot reach the LLM server at http://127.0.0.1:9/v1; "
                                              "pass --model")
        outputs.append(("unreachable", unreachable))

        for label, result in outputs:
            assert_no_key_in(f"{label} stdout", result.stdout)
            assert_no_key_in(f"{label} stderr", result.stderr)
        assert Path(f"{db}-wal").stat().st_size > 0 and Path(f"{db}-shm").exists()
        searched = [p for p in tmp_path.rglob("*") if p.is_file()]
        assert {p.suffix for p in searched} >= {".md", ".html", ".json", ".sqlite3", ".sqlite3-wal"}
        for path in searched:
            assert_no_key_in(str(path.relative_to(tmp_path)), path.read_bytes())
        with sqlite3.connect(db) as conn:
            errors = {row[0] for row in conn.execute("SELECT error FROM calls WHERE error IS NOT NULL")}
            dump = "\n".join(conn.iterdump())
        assert {"LLM server answered HTTP 401", "LLM server answered HTTP 400"} <= errors
        assert_no_key_in("the database dump", dump)
    finally:
        keeper.close()
