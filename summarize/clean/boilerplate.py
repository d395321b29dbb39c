"""Line-level signals that tell page chrome from article text.

Each function looks at one line (or one sentence) and answers a narrow
question; the cleaner combines them with the line's position on the page.
Phrases come from `summarize.clean.phrases`; nothing here knows a particular outlet.
"""

from __future__ import annotations

import re
from functools import lru_cache

from summarize.clean.dates import is_date_line
from summarize.clean.phrases import (
    AGENCIES,
    AUTHOR_NOTE_PATTERNS,
    CHROME_LINES,
    CHROME_PREFIXES,
    COMMENT_PATTERNS,
    CONSENT_TERMS,
    POINTER_PATTERNS,
    PROMO_PATTERNS,
    STOP_HEADINGS,
    STOPWORDS,
)
from summarize.text.normalize import MONTH_NAMES

_WORD = re.compile(r"[^\W_]+(?:[-'’.][^\W_]+)*", re.UNICODE)
_STOP_HEADING_SET = frozenset(STOP_HEADINGS)
_STOP_HEADING_COLON = tuple(f"{phrase}:" for phrase in STOP_HEADINGS)
_STOP_HEADING_SPACED = tuple(f"{phrase} " for phrase in STOP_HEADINGS if " " in phrase)
_LEADING_JUNK = re.compile(r"^[\s\-–—•·*►▶▸›»>|#+~]+|^\d{1,2}[.)]\s+|^\[\d+\]\s*")
_TRAILING_JUNK = re.compile(r"[\s:：.…!?»›>|\-–—]+$|\s*\(\d+\)$|\s+\d+$")
_SENTENCE_END = re.compile(r"[.!?…][\"'“”»«’)\]]*$|[\"“”»«]$")
_CONSENT_RES = [re.compile(rf"(?i){term}") for term in CONSENT_TERMS]
# Matched against the lower-cased text: one alternation under IGNORECASE costs
# Python's engine several times more.
_ANY_CONSENT = re.compile("|".join(f"(?:{term})" for term in CONSENT_TERMS))
_POINTER_RES = [re.compile(p) for p in POINTER_PATTERNS]
_AUTHOR_NOTE_RES = [re.compile(p) for p in AUTHOR_NOTE_PATTERNS]
_CONTACT = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|(?<!\w)@\w{2,}")
_COMMENT_RE = re.compile("|".join(f"(?:{p})" for p in COMMENT_PATTERNS), re.IGNORECASE)
_AGENCY_RE = re.compile(
    r"(?i)(?<![\w])(?:" + "|".join(re.escape(a) for a in sorted(AGENCIES, key=len, reverse=True)) + r")(?![\w])"
)
_CODE_RE = re.compile(
    r"\{\s*\$|\$\w+\(|\)\s*;|\"\s*>|=>|\bfunction\s*\(|</?[a-z][a-z0-9]*(?:\s[^>]*)?>|&[a-z]+;"
    r"|\bvar\s+\w+\s*=|\b(?:window|document)\.\w+|^\s*[{}\[\]<]|[{}]\s*$"
)
_CREDIT_LABEL = re.compile(
    r"(?i)^\(?(?:foto|fotos|bild|bilder|photo|photos|image|images|picture|pictures|credit|credits|"
    r"crédits?(?: photo)?|copyright|grafik|illustration|video|fotografia|foto di|immagine|imagen|"
    r"fuente de la imagen|bildquelle|quelle bild|titelbild|symbolbild|archivbild|archivfoto)\s*[:©/|]"
)
_INLINE_CREDIT = re.compile(
    r"(?i)[(|·–—-]?\s*(?:foto|bild|photo|image|picture|credit|crédit|fotografia)\s*:\s*[^.!?]{1,60}\)?$"
)
_BYLINE = re.compile(
    r"(?i)^(?:von|by|par|di|por|autor(?:in)?|author|auteur|autore|text|texto)\s*:?\s+"
    r"(?P<who>[^\d,.!?|]{2,80}?)(?:(?:\s*,|\s+[|/·])\s*.*)?$"
)
_COPYRIGHT = re.compile(
    r"(?i)^(?:©|\(c\)|copyright\b)|\b(?:alle rechte vorbehalten|all rights reserved|"
    r"tous droits réservés|riproduzione riservata|tutti i diritti riservati|"
    r"todos los derechos reservados)\b"
)
_BREADCRUMB_SEPARATORS = re.compile(r"\s(?:>|»|›|→|/|\\|»)\s")
_TEASER_DATE = re.compile(
    r"\((?:[^()]{0,40},\s*)?\d{1,2}\.\d{1,2}\.\d{2,4}(?:\s*[-,]\s*\d{1,2}:\d{2}(?::\d{2})?)?\)"
)
_TEASER_END = re.compile(
    r"(?i)(?:weiterlesen|mehr lesen|zum artikel|read more|more|continue reading|lire la suite|"
    r"leggi tutto|leggi di più|leer más|seguir leyendo)\s*(?:\.{2,}|…|»|›|>|→)?\s*$"
)
_MENU_SEPARATORS = re.compile(r"\s[|•·]\s")
_APP_STORE = re.compile(r"(?i)\b(?:app store|google play|play store|appgallery)\b")


def words(line: str) -> tuple[str, ...]:
    # Every rule below counts a line's words; a short line (most of a page's
    # chrome) is split once per article, not once per rule.
    if len(line) > 200:
        return tuple(_WORD.findall(line))
    return _line_words(line)


@lru_cache(maxsize=1024)
def _line_words(line: str) -> tuple[str, ...]:
    return tuple(_WORD.findall(line))


@lru_cache(maxsize=1024)
def normalize(line: str) -> str:
    """Lowercase, without bullets, numbering, counts and trailing punctuation."""
    text = re.sub(r"\s+", " ", line.replace("\u00a0", " ")).strip().lower()
    text = text.replace("’", "'").replace("‘", "'")
    previous = None
    while previous != text:
        previous = text
        text = _LEADING_JUNK.sub("", text)
        text = _TRAILING_JUNK.sub("", text).strip()
    return text


def stopword_ratio(line: str) -> float:
    tokens = [w.lower() for w in words(line)]
    if not tokens:
        return 0.0
    return sum(1 for w in tokens if w in STOPWORDS) / len(tokens)


def ends_like_sentence(line: str) -> bool:
    return bool(_SENTENCE_END.search(line.strip()))


def is_chrome_phrase(line: str) -> bool:
    norm = normalize(line)
    if not norm:
        return True
    if norm in CHROME_LINES:
        return True
    if len(words(line)) > 15:
        return False
    # A row of chrome words ("Teilen Drucken Merken", "Share | Tweet | Email").
    items = [normalize(t) for t in re.split(r"\s{2,}|\s[|•·/]\s|\s", line.strip()) if normalize(t)]
    if 2 <= len(items) <= 8 and all(item in CHROME_LINES for item in items):
        return True
    return norm.startswith(CHROME_PREFIXES)


def is_stop_heading(line: str) -> bool:
    """A heading that opens a list of other stories ("Weitere Meldungen", "Related")."""
    if len(words(line)) > 7:
        return False
    norm = normalize(line)
    if norm in _STOP_HEADING_SET or norm.startswith(_STOP_HEADING_COLON):
        return True
    # "Mehr zum Thema Ukraine": a heading of several words, then a few more.
    return norm.startswith(_STOP_HEADING_SPACED) and any(
        norm.startswith(phrase) and len(norm[len(phrase):].split()) <= 3 for phrase in _STOP_HEADING_SPACED)


def is_comment_widget(line: str) -> bool:
    forms = (normalize(line), re.sub(r"\s+", " ", line.strip().lower()))
    return len(words(line)) <= 12 and any(_COMMENT_RE.search(f) for f in forms)


def is_code_fragment(line: str) -> bool:
    hits = len(_CODE_RE.findall(line))
    if not hits:
        return False
    letters = sum(c.isalpha() for c in line)
    return hits >= 2 or letters / max(len(line), 1) < 0.6 or len(words(line)) < 8


def is_number_only(line: str) -> bool:
    return not any(c.isalpha() for c in line)


_LABEL_PREFIXES = tuple(prefix for prefix in CHROME_PREFIXES if prefix.endswith(":"))


def breadcrumb_parts(line: str) -> list[str] | None:
    """The parts of a breadcrumb trail ("Home > Politik > Title"), or None."""
    text = line.strip()
    if normalize(text).startswith(_LABEL_PREFIXES):
        text = text.split(":", 1)[1]
    parts = [p.strip() for p in _BREADCRUMB_SEPARATORS.split(f" {text} ") if p.strip()]
    if len(parts) < 3:
        return None
    if any(len(words(p)) > 6 for p in parts[:-1]) or len(words(parts[-1])) > 20:
        return None
    return parts


def is_breadcrumb(line: str) -> bool:
    return breadcrumb_parts(line) is not None


def is_credit(line: str) -> bool:
    """Photo credit or a bare agency credit ("APA/APA/dpa/Michael Kappeler", "© Getty")."""
    text = line.strip()
    if _CREDIT_LABEL.match(text):
        return len(words(text)) <= 15
    n_words = len(words(text))
    if text.startswith(("©", "(c)", "(C)")) and n_words <= 8:
        return True
    if n_words <= 8 and not ends_like_sentence(text) and _AGENCY_RE.search(text):
        return "/" in text or n_words <= 3 or stopword_ratio(text) == 0
    return False


def has_inline_credit(line: str) -> bool:
    """A caption that carries its credit at the end ("… in Kiew. Foto: dpa")."""
    return bool(_INLINE_CREDIT.search(line.strip())) and len(words(line)) <= 45


def byline_name(line: str) -> str | None:
    """The name part of a byline ("Von: APA/dpa" -> "APA/dpa"), or None."""
    match = _BYLINE.match(line.strip())
    if not match or len(words(line)) > 10 or ends_like_sentence(line.rstrip(". ")):
        return None
    who = match["who"].strip()
    tokens = words(who)
    if not tokens:
        return None
    joiners = {"und", "and", "et", "e", "y", "von", "van", "de", "der", "den", "di", "del", "la", "le"}
    named = [t for t in tokens if t.lower() not in joiners]
    if named and all(t[0].isupper() or t.isupper() or _AGENCY_RE.fullmatch(t) for t in named):
        return who
    return None


def is_copyright(line: str) -> bool:
    return bool(_COPYRIGHT.search(line)) and len(words(line)) <= 20


def consent_hits(text: str) -> int:
    if not _ANY_CONSENT.search(text.lower()):
        return 0
    return sum(1 for pattern in _CONSENT_RES if pattern.search(text))


# Banners talk to the reader ("Sie", "you") or for them ("Ich bin einverstanden").
_READER = re.compile(
    r"\b(?:Sie|Ihr\w*|ich|mir|mich|you|your|I|vous|votre|vos|je|ti|tuo|tua|tuoi|usted|tu|tus|acepto)\b"
)


def is_consent_notice(text: str) -> bool:
    """A cookie banner or embed notice, not an article sentence about privacy."""
    return consent_hits(text) >= 2 and bool(_READER.search(text)) and len(words(text)) <= 80


def is_pointer(sentence: str) -> bool:
    """A live-blog, newsletter or app pointer ("Verfolgen Sie … in unserem Liveblog.")."""
    return any(p.search(sentence) for p in _POINTER_RES)


def is_author_note(paragraph: str) -> bool:
    """A note about the writer with a way to reach them, closing the article."""
    return (
        len(words(paragraph)) <= 45
        and bool(_CONTACT.search(paragraph))
        and any(p.search(paragraph) for p in _AUTHOR_NOTE_RES)
    )


_GLUED_CREDIT = re.compile(
    r"(?i)[.!?)”\"]\s*(?:reuters|afp|ap|getty images|getty|epa|dpa|apa|afp via getty images|ap photo(?:/[\w .]+)?"
    r"|shutterstock|imago|picture alliance)\s*$"
)
_PROMO_RE = re.compile("|".join(f"(?:{p})" for p in PROMO_PATTERNS), re.IGNORECASE)


_CAPITALS_TAIL = re.compile(r"\s((?:[A-Z][A-Z.&-]+)(?:[ /][A-Z][A-Z.&-]+){0,3})$")


def is_caption(line: str) -> bool:
    """A photo caption: its credit at the end ("… in Kiew. Foto: dpa", "… in New York.Reuters",
    "… since the industrial revolution ALAMY") or a ©."""
    n_words = len(words(line))
    if n_words > 40:
        return False
    tail = _CAPITALS_TAIL.search(line.strip())
    return (has_inline_credit(line) or is_credit(line) or bool(_GLUED_CREDIT.search(line.strip()))
            or bool(tail and n_words >= 8 and _AGENCY_RE.fullmatch(tail.group(1).split("/")[0]))
            or ("©" in line and n_words <= 25 and not is_copyright(line)))


def is_promo(line: str) -> bool:
    """A newsletter, subscription or follow-us line ("Thanks for signing up!")."""
    return len(words(line)) <= 25 and bool(_PROMO_RE.search(line))


def is_app_store_line(line: str) -> bool:
    return bool(_APP_STORE.search(line)) and len(words(line)) <= 10


def is_teaser(line: str) -> bool:
    """An item of a list of other stories: ends in "weiterlesen…" or carries "(Ressort, Datum)"."""
    text = line.strip()
    return bool(_TEASER_END.search(text)) and len(words(text)) >= 4 or bool(_TEASER_DATE.search(text))


def is_menu_line(line: str) -> bool:
    """A row of navigation items: many capitalised words, few function words, no sentence."""
    text = line.strip()
    if len(_MENU_SEPARATORS.findall(text)) >= 2:
        return True
    tokens = words(text)
    if len(tokens) < 5 or ends_like_sentence(text):
        return False
    capitalised = sum(1 for t in tokens if t[0].isupper() or t[0].isdigit())
    return capitalised / len(tokens) >= 0.75 and stopword_ratio(text) < 0.12


def is_tag_list(line: str) -> bool:
    """Topic tags such as "Ukraine, Russland" or "Politik · Ausland"."""
    parts = [p.strip() for p in re.split(r"[,;·|]", line) if p.strip()]
    if len(parts) < 2 or len(parts) > 8:
        return False
    return all(1 <= len(words(p)) <= 3 and stopword_ratio(p) == 0 for p in parts)


def chrome_reason(line: str) -> str | None:
    """Why a line is page chrome regardless of where it stands, or None."""
    checks = (
        ("code", is_code_fragment),
        ("breadcrumb", is_breadcrumb),
        ("comments", is_comment_widget),
        ("phrase", is_chrome_phrase),
        ("credit", is_credit),
        ("copyright", is_copyright),
        ("app store", is_app_store_line),
        ("consent", is_consent_notice),
        ("number", is_number_only),
    )
    for name, check in checks:
        if check(line):
            return name
    if len(words(line)) <= 25 and is_pointer(line):
        return "pointer"
    return None


def is_metadata_line(line: str) -> bool:
    """Date lines and bylines: facts about the article, not its text."""
    return is_date_line(line) or byline_name(line) is not None


_SENTENCE_BOUNDARY = re.compile(r"[.!?…][\"'“”»«’)]*(?=\s+[\"„“»«(]?[A-ZÄÖÜÀ-Ý0-9])")
# Abbreviations after which a capital letter does not start a new sentence
# ("60 Mrd. Euro"), nor does a month after its day ("am 3. Jänner").
_ABBREVIATION = re.compile(r"(?:\b(?:[A-Za-z]|Dr|Prof|Nr|St|Mr|Mrs|Ms|Sen|Gov|Gen|bzw|ca|vgl|inkl|z\.B|u\.a|Abs"
                           r"|Mrd|Mio|Tsd|sog|evtl|ggf)\.)$")
_DAY = re.compile(r"\b\d{1,2}\.$")
_MONTH_AHEAD = re.compile(r"\s+" + MONTH_NAMES + r"\b", re.IGNORECASE)


def ends_in_abbreviation(text: str) -> bool:
    """Whether `text` ends in an abbreviation or an initial ("60 Mrd.", "H.")."""
    return bool(_ABBREVIATION.search(text))


def split_sentences(paragraph: str) -> list[str]:
    text = paragraph.strip()
    sentences: list[str] = []
    start = 0
    for match in _SENTENCE_BOUNDARY.finditer(text):
        piece = text[start : match.start() + 1]
        if _ABBREVIATION.search(piece) or (_DAY.search(piece) and _MONTH_AHEAD.match(text, match.end())):
            continue
        sentences.append(text[start : match.end()].strip())
        start = match.end()
    sentences.append(text[start:].strip())
    return [s for s in sentences if s]


def trim_pointer_sentences(paragraph: str) -> str:
    """Drop trailing sentences that point elsewhere or ask for consent."""
    sentences = split_sentences(paragraph)
    while sentences and (is_pointer(sentences[-1]) or is_consent_notice(sentences[-1])):
        sentences.pop()
    if not sentences:
        return ""
    # Keep the paragraph's own spacing when nothing was cut.
    return paragraph.strip() if len(sentences) == len(split_sentences(paragraph)) else " ".join(sentences)
