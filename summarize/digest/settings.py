"""What a digest run is asked for: prompts, language, day and window, concurrency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from summarize.llm.prompts import Prompt, load_prompt
from summarize.tldr.select import EXTRACT_SCHEMAS
from summarize.tldr.stage import TRANSLATE_PROMPT, TldrSettings

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
        return self.tldr.prompt.schema_name in EXTRACT_SCHEMAS

    @classmethod
    def load(cls, *, prompt: str, story_prompt: str = STORY_PROMPT, language: str | None = None,
             day: date | None = None, window_days: int = 1, concurrency: int = 4) -> "DigestSettings":
        return cls(TldrSettings.load(prompt, language), load_prompt(story_prompt), day, window_days, concurrency,
                   load_prompt(TRANSLATE_PROMPT))
