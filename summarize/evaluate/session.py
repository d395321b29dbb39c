"""`summarize eval` as one call: the versions over the gold set, the merge
prompt over the gold stories, and optionally a judge's pairwise verdicts."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from summarize.evaluate.judge import JUDGE_PROMPT, Judgment, judge_versions
from summarize.evaluate.runner import (
    LEAD_BASELINE,
    EvalResult,
    default_dataset,
    run_eval,
)
from summarize.evaluate.stories import evaluate_story_version, gold_story_groups
from summarize.llm.calls import StructuredCaller
from summarize.llm.engine import BackendChoice, open_eval_caller
from summarize.llm.prompts import compared_versions, list_prompts, load_prompt
from summarize.tldr.select import extracts


def eval_mode(replay: bool, record: bool, live: bool) -> str:
    """replay (the default), record or live; more than one is a usage error."""
    if sum((replay, record, live)) > 1:
        raise ValueError("choose one of --replay, --record, --live")
    return "record" if record else "live" if live else "replay"


def eval_refs(prompts: Sequence[str] | None, baseline: str | None) -> list[str]:
    """The versions to compare: those asked for (default: `compare` of
    prompts/defaults.toml, else every tldr version),
    the baseline first when it is not among them; each must load."""
    refs = list(prompts or compared_versions() or [p.ref for p in list_prompts() if p.name == "tldr"])
    for ref in refs + ([baseline] if baseline else []):
        load_prompt(ref)
    return [baseline, *refs] if baseline and baseline not in refs else refs


def evaluate_versions(prompts: Sequence[str] | None, *, baseline: str | None, dataset: Path | None, mode: str,
                      choice: BackendChoice, recordings_dir: Path | None, concurrency: int = 4,
                      split: str = "all", judge: str | None = None,
                      story_prompts: Sequence[str] | None = None) -> EvalResult:
    """`summarize eval` as one call: every version over the gold set, each
    merge version over the gold stories (from the reference version's answers),
    and with `judge`, that model's pairwise verdicts against the reference."""
    refs = eval_refs(prompts, baseline)
    dataset = dataset or default_dataset()
    if not dataset.is_file():
        raise FileNotFoundError(2, "no such dataset", str(dataset))
    recordings_dir = recordings_dir or dataset.parent / "recordings"
    with open_eval_caller(mode, model=choice.model, backend=choice.backend, recordings_dir=recordings_dir) as caller:
        result = run_eval(dataset, refs, caller, mode=mode, concurrency=concurrency, split=split)
        result.reference = baseline
        result.stories = evaluate_stories(result, caller, story_prompts)
    if judge:
        with open_eval_caller(mode, model=judge, backend=choice.backend, recordings_dir=recordings_dir) as caller:
            result.judgments = judge_all(result, caller)
    return result


def evaluate_stories(result: EvalResult, caller: StructuredCaller, refs: Sequence[str] | None) -> list:
    reference = result.reference_column()
    if reference is None or not reference.summaries:
        return []
    groups = gold_story_groups(result.gold, result.cleaned, reference.summaries)
    if not groups:
        return []
    refs = list(refs or [p.ref for p in list_prompts() if p.name == "story"])
    extractive = extracts(load_prompt(reference.name))
    return [evaluate_story_version(ref, groups, caller, extractive) for ref in refs]


def judge_all(result: EvalResult, caller: StructuredCaller) -> list[Judgment]:
    reference = result.reference_column()
    if reference is None:
        return []
    prompt = load_prompt(JUDGE_PROMPT)
    return [judge_versions(caller, prompt, result.cleaned, (c.name, c.articles), (reference.name, reference.articles))
            for c in result.columns if c.name not in (reference.name, LEAD_BASELINE)]


def missing_answers(result: EvalResult) -> int:
    """Per-article answers a replay lacked. Merges not recorded show in the
    story table (merge_failed) without failing the run: they follow from the
    answers, and are recorded with them by --record."""
    return sum(c.metrics.get("not_recorded") or 0 for c in result.columns)
