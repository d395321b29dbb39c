"""Ctrl-C during a run: a prompt, clean stop, no traceback, no server left behind."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parent.parent


def test_ctrl_c_stops_a_digest_quickly_and_cleanly(tmp_path):
    with FakeOpenAI(latency=1.0) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
        env.update(OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY="sk-test")
        process = subprocess.Popen(
            [sys.executable, "-m", "summarize", "digest", "seeds/", "--db", str(tmp_path / "db"),
             "--out", str(tmp_path / "out"), "--concurrency", "1"],
            cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            # A suite started in the background inherits an ignored SIGINT; a user's terminal does not.
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        deadline = time.monotonic() + 60
        while fake.calls == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        process.send_signal(signal.SIGINT)
        started = time.monotonic()
        _, stderr = process.communicate(timeout=30)
        stopped_after = time.monotonic() - started
    assert process.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert stopped_after < 10, "queued articles must not be worked through after Ctrl-C"
    assert not (tmp_path / "out").exists(), "no briefing from an interrupted run"
