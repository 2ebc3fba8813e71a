"""Uploaded files (inspection evidence, units' reports): what a file really is, by its first bytes.

Pure. The extension and the browser's content type are both chosen by whoever sends the
file, so neither is trusted: the type is read from the file's signature ("magic bytes"), and
a name that claims something else (a .jpg that is a PDF, a .pdf that is a Windows program)
is refused. Phones send photos as JPEG, PNG or WebP; scans come as PDF.
"""

from __future__ import annotations

import re
import unicodedata
import zipfile
from dataclasses import dataclass
from io import BytesIO

from core.errors import UserError

MB = 1024 * 1024
EVIDENCE_MAX_BYTES = 10 * MB  # a phone photo is 2-6 MB; a scanned page or two fits too
REPORT_MAX_BYTES = 20 * MB  # a plan or summary as PDF or Word, with a few scanned annexes

# kind: (content type, accepted extensions)
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "jpeg": ("image/jpeg", (".jpg", ".jpeg")),
    "png": ("image/png", (".png",)),
    "webp": ("image/webp", (".webp",)),
    "pdf": ("application/pdf", (".pdf",)),
    "docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", (".docx",)),
    "doc": ("application/msword", (".doc", ".wps")),
}
EVIDENCE_KINDS = ("jpeg", "png", "webp", "pdf")
REPORT_KINDS = ("pdf", "docx", "doc")
IMAGE_KINDS = ("jpeg", "png", "webp")

_UNSAFE_NAME = re.compile(r"[\\/:*?\"<>|\x00-\x1f]")


@dataclass(frozen=True)
class CheckedFile:
    filename: str  # safe to show and to offer as a download name
    kind: str
    content_type: str
    size: int


def sniff(content: bytes) -> str | None:
    """The kind of file its first bytes announce, or None for anything else."""
    if content.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if len(content) >= 12 and content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "webp"
    # PDF readers accept the header within the first kilobyte (some scanners write a preamble).
    if b"%PDF-" in content[:1024]:
        return "pdf"
    if content.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "doc"  # the OLE container of Word 97-2003 (and WPS)
    if content.startswith(b"PK\x03\x04") and _is_docx(content):
        return "docx"
    return None


def _is_docx(content: bytes) -> bool:
    # Any zip starts with PK; a Word document is a zip holding word/document.xml.
    try:
        with zipfile.ZipFile(BytesIO(content)) as archive:
            return "word/document.xml" in archive.namelist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return False


def safe_name(filename: str) -> str:
    """The last path part of a name, without characters that break a download or a path."""
    name = unicodedata.normalize("NFC", str(filename or "")).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" .")
    if len(name) > 120:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 120 - len(ext) - 1] + dot + ext) if dot and len(ext) <= 8 else name[:120]
    return name or "file"


def _extension(name: str) -> str:
    return "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""


def _names(kinds: tuple[str, ...]) -> str:
    return ", ".join(dict.fromkeys(ext.lstrip(".").upper() for kind in kinds for ext in KINDS[kind][1]))


def check_file(filename: str, content: bytes, *, allowed: tuple[str, ...], max_bytes: int,
               key: str = "evidence") -> CheckedFile:
    """A file accepted for storing, or a refusal naming what is wrong (empty, too large, wrong type)."""
    name = safe_name(filename)
    size = len(content or b"")
    if size == 0:
        raise UserError(f"{key}.empty", "{name}: the file is empty", name=name)
    if size > max_bytes:
        raise UserError(f"{key}.too_large", "{name} has {size_mb} MB; at most {max_mb} MB are allowed", name=name,
                        size_mb=f"{size / MB:.1f}", max_mb=f"{max_bytes / MB:g}")
    kind = sniff(content)
    if kind not in allowed:
        raise UserError(f"{key}.wrong_type", "{name} is not one of the accepted file types ({types})", name=name,
                        types=_names(allowed))
    if _extension(name) not in KINDS[kind][1]:
        # A photo renamed .pdf (or the reverse) would open in the wrong program for whoever downloads it.
        raise UserError(f"{key}.name_mismatch", "{name} is a {kind} file but its name ends differently; "
                        "rename it to end in {extension}", name=name, kind=kind.upper(),
                        extension=KINDS[kind][1][0])
    return CheckedFile(filename=name, kind=kind, content_type=KINDS[kind][0], size=size)


def check_evidence(filename: str, content: bytes, *, max_bytes: int = EVIDENCE_MAX_BYTES) -> CheckedFile:
    return check_file(filename, content, allowed=EVIDENCE_KINDS, max_bytes=max_bytes, key="evidence")


def check_report(filename: str, content: bytes, *, max_bytes: int = REPORT_MAX_BYTES) -> CheckedFile:
    return check_file(filename, content, allowed=REPORT_KINDS, max_bytes=max_bytes, key="report")


def is_image(content_type: str) -> bool:
    return content_type in {KINDS[kind][0] for kind in IMAGE_KINDS}
