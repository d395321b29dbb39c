"""Is a TLDR sentence fluent German or English? Cheap checks plus the model as judge.

A 1.5B model breaks sentences in recurring ways: it stops mid-word, repeats a
word, mixes languages, drops the article German needs before "USA" or
"Ukraine", strings noun phrases together without a verb, or gets an ending
wrong. Pure functions over simplemma's dictionaries catch those kinds; for a
sentence none of them flags, the embedded model's probability of answering
"No" to "is this a correct sentence?" decides, against thresholds fitted on
the dev half of `evals/fluency/sentences.jsonl` (`scripts/validate_fluency.py`).
The judge is slow on a CPU, so its answers are recorded under
`evals/recordings/` and replayed; where none is recorded the checks decide
alone, and the result says so.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import pairwise

from summarize.clean.boilerplate import ends_in_abbreviation
from summarize.evaluate.fluency_judge import Judge
from summarize.ground import lexicon
from summarize.llm.chunk import split_sentences

LANGUAGES = ("de", "en")
_WORD = re.compile(r"[^\W\d_]+(?:[-'’][^\W\d_]+)*-?")
_TOKEN = re.compile(r"[^\W_]+(?:[-'’.,][^\W_]+)*-?|[,;:–—]")
_CLAUSE_MARKS = {",", ";", ":", "–", "—"}
# Trailing quotes and brackets may follow the full stop: »…«, "…".
_FINAL = re.compile(r"[.!?…][\"'»«“”’)\]]*$")
# Anything but Latin letters, punctuation and currency signs: "dauerhafテ".
_FOREIGN_SCRIPT = re.compile(r"[^\x00-\u024f\u1e00-\u1eff\u2000-\u206f\u20a0-\u20bf]")


def _words(text: str) -> list[str]:
    return _WORD.findall(text)


@lru_cache(maxsize=lexicon.WORD_CACHE)
def _known(word: str, language: str) -> str | None:
    """The dictionary lemma of `word` in one language, None when that dictionary
    lacks it (lexicon's public helpers answer for German and English at once)."""
    return lexicon._lexicon_parts()[1].get_lemma(word, language)


# Past participles of separable and plain verbs: "gesprochen", "zugeschaltet".
_PARTICIPLE = re.compile(r"^(?:ab|an|auf|aus|bei|ein|fest|fort|frei|her|hin|los|mit|nach|statt|teil|vor|weg|zu"
                         r"|zurück|zusammen)?ge\w{3,}(?:t|en)$")


def _de_verb(word: str) -> bool:
    """A finite verb candidate: a lower-case word the dictionary leads to a verb,
    or an inflected form with a verb ending. Generous on purpose: a check that
    needs a missing verb must not fire because a verb went unrecognised."""
    if word != word.lower() or len(word) < 2:
        return False
    lemma = _known(word, "de")
    if not lemma or lemma != lemma.lower() or _PARTICIPLE.match(word) and word != lemma:
        return False
    # simplemma keeps one lemma per form ("schicken" → "schick"), so an
    # inflected form with a verb ending counts too.
    return bool(re.search(r"\w\w(?:en|ern|eln)$", lemma) or lemma in ("sein", "tun")
                or word != lemma and re.search(r"\w\w(?:en|t|te|ten)$", word))


def _de_participle(word: str) -> bool:
    lemma = _known(word, "de") or ""
    return word == word.lower() and lemma == lemma.lower() and word != lemma and bool(_PARTICIPLE.match(word))


_EN_AUX = {"is", "are", "was", "were", "be", "been", "being", "has", "have", "had", "do", "does", "did", "will",
           "would", "can", "could", "may", "might", "must", "shall", "should"}
_EN_MODALS = {"will", "would", "can", "could", "may", "might", "must", "shall", "should"}
# Past forms the dictionary gives as their own lemma ("won" is also a currency).
_EN_IRREGULAR_PAST = frozenset("won left hit cut put set rose thought shot felt beat bet bid cast cost hurt let quit "
                               "read shut split spread broke".split())
_EN_PREPOSITIONS = frozenset("in of for on at with by from into over under between among".split())


def _en_verb(word: str, before: str = "") -> bool:
    """A verb candidate: an auxiliary or a lower-case inflected form ("cuts",
    "closed", "swept"); an -ing form only after an auxiliary, because "warning"
    or "flooding" in a noun list is a noun."""
    if word.lower() in _EN_AUX or word in _EN_IRREGULAR_PAST:
        return True
    if word != word.lower():
        return False
    if word.endswith("ing"):
        return before.lower() in _EN_AUX
    lemma = _known(word, "en")
    return bool(lemma) and lemma != word


def _has_verb(words: list[str], language: str) -> bool:
    if language == "de":
        return any(_de_verb(w) or _de_participle(w) for w in words)
    return any(_en_verb(w, words[i - 1] if i else "") for i, w in enumerate(words))


# --- the checks: each returns the evidence it found, empty when it passes ----

_DANGLING = {"de": {"der", "die", "das", "den", "dem", "des", "ein", "eine", "einen", "einem", "und", "oder"},
             "en": {"the", "a", "an", "and", "or", "of", "to"}}


def truncated(text: str, language: str) -> list[str]:
    """No closing punctuation, a cut word, or an article or "and" before the full stop."""
    text = text.strip()
    words = _words(text)
    if not _FINAL.search(text) or re.search(r"\w-\W*$", text):
        return [f"ends with {text[-12:]!r}"]
    return [f"ends with {words[-1]!r}"] if words and words[-1] in _DANGLING[language] else []


# "die die Ukraine unterstützen" (relative pronoun and article) and "had had"
# are grammatical.
_REPEAT_OK = {"de": {"die", "der", "das", "den", "dem"}, "en": {"that", "had", "is"}}
# The same stem twice inside one compound: "Angriffskriegskrieges".
_STUTTER = re.compile(r"([^\W\d_]{4,})s?\1")


def repeated_word(text: str, language: str) -> list[str]:
    words = [w.lower() for w in _words(text)]
    found = [f"{a} {b}" for a, b in pairwise(words) if a == b and a not in _REPEAT_OK[language]]
    return found + [w for w in words if _STUTTER.search(w)]


# Frequent English words that simplemma's German list also holds ("the" as a
# name, "New" as in New York) and that never stand in a German sentence.
_EN_ONLY = {"the", "and", "of", "with", "has", "have", "were", "new", "is", "are", "to", "for", "from", "that",
            "which", "this", "by", "not", "but"}
# ... and German ones that are no English words ("die" and "hat" are).
_DE_ONLY = {"und", "oder", "der", "das", "den", "dem", "des", "ein", "eine", "einen", "nicht", "wurde", "wurden",
            "haben", "ist", "sind", "mit", "für", "über", "auch", "sich", "werden", "wird", "bei"}


def foreign_words(text: str, language: str) -> list[str]:
    """Words of the other language: "hat announced" in German, "und" or "a new
    Wärmeplan" in English. Capitalised words in German are nouns or names, so
    only lower-case English words count there; in English a capitalised German
    word counts only when it reads as a common noun (German letters or noun
    suffix, after an article or adjective) and stands outside a run of names
    ("Landkreis Ortenfeld", "Volkswagen has", "won Eurovision")."""
    words = _words(text)
    found = []
    for i, word in enumerate(words):
        if len(word) < 2 or "-" in word:
            continue
        lower = word.lower()
        if language == "de":
            if word == lower and (lower in _EN_ONLY or _known(word, "en") and not _known(word, "de")):
                found.append(word)
            continue
        german = not _known(word, "en") and _known(word, "de")
        if word[0].isupper() and german:  # a name unless it reads as a German common noun
            before = words[i - 1] if i else ""
            german = not any(n[:1].isupper() for n in words[max(i - 1, 0):i] + words[i + 1:i + 2]) and (
                bool(re.search(r"[äöüß]|(?:ung|heit|keit|schaft)(?:en)?$", word)) or before in ("a", "an", "the")
                or before.endswith(("ly", "al", "ic", "ive", "ous", "ful", "less", "ary", "ern")))
        if word == lower and lower in _DE_ONLY or german:
            found.append(word)
    return found


def unknown_word(text: str, language: str) -> list[str]:
    """A lower-case word neither dictionary knows, with or without an ending or
    prefix, and no compound of known words: "keeped". Capitalised ones may be names."""
    found = []
    for word in (re.sub(r"['’]s$", "", w) for w in _words(text)):
        if word != word.lower() or len(word) < 4 or "-" in word or lexicon.is_compound_of_known_words(word):
            continue
        stems = [word] + [word[: -len(e)] for e in ("es", "en", "er", "em", "e") if word.endswith(e)] \
            + [word[len(p):] for p in ("un", "non", "re", "over", "under", "out", "mis") if word.startswith(p)]
        found += [] if any(_known(stem, lang) for stem in stems for lang in LANGUAGES) else [word]
    return found


def foreign_script(text: str, language: str) -> list[str]:
    return _FOREIGN_SCRIPT.findall(text)


# Names German uses with an article: "die USA", "die Ukraine", "die Schweiz".
_ARTICLE_NAMES = {"usa", "ukraine", "schweiz", "türkei", "slowakei", "mongolei", "niederlande", "eu",
                  "philippinen", "krim", "arktis", "antarktis"}
_DE_PREPOSITIONS = {"in", "nach", "über", "gegen", "für", "mit", "von", "aus", "zu", "bei", "an", "auf", "um",
                    "durch", "ohne", "zwischen", "vor", "unter", "im", "ins", "am", "zum", "vom", "beim", "seit",
                    "gegenüber"}


def bare_country(text: str, language: str) -> list[str]:
    """A name German uses with its article, bare after a preposition ("nach
    Ukraine") or as the subject of a finite verb ("Ukraine hat", "USA und Europa
    beraten"); without a finite verb it is headline style and passes."""
    if language != "de":
        return []
    tokens = _TOKEN.findall(text)
    found = []
    for i, token in enumerate(tokens):
        if token.lower() not in _ARTICLE_NAMES:
            continue
        before = tokens[i - 1].lower() if i else ""
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if before in _DE_PREPOSITIONS:
            found.append(f"{before} {token}")
            continue
        opens_clause = i == 0 or before in _CLAUSE_MARKS
        subject = opens_clause or before == "die" and (i == 1 or tokens[i - 2] in _CLAUSE_MARKS)
        if token == "USA" and subject and re.fullmatch(r"[a-zäöüß]+t", after) and _de_verb(after):
            found.append(f"{token} {after}")  # "die USA" are plural: "USA berät", "Die USA versucht"
            continue
        if not opens_clause:
            continue
        k = i + 1
        if tokens[k:k + 1] == ["und"]:  # "USA und Europa beraten"
            k += 1
            while k < len(tokens) and tokens[k][:1].isupper():
                k += 1
        if k < len(tokens) and _de_verb(tokens[k]) and not _de_participle(tokens[k]):
            found.append(f"{token} {tokens[k]}")
    return found


def verbless_fragments(text: str, language: str) -> list[str]:
    """Two or more comma-separated noun phrases without any verb: "...,
    Verhandlungen in Miami, Vertreter Kiews und Moskaus, ...". One opening with
    an uninflected lower-case word ("da wichtige Fragen", "insbesondere zu",
    "with volunteers") continues a clause elsewhere and does not count."""
    found = []
    clauses = re.split(r"\s*[,;:–—]\s*", text.strip().rstrip(".!?…»«\"“”"))
    for clause, following in zip(clauses, clauses[1:] + [""]):
        words, then = _words(clause), _words(following)[:1]
        continues = words and words[0] == words[0].lower() and (_known(words[0], language) or words[0]) == words[0]
        # a subject with its apposition before the verb: "Josef Aschbacher, Chef der ESA, spricht ..."
        subject = bool(then) and _has_verb(then, language) and not _de_participle(then[0])
        if len(words) >= 2 and not continues and not subject and not _has_verb(words, language):
            found.append(clause)
    return found if len(found) >= 2 else []


def no_verb(text: str, language: str) -> list[str]:
    """Not a single verb or participle: a noun phrase or word salad."""
    return [] if _has_verb(_words(text), language) else ["no verb"]


_FUNCTION_WORD_LISTS = {
    "de": "der die das den dem des ein eine einen einem einer eines und oder aber in im ins an am auf aus bei mit "
          "nach von vom zu zum zur für über unter um durch gegen ohne vor seit bis als wie dass ob weil wenn er "
          "sie es wir ihr sich man nicht auch noch sein seine ihre",
    "en": "the a an and or but in on at to of for from with by as that which who it he she they we not this these",
}
_FUNCTION_WORDS = {language: frozenset(words.split()) for language, words in _FUNCTION_WORD_LISTS.items()}


def word_salad(text: str, language: str) -> list[str]:
    """Six or more words without a single article, preposition, conjunction or
    pronoun: "Landkreis Ortenfeld Wärmeplan Solaranlagen übertroffen Netze"."""
    words = _words(text)
    return ["no function word"] if len(words) >= 6 and not any(w.lower() in _FUNCTION_WORDS[language]
                                                                for w in words) else []


def _inflected(word: str, endings: tuple[str, ...] = ("s",)) -> bool:
    """A dictionary word in an inflected form with one of the endings: "homes",
    "expires", "searching" (but not "bring" or "class")."""
    return word.endswith(endings) and not word.endswith("ss") and _known(word, "en") not in (None, word)


def english_verb_form(text: str, language: str) -> list[str]:
    """A modal before "to" or an inflected form ("will expires", "could not to
    find", "can searching"), and a plural noun before "is", "was" or "has"
    ("homes is")."""
    if language != "en":
        return []
    words = _words(text)
    found = []
    for i, word in enumerate(words[:-1]):
        following = words[i + 2] if words[i + 1] == "not" and i + 2 < len(words) else words[i + 1]
        if word.lower() in _EN_MODALS and (following == "to" or _inflected(following, ("s", "ing", "ed"))):
            found.append(f"{word} {following}")
    # A plural noun shortly after a preposition is its object, not the subject:
    # "the mechanism for billions of euros in climate policies is".
    return found + [f"{before} {word}" for j, (before, word) in enumerate(pairwise(words))
                    if word in ("is", "was", "has") and before == before.lower() and len(before) > 3
                    and not before.endswith(("us", "is", "ics")) and _inflected(before)
                    and not _EN_PREPOSITIONS.intersection(w.lower() for w in words[max(0, j - 2):j])]


# Prepositions that take only the dative or genitive, where an adjective
# without an article never ends in -e: "von fossile Brennstoffen". "seit" and
# "während" are left out: as conjunctions a nominative follows ("während eine
# Delegation zugeschaltet ist").
_OBLIQUE_PREPOSITIONS = {"aus", "bei", "mit", "nach", "von", "zu", "laut", "wegen", "trotz", "dank", "samt",
                         "gegenüber"}


def _nominalised(lemma: str) -> bool:
    """A noun made of a participle ("Verbündeter", "Beteiligte"): it inflects
    like an adjective, so its ending must match the adjective before it."""
    stem = re.sub(r"(?:er|e)$", "", lemma).lower()
    verb = _known(stem, "de") if stem != lemma.lower() and len(stem) >= 6 and stem.endswith("t") else None
    return bool(verb) and verb != stem and verb.endswith("en")


def german_adjective_case(text: str, language: str) -> list[str]:
    """An adjective ending that cannot be right: -e after a dative or
    genitive preposition ("laut staatliche Nachrichtenagentur"), or -e before
    a nominalised participle in -en ("europäische Verbündeten")."""
    if language != "de":
        return []
    words = _words(text)
    found = []
    for before, adjective, noun in zip(words, words[1:], words[2:]):
        lemma = _known(adjective, "de") if adjective == adjective.lower() and noun[:1].isupper() else None
        if not lemma or lemma[0].isupper() or adjective != lemma + "e":
            continue
        if before.lower() in _OBLIQUE_PREPOSITIONS:
            found.append(f"{before} {adjective} {noun}")
        elif noun.endswith("en") and (noun_lemma := _known(noun, "de")) and noun_lemma[0].isupper() \
                and _nominalised(noun_lemma):
            found.append(f"{adjective} {noun}")
    return found


_DE_MODALS = {"soll", "sollen", "sollte", "sollten", "muss", "müssen", "musste", "mussten", "kann", "können",
              "konnte", "konnten", "könnte", "könnten", "darf", "dürfen", "will", "wollen", "möchte", "möchten"}


def german_modal_verb(text: str, language: str) -> list[str]:
    """A clause with a modal verb that ends in a finite form instead of the
    infinitive: "soll das Gesetz ... beschließt", "muss erhöht werde"."""
    if language != "de":
        return []
    found = []
    for clause in re.split(r"\s*[,;:–—»«\"“”„]\s*", text.strip().rstrip(".!?…»«\"“”")):
        words = _words(clause)
        if len(words) < 3 or words[-1] in _DE_MODALS or not any(w in _DE_MODALS for w in words[:-1]):
            continue
        for modal, verb, following in zip(words, words[1:], words[2:]):
            # the infinitive belongs at the end: "könnte treten an einem Tisch"
            if modal in _DE_MODALS and verb == _known(verb, "de") and verb.endswith("en") and verb == verb.lower() \
                    and following.lower() in _FUNCTION_WORDS["de"] - {"nicht", "auch", "noch", "und", "oder", "aber"}:
                found.append(f"{modal} {verb} {following}")
        last = words[-1]
        lemma = _known(last, "de")
        if last == last.lower() and lemma and lemma != last and lemma.endswith("en") \
                and not _de_participle(last) and last.endswith(("t", "e")):
            found.append(last)
    return found


CHECKS: dict[str, Callable[[str, str], list[str]]] = {check.__name__: check for check in (
    truncated, repeated_word, foreign_words, unknown_word, foreign_script, bare_country, verbless_fragments,
    no_verb, word_salad, english_verb_form, german_adjective_case, german_modal_verb)}


def check_hits(text: str, language: str) -> dict[str, list[str]]:
    """The checks that fire on one sentence, with their evidence."""
    return {name: hits for name, check in CHECKS.items() if (hits := check(text, language))}


# Fitted on dev (scripts/validate_fluency.py --fit): a sentence no check flagged
# is broken when the judge's P(broken) reaches this. No lower threshold helped
# on dev by more than one sentence, so only a confident "No" overrides.
JUDGE_THRESHOLD = {"de": 0.727, "en": 0.678}


@dataclass(frozen=True)
class FluencyResult:
    """`fluent` is None for a language the measure does not cover. `score` is
    1 − P(broken): 0 when a check fired, 1 − the judge's P(broken) when the
    judge answered, 1 when neither objects (NaN when not measured)."""

    fluent: bool | None
    score: float
    reasons: list[str] = field(default_factory=list)
    judged: bool = False


def sentence_fluency(text: str, language: str, judge: Judge | None = None) -> FluencyResult:
    if language not in LANGUAGES or not text.strip():
        return FluencyResult(None, math.nan, [f"language {language!r} is not measured" if text.strip() else "empty"])
    hits = check_hits(text, language)
    broken = judge(text, language) if judge is not None else None
    reasons = [f"{name}: {', '.join(evidence)[:80]}" for name, evidence in hits.items()] + [
        f"judge: P(broken) = {broken:.2f}" if broken is not None else
        "judge: not recorded" if judge is not None else "judge: none"]
    if hits:
        return FluencyResult(False, 0.0, reasons, broken is not None)
    if broken is None:
        return FluencyResult(True, 1.0, reasons, False)
    return FluencyResult(broken < JUDGE_THRESHOLD[language], 1.0 - broken, reasons, True)


# split_sentences also cuts after an ordinal, an initial or an abbreviation
# ("am 3. Jänner", "John M. Martinis", "60 Mrd. Euro"); those pieces are
# joined again.
_CUT_AFTER = re.compile(r"(?:\b\d{1,3}|\b[A-ZÄÖÜ])\.$")


def tldr_sentences(tldr: str) -> list[str]:
    pieces: list[str] = []
    for piece in split_sentences(tldr):
        cut = pieces and (_CUT_AFTER.search(pieces[-1]) or ends_in_abbreviation(pieces[-1]))
        pieces[-1:] = [f"{pieces[-1]} {piece}"] if cut else pieces[-1:] + [piece]
    return pieces


def tldr_fluency(tldr: str, language: str, judge: Judge | None = None) -> float | None:
    """The share of the TLDR's sentences judged fluent; None for a language the
    measure does not cover or an empty TLDR."""
    if language not in LANGUAGES:
        return None
    results = [sentence_fluency(s, language, judge) for s in tldr_sentences(tldr)]
    return sum(bool(r.fluent) for r in results) / len(results) if results else None
