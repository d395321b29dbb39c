"""Stage 3, llm: the model behind one small interface, versioned prompts, structured calls, recordings."""
