"""The data shapes every stage shares.

Each stage takes and returns these models, so a stage can be tested alone and
any result can be written as JSON without a bespoke encoder.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_serializer

EntityType = Literal["PER", "ORG", "LOC"]


class CleanedArticle(BaseModel):
    """One input after reading and cleaning; `ok=False` carries the reason in `error`.

    `text` is the body without the headline. When `title_is_headline` is set,
    `title` is the headline line the page shows above that body, and
    `full_text()` is the article as a reader sees it; a record's title field
    (or one made from its first sentence) never stood in its text.
    """

    path: str
    ok: bool = True
    error: str | None = None
    title: str | None = None
    title_is_headline: bool = False
    source: str | None = None
    published: str | None = None  # ISO YYYY-MM-DD
    language: str | None = None
    encoding: str | None = None
    repairs: list[str] = Field(default_factory=list)
    text: str = ""
    removed: int = 0
    tokens: int = 0
    given_tldr: str | None = None
    url: str | None = None  # where a page saved by `summarize fetch` came from

    def full_text(self) -> str:
        """Headline line and body: what the model reads and answers are checked against."""
        if self.title_is_headline and self.title:
            return f"{self.title}\n\n{self.text}" if self.text else self.title
        return self.text


# --- what the LLM is asked to return (sent as a strict json_schema) ---------


class RawEntity(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    type: EntityType


class TldrAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    tldr: str
    entities: list[RawEntity]


class KeyFactsAnswer(BaseModel):
    """Entities and facts first, the TLDR last: writing the facts down before the
    summary keeps a small model from pasting the article's first sentences."""

    model_config = ConfigDict(extra="forbid")

    entities: list[RawEntity]
    key_facts: list[str]
    tldr: str


class SelectAnswer(BaseModel):
    """KeyFactsAnswer whose entity names are chosen from the names the tool
    found in the article: an enum of them in the request's schema."""

    model_config = ConfigDict(extra="forbid")

    entities: list[RawEntity]
    key_facts: list[str]
    tldr: str


class ExtractAnswer(BaseModel):
    """Entities chosen as in SelectAnswer, and the numbers of the article's
    sentences that carry the story; the tool assembles the TLDR from them."""

    model_config = ConfigDict(extra="forbid")

    entities: list[RawEntity]
    sentences: list[int]


NameLabel = Literal["PER", "ORG", "LOC", "other"]


class LabelAnswer(BaseModel):
    """A label for every name the tool found, keyed by the name, and the
    numbers of the sentences that carry the story. The request's schema makes
    each found name a required key, so the model labels all of them in order
    and cannot add one."""

    model_config = ConfigDict(extra="forbid")

    entities: dict[str, NameLabel]
    sentences: list[int]


NameKind = Literal["person", "organisation", "place", "event", "product", "law or plan", "common word"]
# The kinds of name that are entities, and their types.
KIND_TYPES: dict[str, EntityType] = {"person": "PER", "organisation": "ORG", "place": "LOC"}


class KindAnswer(BaseModel):
    """LabelAnswer with a kind for every found name instead of a type or
    "other": the names that are no entity get a kind of their own."""

    model_config = ConfigDict(extra="forbid")

    entities: dict[str, NameKind]
    sentences: list[int]


class StoryPickAnswer(BaseModel):
    """The numbers of the reports' sentences that tell the story; the tool
    puts them together (`digest.picked`)."""

    model_config = ConfigDict(extra="forbid")

    sentences: list[int]


class StoryAnswer(BaseModel):
    model_config = ConfigDict(extra="forbid")

    headline: str
    tldr: str


# --- results after grounding --------------------------------------------------


class Entity(BaseModel):
    name: str
    type: EntityType
    aliases: list[str] = Field(default_factory=list)


class Usage(BaseModel):
    prompt_tokens: int = 0
    completion_tokens: int = 0
    calls: int = 0
    cached: int = 0
    reasks: int = 0  # calls that repeated a rejected answer's request
    model_seconds: float = 0.0  # time spent waiting for the model

    def add(self, other: "Usage") -> "Usage":
        return Usage(**{name: getattr(self, name) + getattr(other, name) for name in Usage.model_fields})


class ArticleSummary(BaseModel):
    """The outcome of `tldr` for one article; failures keep their reason."""

    path: str
    ok: bool = True
    error: str | None = None
    title: str | None = None
    source: str | None = None
    published: str | None = None
    language: str | None = None
    tldr: str | None = None
    key_facts: list[str] = Field(default_factory=list)
    entities: list[Entity] = Field(default_factory=list)
    ungrounded: list[str] = Field(default_factory=list)
    # TLDR sentences removed because they named what the article lacks, or were cut off.
    dropped_sentences: list[str] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    prompt: str | None = None
    prompt_hash: str | None = None
    model: str | None = None
    usage: Usage = Field(default_factory=Usage)
    seconds: float = 0.0


class StorySource(BaseModel):
    path: str
    source: str | None = None
    title: str | None = None
    published: str | None = None
    url: str | None = None  # the article's address, for a fetched page
    language: str | None = None  # the article's language
    # The story's text was translated from this source (or written about it
    # in the briefing's language) because it is in another language.
    translated: bool = False


class Story(BaseModel):
    id: str
    headline: str
    tldr: str
    entities: list[Entity] = Field(default_factory=list)
    sources: list[StorySource] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list)
    ungrounded: list[str] = Field(default_factory=list)
    # merged-TLDR sentences removed because they named what no report has, or were cut off
    dropped_sentences: list[str] = Field(default_factory=list)
    language: str | None = None  # of headline and TLDR


class Failure(BaseModel):
    path: str
    error: str


class Briefing(BaseModel):
    date: str | None
    stories: list[Story] = Field(default_factory=list)
    not_summarized: list[Failure] = Field(default_factory=list)
    ignored: int = 0  # articles outside --date
    usage: Usage = Field(default_factory=Usage)
    prompts: list[str] = Field(default_factory=list)
    model: str | None = None
    language: str | None = None  # of every headline and TLDR, when one was set

    @field_serializer("stories", mode="wrap")
    def _any_sequence(self, stories, serialize):
        # A digest keeps its stories on a shelf (digest/shelf.py), a sequence
        # that is not a list: dumped, it is the list of its stories.
        return serialize(stories if isinstance(stories, list) else list(stories))

    def json_parts(self) -> Iterator[str]:
        """`self.model_dump_json(indent=2)` and a newline, a story at a time:
        the JSON of a 10,000-story briefing is never held whole, and stories
        kept on a shelf (digest/shelf.py) are unpacked one at a time."""
        frame = self.model_copy(update={"stories": []}).model_dump_json(indent=2)
        if not self.stories:
            yield frame + "\n"
            return
        head, _, tail = frame.partition(_NO_STORIES)
        yield head + '"stories": [\n'
        for i, story in enumerate(self.stories):
            # A story's own JSON, indented to its depth in the briefing's.
            text = story.model_dump_json(indent=2).replace("\n", "\n    ")
            yield ("    " if i == 0 else ",\n    ") + text
        yield "\n  ]" + tail + "\n"


# Where the stories stand in the JSON of a briefing without any (indent=2).
_NO_STORIES = '"stories": []'


class JudgeAnswer(BaseModel):
    """A judge model's choice between two summaries A and B of one article."""

    better: Literal["A", "B", "tie"]
