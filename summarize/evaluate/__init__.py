"""Beside the pipeline: prompt versions measured on the gold set."""
