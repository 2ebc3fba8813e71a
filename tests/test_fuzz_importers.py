"""Any bytes into the importers (reviewer pool, media cases) and any text into the public forms:
either a clean import or a clear refusal (UserError), never another exception, and a refusal
leaves the store exactly as it was (every table's rows hashed before and after)."""

from __future__ import annotations

import csv
import hashlib
import io
import zipfile
from datetime import UTC, datetime

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import MetaData, select

from core.errors import UserError
from core.poll import new_device_id
from db.access import Actor, cli_actor
from db.bootstrap import init_database
from db.engine import make_engine, session_scope
from db.media import import_cases
from db.poll import record_vote
from db.reviewer_pool import import_pool
from tests.support.media_files import HEADER as CASE_HEADER
from tests.support.media_files import SOURCES, UNITS
from tests.support.pool_files import GROUP_NAMES
from tests.support.pool_files import HEADER as POOL_HEADER

ADMIN = Actor("admin", "admin")
FUZZ = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                         HealthCheck.too_slow])


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('fuzz') / 'fuzz.db'}")
    init_database(engine, actor=cli_actor())
    yield engine
    engine.dispose()


def fingerprint(engine) -> dict[str, str]:
    """Each table's rows, hashed: equal fingerprints mean an unchanged store."""
    metadata = MetaData()
    metadata.reflect(engine)
    digest = {}
    with engine.connect() as connection:
        for name, table in metadata.tables.items():
            rows = sorted(repr(tuple(row)) for row in connection.execute(select(table)))
            digest[name] = hashlib.sha256("\n".join(rows).encode()).hexdigest()
    return digest


def refused_or_done(engine, action) -> None:
    """Run `action(session)` as the app does (one transaction); a refusal must leave no trace."""
    before = fingerprint(engine)
    try:
        with session_scope(engine) as session:
            action(session)
    except UserError as error:
        assert error.english().strip()  # a message a person can read
        assert fingerprint(engine) == before


# ---------------------------------------------------------------------------------------------
# What arrives as a file: raw bytes, CSV-looking text in the encodings offices use, workbooks


CELL = st.one_of(
    st.text(max_size=30),
    st.sampled_from([*POOL_HEADER, *CASE_HEADER, *GROUP_NAMES, *SOURCES, *UNITS, "13912345678", "11010519491231002X",
                     "2017-03-01", "2017年3月1日", "=1+1", "\ufeff", "\x00", "是", "满意", "", " ", "\r\n"]),
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
ROWS = st.lists(st.lists(CELL, max_size=12), max_size=12)
ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16", "latin-1"])
NAMES = st.sampled_from(["pool.csv", "pool.xlsx", "pool.CSV", "cases.xls", "cases.txt", "pool", "池.csv", ".xlsx"])


def csv_bytes(rows: list[list[str]], encoding: str, header: list[str] | None) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    if header:
        writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode(encoding, errors="replace")


def xlsx_bytes(rows: list[list[str]], header: list[str] | None) -> bytes:
    book = openpyxl.Workbook()
    sheet = book.active
    for row in ([header] if header else []) + rows:
        # Characters a worksheet cannot hold are refused by openpyxl itself, before any import.
        sheet.append(["".join(ch for ch in cell if ch.isprintable() or ch == "\n") for cell in row])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def zip_bytes(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in members:
            archive.writestr(name or "x", data)
    return buffer.getvalue()


@st.composite
def files(draw, header: list[str]):
    kind = draw(st.sampled_from(["bytes", "csv", "csv", "xlsx", "zip", "prefix"]))
    chosen_header = draw(st.sampled_from([header, header[:3], None, list(reversed(header))]))
    if kind == "bytes":
        content = draw(st.binary(max_size=2000))
    elif kind == "csv":
        content = csv_bytes(draw(ROWS), draw(ENCODINGS), chosen_header)
    elif kind == "xlsx":
        content = xlsx_bytes(draw(ROWS), chosen_header)
    elif kind == "zip":  # looks like a workbook to a quick glance: a zip with random members
        content = zip_bytes(draw(st.lists(st.tuples(st.sampled_from(["[Content_Types].xml", "xl/workbook.xml",
                                                                     "xl/worksheets/sheet1.xml", "other"]),
                                                    st.binary(max_size=300)), max_size=4,
                                           unique_by=lambda member: member[0])))
    else:  # a real file cut short or with junk behind it
        whole = xlsx_bytes(draw(ROWS), chosen_header) if draw(st.booleans()) else \
            csv_bytes(draw(ROWS), "utf-8-sig", chosen_header)
        content = whole[:draw(st.integers(0, len(whole)))] + draw(st.binary(max_size=50))
    return content, draw(NAMES)


@FUZZ
@given(upload=files(POOL_HEADER))
def test_any_pool_file_is_imported_or_refused_cleanly(engine, upload):
    content, filename = upload
    refused_or_done(engine, lambda s: import_pool(s, actor=ADMIN, year=2017, content=content, filename=filename))


@FUZZ
@given(upload=files(CASE_HEADER))
def test_any_case_file_is_imported_or_refused_cleanly(engine, upload):
    content, filename = upload
    refused_or_done(engine, lambda s: import_cases(s, actor=ADMIN, campaign_id=1, content=content, filename=filename))


# ---------------------------------------------------------------------------------------------
# What a citizen can type: the poll's comment (the only free text the public can store)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(comment=st.text(max_size=400), option=st.one_of(st.sampled_from(["satisfied", "dissatisfied"]), st.text()))
def test_any_comment_or_option_is_stored_plainly_or_refused(engine, comment, option):
    def vote(session):
        result = record_vote(session, campaign_id=1, unit_id=1, option=option, device_id=new_device_id(),
                             ip="10.9.9.9", comment=comment, now=datetime(2017, 6, 1, 3, tzinfo=UTC), salt="fuzz")
        if result.refusal is not None:
            raise result.refusal

    refused_or_done(engine, vote)
