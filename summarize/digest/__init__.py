"""Stage 5, digest: a day's articles grouped into stories, merged and kept as a briefing."""
