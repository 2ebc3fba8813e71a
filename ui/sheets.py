"""Printable documents for the panel review: invitation sheets (PDF), QR codes (PNG), contact lists (CSV).

Everything here renders to bytes; nothing imports Streamlit, so pages hand the bytes to a download button
and tests read them directly.

Chinese text needs a Simplified-Chinese font embedded in the PDF. On Debian that is Noto Sans CJK SC from
the package fonts-noto-cjk, shipped as a TrueType Collection (.ttc) holding the JP/KR/SC/TC/HK faces. We pick
the SC face with fontTools, save it once as a standalone OpenType file under `data/cache/fonts/` (keyed by the
collection's size and mtime, so a font upgrade makes a new file), and register that file with fpdf2, which
embeds only the glyphs used (a CFF subset, FontFile3) together with a ToUnicode map so the text can be
searched and copied.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import tempfile
import threading
from dataclasses import dataclass
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


def _font_family(font: TTFont) -> str:
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
    families = [_font_family(f) for f in collection.fonts]
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


def _register_fonts(pdf: FPDF) -> tuple[str, str]:
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


def _draw_qr(pdf: FPDF, text: str, *, x: float, y: float, size: float) -> None:
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


# --------------------------------------------------------------------------- invitation sheets


@dataclass(frozen=True)
class Invitation:
    """One reviewer's invitation: who, in which reviewer group, the personal link and a code to type instead."""

    name: str
    group_name: str
    link: str
    code: str = ""


# Document texts (printed on paper, so kept here rather than in the UI locale files).
TEXTS: dict[str, dict[str, str]] = {
    "zh": {
        "title": "{campaign} 集中评议邀请函",
        "reviewer": "评议人：{name}",
        "group": "人员类别：{group}",
        "body": (
            "您已被随机抽选为本年度集中评议人员。请用手机或平板扫描下方二维码，或在浏览器中打开链接，"
            "对各被督查单位逐一评价。您的评价以匿名方式提交：提交后问卷不再与您的姓名关联。"
            "此链接仅供您本人使用，请勿转交他人。"
        ),
        "link": "链接：",
        "code": "备用评议码（二维码无法使用时输入）：{code}",
        "office": "{office}",
        "page": "第 {n} 页 / 共 {m} 页",
    },
    "en": {
        "title": "Panel review invitation — {campaign}",
        "reviewer": "Reviewer: {name}",
        "group": "Group: {group}",
        "body": (
            "You have been randomly selected as a panel reviewer for this year's review. Please scan the QR code "
            "below with a phone or tablet, or open the link in a browser, and rate each unit under review in turn. "
            "Your ratings are submitted anonymously: once submitted, the questionnaire is no longer linked to your "
            "name. This link is for your use only; please do not pass it on."
        ),
        "link": "Link: ",
        "code": "Backup code (type it in if the QR code does not work): {code}",
        "office": "Issued by {office}",
        "page": "Page {n} of {m}",
    },
}

_MARGIN = 20.0  # mm
_QR_SIZE = 70.0  # mm
# Chinese line breaking: these never start a line (they hang in the margin instead), these never end one.
_NO_LINE_START = set("，。、；：！？）】》」』”’%‰·…—,.;:!?)]}")
_NO_LINE_END = set("（【《「『“‘([{")
_TOKEN = re.compile(r"[A-Za-z0-9@#&_\-./:=?+]+|\s+|.", re.DOTALL)


def _wrap_cjk(pdf: FPDF, text: str, width: float) -> list[str]:
    """Greedy line breaking for Chinese: between any two characters, but not inside Latin words or numbers,
    not before closing punctuation (which may hang past the right edge) and not after opening punctuation."""
    lines: list[str] = []
    line = ""
    for token in _TOKEN.findall(text):
        candidate = line + token
        if not line or pdf.get_string_width(candidate.rstrip()) <= width or token in _NO_LINE_START:
            line = candidate
            continue
        carry = ""
        while line and line[-1] in _NO_LINE_END:
            line, carry = line[:-1], line[-1] + carry
        lines.append(line.rstrip())
        line = (carry + token).lstrip()
    if line.strip():
        lines.append(line.rstrip())
    return lines


def _paragraph(
    pdf: FPDF, text: str, *, width: float, height: float, lang: str, align: str = "L", memo: dict | None = None
) -> None:
    """Writes a wrapped paragraph from the left margin and leaves the cursor at the left margin below it.

    `memo` keeps the line breaks of texts repeated on every page (title, body) for the whole document.
    """
    if lang == "zh":
        key = (text, pdf.font_family, pdf.font_style, pdf.font_size_pt, width)
        lines = memo.get(key) if memo is not None else None
        if lines is None:
            lines = _wrap_cjk(pdf, text, width)
            if memo is not None:
                memo[key] = lines
        for line in lines:
            pdf.cell(width, height, line, align=align, new_x="LMARGIN", new_y="NEXT")
    else:
        pdf.multi_cell(width, height, text, align=align, new_x="LMARGIN", new_y="NEXT")


def invitation_sheet_pdf(invitations: list[Invitation], *, campaign_name: str, office: str, lang: str = "zh") -> bytes:
    """One A4 page per invitation, all text in the embedded CJK font. Raises ValueError on an empty list.

    `lang` is "zh" or "en" (anything else prints Chinese).
    """
    if not invitations:
        raise ValueError("no invitations to print")
    lang = lang if lang in TEXTS else "zh"
    texts = TEXTS[lang]
    title = texts["title"].format(campaign=campaign_name)

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(title)
    pdf.set_author(office)
    pdf.set_creator("duty-review")
    pdf.set_margins(_MARGIN, _MARGIN, _MARGIN)
    pdf.set_auto_page_break(False)  # exactly one page per invitation; the layout fits an A4 page
    family, heading = _register_fonts(pdf)
    width = pdf.w - 2 * _MARGIN
    total = len(invitations)
    memo: dict = {}

    for number, inv in enumerate(invitations, start=1):
        pdf.add_page()
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(family, heading, 18)
        _paragraph(pdf, title, width=width, height=9, lang=lang, align="C", memo=memo)
        pdf.ln(6)

        pdf.set_font(family, heading, 13)
        _paragraph(pdf, texts["reviewer"].format(name=inv.name), width=width, height=7.5, lang=lang)
        pdf.set_font(family, "", 12)
        _paragraph(pdf, texts["group"].format(group=inv.group_name), width=width, height=7, lang=lang)
        pdf.ln(4)

        pdf.set_font(family, "", 11.5)
        _paragraph(pdf, texts["body"], width=width, height=6.8, lang=lang, memo=memo)
        pdf.ln(8)

        top = max(pdf.get_y(), 100.0)
        _draw_qr(pdf, inv.link, x=(pdf.w - _QR_SIZE) / 2, y=top, size=_QR_SIZE)
        pdf.set_xy(_MARGIN, top + _QR_SIZE + 5)

        pdf.set_font(family, "", 8.5)
        pdf.set_text_color(60, 60, 60)
        pdf.multi_cell(width, 4.5, texts["link"] + inv.link, align="C", wrapmode="CHAR", new_x="LMARGIN", new_y="NEXT")
        pdf.set_text_color(0, 0, 0)
        if inv.code:
            pdf.ln(4)
            pdf.set_font(family, "", 12)
            _paragraph(pdf, texts["code"].format(code=inv.code), width=width, height=7, lang=lang, align="C")

        pdf.set_font(family, "", 12)
        pdf.set_xy(_MARGIN, pdf.h - _MARGIN - 22)
        _paragraph(pdf, texts["office"].format(office=office), width=width, height=7, lang=lang, align="R")

        pdf.set_font(family, "", 9)
        pdf.set_text_color(90, 90, 90)
        pdf.set_xy(_MARGIN, pdf.h - _MARGIN + 4)
        pdf.cell(width, 5, texts["page"].format(n=number, m=total), align="C")
    return bytes(pdf.output())


# --------------------------------------------------------------------------- contact list


def contact_list_csv(rows: list[dict]) -> bytes:
    """UTF-8 CSV with a byte-order mark (so Excel reads the Chinese), columns in the order of the dicts' keys.

    The header is the keys of the first row, followed by any keys that first appear in later rows.
    """
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    if not columns:
        return "".encode("utf-8-sig")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, restval="", lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue().encode("utf-8-sig")
