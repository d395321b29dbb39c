"""Scoring cleaned text against gold articles.

`body_scores` compares word tokens as multisets, so order and paragraph breaks
do not matter but every dropped or extra word does; the gold body's headline
line is left out (`body_without_title`), since cleaned text has it in `title`. `boilerplate_left` counts
gold boilerplate lines still present: short lines must stand as a line of
their own to count (a menu item "Politik" may well occur inside a sentence),
longer ones count wherever they occur.

    python -m summarize.evaluate.cleanscore evals/gold.jsonl
"""

from __future__ import annotations

import json
import re
import sys
from collections import Counter
from pathlib import Path

# Lines with at least this many words count as left even inside a paragraph.
_SUBSTRING_WORDS = 5
_TOKEN = re.compile(r"\w+", re.UNICODE)


def word_tokens(text: str) -> list[str]:
    return _TOKEN.findall(text.casefold())


def body_scores(clean_text: str, gold_body: str) -> tuple[float, float, float]:
    """(precision, recall, F1) of the cleaned text's word tokens against the gold body."""
    got, want = Counter(word_tokens(clean_text)), Counter(word_tokens(gold_body))
    overlap = sum((got & want).values())
    precision = overlap / sum(got.values()) if got else (1.0 if not want else 0.0)
    recall = overlap / sum(want.values()) if want else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def body_without_title(body: str, title: str | None) -> str:
    """A gold body without its leading headline line: the cleaner gives the
    headline as `title` and the rest as `text`."""
    first, _, rest = body.lstrip().partition("\n")
    if title and same_title(first, title):
        return rest.strip()
    return body


def _squash(text: str) -> str:
    return re.sub(r"\s+", " ", text.casefold()).strip()


def boilerplate_left(clean_text: str, boilerplate_lines: list[str]) -> int:
    """How many gold boilerplate lines the cleaned text still contains."""
    lines = {_squash(line) for line in clean_text.split("\n") if line.strip()}
    whole = _squash(clean_text)
    left = 0
    for raw in boilerplate_lines:
        line = _squash(raw)
        if not line:
            continue
        if line in lines or (len(word_tokens(line)) >= _SUBSTRING_WORDS and line in whole):
            left += 1
    return left


def same_title(got: str | None, want: str | None) -> bool:
    if got is None or want is None:
        return got is want
    return _squash(got).strip(" .") == _squash(want).strip(" .")


def _source_key(value: str) -> str:
    value = value.casefold().strip().removeprefix("www.")
    if " " not in value and "." in value:
        value = value.rsplit(".", 1)[0]
    return re.sub(r"\W", "", value)


def same_source(got: str | None, want: str | None) -> bool:
    """Outlets match ignoring case, "www." and the top-level domain ("oe24.at" ~ "oe24")."""
    if got is None or want is None:
        return got is want
    return _source_key(got) == _source_key(want)


SPLITS = ("all", "tuned", "dev", "test")


def load_gold(path: str | Path, split: str = "all") -> list[dict]:
    """The gold lines, or those of one split: `tuned` (the articles the
    pipeline was built on), `dev` (real pages to tune on) or `test` (real
    pages kept for judging)."""
    with open(path, encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle if line.strip()]
    return rows if split == "all" else [row for row in rows if row.get("split", "tuned") == split]


def resolve(gold_path: Path, article_path: str) -> Path:
    """Gold paths are relative to the repository root, the folder above evals/."""
    candidate = Path(article_path)
    if candidate.exists():
        return candidate
    return gold_path.resolve().parent.parent / article_path


def score_gold(gold_path: str | Path, split: str = "all") -> list[dict]:
    from summarize.clean.cleaner import clean_paths

    gold_path = Path(gold_path)
    gold = load_gold(gold_path, split)
    articles = clean_paths([str(resolve(gold_path, g["path"])) for g in gold])
    rows = []
    for entry, article in zip(gold, articles):
        precision, recall, f1 = body_scores(article.text, body_without_title(entry["body"], entry["title"]))
        rows.append({
            "id": entry["id"],
            "ok": article.ok,
            "precision": precision,
            "recall": recall,
            "f1": f1,
            "boilerplate_left": boilerplate_left(article.text, entry["boilerplate"]),
            "boilerplate": len(entry["boilerplate"]),
            "title": same_title(article.title, entry["title"]),
            "source": same_source(article.source, entry["source"]),
            "date": article.published == entry["published"],
            "language": article.language == entry["language"],
            "tokens": article.tokens,
            "article": article,
        })
    return rows


def format_table(rows: list[dict]) -> str:
    mark = {True: "ok", False: "--"}
    header = f"{'id':<5}{'P':>7}{'R':>7}{'F1':>7}{'left':>8}  {'title':<6}{'source':<7}{'date':<6}{'lang':<6}{'tokens':>7}"
    lines = [header, "-" * len(header)]
    for r in rows:
        lines.append(
            f"{r['id']:<5}{r['precision']:>7.3f}{r['recall']:>7.3f}{r['f1']:>7.3f}"
            f"{r['boilerplate_left']:>4}/{r['boilerplate']:<3}  {mark[r['title']]:<6}{mark[r['source']]:<7}"
            f"{mark[r['date']]:<6}{mark[r['language']]:<6}{r['tokens']:>7}"
        )
    n = len(rows) or 1
    lines.append("-" * len(header))
    lines.append(
        f"{'mean':<5}{sum(r['precision'] for r in rows) / n:>7.3f}{sum(r['recall'] for r in rows) / n:>7.3f}"
        f"{sum(r['f1'] for r in rows) / n:>7.3f}{sum(r['boilerplate_left'] for r in rows):>4}/"
        f"{sum(r['boilerplate'] for r in rows):<3}  "
        + "".join(f"{sum(r[k] for r in rows)}/{len(rows):<{w - len(str(sum(r[k] for r in rows))) - 1}}"
                  for k, w in (("title", 6), ("source", 7), ("date", 6), ("language", 6)))
    )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m summarize.evaluate.cleanscore GOLD.jsonl", file=sys.stderr)
        return 2
    try:
        rows = score_gold(args[0])
    except (OSError, json.JSONDecodeError, KeyError) as exc:
        print(f"cannot score {args[0]}: {exc}", file=sys.stderr)
        return 1
    print(format_table(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
