"""The merge prompt's measures on gold stories."""

from summarize.digest.briefing import Member
from summarize.evaluate.stories import figures_attributed, gold_story_groups, story_row
from summarize.models import ArticleSummary, CleanedArticle, Story


def member(path, source, text, tldr="x", ok=True, published="2026-01-02", language="de"):
    article = CleanedArticle(path=path, text=text, source=source, published=published, language=language)
    return Member(article, ArticleSummary(path=path, ok=ok, tldr=tldr, source=source))


GROUP = [
    member("a", "Nordkurier", "Die Fähre soll täglich 2.000 Fahrgäste befördern. Sie fährt seit Montag in Kiel."),
    member("b", "Stadtanzeiger", "Die Fähre ist für 1.800 Fahrgäste am Tag ausgelegt. Sie fährt seit Montag in Kiel."),
]


def test_a_figure_only_one_outlet_gives_must_name_that_outlet():
    attributed = "Die Fähre fährt in Kiel. Laut Nordkurier befördert sie 2.000 Fahrgäste, laut Stadtanzeiger 1.800."
    assert figures_attributed(attributed, GROUP) == 1.0
    bare = "Die Fähre fährt in Kiel und befördert 2.000 Fahrgäste am Tag."
    assert figures_attributed(bare, GROUP) == 0.0
    assert figures_attributed("Die Fähre fährt seit Montag in Kiel.", GROUP) is None


def test_story_row_flags_invented_numbers_and_a_second_language():
    story = Story(id="s", headline="Fähre", tldr="Die Fähre fährt in Kiel mit 3.500 Fahrgästen. "
                  "The ferry has been running since Monday in Kiel harbour.", sources=[])
    row = story_row(story, GROUP, "de", 50)
    assert row["story_faithful"] is False and row["story_numbers_not_in_sources"] == 1
    assert row["story_one_language"] is False
    good = Story(id="s", headline="Fähre", tldr="Die neue Fähre fährt seit Montag in Kiel.", sources=[])
    assert story_row(good, GROUP, "de", 50)["story_one_language"] is True


def test_a_failed_merge_is_counted_but_not_measured():
    story = Story(id="s", headline="Fähre", tldr="x (merged summary unavailable: not recorded)", sources=[],
                  flags=["merge_failed"])
    row = story_row(story, GROUP, "de", 50)
    assert row["merge_failed"] and row["not_recorded"] and row["story_faithful"] is None


def test_groups_are_the_gold_stories_with_several_answered_articles():
    gold = [{"story": "s1"}, {"story": "s1"}, {"story": "s2"}, {"story": "s3"}, {"story": "s3"}]
    members = [member(str(i), "X", "Text.", ok=(i != 4)) for i in range(5)]
    groups = gold_story_groups(gold, [m.article for m in members], [m.summary for m in members])
    assert [[m.article.path for m in g] for g in groups] == [["0", "1"]]
