"""One candidate per name: the spans the finder marks, grouped by spelling,
inflection and the alias table, and a bare surname joined to the person's
full name."""

from __future__ import annotations

from dataclasses import dataclass, field

from summarize.ground.gazetteer import is_given_name
from summarize.ground.lexicon import alias_group, alias_group_type, alias_key
from summarize.ground.source_index import SourceIndex
from summarize.models import EntityType


@dataclass
class Candidate:
    name: str
    forms: list[str] = field(default_factory=list)  # other spellings and inflections the article uses
    count: int = 0
    first: int = 0  # character offset of the first mention
    type_hint: EntityType | None = None  # the alias table's type, where it knows the name


@dataclass
class Span:
    start: int  # token indices
    end: int
    text: str
    offset: int  # character offset


def surface(index: SourceIndex, start: int, end: int) -> str:
    return " ".join(index.text[index.tokens[start].start:index.tokens[end - 1].end].split())


def group_spans(index: SourceIndex, spans: list[Span]) -> list[Candidate]:
    """One candidate per name: spellings, inflections and alias-table
    variants together, named by the form the article uses most."""
    spans = _without_nested(spans)
    groups: dict[object, list[str]] = {}
    first: dict[object, int] = {}
    for span in spans:
        base = _base_form(index, span.text)
        group = alias_group(base)
        key = ("alias", group) if group is not None else alias_key(base)
        groups.setdefault(key, []).append(base)
        first[key] = min(first.get(key, span.offset), span.offset)
    candidates = []
    for key, forms in groups.items():
        counts: dict[str, int] = {}
        for form in forms:
            counts[form] = counts.get(form, 0) + 1
        name = max(counts, key=lambda f: (counts[f], not f.isupper(), -forms.index(f)))
        candidates.append(Candidate(name=name, forms=[f for f in counts if f != name], count=len(forms),
                                    first=first[key], type_hint=alias_group_type(name)))
    return _surnames_joined(candidates)


def _surnames_joined(candidates: list[Candidate]) -> list[Candidate]:
    """"Cavallo" after "Daniela Cavallo" is the same person: one word that
    ends exactly one person's name (a given name first), and that the alias
    table does not know on its own, joins that name, which stays its fullest
    form. "Zaragoza" stays apart from "Ayuntamiento de Zaragoza"."""
    by_last: dict[str, list[Candidate]] = {}
    for candidate in candidates:
        words = candidate.name.split()
        if len(words) > 1 and is_given_name(words[0]):
            by_last.setdefault(alias_key(words[-1]), []).append(candidate)
    kept = []
    for candidate in candidates:
        fuller = by_last.get(alias_key(candidate.name), []) if " " not in candidate.name else []
        if len(fuller) == 1 and alias_group(candidate.name) is None:
            fuller[0].forms.append(candidate.name)
            fuller[0].count += candidate.count
            fuller[0].first = min(fuller[0].first, candidate.first)
            continue
        kept.append(candidate)
    return kept


def _without_nested(spans: list[Span]) -> list[Span]:
    """Spans not inside a longer span at the same place (the alias table's
    "Koalition der Willigen" hides a run found inside it)."""
    kept = []
    for span in spans:
        if any(o is not span and o.start <= span.start and span.end <= o.end and (o.end - o.start) > (span.end - span.start)
               and not (span.end - span.start == 1 and o.end - o.start == 1)
               for o in spans):
            continue
        kept.append(span)
    unique: dict[tuple, Span] = {}
    for span in kept:
        unique.setdefault((span.start, span.end, span.text), span)
    return list(unique.values())


def _base_form(index: SourceIndex, name: str) -> str:
    name = " ".join(name.split())
    if name.endswith(("'s", "’s")):
        name = name[:-2]
    return index.base_form(name)
