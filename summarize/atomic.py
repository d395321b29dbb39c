"""Files written so that a reader sees the old file or the new one, never a part."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write_atomic(path: Path, data: str | bytes | Iterable[str], *, private: bool = False) -> None:
    """Write `data` (a str as UTF-8; parts of a str one after the other, so
    that a large document is never held whole) to `path`: a hidden temporary file in the
    same directory is written, flushed to disk and renamed over the target
    (hidden files are never inputs). On any error the temporary file is
    removed and the target is left as it was. The file keeps the permissions
    of the one it replaces, else 0644; `private` makes it 0600."""
    path = Path(path)
    if private:
        mode = 0o600
    else:
        mode = stat.S_IMODE(path.stat().st_mode) if path.exists() else 0o644
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            if isinstance(data, (str, bytes)):
                stream.write(data.encode("utf-8") if isinstance(data, str) else data)
            else:
                for part in data:
                    stream.write(part.encode("utf-8"))
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, mode)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temporary)
        raise
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    # Makes the rename itself durable; not every platform can open a directory.
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
