"""summarize: clean scraped news pages, summarize them with an LLM under
versioned prompts, check the answers against the source and write a briefing."""

__version__ = "0.1.0"
