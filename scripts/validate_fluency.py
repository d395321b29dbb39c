"""Validate the fluency measure (`summarize/evaluate/fluency.py`) on the labelled
sentences of `evals/fluency/sentences.jsonl`.

    python scripts/validate_fluency.py                 # replay the recorded judge
    python scripts/validate_fluency.py --record        # ask the model for unrecorded sentences
    python scripts/validate_fluency.py --record-tldrs  # judge every recorded TLDR and reference sentence
    python scripts/validate_fluency.py --fit           # the judge thresholds the dev split prefers

Prints, per split and language, the confusion matrix, accuracy, precision and
recall for "broken" and balanced accuracy, each with a 95 % bootstrap interval
(sentences resampled, seeded), for the checks alone and with the judge; then
how often each check fires on broken and on fluent sentences.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from summarize.evaluate import fluency, fluency_judge
from summarize.evaluate.stats import DRAWS, SEED

ROOT = Path(__file__).resolve().parents[1]
SENTENCES = ROOT / "evals" / "fluency" / "sentences.jsonl"
GOLD = ROOT / "evals" / "gold.jsonl"
ANSWERS = ROOT / "evals" / "recordings" / "qwen2.5-coder-1.5b-instruct-q4_k_m.jsonl"


def load_rows(path: Path = SENTENCES) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


# --- scores -----------------------------------------------------------------------


def _counts(truth: np.ndarray, said: np.ndarray) -> tuple[int, int, int, int]:
    """(tp, fp, fn, tn) with "broken" as the positive class."""
    return (int(np.sum(truth & said)), int(np.sum(~truth & said)), int(np.sum(truth & ~said)),
            int(np.sum(~truth & ~said)))


def _accuracy(truth, said):
    return float(np.mean(truth == said))


def _precision(truth, said):
    tp, fp, _, _ = _counts(truth, said)
    return tp / (tp + fp) if tp + fp else np.nan


def _recall(truth, said):
    tp, _, fn, _ = _counts(truth, said)
    return tp / (tp + fn) if tp + fn else np.nan


def _balanced(truth, said):
    tp, fp, fn, tn = _counts(truth, said)
    if not (tp + fn and tn + fp):
        return np.nan
    return (tp / (tp + fn) + tn / (tn + fp)) / 2


SCORES: dict[str, Callable] = {"accuracy": _accuracy, "precision": _precision, "recall": _recall,
                               "balanced": _balanced}


def with_interval(score: Callable, truth: np.ndarray, said: np.ndarray) -> tuple[float, float, float]:
    """The score and its 95 % percentile interval over resampled sentences."""
    rng = np.random.default_rng(SEED)
    picks = rng.integers(0, len(truth), size=(DRAWS, len(truth)))
    draws = np.array([score(truth[p], said[p]) for p in picks])
    low, high = np.nanpercentile(draws, [2.5, 97.5])
    return score(truth, said), float(low), float(high)


def report(rows: list[dict], said: list[bool | None], title: str) -> None:
    print(f"\n{title}")
    print(f"{'split':5} {'lang':4} {'n':>4}  {'tp':>3} {'fp':>3} {'fn':>3} {'tn':>3}  "
          + "  ".join(f"{name:>19}" for name in SCORES))
    for split in ("dev", "test"):
        for language in ("de", "en", "all"):
            picked = [i for i, r in enumerate(rows) if r["split"] == split and language in ("all", r["language"])]
            truth = np.array([rows[i]["label"] == "broken" for i in picked])
            guess = np.array([said[i] is False for i in picked])
            tp, fp, fn, tn = _counts(truth, guess)
            cells = []
            for score in SCORES.values():
                value, low, high = with_interval(score, truth, guess)
                cells.append(f"{value:.3f} [{low:.2f}, {high:.2f}]")
            print(f"{split:5} {language:4} {len(picked):4}  {tp:3} {fp:3} {fn:3} {tn:3}  " + "  ".join(cells))


def check_table(rows: list[dict]) -> None:
    print("\nchecks: sentences flagged (broken / fluent) per split; broken ones no other check flags")
    hits = [fluency.check_hits(r["text"], r["language"]) for r in rows]
    for name in fluency.CHECKS:
        cells = []
        for split in ("dev", "test"):
            picked = [(r, h) for r, h in zip(rows, hits) if name in h and r["split"] == split]
            broken = sum(1 for r, _ in picked if r["label"] == "broken")
            alone = sum(1 for r, h in picked if r["label"] == "broken" and len(h) == 1)
            cells.append(f"{split} {broken:2} / {len(picked) - broken:2} (alone {alone:2})")
        print(f"  {name:22} " + "   ".join(cells))


def judged(rows: list[dict], judge) -> list[bool | None]:
    return [fluency.sentence_fluency(r["text"], r["language"], judge).fluent for r in rows]


# --- fitting the thresholds -------------------------------------------------------


def fit_thresholds(rows: list[dict], judge) -> dict[str, float]:
    """Per language, the threshold on the judge's P(broken) for the dev
    sentences no check flagged. A few dozen sentences cannot tell a gain of
    one sentence from luck, so among the thresholds within one sentence of the
    best the highest wins (the judge overrides as rarely as the data allow);
    the threshold sits halfway to the next lower P(broken)."""
    fitted = {}
    for language in fluency.LANGUAGES:
        pairs = [(judge(r["text"], language), r["label"] == "broken") for r in rows
                 if r["split"] == "dev" and r["language"] == language
                 and not fluency.check_hits(r["text"], language)]
        pairs = [(p, broken) for p, broken in pairs if p is not None]
        if not pairs:
            continue
        candidates = sorted({p for p, _ in pairs} | {1.01})
        correct = [sum((p >= t) == broken for p, broken in pairs) for t in candidates]
        chosen = max(t for t, c in zip(candidates, correct) if c >= max(correct) - 1)
        below = max([p for p, _ in pairs if p < chosen], default=0.0)
        fitted[language] = round((below + min(chosen, 1.0)) / 2, 3)
        print(f"{language}: threshold {fitted[language]} gets {correct[candidates.index(chosen)]}/{len(pairs)} of the"
              f" unflagged dev sentences right (best threshold: {max(correct)}; all fluent: "
              f"{sum(not b for _, b in pairs)})")
    return fitted


# --- recording ------------------------------------------------------------------


def recorded_tldr_sentences() -> list[tuple[str, str]]:
    """(sentence, language) of every TLDR in the recorded answers (language told
    by langid, German and English only) and of every gold reference."""
    from summarize.clean.langid import classify

    found: list[tuple[str, str]] = []
    for line in ANSWERS.read_text(encoding="utf-8").splitlines():
        try:
            tldr = json.loads(json.loads(line)["content"]).get("tldr")
        except (ValueError, KeyError, AttributeError):
            continue
        if isinstance(tldr, str) and tldr.strip():
            language = classify(tldr)[0]
            found += [(s, language) for s in fluency.tldr_sentences(tldr) if language in fluency.LANGUAGES]
    for gold in load_rows(GOLD):
        if gold.get("language") in fluency.LANGUAGES and gold.get("reference_tldr"):
            found += [(s, gold["language"]) for s in fluency.tldr_sentences(gold["reference_tldr"])]
    return list(dict.fromkeys(found))


def record(pairs: list[tuple[str, str]]) -> None:
    """Judge the unrecorded sentences with the embedded model, appending to the recording."""
    from summarize.llm.embedded import EmbeddedLlama

    replay = fluency_judge.ReplayJudge()
    todo = [(t, lang) for t, lang in pairs if replay.entry(t, lang) is None]
    print(f"{len(pairs) - len(todo)} of {len(pairs)} sentences recorded; asking the model for {len(todo)}", flush=True)
    if not todo:
        return
    llm = EmbeddedLlama()
    try:
        judge = fluency_judge.LiveJudge(llm._started()._client, model=llm.model)
        started = time.perf_counter()
        for n, (text, language) in enumerate(todo, 1):
            judge(text, language)
            if n % 10 == 0 or n == len(todo):
                print(f"{n}/{len(todo)}  {(time.perf_counter() - started) / n:.1f} s per sentence", flush=True)
    finally:
        llm.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--record", action="store_true", help="judge unrecorded labelled sentences with the model")
    parser.add_argument("--record-tldrs", action="store_true",
                        help="judge every sentence of the recorded TLDRs and the gold references")
    parser.add_argument("--fit", action="store_true", help="print the judge thresholds fitted on dev")
    args = parser.parse_args(argv)
    rows = load_rows()
    if args.record:
        record([(r["text"], r["language"]) for r in rows])
    if args.record_tldrs:
        record(recorded_tldr_sentences())
    judge = fluency_judge.ReplayJudge()
    if args.fit:
        fit_thresholds(rows, judge)
        return 0
    missing = sum(1 for r in rows if judge(r["text"], r["language"]) is None)
    latencies = [e["latency"] for r in rows if (e := judge.entry(r["text"], r["language"])) and e.get("latency")]
    print(f"{len(rows)} sentences, {len(rows) - missing} with a recorded judgment "
          f"({fluency_judge.JUDGE_VERSION}, {judge.model}, {np.mean(latencies or [0]):.1f} s each when recorded); "
          f"thresholds {fluency.JUDGE_THRESHOLD}")
    with_judge = judged(rows, judge)
    report(rows, judged(rows, None), "checks alone")
    report(rows, with_judge, "checks and judge" + (f" ({missing} sentences unjudged)" if missing else ""))
    check_table(rows)
    paraphrases = [f for r, f in zip(rows, with_judge) if r["origin"] == "paraphrase"]
    print(f"\nparaphrases flagged broken: {paraphrases.count(False)} of {len(paraphrases)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
