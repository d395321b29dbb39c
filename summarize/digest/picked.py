"""A story told with its reports' own sentences (`story_pick` prompt versions).

A small model that merges several reports in writing mixes their languages
and gets German cases wrong; it picks well. The tool numbers the sentences
of the reports' TLDRs, the model picks the ones that tell the event best
(an enum of the numbers in the request's schema), and the tool puts them
together and names the outlet after a figure that not every report gives.
Nothing is written that a report did not say.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from summarize.clean.boilerplate import split_sentences
from summarize.digest.language import counts_of


@dataclass(frozen=True)
class ReportSentence:
    number: int
    text: str
    outlet: str


def numbered_reports(reports: Sequence[tuple[str, str]]) -> tuple[str, list[ReportSentence]]:
    """The prompt's view of the reports, one numbered sentence a line, and
    the sentences; `reports` are (outlet, TLDR)."""
    lines: list[str] = []
    sentences: list[ReportSentence] = []
    for index, (outlet, tldr) in enumerate(reports, 1):
        lines.append(f"Report {index}" + (f" — outlet: {outlet}" if outlet else ""))
        for sentence in split_sentences(tldr):
            sentences.append(ReportSentence(len(sentences) + 1, sentence.strip(), outlet))
            lines.append(f"[{len(sentences)}] {sentence.strip()}")
        lines.append("")
    return "\n".join(lines).strip(), sentences


def picked_story(chosen: Sequence[int], sentences: Sequence[ReportSentence], max_words: int,
                 everywhere: set[str]) -> str:
    """The chosen sentences in the order picked, each once, within `max_words`
    (a later pick that does not fit is left out, never cut), with the outlet
    after a figure not in `everywhere`, the counts every report gives
    (`language.counts_in_every` of the reports' whole texts)."""
    by_number = {s.number: s for s in sentences}
    kept: list[str] = []
    seen: set[str] = set()
    words = 0
    for number in chosen:
        sentence = by_number.get(number)
        if sentence is None or sentence.text in seen:
            continue
        text = _with_outlet(sentence, everywhere)
        length = len(text.split())
        if kept and words + length > max_words:
            continue
        seen.add(sentence.text)
        kept.append(text)
        words += length
    return " ".join(kept)


def _with_outlet(sentence: ReportSentence, everywhere: set[str]) -> str:
    """"… 15 Staaten teilnehmen (zeit.de)." where not every report has the 15."""
    if not sentence.outlet or not counts_of(sentence.text) - everywhere or sentence.outlet in sentence.text:
        return sentence.text
    text = sentence.text.rstrip()
    end = len(text.rstrip(".!?…\"'“”»«’"))
    return f"{text[:end]} ({sentence.outlet}){text[end:]}"
