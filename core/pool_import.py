"""Reviewer-pool import: read the .xlsx and .csv files offices really make, and check them whole.

Pure: bytes and a file name in, rows and problems out; no files, no database. The import is
all-or-nothing, so `parse_pool` never stops at the first problem: it lists every one, with the
row number and column header the user sees in the file, and the caller imports only when
`PoolImport.ok`.

Personal data (phone and ID numbers) never appears whole in a message, because messages end up
in logs: valid numbers are masked, invalid ones are described by their length and first three
characters. The stable `person_key` is a SHA-256 digest for the same reason.

The file reading (`read_sheet`: encodings, workbook checks, header search, column mapping) is
shared with other all-or-nothing imports (core.media_import); only the row rules are the pool's.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from functools import cached_property
from types import MappingProxyType

from core.errors import UserError, ValidationError
from core.privacy import mask_id_number, mask_phone

DEFAULT_MAX_BYTES = 5_000_000
# An .xlsx is a zip: a small file can unpack into a huge one. Pool sheets compress about
# 10:1, so this leaves plenty of room for honest workbooks.
UNPACKED_FACTOR = 20
MAX_LENGTHS = {"name": 50, "organisation": 100, "notes": 500}
# A title row ("2017年度评议人员库") above the header is common; look this far for the header.
HEADER_SEARCH_ROWS = 10

EXTENSIONS = (".csv", ".xlsx")
REQUIRED = ("name", "group")
# Headers accepted per field, before normalisation (see `_header_key`). The first two of each
# are the ones the issue names; the rest are spellings seen in office templates.
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "name", "名字"),
    "group": ("类别", "group", "人员类别", "评议人员类别", "类型"),
    "organisation": ("工作单位", "organisation", "organization", "单位"),
    "phone": ("手机号码", "phone", "手机号", "手机", "mobile"),
    "id_number": ("身份证号", "id_number", "身份证号码", "身份证"),
    "notes": ("备注", "notes", "note", "remarks"),
}

# A cell starting with one of these is run as a formula when the list is opened in a
# spreadsheet again (CSV injection), e.g. =cmd|' /C calc'!A0 or =HYPERLINK(...).
FORMULA_STARTS = ("=", "+", "-", "@")
_EDGE_SPACE = re.compile(r"^[\s\ufeff\u200b-\u200d\u2060]+|[\s\ufeff\u200b-\u200d\u2060]+$")
_CJK = r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]"
# "张　三": two-character names are padded with a full-width space to line up with three.
_SPACE_IN_CJK = re.compile(rf"(?<={_CJK})\s+(?={_CJK})")
_SPACES = re.compile(r"\s+")
_PHONE_SEPARATORS = re.compile(r"[\s\-()]")
_PHONE = re.compile(r"(?:\+?86|0086)?(1[3-9]\d{9})")
_TRAILING_ZERO = re.compile(r"(\d+)\.0+")
_SCIENTIFIC = re.compile(r"\d+(?:\.\d+)?[eE]\+?\d+")
_ID_SHAPE = re.compile(r"\d{17}[\dX]")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK_CHARS = "10X98765432"
_ZIP_MAGIC = b"PK\x03\x04"
_OLE_MAGIC = b"\xd0\xcf\x11\xe0"  # Excel 97-2003 .xls (and WPS .et)
_EMPTY: Mapping[str, str] = MappingProxyType({})


@dataclass
class Problem:
    """One reason not to import: `row` and `column` as the user sees them (None: the whole file)."""

    row: int | None
    column: str | None
    error: UserError

    @property
    def message(self) -> str:
        return self.error.english()


@dataclass
class PoolRow:
    row: int
    name: str
    group: str  # the group code, "" when the cell named no group
    organisation: str
    phone: str | None
    id_number: str | None
    notes: str
    person_key: str
    is_update: bool = False  # set by the caller, who knows the pool


@dataclass
class TableImport:
    """What reading a file found: problems (any one refuses the file), notices, the encoding."""

    problems: list[Problem] = field(default_factory=list)
    notices: list[UserError] = field(default_factory=list)  # translatable; `warnings` in English
    encoding: str = ""  # "utf-8", "utf-8-sig", "gb18030", "xlsx"; "" when not read

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def warnings(self) -> list[str]:
        return [notice.english() for notice in self.notices]


@dataclass
class PoolImport(TableImport):
    rows: list[PoolRow] = field(default_factory=list)

    def as_error(self) -> ValidationError:
        """One refusal listing every problem, for a caller that raises."""
        return ValidationError(
            "pool.invalid",
            "the reviewer list was not imported: {n} problem(s) found; fix them and import the whole file again",
            problems=[p.error for p in self.problems],
            n=len(self.problems),
        )


# ---------------------------------------------------------------------------------------
# Values


def clean(value: str) -> str:
    """Strip surrounding spaces, full-width and zero-width ones (and a stray BOM) included."""
    return _EDGE_SPACE.sub("", value)


def _nfkc(value: str) -> str:
    return unicodedata.normalize("NFKC", value)


def normalise_name(value: str) -> str:
    """A name as stored: stripped, runs of spaces made one, the padding between Chinese characters removed."""
    return _SPACES.sub(" ", _SPACE_IN_CJK.sub("", clean(value)))


def normalise_phone(value: object) -> str | None:
    """The 11 digits of a mainland mobile number, or None when `value` is not one.

    Accepts full-width digits, spaces, hyphens, brackets, a +86 / 86 / 0086 prefix, and the
    "13800138000.0" that a number-formatted spreadsheet cell turns into.
    """
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        value = _number_text(value)
    text = _nfkc(clean(str(value)))
    zero = _TRAILING_ZERO.fullmatch(text)
    if zero:
        text = zero.group(1)
    match = _PHONE.fullmatch(_PHONE_SEPARATORS.sub("", text))
    return match.group(1) if match else None


def normalise_id_number(value: object) -> str:
    """An ID number as stored (no checks): NFKC, no spaces, upper-case X."""
    return _SPACES.sub("", _nfkc(clean(str(value or "")))).upper()


def id_check_char(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits of an ID number."""
    return _ID_CHECK_CHARS[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def _id_fault(value: str) -> str | None:
    """What is wrong with a normalised ID number: "format", "date", "check", or None."""
    if not _ID_SHAPE.fullmatch(value):
        return "format"
    try:
        born = date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return "date"
    if born.year < 1900:
        return "date"
    if id_check_char(value[:17]) != value[17]:
        return "check"
    return None


def check_id_number(value: object) -> bool:
    """True for an 18-character ID number with a real birth date and a correct check character."""
    return _id_fault(normalise_id_number(value)) is None


def person_key(name: str, phone: str | None, id_number: str | None, organisation: str | None) -> str:
    """A stable key for a person across imports: the ID number, else name and phone, else name and organisation.

    Inputs are normalised first, so surrounding spaces or full-width digits never make a new person.
    """
    idn = normalise_id_number(id_number)
    if idn:
        basis = "id:" + idn
    else:
        who = _nfkc(normalise_name(name or ""))
        if phone is not None and clean(str(phone)):
            tel = normalise_phone(phone) or _PHONE_SEPARATORS.sub("", _nfkc(clean(str(phone))))
            basis = "np:" + who + "|" + tel
        else:
            basis = "no:" + who + "|" + _nfkc(clean(organisation or ""))
    return hashlib.sha256(basis.encode("utf-8")).hexdigest()


def _group_key(value: str) -> str:
    return _SPACES.sub("", _nfkc(value)).casefold()


def group_code(value: object, groups: Mapping[str, str]) -> str | None:
    """The code of the group `value` names (its code or Chinese name, any case or width), or None."""
    return group_aliases(groups).get(_group_key(clean(str(value or ""))))


def group_aliases(groups: Mapping[str, str]) -> dict[str, str]:
    """Every accepted spelling of a group (its code or its Chinese name), normalised, -> its code."""
    aliases = {}
    for code, name in groups.items():
        aliases[_group_key(code)] = code
        aliases[_group_key(name)] = code
    return aliases


def _header_key(value: str) -> str:
    # "ID Number", "id-number", "*姓名", "身份证 号" all match.
    return re.sub(r"[\s_\-*]", "", _nfkc(value)).casefold()


@dataclass(frozen=True)
class Columns:
    """The columns an import understands: the accepted headers of each field, and the required fields."""

    aliases: Mapping[str, tuple[str, ...]]
    required: tuple[str, ...]

    @cached_property
    def fields(self) -> dict[str, str]:
        """Normalised header -> field."""
        return {_header_key(alias): name for name, aliases in self.aliases.items() for alias in aliases}

    @cached_property
    def labels(self) -> dict[str, str]:
        """How messages name a field: its first two accepted headers (Chinese / English)."""
        return {name: f"{aliases[0]} / {aliases[1]}" for name, aliases in self.aliases.items()}


POOL_COLUMNS = Columns(HEADER_ALIASES, REQUIRED)


def _number_text(value: float) -> str:
    # Excel keeps phones typed into General cells as numbers: 13800138000.0 -> "13800138000".
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    return str(value)


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int | float):
        return _number_text(value)
    if isinstance(value, datetime) and value.time() == time(0):
        return value.date().isoformat()
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    text = getattr(value, "text", None)  # openpyxl array formulas
    return text if isinstance(text, str) else str(value)


def _preview(text: str) -> dict[str, object]:
    """What a message may say about an invalid phone or ID number: its length and first 3 characters."""
    return {"length": len(text), "start": text[:3]}


def has_control(text: str, *, allow_lines: bool) -> bool:
    allowed = "\t\n\r" if allow_lines else ""
    return any(unicodedata.category(ch) == "Cc" and ch not in allowed for ch in text)


def short(text: str, limit: int = 30) -> str:
    return text if len(text) <= limit else text[:limit] + "…"


# ---------------------------------------------------------------------------------------
# Reading the file into rows of cells


def _file_problem(result: TableImport, error: UserError) -> None:
    result.problems.append(Problem(None, None, error))


def _extension(filename: str) -> str:
    base = filename.replace("\\", "/").rsplit("/", 1)[-1]
    return "." + base.rsplit(".", 1)[-1].lower() if "." in base else ""


def _decode(content: bytes, result: TableImport) -> str | None:
    if content.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8-sig", "utf-8-sig")]
    else:
        # GB18030 is a superset of GBK and GB2312: what Excel on a Chinese Windows writes.
        candidates = [("utf-8", "utf-8"), ("gb18030", "gb18030")]
    for codec, label in candidates:
        try:
            text = content.decode(codec)
        except UnicodeDecodeError:
            continue
        result.encoding = label
        return text
    _file_problem(result, UserError(
        "pool.encoding",
        "the file is neither UTF-8 nor GBK/GB18030 text (it may be {guess}); in Excel use Save As, "
        "choose “CSV UTF-8 (comma delimited)” and import that file",
        guess=_guess_encoding(content),
    ))
    return None


def _guess_encoding(content: bytes) -> str:
    try:
        from charset_normalizer import from_bytes

        best = from_bytes(content[:100_000]).best()
    except Exception:  # a guess for a message only: never let it break the import
        return "unknown"
    return best.encoding if best is not None else "unknown"


def _read_csv(content: bytes, result: TableImport) -> list[tuple[int, list[object]]] | None:
    if content.startswith(_ZIP_MAGIC):
        _file_problem(result, UserError(
            "pool.csv_is_workbook", "the file name ends in .csv but the file is an Excel workbook; rename it to .xlsx"))
        return None
    text = _decode(content, result)
    if text is None:
        return None
    if not clean(text):
        _file_problem(result, UserError("pool.empty", "the file is empty"))
        return None
    first = next((line for line in text.splitlines() if clean(line)), "")
    delimiter = ","
    if "," not in first:
        # Excel in some locales writes semicolons; "Unicode text" exports use tabs.
        delimiter = "\t" if first.count("\t") >= first.count(";") and "\t" in first else ";" if ";" in first else ","
    rows: list[tuple[int, list[object]]] = []
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    number = 0
    while True:
        number += 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error:
            result.problems.append(Problem(number, None, UserError(
                "pool.bad_csv",
                "row {row}: the CSV file is malformed here (look for an unclosed quotation mark or a very long cell)",
                row=number,
            )))
            return None
        rows.append((number, list(cells)))
    return rows


def _not_a_workbook() -> UserError:
    return UserError("pool.not_a_workbook",
                     "the file is not a valid Excel workbook (.xlsx); open it in Excel and save it again as .xlsx")


def _read_xlsx(content: bytes, result: TableImport, max_bytes: int) -> list[tuple[int, list[object]]] | None:
    if content.startswith(_OLE_MAGIC):
        _file_problem(result, UserError(
            "pool.old_excel",
            "the file is an old Excel 97-2003 workbook (.xls); open it in Excel and save it as .xlsx"))
        return None
    if not content.startswith(_ZIP_MAGIC):
        _file_problem(result, _not_a_workbook())
        return None
    limit = max_bytes * UNPACKED_FACTOR
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except Exception:
        _file_problem(result, _not_a_workbook())
        return None
    if unpacked > limit:
        _file_problem(result, UserError(
            "pool.workbook_too_large",
            "the workbook unpacks to more than {limit_mb} MB; remove pictures and extra sheets, then save it again",
            limit_mb=_megabytes(limit)))
        return None

    import openpyxl  # here, not at the top: CSV imports and the rest of core do not need it

    rows: list[tuple[int, list[object]]] = []
    workbook = None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "no default style" and similar, from other writers
            # data_only=False: a formula cell reads as its formula text, so it is caught below.
            workbook = openpyxl.load_workbook(io.BytesIO(content), read_only=True, data_only=False, keep_links=False)
            sheets = workbook.worksheets
            if not sheets:
                _file_problem(result, _not_a_workbook())
                return None
            sheet = sheets[0]
            sheet.reset_dimensions()  # some writers record a wrong size, which would cut rows short
            for number, cells in enumerate(sheet.iter_rows(values_only=True), start=1):
                rows.append((number, list(cells)))
    except Exception:
        # openpyxl raises many kinds (zip, XML, KeyError, TypeError...) on damaged files.
        _file_problem(result, _not_a_workbook())
        return None
    finally:
        if workbook is not None:
            try:
                workbook.close()
            except Exception:
                pass
    result.encoding = "xlsx"
    if len(workbook.sheetnames) > 1:
        result.notices.append(UserError("pool.extra_sheets",
                                        "only the first sheet {sheet!r} was read; the other sheets were ignored",
                                        sheet=sheet.title))
    return rows


def _megabytes(size: int, *, up: bool = False) -> str:
    # Rounded up for a file's size, so that a file just over the limit never reads "5 MB; up to 5 MB".
    tenths = -(-size // 100_000) if up else size // 100_000
    return f"{tenths / 10:.1f}".removesuffix(".0")


# ---------------------------------------------------------------------------------------
# Checking the rows


def is_blank(cells: list[object]) -> bool:
    return all(not clean(cell_text(c)) for c in cells)


def _find_header(rows: list[tuple[int, list[object]]], spec: Columns) -> int | None:
    """Index in `rows` of the header row: the first row naming a required column among the first few."""
    filled = [i for i, (_, cells) in enumerate(rows) if not is_blank(cells)]
    if not filled:
        return None
    for i in filled[:HEADER_SEARCH_ROWS]:
        if any(spec.fields.get(_header_key(cell_text(c))) in spec.required for c in rows[i][1]):
            return i
    return filled[0]


def _map_columns(header_row: int, cells: list[object], result: TableImport,
                 spec: Columns) -> dict[str, tuple[int, str]]:
    """field -> (column index, header as written); problems for missing or doubled columns."""
    columns: dict[str, tuple[int, str]] = {}
    ignored = []
    for index, cell in enumerate(cells):
        written = clean(cell_text(cell))
        if not written:
            continue
        name = spec.fields.get(_header_key(written))
        if name is None:
            ignored.append(written)
        elif name in columns:
            result.problems.append(Problem(header_row, written, UserError(
                "pool.duplicate_column",
                "row {row}: columns {first!r} and {second!r} both mean {headers}; keep only one of them",
                row=header_row, first=columns[name][1], second=written, headers=spec.labels[name],
            )))
        else:
            columns[name] = (index, written)
    if ignored:
        result.notices.append(UserError("pool.ignored_columns", "these columns were ignored: {columns}",
                                        columns=", ".join(short(c) for c in ignored)))
    for name in spec.required:
        if name not in columns:
            _file_problem(result, UserError("pool.missing_column", "the required column {headers} is missing",
                                            headers=spec.labels[name]))
    return columns


class _RowChecker:
    """Checks one data row after another, remembering what earlier rows held."""

    def __init__(self, columns, groups, existing_ids, existing_phones, result):
        self.columns = columns
        self.aliases = group_aliases(groups)
        self.choices = ", ".join(groups.values())
        self.existing_ids = existing_ids
        self.existing_phones = existing_phones
        self.result = result
        self.seen_keys: dict[str, int] = {}
        self.seen_ids: dict[str, int] = {}
        self.seen_phones: dict[str, int] = {}

    def at(self, row: int, name: str) -> dict[str, object]:
        """The position parameters every row message takes: the row number and the header as written."""
        return {"row": row, "column": self.columns[name][1]}

    def add(self, error: UserError) -> None:
        self.result.problems.append(Problem(error.params["row"], error.params["column"], error))

    def raw(self, cells: list[object], name: str) -> object:
        if name not in self.columns:
            return None
        index = self.columns[name][0]
        return cells[index] if index < len(cells) else None

    def text_field(self, row: int, cells: list[object], name: str) -> str:
        """name, organisation or notes: cleaned, then checked for formulas, control characters and length."""
        value = cell_text(self.raw(cells, name))
        text = normalise_name(value) if name == "name" else clean(value)
        at = self.at(row, name)
        if not text:
            if name == "name":
                self.add(UserError("pool.empty_name", "row {row}, column {column}: the name is empty", **at))
        elif text.startswith(FORMULA_STARTS):
            self.formula(at, text)
        elif has_control(text, allow_lines=name != "name"):
            self.add(UserError("pool.bad_characters",
                               "row {row}, column {column}: the cell contains invisible control characters; retype it",
                               **at))
        elif len(text) > MAX_LENGTHS[name]:
            self.add(UserError("pool.too_long",
                               "row {row}, column {column}: {length} characters, at most {limit} are allowed",
                               length=len(text), limit=MAX_LENGTHS[name], **at))
        return text

    def formula(self, at: dict[str, object], text: str) -> None:
        self.add(UserError("pool.formula",
                           "row {row}, column {column}: the cell starts with {char!r}, which spreadsheet programs "
                           "run as a formula; remove that character", char=text[0], **at))

    def group(self, row: int, cells: list[object]) -> str:
        text = clean(cell_text(self.raw(cells, "group")))
        at = self.at(row, "group")
        if not text:
            self.add(UserError("pool.empty_group",
                               "row {row}, column {column}: the group is empty; use one of: {choices}",
                               choices=self.choices, **at))
            return ""
        if text.startswith(FORMULA_STARTS):
            self.formula(at, text)
            return ""
        code = self.aliases.get(_group_key(text))
        if code is None:
            self.add(UserError("pool.unknown_group",
                               "row {row}, column {column}: {value!r} is not a reviewer group; use one of: {choices}",
                               value=short(text), choices=self.choices, **at))
            return ""
        return code

    def phone(self, row: int, cells: list[object]) -> str | None:
        value = self.raw(cells, "phone")
        text = clean(cell_text(value))
        if not text:
            return None
        phone = normalise_phone(value)
        if phone is None:
            self.add(UserError("pool.bad_phone",
                               "row {row}, column {column}: not a mainland mobile number (11 digits starting with "
                               "13-19); the cell has {length} characters starting with {start!r}",
                               **_preview(_nfkc(text)), **self.at(row, "phone")))
        return phone

    def id_number(self, row: int, cells: list[object]) -> str | None:
        value = self.raw(cells, "id_number")
        text = clean(cell_text(value))
        if not text:
            return None
        at = self.at(row, "id_number")
        numeric = isinstance(value, int | float) and not isinstance(value, bool)
        if numeric or _SCIENTIFIC.fullmatch(_nfkc(text)):
            # Excel keeps 15 significant digits: an ID number typed into a General cell is already damaged.
            self.add(UserError("pool.id_as_number",
                               "row {row}, column {column}: the ID number was stored as a number, so its last "
                               "digits are lost; format the column as Text and type the ID numbers again", **at))
            return None
        idn = normalise_id_number(text)
        fault = _id_fault(idn)
        if fault == "format":
            self.add(UserError("pool.bad_id_format",
                               "row {row}, column {column}: not an ID number (18 characters: 17 digits, then a digit "
                               "or X); the cell has {length} characters starting with {start!r}",
                               **_preview(idn), **at))
        elif fault == "date":
            self.add(UserError("pool.bad_id_date",
                               "row {row}, column {column}: characters 7-14 of the ID number are not a real date "
                               "of birth (it starts with {start!r})", **_preview(idn), **at))
        elif fault == "check":
            self.add(UserError("pool.bad_id_check",
                               "row {row}, column {column}: the last character (check digit) of the ID number does "
                               "not match the others; look for a typo (it starts with {start!r})",
                               **_preview(idn), **at))
        return idn if fault is None else None

    def duplicates(self, entry: PoolRow) -> None:
        row = entry.row
        earlier = None
        if entry.id_number and entry.id_number in self.seen_ids:
            earlier = ("id_number", self.seen_ids[entry.id_number])
        elif entry.phone and entry.phone in self.seen_phones:
            earlier = ("phone", self.seen_phones[entry.phone])
        elif entry.name and entry.person_key in self.seen_keys:
            earlier = ("name", self.seen_keys[entry.person_key])
        if earlier:
            self.add(UserError("pool.duplicate_in_file",
                               "row {row}: the same person as row {first_row} (same {column})",
                               first_row=earlier[1], **self.at(row, earlier[0])))
        if entry.id_number:
            self.seen_ids.setdefault(entry.id_number, row)
        if entry.phone:
            self.seen_phones.setdefault(entry.phone, row)
        self.seen_keys.setdefault(entry.person_key, row)

        in_pool = (("id_number", entry.id_number, self.existing_ids, mask_id_number),
                   ("phone", entry.phone, self.existing_phones, mask_phone))
        for name, value, existing, mask in in_pool:
            owner = existing.get(value) if value else None
            if owner is not None and owner != entry.person_key:
                self.add(UserError("pool.duplicate_in_pool",
                                   "row {row}, column {column}: {value} already belongs to a different person "
                                   "in the reviewer pool", value=mask(value), **self.at(row, name)))

    def check(self, row: int, cells: list[object]) -> PoolRow:
        name = self.text_field(row, cells, "name")
        group = self.group(row, cells)
        organisation = self.text_field(row, cells, "organisation") if "organisation" in self.columns else ""
        phone = self.phone(row, cells)
        id_number = self.id_number(row, cells)
        notes = self.text_field(row, cells, "notes") if "notes" in self.columns else ""
        entry = PoolRow(row=row, name=name, group=group, organisation=organisation, phone=phone,
                        id_number=id_number, notes=notes, person_key=person_key(name, phone, id_number, organisation))
        self.duplicates(entry)
        return entry


@dataclass
class Sheet:
    columns: dict[str, tuple[int, str]]  # field -> (column index, header as written)
    rows: list[tuple[int, list[object]]]  # (row number as the user sees it, cells) below the header, blanks left out


def read_sheet(
    content: bytes, filename: str, result: TableImport, spec: Columns, *, max_bytes: int = DEFAULT_MAX_BYTES
) -> Sheet | None:
    """Read a .csv or .xlsx file down to its data rows; None (with the problems in `result`) when it cannot be."""
    content = bytes(content)
    extension = _extension(filename or "")
    if extension not in EXTENSIONS:
        _file_problem(result, UserError(
            "pool.unsupported_type",
            "files ending in {extension!r} cannot be imported; save the list as .xlsx (Excel workbook) or .csv",
            extension=extension))
        return None
    if len(content) > max_bytes:
        _file_problem(result, UserError(
            "pool.too_large", "the file is {size_mb} MB; files up to {limit_mb} MB can be imported",
            size_mb=_megabytes(len(content), up=True), limit_mb=_megabytes(max_bytes)))
        return None
    if not content:
        _file_problem(result, UserError("pool.empty", "the file is empty"))
        return None
    rows = _read_csv(content, result) if extension == ".csv" else _read_xlsx(content, result, max_bytes)
    if rows is None:
        return None
    header_index = _find_header(rows, spec)
    if header_index is None:
        _file_problem(result, UserError("pool.empty", "the file is empty"))
        return None
    header_row, header_cells = rows[header_index]
    if any(not is_blank(cells) for _, cells in rows[:header_index]):
        result.notices.append(UserError("pool.rows_above_header",
                                        "the header was found in row {row}; the rows above it were ignored",
                                        row=header_row))
    columns = _map_columns(header_row, header_cells, result, spec)
    if not all(name in columns for name in spec.required):
        return None
    return Sheet(columns, [(number, cells) for number, cells in rows[header_index + 1:] if not is_blank(cells)])


def parse_pool(
    content: bytes,
    filename: str,
    *,
    groups: Mapping[str, str],
    existing_ids: Mapping[str, str] = _EMPTY,
    existing_phones: Mapping[str, str] = _EMPTY,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> PoolImport:
    """Read and check a reviewer list; never raises for bad input, returns its problems instead.

    `groups` maps group code -> Chinese name; a file may use either. `existing_ids` and
    `existing_phones` map the pool's ID numbers and phones to their owners' person keys: a row
    whose key is already in the pool is an update, but a row reusing another person's ID number
    or phone is a problem.
    """
    result = PoolImport()
    sheet = read_sheet(content, filename, result, POOL_COLUMNS, max_bytes=max_bytes)
    if sheet is None:
        return result
    checker = _RowChecker(sheet.columns, groups, existing_ids, existing_phones, result)
    result.rows = [checker.check(number, cells) for number, cells in sheet.rows]
    if not result.rows:
        _file_problem(result, UserError("pool.no_rows", "the file has a header row but no people in it"))
    return result


def check_member(
    *, name: str, group: str, organisation: str, phone: str | None, id_number: str | None, notes: str,
    groups: Mapping[str, str],
) -> list[UserError]:
    """The rules of an import row, for one person edited in a form (no row or column to name)."""
    problems: list[UserError] = []
    texts = {"name": normalise_name(name), "organisation": clean(organisation), "notes": clean(notes)}
    if not texts["name"]:
        problems.append(UserError("pool.form_empty_name", "the name is empty"))
    for field_, text in texts.items():
        if text.startswith(FORMULA_STARTS):
            problems.append(UserError("pool.form_formula", "{field}: must not start with {char!r}",
                                      field=field_, char=text[0]))
        elif len(text) > MAX_LENGTHS[field_]:
            problems.append(UserError("pool.form_too_long", "{field}: at most {limit} characters",
                                      field=field_, limit=MAX_LENGTHS[field_]))
    if group_code(group, groups) is None:
        problems.append(UserError("pool.form_unknown_group", "choose one of the reviewer groups: {choices}",
                                  choices=", ".join(groups.values())))
    if phone and normalise_phone(phone) is None:
        problems.append(UserError("pool.form_bad_phone",
                                  "not a mainland mobile number (11 digits starting with 13-19)"))
    if id_number and not check_id_number(id_number):
        problems.append(UserError("pool.form_bad_id",
                                  "not a valid ID number (18 characters, a real birth date, a matching check digit)"))
    return problems
