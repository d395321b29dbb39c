"""Measuring one TLDR against its source and a reference, and the lead baseline.

`tldr_metrics` scores a single answer; every value is a number, a bool or
None, so rows can be averaged with `metrics.aggregate`. None means "does not
apply" (no reference, an empty TLDR, a TLDR that names nothing) and is left
out of averages rather than counted as zero.

Faithfulness follows the entity-level measure of Nan et al. (2021,
"Entity-level Factual Consistency of Abstractive Text Summarization"):
prec_s is the share of the summary's named entities that occur in the source.
Names are found with the same rules `tldr_check` uses to flag a TLDR, so the
metric and the pipeline's own check never disagree about what a name is.

ROUGE comes from the `rouge_score` package with a tokenizer of our own: its
default one keeps only ASCII letters, which would cut "Präsident" into
"pr" and "sident" and score German text on fragments.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rouge_score.rouge_scorer import RougeScorer

from summarize.clean import langid
from summarize.clean.boilerplate import split_sentences
from summarize.evaluate.cleanscore import same_title
from summarize.ground.checks import check_tldr, name_candidates
from summarize.ground.lexicon import is_common_noun_shaped, is_temporal_word
from summarize.llm.prompts import LANGUAGE_NAMES
from summarize.text.normalize import fold, stem, word_tokens

ROUGE_TYPES = ("rouge1", "rouge2", "rougeL")

_ROUGE_WORD = re.compile(r"[^\W_]+")


class FoldingTokenizer:
    """Words for ROUGE: case and diacritics folded ("Präsident" → "prasident"),
    split at every non-word character, optionally reduced with the light
    stemmer of `textnorm` so "Verhandlungen" meets "Verhandlung"."""

    def __init__(self, stemmed: bool = True):
        self.stemmed = stemmed

    def tokenize(self, text: str) -> list[str]:
        words = _ROUGE_WORD.findall(fold(text))
        return [stem(word) for word in words] if self.stemmed else words


@lru_cache(maxsize=2)
def _scorer(stemmed: bool) -> RougeScorer:
    return RougeScorer(list(ROUGE_TYPES), tokenizer=FoldingTokenizer(stemmed))


def rouge_scores(candidate: str, reference: str, *, stemmed: bool = True) -> dict[str, float]:
    """ROUGE-1, ROUGE-2 and ROUGE-L F-measures of `candidate` against `reference`."""
    scores = _scorer(stemmed).score(reference, candidate)
    return {name: round(scores[name].fmeasure, 4) for name in ROUGE_TYPES}


# Fewer words than this carry too few character n-grams to tell a language.
_MIN_WORDS_FOR_LANGUAGE = 3


def tldr_language(text: str, expected: str | None = None) -> str | None:
    """The language of a short text among those a prompt can ask for (and
    `expected`), or None for fewer than three words.

    Unrestricted, py3langid calls a short German sentence Frisian or Slovak
    as readily as German; choosing among the languages a TLDR may be written
    in keeps a correct answer from failing on a dialect it was never asked for.
    """
    if len(word_tokens(text)) < _MIN_WORDS_FOR_LANGUAGE:
        return None
    allowed = set(LANGUAGE_NAMES) | ({expected} if expected else set())
    return next((code for code, _ in langid.rank(text) if code in allowed), None)


def tldr_names(text: str) -> list[str]:
    """The names a TLDR mentions, as `tldr_check` sees them, each once.

    A run of capitalised German nouns counts only if one of its words is not
    an ordinary noun, the rule `tldr_check.names_not_in_source` applies
    before it flags a run.
    """
    names = [" ".join(words) for words in name_candidates(text)
             if len(words) == 1 or any(not is_common_noun_shaped(word) for word in words)]
    return list(dict.fromkeys(names))


def entity_precision_source(tldr: str, source: str) -> float | None:
    """prec_s of Nan et al. (2021): the share of the TLDR's names found in the
    source, or None when the TLDR names nothing."""
    return _share_in_source(tldr_names(tldr), check_tldr(tldr, source).names_not_in_source)


def _share_in_source(names: list[str], missing: list[str]) -> float | None:
    if not names:
        return None
    absent = set(missing)
    return round(sum(1 for name in names if name not in absent) / len(names), 4)


def tldr_metrics(tldr: str, source: str, reference: str | None, language: str, max_words: int) -> dict:
    """Everything measured about one TLDR.

    - language / language_ok: the TLDR's language (see `tldr_language`), and
      whether it is `language` (False when the TLDR is too short to tell)
    - words, within_limit: word count, and whether it is at most `max_words`
    - novel_bigrams: share of the TLDR's word bigrams not in the source
    - copied: `check_tldr` flags the TLDR as a near-copy of the source
    - entity_precision_source: prec_s, see `entity_precision_source`
    - names_not_in_source, numbers_not_in_source: how many of each
    - all_names_numbers_in_source: neither count is above zero
    - rouge1, rouge2, rougeL: F-measures against `reference` (None without one)
    - compression: TLDR words divided by source words (see also
      `faithful_compression`)
    - flags: the flags of `check_tldr`, for reports (not a number)

    An empty TLDR has no language, copy or faithfulness values (None): it is
    a failed answer, which the failure rate counts, not an unfaithful one.
    """
    check = check_tldr(tldr, source, max_words=max_words)
    source_words = len(word_tokens(source))
    has_reference = reference is not None and bool(reference.strip())
    if "empty" in check.flags:
        return {
            "language": None, "language_ok": False, "words": 0, "within_limit": True,
            "novel_bigrams": None, "copied": False, "entity_precision_source": None,
            "names_not_in_source": 0, "numbers_not_in_source": 0, "all_names_numbers_in_source": None,
            **({name: 0.0 for name in ROUGE_TYPES} if has_reference else dict.fromkeys(ROUGE_TYPES)),
            "compression": 0.0 if source_words else None, "flags": check.flags,
        }
    detected = tldr_language(tldr, language)
    return {
        "language": detected,
        "language_ok": detected == language,
        "words": check.words,
        "within_limit": check.words <= max_words,
        "novel_bigrams": check.novel_bigram_share,
        "copied": "copied" in check.flags,
        "entity_precision_source": _share_in_source(tldr_names(tldr), check.names_not_in_source),
        "names_not_in_source": len(check.names_not_in_source),
        "numbers_not_in_source": len(check.numbers_not_in_source),
        "all_names_numbers_in_source": not (check.names_not_in_source or check.numbers_not_in_source),
        **(rouge_scores(tldr, reference) if has_reference else dict.fromkeys(ROUGE_TYPES)),
        "compression": round(check.words / source_words, 4) if source_words else None,
        "flags": check.flags,
    }


def faithful_compression(row: dict) -> float:
    """Compression that keeps faithfulness, for one `tldr_metrics` row:
    1 − compression when every name and number of the TLDR is in the source
    and the TLDR is in the asked language, else 0 (also for an article
    without a TLDR). The lead baseline is faithful by construction, so a
    model beats it only by being shorter without inventing anything."""
    faithful = row.get("all_names_numbers_in_source") and row.get("language_ok")
    compression = row.get("compression")
    return round(1.0 - compression, 4) if faithful and compression is not None else 0.0


# --- the lead baseline -------------------------------------------------------

# A line this short and without a full stop is a headline or subheading
# rather than text. Teasers without a full stop ("Die USA haben
# ... beraten") run longer.
_HEADING_MAX_WORDS = 20
_SENTENCE_END = re.compile(r"[.!…:;][\"'“”»«’)]*$")
_ORDINAL_END = re.compile(r"\b\d{1,2}\.$")


def _is_heading(line: str) -> bool:
    return len(line.split()) <= _HEADING_MAX_WORDS and not _SENTENCE_END.search(line)


def _sentences(paragraph: str) -> list[str]:
    """Sentences of a paragraph, keeping German dates whole: the splitter
    ends a sentence at "am 3." before "Jänner"."""
    merged: list[str] = []
    for sentence in split_sentences(paragraph):
        if merged and _ORDINAL_END.search(merged[-1]) and is_temporal_word(sentence.split()[0]):
            merged[-1] = f"{merged[-1]} {sentence}"
        else:
            merged.append(sentence)
    return merged


def lead_baseline(text: str, n: int = 3, *, title: str | None = None) -> str:
    """The first `n` sentences of an article's text, the classic lead-n baseline.

    Cleaned text starts with the headline line when the page had one. That
    line is skipped when it equals `title` or looks like a heading (short,
    no full stop), and so are subheadings further down; a text of nothing but
    such lines is taken as it is.
    """
    lines = [" ".join(line.split()) for line in text.splitlines() if line.strip()]
    if len(lines) > 1 and title and same_title(lines[0], title):
        lines = lines[1:]
    lines = [line for line in lines if not _is_heading(line)] or lines
    sentences: list[str] = []
    for line in lines:
        if len(sentences) >= n:
            break
        sentences.extend(_sentences(line))
    return " ".join(sentences[:n])
