"""Deterministic repairs of a model's TLDR before anyone reads it.

A small model's TLDR fails in two ways a rule can fix without another call:

- it ends in a fragment, because the prompt's character bound stopped the
  decoder mid-sentence; Qwen2.5 then often emits a stray CJK token right at
  the cut ("Sicherheitsgar抗"), which is removed from a TLDR of an article
  written without CJK characters;
- one of its sentences names a person or number the article does not have,
  often lifted from a worked example in the prompt.

A cut-off TLDR of one sentence keeps its complete clauses, marked "…".
Unsupported sentences are dropped only when a supported sentence remains; a TLDR
with nothing left to keep is returned as it is, and its flags then tell the
reader what is wrong with it. Dropped sentences are returned, never lost.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from summarize.clean.boilerplate import split_sentences
from summarize.ground.checks import names_not_in_source, numbers_not_in_source
from summarize.ground.source_index import SourceIndex, source_index

_SENTENCE_END = re.compile(r"[.!?…][\"'“”»«’)]*$")
# Han, kana and hangul: never part of a TLDR of a Latin- or Cyrillic-script article.
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uf900-\ufaff]")


@dataclass
class RepairedTldr:
    text: str
    dropped: list[str] = field(default_factory=list)


def repair_tldr(tldr: str, source: str) -> RepairedTldr:
    """`tldr` without a trailing fragment and without sentences that name what
    `source` lacks, as long as one complete supported sentence is left."""
    if not _CJK.search(source):
        tldr = _CJK.sub("", tldr)
    sentences = split_sentences(" ".join(tldr.split()))
    if not sentences:
        return RepairedTldr(tldr)
    dropped: list[str] = []
    if len(sentences) > 1 and _is_fragment(sentences[-1]):
        dropped.append(sentences.pop())
    elif len(sentences) == 1 and _is_fragment(sentences[0]):
        kept, cut = _cut_at_last_clause(sentences[0])
        if cut:
            sentences, dropped = [kept], [cut]
    index = source_index(source)
    supported = [s for s in sentences if _names_only_what_source_has(s, index)]
    if not supported:
        return RepairedTldr(" ".join(sentences), dropped)
    dropped.extend(s for s in sentences if s not in supported)
    return RepairedTldr(" ".join(supported), dropped)


# A cut-off single sentence keeps its complete clauses if they are at least
# this share of it; less would leave a stub.
_MIN_KEPT_SHARE = 0.4
_CLAUSE_BREAK = re.compile(r"[,;](?=\s)")  # not the decimal comma of "4,6"


def _cut_at_last_clause(sentence: str) -> tuple[str, str]:
    """(the sentence up to its last comma or semicolon, marked "…" as
    shortened; the rest), or (sentence, "") when that would keep too little."""
    boundaries = [m.start() for m in _CLAUSE_BREAK.finditer(sentence)]
    if not boundaries or boundaries[-1] < _MIN_KEPT_SHARE * len(sentence):
        return sentence, ""
    return sentence[:boundaries[-1]].rstrip() + " …", sentence[boundaries[-1] + 1:].strip()


def _is_fragment(sentence: str) -> bool:
    """A cut-off last sentence: one without closing punctuation."""
    return not _SENTENCE_END.search(sentence)


def supported_facts(facts: list[str], source: str) -> list[str]:
    """The key facts that name nothing the source lacks."""
    index = source_index(source)
    return [f for f in facts if _names_only_what_source_has(f, index)]


def _names_only_what_source_has(text: str, index: SourceIndex) -> bool:
    return not (names_not_in_source(text, index) or numbers_not_in_source(text, index))
