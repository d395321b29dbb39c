"""Language identification with py3langid's model, opened quickly.

py3langid ships its model LZMA-compressed and decompresses it in every
process (0.35 s on 2 cores). The uncompressed model is kept in the cache
directory, written once per installation, and opened from there; if that
fails for any reason, py3langid's own loader is used.
"""

from __future__ import annotations

import lzma
import os
import shutil
import threading
from importlib.metadata import version
from pathlib import Path

import platformdirs

_lock = threading.Lock()
_identifier = None


def model_cache_path() -> Path:
    return Path(platformdirs.user_cache_dir("summarize")) / f"py3langid-{version('py3langid')}-model.npz"


def _unpacked_model() -> Path:
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    target = model_cache_path()
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(f".tmp{os.getpid()}")
        try:
            with lzma.open(MODEL_DIR / MODEL_FILE) as packed, partial.open("wb") as out:
                shutil.copyfileobj(packed, out, length=1 << 20)
            os.replace(partial, target)
        finally:
            partial.unlink(missing_ok=True)
    return target


def _open_identifier():
    import numpy as np
    from py3langid.langid import LanguageIdentifier
    from py3langid.modelio import _to_array

    try:
        with np.load(_unpacked_model(), allow_pickle=False) as data:
            return LanguageIdentifier(data["ptc"], data["pc"], data["classes"].tolist(), _to_array(data["nextmove"]),
                                      data["out_feat"].tolist(), tk_row=_to_array(data["nextmove_row"]))
    except Exception:  # a read-only cache, a changed model layout: the packaged loader still works
        import py3langid.langid

        return py3langid.langid._get_identifier()


def identifier():
    global _identifier
    if _identifier is None:
        with _lock:
            if _identifier is None:
                _identifier = _open_identifier()
    return _identifier


def classify(text: str) -> tuple[str, float]:
    return identifier().classify(text)


def rank(text: str) -> list[tuple[str, float]]:
    return identifier().rank(text)
