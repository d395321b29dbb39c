#!/usr/bin/env python
"""Performance benchmarks of `summarize digest`; not part of the test suite.

    python benchmarks/run.py                      # every part except the embedded model
    python benchmarks/run.py --only rerun memory  # some parts
    python benchmarks/run.py --only embedded      # the real model (minutes of CPU)

Prints a table (metric, value, goal, pass/fail) and merges the figures into
benchmarks/latest.json: parts not run this time keep their last figures,
each part with the time and the command that measured it. What each part
measures and how is in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import math
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(ROOT), str(HERE), str(ROOT / "tests")]

from corpus import generate_articles, gold_records, long_article, seed_paths  # noqa: E402

DEFAULT_JSON = HERE / "latest.json"
FAKE_SERVER = ROOT / "tests" / "fake_openai.py"
PARTS = ("tokens", "calls", "overhead", "concurrency", "rerun", "memory", "batch", "scale", "embedded")
# Parts that take minutes: only when asked for (--scale, --embedded or --only).
OPT_IN = ("scale", "embedded")
RESULT_MARK = "BENCH-RESULT "
FAKE_MODEL = "fake-model"


# --- goals --------------------------------------------------------------------

def _at_most(limit):
    return lambda value, metrics: value <= limit


def _at_least(limit):
    return lambda value, metrics: value >= limit


# metric: (goal as shown, check(value, all metrics) -> bool, or None for a figure without a goal)
GOALS = {
    "token_ratio": ("≤ 0.55", _at_most(0.55)),
    "token_ratio_text_only": ("(cleaning alone)", None),
    "calls_per_article": ("= 1.0", lambda v, m: abs(v - 1.0) < 1e-9),
    "merge_calls_per_multi_source_story": ("≤ 1.0", _at_most(1.0)),
    "overhead_ms_per_article": ("≤ 20 ms", _at_most(20.0)),
    "overhead_ms_per_article_warm": ("(no one-time loads)", None),
    "cpu_ms_per_article": ("(process CPU, cold)", None),
    "cpu_ms_per_article_warm": ("(process CPU, warm)", None),
    "overhead_fixed_seconds": ("(one-time loads)", None),
    "seeds_overhead_seconds": ("(5 seeds, whole process)", None),
    "overhead_share_embedded": ("≤ 0.02", _at_most(0.02)),
    "speedup_c4": ("≥ 3.6", _at_least(3.6)),
    "speedup_c8": ("≥ 7.2", _at_least(7.2)),
    "speedup_c16": ("≥ 14.4", _at_least(14.4)),
    "speedup_c16_256": ("(256 articles)", None),
    "model_overhead_ms_per_article": ("≤ 15 ms", _at_most(15.0)),
    "sync_speedup_c4": ("(blocking client)", None),
    "sync_speedup_c8": ("(blocking client)", None),
    "sync_speedup_c16": ("(blocking client)", None),
    "batch_calls": ("(200 articles)", None),
    "batch_jobs": ("= 2 (TLDRs, merges)", lambda v, m: v == 2),
    "batch_cost_usd": ("(batch price)", None),
    "batch_cost_ratio": ("= 0.5 of live", lambda v, m: abs(v - 0.5) < 1e-9),
    "batch_wall_excluding_queue_seconds": ("(without the queue)", None),
    "batch_same_briefing": ("= live", lambda v, m: v is True),
    "rerun_calls": ("= 0", lambda v, m: v == 0),
    "rerun_seconds": ("< 2 s", lambda v, m: v < 2.0),
    "rerun_in_process_seconds": ("(after imports)", None),
    "seeds_cold_seconds": ("≤ 120 s", _at_most(120.0)),
    "floor_seconds": ("(server compute)", None),
    "floor_ratio": ("≤ 1.3", _at_most(1.3)),
    "prefix_cache_share": ("(higher is better)", None),
    "peak_rss_mb_200": ("(200 articles)", None),
    "rss_growth_kb_per_article": ("≤ article text", lambda v, m: v <= m.get("article_text_kb", 0.0)),
    "scale_peak_rss_mb_10000": ("≤ 600 MB", _at_most(600.0)),
    "scale_growth_kb_per_article": ("≤ 10 KB", _at_most(10.0)),
    "scale_wall_ratio_vs_nlogn": ("≤ 1.0 (n log n)", _at_most(1.0)),
    "article_text_kb": ("(raw page, mean)", None),
}


# --- helpers ------------------------------------------------------------------

def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# The test double's handler writes headers and body in two sends; with Nagle's
# algorithm on, the client's delayed ACK then holds every answer back ~40 ms.
# The benchmark's server must answer at once, so it turns Nagle off.
SERVER_CODE = (
    "import sys; sys.path.insert(0, {tests!r}); import fake_openai; "
    "fake_openai._Handler.disable_nagle_algorithm = True; fake_openai.main(sys.argv[1:])"
).format(tests=str(FAKE_SERVER.parent))


def instant_fake_openai(**kwargs):
    """An in-process FakeOpenAI without the Nagle delay (see SERVER_CODE)."""
    import fake_openai

    fake_openai._Handler.disable_nagle_algorithm = True
    return fake_openai.FakeOpenAI(**kwargs)


@contextlib.contextmanager
def server_process(command: list[str], what: str):
    """A test server in its own process (its threads must not share our GIL): its base URL."""
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        base_url = proc.stdout.readline().strip()
        if not base_url.startswith("http"):
            raise RuntimeError(f"the {what} did not start")
        yield base_url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def fake_server(latency: float = 0.0):
    """tests/fake_openai.py, answering after `latency` seconds."""
    return server_process([sys.executable, "-c", SERVER_CODE, "--port", "0", "--latency", str(latency)],
                          "fake server")


def server_env(base_url: str | None) -> dict[str, str]:
    """The environment of a child run: the given server, or none at all (embedded)."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("OPENAI_") and k not in ("SUMMARIZE_DB", "SUMMARIZE_MODEL")}
    if base_url:
        env.update(OPENAI_BASE_URL=base_url, OPENAI_API_KEY="sk-bench", SUMMARIZE_MODEL=FAKE_MODEL)
    return env


@contextlib.contextmanager
def server_caller(base_url: str, db: Path):
    """A caller as `summarize digest` builds it, pointed at `base_url`."""
    saved = {k: os.environ.get(k) for k in ("OPENAI_BASE_URL", "OPENAI_API_KEY", "SUMMARIZE_MODEL")}
    os.environ.update(OPENAI_BASE_URL=base_url, OPENAI_API_KEY="sk-bench", SUMMARIZE_MODEL=FAKE_MODEL)
    try:
        from summarize.llm.engine import open_caller

        with open_caller(db=db, backend="openai") as caller:
            yield caller
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def logged_calls(db: Path) -> list[dict]:
    if not db.exists():
        return []
    conn = sqlite3.connect(str(db))
    try:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute(
            "SELECT prompt, outcome, prompt_tokens, completion_tokens, latency, backend FROM calls")]
    finally:
        conn.close()


def run_process(cmd: list[str], env: dict[str, str], cwd: Path | None = None) -> dict:
    """Run a child to the end: wall seconds, exit code, its own peak RSS, output."""
    started = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, cwd=str(cwd or ROOT), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    out_lines: list[str] = []
    err_lines: list[str] = []
    readers = [threading.Thread(target=lambda s=s, b=b: b.extend(s), daemon=True)
               for s, b in ((proc.stdout, out_lines), (proc.stderr, err_lines))]
    for reader in readers:
        reader.start()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    for reader in readers:
        reader.join()
    return {"wall": wall, "code": proc.returncode, "maxrss_kb": usage.ru_maxrss,
            "stdout": "".join(out_lines), "stderr": "".join(err_lines)}


def digest_cli(paths: list[str], db: Path, out: Path, base_url: str | None, *extra: str) -> dict:
    cmd = [sys.executable, "-m", "summarize", "digest", *paths, "--db", str(db), "--out", str(out), "-q", *extra]
    result = run_process(cmd, server_env(base_url))
    if result["code"] != 0:
        raise RuntimeError(f"summarize digest failed ({result['code']}): {result['stderr'][-2000:]}")
    return result


def worker(kind: str, spec: dict, base_url: str | None) -> tuple[dict, dict]:
    """This script in a fresh process running `kind`; its result and the process figures."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", kind, "--spec", json.dumps(spec)]
    proc = run_process(cmd, server_env(base_url))
    lines = [line for line in proc["stdout"].splitlines() if line.startswith(RESULT_MARK)]
    if proc["code"] != 0 or not lines:
        raise RuntimeError(f"worker {kind} failed ({proc['code']}): {proc['stderr'][-3000:]}")
    return json.loads(lines[-1][len(RESULT_MARK):]), proc


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


def r(value: float, digits: int = 3) -> float:
    return round(float(value), digits)


# --- instrumented digest (benchmark-side timers; the package is unchanged) -----

class StageTimers:
    """Wall time per pipeline stage, by wrapping the functions the digest calls."""

    # stage: (module, function names looked up in it at call time) pairs; the
    # digest cleans one page at a time, so its cleaning is timed per page.
    STAGES = {
        "read_clean": (("summarize.digest.briefing", ("read_inputs",)),
                       ("summarize.clean.cleaner", ("decode_bytes", "clean_text"))),
        "chunk": (("summarize.tldr.stage", ("article_parts",)),),
        "ground": (("summarize.tldr.stage", ("ground_entities", "check_tldr")),
                   ("summarize.digest.briefing", ("check_tldr", "merge_entities"))),
        "cluster": (("summarize.digest.briefing", ("group_indices",)),),
    }

    def __init__(self):
        self.seconds: dict[str, float] = {}
        self._lock = threading.Lock()
        self._saved: list[tuple[object, str, object]] = []

    def _wrap(self, stage: str, fn):
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                with self._lock:
                    self.seconds[stage] = self.seconds.get(stage, 0.0) + time.perf_counter() - started
        return timed

    def __enter__(self):
        import importlib

        for stage, places in self.STAGES.items():
            for module_name, names in places:
                module = importlib.import_module(module_name)
                for name in names:
                    original = getattr(module, name)
                    self._saved.append((module, name, original))
                    setattr(module, name, self._wrap(stage, original))
        return self

    def __exit__(self, *exc):
        for module, name, original in reversed(self._saved):
            setattr(module, name, original)
        self._saved.clear()


def _cpu_seconds() -> float:
    """CPU time of this process so far: less sensitive than wall time to other
    jobs on the machine (it includes the HTTP client's share of each call)."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def instrumented_digest(paths: list[str], caller, settings, out: Path) -> dict:
    """One digest plus its briefing files, timed by stage; `overhead` is the
    wall time minus the time spent waiting for model answers."""
    from summarize.digest.briefing import run_digest
    from summarize.render.files import FORMATS, write_briefing

    with StageTimers() as timers:
        cpu_started = _cpu_seconds()
        started = time.perf_counter()
        briefing = run_digest(paths, caller, settings)
        digest_seconds = time.perf_counter() - started
        started = time.perf_counter()
        write_briefing(briefing, out, FORMATS)
        render_seconds = time.perf_counter() - started
        cpu_seconds = _cpu_seconds() - cpu_started
    stages = dict(timers.seconds)
    stages["render"] = render_seconds
    stages["llm_wait"] = briefing.usage.model_seconds
    total = digest_seconds + render_seconds
    stages["other"] = total - sum(stages.values())
    articles = sum(len(s.sources) for s in briefing.stories) + len(briefing.not_summarized)
    multi = [s for s in briefing.stories if len(s.sources) > 1]
    return {
        "articles": articles, "seconds": r(total), "overhead_seconds": r(total - briefing.usage.model_seconds),
        "cpu_seconds": r(cpu_seconds),
        "stages": {k: r(v) for k, v in stages.items()}, "usage": briefing.usage.model_dump(),
        "stories": len(briefing.stories), "multi_source_stories": len(multi),
        "failed": len(briefing.not_summarized),
    }


# --- workers (run inside a fresh process) ----------------------------------------

def worker_digest(spec: dict) -> dict:
    """Digests one after another in this process, against OPENAI_BASE_URL;
    the first pays every one-time load, the later ones show the steady state."""
    started = time.perf_counter()
    from summarize.digest.briefing import DigestSettings
    from summarize.llm.engine import open_caller
    from summarize.tldr.stage import DEFAULT_PROMPT

    import_seconds = time.perf_counter() - started
    runs = []
    for run in spec["runs"]:
        settings = DigestSettings.load(prompt=DEFAULT_PROMPT, concurrency=spec.get("concurrency", 4))
        with open_caller(db=Path(run["db"]), backend="openai") as caller:
            runs.append(instrumented_digest(run["inputs"], caller, settings, Path(run["out"])))
    return {"import_seconds": r(import_seconds), "runs": runs}


class TimingBackend:
    """Wraps a backend and keeps the server's own timings of every call."""

    def __init__(self, inner):
        self.inner = inner
        self.name, self.model = inner.name, inner.model
        self.context_size, self.slots = inner.context_size, inner.slots
        self.records: list[dict] = []
        self._lock = threading.Lock()

    def complete(self, request):
        result = self.inner.complete(request)
        with self._lock:
            self.records.append({"timings": dict(result.timings or {}), "prompt_tokens": result.prompt_tokens,
                                 "completion_tokens": result.completion_tokens,
                                 "cached_tokens": result.cached_tokens, "latency": r(result.latency)})
        return result

    def close(self):
        self.inner.close()


def worker_embedded(spec: dict) -> dict:
    """The seeds' digest on the embedded model, from a cold start, with the
    server's per-call timings (tokens and milliseconds of prefill and decode)."""
    started = time.perf_counter()
    from summarize.digest.briefing import DigestSettings
    from summarize.llm.calls import StructuredCaller
    from summarize.llm.engine import open_backend
    from summarize.store import Store

    import_seconds = time.perf_counter() - started
    mark = time.perf_counter()
    llm = open_backend(backend="embedded")  # finds (on a first run: joins and verifies) the model file
    prepare_seconds = time.perf_counter() - mark
    mark = time.perf_counter()
    llm._started()  # server start and model load, timed apart from the calls
    load_seconds = time.perf_counter() - mark
    backend = TimingBackend(llm)
    store = Store(Path(spec["db"]))
    try:
        # The versions `summarize digest` takes for this model (prompts/defaults.toml).
        settings = DigestSettings.for_model(llm.model, concurrency=spec.get("concurrency", 4))
        result = instrumented_digest(spec["inputs"], StructuredCaller(backend, store), settings, Path(spec["out"]))
    finally:
        backend.close()
        store.close()
    return {"import_seconds": r(import_seconds), "prepare_seconds": r(prepare_seconds),
            "load_seconds": r(load_seconds), "in_process_seconds": r(time.perf_counter() - started),
            "model": llm.model, "run": result, "calls": backend.records}


def worker_cli(spec: dict) -> dict:
    """`summarize` itself with `args`, timed: imports, then the command, by stage."""
    started = time.perf_counter()
    from summarize.cli.main import main as cli_main

    import_seconds = time.perf_counter() - started
    sys.argv = ["summarize", *spec["args"]]
    with StageTimers() as timers:
        started = time.perf_counter()
        try:
            cli_main()
        except SystemExit as exc:
            if exc.code not in (0, None):
                raise
        main_seconds = time.perf_counter() - started
    stages = dict(timers.seconds)
    return {"import_seconds": r(import_seconds), "main_seconds": r(main_seconds),
            "stages": {k: r(v) for k, v in stages.items()}}


WORKERS = {"digest": worker_digest, "cli": worker_cli, "embedded": worker_embedded}


# --- parts ----------------------------------------------------------------------

def part_tokens(tmp: Path) -> dict:
    """Prompt tokens of the messages we send for the seeds vs. the raw pages
    sent with the same instructions, both counted with the project's tiktoken."""
    from summarize.clean.cleaner import clean_paths
    from summarize.ingest.inputs import expand_inputs, read_input
    from summarize.llm.backend import FALLBACK_CONTEXT
    from summarize.text.tokens import count_tokens
    from summarize.tldr.stage import (
        DEFAULT_PROMPT,
        TldrSettings,
        article_parts,
        language_name,
    )

    settings = TldrSettings.load(DEFAULT_PROMPT)
    prompt = settings.prompt

    def tokens(messages: list[dict]) -> int:
        return sum(count_tokens(m["content"]) for m in messages)

    paths = [str(p) for p in seed_paths()]
    articles = clean_paths(paths)
    raws = [read_input(ref, max_bytes=5_000_000).text for ref in expand_inputs(paths)]
    instructions = tokens(prompt.messages(article="", language="German", title=""))
    # The same prompt without its worked example: how much of the ratio is the example's.
    bare = dataclasses.replace(prompt, examples=())
    bare_sent = bare_naive = 0
    rows, sent_total, naive_total, clean_total, raw_total = [], 0, 0, 0, 0
    for article, raw in zip(articles, raws):
        variables = {"language": language_name(settings.language or article.language or "de"),
                     "title": article.title or ""}
        chunks = article_parts(article.text, prompt, FALLBACK_CONTEXT)
        sent = sum(tokens(prompt.messages(article=chunk, **variables)) for chunk in chunks)
        naive = tokens(prompt.messages(article=raw, **variables))
        bare_sent += sum(tokens(bare.messages(article=chunk, **variables)) for chunk in chunks)
        bare_naive += tokens(bare.messages(article=raw, **variables))
        clean_tokens, raw_tokens = count_tokens(article.text), count_tokens(raw)
        rows.append({"path": Path(article.path).name, "sent": sent, "naive": naive, "calls": len(chunks),
                     "clean_text": clean_tokens, "raw_text": raw_tokens, "ratio": r(sent / naive)})
        sent_total, naive_total = sent_total + sent, naive_total + naive
        clean_total, raw_total = clean_total + clean_tokens, raw_total + raw_tokens
    return {
        "metrics": {"token_ratio": r(sent_total / naive_total), "token_ratio_text_only": r(clean_total / raw_total)},
        "details": {"prompt": prompt.ref, "sent_tokens": sent_total, "naive_tokens": naive_total,
                    "instruction_tokens_per_call": instructions,
                    "instruction_share_of_sent": r(instructions * len(rows) / sent_total),
                    "example_tokens_per_call": instructions - tokens(bare.messages(article="", language="German",
                                                                                   title="")),
                    "token_ratio_without_example": r(bare_sent / bare_naive),
                    "clean_text_tokens": clean_total, "raw_text_tokens": raw_total, "per_seed": rows},
    }


def gold_answer_fn():
    """Fake answers with the gold entities and reference TLDR of the article
    asked about, so that clustering sees the names a good model would give."""
    from fake_openai import (
        article_text,
        first_sentences,
        is_story_request,
        last_user_message,
        story_answer,
    )

    from summarize.digest.terms import content_terms

    records = list(gold_records().values())
    vocab = [set(content_terms(rec["body"])) for rec in records]

    def answer(request: dict) -> str:
        if is_story_request(request):
            return story_answer(request)
        text = article_text(last_user_message(request))
        terms = set(content_terms(text))
        best = max(range(len(records)), key=lambda i: len(terms & vocab[i]) / (len(terms | vocab[i]) or 1))
        record = records[best]
        return json.dumps({
            "entities": [{"name": e["name"], "type": e["type"]} for e in record["entities"]][:10],
            "key_facts": [first_sentences(text, max_words=12)],
            "tldr": record["reference_tldr"],
        })

    return answer


def part_calls(tmp: Path) -> dict:
    """Model calls of a seeds digest: per article, and merge calls per story
    with more than one source. With the fake server's own answers (capitalised
    runs as entities) and with gold entities (clustering as a good model's
    names would drive it)."""
    from summarize.digest.briefing import DigestSettings
    from summarize.tldr.stage import DEFAULT_PROMPT, REDUCE_PROMPT

    story_ref = "story@v1"
    settings = DigestSettings.load(prompt=DEFAULT_PROMPT, story_prompt=story_ref)
    seeds = [str(p) for p in seed_paths()]
    variants = {}
    for name, answer in (("fake_answers", None), ("gold_entities", gold_answer_fn())):
        kwargs = {"answer": answer} if answer else {}
        db = tmp / f"calls-{name}.sqlite3"
        with instant_fake_openai(**kwargs) as fake, server_caller(fake.base_url, db) as caller:
            result = instrumented_digest(seeds, caller, settings, tmp / f"out-{name}")
        calls = logged_calls(db)
        tldr_calls = sum(1 for c in calls if c["prompt"] == settings.tldr.prompt.ref)
        merge_calls = sum(1 for c in calls if c["prompt"] == story_ref)
        variants[name] = {
            "articles": result["articles"], "tldr_calls": tldr_calls, "merge_calls": merge_calls,
            "stories": result["stories"], "multi_source_stories": result["multi_source_stories"],
            "calls_per_article": r(tldr_calls / max(1, result["articles"])),
            "merge_calls_per_multi_source_story": r(merge_calls / result["multi_source_stories"])
            if result["multi_source_stories"] else 0.0,
            "reasks": result["usage"]["reasks"],
        }
    with instant_fake_openai() as fake:
        long_path = long_article(tmp / "long")
        db = tmp / "calls-long.sqlite3"
        with server_caller(fake.base_url, db) as caller:
            from summarize.clean.cleaner import clean_paths

            article = clean_paths([str(long_path)])[0]
            instrumented_digest([str(long_path)], caller, settings, tmp / "out-long")
        calls = logged_calls(db)
        long_info = {"tokens": article.tokens, "context": caller.backend.context_size,
                     "tldr_calls": sum(1 for c in calls if c["prompt"] == settings.tldr.prompt.ref),
                     "reduce_calls": sum(1 for c in calls if c["prompt"] == REDUCE_PROMPT)}
    gold = variants["gold_entities"]
    seed_stories = [gold_records()[Path(p).name]["story"] for p in seeds]
    gold["gold_stories"] = len(set(seed_stories))
    gold["gold_multi_source_stories"] = sum(1 for key in set(seed_stories) if seed_stories.count(key) > 1)
    return {
        "metrics": {"calls_per_article": gold["calls_per_article"],
                    "merge_calls_per_multi_source_story": gold["merge_calls_per_multi_source_story"]},
        "details": {**variants, "long_article": long_info,
                    "note": "headline figures from the gold-entity run; the fake server's own entities "
                            "are capitalised runs, which cluster the seeds differently"},
    }


# Wall times on this kind of machine move by 10-20 % from one process to the
# next; the overhead part reports the median of this many fresh processes.
OVERHEAD_REPEATS = 3


def _median_index(values: list[float]) -> int:
    """Which of an odd number of runs gave the median value."""
    return sorted(range(len(values)), key=values.__getitem__)[len(values) // 2]


def part_overhead(tmp: Path, previous: dict) -> dict:
    """Everything but the model wait, against an instant server, one call at a
    time so that the model wait can be subtracted: a fresh process digests 100
    generated articles (cold: pays every one-time load), then another 100
    (warm); a fresh process digests the five seeds. Each OVERHEAD_REPEATS
    times; the figures are the medians."""
    set_a = generate_articles(100, tmp / "overhead-a", seed=11)
    set_b = generate_articles(100, tmp / "overhead-b", seed=12)
    pile_runs, seeds_runs = [], []
    with fake_server(0.0) as url:
        for repeat in range(OVERHEAD_REPEATS):
            spec = {"concurrency": 1, "runs": [
                {"inputs": [str(tmp / "overhead-a")], "db": str(tmp / f"ov-a{repeat}.sqlite3"),
                 "out": str(tmp / f"ov-a{repeat}")},
                {"inputs": [str(tmp / "overhead-b")], "db": str(tmp / f"ov-b{repeat}.sqlite3"),
                 "out": str(tmp / f"ov-b{repeat}")},
            ]}
            pile_runs.append(worker("digest", spec, url)[0])
            seeds_spec = {"concurrency": 1, "runs": [
                {"inputs": [str(p) for p in seed_paths()], "db": str(tmp / f"ov-s{repeat}.sqlite3"),
                 "out": str(tmp / f"ov-s{repeat}")}]}
            seeds_runs.append(worker("digest", seeds_spec, url))

    def per_run(result: dict) -> dict:
        cold, warm = result["runs"]
        return {
            "overhead_ms_per_article": 1000 * cold["overhead_seconds"] / len(set_a),
            "overhead_ms_per_article_warm": 1000 * warm["overhead_seconds"] / len(set_b),
            "cpu_ms_per_article": 1000 * cold["cpu_seconds"] / len(set_a),
            "cpu_ms_per_article_warm": 1000 * warm["cpu_seconds"] / len(set_b),
            "overhead_fixed_seconds": cold["overhead_seconds"] - warm["overhead_seconds"] * len(set_a) / len(set_b),
        }

    figures = [per_run(result) for result in pile_runs]
    seeds_overheads = [proc["wall"] - result["runs"][0]["usage"]["model_seconds"] for result, proc in seeds_runs]
    metrics = {name: r(statistics.median(f[name] for f in figures), 2 if name.endswith("seconds") else 1)
               for name in figures[0]}
    seeds_overhead = statistics.median(seeds_overheads)
    metrics["seeds_overhead_seconds"] = r(seeds_overhead, 2)
    result = pile_runs[_median_index([f["overhead_ms_per_article"] for f in figures])]
    cold, warm = result["runs"]
    seeds_result, seeds_proc = seeds_runs[_median_index(seeds_overheads)]
    seeds_run = seeds_result["runs"][0]
    embedded = (previous.get("embedded") or {}).get("metrics") or {}
    if embedded.get("seeds_cold_seconds"):
        metrics["overhead_share_embedded"] = r(seeds_overhead / embedded["seeds_cold_seconds"], 4)
    return {"metrics": metrics, "details": {
        "articles": len(set_a), "concurrency": 1, "repeats": OVERHEAD_REPEATS,
        "every_run": {name: [r(f[name], 2) for f in figures] for name in figures[0]}
        | {"seeds_overhead_seconds": [r(v, 2) for v in seeds_overheads]},
        "stages_of": "the median run", "import_seconds": result["import_seconds"],
        "cold": cold, "warm": warm, "seeds": {**seeds_run, "process_wall": r(seeds_proc["wall"]),
                                              "import_seconds": seeds_result["import_seconds"]},
        "note": "llm_wait is the client-measured HTTP time of each call (SDK included); 'other' is the rest of "
                "the wall time (cache, call log, prompt building, answer validation, thread pool)",
    }}


CONCURRENCY_LEVELS = (1, 4, 8, 16)
CONCURRENCY_LONG = 256
# Runs of each level above 1; its figures are those of the median run. One
# run of 16 in flight lasts about a second, and one run's speed-up varied by
# ±0.5 between runs of the part.
CONCURRENCY_REPEATS = 5
CONCURRENCY_LATENCY = 0.2


@contextlib.contextmanager
def client_kind(kind: str):
    """Live calls through the one-loop async client (the default) or a blocking client per thread."""
    saved = os.environ.get("SUMMARIZE_CLIENT")
    os.environ["SUMMARIZE_CLIENT"] = kind
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop("SUMMARIZE_CLIENT", None)
        else:
            os.environ["SUMMARIZE_CLIENT"] = saved


def part_concurrency(tmp: Path) -> dict:
    """The model phase (every article's TLDR call) for 64 articles against a
    server that answers each request after 200 ms, at several concurrencies
    (levels above 1 run `CONCURRENCY_REPEATS` times: the median run counts),
    through the async client (the default) and the blocking one; then 256
    articles at 1 and 16 in flight through the async client."""
    from summarize.clean.cleaner import clean_paths
    from summarize.digest.briefing import DigestSettings, build_briefing
    from summarize.digest.cluster import ClusterItem
    from summarize.digest.duplicates import find_duplicates
    from summarize.tldr.stage import DEFAULT_PROMPT, summarize_all

    paths = generate_articles(64, tmp / "concurrency", seed=21)
    settings = DigestSettings.load(prompt=DEFAULT_PROMPT)
    articles = clean_paths([str(p) for p in paths])
    duplicates = find_duplicates([ClusterItem(key=a.path, text=a.text) for a in articles])
    ideal_c1 = CONCURRENCY_LATENCY * len(articles)
    clients = {}
    with fake_server(CONCURRENCY_LATENCY) as url:
        for kind in ("async", "sync"):
            timing = {}
            with client_kind(kind):
                # One small digest first, so that no level pays the one-time loads.
                with server_caller(url, tmp / f"conc-warm-{kind}.sqlite3") as caller:
                    build_briefing(articles[:4], summarize_all(articles[:4], caller, settings.tldr, concurrency=4),
                                   caller, settings)
                runs = {level: [] for level in CONCURRENCY_LEVELS}
                # Levels above 1 take turns, so that a slower spell of the machine
                # weighs on each of them instead of on one.
                for repeat in range(CONCURRENCY_REPEATS):
                    for level in CONCURRENCY_LEVELS:
                        if level == 1 and repeat:
                            continue
                        db = tmp / f"conc-{kind}-{level}-{repeat}.sqlite3"
                        with server_caller(url, db) as caller:
                            cpu_started, started = _cpu_seconds(), time.perf_counter()
                            summaries = summarize_all(articles, caller, settings.tldr, concurrency=level)
                            model_phase = time.perf_counter() - started
                            model_phase_cpu = _cpu_seconds() - cpu_started
                            started = time.perf_counter()
                            briefing = build_briefing(articles, summaries, caller, settings)
                            story_phase = time.perf_counter() - started
                        merges = sum(1 for c in logged_calls(db) if c["prompt"] == settings.story_prompt.ref)
                        runs[level].append({"model_phase_seconds": r(model_phase),
                                            "model_phase_cpu_seconds": r(model_phase_cpu),
                                            "story_phase_seconds": r(story_phase), "merge_calls": merges,
                                            "failed": len(briefing.not_summarized) + sum(not s.ok for s in summaries)})
                        log(f"  {kind} client, concurrency {level}: model phase {model_phase:.2f} s, "
                            f"stories {story_phase:.2f} s")
                for level, done in runs.items():
                    # the run of the median model phase, with every run's model phase beside it
                    timing[level] = sorted(done, key=lambda run: run["model_phase_seconds"])[len(done) // 2]
                    timing[level]["model_phase_seconds_every_run"] = [run["model_phase_seconds"] for run in done]
            base = timing[1]["model_phase_seconds"]
            whole = timing[1]["model_phase_seconds"] + timing[1]["story_phase_seconds"]
            for level in CONCURRENCY_LEVELS:
                speedup = base / timing[level]["model_phase_seconds"]
                digest = timing[level]["model_phase_seconds"] + timing[level]["story_phase_seconds"]
                # Time per article beyond the server's 200 ms, at this level.
                lost = (timing[level]["model_phase_seconds"] - ideal_c1 / level) * level / len(articles)
                timing[level].update(speedup=r(speedup, 2), efficiency=r(speedup / level, 3),
                                     digest_speedup=r(whole / digest, 2), overhead_ms_per_article=r(lost * 1000, 1))
            clients[kind] = {str(k): v for k, v in timing.items()}
        # The same at 16 in flight over 16 rounds instead of 4, where the first
        # round's start (its requests prepared one after the other, sixteen
        # new connections) weighs a quarter as much.
        long_articles = clean_paths([str(p) for p in generate_articles(CONCURRENCY_LONG, tmp / "concurrency-long",
                                                                       seed=22)])
        long_phase = {}
        with client_kind("async"):
            for level in (1, 16):
                with server_caller(url, tmp / f"conc-long-{level}.sqlite3") as caller:
                    started = time.perf_counter()
                    summarize_all(long_articles, caller, settings.tldr, concurrency=level)
                    long_phase[level] = time.perf_counter() - started
                log(f"  async client, {CONCURRENCY_LONG} articles, concurrency {level}: "
                    f"model phase {long_phase[level]:.2f} s")
    chosen = clients["async"]
    metrics = {f"speedup_c{level}": chosen[str(level)]["speedup"] for level in CONCURRENCY_LEVELS if level > 1}
    metrics["model_overhead_ms_per_article"] = chosen["1"]["overhead_ms_per_article"]
    metrics |= {f"sync_speedup_c{level}": clients["sync"][str(level)]["speedup"]
                for level in CONCURRENCY_LEVELS if level > 1}
    metrics[f"speedup_c16_{CONCURRENCY_LONG}"] = r(long_phase[1] / long_phase[16], 2)
    return {
        "metrics": metrics,
        "details": {"articles": len(articles), "near_duplicate_groups": len(duplicates),
                    f"model_phase_seconds_{CONCURRENCY_LONG}_articles": {str(k): r(v) for k, v in long_phase.items()},
                    "failed_to_clean": sum(1 for a in articles if not a.ok),
                    "latency_s": CONCURRENCY_LATENCY, "ideal_c1_seconds": r(ideal_c1, 2),
                    "metrics_of": "the async client (SUMMARIZE_CLIENT=async, the default); sync_* the blocking one",
                    "note": "overhead_ms_per_article = (model phase - ideal) x level / articles: what each "
                            "article costs beyond the server's 200 ms at that level",
                    "clients": clients},
    }


BATCH_ARTICLES = 200
BATCH_MODEL = "gpt-4.1-mini"  # a model with a list price, so that costs can be compared


def batch_server():
    """tests/fake_batch.py (chat completions and the Batch API) in its own process."""
    return server_process([sys.executable, str(ROOT / "tests" / "fake_batch.py"), "--port", "0"],
                          "fake batch server")


def worker_batch(spec: dict) -> dict:
    """`summarize digest` (live, or --batch) in this process, with the time the
    batch spent waiting on the server's queue (polling) told apart."""
    import summarize.llm.batch as batch

    queue = {"seconds": 0.0}
    finish_job = batch.finish_job

    def timed_finish(store, api, job, sleep=time.sleep):
        def counted(seconds: float) -> None:
            queue["seconds"] += seconds
            sleep(seconds)

        retrieve = api.retrieve

        def timed_retrieve(remote_id):
            started = time.perf_counter()
            try:
                return retrieve(remote_id)
            finally:
                queue["seconds"] += time.perf_counter() - started

        api.retrieve = timed_retrieve
        try:
            return finish_job(store, api, job, sleep=counted)
        finally:
            api.retrieve = retrieve

    batch.finish_job = timed_finish
    result = worker_cli(spec)
    result["queue_seconds"] = r(queue["seconds"])
    return result


WORKERS["batch"] = worker_batch


def part_batch(tmp: Path) -> dict:
    """A 200-article digest through the Batch API test double against the
    same digest made live: calls, cost at the batch and the list price, and
    the batch run's wall time without the time its jobs waited in the
    (simulated) queue."""
    from summarize.llm.backend import call_cost
    from summarize.llm.batch import batch_cost

    inbox = tmp / "articles"
    generate_articles(BATCH_ARTICLES, inbox, seed=31)
    runs = {}
    with batch_server() as url:
        for mode in ("live", "batch"):
            db, out = tmp / f"{mode}.sqlite3", tmp / f"out-{mode}"
            args = ["digest", str(inbox), "--db", str(db), "--out", str(out), "-q", "--model", BATCH_MODEL]
            os.environ["SUMMARIZE_BATCH_POLL"] = "0.05"
            try:
                result, proc = worker("batch", {"args": args + (["--batch"] if mode == "batch" else [])}, url)
            finally:
                os.environ.pop("SUMMARIZE_BATCH_POLL", None)
            calls = logged_calls(db)
            prompt_tokens = sum(c["prompt_tokens"] for c in calls)
            completion = sum(c.get("completion_tokens", 0) for c in calls)
            briefing = json.loads(next(out.glob("*.json")).read_text(encoding="utf-8"))
            price = batch_cost if mode == "batch" else call_cost
            runs[mode] = {"calls": len(calls), "ok": sum(c["outcome"] == "ok" for c in calls),
                          "cost_usd": r(price(BATCH_MODEL, prompt_tokens, completion), 5),
                          "process_wall_seconds": r(proc["wall"], 2), "queue_seconds": result["queue_seconds"],
                          "wall_excluding_queue_seconds": r(proc["wall"] - result["queue_seconds"], 2),
                          "stories": briefing["stories"], "failed": len(briefing["not_summarized"])}
            log(f"  {mode}: {len(calls)} calls, ${runs[mode]['cost_usd']}, {proc['wall']:.1f} s")
        jobs = _batch_jobs(tmp / "batch.sqlite3")
    live, batched = runs["live"], runs["batch"]
    same = live.pop("stories") == batched.pop("stories")
    return {
        "metrics": {"batch_calls": batched["calls"], "batch_jobs": len(jobs), "batch_cost_usd": batched["cost_usd"],
                    "batch_cost_ratio": r(batched["cost_usd"] / live["cost_usd"], 3) if live["cost_usd"] else None,
                    "batch_wall_excluding_queue_seconds": batched["wall_excluding_queue_seconds"],
                    "batch_same_briefing": same},
        "details": {"articles": BATCH_ARTICLES, "model": BATCH_MODEL, "live": live, "batch": batched,
                    "jobs": [{k: job[k] for k in ("status", "requests", "completed", "failed")} for job in jobs],
                    "note": "costs from the call log's tokens (the test double counts 4 characters a token); "
                            "queue_seconds = the time spent polling a job that the double walks through "
                            "validating, in_progress, finalizing and completed"},
    }


def _batch_jobs(db: Path) -> list[dict]:
    conn = sqlite3.connect(str(db))
    try:
        conn.row_factory = sqlite3.Row
        return [dict(row) for row in conn.execute("SELECT * FROM batch_jobs ORDER BY created")]
    finally:
        conn.close()


def part_rerun(tmp: Path) -> dict:
    """The seeds' digest twice with one database: the second run's calls and
    the wall time of its `summarize digest` process; a third run in a worker
    splits that time into imports and pipeline stages."""
    seeds = [str(p) for p in seed_paths()]
    db, out = tmp / "rerun.sqlite3", tmp / "rerun-out"
    with fake_server(0.0) as url:
        first = digest_cli(seeds, db, out, url)
        calls_after_first = len(logged_calls(db))
        second = digest_cli(seeds, db, out, url)
        calls_after_second = len(logged_calls(db))
        split, split_proc = worker("cli", {"args": ["digest", *seeds, "--db", str(db), "--out", str(out), "-q"]}, url)
        calls_after_third = len(logged_calls(db))
    return {
        "metrics": {"rerun_calls": calls_after_second - calls_after_first, "rerun_seconds": r(second["wall"], 2),
                    "rerun_in_process_seconds": r(split["main_seconds"], 2)},
        "details": {"first_run_seconds": r(first["wall"], 2), "first_run_calls": calls_after_first,
                    "third_run": {**split, "process_wall": r(split_proc["wall"], 2),
                                  "calls": calls_after_third - calls_after_second,
                                  "note": "stage seconds are summed over the summarizing threads"}},
    }


MEMORY_REPEATS = 3


def part_memory(tmp: Path) -> dict:
    """Peak RSS of a `summarize digest` process over 200 generated articles
    against an instant server, and over the first 20 of them; the growth per
    article is compared with the size of an article's raw page."""
    big = generate_articles(200, tmp / "memory-200", seed=31)
    small_dir = tmp / "memory-20"
    small_dir.mkdir()
    for path in big[:20]:
        shutil.copy(path, small_dir / path.name)
    # A process's peak RSS moves from run to run (257 and 267 MB were both
    # seen for the same 20 articles): the median of MEMORY_REPEATS runs.
    smalls, larges = [], []
    with fake_server(0.0) as url:
        for repeat in range(MEMORY_REPEATS):
            smalls.append(digest_cli([str(small_dir)], tmp / f"mem-20-{repeat}.sqlite3", tmp / f"mem-20-{repeat}", url))
            larges.append(digest_cli([str(tmp / "memory-200")], tmp / f"mem-200-{repeat}.sqlite3",
                                     tmp / f"mem-200-{repeat}", url))
    raw_kb = sum(p.stat().st_size for p in big) / len(big) / 1024
    small_kb = statistics.median(run["maxrss_kb"] for run in smalls)
    large_kb = statistics.median(run["maxrss_kb"] for run in larges)
    growth = (large_kb - small_kb) / (len(big) - 20)
    return {
        "metrics": {"peak_rss_mb_200": r(large_kb / 1024, 1), "rss_growth_kb_per_article": r(growth, 1),
                    "article_text_kb": r(raw_kb, 1)},
        "details": {"peak_rss_mb_20": r(small_kb / 1024, 1), "repeats": MEMORY_REPEATS,
                    "every_peak_rss_mb_20": [r(run["maxrss_kb"] / 1024, 1) for run in smalls],
                    "every_peak_rss_mb_200": [r(run["maxrss_kb"] / 1024, 1) for run in larges],
                    "wall_seconds_200": r(statistics.median(run["wall"] for run in larges), 1),
                    "wall_seconds_20": r(statistics.median(run["wall"] for run in smalls), 1)},
    }


SCALE_SIZES = (1000, 3000, 10000)
SCALE_START = 20


def part_scale(tmp: Path, sizes: tuple[int, ...] = SCALE_SIZES) -> dict:
    """`summarize digest` of 1,000, 3,000 and 10,000 generated articles (five
    days of them) against an instant server, one fresh process each: wall
    time and peak RSS; the growth per article is counted from the peak of a
    20-article digest (the start-up peak: tables, models, imports)."""
    sizes = tuple(sorted(sizes))
    pool = generate_articles(max(sizes), tmp / "articles", seed=41)
    runs = {}
    with fake_server(0.0) as url:
        for n in (SCALE_START, *sizes):
            directory = tmp / f"in-{n}"
            directory.mkdir()
            for path in pool[:n]:
                os.link(path, directory / path.name)  # no copy of the text
            log(f"  scale: {n} articles")
            run = digest_cli([str(directory)], tmp / f"scale-{n}.sqlite3", tmp / f"out-{n}", url)
            briefing = json.loads(next((tmp / f"out-{n}").glob("*.json")).read_text(encoding="utf-8"))
            runs[n] = {"wall_seconds": r(run["wall"], 1), "peak_rss_mb": r(run["maxrss_kb"] / 1024, 1),
                       "stories": len(briefing["stories"]),
                       "multi_source_stories": sum(1 for s in briefing["stories"] if len(s["sources"]) > 1),
                       "largest_story": max((len(s["sources"]) for s in briefing["stories"]), default=0),
                       "failed": len(briefing["not_summarized"]),
                       "calls": len(logged_calls(tmp / f"scale-{n}.sqlite3"))}
            log(f"    {runs[n]['wall_seconds']} s, {runs[n]['peak_rss_mb']} MB peak")
            shutil.rmtree(tmp / f"out-{n}")
    start, small, large = runs[SCALE_START], runs[sizes[0]], runs[sizes[-1]]
    for n in sizes:
        runs[n]["growth_kb_per_article"] = r((runs[n]["peak_rss_mb"] - start["peak_rss_mb"]) * 1024 / (n - SCALE_START), 1)
    nlogn = (sizes[-1] * math.log(sizes[-1])) / (sizes[0] * math.log(sizes[0]))
    metrics = {f"scale_wall_seconds_{n}": runs[n]["wall_seconds"] for n in sizes}
    metrics |= {f"scale_peak_rss_mb_{n}": runs[n]["peak_rss_mb"] for n in sizes}
    metrics["scale_growth_kb_per_article"] = runs[sizes[-1]]["growth_kb_per_article"]
    metrics["scale_wall_ratio_vs_nlogn"] = r(large["wall_seconds"] / small["wall_seconds"] / nlogn, 2)
    return {"metrics": metrics, "details": {
        "start_peak_rss_mb": start["peak_rss_mb"], "start_articles": SCALE_START, "days": 5,
        "nlogn_ratio": r(nlogn, 2), "runs": {str(n): v for n, v in runs.items()},
        "note": "growth = (peak at n - peak at 20) / (n - 20); wall ratio = (t(max) / t(min)) / "
                "(max log max / min log min), at most 1 when the time grows no faster than n log n",
    }}


def part_embedded(tmp: Path, previous: dict) -> dict:
    """The five seeds on the embedded model from a cold process (model load
    included), against the floor the server's own timings allow."""
    seeds = [str(p) for p in seed_paths()]
    spec = {"inputs": seeds, "db": str(tmp / "embedded.sqlite3"), "out": str(tmp / "embedded-out")}
    result, proc = worker("embedded", spec, None)
    calls = result["calls"]
    timed = [c["timings"] for c in calls if c["timings"]]
    total = lambda key: sum(float(t.get(key) or 0) for t in timed)  # noqa: E731
    prompt_n, prompt_ms = total("prompt_n"), total("prompt_ms")
    predicted_n, predicted_ms = total("predicted_n"), total("predicted_ms")
    cache_n = total("cache_n")
    prefill_tps = prompt_n * 1000 / prompt_ms if prompt_ms else 0.0
    decode_tps = predicted_n * 1000 / predicted_ms if predicted_ms else 0.0
    floor = (prompt_n / prefill_tps if prefill_tps else 0.0) + (predicted_n / decode_tps if decode_tps else 0.0)
    if not timed:  # a server without llama.cpp timings: the usage's cached tokens, if it reports them
        cache_n = float(sum(c["cached_tokens"] for c in calls))
        prompt_n = float(sum(c["prompt_tokens"] for c in calls)) - cache_n
    wall = proc["wall"]
    metrics = {"seeds_cold_seconds": r(wall, 1), "floor_seconds": r(floor, 1) if floor else None,
               "floor_ratio": r(wall / floor, 2) if floor else None,
               "prefix_cache_share": r(cache_n / (cache_n + prompt_n), 3) if cache_n + prompt_n else None}
    overhead = (previous.get("overhead") or {}).get("metrics") or {}
    if overhead.get("seeds_overhead_seconds"):
        metrics["overhead_share_embedded"] = r(overhead["seeds_overhead_seconds"] / wall, 4)
    return {"metrics": metrics, "details": {
        "model": result["model"], "calls": len(calls), "calls_with_timings": len(timed),
        "prompt_tokens_processed": int(prompt_n), "prompt_tokens_cached": int(cache_n),
        "generated_tokens": int(predicted_n), "prefill_tokens_per_s": r(prefill_tps, 1),
        "decode_tokens_per_s": r(decode_tps, 1),
        "floor_without_prefix_cache_seconds": r((prompt_n + cache_n) / prefill_tps + predicted_ms / 1000, 1)
        if prefill_tps else None,
        "import_seconds": result["import_seconds"], "prepare_seconds": result["prepare_seconds"],
        "model_load_seconds": result["load_seconds"], "digest": result["run"],
        "per_call": calls,
    }}


# --- results --------------------------------------------------------------------

def load_results(path: Path) -> dict:
    if path.is_file():
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except ValueError:
            log(f"{path}: unreadable, starting afresh")
    return {"parts": {}}


def save_results(path: Path, results: dict) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def format_value(value) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.3f}".rstrip("0").rstrip(".") if abs(value) < 100 else f"{value:.1f}"
    return str(value)


def table(results: dict, ran: set[str]) -> str:
    rows = [("part", "metric", "value", "goal", "status", "measured")]
    for part in PARTS:
        entry = results["parts"].get(part)
        if not entry:
            rows.append((part, "-", "not measured", "", "", ""))
            continue
        metrics = entry["metrics"]
        when = "now" if part in ran else entry["measured_at"][:16].replace("T", " ")
        for name, value in metrics.items():
            goal, check = GOALS.get(name, ("", None))
            status = "" if check is None or value is None else ("pass" if check(value, metrics) else "FAIL")
            rows.append((part, name, format_value(value), goal, status, when))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip() for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Benchmarks of summarize digest (not part of the tests).")
    parser.add_argument("--only", nargs="+", choices=PARTS, metavar="NAME",
                        help=f"parts to run: {', '.join(PARTS)} (default: all but {' and '.join(OPT_IN)})")
    parser.add_argument("--embedded", action="store_true", help="also run the embedded-model part")
    parser.add_argument("--scale", action="store_true", help="also run the scale part (1,000 to 10,000 articles)")
    parser.add_argument("--scale-sizes", nargs="+", type=int, metavar="N", default=list(SCALE_SIZES),
                        help="article counts of the scale part")
    parser.add_argument("--json", type=Path, default=DEFAULT_JSON, help=f"results file [{DEFAULT_JSON.name}]")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.worker:
        print(RESULT_MARK + json.dumps(WORKERS[args.worker](json.loads(args.spec))), flush=True)
        return 0

    chosen = list(args.only or [p for p in PARTS if p not in OPT_IN])
    for part, wanted in (("scale", args.scale), ("embedded", args.embedded)):
        if wanted and part not in chosen:
            chosen.append(part)
    results = load_results(args.json)
    command = " ".join(["python benchmarks/run.py", *(sys.argv[1:] if argv is None else argv)])
    tmp = Path(tempfile.mkdtemp(prefix="summarize-bench-"))
    failed = []
    try:
        for part in PARTS:  # fixed order: overhead and embedded read each other's figures
            if part not in chosen:
                continue
            log(f"== {part}")
            part_dir = tmp / part
            part_dir.mkdir()
            load_before = load_average()
            started = time.perf_counter()
            function = globals()[f"part_{part}"]
            try:
                if part in ("overhead", "embedded"):
                    measured = function(part_dir, results["parts"])
                elif part == "scale":
                    measured = function(part_dir, tuple(args.scale_sizes))
                else:
                    measured = function(part_dir)
            except Exception as exc:  # one broken part must not lose the others' figures
                log(f"  {part} failed: {type(exc).__name__}: {exc}")
                failed.append(part)
                continue
            measured.update(
                measured_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
                command=command, seconds=r(time.perf_counter() - started, 1),
                load_average={"before": load_before, "after": load_average()}, cpus=os.cpu_count(),
            )
            results["parts"][part] = measured
            if part == "embedded":  # keep the overhead share in step with the new wall time
                share = measured["metrics"].get("overhead_share_embedded")
                overhead_part = results["parts"].get("overhead")
                if share is not None and overhead_part:
                    overhead_part["metrics"]["overhead_share_embedded"] = share
            save_results(args.json, results)
    finally:
        if args.keep:
            log(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print(table(results, set(chosen) - set(failed)))
    print(f"\nwritten to {args.json}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
