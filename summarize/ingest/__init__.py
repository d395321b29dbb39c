"""Stage 1, ingest: finding the inputs and turning their bytes into repaired text."""
