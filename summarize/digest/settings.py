"""What a digest run is asked for: prompts, language, day and window, concurrency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from summarize.llm.prompts import Prompt, default_prompt, load_prompt
from summarize.tldr.select import extracts
from summarize.tldr.stage import DEFAULT_PROMPT, TRANSLATE_PROMPT, TldrSettings

STORY_PROMPT = "story@v2"


@dataclass
class DigestSettings:
    tldr: TldrSettings
    story_prompt: Prompt
    day: date | None = None
    window_days: int = 1
    concurrency: int = 4
    translate_prompt: Prompt | None = None  # for extracts of stories without a source in the briefing's language

    @property
    def extractive(self) -> bool:
        return extracts(self.tldr.prompt)

    @classmethod
    def load(cls, *, prompt: str, story_prompt: str = STORY_PROMPT, language: str | None = None,
             day: date | None = None, window_days: int = 1, concurrency: int = 4) -> "DigestSettings":
        return cls(TldrSettings.load(prompt, language), load_prompt(story_prompt), day, window_days, concurrency,
                   load_prompt(TRANSLATE_PROMPT))

    @classmethod
    def for_model(cls, model: str | None, *, prompt: str | None = None, story_prompt: str | None = None,
                  **options) -> "DigestSettings":
        """`load` with the versions prompts/defaults.toml names for `model`
        where none is asked for: what `summarize digest` and a schedule take."""
        return cls.load(prompt=prompt or default_prompt("tldr", model) or DEFAULT_PROMPT,
                        story_prompt=story_prompt or default_prompt("story", model) or STORY_PROMPT, **options)
