"""Splitting an article that does not fit the model's context.

Chunks end on paragraph boundaries where possible and on sentence boundaries
otherwise, and each repeats the last sentences of the one before it so that a
fact straddling a boundary is seen whole at least once.
"""

from __future__ import annotations

import math
import re

from summarize.text.tokens import count_tokens

_SENTENCE_END = re.compile(r"(?<=[.!?…»“\"])\s+(?=[A-ZÄÖÜ0-9„\"«»])")


def split_sentences(paragraph: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(paragraph.strip()) if s]


def _units(text: str, budget: int) -> list[tuple[str, int]]:
    """Paragraphs, with any paragraph over the budget broken into sentences."""
    units = []
    for paragraph in re.split(r"\n\s*\n", text):
        paragraph = paragraph.strip()
        if not paragraph:
            continue
        tokens = count_tokens(paragraph)
        if tokens <= budget:
            units.append((paragraph, tokens))
            continue
        for sentence in split_sentences(paragraph):
            sentence_tokens = count_tokens(sentence)
            if sentence_tokens <= budget:
                units.append((sentence, sentence_tokens))
            else:  # a "sentence" longer than a chunk: cut by words
                words = sentence.split()
                step = max(1, len(words) * budget // sentence_tokens)
                for i in range(0, len(words), step):
                    piece = " ".join(words[i:i + step])
                    units.append((piece, count_tokens(piece)))
    return units


def split_for_context(text: str, budget: int, overlap: int = 120) -> list[str]:
    """One chunk when the text fits, else as few chunks of about equal size
    as the budget allows: a 1.1-budget article becomes two halves, not a full
    chunk and a scrap whose summary says little."""
    # A byte-level BPE token is at least one byte: a text of no more bytes
    # than the budget fits without being counted.
    if len(text.encode("utf-8")) <= budget:
        return [text]
    total = count_tokens(text)
    if total <= budget:
        return [text]
    overlap = min(overlap, budget // 4)
    pieces = math.ceil(total / (budget - overlap))
    budget = min(budget, math.ceil(total / pieces) + overlap + budget // 20)
    chunks: list[str] = []
    current: list[tuple[str, int]] = []
    size = 0
    for unit, tokens in _units(text, budget - overlap):
        if current and size + tokens > budget:
            chunks.append("\n\n".join(u for u, _ in current))
            current = _tail(current, overlap)
            size = sum(t for _, t in current)
        current.append((unit, tokens))
        size += tokens
    if current:
        chunks.append("\n\n".join(u for u, _ in current))
    return chunks


def _tail(units: list[tuple[str, int]], overlap: int) -> list[tuple[str, int]]:
    """The last sentences of a chunk, up to `overlap` tokens, to open the next."""
    if overlap <= 0 or not units:
        return []
    sentences = split_sentences(units[-1][0])
    kept: list[str] = []
    used = 0
    for sentence in reversed(sentences):
        tokens = count_tokens(sentence)
        if used + tokens > overlap:
            break
        kept.insert(0, sentence)
        used += tokens
    return [(" ".join(kept), used)] if kept else []
