"""Language identification with py3langid's model, opened quickly.

py3langid ships its model LZMA-compressed and decompresses it in every
process (0.35 s on 2 cores), briefly holding each table twice (115 MB more
peak memory than before the first article). The model is unpacked once per
installation into the cache directory, one file per table: the large score
table is memory-mapped (only the rows of features a text has are read) and
the state table is read straight into the array py3langid uses. If that
fails for any reason, py3langid's own loader is used.
"""

from __future__ import annotations

import io
import lzma
import os
import shutil
import threading
from array import array
from importlib.metadata import version
from pathlib import Path

import platformdirs

_lock = threading.Lock()
_identifier = None


def model_cache_path() -> Path:
    return Path(platformdirs.user_cache_dir("summarize")) / f"py3langid-{version('py3langid')}-model"


# Tables py3langid keeps as stdlib arrays (its `modelio` layout), by typecode.
_ARRAY_TABLES = {"nextmove": "I", "nextmove_row": "H"}


def _unpack_model(target: Path) -> None:
    import numpy as np
    from py3langid.langid import MODEL_DIR, MODEL_FILE

    partial = target.with_name(f"{target.name}.tmp{os.getpid()}")
    partial.mkdir(parents=True, exist_ok=True)
    try:
        with lzma.open(MODEL_DIR / MODEL_FILE) as packed, np.load(io.BytesIO(packed.read())) as data:
            for name in ("ptc", "pc", "classes", "out_feat"):
                np.save(partial / f"{name}.npy", data[name], allow_pickle=False)
            for name, typecode in _ARRAY_TABLES.items():
                table = data[name]
                if table.dtype.itemsize != array(typecode).itemsize:
                    raise ValueError(f"py3langid table {name} is {table.dtype}, not {typecode}")
                (partial / f"{name}.bin").write_bytes(np.ascontiguousarray(table).tobytes())
        try:
            os.replace(partial, target)
        except OSError:  # another process unpacked it first
            pass
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _read_array(path: Path, typecode: str) -> array:
    # Read into the array's own buffer: array.fromfile would hold the bytes
    # a second time while copying them.
    table = array(typecode, [0]) * (path.stat().st_size // array(typecode).itemsize)
    with path.open("rb") as handle:
        if handle.readinto(memoryview(table).cast("B")) != len(table) * table.itemsize:
            raise ValueError(f"{path} is shorter than it was")
    return table


def _open_identifier():
    import numpy as np
    from py3langid.langid import LanguageIdentifier

    try:
        folder = model_cache_path()
        if not (folder / "ptc.npy").exists():
            _unpack_model(folder)
        tables = {name: _read_array(folder / f"{name}.bin", typecode) for name, typecode in _ARRAY_TABLES.items()}
        return LanguageIdentifier(np.load(folder / "ptc.npy", mmap_mode="r"), np.load(folder / "pc.npy"),
                                  np.load(folder / "classes.npy").tolist(), tables["nextmove"],
                                  np.load(folder / "out_feat.npy").tolist(), tk_row=tables["nextmove_row"])
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
