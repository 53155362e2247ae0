"""Whether a file is what its declared type says, judged on the whole file and not its first
bytes: a PDF ends with its end-of-file marker, a Word or OpenDocument file is a readable
archive holding the parts that type must have, a .doc is a compound file of whole sectors,
and plain text is UTF-8 throughout. Pure: bytes in, a problem in words (or "") out."""

import io
import zipfile

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
DOC = "application/msword"
TEXT = "text/plain"
ACCEPTED = (PDF, DOCX, ODT, DOC, TEXT)

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
SECTOR = 512
# Readers look for "%%EOF" this near the end (trailing bytes after it are tolerated).
PDF_TAIL = 1024
# An archive may expand this many times over before it is refused unread (a zip bomb).
MAX_EXPANSION = 100


def _archive_problem(data: bytes, required: tuple[str, ...], kind: str) -> str:
    """A zip archive that opens, expands sanely, holds `required` and passes its CRC checks."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        return f"the file is not a readable {kind} archive"
    with archive:
        names = set(archive.namelist())
        missing = [name for name in required if name not in names]
        if missing:
            return f"the archive lacks {', '.join(missing)}, which every {kind} file has"
        if sum(info.file_size for info in archive.infolist()) > MAX_EXPANSION * len(data):
            return f"the {kind} archive expands too far to be a document"
        try:
            damaged = archive.testzip()
        # A crafted archive can fail in many ways (a broken deflate stream, an encrypted entry):
        # each is a damaged document, never a server error.
        except Exception:
            return f"the {kind} archive is damaged"
        if damaged is not None:
            return f"the {kind} archive is damaged"
        try:
            mimetype = archive.read("mimetype") if kind == "OpenDocument" else ODT.encode()
        except Exception:
            return f"the {kind} archive is damaged"
        if mimetype != ODT.encode():
            return "the archive is not an OpenDocument text"
    return ""


def content_problem(content_type: str, data: bytes) -> str:
    """Why `data` is not a whole file of `content_type`; "" when it is."""
    if content_type == PDF:
        if not data.startswith(b"%PDF-"):
            return "the file does not start as a PDF does"
        if b"%%EOF" not in data[-PDF_TAIL:]:
            return "the PDF has no end-of-file marker: it is cut short or not a PDF"
        return ""
    if content_type == DOCX:
        return _archive_problem(data, ("[Content_Types].xml", "word/document.xml"), "Word")
    if content_type == ODT:
        return _archive_problem(data, ("mimetype", "content.xml"), "OpenDocument")
    if content_type == DOC:
        if not data.startswith(OLE2) or len(data) < 3 * SECTOR or len(data) % SECTOR:
            return "the file is not a Word 97-2003 compound file of whole sectors"
        return ""
    if content_type == TEXT:
        try:
            data.decode("utf-8")
        except UnicodeDecodeError:
            return "the file is not UTF-8 text throughout"
        return "the file holds a NUL byte, so it is not text" if b"\x00" in data else ""
    return "this type of file is not accepted"
