"""Send the model less than the whole article: its lead and the sentences
that carry the rest of its names and numbers.

A TLDR of 40 words needs the event (news text states it first) and the names
and figures the answer's entity list and key facts are drawn from; the
paragraphs of background and quotes that repeat them cost prompt tokens and,
on a local model, seconds of prefill. A prompt version asks for this with an
`[input]` table (`keep_share`, `min_tokens`, `max_tokens`); every check of the answer still
runs against the whole article.

Pure functions; the token counts are tiktoken's (`summarize.text.tokens`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from summarize.llm.chunk import split_sentences
from summarize.text.normalize import Token, fold, tokenize
from summarize.text.tokens import count_tokens

# Of the budget, the share reserved for the lead, taken in reading order; the
# rest goes to the sentences that add the most names and numbers not yet kept.
LEAD_SHARE = 0.5


@dataclass(frozen=True)
class InputBudget:
    keep_share: float  # of the article's tokens
    min_tokens: int  # an article this short is sent whole
    max_tokens: int | None = None  # at most this much of any article

    def tokens_for(self, total: int) -> int:
        tokens = max(self.min_tokens, round(total * self.keep_share))
        return tokens if self.max_tokens is None else min(tokens, self.max_tokens)


@dataclass(frozen=True)
class _Sentence:
    paragraph: int
    text: str
    tokens: int
    terms: frozenset[str]


def key_terms(sentence: str) -> frozenset[str]:
    """Numbers, and capitalised words that do not open the sentence: names,
    and in German also the nouns that say what the sentence is about."""
    return _terms(tokenize(sentence))


def _terms(tokens: Sequence[Token]) -> frozenset[str]:
    """`key_terms` of a sentence's tokens; its first token opens it."""
    return frozenset(
        fold(token.text) for index, token in enumerate(tokens)
        if any(map(str.isdigit, token.text))
        or (token.capitalised and not token.sentence_initial and index > 0)
    )


def _sentences(text: str, tokens: Sequence[Token] | None = None) -> list[_Sentence]:
    """The text's sentences by paragraph. With the text's `tokens` (the
    grounding index has them), each sentence's terms come from its share of
    them instead of tokenizing it again: a token never spans the whitespace
    between sentences, so its share is what tokenizing it alone gives, but
    for the first token, which opens the sentence."""
    found = []
    position = first = 0
    for number, paragraph in enumerate(p for p in re.split(r"\n\s*\n", text) if p.strip()):
        for sentence in split_sentences(paragraph):
            start = text.find(sentence, position) if tokens is not None else -1
            if start < 0:
                terms = key_terms(sentence)
            else:
                position = start + len(sentence)
                while first < len(tokens) and tokens[first].start < start:
                    first += 1
                last = first
                while last < len(tokens) and tokens[last].end <= position:
                    last += 1
                terms = _terms(tokens[first:last])
                first = last
            found.append(_Sentence(number, sentence, count_tokens(sentence), terms))
    return found


def condense(text: str, budget: InputBudget, tokens: Sequence[Token] | None = None) -> str:
    """`text` cut to about `budget.tokens_for(its tokens)`: the lead in order,
    then, greedily, the sentence adding most new key terms per token, kept in
    the article's order and paragraphs. The text itself when it fits.
    `tokens`, when given, are `tokenize(text)`'s."""
    total = count_tokens(text)
    limit = budget.tokens_for(total)
    if total <= limit:
        return text
    sentences = _sentences(text, tokens)
    kept: set[int] = set()
    used = 0
    for index, sentence in enumerate(sentences):
        if kept and used + sentence.tokens > limit * LEAD_SHARE:
            break
        kept.add(index)
        used += sentence.tokens
    covered = frozenset().union(*(sentences[i].terms for i in kept))
    while True:
        best, best_value = None, 0.0
        for index, sentence in enumerate(sentences):
            if index in kept or used + sentence.tokens > limit:
                continue
            value = len(sentence.terms - covered) / max(1, sentence.tokens)
            if value > best_value:  # ties keep the earlier sentence
                best, best_value = index, value
        if best is None:
            break
        kept.add(best)
        used += sentences[best].tokens
        covered |= sentences[best].terms
    return _join([sentences[i] for i in sorted(kept)])


def _join(sentences: list[_Sentence]) -> str:
    paragraphs: list[list[str]] = []
    last = None
    for sentence in sentences:
        if sentence.paragraph != last:
            paragraphs.append([])
            last = sentence.paragraph
        paragraphs[-1].append(sentence.text)
    return "\n\n".join(" ".join(p) for p in paragraphs)
