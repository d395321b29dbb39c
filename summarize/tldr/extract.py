"""An extractive-compressive TLDR: the model picks the article's sentences
that carry the story, by number; the tool assembles and trims them.

A 1.5B model writes German with wrong cases and mixed languages, but it can
point at the sentences a journalist already wrote well. The tool then
removes what a TLDR does not need and can lose without harm:

- a dateline before the first words ("BERLIN (dpa) –", "Kiew/Moskau (AFP) -");
- a trailing attribution of reported speech (", sagte Umjerow.",
  ", officials said.") and a leading one in languages where the rest stays a
  sentence ("According to the police, …");
- asides in parentheses ("(45)", "(CDU)", "(Archivbild)") and agency credits.

Only sentences that read on their own are offered: not the headline, not a
direct quote, not a question, not one that opens with a pronoun pointing at
a sentence before it, not an instruction planted in the page. The chosen
sentences keep the article's order and are cut to the word limit by dropping
the model's later picks, never by cutting a sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from summarize.clean.boilerplate import is_pointer, split_sentences

MIN_WORDS = 6
# A longer sentence does not fit a TLDR of 40-50 words with anything else.
MAX_WORDS = 45
# An aside longer than this is part of the sentence's statement.
MAX_ASIDE_WORDS = 12

_QUOTE_OPENERS = "\"'„“”‚‘«»‹›"
# Pronouns and demonstratives that need the sentence before them.
_ANAPHORIC_OPENERS = frozenset("""
er sie ihr ihm ihn ihnen dies diese dieser dieses damit dadurch dabei daher deshalb demnach
he she they it this these those his her their its
il elle ils elles ce cela ceci celui celle lui leur
lui lei loro esso essa questo questa ciò
él ella ellos ellas esto esta este eso
""".split())

# A personal pronoun this close to the start is the sentence's subject,
# pointing at someone named before it.
_PERSONAL_PRONOUNS = frozenset("er sie he she they il elle ils elles egli ella él ellos".split())
_SUBJECT_REACH = 5

_DATELINE = re.compile(
    r"^(?:[A-ZÄÖÜ][\w'’.]*(?:[ /-][A-ZÄÖÜ][\w'’.]*){0,3})"  # place, "Kiew/Moskau", "Bad Tölz"
    r"(?:,\s*\w[\w. ]{0,20})?"  # ", 3. Januar", ", Jan 3"
    r"\s*(?:\((?P<agency>[^()]{1,30})\))?"  # "(dpa)", "(AFP/dpa)"
    r"\s*(?:[-–—]{1,2}|:)\s+(?=\S)"
)
_AGENCY = re.compile(r"^(?:dpa|afp|ap|reuters|kna|epd|apa|sda|ansa|efe|dts|ots|red|sid|[a-z]{2,5}(?:/[a-z]{2,5})+)$",
                     re.IGNORECASE)
_TRAILING_CREDIT = re.compile(r"\s*\((?:[A-Za-z]{2,8}(?:/[A-Za-z]{2,8})*)\)\s*$")
_PARENTHESIS = re.compile(r"\s*\(([^()]*)\)")
_SENTENCE_END = re.compile(r"([.!?…])([\"'“”»«’]*)$")

# A trailing clause that only says who said it: ", sagte Umjerow.",
# ", teilte die Polizei am Sonntag mit.", ", officials said.".
_TRAILING_ATTRIBUTION = re.compile(
    r",\s+(?:"
    r"(?:so|sagte|sagten|sagt|erklärte|erklärten|erklärt|betonte|betont|berichtete|berichtet|meldete|meldet"
    r"|schrieb|schreibt|hieß es|heißt es|ergänzte|fügte)\b[^,;:]{0,80}?(?:\bhinzu|\bmit)?"
    r"|teilte[^,;:]{1,60}?\bmit"
    r"|(?:said|says|told|according to|added|wrote|reported)\b[^,;:]{0,60}"
    r"|[^,;:]{1,40}\b(?:said|says|added|reported)"
    r"|(?:a déclaré|a indiqué|a affirmé|a précisé|précise|selon|indique)\b[^,;:]{0,60}"
    r"|(?:ha detto|ha spiegato|ha dichiarato|ha affermato|secondo|spiega)\b[^,;:]{0,60}"
    r"|(?:dijo|explicó|afirmó|señaló|según|declaró)\b[^,;:]{0,60}"
    r")\s*(?P<end>[.!])$"
)
# A leading attribution after which the rest is a sentence of its own; German
# ("Laut Polizei wurden …") puts the verb next and is left alone.
_LEADING_ATTRIBUTION = re.compile(
    r"^(?:According to|Selon|Secondo|Según|D'après|Stando a)\s[^,;:]{1,50},\s+(?=\w)", re.IGNORECASE)


@dataclass(frozen=True)
class Sentence:
    number: int  # as shown to the model, from 1
    text: str
    eligible: bool  # may be chosen for the TLDR


def numbered_sentences(text: str, headline: str | None = None, is_injected=None) -> list[Sentence]:
    """The sentences of `text` in reading order, numbered; a first paragraph
    that is the headline is left out."""
    paragraphs = [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    if paragraphs and headline and " ".join(paragraphs[0].split()) == " ".join(headline.split()):
        paragraphs = paragraphs[1:]
    found: list[Sentence] = []
    for paragraph in paragraphs:
        for line in paragraph.splitlines():
            for sentence in split_sentences(" ".join(line.split())):
                ok = readable_alone(sentence) and not (is_injected and is_injected(sentence))
                found.append(Sentence(len(found) + 1, sentence, ok))
    return found


def readable_alone(sentence: str) -> bool:
    words = sentence.split()
    if not MIN_WORDS <= len(words) <= MAX_WORDS:
        return False
    if sentence[:1] in _QUOTE_OPENERS or sentence.rstrip(_QUOTE_OPENERS + " ").endswith("?"):
        return False
    if not _SENTENCE_END.search(sentence.rstrip()):
        return False  # a heading or a cut-off line
    first = re.sub(r"[^\w]", "", words[0]).lower()
    if first in _ANAPHORIC_OPENERS or is_pointer(sentence):
        return False
    # German puts the subject after the verb: "Bei Telegram veröffentlichte er …".
    opening = {re.sub(r"[^\w]", "", w).lower() for w in words[1:_SUBJECT_REACH]}
    return not opening & _PERSONAL_PRONOUNS


def shown(sentences: list[Sentence]) -> str:
    """The sentences as the prompt shows them, one a line."""
    return "\n".join(f"[{s.number}] {s.text}" for s in sentences)


def choosable(sentences: list[Sentence]) -> list[int]:
    """The numbers the model may answer with: the sentences that read on
    their own, or every sentence when none does."""
    return [s.number for s in sentences if s.eligible] or [s.number for s in sentences]


def assemble(chosen: list[int], sentences: list[Sentence], max_words: int) -> str:
    """The chosen sentences, trimmed, in the article's order, within
    `max_words`: the model's later picks are dropped first, its first one
    always stays."""
    by_number = {s.number: s for s in sentences}
    picks = list(dict.fromkeys(n for n in chosen if n in by_number))
    if not picks:
        return ""
    trimmed = {n: trim_sentence(by_number[n].text) for n in picks}
    kept = [picks[0]]
    used = len(trimmed[picks[0]].split())
    for number in picks[1:]:
        words = len(trimmed[number].split())
        if used + words <= max_words:
            kept.append(number)
            used += words
    return " ".join(trimmed[n] for n in sorted(kept))


def trim_sentence(sentence: str) -> str:
    """The sentence without dateline, credits, asides and a trailing or
    (where the rest stands alone) leading attribution; the sentence itself
    when trimming would leave too little of it."""
    text = " ".join(sentence.split())
    text = _without_dateline(text)
    text = _TRAILING_CREDIT.sub("", text)
    text = _without_asides(text)
    text = _without_attribution(text)
    if not _SENTENCE_END.search(text):
        text = text.rstrip(" ,;:") + "."
    return text if len(text.split()) >= MIN_WORDS - 2 else " ".join(sentence.split())


def _without_dateline(text: str) -> str:
    match = _DATELINE.match(text)
    if not match:
        return text
    head = text[:match.end()]
    agency = match.group("agency")
    place = head.split("(")[0].split(",")[0].strip(" -–—:")
    rest = text[match.end():]
    # A dateline names an agency, is written in capitals ("BERLIN –") or
    # precedes a sentence of its own ("Leipzig - Die Stadtbibliothek …");
    # "Ukraine - die Gespräche …" would lose its subject.
    if not ((agency and _AGENCY.match(agency.strip())) or place.replace("/", "").replace(" ", "").isupper()
            or (rest[:1].isupper() and not head.rstrip().endswith(":"))):
        return text
    return rest[:1].upper() + rest[1:] if rest else text


def _without_asides(text: str) -> str:
    def drop(match: re.Match) -> str:
        return "" if len(match.group(1).split()) <= MAX_ASIDE_WORDS else match.group(0)

    out = _PARENTHESIS.sub(drop, text)
    out = re.sub(r"\s+([,.;:!?])", r"\1", out)
    return " ".join(out.split())


def _without_attribution(text: str) -> str:
    match = _TRAILING_ATTRIBUTION.search(text)
    if match and not text[:match.start()].rstrip().endswith(tuple(_QUOTE_OPENERS)):
        kept = text[:match.start()].rstrip() + match.group("end")
        if len(kept.split()) >= MIN_WORDS - 2:
            text = kept
    match = _LEADING_ATTRIBUTION.match(text)
    if match:
        rest = text[match.end():]
        if len(rest.split()) >= MIN_WORDS:
            text = rest[:1].upper() + rest[1:]
    return text
