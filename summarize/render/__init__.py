"""Stage 6, render: the briefing as Markdown, HTML and JSON files."""
