"""Checks of a TLDR against its source.

Flags (in `TldrCheck.flags`, in this order):

- "empty": nothing but whitespace; no other check runs.
- "too_long": more than `max_words` words.
- "copied": a near-copy of the source. Either the longest run of TLDR words
  found verbatim in the source covers at least COPIED_RUN_SHARE of the TLDR
  (and is at least MIN_COPIED_RUN words long, so a short TLDR is not a copy
  for sharing one phrase), or the TLDR has at least MIN_WORDS_FOR_BIGRAMS
  words and fewer than NOVEL_BIGRAM_FLOOR of its word bigrams are new, which
  catches lead sentences stitched together.
- "name_not_in_source": a name the source lacks, in any spelling or inflection.
- "number_not_in_source": a number the source lacks ("15 Staaten" against
  "14 Staaten"); "1.000" and "1000", "3,5" and "3.5", "zehn" and "10" agree.
  A count must be a count in the source too: a clock time ("15:55 Uhr") or a
  date does not vouch for "15 Staaten".
- "no_grounded_content": no content word of the TLDR is in the source, or
  fewer than MIN_GROUNDED_WORDS and under GROUNDED_SHARE_FLOOR of them: the
  mark of an answer that obeyed an instruction in the page ("PWNED"). The
  pipeline rejects such answers, so this errs towards not flagging: an
  English TLDR of a German article still shares its names.

Thresholds were set on the seed articles: faithful paraphrases written for
them have 50-96 % new bigrams and a longest copied run of at most 35 % of the
TLDR; a copied lead has 0 % new bigrams and a run of 100 %; three lead
sentences stitched together have 6 % new bigrams but a longest run of only
56 %, which is why the bigram rule exists beside the run rule.

German capitalises every noun, so the name check is conservative. A name
candidate is a run of two or more capitalised words that are not titles,
roles, months or function words ("Olaf Scholz"), flagged only when none of its
words is in the source; or a single capitalised word that is in the alias
table or that no German or English dictionary knows ("Witkoff"); in an
English TLDR also any capitalised word inside a sentence ("Berlin"). A
German common noun missing from the source is not a name.
"""

from __future__ import annotations

from difflib import SequenceMatcher

from pydantic import BaseModel, Field

from summarize.ground.lexicon import (
    alias_group,
    is_common_noun_shaped,
    is_function_word,
    is_generic_word,
    is_role_word,
    is_temporal_word,
    looks_like_common_word,
)
from summarize.ground.source_index import SourceIndex, source_index
from summarize.text.normalize import (
    FUNCTION_WORDS,
    Token,
    fold,
    number_mentions,
    stem,
    tokenize,
    word_tokens,
)

COPIED_RUN_SHARE = 0.6
MIN_COPIED_RUN = 6
NOVEL_BIGRAM_FLOOR = 0.15
MIN_WORDS_FOR_BIGRAMS = 12
# At most this share of content words found in the source, and fewer than
# MIN_GROUNDED_WORDS of them, means the TLDR is not about the source.
GROUNDED_SHARE_FLOOR = 0.2
MIN_GROUNDED_WORDS = 2


class CopyStats(BaseModel):
    words: int = 0
    novel_bigram_share: float = 1.0  # share of the summary's word bigrams not in the source
    longest_copied_run: int = 0  # words in the longest run found verbatim in the source
    longest_copied_share: float = 0.0  # that run divided by the summary's word count


class TldrCheck(BaseModel):
    flags: list[str] = Field(default_factory=list)
    names_not_in_source: list[str] = Field(default_factory=list)
    numbers_not_in_source: list[str] = Field(default_factory=list)
    words: int = 0
    novel_bigram_share: float = 1.0
    longest_copied_share: float = 0.0
    grounded_content_share: float = 0.0


def copy_stats(summary: str, source: str) -> CopyStats:
    """How much of `summary` is taken word for word from `source` (case- and
    diacritic-insensitive, punctuation ignored)."""
    return _copy_stats(word_tokens(summary), word_tokens(source))


def _copy_stats(words: list[str], source_words: list[str]) -> CopyStats:
    if not words:
        return CopyStats()
    bigrams = list(zip(words, words[1:]))
    source_bigrams = set(zip(source_words, source_words[1:]))
    novel = sum(1 for b in bigrams if b not in source_bigrams) / len(bigrams) if bigrams else 1.0
    run = SequenceMatcher(None, words, source_words, autojunk=False).find_longest_match(
        0, len(words), 0, len(source_words)).size
    return CopyStats(words=len(words), novel_bigram_share=round(novel, 4), longest_copied_run=run,
                     longest_copied_share=round(run / len(words), 4))


def is_copied(stats: CopyStats) -> bool:
    if stats.longest_copied_run >= MIN_COPIED_RUN and stats.longest_copied_share >= COPIED_RUN_SHARE:
        return True
    return stats.words >= MIN_WORDS_FOR_BIGRAMS and stats.novel_bigram_share < NOVEL_BIGRAM_FLOOR


def check_tldr(tldr: str, source: str, *, max_words: int = 60) -> TldrCheck:
    if not tldr.strip():
        return TldrCheck(flags=["empty"])
    index = source_index(source)
    stats = _copy_stats(word_tokens(tldr), index.folded)
    names = names_not_in_source(tldr, index)
    numbers = numbers_not_in_source(tldr, index)
    grounded_share, grounded_count = grounded_content(tldr, index)
    flags = []
    if stats.words > max_words:
        flags.append("too_long")
    if is_copied(stats):
        flags.append("copied")
    if names:
        flags.append("name_not_in_source")
    if numbers:
        flags.append("number_not_in_source")
    if not _is_grounded(grounded_share, grounded_count):
        flags.append("no_grounded_content")
    return TldrCheck(flags=flags, names_not_in_source=names, numbers_not_in_source=numbers, words=stats.words,
                     novel_bigram_share=stats.novel_bigram_share, longest_copied_share=stats.longest_copied_share,
                     grounded_content_share=round(grounded_share, 4))


def has_grounded_content(tldr: str, source: str) -> bool:
    """The "no_grounded_content" test of `check_tldr` alone, for checking
    every answer before it is accepted."""
    return _is_grounded(*grounded_content(tldr, source_index(source)))


def _is_grounded(share: float, count: int) -> bool:
    return count > 0 and not (share < GROUNDED_SHARE_FLOOR and count < MIN_GROUNDED_WORDS)


# Which kinds of source number vouch for a kind of TLDR number: a count only
# by a count, so "15:55 Uhr" does not ground "15 Staaten"; a date, time or
# year also by a bare number ("am 3." grounds "3. Januar").
_GROUNDING_KINDS = {"count": {"count"}, "year": {"year", "count"}, "date": {"date", "count"},
                    "time": {"time", "count"}}


def numbers_not_in_source(text: str, index: SourceIndex) -> list[str]:
    known = {(m.value, m.kind) for m in index.numbers}
    missing: list[str] = []
    for mention in number_mentions(text):
        grounded = any((mention.value, kind) in known for kind in _GROUNDING_KINDS[mention.kind])
        if not grounded and mention.value not in missing:
            missing.append(mention.value)
    return missing


def grounded_content(text: str, index: SourceIndex) -> tuple[float, int]:
    """(share, count) of the text's content words that occur in the source,
    up to inflection or as an alias-table variant of a source name."""
    source_stems = index.content_stems
    words = [t.text for t in tokenize(text)
             if fold(t.text) not in FUNCTION_WORDS and (len(t.text) >= 3 or t.text.isdigit())]
    if not words:
        return 0.0, 0
    grounded = sum(1 for w in words if stem(w) in source_stems
                   or (alias_group(w) is not None and index.find_name(w) is not None))
    return grounded / len(words), grounded


# --- names -------------------------------------------------------------------


def names_not_in_source(text: str, index: SourceIndex) -> list[str]:
    missing: list[str] = []
    for candidate in name_candidates(text):
        if len(candidate) >= 2:
            # A run of German nouns ("Ukraine Schutz") is a name only if some
            # word is not an ordinary noun, and it is vouched for by any word.
            name_like = any(not is_common_noun_shaped(w) for w in candidate)
            if name_like and not any(_in_source(w, index) for w in candidate):
                missing.append(" ".join(candidate))
        elif not _in_source(candidate[0], index) and fold(candidate[0]) not in index.lowercase_words:
            # A word the source writes in lower case is an ordinary word of its
            # language, capitalised in the TLDR only to start a sentence ("Grève").
            missing.append(candidate[0])
    return list(dict.fromkeys(missing))


def _in_source(word: str, index: SourceIndex) -> bool:
    if index.find_name(word) is not None:
        return True
    # A place adjective names its place: "Kiewer", "Moskauer", "Pariser".
    return fold(word).endswith("er") and len(word) > 5 and index.find_name(word[:-2]) is not None


def name_candidates(text: str) -> list[list[str]]:
    """Words of the text that may be names: runs of capitalised name words
    (["Olaf", "Scholz"]) and single words that look like names (["Witkoff"]).

    English capitalises names only, so there any capitalised word inside a
    sentence is a candidate; German capitalises every noun, so there a single
    word must be unknown to the dictionary or listed in the alias table.
    """
    capitalised_means_name = _looks_english(text)
    candidates: list[list[str]] = []
    run: list[Token] = []

    def close_run() -> None:
        if len(run) >= 2:
            candidates.append([t.text for t in run])
        elif run and (_looks_like_single_name(run[0].text)
                      or (capitalised_means_name and not run[0].sentence_initial)):
            candidates.append([run[0].text])
        run.clear()

    for token in tokenize(text):
        if "-" in token.text:
            close_run()
            candidates.extend([part] for part in token.parts
                              if _is_name_word(part) and _looks_like_single_name(part))
            continue
        if not _is_name_word(token.text):
            close_run()
            continue
        if run and token.after_break:
            close_run()
        run.append(token)
    close_run()
    return candidates


_ENGLISH_MARKERS = frozenset("the of and to is was were with for on from by at after has have its their".split())
_GERMAN_MARKERS = frozenset("der die das und ist sind mit von den dem des ein eine im zu auf sich nach".split())


def _looks_english(text: str) -> bool:
    words = [fold(t.text) for t in tokenize(text)]
    return sum(w in _ENGLISH_MARKERS for w in words) > sum(w in _GERMAN_MARKERS for w in words)


def _is_name_word(word: str) -> bool:
    if not word[:1].isupper() or word[:1].isdigit():
        return False
    folded = fold(word)
    return not (folded in FUNCTION_WORDS or is_function_word(word) or is_role_word(word)
                or is_temporal_word(word) or (is_generic_word(word) and alias_group(word) is None))


def _looks_like_single_name(word: str) -> bool:
    return alias_group(word) is not None or not looks_like_common_word(word)
