"""`summarize clean` as a user runs it: a real process, its output and exit code."""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FIELDS = {"path", "ok", "error", "title", "source", "published", "language", "encoding", "repairs", "text",
          "removed", "tokens"}


def run(*args, stdin=None):
    return subprocess.run([sys.executable, "-m", "summarize", *args], input=stdin, capture_output=True,
                          text=True, cwd=ROOT, timeout=120)


def test_seeds_as_jsonl():
    result = run("clean", "seeds/", "--json")
    assert result.returncode == 0, result.stderr
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(rows) == 5
    for row in rows:
        assert FIELDS <= set(row) and row["ok"] and row["tokens"] > 100
    assert [r["published"] for r in rows] == ["2026-01-03", "2026-01-03", "2025-12-31", None, "2025-12-20"]


def test_bad_inputs_are_reported_in_one_line_and_the_rest_goes_on(tmp_path):
    (tmp_path / "empty.txt").write_text("")
    (tmp_path / "binary.bin").write_bytes(b"\x00\x01\x02" * 100)
    result = run("clean", "--json", str(tmp_path / "empty.txt"), str(tmp_path / "binary.bin"),
                 str(tmp_path / "missing.txt"), "seeds/002_26e6bf0d87fe9133.txt")
    assert result.returncode == 1
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["ok"] for r in rows] == [False, False, False, True]
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 3 and "Traceback" not in result.stderr
    assert errors[0].startswith(str(tmp_path / "empty.txt") + ": ")
    assert "missing.txt" in errors[2]


def test_stdin_and_readable_output():
    text = (ROOT / "seeds/003_bf79b8952234a4b1.txt").read_text(encoding="utf-8")
    result = run("clean", "-", stdin=text)
    assert result.returncode == 0, result.stderr
    assert "title:     USA und Ukraine nennen Gespräche in Miami »konstruktiv«" in result.stdout
    assert "Externen Inhalt anzeigen" not in result.stdout


def test_relative_date_needs_a_reference_day():
    result = run("clean", "--json", "--today", "2025-12-20", "seeds/003_bf79b8952234a4b1.txt")
    assert json.loads(result.stdout)["published"] == "2025-12-20"


def test_usage_errors_exit_2_without_traceback():
    for args in (["clean"], ["clean", "--today", "yesterday", "seeds/"], ["nonsense"]):
        result = run(*args)
        assert result.returncode == 2, args
        assert "Traceback" not in result.stderr
