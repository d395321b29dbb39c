"""Dates as news pages write them, turned into ISO YYYY-MM-DD.

Absolute forms: ISO, 03.01.2026, 31.12.25, 03/01/2026, "Samstag, 03. Januar
2026", "3. Jänner 2026", "January 3, 2026", "3 Jan 2026", "1er janvier 2026",
"3 gennaio 2026", "3 de enero de 2026". Relative forms ("vor 2 Stunden",
"2 hours ago", "gestern") resolve only against a given reference day.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from summarize.clean.phrases import DATE_LABELS

_MONTH_NAMES: dict[int, tuple[str, ...]] = {
    1: ("januar", "jänner", "jaenner", "january", "janvier", "gennaio", "enero", "jan", "janv", "gen", "ene"),
    2: ("februar", "feber", "february", "février", "fevrier", "febbraio", "febrero", "feb", "févr", "fevr"),
    3: ("märz", "maerz", "march", "mars", "marzo", "mär", "mrz", "mar"),
    4: ("april", "avril", "aprile", "abril", "apr", "avr", "abr"),
    5: ("mai", "may", "maggio", "mayo", "mag"),
    6: ("juni", "june", "juin", "giugno", "junio", "jun", "giu"),
    7: ("juli", "july", "juillet", "luglio", "julio", "jul", "juil", "lug"),
    8: ("august", "août", "aout", "agosto", "aug", "ago"),
    9: ("september", "septembre", "settembre", "septiembre", "setiembre", "sep", "sept", "set"),
    10: ("oktober", "october", "octobre", "ottobre", "octubre", "okt", "oct", "ott"),
    11: ("november", "novembre", "noviembre", "nov"),
    12: ("dezember", "december", "décembre", "decembre", "dicembre", "diciembre", "dez", "dec", "déc", "dic"),
}
MONTHS: dict[str, int] = {name: num for num, names in _MONTH_NAMES.items() for name in names}
_MONTH_RE = "|".join(sorted((re.escape(m) for m in MONTHS), key=len, reverse=True))

_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})(?:[T ]\d{2}:\d{2}(?::\d{2})?)?")
_DOTTED = re.compile(r"(?<![\d.])(\d{1,2})\.\s?(\d{1,2})\.\s?(\d{4}|\d{2})(?![\d.]\d)")
_SLASHED = re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?![\d/])")
_DAY_MONTH_YEAR = re.compile(
    rf"(?<!\d)(\d{{1,2}})(?:\.|er|st|nd|rd|th|º)?\s+(?:de\s+)?({_MONTH_RE})\.?,?\s+(?:de\s+|del\s+)?(\d{{4}})\b",
    re.IGNORECASE,
)
_MONTH_DAY_YEAR = re.compile(
    rf"\b({_MONTH_RE})\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.IGNORECASE
)
_TIME = re.compile(r"\b\d{1,2}[:.h]\d{2}(?::\d{2})?\s*(?:uhr|h|am|pm|a\.m\.|p\.m\.)?", re.IGNORECASE)

_UNITS = {
    "minute": 0, "minuten": 0, "min": 0, "mins": 0, "minutes": 0, "minuto": 0, "minuti": 0, "minutos": 0,
    "stunde": 1 / 24, "stunden": 1 / 24, "hour": 1 / 24, "hours": 1 / 24, "hr": 1 / 24,
    "hrs": 1 / 24, "heure": 1 / 24, "heures": 1 / 24, "ora": 1 / 24, "ore": 1 / 24,
    "hora": 1 / 24, "horas": 1 / 24,
    "tag": 1, "tagen": 1, "day": 1, "days": 1, "jour": 1, "jours": 1, "giorno": 1,
    "giorni": 1, "día": 1, "días": 1, "dia": 1, "dias": 1,
    "woche": 7, "wochen": 7, "week": 7, "weeks": 7, "semaine": 7, "semaines": 7,
    "settimana": 7, "settimane": 7, "semana": 7, "semanas": 7,
}
_UNIT_RE = "|".join(sorted(_UNITS, key=len, reverse=True))
_ONE = r"\d+|eine[rm]?|einem|one|an?|une?|un[oa]?|una"
_RELATIVE_OFFSET = re.compile(
    rf"\b(?:vor\s+(?P<de>{_ONE})\s+(?P<de_u>{_UNIT_RE})"
    rf"|(?P<en>{_ONE})\s+(?P<en_u>{_UNIT_RE})\s+(?:ago|fa)"
    rf"|il y a\s+(?P<fr>{_ONE})\s+(?P<fr_u>{_UNIT_RE})"
    rf"|hace\s+(?P<es>{_ONE})\s+(?P<es_u>{_UNIT_RE}))\b",
    re.IGNORECASE,
)
_RELATIVE_DAY = re.compile(
    r"\b(?P<word>heute|gestern|vorgestern|today|yesterday|aujourd'hui|hier|avant-hier|oggi|ieri|hoy|ayer)\b",
    re.IGNORECASE,
)
_DAY_WORDS = {
    "heute": 0, "today": 0, "aujourd'hui": 0, "oggi": 0, "hoy": 0,
    "gestern": 1, "yesterday": 1, "hier": 1, "ieri": 1, "ayer": 1,
    "vorgestern": 2, "avant-hier": 2,
}


@dataclass(frozen=True)
class DateHit:
    iso: str | None  # None for a relative date without a reference day
    start: int
    end: int
    relative: bool = False


def _make(year: int, month: int, day: int) -> str | None:
    if year < 100:
        year += 2000
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def _amount(word: str) -> int:
    return int(word) if word.isdigit() else 1


def _absolute_hits(text: str, month_first: bool) -> list[DateHit]:
    hits: list[DateHit] = []
    for m in _ISO.finditer(text):
        hits.append(DateHit(_make(int(m[1]), int(m[2]), int(m[3])), m.start(), m.end()))
    for m in _DOTTED.finditer(text):
        hits.append(DateHit(_make(int(m[3]), int(m[2]), int(m[1])), m.start(), m.end()))
    for m in _SLASHED.finditer(text):
        first, second, year = int(m[1]), int(m[2]), int(m[3])
        if first > 12 or (not month_first and second <= 12):
            day, month = first, second
        else:
            month, day = first, second
        hits.append(DateHit(_make(year, month, day), m.start(), m.end()))
    for m in _DAY_MONTH_YEAR.finditer(text):
        hits.append(DateHit(_make(int(m[3]), MONTHS[m[2].lower()], int(m[1])), m.start(), m.end()))
    for m in _MONTH_DAY_YEAR.finditer(text):
        hits.append(DateHit(_make(int(m[3]), MONTHS[m[1].lower()], int(m[2])), m.start(), m.end()))
    return [h for h in hits if h.iso]


def _relative_hits(text: str, today: date | None) -> list[DateHit]:
    hits: list[DateHit] = []
    for m in _RELATIVE_OFFSET.finditer(text):
        groups = {k: v for k, v in m.groupdict().items() if v}
        amount = next(v for k, v in groups.items() if not k.endswith("_u"))
        unit = next(v for k, v in groups.items() if k.endswith("_u"))
        # Offsets under a day keep the reference day: the hour is unknown.
        days = int(_amount(amount) * _UNITS[unit.lower()])
        iso = (today - timedelta(days=days)).isoformat() if today else None
        hits.append(DateHit(iso, m.start(), m.end(), relative=True))
    for m in _RELATIVE_DAY.finditer(text):
        days = _DAY_WORDS[m["word"].lower()]
        iso = (today - timedelta(days=days)).isoformat() if today else None
        hits.append(DateHit(iso, m.start(), m.end(), relative=True))
    return hits


def find_dates(
    text: str, *, today: date | None = None, month_first: bool = False, relative: bool = True
) -> list[DateHit]:
    """All date mentions in `text`, in order; overlapping matches keep the longest."""
    hits = _absolute_hits(text, month_first)
    if relative:
        hits += _relative_hits(text, today)
    hits.sort(key=lambda h: (h.start, -(h.end - h.start)))
    kept: list[DateHit] = []
    for hit in hits:
        if kept and hit.start < kept[-1].end:
            continue
        kept.append(hit)
    return kept


def is_date_line(line: str) -> bool:
    """A line that says when, and little else ("Stand: 03.01.2026, 15:55 Uhr")."""
    if len(line) > 160 or not (any(c.isdigit() for c in line) or _RELATIVE_DAY.search(line)):
        return False
    hits = find_dates(line)
    if not hits:
        return False
    rest = line
    for hit in reversed(hits):
        rest = rest[: hit.start] + " " + rest[hit.end :]
    rest = _TIME.sub(" ", rest)
    words = [w for w in re.findall(r"[^\W\d_]+\.?", rest.lower()) if w.rstrip(".") not in DATE_LABELS]
    # Relative words like "heute" only make a date line when they stand nearly alone.
    if all(h.relative for h in hits):
        return len(words) == 0 and len(line.split()) <= 6
    return len(words) <= 2


def first_date(text: str, *, today: date | None = None) -> str | None:
    for hit in find_dates(text, today=today):
        if hit.iso:
            return hit.iso
    return None
