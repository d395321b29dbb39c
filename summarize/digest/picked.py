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
from summarize.text.normalize import number_mentions


@dataclass(frozen=True)
class ReportSentence:
    number: int
    text: str
    outlet: str
    report_text: str  # the whole article, for the figures only some reports give


def numbered_reports(reports: Sequence[tuple[str, str, str]]) -> tuple[str, list[ReportSentence]]:
    """The prompt's view of the reports, one numbered sentence a line, and
    the sentences; `reports` are (outlet, TLDR, whole article text)."""
    lines: list[str] = []
    sentences: list[ReportSentence] = []
    for index, (outlet, tldr, text) in enumerate(reports, 1):
        lines.append(f"Report {index}" + (f" — outlet: {outlet}" if outlet else ""))
        for sentence in split_sentences(tldr):
            sentences.append(ReportSentence(len(sentences) + 1, sentence.strip(), outlet, text))
            lines.append(f"[{len(sentences)}] {sentence.strip()}")
        lines.append("")
    return "\n".join(lines).strip(), sentences


def picked_story(chosen: Sequence[int], sentences: Sequence[ReportSentence], max_words: int) -> str:
    """The chosen sentences in the order picked, each once, within `max_words`
    (a later pick that does not fit is left out, never cut), with the outlet
    after a figure only some reports give."""
    by_number = {s.number: s for s in sentences}
    everywhere = set.intersection(*({m.value for m in number_mentions(s.report_text) if m.kind == "count"}
                                    for s in sentences)) if sentences else set()
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
    own = {m.value for m in number_mentions(sentence.text) if m.kind == "count"}
    if not sentence.outlet or not own - everywhere or sentence.outlet in sentence.text:
        return sentence.text
    text = sentence.text.rstrip()
    end = len(text.rstrip(".!?…\"'“”»«’"))
    return f"{text[:end]} ({sentence.outlet}){text[end:]}"
