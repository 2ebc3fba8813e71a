"""The pool in the database: all-or-nothing imports, updates by key, masked personal data."""

import pytest
from sqlmodel import func, select

from core.errors import Forbidden, UserError, ValidationError
from db.access import Actor
from db.campaigns import get_campaign
from db.draws import create_draw, members
from db.engine import session_scope
from db.models import AuditEvent, Reviewer
from db.reviewer_pool import get_member, import_pool, list_pool, pool_counts, update_member
from tests.support.pool_files import csv_bytes, people, xlsx_bytes


def count(engine):
    with session_scope(engine) as s:
        return s.exec(select(func.count()).select_from(Reviewer)).one()


def load(engine, admin, content, filename="pool.csv"):
    with session_scope(engine) as s:
        return import_pool(s, actor=admin, year=2017, content=content, filename=filename)


def test_a_good_file_fills_the_pool_by_group(scheme_engine, admin):
    report = load(scheme_engine, admin, csv_bytes(people(), encoding="gb18030"))
    assert (report.created, report.updated, report.encoding) == (2000, 0, "gb18030")
    with session_scope(scheme_engine) as s:
        counts = pool_counts(s, campaign_id=get_campaign(s, 2017).id)
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "pool.import")).one()
    assert list(counts.values()) == [523, 417, 381, 299, 236, 144]
    assert event.after["created"] == 2000 and "139" not in str(event.after)


def test_a_re_import_updates_people_in_place_and_keeps_their_draw_history(scheme_engine, admin):
    rows = people()
    load(scheme_engine, admin, csv_bytes(rows))
    with session_scope(scheme_engine) as s:
        drawn = create_draw(s, actor=admin, year=2017, seed="s")
        before = {m.reviewer_id for m in members(s, actor=admin, draw_id=drawn.id)}
    rows[0][2] = "新单位"
    report = load(scheme_engine, admin, xlsx_bytes(rows), "pool.xlsx")
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1999)
    assert count(scheme_engine) == 2000
    with session_scope(scheme_engine) as s:
        assert {m.reviewer_id for m in members(s, actor=admin, draw_id=drawn.id)} == before


@pytest.mark.parametrize("break_it", [
    lambda rows: rows[5].__setitem__(1, "外星人"),
    lambda rows: rows[6].__setitem__(3, "12345"),
    lambda rows: rows[7].__setitem__(4, rows[7][4][:-1] + ("0" if rows[7][4][-1] != "0" else "1")),
    lambda rows: rows[8].__setitem__(0, ""),
    lambda rows: rows[9].__setitem__(2, "=cmd|' /C calc'!A0"),
    lambda rows: rows.append(list(rows[10])),
])
def test_any_bad_row_refuses_the_whole_file(scheme_engine, admin, break_it):
    load(scheme_engine, admin, csv_bytes(people([5, 5, 5, 5, 5, 5])))
    rows = people()
    break_it(rows)
    with pytest.raises(ValidationError) as caught:
        load(scheme_engine, admin, csv_bytes(rows))
    assert caught.value.problems and all(p.params.get("row") for p in caught.value.problems)
    assert count(scheme_engine) == 30


def test_someone_elses_phone_in_a_new_row_is_refused(scheme_engine, admin):
    load(scheme_engine, admin, csv_bytes(people([3, 0, 0, 0, 0, 0])))
    newcomer = [["新人", "服务对象", "", "13900000001", "", ""]]
    with pytest.raises(ValidationError) as caught:
        load(scheme_engine, admin, csv_bytes(newcomer))
    assert [p.key for p in caught.value.problems] == ["pool.duplicate_in_pool"]
    assert "13900000001" not in caught.value.english()


def test_listing_masks_personal_data_and_revealing_is_audited(scheme_engine, admin):
    load(scheme_engine, admin, csv_bytes(people([2, 0, 0, 0, 0, 0])))
    with session_scope(scheme_engine) as s:
        cid = get_campaign(s, 2017).id
        masked, total = list_pool(s, actor=admin, campaign_id=cid)
        assert total == 2 and masked[0].phone == "139****0000" and "********" in masked[0].id_number
        assert not s.exec(select(AuditEvent).where(AuditEvent.action == "pool.reveal")).all()
        shown, _ = list_pool(s, actor=admin, campaign_id=cid, reveal=True, search="评议人0001")
    assert shown[0].phone == "13900000001"
    with session_scope(scheme_engine) as s:
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "pool.reveal")).one()
    assert event.after["rows"] == 1 and "13900000001" not in str(event.after)
    for role in ("leader", "analyst", "inspector", "liaison"):
        with pytest.raises(Forbidden), session_scope(scheme_engine) as s:
            list_pool(s, actor=Actor("x", role), campaign_id=cid)


def test_editing_a_member_checks_like_an_import_and_audits_masked(scheme_engine, admin):
    load(scheme_engine, admin, csv_bytes(people([3, 0, 0, 0, 0, 0])))
    with session_scope(scheme_engine) as s:
        cid = get_campaign(s, 2017).id
        member = list_pool(s, actor=admin, campaign_id=cid)[0][0]
    base = dict(actor=admin, campaign_id=cid, reviewer_id=member.id, name="王五", group_code="人大代表",
                organisation="区人大", phone=None, id_number=None, notes="", active=True)
    with pytest.raises(ValidationError) as caught, session_scope(scheme_engine) as s:
        update_member(s, **base | {"name": " ", "phone": "123", "organisation": "=HYPERLINK(1)"})
    assert {p.key for p in caught.value.problems} == {"pool.form_empty_name", "pool.form_bad_phone",
                                                      "pool.form_formula"}
    with pytest.raises(UserError, match="number"), session_scope(scheme_engine) as s:
        update_member(s, **base | {"phone": "13900000001"})
    with session_scope(scheme_engine) as s:
        update_member(s, **base | {"phone": "+86 138 0013 8000"})
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "pool.update")).one()
        stored = get_member(s, actor=admin, campaign_id=cid, reviewer_id=member.id)
    assert stored.group_code == "npc_deputy" and stored.phone == "138****8000"
    assert event.after["phone"] == "138****8000" and "13800138000" not in str(event.after)
    with session_scope(scheme_engine) as s:
        update_member(s, **base | {"phone": "", "id_number": ""})
        person = s.get(Reviewer, member.id)
    assert person.phone is None and person.id_number is None
