"""Text normalisation shared by grounding, evaluation and clustering.

Everything here is a pure function of its arguments: folding (case and
diacritics), tokenisation that keeps hyphenated names whole, a light stemmer
that tolerates German and English inflection, a key that makes transliteration
variants of one name compare equal, and number extraction that understands
German and English digit formats.

Numbers: digit sequences are always extracted, in German and English formats
("1.000", "1,000", "3,5", "3.5"), and labelled as counts, years, dates or clock
times. Number words are read only from three to twenty and for the round tens
and hundreds ("drei", "zehn", "twenty", also in "dreitägig"), because
"ein"/"one" are articles and "zwei"/"two" often paraphrase "beide"/"both"
rather than claim a count.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from difflib import SequenceMatcher
from functools import lru_cache
from typing import NamedTuple

# Letters that NFKD does not split into base letter plus mark.
_EXTRA_FOLDS = str.maketrans({
    "ł": "l", "đ": "d", "ø": "o", "æ": "ae", "œ": "oe", "ı": "i", "þ": "th", "ð": "d",
    "’": "'", "‘": "'", "ʼ": "'", "`": "'", "´": "'",
    "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-",
})


def fold(text: str) -> str:
    """Casefolded text without diacritics: "Präsident" → "prasident", "Straße" → "strasse"."""
    if len(text) <= 40:
        return _fold_word(text)
    return _fold(text)


@lru_cache(maxsize=8192)
def _fold_word(text: str) -> str:
    return _fold(text)


def _fold(text: str) -> str:
    text = unicodedata.normalize("NFKD", text.casefold()).translate(_EXTRA_FOLDS)
    return "".join(ch for ch in text if not unicodedata.combining(ch))


# An abbreviation with dots ("U.S.", "z.B."), a number in any of the usual
# formats, or a word whose inner hyphens and apostrophes keep it whole
# ("US-Präsident", "Trump's"). A dot never joins words: scraped text often
# lacks the space after a full stop ("hervorgehoben.Merz").
_TOKEN_RE = re.compile(
    r"(?:[^\W\d_]\.){2,}"
    r"|\d+(?:[.,:]\d+)*"
    r"|[^\W_]+(?:[-'’][^\W_]+)*"
)
_SENTENCE_BREAK_RE = re.compile(r"[.!?:;…»«\"„“”‚‘()\[\]]|\n")
_PHRASE_BREAK_RE = re.compile(r"[^\s\-'’]|\n")
# "Potsdam - Dietmar Woidke", "BERLIN -- Volkswagen": a dash between spaces parts phrases.
_SPACED_DASH_RE = re.compile(r"\s-+\s")


class Token(NamedTuple):
    # A named tuple, not a frozen dataclass: an article has hundreds of
    # tokens and every check tokenizes, so construction cost counts.
    text: str
    start: int
    end: int
    sentence_initial: bool  # first word of a sentence, line, quote or clause after a colon
    after_break: bool  # punctuation separates it from the previous token

    @property
    def folded(self) -> str:
        return fold(self.text)

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()

    @property
    def parts(self) -> list[str]:
        """The pieces of a hyphenated word: "US-Präsident" → ["US", "Präsident"]."""
        return [re.sub(r"^[^\W\d_]{1,2}'", "", p) for p in self.text.split("-") if p]


def _joins_name(gap: str, previous: str) -> bool:
    """An initial ("Michel H. Devoret") or an ampersand ("Abor & Tynna")
    continues a name instead of breaking it."""
    return (gap == ". " and len(previous) == 1 and previous.isupper()) or gap == " & "


def tokenize(text: str) -> list[Token]:
    tokens: list[Token] = []
    append = tokens.append
    previous_end = 0
    previous = ""
    for match in _TOKEN_RE.finditer(text):
        start, end = match.span()
        word = match.group()
        if start == previous_end + 1 and previous and text[previous_end] == " ":
            # most words: one space after the last, neither a sentence nor a phrase break
            initial = broken = False
        else:
            gap = text[previous_end:start]
            if previous and _joins_name(gap, previous):
                initial = broken = False
            else:
                first = not previous
                initial = first or bool(_SENTENCE_BREAK_RE.search(gap))
                broken = first or bool(_PHRASE_BREAK_RE.search(gap)) or bool(_SPACED_DASH_RE.search(gap))
        # positional: a named tuple built by keywords costs twice as much
        append(Token(word, start, end, initial, broken))
        previous_end, previous = end, word
    return tokens


def word_tokens(text: str) -> list[str]:
    """Folded words and numbers in order, punctuation dropped."""
    return [fold(word) for word in _TOKEN_RE.findall(text)]


# German function words plus the commonest English and French ones: words that
# carry no content, so two texts sharing only these share nothing.
FUNCTION_WORDS: frozenset[str] = frozenset("""
der die das des dem den ein eine einer eines einem einen kein keine keiner keinen
und oder aber doch sondern denn als wie wenn weil dass ob ich du er sie es wir ihr
man sich sein seine seiner seinen seinem ihre ihrer ihren ihrem ihn ihm uns euch
mit von vom zu zum zur bei beim aus auf an am im in ins nach fur uber unter vor hinter
neben zwischen durch gegen ohne um bis seit wahrend trotz wegen laut per pro
ist sind war waren wird werden wurde wurden sei seien hat haben hatte hatten habe
kann konnen konnte soll sollen sollte will wollen muss mussen
nicht auch noch nur schon so sehr mehr sowie dies diese dieser dieses diesem diesen
jene jener welche welcher welches was wer wo hier dort da dann nun jetzt bereits etwa
alle allen aller alles andere anderen zudem dabei damit dazu daher deshalb jedoch
beide beiden viele vielen einige einigen mehrere mehreren manche wenige jeder jede jedes jedem jeden
the a an and or but if of to in on at by for from with without into onto about as is are was were
be been being has have had will would shall should can could may might must do does did
this that these those it its he she they them his her their we our you your not no also
than then there here which who whom whose what when where while after before over under
le la les un une des du de et ou en au aux dans par pour sur avec est sont il elle ils elles
""".split())

_GERMAN_SUFFIXES = ("ern", "em", "en", "er", "es", "e", "n", "s")


def stem(word: str) -> str:
    """A light, inflection-tolerant stem for matching, not a linguistic lemma.

    Strips one German case/plural ending or an English plural/possessive so
    "Verhandlungen"/"Verhandlung", "Kiews"/"Kiew", "talks"/"talk" meet. Short
    words are left alone: their endings are usually part of the root.
    """
    word = fold(word)
    if word.endswith("'s"):
        word = word[:-2]
    elif word.endswith("'"):
        word = word[:-1]
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    for suffix in _GERMAN_SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 4:
            return word[: -len(suffix)]
    return word


def content_words(text: str) -> list[str]:
    """Stems of the words that carry meaning: no function words, no one- or two-letter bits."""
    return [stem(w) for w in word_tokens(text) if is_content_word(w)]


def is_content_word(folded: str) -> bool:
    return folded not in FUNCTION_WORDS and (len(folded) >= 3 or folded.isdigit())


# Endings a name takes in running German or English text: genitive and
# possessive ("Selenskyjs", "des Kremls", "Trump's"), weak -n/-en.
NAME_ENDINGS = ("'s", "es", "ns", "en", "s", "n", "'")
# Endings an adjective in a multi-word name takes ("der Europäischen Union").
ADJECTIVE_ENDINGS = ("em", "en", "er", "es", "e")


def name_word_matches(name_word: str, text_word: str, *, adjective: bool = False) -> bool:
    """Whether a folded word of a name and a folded word of a text are the same
    name up to inflection. With `adjective`, adjective endings are tolerated too."""
    if name_word == text_word:
        return True
    longer, shorter = (text_word, name_word) if len(text_word) > len(name_word) else (name_word, text_word)
    if len(shorter) >= 2 and longer.startswith(shorter) and longer[len(shorter):] in NAME_ENDINGS:
        return True
    if adjective:
        return strip_ending(name_word, ADJECTIVE_ENDINGS) == strip_ending(text_word, ADJECTIVE_ENDINGS)
    return False


def strip_ending(word: str, endings: tuple[str, ...]) -> str:
    """`word` without the first of `endings` it has, if at least four letters remain."""
    for ending in endings:
        if word.endswith(ending) and len(word) - len(ending) >= 4:
            return word[: -len(ending)]
    return word


# Spelling differences between German, English and scholarly transliterations
# of Cyrillic names, in the order they must be applied.
_TRANSLIT_RULES = (
    ("schtsch", "shch"), ("tsch", "ch"), ("sch", "sh"), ("zh", "sh"), ("kh", "ch"),
    ("w", "v"), ("ff\\b", "v"), ("z", "s"), ("y", "i"), ("j", "i"), ("ck", "k"), ("c", "k"),
)


@lru_cache(maxsize=4096)
def translit_key(name: str) -> str:
    """A spelling-insensitive key: "Selenskyj", "Zelenskyy", "Zelensky" all give "selenski"."""
    key = re.sub(r"[^a-z ]", "", fold(name).replace("-", " "))
    for old, new in _TRANSLIT_RULES:
        key = re.sub(old, new, key)
    key = re.sub(r"(.)\1+", r"\1", key)  # doubled letters: "Zelenskyy", "Witkoff"
    return " ".join(key.split())


def names_similar(a: str, b: str, *, threshold: float = 0.88) -> bool:
    """Whether two single names are transliteration variants of each other.

    Short names must match exactly after transliteration: at four letters one
    edit already turns one real name into another ("Merz", "März"). The
    threshold keeps "Scholz"/"Schulz" (0.83) apart and "Umjerow"/"Umerov"
    (0.92) together.
    """
    ka, kb = translit_key(a), translit_key(b)
    if not ka or not kb:
        return False
    if ka == kb:
        return True
    if min(len(ka), len(kb)) < 5 or ka[0] != kb[0]:
        return False
    if ka.startswith(kb) or kb.startswith(ka):
        return False  # a longer word, not another spelling: "Ukrainer", "Dmitrijew" for "Dmitri"
    return SequenceMatcher(None, ka, kb).ratio() >= threshold


# --- numbers ------------------------------------------------------------------

_NUMBER_WORDS = {
    "drei": 3, "vier": 4, "funf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9, "zehn": 10,
    "elf": 11, "zwolf": 12, "dreizehn": 13, "vierzehn": 14, "funfzehn": 15, "sechzehn": 16,
    "siebzehn": 17, "achtzehn": 18, "neunzehn": 19, "zwanzig": 20, "dreissig": 30, "vierzig": 40,
    "funfzig": 50, "sechzig": 60, "siebzig": 70, "achtzig": 80, "neunzig": 90, "hundert": 100,
    "tausend": 1000,
    "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9, "ten": 10,
    "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
    "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20, "thirty": 30, "forty": 40,
    "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90, "hundred": 100,
    "thousand": 1000,
}
# German writes counts into compounds: "dreitägigen Verhandlungen", "zehnfach".
_NUMBER_COMPOUND_HEADS = ("tagig", "jahrig", "stundig", "wochig", "monatig", "minutig", "fach", "mal",
                          "malig", "seitig", "teilig", "stellig", "kopfig", "prozentig")


_NUMBER_WORD_STARTS = frozenset(word[:3] for word in _NUMBER_WORDS)


@lru_cache(maxsize=4096)
def _spelled_number(folded_word: str) -> int | None:
    if folded_word in _NUMBER_WORDS:
        return _NUMBER_WORDS[folded_word]
    if folded_word[:3] not in _NUMBER_WORD_STARTS:
        return None
    for word, value in _NUMBER_WORDS.items():
        if folded_word.startswith(word) and folded_word[len(word):].startswith(_NUMBER_COMPOUND_HEADS):
            return value
    return None


MONTH_NAMES = (r"(?:januar|jänner|februar|feber|märz|marz|april|mai|juni|juli|august|september|oktober|november"
           r"|dezember|january|february|march|may|june|july|october|december)")
# Numbers in dates and clock times are not counts: "15:55 Uhr" must not
# vouch for "15 Staaten". Each pattern's groups are the numbers it contains.
_DATE_RE = re.compile(r"(?<![\d.,])(\d{1,2})\.(\d{1,2})\.(\d{4}|\d{2})?(?!\d|\.\d)")
_DAY_OF_MONTH_RE = re.compile(r"(?<![\d.,])(\d{1,2})\.?\s+" + MONTH_NAMES + r"\b", re.IGNORECASE)
_TIME_RE = re.compile(r"(?<![\d.,:])(\d{1,2}):(\d{2})(?![\d:])"
                      r"|(?<![\d.,])(\d{1,2})(?:[.:](\d{2}))?\s*uhr\b", re.IGNORECASE)
_NUMBER_RE = re.compile(r"(?<![\d.,])\d+(?:[.,]\d+)*")
_THOUSANDS_RE = re.compile(r"\d{1,3}(?:([.,])\d{3})(?:\1\d{3})*")


@dataclass(frozen=True)
class NumberMention:
    value: str  # normalised, see `normalise_number`
    kind: str  # "count", "year", "date" (day or month) or "time"
    start: int


def normalise_number(raw: str) -> str:
    """One spelling per value: "1.000", "1,000", "1000" → "1000"; "3,5", "3.5" → "3.5"; "03" → "3".

    A separator followed by exactly three digits is read as a thousands
    separator, whichever character it is, since both conventions occur.
    """
    raw = raw.strip().rstrip(".,")
    if _THOUSANDS_RE.fullmatch(raw):
        return str(int(re.sub(r"[.,]", "", raw)))
    if re.fullmatch(r"\d+[.,]\d+", raw):
        whole, fraction = re.split(r"[.,]", raw)
        fraction = fraction.rstrip("0")
        return f"{int(whole)}.{fraction}" if fraction else str(int(whole))
    if raw.isdigit():
        return str(int(raw))
    return raw


def number_mentions(text: str, *, words: bool = True, tokens: list[Token] | None = None,
                    folded: list[str] | None = None) -> list[NumberMention]:
    """Every number in the text with what it is, in order of appearance; with
    `words`, spelled-out counts too (`tokens` and their `folded` words save
    tokenising and folding `text` again). Four-digit numbers from 1900 to 2100
    are years; two-digit years in dates are read as 20xx."""
    found: list[NumberMention] = []
    taken: set[int] = set()  # start offsets inside a date or time
    for regex, kinds in ((_DATE_RE, ("date", "date", "year")), (_DAY_OF_MONTH_RE, ("date",)),
                         (_TIME_RE, ("time",) * 4)):
        for match in regex.finditer(text):
            if match.start() in taken:
                continue
            taken.update(range(*match.span()))
            for group, kind in enumerate(kinds, 1):
                if match.group(group):
                    value = normalise_number(match.group(group))
                    if kind == "year" and len(value) <= 2:
                        value = str(2000 + int(value))
                    found.append(NumberMention(value, kind, match.start(group)))
    for match in _NUMBER_RE.finditer(text):
        if match.start() not in taken:
            value = normalise_number(match.group())
            kind = "year" if value.isdigit() and 1900 <= int(value) <= 2100 and len(match.group()) == 4 else "count"
            found.append(NumberMention(value, kind, match.start()))
    if words:
        tokens = tokens if tokens is not None else tokenize(text)
        if folded is None:
            folded = [fold(token.text) for token in tokens]
        for token, word in zip(tokens, folded):
            spelled = _spelled_number(word)
            if spelled is not None:
                found.append(NumberMention(str(spelled), "count", token.start))
    return sorted(found, key=lambda m: m.start)


def extract_numbers(text: str, *, words: bool = True) -> list[str]:
    """Normalised numbers in order of appearance, whatever they count."""
    return [mention.value for mention in number_mentions(text, words=words)]
