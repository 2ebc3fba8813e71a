"""What disagreed between rooms before the house was ordered (issue 20), each held to one rule now."""

import ast
import io
import re
import stat
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from docx import Document
from openpyxl import load_workbook
from sqlmodel import select

from core.casework import rectification_days_over, rectification_overdue
from db.access import Actor
from db.engine import session_scope
from db.live import live_board
from db.models import Rectification, Unit
from db.rectifications import list_rectifications
from documents import invitation_list, labels
from documents.circular import circular_bytes
from documents.feedback_data import CommentDigest, UnitFeedback
from documents.feedback_letter import letter_docx
from documents.problem_list import problem_list_xlsx
from documents.rectification_notice import NoticeData, notice_docx
from documents.results import ResultDocument

ROOT = Path(__file__).resolve().parents[1]
TODAY = date(2017, 6, 1)


# ---------------------------------------------------------------------------------------
# Overdue rectifications: one rule (core.casework), the list and /live agree


def test_the_overdue_rule():
    deadline = TODAY - timedelta(days=5)
    assert rectification_days_over(deadline, None, today=TODAY) == 5
    assert rectification_days_over(deadline, deadline, today=TODAY) == 0  # reported on the day
    assert rectification_days_over(deadline, deadline + timedelta(days=2), today=TODAY) == 2  # reported late
    assert rectification_days_over(deadline, TODAY + timedelta(days=3), today=TODAY) == 5  # not yet, as of TODAY
    assert not rectification_overdue(deadline, deadline - timedelta(days=1), "submitted", today=TODAY)
    assert rectification_overdue(deadline, None, "in_progress", today=TODAY)
    assert not rectification_overdue(deadline, None, "verified", today=TODAY)
    assert not rectification_overdue(TODAY + timedelta(days=1), None, "issued", today=TODAY)


def test_list_and_live_name_the_same_overdue_notices(scheme_engine):
    deadline = TODAY - timedelta(days=10)
    notices = {  # notice number: (state, submitted_on, closed_on)
        "reported-on-time": ("submitted", deadline - timedelta(days=1), None),
        "reported-late": ("submitted", deadline + timedelta(days=3), None),
        "not-reported": ("in_progress", None, None),
        "verified": ("verified", deadline - timedelta(days=2), deadline),
    }
    with session_scope(scheme_engine) as s:
        unit = s.exec(select(Unit).where(Unit.code == "ue01", Unit.campaign_id == 1)).one()
        for number, (state, submitted, closed) in notices.items():
            s.add(Rectification(campaign_id=1, unit_id=unit.id, reason="finding", problems="p", notice_no=number,
                                issued_on=TODAY - timedelta(days=60), deadline=deadline, state=state,
                                submitted_on=submitted, closed_on=closed))
    with session_scope(scheme_engine) as s:
        listed = list_rectifications(s, actor=Actor("admin", "admin"), campaign_id=1, overdue_only=True, today=TODAY)
        live = live_board(s, actor=Actor("wang", "leader"), campaign_id=1, today=TODAY).overdue_rectifications
    assert sorted(r.notice_no for r in listed) == ["not-reported", "reported-late"]
    assert sorted(live["notice_no"]) == ["not-reported", "reported-late"]
    days = {r.notice_no: r.days_overdue for r in listed}
    assert dict(zip(live["notice_no"], live["days_over"])) == days == {"not-reported": 10, "reported-late": 3}


# ---------------------------------------------------------------------------------------
# One table of document labels, one Word paragraph builder, one demo mark


def _assignments(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return {target.id for node in tree.body if isinstance(node, ast.Assign) for target in node.targets
            if isinstance(target, ast.Name)}


def test_labels_are_defined_once():
    shared = {name for name in vars(labels) if name.isupper()}
    for path in (ROOT / "documents").glob("*.py"):
        if path.name != "labels.py":
            assert not _assignments(path) & shared, path.name
    for path in [*(ROOT / "db").rglob("*.py"), *(ROOT / "ui").rglob("*.py")]:
        assert not {"DEMO_WARNING", "SEVERITIES_ZH", "GRADES_ZH", "FINDING_STATES_ZH"} & _assignments(path), path


def test_word_documents_are_built_in_one_place():
    """Only documents/word.py makes paragraphs and tables; the documents call it."""
    builder = re.compile(r"\.add_paragraph\(|\.add_table\(|<w:p[ >]|def _paragraph\(|def _table\(")
    word = [p for p in (ROOT / "documents").glob("*.py") if p.name != "word.py"
            and re.search(r"docx|documents\.word", p.read_text(encoding="utf-8"))]
    assert {p.stem for p in word} >= {"circular", "rectification_notice", "feedback_letter"}
    for path in word:
        assert not builder.search(path.read_text(encoding="utf-8")), path.name


def _header_and_body(content: bytes) -> tuple[str, str]:
    document = Document(io.BytesIO(content))
    header = "\n".join(p.text for s in document.sections for p in s.header.paragraphs)
    return header, "\n".join(p.text for p in document.paragraphs)


def _result_document(is_demo: bool) -> ResultDocument:
    return ResultDocument(year=2017, campaign_name="2017", version=1, status="published", input_hash="ab" * 32,
                          created_at=None, published_at=None, published_by=None, config={}, rows=[],
                          dimension_names={}, group_names={}, is_demo=is_demo)


def _feedback(is_demo: bool) -> UnitFeedback:
    import pandas as pd

    class Result:
        version, published_at = 1, None

    class Groups:
        overall, unit_score = pd.DataFrame(), None

    return UnitFeedback(
        campaign_id=1, year=2017, campaign_name="2017", demo=is_demo, result=Result(), unit_code="es01",
        unit_name="区发改局", category_code="economic_social", category_zh="经济和社会事业发展类",
        category_en="Economic", category_size=18, total=80.0, score_low=78.0, score_high=82.0, grade="qualified",
        rank=3, rank_low=2, rank_high=5, borderline=False, components={}, dimensions=pd.DataFrame(),
        groups=Groups(), poll=pd.DataFrame(),
        findings=[type("F", (), dict(visited_on=TODAY, dimension_zh="联系服务群众", severity="general",
                                     description="窗口无人", state="handed_over"))()])


def test_every_word_document_from_demo_data_carries_the_one_mark():
    documents = {
        "circular": circular_bytes(_result_document(True)),
        "notice": notice_docx(NoticeData("N1", "区发改局", 2017, "finding", "问题", TODAY, "区纠风办", TODAY,
                                         is_demo=True)),
        "letter": letter_docx(_feedback(True), CommentDigest("es01", (), ()), office="区纠风办"),
    }
    for name, content in documents.items():
        header, _ = _header_and_body(content)
        assert header.strip() == labels.DEMO_HEADER, name
    real = circular_bytes(_result_document(False))
    assert labels.DEMO_HEADER not in _header_and_body(real)[0]


def test_a_finding_state_has_one_name_in_every_document():
    handed_over = labels.FINDING_STATES_ZH["handed_over"]
    finding = type("F", (), dict(unit_name="区发改局", visited_on=TODAY, kind="open", site="窗口", dimension_zh="d",
                                 severity="general", deduction=2.0, description="x", state="handed_over", reply="",
                                 evidence=0))()
    book = load_workbook(io.BytesIO(problem_list_xlsx([finding], title="问题清单", period=(TODAY, TODAY))))
    assert handed_over in [c.value for c in book["问题清单"][4]]
    letter = Document(io.BytesIO(letter_docx(_feedback(False), CommentDigest("es01", (), ()), office="区纠风办")))
    cells = [c.text for table in letter.tables for row in table.rows for c in row.cells]
    assert handed_over in cells


# ---------------------------------------------------------------------------------------
# One invitation list: the command writes it owner-only, the hall and the demo read it


def test_the_draw_command_writes_the_one_invitation_list(tmp_path):
    from bench.hall.run import read_invitations
    from tests.support.pool_files import csv_bytes, people

    url = f"sqlite:///{tmp_path / 'r.db'}"
    env = {"DATABASE_URL": url, "PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"}

    def run(*args):
        done = subprocess.run([sys.executable, "-m", "db", *args], cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=120, check=False)
        assert done.returncode == 0, done.stderr
        return done

    run("init")
    pool = tmp_path / "pool.csv"
    pool.write_bytes(csv_bytes(people([50, 50, 50, 50, 50, 50])))
    run("import-pool", str(pool), "--campaign", "2017")
    target = tmp_path / "invitations.csv"
    run("draw", "--campaign", "2017", "--seed", "s1", "--n", "30", "--invitations", str(target))
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    entries = invitation_list.from_csv(target.read_bytes())
    assert target.read_bytes().decode("utf-8-sig").splitlines()[0] == ",".join(invitation_list.COLUMNS)
    assert len(entries) == 30 and {e.kind for e in entries} == {"personal"}
    assert all(e.link.endswith(f"token={e.token}") and e.name for e in entries)
    assert [(i.token, i.link) for i in read_invitations(target)] == [(e.token, e.link) for e in entries]


@pytest.mark.parametrize("name", ["db/setup.py", "db/pool.py", "db/demo.py", "db/__main__.py"])
def test_names_a_newcomer_trips_over_are_gone(name):
    path = ROOT / name
    if name == "db/__main__.py":
        assert len(path.read_text(encoding="utf-8").splitlines()) < 10
    else:
        assert not path.exists()
