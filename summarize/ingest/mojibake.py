"""Repair of mojibake: UTF-8 bytes that were decoded through a legacy code page.

ftfy repairs the common, consistent cases (UTF-8 read as cp1252 or latin-1,
possibly several times). Scraped pages also show a messier kind where each
byte of one character went through a different single-byte code page, e.g.
"ä" (C3 A4) shown as "Ă€" (C3 via iso-8859-2, A4 via iso-8859-15), or where
the mangled pair was re-encoded and decoded once more, leaving one wrong
letter ("lÀngerem"). ftfy does not recognise those, so we derive a table of
every such spelling from the code pages themselves and apply it only where the
text clearly carries such sequences and the repair lowers their count.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from itertools import product

import ftfy
from ftfy import TextFixerConfig

CODE_PAGES = ("latin-1", "cp1252", "iso-8859-2", "cp1250", "iso-8859-15", "mac_roman")

# Characters real text is likely to contain that have a multi-byte UTF-8 form,
# most frequent first: when two characters share a wrong spelling, the more
# frequent one is the better guess.
_COMMON_FIRST = "äöüéßèàçñáíóúâêôîûëïãõœøåæìòù–„“”‘’…«»€°§"
_TARGETS = _COMMON_FIRST + "".join(
    c
    for c in (
        [chr(c) for c in range(0xC0, 0x100)] + list("ŒŠšŽžŸ‚")
    )
    if c not in _COMMON_FIRST and c not in "×÷"
)

_FTFY_CONFIG = TextFixerConfig(
    uncurl_quotes=False,
    fix_character_width=False,
    fix_latin_ligatures=False,
    unescape_html=False,
    explain=True,
)


def _decode_byte(byte: int, code_page: str) -> str | None:
    try:
        char = bytes([byte]).decode(code_page)
    except UnicodeDecodeError:
        return None
    # C1 controls and spaces never survive a trip through a web page intact.
    if unicodedata.category(char) in ("Cc", "Zs"):
        return None
    return char


@lru_cache(maxsize=1)
def mojibake_tables() -> tuple[dict[str, str], dict[str, str]]:
    """Return (sequences, single_letters): wrong spelling -> intended character.

    `sequences` holds multi-character spellings, one code page per byte.
    `single_letters` holds one-letter spellings produced by a second round of
    decoding; they are only safe inside a lowercase word and used only there.
    """
    sequences: dict[str, str] = {}
    singles: dict[str, str] = {}
    for target in _TARGETS:
        raw = target.encode("utf-8")
        per_byte = [[_decode_byte(b, cp) for cp in CODE_PAGES] for b in raw]
        for combo in product(*per_byte):
            if None in combo:
                continue
            spelling = "".join(combo)  # type: ignore[arg-type]
            if spelling == target:
                continue
            sequences.setdefault(spelling, target)
        for first, second in product(CODE_PAGES, repeat=2):
            if first == second:
                continue
            try:
                twice = raw.decode(first).encode(second).decode("utf-8")
            except (UnicodeDecodeError, UnicodeEncodeError):
                continue
            if len(twice) == 1 and twice.isupper() and target.islower():
                singles.setdefault(twice, target)
    return sequences, singles


@lru_cache(maxsize=1)
def _sequence_pattern() -> re.Pattern[str]:
    sequences, _ = mojibake_tables()
    alternatives = sorted(sequences, key=len, reverse=True)
    return re.compile("|".join(re.escape(s) for s in alternatives))


@lru_cache(maxsize=1)
def _single_letter_pattern() -> re.Pattern[str]:
    _, singles = mojibake_tables()
    letters = "".join(re.escape(c) for c in singles)
    return re.compile(rf"(?<=[^\W\d_])[{letters}](?=[a-zäöüß])")


def mojibake_count(text: str) -> int:
    """How many mixed-code-page sequences the text carries."""
    return len(_sequence_pattern().findall(text)) + len(_single_letter_pattern().findall(text))


def _repair_mixed(text: str) -> str:
    sequences, singles = mojibake_tables()
    text = _sequence_pattern().sub(lambda m: sequences[m.group(0)], text)
    return _single_letter_pattern().sub(lambda m: singles[m.group(0)], text)


def repair_text(text: str) -> tuple[str, list[str]]:
    """Return the repaired text and the names of the repairs applied."""
    repairs: list[str] = []
    fixed, explanation = ftfy.fix_and_explain(text, config=_FTFY_CONFIG)
    steps = explanation or []
    if any(step in ("encode", "decode", "transcode") for step, _ in steps):
        repairs.append("mojibake")
    elif fixed != text:
        repairs.append("unicode cleanup")
    # Two or more sequences: a lone one may be a legitimate symbol pair.
    before = mojibake_count(fixed)
    if before >= 2:
        candidate = _repair_mixed(fixed)
        if mojibake_count(candidate) < before:
            fixed = candidate
            repairs.append("mixed code page mojibake")
    return fixed, repairs
