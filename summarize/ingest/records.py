"""Records exported field by field ("Datum…", "Quelle…", "TLDR…", "Inhalt…").

Some exports glue the field name to its value ("Quellewww.zeit.de"); others
write "Quelle: …". A value runs until the next line that opens a field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_FIELDS: dict[str, str] = {
    "datum": "date", "date": "date", "veröffentlicht": "date", "published": "date",
    "quelle": "source", "source": "source", "url": "url", "link": "url",
    "titel": "title", "title": "title", "überschrift": "title", "headline": "title",
    "tldr": "tldr", "tl;dr": "tldr", "zusammenfassung": "tldr", "summary": "tldr",
    "inhalt": "body", "content": "body", "text": "body", "body": "body", "artikel": "body",
    "autor": "author", "author": "author",
}
_NAMES = "|".join(sorted((re.escape(n) for n in _FIELDS), key=len, reverse=True))
# Glued values start with a capital, a digit or a URL; "Textilien" is no field.
_FIELD_LINE = re.compile(
    rf"^(?P<name>{_NAMES})(?:\s*:\s*|\s+|(?=[A-ZÄÖÜÀ-Ý0-9\"„“»]|www\.|https?:))(?P<value>.*)$",
    re.IGNORECASE,
)


@dataclass
class Record:
    fields: dict[str, str] = field(default_factory=dict)
    field_lines: int = 0  # non-empty input lines that held field names or values


def parse_record(text: str) -> Record | None:
    """The fields of a record-shaped text, or None for an ordinary page."""
    record = Record()
    current: str | None = None
    lines = [line for line in text.split("\n")]
    opened = 0
    for line in lines:
        stripped = line.strip()
        match = _FIELD_LINE.match(stripped) if stripped else None
        if match and _FIELDS[match["name"].lower()] not in record.fields:
            current = _FIELDS[match["name"].lower()]
            record.fields[current] = match["value"].strip()
            opened += 1
        elif current and stripped:
            record.fields[current] += "\n" + stripped
        elif current:
            record.fields[current] += "\n"
        elif stripped:
            return None  # text before the first field: not a record
        if stripped:
            record.field_lines += 1
    if opened < 2 or not record.fields.get("body", "").strip():
        return None
    record.fields = {k: re.sub(r"\n{3,}", "\n\n", v).strip() for k, v in record.fields.items()}
    return record
