"""Media-case import: a register kept in Excel or exported from a platform, checked whole.

Pure. Reading the file (encodings, workbook checks, header search) is the pool import's
(`core.pool_import.read_sheet`); this module holds only the columns and the row rules, which
are the entry form's (core.media). All or nothing: every problem is listed with its row and
column, and the caller imports only when `CaseImport.ok`.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import date

from core.errors import UserError, ValidationError
from core.media import (
    FIELD_NAMES,
    CaseFields,
    case_problems,
    check_text,
    duplicate_ref,
    lookup,
    parse_date,
    parse_flag,
    parse_satisfaction,
    parse_status,
)
from core.pool_import import DEFAULT_MAX_BYTES, Columns, Problem, TableImport, cell_text, clean, read_sheet

# The first two headers of each field are its names in messages (core.media.FIELD_NAMES); the rest
# are spellings seen in registers kept by hand.
_MORE_HEADERS = {
    "source": ("曝光渠道", "渠道", "媒体"),
    "external_ref": ("外部编号", "原编号", "reference", "ref"),
    "unit": ("被评议单位", "责任单位"),
    "title": ("问题", "问题标题"),
    "exposed_on": ("曝光时间", "反映日期"),
    "answered_on": ("回复日期",),
    "status": ("状态",),
    "repeated": ("是否重复反映", "是否重复"),
    "public_satisfaction": ("满意度", "satisfaction"),
    "reply": ("回复内容",),
}
COLUMNS = Columns({name: (*FIELD_NAMES[name], *_MORE_HEADERS[name]) for name in FIELD_NAMES},
                  required=("source", "external_ref", "unit", "title", "exposed_on"))


@dataclass
class CaseImport(TableImport):
    rows: list[tuple[int, CaseFields]] = field(default_factory=list)  # (row number, case)

    def as_error(self) -> ValidationError:
        """One refusal naming every problem with its row and column, for a caller that raises."""
        return ValidationError(
            "media.import_invalid",
            "the cases were not imported: {n} problem(s) found; fix them and import the whole file again",
            problems=[UserError("media.at_row", "row {row}, column {column}: {problem}", row=p.row or "-",
                                column=p.column or "-", problem=p.message) for p in self.problems],
            n=len(self.problems),
        )


def _optional_date(value: object) -> date | None:
    return parse_date(value) if clean(cell_text(value)) else None


class _RowChecker:
    def __init__(self, columns, result: CaseImport, *, units, sources, existing_refs, today):
        self.columns = columns
        self.units, self.sources = units, sources
        self.existing_refs = existing_refs
        self.today = today
        self.result = result
        self.seen: dict[tuple[str, str], int] = {}

    def cell(self, cells: list[object], name: str) -> object:
        if name not in self.columns:
            return None
        index = self.columns[name][0]
        return cells[index] if index < len(cells) else None

    def problem(self, row: int, name: str, error: UserError) -> None:
        self.result.problems.append(Problem(row, self.columns.get(name, (0, name))[1], error))

    def field(self, row: int, cells: list[object], name: str, parse: Callable[[object], object]) -> object:
        try:
            return parse(self.cell(cells, name))
        except UserError as error:
            self.problem(row, name, error)
            return None

    def check(self, row: int, cells: list[object]) -> None:
        before = len(self.result.problems)
        values = {
            "source": self.field(row, cells, "source", lambda v: lookup(v, self.sources, kind="source")),
            "unit": self.field(row, cells, "unit", lambda v: lookup(v, self.units, kind="unit")),
            "external_ref": self.field(row, cells, "external_ref",
                                       lambda v: check_text("external_ref", cell_text(v), required=True)),
            "title": self.field(row, cells, "title", lambda v: check_text("title", cell_text(v), required=True)),
            "exposed_on": self.field(row, cells, "exposed_on", parse_date),
            "answered_on": self.field(row, cells, "answered_on", _optional_date),
            "status": self.field(row, cells, "status", parse_status),
            "repeated": self.field(row, cells, "repeated", parse_flag),
            "public_satisfaction": self.field(row, cells, "public_satisfaction", parse_satisfaction),
            "reply": self.field(row, cells, "reply", lambda v: check_text("reply", cell_text(v), required=False)),
        }
        if values["source"] is not None and values["external_ref"] is not None:
            self.duplicates(row, values["source"], values["external_ref"])
        if len(self.result.problems) > before:
            return
        values["status"] = values["status"] or ("answered" if values["answered_on"] else "open")
        case = CaseFields(**values)
        for name, error in case_problems(case, today=self.today):
            self.problem(row, name, error)
        if len(self.result.problems) == before:
            self.result.rows.append((row, case))

    def duplicates(self, row: int, source: str, ref: str) -> None:
        """The same (source, reference) earlier in the file, or already in the register."""
        key = (source, ref)
        if key in self.seen:
            self.problem(row, "external_ref", UserError(
                "media.duplicate_in_file", "the same source and reference as row {first_row}",
                first_row=self.seen[key]))
        elif key in self.existing_refs:
            self.problem(row, "external_ref", duplicate_ref(self.sources[source], ref))
        self.seen.setdefault(key, row)


def parse_cases(
    content: bytes,
    filename: str,
    *,
    units: Mapping[str, str],
    sources: Mapping[str, str],
    existing_refs: Collection[tuple[str, str]] = (),
    today: date,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> CaseImport:
    """Read and check a case register; never raises for bad input, returns its problems instead.

    `units` and `sources` map code -> name (a file may use either); `existing_refs` holds the
    (source code, external reference) pairs already registered, which a file may not repeat.
    """
    result = CaseImport()
    sheet = read_sheet(content, filename, result, COLUMNS, max_bytes=max_bytes)
    if sheet is None:
        return result
    checker = _RowChecker(sheet.columns, result, units=units, sources=sources, existing_refs=set(existing_refs),
                          today=today)
    for number, cells in sheet.rows:
        checker.check(number, cells)
    if not sheet.rows:
        result.problems.append(Problem(None, None, UserError("media.no_rows",
                                                             "the file has a header row but no cases")))
    return result
