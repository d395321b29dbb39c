"""Finding inputs and reading them as repaired text; hostile inputs never raise."""

from __future__ import annotations

import io
import os
import sys
from pathlib import Path

import pytest

from summarize.clean.cleaner import clean_paths
from summarize.ingest.inputs import (
    InputError,
    InputRef,
    decode_bytes,
    expand_inputs,
    read_input,
)

GERMAN = "Die Bürger in Österreich zahlen für die Straße 12 € – „zu viel“, sagte Müller."


def write(path: Path, data: bytes | str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(data, str):
        data = data.encode("utf-8")
    path.write_bytes(data)
    return path


# --- expand_inputs -----------------------------------------------------------


def test_directory_is_recursive_sorted_and_skips_hidden(tmp_path: Path) -> None:
    write(tmp_path / "b.txt", "b")
    write(tmp_path / "a.txt", "a")
    write(tmp_path / "sub" / "c.txt", "c")
    write(tmp_path / ".hidden.txt", "h")
    write(tmp_path / ".git" / "config", "x")
    labels = [Path(r.label).relative_to(tmp_path).as_posix() for r in expand_inputs([str(tmp_path)])]
    assert labels == ["a.txt", "b.txt", "sub/c.txt"]


def test_glob_expands_in_sorted_order(tmp_path: Path) -> None:
    for name in ("2.txt", "1.txt", "3.md"):
        write(tmp_path / name, "x")
    refs = expand_inputs([str(tmp_path / "*.txt")])
    assert [Path(r.label).name for r in refs] == ["1.txt", "2.txt"]


def test_glob_without_match_becomes_a_failed_ref(tmp_path: Path) -> None:
    (ref,) = expand_inputs([str(tmp_path / "*.nothing")])
    assert ref.error == "no file matches this pattern"


def test_missing_path_does_not_raise(tmp_path: Path) -> None:
    (ref,) = expand_inputs([str(tmp_path / "missing.txt")])
    assert ref.error == "not found"
    with pytest.raises(InputError, match="not found"):
        read_input(ref)


def test_symlink_loop_is_reported(tmp_path: Path) -> None:
    loop = tmp_path / "loop"
    os.symlink(loop, loop)
    (ref,) = expand_inputs([str(loop)])
    assert ref.error == "symlink loop"


def test_empty_directory_is_reported(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    (ref,) = expand_inputs([str(tmp_path / "empty")])
    assert ref.error == "directory has no files"


def test_stdin_dash(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(GERMAN.encode("utf-8"))))
    (ref,) = expand_inputs(["-"])
    assert ref.is_stdin
    assert read_input(ref).text == GERMAN


def test_unreadable_file_gives_permission_denied(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = write(tmp_path / "secret.txt", GERMAN)

    def refuse(self: Path, *args: object, **kwargs: object) -> None:
        raise PermissionError(13, "Permission denied")

    # Tests may run as root, for whom file modes do not deny reading.
    monkeypatch.setattr(Path, "open", refuse)
    with pytest.raises(InputError, match="^permission denied$"):
        read_input(InputRef(str(path), path=path))


# --- decoding ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty file"),
        (b"  \n\t \r\n ", "empty file (only whitespace)"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "binary file (NUL bytes)"),
        (bytes(range(1, 32)) * 20 + b"some text", "binary file"),
    ],
)
def test_unusable_bytes_are_rejected_with_one_line(data: bytes, reason: str) -> None:
    with pytest.raises(InputError) as caught:
        decode_bytes(data)
    assert str(caught.value).startswith(reason)
    assert "\n" not in str(caught.value)


def test_cp1252_bytes() -> None:
    decoded = decode_bytes(GERMAN.encode("cp1252"))
    assert decoded.text == GERMAN
    assert decoded.encoding == "cp1252"
    assert "decoded as cp1252" in decoded.repairs


def test_latin1_bytes_without_cp1252_specials() -> None:
    text = "Grüße aus Köln, wo die Straßen naß sind."
    assert decode_bytes(text.encode("latin-1")).text == text


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_with_bom(codec: str) -> None:
    bom = b"\xff\xfe" if codec.endswith("le") else b"\xfe\xff"
    decoded = decode_bytes(bom + GERMAN.encode(codec))
    assert decoded.text == GERMAN
    assert "utf-16 bom" in decoded.repairs


def test_utf16_without_bom_is_not_mistaken_for_binary() -> None:
    decoded = decode_bytes(GERMAN.encode("utf-16-le"))
    assert decoded.text == GERMAN


def test_utf8_bom_is_removed() -> None:
    decoded = decode_bytes(b"\xef\xbb\xbf" + GERMAN.encode("utf-8"))
    assert decoded.text == GERMAN
    assert "utf-8 bom" in decoded.repairs


def test_double_encoded_utf8_is_repaired() -> None:
    mangled = "Die Brücke über die Straße".encode("utf-8").decode("cp1252")
    assert "Ã¼" in mangled
    decoded = decode_bytes(mangled.encode("utf-8"))
    assert decoded.text == "Die Brücke über die Straße"
    assert "mojibake" in decoded.repairs


def test_mixed_code_page_mojibake_is_repaired() -> None:
    raw = "Der PrĂ€sident fĂŒr GesprĂ€che seit lÀngerem, ich begrĂŒĂŸe das."
    decoded = decode_bytes(raw.encode("utf-8"))
    assert decoded.text == "Der Präsident für Gespräche seit längerem, ich begrüße das."
    assert "mixed code page mojibake" in decoded.repairs


def test_correct_accents_are_left_alone() -> None:
    text = "À Paris, l'été à Noël; ROMÂNĂ; Łódź; Škoda; naïve façade; © 2026 Ñandú"
    decoded = decode_bytes(text.encode("utf-8"))
    assert decoded.text == text
    assert decoded.repairs == []


def test_size_limit(tmp_path: Path) -> None:
    line = b"Die Regierung hat am Freitag neue Regeln beschlossen, die ab Juli gelten.\n"
    big = write(tmp_path / "big.txt", (line * (6_000_000 // len(line) + 1))[:6_000_000])
    ref = InputRef(str(big), path=big)
    with pytest.raises(InputError, match=r"^file too large \(6\.0 MB > 5\.0 MB limit\)$"):
        read_input(ref)
    assert read_input(ref, max_bytes=7_000_000).text.startswith("Die Regierung")


# --- the batch never raises ----------------------------------------------------


def test_clean_paths_gives_one_result_per_input_in_order(tmp_path: Path) -> None:
    good = write(tmp_path / "good.txt", "Titel der Meldung\n\n" + (GERMAN + " ") * 5)
    empty = write(tmp_path / "empty.txt", b"")
    binary = write(tmp_path / "blob.bin", b"\x00\x01\x02\x03" * 50)
    folder = tmp_path / "folder"
    write(folder / "inner.txt", "Kurzer Titel hier\n\n" + (GERMAN + " ") * 4)
    missing = tmp_path / "missing.txt"
    results = clean_paths([str(good), str(empty), str(missing), str(binary), str(folder), str(tmp_path / "*.txt")])
    assert [Path(r.path).name for r in results] == [
        "good.txt", "empty.txt", "missing.txt", "blob.bin", "inner.txt", "empty.txt", "good.txt",
    ]
    assert [r.ok for r in results] == [True, False, False, False, True, False, True]
    for failed in (r for r in results if not r.ok):
        assert failed.error and "\n" not in failed.error
        assert failed.path not in failed.error, "the path is its own field; the error is the reason"

    assert results[2].error.endswith("not found")
    assert results[1].error == "empty file"
    assert results[3].error.endswith("binary file (NUL bytes)")


def test_clean_paths_size_limit_is_passed_on(tmp_path: Path) -> None:
    page = write(tmp_path / "page.txt", "Überschrift der Meldung\n\n" + (GERMAN + " ") * 40)
    (small,) = clean_paths([str(page)], max_bytes=100)
    assert not small.ok and "file too large" in small.error
    (large,) = clean_paths([str(page)], max_bytes=1_000_000)
    assert large.ok
