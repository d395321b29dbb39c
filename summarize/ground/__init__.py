"""Stage 4, ground: checking a model's answer against its article (names, numbers, copies) and repairing it."""
