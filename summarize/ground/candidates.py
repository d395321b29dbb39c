"""The names an article contains, found by the tool, for a model to choose from.

A small model that writes its entity list copies the words around a name
("Rustem Umjerow Medien"), lists nouns as places ("Privatanwesen") and
phrases as organisations ("Generalstabschefs der Verbündeten des Landes"),
but it chooses well from a list. `find_candidates` makes that list from the
article alone; a prompt then offers it as an enum of the answer's JSON
schema, so that a name the article lacks cannot even be decoded.

What counts as a name-like span:

- a run of capitalised words without punctuation between them, where
  titles, roles, months, weekdays and function words break the run
  ("Chefunterhändler Rustem Umjerow" → "Rustem Umjerow");
- in a run, at least one word that is clearly a name: in the alias table,
  an acronym ("EU", "CHUV"), a word no German or English dictionary knows
  ("Umjerow", "Lindenau"), or, in languages that capitalise only names
  (English, the Romance languages), any capitalised word inside a sentence
  that the article never writes in lower case;
- in German, which capitalises every noun, also two dictionary words in a
  row ("Donald Trump", "Papierfabrik Kessler": German nouns rarely stand
  side by side), a capitalised adjective inside a sentence before a noun
  ("Europäische Kommission", "Freie Wähler"), a dictionary word that
  follows "in", "nach" or "aus" without an article and never takes one in
  the article ("in Florida", "nach Miami"), a city or country GeoNames knows
  that the article never uses as a noun ("Kiel", "Emden"; not "das Essen"),
  and a given name before a capitalised word ("John Martinis");
- the capitalised parts of hyphenated words ("US" in "US-Delegation") and
  the whole word when it is a name as a whole ("Sachsen-Anhalt",
  "Choupo-Moting") or its head names an institution ("Kepler-Gymnasium");
- a lower-case particle inside a name ("Ursula von der Leyen"), and in the
  languages that capitalise only names a connector between two names
  ("Ayuntamiento de Zaragoza", "Bank of England");
- multi-word names of the alias table ("Koalition der Willigen").

Trailing common nouns are cut ("Rustem Umjerow Medien" → "Rustem Umjerow"),
and so are nouns before a city or a person ("Strecke Düsseldorf", "Pfosten
Harry Kane"); a genitive "-s" is folded where the article, the alias table
or GeoNames has the bare form ("Selenskyjs" → "Selenskyj"), spellings of one
name are merged, and a bare surname joins the person's full name
(`name_groups`).
"""

from __future__ import annotations

import re

from summarize.ground.gazetteer import is_given_name, is_place_name
from summarize.ground.lexicon import (
    alias_group,
    alias_group_type,
    alias_groups,
    is_common_noun_shaped,
    is_compound_of_known_words,
    is_function_word,
    is_generic_word,
    is_known_word,
    is_role_word,
    is_temporal_word,
    lemmatize,
    looks_like_common_word,
    word_list,
)
from summarize.ground.name_groups import Candidate, Span, group_spans, surface
from summarize.ground.source_index import SourceIndex, source_index
from summarize.text.normalize import FUNCTION_WORDS, extract_numbers, fold

# Enough for the entities of a long local report; more only costs prompt tokens.
MAX_CANDIDATES = 60
# A longer capitalised run is a title-case headline, not a name.
MAX_NAME_WORDS = 5

# Languages whose capitalisation marks names only, not every noun.
_CAPITALISED_MEANS_NAME = frozenset({"en", "fr", "it", "es", "pt", "nl", "ca", "ro", "pl", "cs", "sv", "da", "no", "fi"})
_ARTICLES = frozenset("der die das dem den des ein eine einem einen einer eines kein keine keinem keinen keiner "
                      "keines sein seine seinem seinen seiner ihr ihre ihrem ihren ihrer dieser diese dieses diesem "
                      "diesen jeder jede jedes jedem jeden am im vom zum zur beim ins".split())
# German prepositions after which a noun needs an article and a place name does not.
_PLACE_PREPOSITIONS = frozenset({"in", "nach", "aus"})
# After these a bare noun is common too ("von Geothermieprojekten", "bei
# Regen"): only a word that is no compound of dictionary words counts.
_NAME_PREPOSITIONS = frozenset({"von", "bei", "gegen", "zwischen"})
# Particles inside a person's name; "der" and "den" only after "von" or "van".
_PARTICLES = frozenset({"von", "van", "de", "da", "di", "del", "della", "du", "dos", "zu", "ter", "ten", "bin", "ibn",
                        "af", "av", "le", "la"})
_PARTICLE_ARTICLES = frozenset({"der", "den"})
# Connectors inside a name in languages that capitalise names only.
_CONNECTORS = frozenset({"of", "de", "del", "della", "dello", "degli", "delle", "di", "du", "des", "do", "da", "dos",
                         "das", "for", "per", "on", "upon"})
_CONNECTOR_ARTICLES = frozenset({"the", "la", "le", "il", "el", "los", "las", "lo", "l"})
# "d'Etat", "l'Aquila": an elided article glued to a name.
_ELIDED = re.compile(r"^[dl]['’](?=[A-ZÀ-Ý])")
_DATELINE_AFTER = re.compile(r"(?:/\w+)?\s*(?:\([^()\n]{1,30}\))?\s*[-–—]{1,2}\s")
_ACRONYM = re.compile(r"^[A-ZÄÖÜ]{2,6}$|^[A-Z][A-Z0-9]*[0-9][A-Z0-9]*$|^[A-Z][a-z]?[A-Z]{1,3}$")


def find_candidates(text: str, language: str | None = None, limit: int = MAX_CANDIDATES) -> list[Candidate]:
    """The name-like spans of `text`, one per name, in reading order: the
    `limit` most mentioned, ties to the earlier."""
    index = source_index(text)
    finder = _Finder(index, _capitalises_names_only(index, language))
    spans = finder.spans()
    spans += _alias_table_phrases(index)
    found = group_spans(index, spans)
    kept = sorted(found, key=lambda c: (-c.count, c.first))[:limit]
    return sorted(kept, key=lambda c: c.first)


def _capitalises_names_only(index: SourceIndex, language: str | None) -> bool:
    if language:
        return language.lower()[:2] in _CAPITALISED_MEANS_NAME
    # Without a language, a text whose capitalised words are mostly inside
    # sentences capitalises its nouns: German.
    inner = [t for t in index.tokens if not t.sentence_initial and t.text[:1].isalpha()]
    return sum(t.capitalised for t in inner) < 0.18 * max(1, len(inner))


class _Finder:
    def __init__(self, index: SourceIndex, names_only: bool):
        self.index = index
        self.tokens = index.tokens
        self.names_only = names_only
        self.after_article = {index.folded[i + 1] for i, w in enumerate(index.folded[:-1])
                              if w in _ARTICLES and not self.tokens[i + 1].after_break}
        self.after_place_preposition = {index.folded[i + 1] for i, w in enumerate(index.folded[:-1])
                                        if w in _PLACE_PREPOSITIONS and not self.tokens[i + 1].after_break}
        self.after_name_preposition = {index.folded[i + 1] for i, w in enumerate(index.folded[:-1])
                                       if w in _NAME_PREPOSITIONS and not self.tokens[i + 1].after_break}
        # "Leipzig - Die Stadtbibliothek …", "BERLIN (dpa) –": the place a report comes from.
        self.datelines = {i for i, t in enumerate(self.tokens)
                          if (i == 0 or "\n" in index.text[self.tokens[i - 1].end:t.start])
                          and _DATELINE_AFTER.match(index.text, t.end)}
        self.inner_capitalised = {index.folded[i] for i, t in enumerate(self.tokens)
                                  if t.capitalised and not t.sentence_initial}

    # --- one word ------------------------------------------------------------

    def is_breaking(self, i: int) -> bool:
        token = self.tokens[i]
        word = token.text
        if _ELIDED.match(word):
            word = _ELIDED.sub("", word)  # "L'accord" is "accord"
        if not word[:1].isupper() or extract_numbers(word):
            return True
        folded = fold(word)
        if folded in FUNCTION_WORDS or is_function_word(word) or is_role_word(word) or is_temporal_word(word):
            return True
        if "-" in word:
            return True  # its parts are looked at on their own
        if not self.names_only and self._demonym(word):
            return True
        # A word capitalised only because it opens the sentence: "Heute",
        # "Zudem", "Grève" where the article also writes "grève".
        return token.sentence_initial and self._ordinary_lower_case_word(word)

    def _demonym(self, word: str) -> bool:
        """"Lindenauer", "Kiewer": the adjective of a place the article or the alias table names."""
        folded = fold(word)
        if not folded.endswith("er") or len(folded) < 6 or alias_group(word) is not None:
            return False
        stem = word[:-2]
        return fold(stem) in self.inner_capitalised or alias_group(stem) is not None

    def _ordinary_lower_case_word(self, word: str) -> bool:
        folded = fold(word)
        if alias_group(word) is not None or _ACRONYM.match(word):
            return False
        if folded in self.index.lowercase_words:
            return True
        lower = word.lower()
        return is_known_word(lower) and lemmatize(lower).islower() and not is_known_word(word)

    def is_strong(self, i: int) -> bool:
        """A word that is a name on its own."""
        token = self.tokens[i]
        word = token.text
        if alias_group(word) is not None or _ACRONYM.match(word):
            return True
        if is_generic_word(word):
            return False
        if self.names_only:
            if fold(word) in self.index.lowercase_words:
                return False
            # A sentence's first word is capitalised anyway; it is a name when
            # the article also capitalises it inside a sentence.
            return not token.sentence_initial or fold(word) in self.inner_capitalised
        if not looks_like_common_word(word) or i in self.datelines or self._after_place_class(i):
            return True
        return self._known_place(word) or self._place_after_preposition(word)

    def _known_place(self, word: str) -> bool:
        """A city or country GeoNames knows ("Kiel", "Emden") that the article
        never uses as a noun ("das Essen", "in der Halle")."""
        return (is_place_name(word) and fold(word) not in self.after_article
                and not is_common_noun_shaped(word))

    def _after_place_class(self, i: int) -> bool:
        """"Landkreis Ortenfeld", "Gemeinde Birkenried": the kind of place names the next word."""
        return i > 0 and not self.tokens[i].after_break and self.index.folded[i - 1] in word_list("place_class_nouns")

    def _place_after_preposition(self, word: str) -> bool:
        folded = fold(word)
        if folded in self.after_article or folded in word_list("preposition_phrase_nouns") \
                or is_common_noun_shaped(word) or _capitalised_adjective(word):
            return False
        return folded in self.after_place_preposition or (
            folded in self.after_name_preposition and not is_compound_of_known_words(word.lower())
            and is_known_word(word) and not is_known_word(word.lower()))

    # --- runs ----------------------------------------------------------------

    def spans(self) -> list[Span]:
        spans: list[Span] = []
        run: list[int] = []
        i = 0
        while i < len(self.tokens):
            token = self.tokens[i]
            if "-" in token.text and token.text[:1].isupper():
                if run and not token.after_break and self._whole_hyphenated(i):
                    run.append(i)  # "Eric Maxim Choupo-Moting"
                    i += 1
                    continue
                spans += self._close(run)
                run = []
                spans += self._hyphenated(i)
                i += 1
                continue
            if run and not token.after_break and self._capitalised_particle(i):
                run.append(i)  # "Matthijs De Ligt"
                i += 1
                continue
            if run and not token.after_break:
                joined = self._joiner(run, i)
                if joined:
                    run += list(range(i, i + joined))
                    i += joined
                    continue
            if self.is_breaking(i) or (run and token.after_break):
                spans += self._close(run)
                run = []
                if self.is_breaking(i):
                    i += 1
                    continue
            run.append(i)
            i += 1
        spans += self._close(run)
        return spans

    def _joiner(self, run: list[int], i: int) -> int:
        """How many lower-case tokens from `i` on join the run to a name
        that follows them (0 when none do)."""
        words = [self.index.folded[j] for j in range(i, min(i + 3, len(self.tokens)))]
        if not words or self.tokens[i].text[:1].isupper():
            return 0
        if _ELIDED.match(self.tokens[i].text) and self.names_only:
            return 1
        length = 0
        if words[0] in _PARTICLES or (self.names_only and words[0] in _CONNECTORS):
            length = 1
            if length < len(words) and words[length] in _PARTICLE_ARTICLES | _CONNECTOR_ARTICLES:
                length += 1
            if not self.names_only and words[0] not in ("von", "van", "zu") and length > 1:
                return 0
        elif not self.names_only:
            return 0
        after = i + length
        if not length or after >= len(self.tokens) or self.tokens[after].after_break:
            return 0
        if self.is_breaking(after) or not self.is_strong(after):
            return 0
        # German particles join persons only: "Ursula von der Leyen", not
        # "Gespräche von Selenskyj" (the run must hold a name word already,
        # or the particle be one that only names have, "von der").
        if not self.names_only and length < 2 and not any(self.is_strong(j) for j in run):
            return 0
        return length

    def _capitalised_particle(self, i: int) -> bool:
        following = i + 1
        return (fold(self.tokens[i].text) in _PARTICLES and self.tokens[i].text[:1].isupper()
                and following < len(self.tokens) and not self.tokens[following].after_break
                and self.tokens[following].text[:1].isupper() and not self.is_breaking(following))

    def _upper(self, j: int) -> bool:
        return self.tokens[j].text[:1].isupper() or bool(_ELIDED.match(self.tokens[j].text))

    def _close(self, run: list[int]) -> list[Span]:
        while run and not self._upper(run[-1]):
            run = run[:-1]
        spans = []
        for piece in self._between_known_names(run):
            piece = self._trimmed(piece)
            if piece and len(piece) <= MAX_NAME_WORDS:
                spans.append(self._span(piece[0], piece[-1] + 1))
        return spans

    def _between_known_names(self, run: list[int]) -> list[list[int]]:
        """"warf Selenskyj Russland vor": two names of the alias table side by
        side are two names."""
        pieces = [[]]
        for j in run:
            if pieces[-1] and alias_group(self.tokens[j].text) is not None \
                    and alias_group(self.tokens[pieces[-1][-1]].text) not in (None, alias_group(self.tokens[j].text)):
                pieces.append([])
            elif pieces[-1] and self._place_genitive(pieces[-1][-1]):
                pieces.append([])  # "Tokios Einkaufsviertel Ikebukuro"
            pieces[-1].append(j)
        return [p for p in pieces if p]

    def _trimmed(self, run: list[int]) -> list[int]:
        strong = {j for j in run if self._upper(j) and self.is_strong(j)}
        # The kind of body or the role before a name: "Nachrichtenagentur
        # Ukrinform", "Landrat Thomas Gerber", "Regionen Deutschlands".
        while len(run) > 1 and run[0] not in strong and self._leading_noun(run):
            run = run[1:]
        if strong & set(run):
            # Trailing common nouns are the sentence going on: "Rustem Umjerow Medien".
            while len(run) > 1 and run[-1] not in strong and self._trailing_noun(run[-1]):
                run = run[:-1]
            return run
        return run if self._name_without_name_word(run) else []

    def _leading_noun(self, run: list[int]) -> bool:
        word = self.tokens[run[0]].text
        if self._after_number(run[0]) or fold(word) in word_list("place_class_nouns"):
            return True
        if self.names_only:
            return False
        if is_generic_word(word):
            return True
        last = self.tokens[run[-1]].text
        if len(run) == 2 and (_is_genitive(self.index, last) or self._place_after_noun(run)
                              or (is_given_name(last) and self._noun_like(run[0]))):
            return True  # "Regionen Deutschlands", "Strecke Düsseldorf", "das Ehepaar Heinz"
        # A noun before a person's given and family name: "Landrat Thomas
        # Gerber", "dem Unparteiischen Daniel Schlager".
        capitalised = [j for j in run[1:] if self.tokens[j].text[:1].isupper()]
        return (len(capitalised) >= 2 and self.tokens[run[1]].text[:1].isupper() and self._upper(run[0])
                and (self._noun_like(run[0]) or (looks_like_common_word(word) and not _capitalised_adjective(word)
                                                 and not is_given_name(word))))

    def _place_after_noun(self, run: list[int]) -> bool:
        """"auf der Strecke Düsseldorf", "Tabellenleader Leverkusen": a noun
        before a city the alias table or GeoNames knows."""
        first, last = (self.tokens[j].text for j in run)
        # "Stadtwerke Rheinhausen", "Landgericht Krefeld": a body named after its place.
        institution = fold(first).endswith(tuple(fold(h) for h in word_list("institution_heads")))
        return (self._noun_like(run[0]) and not institution and alias_group(first) is None
                and not is_place_name(first) and (alias_group_type(last) == "LOC" or is_place_name(last)))

    def _place_genitive(self, j: int) -> bool:
        word = self.tokens[j].text
        if not _is_genitive(self.index, word):
            return False
        bare = self.index.base_form(word)
        return alias_group_type(bare) == "LOC" or is_place_name(bare)

    def _noun_like(self, j: int) -> bool:
        """A German noun rather than a given name that is also a dictionary
        word ("Harry", "Eric"): inflected, a compound, or after an article."""
        word = self.tokens[j].text
        return not is_given_name(word) and (is_common_noun_shaped(word) or is_compound_of_known_words(word.lower())
                                            or self.index.folded[j] in self.after_article)

    def _after_number(self, j: int) -> bool:
        return j > 0 and not self.tokens[j].after_break and bool(extract_numbers(self.tokens[j - 1].text))

    def _trailing_noun(self, j: int) -> bool:
        word = self.tokens[j].text
        if is_generic_word(word) or is_common_noun_shaped(word):
            return True
        if self.names_only or not looks_like_common_word(word):
            return False
        # "der Ukraine Schutz bieten": a noun after a country is the sentence's.
        return self.index.folded[j] in self.after_article or alias_group(self.tokens[j - 1].text) is not None

    def _name_without_name_word(self, run: list[int]) -> bool:
        """German runs of dictionary words: two nouns side by side, or a
        capitalised adjective inside a sentence before a noun."""
        if self.names_only or len(run) < 2:
            return False
        words = [self.tokens[j].text for j in run]
        if _capitalised_adjective(words[0]):
            return not self.tokens[run[0]].sentence_initial
        if len(run) == 2 and is_given_name(words[0]) and not is_generic_word(words[1]) \
                and self.index.folded[run[1]] not in self.after_article:
            return True  # "John Martinis", though "Martinis" is a plural too
        # Nouns that take an article somewhere in the article are nouns
        # ("mit den Kosten Schritt halten"); the first may be the kind of a
        # named body ("die Papierfabrik Kessler").
        return not (any(is_generic_word(w) or is_common_noun_shaped(w) for w in words)
                    or any(self.index.folded[j] in self.after_article for j in run[1:]))

    def _hyphenated(self, i: int) -> list[Span]:
        token = self.tokens[i]
        spans = []
        if self._whole_hyphenated(i):
            return [self._span(i, i + 1)]
        offset = token.start
        for part in token.text.split("-"):
            bare = _ELIDED.sub("", part)
            # An unknown word before a hyphen is listed where the article also
            # writes it alone; here only the names the tool knows are.
            if bare[:1].isupper() and (alias_group(bare) is not None or _ACRONYM.match(bare)) \
                    and not (is_role_word(bare) or is_generic_word(bare) or is_temporal_word(bare)):
                spans.append(Span(i, i + 1, bare, offset + (len(part) - len(bare))))
            offset += len(part) + 1
        return spans

    def _whole_hyphenated(self, i: int) -> bool:
        """A hyphenated word that is a name as a whole: "Sachsen-Anhalt",
        "Kepler-Gymnasium", "Choupo-Moting" (not "US-Delegation")."""
        token = self.tokens[i]
        parts = token.parts
        if alias_group(token.text) is not None or is_place_name(token.text):
            return True
        return all(p[:1].isupper() for p in parts) and not is_role_word(token.text) and (
            fold(parts[-1]) in word_list("institution_heads")
            or (self.names_only and not token.sentence_initial and not is_generic_word(parts[-1]))
            or (not self.names_only and all(self._name_part(p) for p in parts)))

    def _name_part(self, part: str) -> bool:
        """A piece of a hyphenated German name: "Choupo-Moting", "Antwi-Adjei",
        where no piece is a dictionary word ("US-Delegation", "Putin-Vertraute")."""
        return (alias_group(part) is not None or is_place_name(part)
                or not (looks_like_common_word(part) or is_generic_word(part) or is_role_word(part)))

    def _span(self, start: int, end: int) -> Span:
        return Span(start, end, surface(self.index, start, end), self.tokens[start].start)


def _is_genitive(index: SourceIndex, word: str) -> bool:
    """"Deutschlands", "Kiews": a name in the genitive, whose bare form the
    article or the alias table has."""
    return fold(word).endswith("s") and index.base_form(word) != word


def _capitalised_adjective(word: str) -> bool:
    """"Europäische", "Freie", "Hoher": an adjective, which German writes in
    lower case unless it is part of a name."""
    lower = word.lower()
    return (word[:1].isupper() and fold(word).endswith(("e", "en", "er", "es", "em"))
            and is_known_word(lower) and lemmatize(lower).islower())


def _alias_table_phrases(index: SourceIndex) -> list[Span]:
    """Multi-word names of the alias table the article uses as one phrase."""
    spans = []
    for _, names in alias_groups():
        for name in names:
            if " " not in name:
                continue
            for occurrence in index.find(name):
                if not occurrence.in_compound:
                    spans.append(Span(occurrence.start, occurrence.end,
                                       surface(index, occurrence.start, occurrence.end),
                                       index.tokens[occurrence.start].start))
    return spans
