"""Finding the inputs and turning their bytes into repaired text.

Nothing here raises for a bad input: `expand_inputs` turns unusable paths into
refs that carry their reason, and `read_input` raises only `InputError`, whose
message is one human-readable line.
"""

from __future__ import annotations

import errno
import glob
import os
import re
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import charset_normalizer

from summarize.ingest.mojibake import repair_text

STDIN = "-"

_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (b"\xef\xbb\xbf", "utf-8-sig", "utf-8 bom"),
    (b"\xff\xfe\x00\x00", "utf-32-le", "utf-32 bom"),
    (b"\x00\x00\xfe\xff", "utf-32-be", "utf-32 bom"),
    (b"\xff\xfe", "utf-16-le", "utf-16 bom"),
    (b"\xfe\xff", "utf-16-be", "utf-16 bom"),
)

# Single-byte code pages charset-normalizer may name for Western text; for such
# text cp1252 is what the writer almost always used.
_LATIN_FAMILY = {
    "cp1252", "cp1250", "latin_1", "iso8859_15", "iso8859_2", "iso8859_9",
    "cp1254", "cp1257", "iso8859_13", "iso8859_16", "mac_roman", "mac_latin2",
    "cp850", "cp437",
}
_WESTERN_EXTRA = set("€„“”‘’‚–—…•™ŠšŽžŒœŸ†‡‰ˆ˜‹›")

# A page dump with more stray control characters than this is not text.
_MAX_CONTROL_RATIO = 0.01
# Scraped pages carry the odd NUL byte (a broken template, a truncated write);
# binary files have them by the hundred, and their other control bytes give
# them away once the NULs are dropped.
_MAX_STRAY_NUL_RATIO = 0.01
_FEW_NULS = 8


class InputError(Exception):
    """An input that cannot be read; the message is one line for the user."""


@dataclass(frozen=True)
class InputRef:
    """One input: a file, standard input, or a path that failed to resolve."""

    label: str
    path: Path | None = None
    error: str | None = None

    @property
    def is_stdin(self) -> bool:
        return self.path is None and self.error is None and self.label == STDIN


@dataclass(frozen=True)
class Decoded:
    text: str
    encoding: str
    repairs: list[str] = field(default_factory=list)


def _visible_files(directory: Path) -> list[Path]:
    found: list[Path] = []
    for root, dirs, files in os.walk(directory, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        found.extend(Path(root) / f for f in sorted(files) if not f.startswith("."))
    return sorted(found)


def _special_file(path: Path) -> str | None:
    """Why a file found inside a directory or by a glob cannot be read as a
    page: opening a named pipe without a writer would block the whole run, and
    a device may never end. A path named on its own is trusted (`<(cmd)`)."""
    try:
        mode = path.stat().st_mode
    except OSError:
        return None  # reading it reports the reason
    if stat.S_ISREG(mode) or stat.S_ISDIR(mode):
        return None
    if stat.S_ISFIFO(mode):
        return "not a regular file (named pipe)"
    if stat.S_ISSOCK(mode):
        return "not a regular file (socket)"
    return "not a regular file (device)"


def _ref_for_path(raw: str, named: bool = True) -> list[InputRef]:
    path = Path(raw)
    try:
        path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return [InputRef(raw, error="symlink loop")]
        if path.is_symlink():
            return [InputRef(raw, error="broken symlink")]
        return [InputRef(raw, error=_os_reason(exc))]
    if path.is_dir():
        files = _visible_files(path)
        if not files:
            return [InputRef(raw, error="directory has no files")]
        return [InputRef(str(f), path=f, error=_special_file(f)) for f in files]
    return [InputRef(raw, path=path, error=None if named else _special_file(path))]


def expand_inputs(paths: list[str]) -> list[InputRef]:
    """Files, directories (recursive), globs and "-" for stdin, in a stable order."""
    refs: list[InputRef] = []
    for raw in paths:
        if raw == STDIN:
            refs.append(InputRef(STDIN))
        elif glob.has_magic(raw) and not Path(raw).exists():
            matches = sorted(glob.glob(raw, recursive=True))
            if not matches:
                refs.append(InputRef(raw, error="no file matches this pattern"))
            for match in matches:
                if not Path(match).name.startswith("."):
                    refs.extend(_ref_for_path(match, named=False))
        else:
            refs.extend(_ref_for_path(raw))
    return refs


def _os_reason(exc: OSError) -> str:
    reasons = {
        errno.ENOENT: "not found",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.EISDIR: "is a directory",
        errno.ELOOP: "symlink loop",
        errno.ENAMETOOLONG: "file name too long",
    }
    return reasons.get(exc.errno or 0, exc.strerror or exc.__class__.__name__).lower()


def _megabytes(size: int) -> str:
    return f"{size / 1_000_000:.1f} MB"


def _too_large(size: int, max_bytes: int) -> InputError:
    return InputError(f"file too large ({_megabytes(size)} > {_megabytes(max_bytes)} limit)")


def _read_limited(stream: BinaryIO, max_bytes: int) -> bytes:
    data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        # Count what follows only up to a bound: a stream may never end (/dev/zero).
        rest = 0
        while rest < 100 * max_bytes and (chunk := stream.read(1 << 20)):
            rest += len(chunk)
        raise _too_large(len(data) + rest, max_bytes)
    return data


def read_bytes(ref: InputRef, max_bytes: int) -> bytes:
    if ref.error:
        raise InputError(ref.error)
    if ref.is_stdin:
        return _read_limited(sys.stdin.buffer, max_bytes)
    assert ref.path is not None
    try:
        size = ref.path.stat().st_size
        if ref.path.is_dir():
            raise InputError("is a directory")
        if size > max_bytes:
            raise _too_large(size, max_bytes)
        with ref.path.open("rb") as stream:
            return _read_limited(stream, max_bytes)
    except OSError as exc:
        if exc.errno == errno.ENOENT and ref.path.is_symlink():
            raise InputError("broken symlink") from None
        raise InputError(_os_reason(exc)) from None


def _looks_like_utf16(data: bytes) -> str | None:
    """UTF-16 without a BOM: every other byte of ASCII text is NUL."""
    if len(data) < 4 or len(data) % 2:
        return None
    even_nuls = data[0::2].count(0) / (len(data) / 2)
    odd_nuls = data[1::2].count(0) / (len(data) / 2)
    if odd_nuls > 0.3 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.3 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def _legacy_decode(data: bytes) -> tuple[str, str]:
    best = charset_normalizer.from_bytes(data).best()
    guessed = best.encoding if best else None
    if guessed and guessed not in _LATIN_FAMILY:
        return str(best), guessed
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"
    unusual = sum(1 for c in text if ord(c) > 0xFF and c not in _WESTERN_EXTRA)
    if guessed and unusual:
        return str(best), guessed
    return text, "cp1252"


def decode_bytes(data: bytes) -> Decoded:
    """Decode and repair raw bytes, or raise InputError naming why they are not text."""
    if not data.strip():
        raise InputError("empty file" if not data else "empty file (only whitespace)")
    repairs: list[str] = []
    text: str | None = None
    encoding = ""
    for bom, codec, label in _BOMS:
        if data.startswith(bom):
            try:
                text, encoding = data.decode(codec), codec.removesuffix("-sig")
            except UnicodeDecodeError:
                raise InputError(f"invalid {label} text") from None
            repairs.append(label)
            break
    stray_nuls = 0
    if text is None and b"\x00" in data:
        codec = _looks_like_utf16(data)
        if codec is None:
            stray_nuls = data.count(0)
            if stray_nuls > max(_FEW_NULS, _MAX_STRAY_NUL_RATIO * len(data)):
                raise InputError("binary file (NUL bytes)")
            data = data.replace(b"\x00", b"")
            repairs.append(f"removed {stray_nuls} NUL byte{'s' if stray_nuls > 1 else ''}")
        else:
            try:
                text, encoding = data.decode(codec), codec
            except UnicodeDecodeError:
                raise InputError("binary file (NUL bytes)") from None
            if _control_count(text) / len(text) > _MAX_CONTROL_RATIO:
                raise InputError("binary file (NUL bytes)")
            repairs.append(f"decoded as {codec} (no bom)")
    if text is None:
        try:
            text, encoding = data.decode("utf-8"), "utf-8"
        except UnicodeDecodeError:
            text, encoding = _legacy_decode(data)
            repairs.append(f"decoded as {encoding}")
    if stray_nuls and _control_count(text) / max(len(text), 1) > _MAX_CONTROL_RATIO:
        # Dropping the NULs of a binary file leaves the rest of its control bytes.
        raise InputError("binary file (NUL bytes)")
    return _checked_text(text, encoding, repairs)


_CONTROL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")


def _control_count(text: str) -> int:
    return len(_CONTROL.findall(text))


def _checked_text(text: str, encoding: str, repairs: list[str]) -> Decoded:
    if "\x00" in text:
        raise InputError("binary file (NUL bytes)")
    controls = _control_count(text)
    if controls / max(len(text), 1) > _MAX_CONTROL_RATIO:
        raise InputError(f"binary file ({controls} control characters)")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError("empty file (only whitespace)")
    fixed, fixes = repair_text(text)
    return Decoded(text=fixed, encoding=encoding, repairs=repairs + fixes)


def read_input(ref: InputRef, *, max_bytes: int = 5_000_000) -> Decoded:
    """Read one input as repaired text; raise InputError with a one-line reason."""
    return decode_bytes(read_bytes(ref, max_bytes))


@dataclass(frozen=True)
class RawInput:
    """One input as read: its bytes, or the one-line reason it has none."""

    label: str
    data: bytes | None = None
    error: str | None = None
    from_stdin: bool = False


def read_inputs(paths: list[str], *, max_bytes: int = 5_000_000) -> list[RawInput]:
    """Every input's bytes, read once, in order; never raises for a bad input."""
    inputs = []
    for ref in expand_inputs(paths):
        try:
            inputs.append(RawInput(ref.label, read_bytes(ref, max_bytes), from_stdin=ref.is_stdin))
        except InputError as exc:
            inputs.append(RawInput(ref.label, error=str(exc), from_stdin=ref.is_stdin))
    return inputs
