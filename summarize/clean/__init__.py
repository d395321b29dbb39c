"""Stage 2, clean: page chrome out, article text and metadata (headline, date, outlet, language) kept."""
