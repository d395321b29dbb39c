"""A --batch digest killed with SIGKILL in the middle of its job, then started
again: the second run waits for the job the first one submitted and pays
for no request twice, wherever the first one died."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from fake_batch import FakeBatchAPI

from summarize.store import Store

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted(str(p) for p in (ROOT / "seeds").glob("*.txt"))


def command(tmp_path: Path) -> list[str]:
    return [sys.executable, "-m", "summarize", "digest", *SEEDS, "--batch", "--db", str(tmp_path / "db"),
            "--out", str(tmp_path / "out")]


def environment(fake) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
    env.update(OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY="sk-test", SUMMARIZE_BATCH_POLL="0.02")
    return env


def wait_for(condition, seconds: float = 90.0) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "the run never got there"
        time.sleep(0.02)


def kill_9(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL


def jobs(tmp_path: Path) -> list[dict]:
    store = Store(tmp_path / "db")
    try:
        return store.batch_jobs()
    finally:
        store.close()


def no_request_twice(fake) -> list[int]:
    submitted = fake.submitted()
    counts = Counter(custom_id for job in submitted for custom_id in job)
    assert max(counts.values()) == 1, [cid for cid, n in counts.items() if n > 1]
    return [len(job) for job in submitted]


def test_kill_9_while_the_job_runs_then_resume(tmp_path):
    with FakeBatchAPI(hold=True) as fake:
        first = subprocess.Popen(command(tmp_path), cwd=ROOT, env=environment(fake),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        wait_for(lambda: fake.creates == 1 and fake.retrievals >= 3)  # submitted, and being polled
        kill_9(first)
        [pending] = jobs(tmp_path)
        assert pending["remote_id"] == "batch_0001" and pending["ingested"] is None
        fake.release()
        second = subprocess.run(command(tmp_path), cwd=ROOT, env=environment(fake), capture_output=True,
                                text=True, timeout=300)
        assert second.returncode == 0, second.stderr
        sizes = no_request_twice(fake)
    assert sizes == [5, len(sizes) and sizes[1]] and fake.creates == 2 and fake.uploads == 2
    assert [job["status"] for job in jobs(tmp_path)] == ["completed", "completed"]
    briefing = json.loads(next((tmp_path / "out").glob("*.json")).read_text())
    assert briefing["not_summarized"] == [] and sum(len(s["sources"]) for s in briefing["stories"]) == 5


def test_kill_9_before_the_job_id_was_noted_then_resume(tmp_path):
    # The server makes the job but its answer never arrives: the run dies
    # knowing only its uploaded file. The next run finds the job by its tag.
    with FakeBatchAPI(create_delay=120) as fake:
        first = subprocess.Popen(command(tmp_path), cwd=ROOT, env=environment(fake),
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_for(lambda: fake.creates == 1)
        kill_9(first)
        [pending] = jobs(tmp_path)
        assert pending["remote_id"] is None and pending["input_file_id"] is not None
        fake.create_delay = 0
        second = subprocess.run(command(tmp_path), cwd=ROOT, env=environment(fake), capture_output=True,
                                text=True, timeout=300)
        assert second.returncode == 0, second.stderr
        sizes = no_request_twice(fake)
    assert sizes[0] == 5 and fake.creates == 2 and fake.uploads == 2
    assert [job["remote_id"] for job in reversed(jobs(tmp_path))] == ["batch_0001", "batch_0002"]
