"""Reviewer-pool import: real office files in, every problem out, no personal data in messages."""

import csv
import io
import re
import zipfile

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.pool_import import (
    check_id_number,
    group_code,
    id_check_char,
    normalise_id_number,
    normalise_phone,
    parse_pool,
    person_key,
)
from core.privacy import mask_id_number as mask_id
from core.privacy import mask_phone

GROUPS = {
    "service_recipient": "服务对象",
    "npc_deputy": "人大代表",
    "cppcc_member": "政协委员",
    "industry_rep": "行评代表",
    "cadre": "机关干部",
    "community_cadre": "社区群干",
}
ZH = ["姓名", "类别", "工作单位", "手机号码", "身份证号", "备注"]
EN = ["name", "group", "organisation", "phone", "id_number", "notes"]
VALID_ID = "11010519491231002X"


def make_id(first17: str) -> str:
    return first17 + id_check_char(first17)


ID_2 = make_id("42011419850615234")
ID_3 = make_id("44030419900307123")
GOOD_ROWS = [
    ["张三", "服务对象", "区政府", "13800138000", VALID_ID, ""],
    ["李四", "cadre", "区财政局", "139-0013-9000", "", "新任"],
    ["王五", "人大代表", "", "", ID_2, ""],
]


def csv_bytes(rows, encoding="utf-8", delimiter=","):
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=delimiter).writerows(rows)
    return out.getvalue().encode(encoding)


def xlsx_bytes(rows, sheets=1):
    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    for i in range(1, sheets):
        book.create_sheet(f"other{i}")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def parse(content, filename="pool.csv", **kwargs):
    return parse_pool(content, filename, groups=GROUPS, **kwargs)


def keys(result):
    return [(p.row, p.column, p.error.key) for p in result.problems]


# --- values -----------------------------------------------------------------------------


def test_check_id_number():
    assert check_id_number(VALID_ID)
    assert check_id_number(VALID_ID.lower())
    assert check_id_number("１１０１０５１９４９１２３１００２Ｘ")
    assert check_id_number(ID_2) and check_id_number(ID_3)
    assert not check_id_number("110105194912310021")  # wrong check digit
    assert not check_id_number("110105194913310029"[:17] + id_check_char("11010519491331002"))  # month 13
    assert not check_id_number("11010519491231002")  # 17 characters
    assert not check_id_number("")


@pytest.mark.parametrize(("raw", "phone"), [
    ("13800138000", "13800138000"),
    (" 138 0013 8000 ", "13800138000"),
    ("+86 138-0013-8000", "13800138000"),
    ("8613800138000", "13800138000"),
    ("１３８００１３８０００", "13800138000"),
    (13800138000.0, "13800138000"),
    ("13800138000.0", "13800138000"),
    ("12800138000", None),
    ("1380013800", None),
    ("=13800138000", None),
    ("", None),
])
def test_normalise_phone(raw, phone):
    assert normalise_phone(raw) == phone


def test_normalise_id_number():
    assert normalise_id_number(" １１０１０５ １９４９１２３１ ００２ｘ\u3000") == VALID_ID
    assert normalise_id_number(None) == ""


def test_group_code_accepts_code_or_chinese_name():
    assert group_code("服务对象", GROUPS) == "service_recipient"
    assert group_code(" CADRE ", GROUPS) == "cadre"
    assert group_code("社区 群干", GROUPS) == "community_cadre"
    assert group_code("学生", GROUPS) is None
    assert group_code("", GROUPS) is None


def test_masks():
    assert mask_phone("13800138000") == "138****8000"
    assert mask_id(VALID_ID) == "110105********002X"


def test_person_key_is_stable_and_ignores_spaces():
    key = person_key("张三", "13800138000", None, "区政府")
    assert key == person_key(" 张三\u3000", "+86 138 0013 8000", "", " 区政府 ")
    assert re.fullmatch(r"[0-9a-f]{64}", key)
    assert person_key("张三", None, VALID_ID.lower(), "") == person_key("李四", "13900139000", f" {VALID_ID} ", "x")
    assert person_key("张三", None, None, "区政府") != person_key("张三", None, None, "区财政局")
    assert person_key("张三", "13800138000", None, "") != person_key("张三", None, None, "")
    assert "13800138000" not in key


# --- good files -------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030"])
@pytest.mark.parametrize("header", [ZH, EN])
def test_good_csv_in_each_encoding(encoding, header):
    result = parse(csv_bytes([header, *GOOD_ROWS], encoding))
    assert result.ok, keys(result)
    assert result.encoding == encoding
    assert [(r.row, r.name, r.group) for r in result.rows] == [
        (2, "张三", "service_recipient"), (3, "李四", "cadre"), (4, "王五", "npc_deputy")]
    assert result.rows[1].phone == "13900139000" and result.rows[1].notes == "新任"
    assert result.rows[2].phone is None and result.rows[2].id_number == ID_2


def test_gbk_file_is_read_as_gb18030():
    result = parse(csv_bytes([ZH, *GOOD_ROWS], "gbk"))
    assert result.ok and result.encoding == "gb18030"


def test_good_xlsx():
    result = parse(xlsx_bytes([ZH, *GOOD_ROWS]), "名单.XLSX")
    assert result.ok, keys(result)
    assert result.encoding == "xlsx"
    assert [r.name for r in result.rows] == ["张三", "李四", "王五"]


def test_xlsx_numeric_phone_cells():
    rows = [EN, ["张三", "cadre", "x", 13800138000.0, None, None], ["李四", "cadre", "x", 13900139000]]
    result = parse(xlsx_bytes(rows), "pool.xlsx")
    assert result.ok, keys(result)
    assert [r.phone for r in result.rows] == ["13800138000", "13900139000"]


def test_xlsx_numeric_id_is_refused():
    result = parse(xlsx_bytes([ZH, ["张三", "cadre", "x", None, 110105194912310020]]), "pool.xlsx")
    assert keys(result) == [(2, "身份证号", "pool.id_as_number")]


def test_csv_scientific_id_is_refused():
    result = parse(csv_bytes([ZH, ["张三", "cadre", "x", "", "1.10105E+17"]]))
    assert keys(result) == [(2, "身份证号", "pool.id_as_number")]


def test_full_width_and_spaces_are_normalised():
    row = ["\u3000张　三 ", " 机关干部\u3000", " 区政府 ", "１３８ ００１３ ８０００",
           " １１０１０５１９４９１２３１００２ｘ ", " 无 "]
    result = parse(csv_bytes([ZH, row]))
    assert result.ok, keys(result)
    (person,) = result.rows
    assert (person.name, person.group, person.organisation, person.notes) == ("张三", "cadre", "区政府", "无")
    assert person.phone == "13800138000" and person.id_number == VALID_ID


def test_headers_any_case_and_spelling():
    header = [" NAME ", "Group", "Organization", "ＰＨＯＮＥ", "ID Number", "Notes", "序号"]
    result = parse(csv_bytes([header, ["张三", "cadre", "区政府", "13800138000", VALID_ID, "", "1"]]))
    assert result.ok, keys(result)
    assert result.rows[0].organisation == "区政府" and result.rows[0].id_number == VALID_ID
    assert result.warnings == ["these columns were ignored: 序号"]


def test_optional_columns_may_be_absent():
    result = parse(csv_bytes([["姓名", "类别"], ["张三", "社区群干"]]))
    assert result.ok
    assert result.rows[0].organisation == "" and result.rows[0].phone is None


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_delimiters(delimiter):
    result = parse(csv_bytes([ZH, *GOOD_ROWS], delimiter=delimiter))
    assert result.ok and len(result.rows) == 3


def test_quoted_cells_with_commas_and_newlines():
    result = parse('姓名,类别,备注\r\n张三,cadre,"第一行,\r\n第二行"\r\n李四,cadre,\r\n'.encode())
    assert result.ok
    assert result.rows[0].notes == "第一行,\r\n第二行"
    assert result.rows[1].row == 3


def test_blank_rows_are_skipped_and_rows_keep_file_numbers():
    result = parse(csv_bytes([ZH, ["", "", ""], GOOD_ROWS[0], [], [" ", "\u3000"], GOOD_ROWS[1]]))
    assert result.ok
    assert [r.row for r in result.rows] == [3, 6]


def test_title_row_above_header_in_xlsx():
    result = parse(xlsx_bytes([["2017年度评议人员库"], ZH, GOOD_ROWS[0]], sheets=2), "pool.xlsx")
    assert result.ok, keys(result)
    assert result.rows[0].row == 3
    assert len(result.warnings) == 2  # rows above the header, extra sheet


# --- bad rows ---------------------------------------------------------------------------


def one_row(row, header=ZH, **kwargs):
    return parse(csv_bytes([header, row]), **kwargs)


@pytest.mark.parametrize(("row", "expected"), [
    (["张三", "学生", "", "", ""], (2, "类别", "pool.unknown_group")),
    (["张三", "", "", "", ""], (2, "类别", "pool.empty_group")),
    (["张三", "cadre", "", "12800138000", ""], (2, "手机号码", "pool.bad_phone")),
    (["张三", "cadre", "", "", "110105194912310021"], (2, "身份证号", "pool.bad_id_check")),
    (["张三", "cadre", "", "", "1101051949123100"], (2, "身份证号", "pool.bad_id_format")),
    (["张三", "cadre", "", "", make_id("11010519490231002")], (2, "身份证号", "pool.bad_id_date")),
    (["", "cadre", "区政府", "", ""], (2, "姓名", "pool.empty_name")),
    (["张三", "cadre", "=cmd|' /C calc'!A0", "", ""], (2, "工作单位", "pool.formula")),
    (["=HYPERLINK(\"http://x\")", "cadre", "", "", ""], (2, "姓名", "pool.formula")),
    (["张三", "@SUM(1)", "", "", ""], (2, "类别", "pool.formula")),
    (["张三", "cadre", "", "", "", "-1+1"], (2, "备注", "pool.formula")),
    (["张三", "cadre", "", "", "", "+1"], (2, "备注", "pool.formula")),
    (["张" * 51, "cadre", "", "", ""], (2, "姓名", "pool.too_long")),
    (["张三", "cadre", "单" * 101, "", ""], (2, "工作单位", "pool.too_long")),
    (["张三", "cadre", "", "", "", "备" * 501], (2, "备注", "pool.too_long")),
    (["张\x00三", "cadre", "", "", ""], (2, "姓名", "pool.bad_characters")),
])
def test_each_bad_cell_is_named(row, expected):
    result = one_row(row)
    assert keys(result) == [expected]
    assert not result.ok


def test_length_limits_are_inclusive():
    assert one_row(["张" * 50, "cadre", "单" * 100, "", "", "备" * 500]).ok


def test_xlsx_formula_cell_is_refused():
    result = parse(xlsx_bytes([ZH, ["张三", "cadre", "=1+1"]]), "pool.xlsx")
    assert keys(result) == [(2, "工作单位", "pool.formula")]


def test_missing_required_columns_are_file_problems():
    result = parse(csv_bytes([["工作单位", "手机号码"], ["区政府", "13800138000"]]))
    assert keys(result) == [(None, None, "pool.missing_column"), (None, None, "pool.missing_column")]
    assert [p.error.params["headers"] for p in result.problems] == ["姓名 / name", "类别 / group"]


def test_a_column_given_twice():
    result = parse(csv_bytes([["姓名", "类别", "name"], ["张三", "cadre", "李四"]]))
    assert keys(result) == [(1, "name", "pool.duplicate_column")]


def test_every_problem_is_listed():
    rows = [ZH, GOOD_ROWS[0], ["", "cadre"], ["赵六", "学生"], ["钱七", "cadre", "", "123"], GOOD_ROWS[1]]
    result = parse(csv_bytes(rows))
    assert keys(result) == [(3, "姓名", "pool.empty_name"), (4, "类别", "pool.unknown_group"),
                            (5, "手机号码", "pool.bad_phone")]
    assert len(result.rows) == 5  # still shown, but not to be imported
    error = result.as_error()
    assert error.key == "pool.invalid" and len(error.problems) == 3 and error.params["n"] == 3
    assert "3 problem" in error.english()


def test_several_problems_in_one_row():
    result = one_row(["", "学生", "=x", "1", "2"])
    assert {k for _, _, k in keys(result)} == {
        "pool.empty_name", "pool.unknown_group", "pool.formula", "pool.bad_phone", "pool.bad_id_format"}


# --- duplicates -------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "second", "column"), [
    (["张三", "cadre", "甲", "", VALID_ID], ["张三丰", "cadre", "乙", "", VALID_ID.lower()], "身份证号"),
    (["张三", "cadre", "甲", "13800138000", ""], ["李四", "cadre", "乙", "138 0013 8000", ""], "手机号码"),
    (["张三", "cadre", "甲", "", ""], [" 张三 ", "npc_deputy", "甲", "", ""], "姓名"),
])
def test_duplicate_in_file_names_the_earlier_row(first, second, column):
    result = parse(csv_bytes([ZH, first, ["王五", "cadre"], second]))
    assert keys(result) == [(4, column, "pool.duplicate_in_file")]
    assert result.problems[0].error.params["first_row"] == 2


def test_same_name_elsewhere_is_not_a_duplicate():
    assert parse(csv_bytes([ZH, ["张三", "cadre", "甲"], ["张三", "cadre", "乙"]])).ok


def test_reimport_of_the_same_people_is_not_a_problem():
    first = parse(csv_bytes([ZH, *GOOD_ROWS]))
    ids = {r.id_number: r.person_key for r in first.rows if r.id_number}
    phones = {r.phone: r.person_key for r in first.rows if r.phone}
    again = parse(csv_bytes([ZH, *GOOD_ROWS]), existing_ids=ids, existing_phones=phones)
    assert again.ok
    assert [r.person_key for r in again.rows] == [r.person_key for r in first.rows]


def test_duplicate_against_the_pool():
    # A key made from the ID is the same for everyone holding that ID, so an ID clashes only
    # with a pool member keyed otherwise (imported without the ID, which was added later).
    assert parse(csv_bytes([ZH, ["张三", "cadre", "", "", VALID_ID]]),
                 existing_ids={VALID_ID: person_key("别人", None, VALID_ID, "")}).ok
    pool_ids = {VALID_ID: person_key("别人", "13700137000", None, "")}
    pool_phones = {"13900139000": person_key("别人", "13900139000", None, "")}
    rows = [ZH, ["张三", "cadre", "", "", VALID_ID], ["李四", "cadre", "", "13900139000", ID_3]]
    result = parse(csv_bytes(rows), existing_ids=pool_ids, existing_phones=pool_phones)
    assert keys(result) == [(2, "身份证号", "pool.duplicate_in_pool"), (3, "手机号码", "pool.duplicate_in_pool")]
    assert result.problems[0].error.params["value"] == "110105********002X"
    assert result.problems[1].error.params["value"] == "139****9000"


# --- bad files --------------------------------------------------------------------------


def file_keys(result):
    assert not result.ok
    return [p.error.key for p in result.problems]


@pytest.mark.parametrize(("content", "filename", "key"), [
    (b"name,group\n", "pool.xls", "pool.unsupported_type"),
    (b"name,group\n", "pool", "pool.unsupported_type"),
    (b"name,group\n", "pool.txt", "pool.unsupported_type"),
    (b"", "pool.csv", "pool.empty"),
    (b"", "pool.xlsx", "pool.empty"),
    (b"\xef\xbb\xbf \r\n\r\n", "pool.csv", "pool.empty"),
    ("姓名,类别\r\n".encode(), "pool.csv", "pool.no_rows"),
    ("姓名,类别\r\n,\r\n \r\n".encode(), "pool.csv", "pool.no_rows"),
    (b"\xff\xfe\x00\x81\xff\x80", "pool.csv", "pool.encoding"),
    (b"name,group\nx,cadre\n", "pool.xlsx", "pool.not_a_workbook"),
    (b"PK\x03\x04garbage", "pool.xlsx", "pool.not_a_workbook"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), "pool.xlsx", "pool.old_excel"),
    ('姓名,类别\r\n"张三,cadre\r\n'.encode() + b"x" * 200_000, "pool.csv", "pool.bad_csv"),
])
def test_bad_files_are_refused(content, filename, key):
    result = parse(content, filename)
    assert file_keys(result) == [key]
    assert result.rows == []


def test_header_only_xlsx():
    assert file_keys(parse(xlsx_bytes([ZH]), "pool.xlsx")) == ["pool.no_rows"]


def test_empty_xlsx_sheet():
    assert file_keys(parse(xlsx_bytes([]), "pool.xlsx")) == ["pool.empty"]


def test_too_large():
    content = csv_bytes([ZH, *GOOD_ROWS])
    result = parse(content, max_bytes=len(content) - 1)
    assert file_keys(result) == ["pool.too_large"]
    assert parse(content, max_bytes=len(content)).ok
    result = parse(b"x" * 5_000_001)
    assert file_keys(result) == ["pool.too_large"]
    assert result.problems[0].message == "the file is 5.1 MB; files up to 5 MB can be imported"


def test_truncated_workbook():
    content = xlsx_bytes([ZH, *GOOD_ROWS])
    assert file_keys(parse(content[: len(content) // 2], "pool.xlsx")) == ["pool.not_a_workbook"]


def test_zip_that_is_not_a_workbook():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    assert file_keys(parse(out.getvalue(), "pool.xlsx")) == ["pool.not_a_workbook"]


def test_zip_bomb_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"\0" * 3_000_000)
    assert file_keys(parse(out.getvalue(), "pool.xlsx", max_bytes=100_000)) == ["pool.workbook_too_large"]


def test_workbook_renamed_to_csv():
    assert file_keys(parse(xlsx_bytes([ZH, *GOOD_ROWS]), "pool.csv")) == ["pool.csv_is_workbook"]


def test_every_key_is_namespaced_and_has_an_english_message():
    result = parse(csv_bytes([ZH, ["", "学生", "=x", "1", "2"], ["张三", "cadre"], ["张三", "cadre"]]))
    for problem in result.problems:
        assert problem.error.key.startswith("pool.")
        assert "{" not in problem.message


# --- robustness and privacy -------------------------------------------------------------


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(content=st.binary(max_size=2000), filename=st.sampled_from(["pool.csv", "pool.xlsx"]))
def test_arbitrary_bytes_never_raise(content, filename):
    result = parse(content, filename)
    assert not result.ok
    assert all(p.error.key.startswith("pool.") for p in result.problems)


@settings(max_examples=100, deadline=None)
@given(content=st.binary(max_size=2000))
def test_arbitrary_bytes_inside_a_zip_never_raise(content):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", content)
        archive.writestr("xl/workbook.xml", content)
    result = parse(out.getvalue(), "pool.xlsx")
    assert not result.ok


cells = st.text(alphabet=st.characters(blacklist_categories=["Cs"]), max_size=30)


@settings(max_examples=150, deadline=None)
@given(rows=st.lists(st.lists(cells, max_size=7), max_size=6), header=st.sampled_from([ZH, EN]),
       filename=st.sampled_from(["pool.csv", "pool.xlsx"]))
def test_arbitrary_cells_never_raise(rows, header, filename):
    if filename == "pool.csv":
        content = csv_bytes([header, *rows])
    else:
        # openpyxl refuses control characters in cells; an office file cannot hold them either.
        rows = [[re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f]", "", c) for c in row] for row in rows]
        content = xlsx_bytes([header, *rows])
    result = parse(content, filename)
    for problem in result.problems:
        assert problem.error.key.startswith("pool.")
    assert result.ok == (not result.problems)


phones = st.from_regex(r"1[3-9][0-9]{9}", fullmatch=True)
id_stems = st.from_regex(r"[1-6][0-9]{5}(19[5-9][0-9]|200[0-5])(0[1-9]|1[0-2])(0[1-9]|1[0-9]|2[0-8])[0-9]{3}",
                         fullmatch=True)


@settings(max_examples=100, deadline=None)
@given(phone=phones, stem=id_stems, bad_check=st.booleans())
def test_messages_never_hold_a_full_phone_or_id(phone, stem, bad_check):
    idn = make_id(stem)
    if bad_check:
        idn = stem + ("0" if idn[-1] != "0" else "1")
    other = person_key("别人", None, None, "")
    rows = [ZH, ["张三", "学生", "", phone, idn], ["李四", "cadre", "", phone, idn],
            ["王五", "cadre", "", phone + "1", idn + "1"]]
    for content, filename in ((csv_bytes(rows), "pool.csv"), (xlsx_bytes(rows), "pool.xlsx")):
        result = parse(content, filename, existing_ids={idn: other}, existing_phones={phone: other})
        assert result.problems
        texts = [p.message for p in result.problems] + [repr(p.error.params) for p in result.problems]
        texts += [*result.warnings, result.as_error().english()]
        for text in texts:
            assert phone not in text and idn not in text
