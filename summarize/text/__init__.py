"""Text utilities every stage shares: normalisation, folding, tokens for the model."""
