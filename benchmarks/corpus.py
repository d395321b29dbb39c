"""Benchmark inputs: the five seeds, and any number of articles derived from them.

A derived article is a seed page with its names, numbers and dates changed
and its body reordered: entity words (from the gold entities of the seeds)
become invented words, numbers get new digits, dates move by a few days,
body paragraphs are shuffled, one may be dropped and one from another seed
is added, and sentences inside a paragraph are shuffled after the first.
The page around the body (navigation, teasers, footers) stays as it is, so
the cleaner has the same work to do. Derived articles are distinct enough
not to count as near-duplicates of each other by the pipeline's own shingle
test (the concurrency part reports `near_duplicate_groups`).
"""

from __future__ import annotations

import json
import random
import re
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS_DIR = ROOT / "seeds"
GOLD = ROOT / "evals" / "gold.jsonl"

_SYLLABLES = ("ka", "lo", "mi", "ra", "ven", "tor", "sa", "bel", "dun", "fi", "gar", "hol", "ir", "jan",
              "kel", "mor", "nes", "pal", "quin", "rus", "sel", "tam", "ul", "vor", "wen", "zar", "bri", "dek")
_SKIP_WORDS = {"der", "die", "das", "des", "dem", "den", "von", "und", "für", "am", "im", "in", "of", "the"}
_MONTHS = ("Januar", "Februar", "März", "April", "Mai", "Juni", "Juli", "August", "September", "Oktober",
           "November", "Dezember")
_MONTH_INDEX = {name: i + 1 for i, name in enumerate(_MONTHS)} | {"Jänner": 1}
_SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-ZÄÖÜ„\"])")
_DATES_AND_NUMBERS = re.compile(
    r"(?P<iso>(?<!\d)(?P<iy>\d{4})-(?P<im>\d{2})-(?P<id>\d{2})\b)"
    r"|(?P<dmy>(?<!\d)(?P<dd>\d{1,2})\.(?P<dm>\d{1,2})\.(?P<dy>\d{4}|\d{2})\b)"
    r"|(?P<long>\b(?P<ld>\d{1,2})\. (?P<lm>" + "|".join([*_MONTHS, "Jänner"]) + r")(?P<ly> \d{4})?)"
    r"|(?P<time>\b\d{1,2}:\d{2}(?::\d{2})?\b)"
    r"|(?P<num>\b\d{2,}\b)"
)


def seed_paths() -> list[Path]:
    return sorted(SEEDS_DIR.glob("*.txt"))


def gold_records() -> dict[str, dict]:
    """Gold answers by file name, for the seeds and the written eval articles."""
    records = {}
    for line in GOLD.read_text(encoding="utf-8").splitlines():
        if line.strip():
            record = json.loads(line)
            records[Path(record["path"]).name] = record
    return records


def _entity_words(records: list[dict]) -> list[str]:
    words = set()
    for record in records:
        for entity in record["entities"]:
            for name in [entity["name"], *entity.get("aliases", [])]:
                for word in re.split(r"[\s\-/]+", name):
                    word = word.strip(".,;:()»«\"'")
                    if len(word) >= 2 and word[0].isupper() and word.lower() not in _SKIP_WORDS:
                        words.add(word)
    return sorted(words, key=lambda w: (-len(w), w))


def _invented_word(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 3))).capitalize()


def _shift(day: int, month: int, year: int, offset: int) -> date | None:
    try:
        return date(year, month, day) + timedelta(days=offset)
    except ValueError:
        return None


class _Variant:
    """One set of substitutions, applied alike to every text of one derived article."""

    def __init__(self, rng: random.Random, entity_words: list[str], day_offset: int):
        self.rng = rng
        self.offset = day_offset
        self.names = {word: _invented_word(rng) for word in entity_words}
        self.name_pattern = re.compile(r"(?<!\w)(" + "|".join(map(re.escape, entity_words)) + r")")

    def numbers(self, match: re.Match) -> str:
        if match["iso"]:
            shifted = _shift(int(match["id"]), int(match["im"]), int(match["iy"]), self.offset)
            return shifted.isoformat() if shifted else match[0]
        if match["dmy"]:
            short = len(match["dy"]) == 2
            year = int(match["dy"]) + (2000 if short else 0)
            shifted = _shift(int(match["dd"]), int(match["dm"]), year, self.offset)
            if shifted is None:
                return match[0]
            return f"{shifted.day:02d}.{shifted.month:02d}.{shifted.year % 100 if short else shifted.year:02d}"
        if match["long"]:
            year = int(match["ly"]) if match["ly"] else 2026
            shifted = _shift(int(match["ld"]), _MONTH_INDEX[match["lm"]], year, self.offset)
            if shifted is None:
                return match[0]
            return f"{shifted.day}. {_MONTHS[shifted.month - 1]}" + (f" {shifted.year}" if match["ly"] else "")
        if match["time"]:
            return match[0]
        digits = match["num"]
        return str(self.rng.randint(1, 9)) + "".join(str(self.rng.randint(0, 9)) for _ in digits[1:])

    def apply(self, text: str) -> str:
        text = self.name_pattern.sub(lambda m: self.names[m[1]], text)
        return _DATES_AND_NUMBERS.sub(self.numbers, text)

    def shuffle_sentences(self, paragraph: str) -> str:
        sentences = _SENTENCE.split(paragraph)
        if len(sentences) < 3:
            return paragraph
        head, rest = sentences[0], sentences[1:]
        self.rng.shuffle(rest)
        return " ".join([head, *rest])


def _body_paragraphs(record: dict) -> list[str]:
    """The seed's body paragraphs as they appear in the page (the headline left out)."""
    paragraphs = [p.strip() for p in record["body"].split("\n\n") if p.strip()]
    return paragraphs[1:] if record.get("title") and paragraphs and paragraphs[0] == record["title"] else paragraphs


def derive_article(raw: str, record: dict, donors: list[str], variant: _Variant) -> str:
    rng = variant.rng
    own = [p for p in _body_paragraphs(record) if p in raw]
    if own:
        order = own[:]
        rng.shuffle(order)
        if len(order) >= 4:
            order.pop(rng.randrange(len(order)))
        order.append(rng.choice(donors))
        order = [variant.shuffle_sentences(p) for p in order]
        # Put the new order into the slots of the old paragraphs; extra ones go after the last slot.
        pieces, cursor = [], 0
        slots = sorted((raw.index(p), p) for p in own)
        for i, (start, old) in enumerate(slots):
            pieces.append(raw[cursor:start])
            if i < len(slots) - 1:
                pieces.append(order[i] if i < len(order) else "")
            else:
                pieces.append("\n\n".join(order[i:]))
            cursor = start + len(old)
        pieces.append(raw[cursor:])
        raw = "".join(pieces)
    return variant.apply(raw)


def generate_articles(count: int, directory: Path, *, seed: int = 0, days: int = 5) -> list[Path]:
    """`count` derived articles written to `directory`, deterministic for `seed`.

    Articles are spread over `days` consecutive days (each seed's dates shifted
    by 0..days-1), so the pile has several stories per event, as a week of
    news would."""
    directory.mkdir(parents=True, exist_ok=True)
    gold = gold_records()
    seeds = [(path, path.read_text(encoding="utf-8"), gold[path.name]) for path in seed_paths()]
    words = _entity_words([record for _, _, record in seeds])
    rng = random.Random(seed)
    written = []
    for n in range(count):
        path, raw, record = seeds[n % len(seeds)]
        donors = [p for other, _, rec in seeds if other != path for p in _body_paragraphs(rec)]
        variant = _Variant(random.Random(rng.getrandbits(64)), words, rng.randrange(days))
        target = directory / f"{n:04d}_{path.stem.split('_', 1)[0]}.txt"
        target.write_text(derive_article(raw, record, donors, variant), encoding="utf-8")
        written.append(target)
    return written


def long_article(directory: Path, repeat: int = 6) -> Path:
    """One record-format article far longer than a model call's context: the
    seeds' bodies, each repeated with other names, one after the other."""
    gold = gold_records()
    records = [gold[p.name] for p in seed_paths()]
    words = _entity_words(records)
    rng = random.Random(7)
    paragraphs = []
    for _ in range(repeat):
        variant = _Variant(random.Random(rng.getrandbits(64)), words, 0)
        paragraphs += [variant.apply(p) for record in records for p in _body_paragraphs(record)]
    target = directory / "long_article.txt"
    directory.mkdir(parents=True, exist_ok=True)
    target.write_text("Datum03.01.2026 08:00\nQuellewww.example.org\nInhalt" + "\n".join(paragraphs) + "\n",
                      encoding="utf-8")
    return target
