"""Unit-list import: the office's own units (code, name, category) from an .xlsx or .csv, checked whole.

Pure. Reading the file (encodings, workbook checks, header search) is the pool import's
(`core.pool_import.read_sheet`); this module holds only the columns and the row rules, which are
the add-unit form's (`check_unit`). All or nothing: every problem is listed with its row and column,
and the caller imports only when `UnitImport.ok`.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass, field

from core.errors import UserError, ValidationError
from core.pool_import import (
    DEFAULT_MAX_BYTES,
    FORMULA_STARTS,
    Columns,
    Problem,
    TableImport,
    cell_text,
    clean,
    has_control,
    normalise_name,
    read_sheet,
    short,
)
from core.scheme import CODE_RE

NAME_MAX = 200
COLUMNS = Columns({
    "code": ("代码", "code", "单位代码", "编码", "编号"),
    "name": ("单位名称", "name", "名称", "单位"),
    "category": ("类别", "category", "单位类别", "分类", "类型"),
}, required=("code", "name", "category"))


@dataclass(frozen=True)
class UnitLine:
    row: int
    code: str
    name: str
    category: str  # the category's code


@dataclass
class UnitImport(TableImport):
    rows: list[UnitLine] = field(default_factory=list)

    def as_error(self) -> ValidationError:
        """One refusal naming every problem with its row and column, for a caller that raises."""
        return ValidationError(
            "unit_list.invalid",
            "the unit list was not imported: {n} problem(s) found; fix them and import the whole file again",
            problems=[p.error for p in self.problems], n=len(self.problems),
        )


def _key(value: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", value)).casefold()


def normalise_code(value: str) -> str:
    """A unit or category code as stored: NFKC, no spaces, lower case (ES01 and ｅｓ０１ are es01)."""
    return _key(clean(value))


def category_aliases(categories: Mapping[str, tuple[str, str]]) -> dict[str, str]:
    """Every accepted spelling of a category (code, Chinese or English name), normalised -> its code."""
    aliases = {}
    for code, names in categories.items():
        for spelling in (code, *names):
            aliases[_key(spelling)] = code
    return aliases


def check_unit(*, code: str, name: str, category: str, categories: Mapping[str, tuple[str, str]]) -> list[UserError]:
    """The rules of one unit, for the add-unit form (no row or column to name); codes already normalised."""
    problems = []
    if not CODE_RE.match(code):
        problems.append(UserError("unit_list.form_bad_code",
                                  "the code {code!r} must start with a letter and hold only a-z, 0-9 and _ "
                                  "(at most 40 characters)", code=short(code)))
    if not name:
        problems.append(UserError("units.name_required", "a unit needs a name"))
    elif name.startswith(FORMULA_STARTS):
        problems.append(UserError("unit_list.form_formula", "the name must not start with {char!r}", char=name[0]))
    elif has_control(name, allow_lines=False):
        problems.append(UserError("unit_list.form_control", "the name contains invisible control characters"))
    elif len(name) > NAME_MAX:
        problems.append(UserError("units.name_long", "a unit name has at most 200 characters"))
    if category not in categories:
        problems.append(UserError("unit_list.form_category", "choose one of the categories: {choices}",
                                  choices="、".join(names[0] for names in categories.values()) or "—"))
    return problems


def parse_units(
    content: bytes,
    filename: str,
    *,
    categories: Mapping[str, tuple[str, str]],
    existing: Mapping[str, str] | None = None,
    merged: frozenset[str] = frozenset(),
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> UnitImport:
    """Read and check a unit list; never raises for bad input, returns its problems instead.

    `categories` maps category code -> (Chinese name, English name): a cell may give any of the three.
    `existing` maps the campaign's unit codes to their names: a row with such a code updates that unit;
    `merged` are codes of units merged away, which cannot come back through a list.
    """
    result = UnitImport()
    sheet = read_sheet(content, filename, result, COLUMNS, max_bytes=max_bytes)
    if sheet is None:
        return result
    aliases = category_aliases(categories)
    choices = "、".join(names[0] for names in categories.values()) or "—"
    seen_codes: dict[str, int] = {}
    seen_names: dict[str, int] = {}

    def cell(cells: list[object], name: str) -> tuple[str, dict]:
        index, header = sheet.columns[name]
        return clean(cell_text(cells[index] if index < len(cells) else None)), {"column": header}

    # A name may pass from one unit to another within the file; only units the file leaves alone keep theirs.
    in_file = {normalise_code(cell(cells, "code")[0]) for _, cells in sheet.rows}
    existing_names = {_key(name): code for code, name in (existing or {}).items() if code not in in_file}

    def add(row: int, error: UserError) -> None:
        result.problems.append(Problem(row, error.params["column"], error))

    for row, cells in sheet.rows:
        raw_code, at = cell(cells, "code")
        at["row"] = row
        code = normalise_code(raw_code)
        if not code:
            add(row, UserError("unit_list.empty_code", "row {row}, column {column}: the code is empty", **at))
        elif not CODE_RE.match(code):
            add(row, UserError("unit_list.bad_code",
                               "row {row}, column {column}: {value!r} is not a code: a letter first, then only "
                               "a-z, 0-9 and _ (at most 40 characters)", value=short(raw_code), **at))
        elif code in seen_codes:
            add(row, UserError("unit_list.duplicate_code", "row {row}, column {column}: code {value} is used "
                               "again (first in row {first_row})", value=code, first_row=seen_codes[code], **at))
        elif code in merged:
            add(row, UserError("unit_list.merged_code", "row {row}, column {column}: unit {value} was merged into "
                               "another unit; give the unit a new code", value=code, **at))
        seen_codes.setdefault(code, row)

        raw_name, at = cell(cells, "name")
        at["row"] = row
        name = normalise_name(raw_name)
        if not name:
            add(row, UserError("unit_list.empty_name", "row {row}, column {column}: the name is empty", **at))
        elif name.startswith(FORMULA_STARTS):
            add(row, UserError("unit_list.formula", "row {row}, column {column}: the cell starts with {char!r}, "
                               "which spreadsheet programs run as a formula; remove that character",
                               char=name[0], **at))
        elif has_control(name, allow_lines=False):
            add(row, UserError("unit_list.bad_characters", "row {row}, column {column}: the cell contains "
                               "invisible control characters; retype it", **at))
        elif len(name) > NAME_MAX:
            add(row, UserError("unit_list.too_long", "row {row}, column {column}: {length} characters, at most "
                               "{limit} are allowed", length=len(name), limit=NAME_MAX, **at))
        elif _key(name) in seen_names:
            add(row, UserError("unit_list.duplicate_name", "row {row}, column {column}: {value} is listed again "
                               "(first in row {first_row})", value=short(name), first_row=seen_names[_key(name)],
                               **at))
        elif existing_names.get(_key(name), code) != code:
            add(row, UserError("unit_list.name_taken", "row {row}, column {column}: {value} is already the name "
                               "of unit {other}", value=short(name), other=existing_names[_key(name)], **at))
        if name:
            seen_names.setdefault(_key(name), row)

        raw_category, at = cell(cells, "category")
        at["row"] = row
        category = aliases.get(_key(raw_category), "")
        if not raw_category:
            add(row, UserError("unit_list.empty_category", "row {row}, column {column}: the category is empty; "
                               "use one of: {choices}", choices=choices, **at))
        elif not category:
            add(row, UserError("unit_list.unknown_category", "row {row}, column {column}: {value!r} is not a "
                               "category of this year; use one of: {choices} (or add the category first)",
                               value=short(raw_category), choices=choices, **at))
        result.rows.append(UnitLine(row, code, name, category))
    if not result.rows:
        result.problems.append(Problem(None, None, UserError("unit_list.no_rows",
                                                             "the file has a header row but no units in it")))
    return result
