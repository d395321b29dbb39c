"""The project's held-out split of the article-extraction corpora.

A page is held out when the SHA-1 of its gold `id`, read as an integer, is a
multiple of four (about a quarter of the pages); every other page is `tune`.
A learned cleaner is trained on `tune` pages only, so that the `holdout`
figures of `benchmarks/extraction.py` stay an honest estimate.
"""

from __future__ import annotations

import hashlib

SPLITS = ("tune", "holdout")


def split_of(page_id: str) -> str:
    """'holdout' for about one page in four, chosen by a hash of the id; else 'tune'."""
    return "holdout" if int(hashlib.sha1(page_id.encode()).hexdigest(), 16) % 4 == 0 else "tune"
