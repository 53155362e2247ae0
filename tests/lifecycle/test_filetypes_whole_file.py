"""A file is judged on all of it: its first bytes are not enough to be kept as a PDF, a Word or
OpenDocument file, a Word 97-2003 file or text."""

import io
import zipfile

import pytest

from lifecycle.filetypes import DOC, DOCX, ODT, OLE2, PDF, SECTOR, TEXT, content_problem


def archive(members: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A zip archive holding `members`."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as out:
        for name, data in members.items():
            out.writestr(name, data)
    return buffer.getvalue()


DOCX_FILE = archive({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"})
ODT_FILE = archive(
    {"mimetype": ODT.encode(), "content.xml": b"<office:document-content/>"},
    zipfile.ZIP_STORED,
)


@pytest.mark.parametrize(
    ("content_type", "data"),
    [
        (PDF, b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"),
        (PDF, b"%PDF-1.4\n%%EOF\n% a line some writers add after the marker\n"),
        (DOCX, DOCX_FILE),
        (ODT, ODT_FILE),
        (DOC, OLE2 + b"\0" * (3 * SECTOR - len(OLE2))),
        (TEXT, "Exit plan: hand back the keys — £0\n".encode()),
    ],
)
def test_whole_files_are_accepted(content_type: str, data: bytes) -> None:
    assert content_problem(content_type, data) == ""


@pytest.mark.parametrize(
    ("content_type", "data", "words"),
    [
        (PDF, b"%PDF-1.4\n" + b"x" * 5000, "end-of-file marker"),
        (PDF, b"<html>%%EOF", "does not start"),
        (DOCX, b"PK\x03\x04 just the first bytes of an archive", "not a readable"),
        (DOCX, archive({"word/document.xml": b"<w:document/>"}), "lacks [Content_Types].xml"),
        (DOCX, DOCX_FILE[: len(DOCX_FILE) // 2], "not a readable"),
        (ODT, archive({"mimetype": b"application/zip", "content.xml": b"x"}), "not an OpenDoc"),
        (ODT, DOCX_FILE, "lacks mimetype"),
        (DOC, OLE2 + b"\0" * 100, "whole sectors"),
        (TEXT, b"text\x00with a NUL", "NUL"),
        (TEXT, b"\xff\xfe not UTF-8", "not UTF-8"),
        ("image/png", b"\x89PNG", "not accepted"),
    ],
)
def test_a_file_that_only_starts_right_is_refused(
    content_type: str, data: bytes, words: str
) -> None:
    assert words in content_problem(content_type, data)


def test_an_archive_that_expands_like_a_bomb_is_refused_unread() -> None:
    bomb = archive({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"\0" * 50_000_000})
    assert len(bomb) < 100_000
    assert "expands too far" in content_problem(DOCX, bomb)


def test_a_damaged_member_is_refused() -> None:
    data = bytearray(
        archive(
            {"[Content_Types].xml": b"<Types/>" * 50, "word/document.xml": b"a" * 500},
            zipfile.ZIP_STORED,
        )
    )
    position = data.find(b"aaaa")
    data[position] = ord("b")  # the CRC no longer matches
    assert "damaged" in content_problem(DOCX, bytes(data))


def test_a_crafted_deflate_stream_is_a_damaged_file_not_a_crash() -> None:
    data = bytearray(
        archive({"[Content_Types].xml": b"<Types/>", "word/document.xml": b"x" * 5000})
    )
    start = data.find(b"word/document.xml") + len("word/document.xml")
    data[start + 2 : start + 40] = b"\xff" * 38  # garble the compressed bytes
    assert "damaged" in content_problem(DOCX, bytes(data)) or "not a readable" in content_problem(
        DOCX, bytes(data)
    )
