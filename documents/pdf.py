"""PDF building blocks shared by every printed document: the embedded Chinese font and vector QR codes.

Used by the invitation sheets (documents/invitation_sheets.py) and the window QR posters (documents/posters.py).

Chinese text needs a Simplified-Chinese font embedded in the PDF. On Debian that is Noto Sans CJK SC from
the package fonts-noto-cjk, shipped as a TrueType Collection (.ttc) holding the JP/KR/SC/TC/HK faces. We pick
the SC face with fontTools, save it once as a standalone OpenType file under `data/cache/fonts/` (keyed by the
collection's size and mtime, so a font upgrade makes a new file), and register that file with fpdf2, which
embeds only the glyphs used (a CFF subset, FontFile3) together with a ToUnicode map so the text can be
searched and copied.
"""

from __future__ import annotations

import io
import os
import re
import shutil
import subprocess
import tempfile
import threading
from functools import lru_cache
from pathlib import Path

import qrcode
from fontTools.ttLib import TTCollection, TTFont
from fpdf import FPDF
from qrcode.constants import ERROR_CORRECT_M

REPO_ROOT = Path(__file__).resolve().parents[1]
FONT_CACHE_DIR = REPO_ROOT / "data" / "cache" / "fonts"
FONT_PACKAGE = "fonts-noto-cjk"

# Where Debian (and most other distributions) put Noto Sans CJK; the first that exists wins.
_PREFERRED_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJKsc-Regular.otf",
    "/usr/share/fonts/opentype/noto/NotoSansSC-Regular.otf",
)
# Characters a usable font must have: a few from the document texts.
_PROBE = "集中评议邀请函第页共"
_SC_FAMILY = "Noto Sans CJK SC"

_extract_lock = threading.Lock()


# --------------------------------------------------------------------------- fonts


def font_family(font: TTFont) -> str:
    name = font["name"]
    return str(name.getDebugName(16) or name.getDebugName(1) or "")


def _covers(font: TTFont, text: str = _PROBE) -> bool:
    cmap = font.getBestCmap() or {}
    return all(ord(ch) in cmap for ch in text)


def _font_file_covers(path: Path) -> bool:
    """Whether any face in the file has the probe characters (fc-match falls back to any font at all)."""
    try:
        if path.suffix.lower() in (".ttc", ".otc"):
            with TTCollection(str(path), lazy=True) as collection:
                return any(_covers(f) for f in collection.fonts)
        with TTFont(str(path), lazy=True) as font:
            return _covers(font)
    except Exception:  # an unreadable or unsupported file is simply not a candidate
        return False


def _fc_match() -> Path | None:
    if not shutil.which("fc-match"):
        return None
    try:
        out = subprocess.run(
            ["fc-match", "-f", "%{file}", ":lang=zh-cn"], capture_output=True, text=True, timeout=20, check=False
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None
    return Path(out) if out else None


@lru_cache(maxsize=1)
def find_cjk_font() -> Path:
    """The file of a Simplified-Chinese font on this machine (may be a .ttc collection). Cached.

    Prefers Noto Sans CJK (package fonts-noto-cjk), then asks fontconfig for a `zh-cn` font.
    """
    for candidate in _PREFERRED_FONTS:
        path = Path(candidate)
        if path.is_file():
            return path
    found = _fc_match()
    if found is not None and found.is_file() and _font_file_covers(found):
        return found
    raise RuntimeError(
        "No Simplified-Chinese font found for the PDF documents. "
        f"Install the Debian package {FONT_PACKAGE} (apt-get install -y {FONT_PACKAGE})."
    )


def _pick_face(collection: TTCollection) -> int:
    """The index of the Simplified-Chinese face: 'Noto Sans CJK SC', else a family naming SC, else any that covers."""
    families = [font_family(f) for f in collection.fonts]
    for i, family in enumerate(families):
        if family == _SC_FAMILY:
            return i
    with_sc = [i for i, family in enumerate(families) if re.search(r"\bSC\b", family)]
    for i in with_sc:  # a proportional face reads better than a monospaced one
        if "mono" not in families[i].lower():
            return i
    if with_sc:
        return with_sc[0]
    for i, font in enumerate(collection.fonts):
        if _covers(font):
            return i
    raise RuntimeError(f"No face with Chinese characters in the font collection; install {FONT_PACKAGE}.")


def _cache_dir() -> Path:
    for folder in (FONT_CACHE_DIR, Path(tempfile.gettempdir()) / "duty-review-fonts"):
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError:
            continue
        if os.access(folder, os.W_OK):
            return folder
    raise RuntimeError("No writable folder to cache the extracted font in.")


@lru_cache(maxsize=4)
def _standalone_font(source: Path) -> Path:
    """A single-face font file fpdf2 can read: the source itself, or the SC face extracted from a collection.

    The extracted file is kept on disk, named after the source's size and mtime, so only the first call on a
    machine pays for the extraction (about half a second for Noto Sans CJK).
    """
    if source.suffix.lower() not in (".ttc", ".otc"):
        return source
    stat = source.stat()
    folder = _cache_dir()
    for existing in folder.glob(f"{source.stem}-*-{stat.st_size}-{stat.st_mtime_ns}.otf"):
        return existing
    with _extract_lock, TTCollection(str(source), lazy=True) as collection:
        index = _pick_face(collection)
        face = collection.fonts[index]
        postscript = re.sub(r"[^A-Za-z0-9]+", "", str(face["name"].getDebugName(6) or f"face{index}"))
        target = folder / f"{source.stem}-{postscript}-{stat.st_size}-{stat.st_mtime_ns}.otf"
        if not target.exists():
            fd, tmp = tempfile.mkstemp(dir=folder, suffix=".otf.part")
            os.close(fd)
            try:
                face.save(tmp)
                os.chmod(tmp, 0o644)
                os.replace(tmp, target)  # atomic: another process never sees half a file
            finally:
                if os.path.exists(tmp):
                    os.unlink(tmp)
        return target


def _bold_sibling(source: Path) -> Path | None:
    """NotoSansCJK-Bold.ttc beside NotoSansCJK-Regular.ttc, when installed."""
    if "Regular" not in source.name:
        return None
    bold = source.with_name(source.name.replace("Regular", "Bold"))
    return bold if bold.is_file() else None


def cjk_font_files() -> tuple[Path, Path | None]:
    """The standalone regular (and, if installed, bold) font files that the PDFs embed."""
    source = find_cjk_font()
    bold = _bold_sibling(source)
    files = (_standalone_font(source), _standalone_font(bold) if bold else None)
    if not all(f is None or f.is_file() for f in files):  # the cache folder was emptied while we ran
        _standalone_font.cache_clear()
        files = (_standalone_font(source), _standalone_font(bold) if bold else None)
    return files


def register_fonts(pdf: FPDF) -> tuple[str, str]:
    """Adds the CJK font to the document; returns the (family, bold style) to use for headings."""
    regular, bold = cjk_font_files()
    pdf.add_font("cjk", "", str(regular))
    if bold is None:
        return "cjk", ""
    pdf.add_font("cjk", "B", str(bold))
    return "cjk", "B"


# --------------------------------------------------------------------------- QR codes


def _qr_matrix(text: str) -> list[list[bool]]:
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, border=0)
    qr.add_data(text)
    qr.make(fit=True)
    return qr.get_matrix()


def qr_png(text: str, *, box_size: int = 8) -> bytes:
    """A QR code of `text` (error correction M, 4-module quiet zone) as PNG bytes."""
    qr = qrcode.QRCode(error_correction=ERROR_CORRECT_M, box_size=box_size, border=4)
    qr.add_data(text)
    qr.make(fit=True)
    buffer = io.BytesIO()
    qr.make_image(fill_color="black", back_color="white").save(buffer, format="PNG")
    return buffer.getvalue()


def draw_qr(pdf: FPDF, text: str, *, x: float, y: float, size: float) -> None:
    """Draws the QR code as vector squares (sharp at any print resolution); runs of dark modules are merged."""
    matrix = _qr_matrix(text)
    module = size / len(matrix)
    pdf.set_fill_color(0, 0, 0)
    for row_index, row in enumerate(matrix):
        start = None
        for col, dark in enumerate([*row, False]):
            if dark and start is None:
                start = col
            elif not dark and start is not None:
                pdf.rect(x + start * module, y + row_index * module, (col - start) * module, module, style="F")
                start = None
