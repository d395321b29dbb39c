"""Hostile inputs through `summarize digest`, `clean` and `tldr` as a user runs them.

Every input ends either summarized or under "not summarized" with a one-line
reason; the run always finishes and never shows a traceback.
"""

import json
import os
import random
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import ftfy.bad_codecs  # noqa: F401  registers sloppy-windows-1252 for making mojibake
import pytest
from fake_openai import FakeOpenAI
from typer.testing import CliRunner

import summarize.ingest.inputs
from summarize.clean.cleaner import clean_paths
from summarize.ingest.inputs import InputError, InputRef, read_input

ROOT = Path(__file__).resolve().parent.parent
SEEDS = sorted((ROOT / "seeds").glob("*.txt"))
NESTED_ARTICLE = ("Der Stadtrat von Kassel hat am Dienstag 12 Millionen Euro für ein neues Hallenbad bewilligt. "
                  "Bürgermeisterin Petra Lindner sprach von einem guten Tag für die Stadt.")


def run(command, *args, fake=None, timeout=180, env_extra=None):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI_", "SUMMARIZE_"))}
    if fake is not None:
        env.update(OPENAI_BASE_URL=fake.base_url, OPENAI_API_KEY="sk-test")
    env.update(env_extra or {})
    result = subprocess.run([sys.executable, "-m", "summarize", command, *args], env=env, cwd=ROOT,
                            capture_output=True, text=True, timeout=timeout)
    assert "Traceback" not in result.stderr, result.stderr
    assert result.returncode in (0, 1), (result.returncode, result.stderr)
    return result


def seed_text(index: int) -> str:
    return SEEDS[index].read_text(encoding="utf-8")


def mojibake(text: str) -> str:
    """UTF-8 bytes read as Windows-1252: the common scraping accident."""
    return text.encode("utf-8").decode("sloppy-windows-1252")


def nested_html(depth: int) -> str:
    return ("<html><head><title>Kassel</title><script>var tracking = 1;</script></head><body>" + "<div>" * depth
            + f"<p>{NESTED_ARTICLE}</p>" + "</div>" * depth + "</body></html>")


@pytest.fixture(scope="module")
def inbox(tmp_path_factory):
    """A directory of hostile files plus paths that are broken on their own."""
    root = tmp_path_factory.mktemp("hostile")
    box = root / "inbox"
    box.mkdir()
    rng = random.Random(7)
    (box / "empty.txt").write_bytes(b"")
    (box / "blank.txt").write_bytes(b"  \n\t\n  ")
    (box / "binary.bin").write_bytes(bytes(rng.randrange(256) for _ in range(4096)) + b"\x00" * 16)
    (box / "cp1252.txt").write_bytes(seed_text(0).encode("cp1252"))
    (box / "utf16.txt").write_bytes(seed_text(1).encode("utf-16"))  # with BOM
    (box / "mojibake.txt").write_bytes(mojibake(mojibake(seed_text(3))).encode("utf-8"))
    line = b"Die Regierung hat am Freitag neue Regeln beschlossen, die ab Juli gelten.\n"
    (box / "huge.txt").write_bytes((line * (6_000_000 // len(line) + 1))[:6_000_000])
    (box / "nested.html").write_text(nested_html(5000), encoding="utf-8")
    (box / "broken.html").write_text(
        "<html><body><div><p>Unclosed <b>bold <div><span>Die Stadt Leipzig <p>Der Senat hat am Freitag in Leipzig "
        "beschlossen, 40 neue Lehrer einzustellen. Schulleiterin Miriam Krüger begrüßte den Schritt <table><tr><td>x"
        "</body", encoding="utf-8")
    os.mkfifo(box / "pipe.txt")  # a named pipe without a writer: opening it would block forever
    (box / "loop-a.txt").symlink_to(box / "loop-b.txt")
    (box / "loop-b.txt").symlink_to(box / "loop-a.txt")
    (box / "dangling.txt").symlink_to(root / "gone.txt")
    folder = root / "folder.txt"  # a directory named like a file
    folder.mkdir()
    return {"box": box, "folder": folder, "missing": root / "missing.txt"}


# The reason each broken input must get (a fragment of it), by file name.
EXPECTED_REASONS = {
    "empty.txt": "empty file",
    "blank.txt": "empty file",
    "binary.bin": "binary file",
    "huge.txt": "file too large (6.0 MB > 5.0 MB limit)",
    "pipe.txt": "not a regular file (named pipe)",
    "loop-a.txt": "symlink loop",
    "loop-b.txt": "symlink loop",
    "dangling.txt": "broken symlink",
    "folder.txt": "directory has no files",
    "missing.txt": "not found",
}
SUMMARIZED = {"cp1252.txt", "utf16.txt", "mojibake.txt", "nested.html", "broken.html"}


def assert_one_line_reasons(failures):
    for failure in failures:
        assert failure["error"] and "\n" not in failure["error"], failure
        assert failure["path"] not in failure["error"], "the path is its own field; the error is the reason"
        assert "Traceback" not in failure["error"]


def test_digest_over_a_hostile_inbox(inbox, tmp_path):
    out = tmp_path / "out"
    with FakeOpenAI() as fake:
        result = run("digest", str(inbox["box"]), str(inbox["folder"]), str(inbox["missing"]),
                     "--out", str(out), "--format", "md,html,json", "--db", str(tmp_path / "db.sqlite3"),
                     "--concurrency", "8", fake=fake)
    assert result.returncode == 1, "failed inputs make the exit code 1"
    (json_file,) = out.glob("*.json")
    data = json.loads(json_file.read_text(encoding="utf-8"))
    summarized = {Path(s["path"]).name for story in data["stories"] for s in story["sources"]}
    failed = {Path(f["path"]).name: f["error"] for f in data["not_summarized"]}
    assert summarized == SUMMARIZED
    assert set(failed) == set(EXPECTED_REASONS), "every input is accounted for exactly once"
    for name, reason in EXPECTED_REASONS.items():
        assert reason in failed[name], (name, failed[name])
    assert_one_line_reasons(data["not_summarized"])
    # the same reasons, one line each, on stderr
    for failure in data["not_summarized"]:
        assert f"{failure['path']}: {failure['error']}" in result.stderr.splitlines()
    assert {p.suffix for p in out.iterdir()} == {".md", ".html", ".json"}

    titles = {Path(s["path"]).name: s["title"] for story in data["stories"] for s in story["sources"]}
    assert titles["cp1252.txt"] == "Gespräche zur Ukraine mit Sicherheitsberatern fortgesetzt"
    assert titles["utf16.txt"].startswith("Die Unterstützer der Ukraine")
    assert titles["mojibake.txt"].startswith("USA und Ukraine nennen Gespräche in Miami")
    assert not any(bad in json.dumps(data, ensure_ascii=False) for bad in ("Ã", "Â", "\ufffd"))
    tldrs = " ".join(story["tldr"] for story in data["stories"])
    assert "Hallenbad" in tldrs, "the text 5,000 divs deep is summarized, not lost"
    assert "Leipzig" in tldrs


def test_encodings_clean_to_the_same_text_as_utf8(inbox):
    """cp1252, UTF-16 with BOM and doubly mojibaked UTF-8 give the text of the clean original."""
    box = inbox["box"]
    originals = run("clean", "--json", *(str(SEEDS[i]) for i in (0, 1, 3)))
    variants = run("clean", "--json", *(str(box / n) for n in ("cp1252.txt", "utf16.txt", "mojibake.txt")))
    assert originals.returncode == variants.returncode == 0, variants.stderr
    expected = [json.loads(line) for line in originals.stdout.splitlines()]
    got = [json.loads(line) for line in variants.stdout.splitlines()]
    assert [g["encoding"] for g in got] == ["cp1252", "utf-16-le", "utf-8"]
    assert "mojibake" in got[2]["repairs"]
    for want, have in zip(expected, got):
        assert (have["title"], have["text"], have["published"]) == (want["title"], want["text"], want["published"])


def test_clean_and_tldr_over_the_hostile_inbox(inbox, tmp_path):
    paths = [str(inbox["box"]), str(inbox["folder"]), str(inbox["missing"])]
    cleaned = run("clean", "--json", *paths)
    rows = [json.loads(line) for line in cleaned.stdout.splitlines()]
    assert cleaned.returncode == 1
    assert {Path(r["path"]).name for r in rows} == set(EXPECTED_REASONS) | SUMMARIZED
    assert {Path(r["path"]).name for r in rows if r["ok"]} == SUMMARIZED
    assert_one_line_reasons([r for r in rows if not r["ok"]])
    assert all(r["text"].strip() for r in rows if r["ok"])

    with FakeOpenAI() as fake:
        summarized = run("tldr", "--json", "--db", str(tmp_path / "db.sqlite3"), "--concurrency", "8", *paths,
                         fake=fake)
        assert fake.calls == len(SUMMARIZED), "failed inputs cost no call"
    rows = [json.loads(line) for line in summarized.stdout.splitlines()]
    assert {Path(r["path"]).name for r in rows if r["ok"]} == SUMMARIZED
    assert all(r["tldr"] for r in rows if r["ok"])
    failed = {Path(r["path"]).name: r["error"] for r in rows if not r["ok"]}
    assert set(failed) == set(EXPECTED_REASONS)
    assert_one_line_reasons([r for r in rows if not r["ok"]])


def test_a_six_megabyte_file_is_cleaned_when_the_limit_allows_it(inbox):
    result = run("clean", "--json", "--max-size", "7", str(inbox["box"] / "huge.txt"))
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 0 and row["ok"] and "neue Regeln" in row["text"]


@pytest.mark.parametrize("depth", [300, 5000])
def test_deeply_nested_html_keeps_its_text(tmp_path, depth):
    page = tmp_path / "deep.html"
    page.write_text(nested_html(depth), encoding="utf-8")
    (article,) = clean_paths([str(page)])
    assert article.ok, article.error
    assert NESTED_ARTICLE in article.text
    assert "tracking" not in article.text, "script content is not article text"


# --- in-process: conditions a subprocess cannot be put into deterministically ---------


def digest_in_process(tmp_path, fake, paths):
    """`summarize digest` through the CLI object in this process, so a test can hook into it."""
    from summarize.cli.main import app

    env = {**{k: None for k in os.environ if k.startswith("SUMMARIZE_")},
           "OPENAI_BASE_URL": fake.base_url, "OPENAI_API_KEY": "sk-test"}
    result = CliRunner().invoke(app, ["digest", *paths, "--out", str(tmp_path / "out"), "--format", "json",
                                      "--db", str(tmp_path / "db.sqlite3")], env=env)
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert result.exit_code in (0, 1)
    (json_file,) = (tmp_path / "out").glob("*.json")
    return result, json.loads(json_file.read_text(encoding="utf-8"))


def write_seed(path: Path, index: int) -> Path:
    path.write_text(seed_text(index), encoding="utf-8")
    return path


def test_unreadable_file_real_permissions(tmp_path):
    """chmod 000 for real; root reads any file, so there the in-process test below covers it."""
    if os.geteuid() == 0:
        pytest.skip("running as root: permissions are not enforced (see the in-process test)")
    locked = write_seed(tmp_path / "locked.txt", 2)
    locked.chmod(0)
    try:
        result = run("clean", "--json", str(locked))
    finally:
        locked.chmod(0o644)
    (row,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1 and row["error"] == "permission denied"


def test_unreadable_file_in_a_digest(tmp_path, monkeypatch):
    """Opening the file fails with EACCES as it would for another user's chmod 000 file."""
    box = tmp_path / "box"
    box.mkdir()
    locked = write_seed(box / "locked.txt", 2)
    write_seed(box / "readable.txt", 3)
    real_open = Path.open

    def guarded_open(self, *args, **kwargs):
        if Path(self) == locked:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    monkeypatch.setattr(Path, "open", guarded_open)
    with FakeOpenAI() as fake:
        result, data = digest_in_process(tmp_path, fake, [str(box)])
    assert result.exit_code == 1
    assert data["not_summarized"] == [{"path": str(locked), "error": "permission denied"}]
    assert [Path(s["path"]).name for st in data["stories"] for s in st["sources"]] == ["readable.txt"]


def test_file_removed_while_the_run_goes_on(tmp_path, monkeypatch):
    """The file exists when the inputs are expanded and is gone when it is read."""
    box = tmp_path / "box"
    box.mkdir()
    doomed = write_seed(box / "doomed.txt", 2)
    write_seed(box / "stays.txt", 3)
    real_read = summarize.ingest.inputs.read_bytes
    expanded: list[str] = []

    def delete_then_read(ref, max_bytes):
        if ref.label == str(doomed):  # expanded as an input, removed before its bytes are read
            expanded.append(ref.label)
            doomed.unlink()
        return real_read(ref, max_bytes)

    monkeypatch.setattr(summarize.ingest.inputs, "read_bytes", delete_then_read)
    with FakeOpenAI() as fake:
        result, data = digest_in_process(tmp_path, fake, [str(box)])
        assert fake.calls == 1
    assert expanded == [str(doomed)]
    assert result.exit_code == 1
    assert data["not_summarized"] == [{"path": str(doomed), "error": "not found"}]
    assert [Path(s["path"]).name for st in data["stories"] for s in st["sources"]] == ["stays.txt"]


# --- many files ------------------------------------------------------------------------

FIRST = ["Anna", "Jonas", "Petra", "Markus", "Lena", "Tobias", "Sabine", "Felix", "Miriam", "Karl"]
LAST = ["Weber", "Berg", "Lindner", "Hofmann", "Schulz", "Krüger", "Neumann", "Vogel", "Brandt", "Seidel"]
CITIES = ["Hamburg", "Köln", "Leipzig", "Dresden", "Bremen", "Kassel", "Erfurt", "Mainz", "Kiel", "Ulm"]
PROJECTS = ["eine neue Brücke", "ein Hallenbad", "einen Radweg", "eine Schule", "ein Windrad", "eine Bibliothek"]


def test_a_directory_of_a_thousand_small_files(tmp_path):
    box = tmp_path / "many"
    box.mkdir()
    rng = random.Random(3)
    first_day = date(2020, 1, 1)
    for i in range(1000):
        person, city = f"{rng.choice(FIRST)} {rng.choice(LAST)}", rng.choice(CITIES)
        project, cost = rng.choice(PROJECTS), rng.randint(2, 900)
        day = first_day + timedelta(days=2 * i)  # two days apart: each its own story, no merge calls
        (box / f"a{i:04d}.txt").write_text(
            f"date {day.isoformat()} {city} plant {project} (Meldung {i})\n\n"
            f"Die Stadt {city} will {project} für {cost} Millionen Euro bauen, teilte {person} am Montag mit. "
            f"Das Projekt Nummer {i} soll bis {2027 + i % 9} fertig sein; der Stadtrat stimmt im Frühjahr ab.\n",
            encoding="utf-8")
    out = tmp_path / "out"
    with FakeOpenAI() as fake:
        result = run("digest", str(box), "--out", str(out), "--format", "json", "--concurrency", "8",
                     "--db", str(tmp_path / "db.sqlite3"), fake=fake)
        assert fake.calls == 1000
    assert result.returncode == 0, result.stderr
    (json_file,) = out.glob("*.json")
    data = json.loads(json_file.read_text(encoding="utf-8"))
    paths = [s["path"] for story in data["stories"] for s in story["sources"]]
    assert len(paths) == len(set(paths)) == 1000 and data["not_summarized"] == []


def test_a_named_pipe_matched_by_a_glob_is_reported_not_opened(inbox):
    refs = summarize.ingest.inputs.expand_inputs([str(inbox["box"] / "pipe.*")])
    assert [(Path(r.label).name, r.error) for r in refs] == [("pipe.txt", "not a regular file (named pipe)")]


def test_a_stream_that_never_ends_is_cut_off():
    with pytest.raises(InputError, match=r"^file too large"):
        read_input(InputRef("/dev/zero", path=Path("/dev/zero")), max_bytes=1000)
