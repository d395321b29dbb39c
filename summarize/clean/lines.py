"""Numbers that describe each line of a page dump, for the learned line model.

`unit_features` turns an analysed page (`layout.Layout`: its units, their
rule-based kinds, the headline and the rule-based body) into one row of
floats per unit. The rows hold what a reader sees at a glance: how long the
line is, whether it reads like sentences (function words, punctuation), how
it is capitalised, where on the page it stands and how far from the
headline, what the hand rules of `boilerplate` say about it, whether other
pages of the batch repeat it, whether it shares vocabulary with the rest of
the page, and the same for its neighbourhood. `context_features` adds, for
the second pass, what the first pass thought of the neighbours.

Feature names are part of the shipped model: the model file lists the names
it was trained with, and loading refuses a file whose names differ.
"""

from __future__ import annotations

import math
import re
from collections import Counter

import numpy as np

from summarize.clean.boilerplate import (
    ends_like_sentence,
    is_author_note,
    is_menu_line,
    is_tag_list,
    normalize,
    words,
)
from summarize.clean.layout import Layout
from summarize.clean.phrases import STOPWORDS

KINDS = ("prose", "short", "title", "meta", "chrome", "stop", "teaser")
REASONS = ("menu", "batch", "caption", "credit", "comments", "phrase", "copyright", "consent", "code",
           "breadcrumb", "pointer", "number", "app store", "inline related")

_BULLET = re.compile(r"^(?:[*+•·\-–—►▶▸›»>]|\d{1,3}[.)])\s")
_SENTENCE_STOP = re.compile(r"[.!?…][\"'“”»«’)\]]*(?:\s|$)")
_CLAUSE = re.compile(r"[,;:–—]")
_SEPARATORS = re.compile(r"\s[|•·/»›>]\s|\s{2,}")
_CONTACT = re.compile(r"https?://|www\.|[\w.+-]+@[\w-]+\.\w|(?<!\w)@\w{2,}|#\w{2,}")
_QUOTE = re.compile("[\"„“”«»‘’‚]")
_TIME = re.compile(r"\b\d{1,2}[:.]\d{2}\b")
_CJK_STOP = re.compile("[。！？]")
_CJK_CLAUSE = re.compile("[，、；：]")

# The commonest function words of languages the phrase lists do not cover (and
# of those they do, for the per-language share); the page's language is the
# list that covers most of its words.
FUNCTION_WORDS: dict[str, frozenset[str]] = {
    language: frozenset(text.split()) for language, text in {
        "de": "der die das den dem des ein eine einen einem einer und oder aber in im an am auf aus bei mit nach "
              "von vom zu zum zur für über ist sind war wird werden wurde hat haben sich nicht auch noch nur wie "
              "als wenn dass es er sie wir ich man so",
        "en": "the a an and or but of to in on at for with from by as is are was were be been has have had it its "
              "this that these which who not also will would can there their they he she we you",
        "fr": "le la les un une des du de et ou mais en dans sur pour par avec au aux est sont était ont été qui "
              "que ne pas il elle ils se ce cette son sa ses plus nous vous",
        "it": "il lo la gli le un una uno del della dei delle e o ma di da in nel nella per con su è sono era ha "
              "hanno che non si al alla come anche più",
        "es": "el la los las un una unos unas y o pero de en del al por para con es son fue ha han que no se su "
              "sus como más lo le",
        "pt": "o a os as um uma de do da dos das em no na nos nas e ou mas por para com é são foi que não se seu "
              "sua como mais ao à",
        "nl": "de het een en of maar van in op aan met voor door is zijn was werd wordt heeft hebben dat die niet "
              "ook er te bij als om",
        "pl": "i w na z do że się nie to jest o jak ale po co od za przez dla jego jej są był była by oraz czy",
        "sv": "och i att det som en på är av för med till den har de inte om ett var men från vid så kan",
        "da": "og i at det som en på er af for med til den har de ikke om et var men fra ved så kan",
        "cs": "a v na se je že s z do o k to jako ale by byl jsou pro od po jeho které",
        "tr": "ve bir bu da de için ile olarak gibi daha çok en ne o ama kadar sonra",
    }.items()
}

# Per-unit features, in column order.
UNIT_FEATURES: tuple[str, ...] = (
    "log_words", "log_chars", "word_length", "stopwords", "stopwords_vs_page", "clauses_per_word",
    "sentences", "ends_sentence", "ends_colon", "ends_question", "bullet", "capitalised", "upper_chars",
    "digits", "letters", "contact", "separators", "quotes", "starts_lower", "time",
    *(f"kind_{k}" for k in KINDS), *(f"reason_{r.replace(' ', '_')}" for r in REASONS),
    "menu_row", "tag_list", "author_note", "repeated", "batch", "blank_before", "wrapped",
    "rule_body", "rule_region",
    "position", "char_position", "chars_share", "after_title", "title_distance", "no_title",
    "title_words", "shared_words", "length_vs_page", "page_units", "page_covered",
    "prev_words", "next_words", "prev_stopwords", "next_stopwords", "prev_prose", "next_prose",
    "prose_share_3", "words_mean_3", "prose_chars_10", "run_share", "in_longest_run",
    "ends_ellipsis", "indent", "indent_vs_prose", "indent_step", "block_size", "block_prose", "block_words",
    "barriers_before", "barriers_after", "barrier_distance", "barrier_from_run",
    "function_words", "leading_capitals",
)

# Second-pass features: the first pass's scores around each unit.
CONTEXT_FEATURES: tuple[str, ...] = (
    "score", "score_prev", "score_next", "score_prev2", "score_next2", "score_mean_2", "score_mean_5",
    "score_mean_10", "score_max_3", "score_before_max", "score_after_max", "region", "region_distance",
    "region_share", "score_vs_region",
)

_KIND_COL = {k: UNIT_FEATURES.index(f"kind_{k}") for k in KINDS}
_REASON_COL = {r: UNIT_FEATURES.index(f"reason_{r.replace(' ', '_')}") for r in REASONS}


def _content_words(text: str) -> set[str]:
    return {w.lower() for w in words(text) if len(w) >= 4 and w.lower() not in STOPWORDS}


def _page_function_words(tokens: list[tuple[str, ...]]) -> frozenset[str]:
    """The function words of the language whose list covers most of the page's words."""
    counts: Counter[str] = Counter()
    for toks in tokens:
        if len(toks) >= 8:
            counts.update(t.lower() for t in toks)
    best = max(FUNCTION_WORDS, key=lambda language: sum(counts[w] for w in FUNCTION_WORDS[language]))
    return FUNCTION_WORDS[best]


def _window_mean(values: np.ndarray, radius: int) -> np.ndarray:
    """Mean over i-radius..i+radius, shrinking at the page's edges."""
    if not len(values):
        return values
    padded = np.concatenate(([0.0], np.cumsum(values)))
    n = len(values)
    lo = np.clip(np.arange(n) - radius, 0, n)
    hi = np.clip(np.arange(n) + radius + 1, 0, n)
    return (padded[hi] - padded[lo]) / (hi - lo)


def _shift(values: np.ndarray, by: int, fill: float) -> np.ndarray:
    out = np.full_like(values, fill)
    if by > 0:
        out[by:] = values[:-by]
    elif by < 0:
        out[:by] = values[-by:]
    else:
        out[:] = values
    return out


def _runs(kinds: list[str]) -> list[tuple[int, int]]:
    """Stretches of prose that only short lines interrupt (at most three in a row)."""
    runs: list[tuple[int, int]] = []
    start = last = None
    gap = 0
    for i, kind in enumerate(kinds):
        if kind == "prose":
            if start is None or gap > 3:
                if start is not None:
                    runs.append((start, last))
                start = i
            last, gap = i, 0
        elif kind in ("stop", "teaser", "title"):
            gap = 99
        else:
            gap += 1
    if start is not None:
        runs.append((start, last))
    return runs


def unit_features(layout: Layout, batch_lines: frozenset[str]) -> np.ndarray:
    """One row of `UNIT_FEATURES` per unit of the page."""
    units = layout.units
    n = len(units)
    x = np.zeros((n, len(UNIT_FEATURES)), dtype=np.float64)
    if not n:
        return x
    col = {name: i for i, name in enumerate(UNIT_FEATURES)}
    texts = [u.text for u in units]
    tokens = [words(t) for t in texts]
    n_words = np.array([len(t) for t in tokens], dtype=np.float64)
    n_chars = np.array([len(t) for t in texts], dtype=np.float64)
    stop = np.zeros(n)
    own = np.zeros(n)
    function_words = _page_function_words(tokens)
    vocab = [_content_words(t) for t in texts]
    frequency: Counter[str] = Counter()
    for v in vocab:
        frequency.update(v)
    title_vocab = vocab[layout.title] if layout.title is not None else set()
    body = set(layout.body)
    region = (layout.start, layout.end) if layout.body else (n, -1)
    for i, (text, toks) in enumerate(zip(texts, tokens)):
        row = x[i]
        unit = units[i]
        w = len(toks)
        lowered = [t.lower() for t in toks]
        stop[i] = sum(1 for t in lowered if t in STOPWORDS) / w if w else 0.0
        own[i] = sum(1 for t in lowered if t in function_words) / w if w else 0.0
        leading = 0
        for t in toks:
            if not (t[0].isupper() or t[0].isdigit() or len(t) <= 3):
                break
            leading += 1
        row[col["leading_capitals"]] = math.log1p(leading)
        letters = sum(c.isalpha() for c in text)
        stripped = text.rstrip()
        row[col["word_length"]] = min(sum(len(t) for t in toks) / w, 20.0) if w else 0.0
        clauses = len(_CLAUSE.findall(text)) + len(_CJK_CLAUSE.findall(text))
        row[col["clauses_per_word"]] = clauses / max(w, 1)
        row[col["sentences"]] = math.log1p(len(_SENTENCE_STOP.findall(text)) + len(_CJK_STOP.findall(text)))
        row[col["ends_sentence"]] = ends_like_sentence(text)
        row[col["ends_colon"]] = stripped.endswith(":")
        row[col["ends_question"]] = stripped.endswith("?")
        row[col["bullet"]] = bool(_BULLET.match(text))
        row[col["capitalised"]] = sum(1 for t in toks if t[0].isupper()) / w if w else 0.0
        row[col["upper_chars"]] = sum(c.isupper() for c in text) / letters if letters else 0.0
        row[col["digits"]] = sum(c.isdigit() for c in text) / max(len(text), 1)
        row[col["letters"]] = letters / max(len(text), 1)
        row[col["contact"]] = bool(_CONTACT.search(text))
        row[col["separators"]] = math.log1p(len(_SEPARATORS.findall(text)))
        row[col["quotes"]] = bool(_QUOTE.search(text))
        first_letter = next((c for c in text if c.isalpha()), "")
        row[col["starts_lower"]] = first_letter.islower()
        row[col["time"]] = bool(_TIME.search(text))
        row[col["ends_ellipsis"]] = stripped.endswith(("...", "…"))
        if unit.kind in _KIND_COL:
            row[_KIND_COL[unit.kind]] = 1.0
        if unit.reason in _REASON_COL:
            row[_REASON_COL[unit.reason]] = 1.0
        # The rules call a title-case row a menu only when it is long; the model sees every row.
        row[col["menu_row"]] = w >= 5 and is_menu_line(text)
        row[col["tag_list"]] = w <= 24 and is_tag_list(text)
        row[col["author_note"]] = w <= 45 and is_author_note(text)
        row[col["repeated"]] = unit.repeated
        row[col["batch"]] = w < 12 and normalize(text) in batch_lines
        row[col["blank_before"]] = unit.blank_before
        row[col["wrapped"]] = unit.sources > 1
        row[col["rule_body"]] = i in body
        row[col["rule_region"]] = region[0] <= i <= region[1]
        v = vocab[i]
        if v:
            row[col["title_words"]] = len(v & title_vocab) / len(v) if i != layout.title else 0.0
            row[col["shared_words"]] = sum(1 for t in v if frequency[t] > 1) / len(v)
    log_words = np.log1p(n_words)
    log_chars = np.log1p(n_chars)
    x[:, col["log_words"]] = log_words
    x[:, col["log_chars"]] = log_chars
    x[:, col["stopwords"]] = stop
    x[:, col["function_words"]] = own
    long_lines = stop[n_words >= 12]
    # Relative to the page's own prose, so that a language without a stop-word list still has a scale.
    reference = float(np.percentile(long_lines, 75)) if len(long_lines) else 0.0
    x[:, col["stopwords_vs_page"]] = stop / reference if reference > 0 else 0.0
    covered = float(long_lines.mean()) >= 0.08 if len(long_lines) else True
    total_chars = max(float(n_chars.sum()), 1.0)
    positions = np.arange(n, dtype=np.float64)
    x[:, col["position"]] = positions / max(n - 1, 1)
    x[:, col["char_position"]] = (np.cumsum(n_chars) - n_chars) / total_chars
    x[:, col["chars_share"]] = n_chars / total_chars
    if layout.title is None:
        x[:, col["no_title"]] = 1.0
    else:
        offset = positions - layout.title
        x[:, col["after_title"]] = offset > 0
        x[:, col["title_distance"]] = np.sign(offset) * np.log1p(np.abs(offset))
    x[:, col["length_vs_page"]] = log_chars - float(np.median(log_chars))
    x[:, col["page_units"]] = math.log1p(n)
    x[:, col["page_covered"]] = covered
    prose = x[:, _KIND_COL["prose"]]
    x[:, col["prev_words"]] = _shift(log_words, 1, 0.0)
    x[:, col["next_words"]] = _shift(log_words, -1, 0.0)
    x[:, col["prev_stopwords"]] = _shift(stop, 1, 0.0)
    x[:, col["next_stopwords"]] = _shift(stop, -1, 0.0)
    x[:, col["prev_prose"]] = _shift(prose, 1, 0.0)
    x[:, col["next_prose"]] = _shift(prose, -1, 0.0)
    x[:, col["prose_share_3"]] = _window_mean(prose, 3)
    x[:, col["words_mean_3"]] = _window_mean(log_words, 3)
    x[:, col["prose_chars_10"]] = _window_mean(prose * n_chars, 10) * 21 / total_chars
    indent = np.array([u.indent for u in units], dtype=np.float64)
    x[:, col["indent"]] = np.log1p(indent)
    prose_indent = indent[prose > 0]
    x[:, col["indent_vs_prose"]] = indent - (float(np.median(prose_indent)) if len(prose_indent) else 0.0)
    x[:, col["indent_step"]] = np.sign(indent - _shift(indent, 1, 0.0))
    # Blocks between blank lines: html-text keeps one element's lines together, so menus come as long blocks.
    block_id = np.cumsum([u.blank_before for u in units])
    sizes = np.bincount(block_id)
    x[:, col["block_size"]] = np.log(sizes[block_id])
    x[:, col["block_prose"]] = np.bincount(block_id, weights=prose)[block_id] / sizes[block_id]
    x[:, col["block_words"]] = np.bincount(block_id, weights=log_words)[block_id] / sizes[block_id]
    # Lists of other stories and comment sections open below a heading or a comment count.
    barrier = np.array([u.kind in ("stop", "teaser") or u.reason == "comments" for u in units], dtype=np.float64)
    before = np.cumsum(barrier) - barrier
    x[:, col["barriers_before"]] = np.log1p(before)
    x[:, col["barriers_after"]] = np.log1p(barrier.sum() - before - barrier)
    last = -1
    for i in range(n):
        x[i, col["barrier_distance"]] = math.log1p(i - last if last >= 0 else n)
        if barrier[i]:
            last = i
    runs = _runs([u.kind for u in units])
    if runs:
        run_chars = [float(n_chars[a:b + 1].sum()) for a, b in runs]
        longest = max(run_chars)
        for (a, b), chars in zip(runs, run_chars):
            x[a:b + 1, col["run_share"]] = chars / longest
            x[a:b + 1, col["in_longest_run"]] = chars == longest
        a, b = runs[run_chars.index(longest)]
        # Barriers between this unit and the page's longest stretch of prose.
        x[:, col["barrier_from_run"]] = np.log1p(np.where(
            positions > b, before - before[b], np.where(positions < a, before[a] - before - barrier, 0)))
    return x


def best_stretch(values: np.ndarray) -> tuple[int, int, float]:
    """The stretch with the largest sum of `values` (Kadane): start, end and the sum; (0, -1, 0) if none is positive."""
    best, span = 0.0, (0, -1)
    total, start = 0.0, 0
    for i, value in enumerate(values.tolist()):
        if total <= 0:
            total, start = 0.0, i
        total += value
        if total > best:
            best, span = total, (start, i)
    return span[0], span[1], best


def context_features(scores: np.ndarray, x: np.ndarray) -> np.ndarray:
    """`CONTEXT_FEATURES` for each unit, from the first pass's log-odds `scores`."""
    n = len(scores)
    c = np.zeros((n, len(CONTEXT_FEATURES)), dtype=np.float64)
    if not n:
        return c
    col = {name: i for i, name in enumerate(CONTEXT_FEATURES)}
    s = np.clip(scores, -8.0, 8.0)
    c[:, col["score"]] = s
    c[:, col["score_prev"]] = _shift(s, 1, -8.0)
    c[:, col["score_next"]] = _shift(s, -1, -8.0)
    c[:, col["score_prev2"]] = _shift(s, 2, -8.0)
    c[:, col["score_next2"]] = _shift(s, -2, -8.0)
    c[:, col["score_mean_2"]] = _window_mean(s, 2)
    c[:, col["score_mean_5"]] = _window_mean(s, 5)
    c[:, col["score_mean_10"]] = _window_mean(s, 10)
    window = np.lib.stride_tricks.sliding_window_view(np.concatenate(([-8.0] * 3, s, [-8.0] * 3)), 7)
    c[:, col["score_max_3"]] = window.max(axis=1)
    c[:, col["score_before_max"]] = np.concatenate(([-8.0], np.maximum.accumulate(s)[:-1]))
    c[:, col["score_after_max"]] = np.concatenate((np.maximum.accumulate(s[::-1])[::-1][1:], [-8.0]))
    log_chars = x[:, UNIT_FEATURES.index("log_chars")]
    start, end, _ = best_stretch(s * log_chars)
    positions = np.arange(n)
    if end >= start:
        inside = (positions >= start) & (positions <= end)
        c[:, col["region"]] = inside
        gap = np.where(positions < start, start - positions, np.where(positions > end, positions - end, 0))
        c[:, col["region_distance"]] = np.log1p(gap)
        chars = np.expm1(log_chars)
        c[:, col["region_share"]] = chars[inside].sum() / max(chars.sum(), 1.0)
        c[:, col["score_vs_region"]] = s - float(np.median(s[inside]))
    else:
        c[:, col["region_distance"]] = np.log1p(n)
        c[:, col["score_vs_region"]] = s - float(s.max())
    return c
