"""Stage 4, tldr: one article through clean → chunk → LLM → ground."""
