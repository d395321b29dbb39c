"""The digest's compressed shelves, and cleaning one page at a time."""

from __future__ import annotations

import pytest

from summarize.clean.cleaner import clean_each, clean_inputs, drained
from summarize.digest.shelf import Lazy, Shelf, pack
from summarize.ingest.inputs import RawInput
from summarize.models import (
    ArticleSummary,
    Briefing,
    CleanedArticle,
    Entity,
    Story,
    StorySource,
)

TEXT = ("Die Stadtwerke Bochum erhöhen zum 1. März die Preise für Fernwärme um 4,5 Prozent. "
        "Betroffen sind rund 12.000 Haushalte im Stadtgebiet. ") * 20


def test_a_shelf_gives_back_equal_models_in_order():
    articles = [CleanedArticle(path=f"a{i}.txt", title=f"Titel {i}", text=TEXT, published="2026-03-01",
                               language="de", repairs=["mojibake"]) for i in range(3)]
    shelf = Shelf(CleanedArticle, articles)
    assert len(shelf) == 3
    assert list(shelf) == articles
    assert shelf[1] == articles[1] and shelf[-1] == articles[2]
    assert shelf[1:] == articles[1:]
    assert shelf[0] is not shelf[0]  # a fresh model each time: nothing is kept unpacked


def test_a_shelved_article_takes_a_fraction_of_its_text():
    article = CleanedArticle(path="a.txt", text=TEXT)
    assert len(pack(article)) < len(TEXT.encode()) / 4


def test_a_shelf_of_answers_keeps_nested_models():
    summary = ArticleSummary(path="a.txt", tldr="Fernwärme wird teurer.",
                             entities=[Entity(name="Stadtwerke Bochum", type="ORG", aliases=["Stadtwerke"])])
    shelf = Shelf(ArticleSummary)
    shelf.append(summary)
    assert shelf[0].entities[0].aliases == ["Stadtwerke"]


def test_lazy_makes_each_item_when_read():
    made = []
    lazy = Lazy(3, lambda i: made.append(i) or i * 10)
    assert len(lazy) == 3 and lazy[2] == 20 and lazy[-3] == 0
    assert list(lazy) == [0, 10, 20]
    assert made == [2, 0, 0, 1, 2]
    with pytest.raises(IndexError):
        lazy[3]


def _page(i: int) -> bytes:
    # Two pages share the menu line: the batch pass must still see it.
    return f"Startseite | Politik | Sport\nMeldung {i}\n\n{TEXT}\n".encode()


def test_cleaning_one_page_at_a_time_is_cleaning_the_batch():
    raw = [RawInput(f"p{i}.txt", _page(i)) for i in range(3)] + [RawInput("missing.txt", error="no such file")]
    assert list(clean_each(raw)) == clean_inputs(raw)
    assert not any("Startseite" in a.text for a in clean_inputs(raw))
    assert clean_inputs(raw)[-1].error == "no such file"


def test_the_digest_lets_each_page_go_once_handed_to_cleaning():
    pages = [RawInput(f"p{i}.txt", _page(i)) for i in range(3)]
    handed = drained(pages)
    first = next(handed)
    assert first.label == "p0.txt" and len(pages) == 2
    assert [p.label for p in handed] == ["p1.txt", "p2.txt"] and pages == []


def test_a_reordered_shelf_moves_the_packed_items():
    articles = [CleanedArticle(path=f"a{i}.txt", text=TEXT) for i in range(4)]
    shelf = Shelf(CleanedArticle, articles)
    moved = shelf.reordered([2, 0, 3, 1])
    assert [a.path for a in moved] == ["a2.txt", "a0.txt", "a3.txt", "a1.txt"]
    assert list(shelf) == articles  # the first shelf is unchanged
    assert moved != articles and moved == [articles[i] for i in (2, 0, 3, 1)]


def test_a_briefing_with_shelved_stories_dumps_as_with_a_list():
    story = Story(id="s-1", headline="Fernwärme wird teurer", tldr="Die Stadtwerke erhöhen die Preise.",
                  sources=[StorySource(path="a.txt", source="WAZ")])
    listed = Briefing(date="2026-03-01", stories=[story, story.model_copy(update={"id": "s-2"})])
    shelved = listed.model_copy()
    shelved.stories = Shelf(Story, listed.stories)
    assert shelved.model_dump_json(indent=2) == listed.model_dump_json(indent=2)
    assert "".join(shelved.json_parts()) == listed.model_dump_json(indent=2) + "\n"
    assert Briefing.model_validate_json("".join(shelved.json_parts())) == listed
