"""Outlet, language and fallback title of an article.

The outlet comes from the strongest signal a page dump carries: a source
field, an app-store or logo line, a copyright line, a bare domain, and as a
last resort an agency byline. When nothing names the outlet, the answer is
None rather than a guess.
"""

from __future__ import annotations

import re
from collections import Counter

from summarize.clean import langid
from summarize.clean.boilerplate import byline_name, split_sentences, words

_DOMAIN = re.compile(
    r"(?i)\b(?:https?://)?(?:www\d?\.)?((?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,12})(?:[/:?#]\S*)?"
)
_SOURCE_FIELD = re.compile(r"(?i)^\s*(?:quelle|source|fonte|fuente|herkunft)\s*:\s*(?P<value>.{2,80})$")
_APP_STORE = re.compile(
    r"(?i)^(?:(?:download|get|hol dir|lade|télécharge[zr]?|scarica|descarga)\s+(?:the\s+|die\s+|l'|la\s+)?(?:app\s+)?)?"
    r"(?P<name>.{2,40}?)\s*(?:-\s*)?(?:app\s+)?(?:im|in the|on the|on|dans l'|sur l'|sur|su|nel|en(?: el)?)\s+"
    r"(?:apple\s+)?(?:app store|google play(?: store)?|play store)\b"
)
_LOGO = re.compile(r"(?i)^(?:logo\s*(?:von|of|de|di)?\s+(?P<a>.{2,40})|(?P<b>.{2,40}?)\s*[-–]?\s*logo)$")
_COPYRIGHT_MARK = re.compile(r"(?i)^\s*(?:©|\(c\)|copyright\b)")
_RIGHTS = re.compile(
    r"(?i)\b(?:alle rechte vorbehalten|all rights reserved|tous droits réservés|"
    r"riproduzione riservata|tutti i diritti riservati|todos los derechos reservados)\b.*$"
)
_TAX_ID = re.compile(r"(?i)\b(?:p\.?\s?iva|ust-?idnr\.?|uid|vat(?: no\.?| number)?|c\.?f\.?|nif|cif|siret)\s*:?\s*[\w-]+")
_AT_DOMAIN = re.compile(r"^\s*@\s*(?P<domain>\S+\.[a-z]{2,12})\s*$", re.IGNORECASE)
_LEGAL_SUFFIX = re.compile(
    r"(?i)[\s,]+(?:gmbh(?:\s*&\s*co\.?\s*kg)?|mbh|ag|kg|se|ltd\.?|limited|llc|inc\.?|plc|s\.?a\.?s?|"
    r"s\.?r\.?l\.?|s\.?p\.?a\.?|sarl|s\.?l\.?|bv|nv|oy|ab|verlag\w*|mediengruppe|medienhaus|medien|media(?: group)?|"
    r"publishing|holding|company|co\.?|zeitungsverlag|editore|éditions|ediciones|group|gruppe)\.?$"
)
_PICTURE_AGENCIES = re.compile(r"(?i)\b(?:getty|imago|shutterstock|istock|picture alliance|reuters|afp|ap photo|epa)\b")


def domain_of(value: str) -> str | None:
    """"https://www.zeit.de/politik" -> "zeit.de"."""
    match = _DOMAIN.search(value.strip())
    if not match:
        return None
    host = match.group(1).lower().rstrip(".")
    return host if "." in host else None


def source_from_value(value: str) -> str | None:
    """A source field's value: a domain when it is a URL or domain, else the text."""
    value = value.strip().strip("|·-–").strip()
    if not value:
        return None
    if _DOMAIN.fullmatch(value) or value.lower().startswith(("http", "www.")):
        return domain_of(value)
    return value


def _clean_name(name: str) -> str | None:
    name = name.strip(" .,-–|:")
    previous = None
    while previous != name:
        previous = name
        name = _LEGAL_SUFFIX.sub("", name).strip(" .,-–|:")
    if not name or len(words(name)) > 6 or _PICTURE_AGENCIES.search(name):
        return None
    return name


def _copyright_holder(line: str) -> str | None:
    """"© 2026 Harbour Post Media Ltd. All rights reserved." -> "Harbour Post"."""
    marked = bool(_COPYRIGHT_MARK.match(line))
    if not marked and not _RIGHTS.search(line):
        return None
    text = _RIGHTS.sub("", _TAX_ID.sub("", _COPYRIGHT_MARK.sub("", line)))
    text = re.sub(r"(?i)\b(?:19|20)\d{2}(?:\s*[-–]\s*(?:19|20)\d{2})?\b|©|\(c\)|copyright", " ", text)
    parts = [p.strip() for p in re.split(r"\s[-–|·]\s|[|·]|\.\s", text) if p.strip(" .,-–")]
    return _clean_name(parts[0]) if parts else None


def _masthead(name: str, lines: list[str]) -> str:
    """The shortest leading part of `name` that stands alone as a line ("Rheintal-Bote")."""
    alone = {line.strip().lower() for line in lines}
    tokens = name.split()
    for n in range(1, len(tokens)):
        if " ".join(tokens[:n]).lower() in alone:
            return " ".join(tokens[:n])
    return name


def _preferred_spelling(name: str, text: str) -> str:
    """The spelling of `name` the page uses most ("OE24" on a page full of "oe24")."""
    spellings = Counter(m.group(0) for m in re.finditer(re.escape(name), text, re.IGNORECASE))
    if not spellings:
        return name
    best, count = spellings.most_common(1)[0]
    return best if count > spellings.get(name, 0) else name


def find_source(chrome_lines: list[str], page_text: str) -> str | None:
    """The outlet named by the page's non-article lines, strongest signal first."""
    found: dict[int, str] = {}

    def offer(rank: int, value: str | None) -> None:
        if value and rank not in found:
            found[rank] = value

    for line in chrome_lines:
        text = line.strip()
        if match := _SOURCE_FIELD.match(text):
            offer(0, source_from_value(match["value"]))
        if match := _APP_STORE.match(text):
            offer(1, _clean_name(match["name"]))
        if match := _LOGO.match(text):
            offer(2, _clean_name(match["a"] or match["b"] or ""))
        offer(3, _copyright_holder(text))
        if match := _AT_DOMAIN.match(text):
            offer(4, domain_of(match["domain"]))
        elif len(words(text)) <= 4 and _DOMAIN.fullmatch(re.sub(r"^\d+[.)]\s*", "", text)):
            offer(5, domain_of(text))
        if (name := byline_name(text)) and not any(c.isdigit() for c in name):
            if "/" in name or name.isupper() or name.lower() in ("dpa", "apa", "afp", "ap", "reuters"):
                offer(6, name)
    if not found:
        return None
    best = found[min(found)]
    if "." in best and " " not in best:
        return best
    return _preferred_spelling(_masthead(best, chrome_lines), page_text)


def detect_language(text: str) -> str | None:
    sample = text[:2500]
    if len(words(sample)) < 3:
        return None
    language, _ = langid.classify(sample)
    return language


def derive_title(body: str, limit: int = 90) -> str | None:
    """A headline for a record without one: its first sentence, cut at a clause if long."""
    if not body.strip():
        return None
    first = split_sentences(body.strip().split("\n")[0])[0].rstrip(" .")
    if len(first) <= limit:
        return first
    for mark in (";", ":", " – ", " - ", ","):
        cut = first[:limit].rfind(mark)
        if cut >= 30:
            return first[:cut].strip()
    return first[:limit].rsplit(" ", 1)[0] + " …"
