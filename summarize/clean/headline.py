"""Which line of a page dump is the article's headline, if any.

Every line that could be a headline gets a row of features: its shape (length,
bullet, closing full stop, credit, date), what the line rules called it, where
it stands (how far the next paragraph of prose is, whether a date or byline
follows, how much prose came before), how often the page repeats it, and how
many of its words the text right after it uses. A linear model
(`summarize/data/headline_model.json`, trained by `scripts/train_headline.py`)
scores the rows; the best line wins when its score beats the page's "no
headline" score, so a page that starts with its lead has no title rather than
a made-up one.
"""

from __future__ import annotations

import json
import math
import re
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import Protocol

from summarize.clean.boilerplate import (
    ends_like_sentence,
    has_inline_credit,
    is_caption,
    is_credit,
    is_menu_line,
    normalize,
    stopword_ratio,
    words,
)
from summarize.clean.dates import find_dates
from summarize.clean.phrases import STOPWORDS

MODEL_FILE = "headline_model.json"
# A headline has a few words and at most a long sentence's worth.
MIN_WORDS, MAX_WORDS = 2, 24
# Prose lines of this many words that end like a sentence mark where the article text runs.
STRONG_WORDS = 20
# A line with more words of prose above it than this, and than below it, stands inside the article.
INSIDE_WORDS = 120
# ... or this share of it, with paragraphs right above and right below.
INSIDE_SHARE = 0.3
# Candidates stop this many units after the first strong paragraph: a headline
# below the lead is rare, but a teaser's lead can come first.
AFTER_STRONG = 60
_BULLET = re.compile(r"^(?:[*+•·►▶▸›»\-–—]|\d{1,3}[.)])\s+")
_TRAILING_PERIOD = re.compile(r"(?<!\.)\.[\"'“”»«’)\]]*$")
_SITE_SUFFIX = re.compile(r"\s[|–—-]\s[^|–—-]{2,40}$")
_COPYRIGHT_MARK = re.compile(r"©|\(c\)|copyright", re.IGNORECASE)
_DIGIT = re.compile(r"\d")
# Chrome of these kinds is never an article's headline.
_NEVER = frozenset({"code", "comments", "credit", "copyright", "consent", "number", "app store", "caption"})
_LETTERS = re.compile(r"[^\W\d_]+")

FEATURES: tuple[str, ...] = (
    "words_1_2", "words_3_5", "words_6_10", "words_11_15", "words_16_20", "words_21_30", "words_31_plus",
    "log_chars", "bullet", "ends_period", "ends_colon", "ends_question", "ends_ellipsis", "ends_sentence",
    "starts_lower", "capitalised", "stopwords", "digits", "all_caps", "credit", "copyright", "has_date",
    "site_suffix", "separators", "quotes",
    "kind_prose", "kind_short", "kind_chrome", "reason_menu", "reason_batch", "reason_caption",
    "reason_breadcrumb", "reason_phrase", "reason_other", "menu_row", "batch", "repeated",
    "mentions", "crumb", "first_line",
    "overlap_after", "overlap_before", "overlap_gain", "shared_after",
    "gap_strong", "gap_words", "no_strong_after", "strong_next", "prose_before", "chars_before", "position",
    "meta_after", "meta_before", "caption_after", "chrome_before", "bullet_neighbours", "blank_before",
    "prev_words", "next_words", "next_prose", "next_short_sentence", "candidates_between",
    "prev_heading", "next_heading", "next_longer", "last_heading", "headings_between",
    "prev_kicker", "words_vs_next", "words_vs_prev", "below_headline", "above_headline",
    "prose_share_before", "between_paragraphs",
)


class UnitLike(Protocol):
    text: str
    kind: str
    reason: str | None
    repeated: bool
    blank_before: bool


def strip_bullet(text: str) -> str:
    """A list item's text without its bullet or number: "* Flood defences fail" -> "Flood defences fail"."""
    return _BULLET.sub("", text, count=1).strip()


def _content_words(text: str) -> frozenset[str]:
    return frozenset(w.lower() for w in words(text) if len(w) >= 4 and w.lower() not in STOPWORDS)


@dataclass
class Page:
    """What the features of every candidate share, computed once per page."""

    units: Sequence[UnitLike]
    n_words: list[int]
    cum_words: list[int]  # words before each unit
    cum_headings: list[int]  # heading-like units before each unit
    cum_prose: list[int]  # words of prose units before each unit
    vocab: list[frozenset[str]]
    strong: list[int]  # indices of strong paragraphs, in order
    prose: list[int]  # indices of prose units, in order
    folded: str  # the page's normalised lines, one per line, for counting mentions
    crumb: str | None
    limit: int  # candidates stand before this index


def _is_strong(unit: UnitLike, n_words: int) -> bool:
    return unit.kind == "prose" and n_words >= STRONG_WORDS and ends_like_sentence(unit.text)


def read_page(units: Sequence[UnitLike], crumb: str | None = None) -> Page:
    n_words = [len(words(u.text)) for u in units]
    strong = [i for i, u in enumerate(units) if _is_strong(u, n_words[i])]
    prose = [i for i, u in enumerate(units) if u.kind == "prose"]
    limit = min(len(units), (strong[0] + AFTER_STRONG) if strong else len(units))
    # A headline stands above its article: nothing after the page's last paragraph qualifies.
    last_long = next((i for i in range(len(units) - 1, -1, -1)
                      if units[i].kind == "prose" and n_words[i] >= STRONG_WORDS), None)
    if last_long is not None:
        limit = min(limit, last_long)
    # Only prose lines are looked up for their vocabulary.
    vocab = [_content_words(u.text) if u.kind == "prose" and n <= 400 else frozenset()
             for u, n in zip(units, n_words)]
    folded = "\n".join(u.text.lower() for u in units)
    cum_words, cum_headings, cum_prose = [0], [0], [0]
    for u, n in zip(units, n_words):
        cum_words.append(cum_words[-1] + n)
        cum_headings.append(cum_headings[-1] + _heading_like(u, n))
        cum_prose.append(cum_prose[-1] + (n if u.kind == "prose" else 0))
    return Page(units, n_words, cum_words, cum_headings, cum_prose, vocab, strong, prose, folded, normalize(crumb) if crumb else None, limit)


def candidates(page: Page) -> list[int]:
    opening = next((i for i, u in enumerate(page.units) if u.kind != "chrome"), None)
    if opening is not None and page.strong[:1] == [opening]:
        return []  # the page opens with the article's text: whatever heading follows is a subheading
    return [
        i for i in range(page.limit)
        if MIN_WORDS <= page.n_words[i] <= MAX_WORDS and page.units[i].kind not in ("stop", "teaser", "meta")
        and page.units[i].reason not in _NEVER and not _has_credit(page.units[i].text)
        and not _inside_article(page, i) and not _credit_continues(page.units, i)
    ]


def _credit_continues(units: Sequence[UnitLike], i: int) -> bool:
    """A few words glued below a photo credit ("Foto: keystone-sda.ch" / "AFPAgence France Presse") are credit too."""
    return i > 0 and not units[i].blank_before and units[i - 1].reason in ("credit", "caption") \
        and len(words(units[i].text)) <= 5


def _inside_article(page: Page, i: int) -> bool:
    """A subheading, not a headline: more of the page's prose stands above the line
    than below it, or a good share of it does and paragraphs close in on both sides."""
    before, total = page.cum_prose[i], page.cum_prose[-1]
    if before > INSIDE_WORDS and before > total - page.cum_prose[i + 1]:
        return True
    if before < INSIDE_SHARE * total:
        return False
    at = bisect_right(page.strong, i)
    return 0 < at < len(page.strong) and page.strong[at] <= i + 2 and page.strong[at - 1] >= i - 2


def _has_credit(text: str) -> bool:
    """A photo caption carries its credit; a headline never does."""
    return "©" in text or is_caption(text)


def _near(page: Page, i: int, before: bool, count: int = 6) -> frozenset[str]:
    """Content words of the prose units next to unit i."""
    at = bisect_right(page.prose, i)
    picked = page.prose[max(0, at - count):at] if before else page.prose[at:at + count]
    if before and picked and picked[-1] == i:
        picked = page.prose[max(0, at - count - 1):at - 1]
    found: set[str] = set()
    for j in picked:
        found |= page.vocab[j]
    return frozenset(found)


def _words_bin(n: int) -> int:
    for k, top in enumerate((2, 5, 10, 15, 20, 30)):
        if n <= top:
            return k
    return 6


def features(page: Page, i: int, found: list[int]) -> list[float]:
    units = page.units
    unit = units[i]
    text = unit.text
    bare = strip_bullet(text)
    n = page.n_words[i]
    stripped = bare.rstrip()
    toks = words(bare)
    letters = "".join(_LETTERS.findall(bare))
    row = [0.0] * len(FEATURES)
    row[_words_bin(n)] = 1.0
    f = _COL
    row[f["log_chars"]] = math.log1p(len(bare))
    row[f["bullet"]] = bare != text.strip()
    row[f["ends_period"]] = bool(_TRAILING_PERIOD.search(stripped))
    row[f["ends_colon"]] = stripped.endswith(":")
    row[f["ends_question"]] = stripped.endswith(("?", "!"))
    row[f["ends_ellipsis"]] = stripped.endswith(("…", "..."))
    row[f["ends_sentence"]] = ends_like_sentence(stripped)
    row[f["starts_lower"]] = bool(letters) and letters[0].islower()
    row[f["capitalised"]] = sum(1 for t in toks if t[:1].isupper()) / len(toks) if toks else 0.0
    row[f["stopwords"]] = stopword_ratio(bare)
    row[f["digits"]] = len(_DIGIT.findall(bare)) / max(len(bare), 1)
    row[f["all_caps"]] = len(letters) >= 4 and letters.isupper()
    row[f["credit"]] = has_inline_credit(bare) or is_credit(bare)
    row[f["copyright"]] = bool(_COPYRIGHT_MARK.search(bare))
    row[f["has_date"]] = any(c.isdigit() for c in bare) and bool(find_dates(bare, relative=False))
    row[f["site_suffix"]] = bool(_SITE_SUFFIX.search(bare))
    row[f["separators"]] = math.log1p(len(re.findall(r"\s[|•·»›>/]\s", bare)))
    row[f["quotes"]] = bool(re.search("[\"„“”«»]", bare))
    row[f["kind_prose"]] = unit.kind == "prose"
    row[f["kind_short"]] = unit.kind == "short"
    row[f["kind_chrome"]] = unit.kind == "chrome"
    reason = unit.reason
    if reason in ("menu", "batch", "caption", "breadcrumb", "phrase"):
        row[f[f"reason_{reason}"]] = 1.0
    elif reason:
        row[f["reason_other"]] = 1.0
    row[f["menu_row"]] = n >= 5 and is_menu_line(bare)
    row[f["repeated"]] = unit.repeated
    row[f["batch"]] = reason == "batch"
    key = bare.lower()
    if len(key) >= 4:
        # Other lines that hold this one: the page title above it, a breadcrumb, a share line.
        row[f["mentions"]] = math.log1p(max(page.folded.count(key) - 1, 0))
    row[f["crumb"]] = page.crumb is not None and page.crumb == normalize(bare)
    row[f["first_line"]] = i == 0
    vocab = _content_words(bare)
    if vocab:
        after, before = _near(page, i, False), _near(page, i, True)
        row[f["overlap_after"]] = len(vocab & after) / len(vocab)
        row[f["overlap_before"]] = len(vocab & before) / len(vocab)
        row[f["overlap_gain"]] = row[f["overlap_after"]] - row[f["overlap_before"]]
        row[f["shared_after"]] = math.log1p(len(vocab & after))
    at = bisect_right(page.strong, i)
    if at < len(page.strong):
        nxt = page.strong[at]
        row[f["gap_strong"]] = math.log1p(nxt - i - 1)
        row[f["gap_words"]] = math.log1p(page.cum_words[nxt] - page.cum_words[i + 1])
        row[f["candidates_between"]] = math.log1p(bisect_right(found, nxt - 1) - bisect_right(found, i))
        headings = page.cum_headings[nxt] - page.cum_headings[i + 1]
        row[f["headings_between"]] = math.log1p(headings)
        row[f["last_heading"]] = headings == 0
    else:
        row[f["no_strong_after"]] = 1.0
        row[f["gap_strong"]] = math.log1p(len(units) - i)
    row[f["strong_next"]] = at < len(page.strong) and page.strong[at] == i + 1
    row[f["prose_share_before"]] = page.cum_prose[i] / max(page.cum_prose[-1], 1)
    row[f["between_paragraphs"]] = bool(row[f["strong_next"]]) and at > 0 and page.strong[at - 1] >= i - 2
    row[f["prose_before"]] = math.log1p(bisect_right(page.prose, i - 1))
    row[f["chars_before"]] = math.log1p(page.cum_words[i])
    row[f["position"]] = i / max(len(units) - 1, 1)
    following = [u for u in units[i + 1:i + 6] if u.kind != "chrome"][:3]
    previous = [u for u in units[max(0, i - 4):i] if u.kind != "chrome"][-2:]
    row[f["meta_after"]] = any(u.kind == "meta" for u in following)
    row[f["meta_before"]] = any(u.kind == "meta" for u in previous)
    row[f["caption_after"]] = any(u.reason in ("caption", "credit") for u in units[i + 1:i + 3])
    row[f["chrome_before"]] = i > 0 and units[i - 1].kind == "chrome"
    neighbours = [units[j].text for j in (i - 2, i - 1, i + 1, i + 2) if 0 <= j < len(units)]
    row[f["bullet_neighbours"]] = sum(1 for t in neighbours if _BULLET.match(t)) / 4
    row[f["blank_before"]] = unit.blank_before
    row[f["prev_words"]] = math.log1p(page.n_words[i - 1]) if i > 0 else 0.0
    row[f["next_words"]] = math.log1p(page.n_words[i + 1]) if i + 1 < len(units) else 0.0
    row[f["next_prose"]] = i + 1 < len(units) and units[i + 1].kind == "prose"
    nxt_unit = units[i + 1] if i + 1 < len(units) else None
    row[f["next_short_sentence"]] = bool(
        nxt_unit is not None and nxt_unit.kind == "short" and ends_like_sentence(nxt_unit.text)
        and page.n_words[i + 1] >= 5)
    # A kicker above the headline, or a subtitle below it, looks like a headline too.
    row[f["prev_heading"]] = i > 0 and _heading_like(units[i - 1], page.n_words[i - 1])
    row[f["next_heading"]] = nxt_unit is not None and _heading_like(nxt_unit, page.n_words[i + 1])
    row[f["next_longer"]] = bool(row[f["next_heading"]]) and page.n_words[i + 1] > n
    if row[f["next_heading"]]:
        row[f["words_vs_next"]] = max(-2.0, min(2.0, (page.n_words[i + 1] - n) / 5))
    if row[f["prev_heading"]]:
        row[f["words_vs_prev"]] = max(-2.0, min(2.0, (page.n_words[i - 1] - n) / 5))
        prev = units[i - 1].text.rstrip()
        row[f["prev_kicker"]] = page.n_words[i - 1] <= 3 or prev.endswith(":")
        # Set right below a headline-like line, this one is its subtitle.
        row[f["below_headline"]] = not row[f["prev_kicker"]]
    # A kicker: a word or two right above the headline.
    row[f["above_headline"]] = bool(row[f["next_heading"]]) and n <= 3 and page.n_words[i + 1] >= 4
    return row


def _heading_like(unit: UnitLike, n_words: int) -> bool:
    """A line set like a headline: a few words, no bullet, no closing full stop."""
    return unit.kind in ("short", "prose") and 2 <= n_words <= 25 and not _BULLET.match(unit.text) \
        and not ends_like_sentence(unit.text)


_COL = {name: k for k, name in enumerate(FEATURES)}


# The lead of the best line over the runner-up, capped: a page with one candidate has no runner-up.
LEAD_CAP = 5.0


@dataclass(frozen=True)
class HeadlineModel:
    """A linear ranker of candidate lines, and a logistic "is the best one the headline" decision."""

    names: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    none_names: tuple[str, ...]  # features of the best line the decision reads, after its score and lead
    none_mean: tuple[float, ...]
    none_scale: tuple[float, ...]
    none_weights: tuple[float, ...]
    none_bias: float

    def score(self, row: Sequence[float]) -> float:
        return sum(w * (x - m) / s for w, x, m, s in zip(self.weights, row, self.mean, self.scale))

    def is_headline(self, best: float, runner_up: float | None, row: Sequence[float]) -> bool:
        lead = LEAD_CAP if runner_up is None else min(best - runner_up, LEAD_CAP)
        values = [best, lead] + [row[_COL[name]] for name in self.none_names]
        z = self.none_bias + sum(
            w * (x - m) / s for w, x, m, s in zip(self.none_weights, values, self.none_mean, self.none_scale))
        return z > 0

    def to_json(self) -> dict:
        return {"features": list(self.names), "mean": list(self.mean), "scale": list(self.scale),
                "weights": list(self.weights), "none_features": list(self.none_names),
                "none_mean": list(self.none_mean), "none_scale": list(self.none_scale),
                "none_weights": list(self.none_weights), "none_bias": self.none_bias}

    @classmethod
    def from_json(cls, data: dict) -> HeadlineModel:
        names = tuple(data["features"])
        if names != FEATURES:
            raise ValueError("headline model was trained on other features")
        return cls(names, tuple(data["mean"]), tuple(data["scale"]), tuple(data["weights"]),
                   tuple(data["none_features"]), tuple(data["none_mean"]), tuple(data["none_scale"]),
                   tuple(data["none_weights"]), float(data["none_bias"]))


_override: HeadlineModel | None = None


@lru_cache(maxsize=1)
def _shipped() -> HeadlineModel:
    text = resources.files("summarize.data").joinpath(MODEL_FILE).read_text(encoding="utf-8")
    return HeadlineModel.from_json(json.loads(text))


def use_model(model: HeadlineModel | None) -> None:
    """Score with `model` from now on (None: the shipped model again); for training."""
    global _override
    _override = model


def candidate_rows(units: Sequence[UnitLike], crumb: str | None = None) -> tuple[list[int], list[list[float]]]:
    page = read_page(units, crumb)
    found = candidates(page)
    return found, [features(page, i, found) for i in found]


def find_headline(units: Sequence[UnitLike], crumb: str | None = None) -> int | None:
    """Index of the headline unit, or None when the page shows no headline line."""
    model = _override or _shipped()
    found, rows = candidate_rows(units, crumb)
    if not found:
        return None
    scores = [model.score(row) for row in rows]
    order = sorted(range(len(found)), key=lambda k: -scores[k])
    best = order[0]
    runner_up = scores[order[1]] if len(order) > 1 else None
    if not model.is_headline(scores[best], runner_up, rows[best]):
        return None
    return found[best]
