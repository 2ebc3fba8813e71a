from datetime import date

import pytest
from sqlmodel import select

from core.errors import Forbidden, UserError
from db.access import Actor
from db.campaigns import get_campaign
from db.engine import session_scope
from db.models import AuditEvent, DailyScore, Inspection, Unit
from db.units import list_units, merge_units, repeated_names, update_unit


def campaign_id(engine):
    with session_scope(engine) as s:
        return get_campaign(s, 2017).id


def test_rename_recategorise_deactivate_are_audited(scheme_engine, admin):
    cid = campaign_id(scheme_engine)
    with session_scope(scheme_engine) as s:
        update_unit(s, actor=admin, campaign_id=cid, code="es13", name="  区金融工作局 ",
                    category_code="public_service", active=False)
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "unit.update")).one()
    assert event.before == {"name": "区财政局(区金融工作局)", "category": "economic_social", "active": True}
    assert event.after == {"name": "区金融工作局", "category": "public_service", "active": False}
    with session_scope(scheme_engine) as s:
        assert repeated_names(s, campaign_id=cid) == {"区环保局": ["ue04", "ue07"]}


@pytest.mark.parametrize(("kwargs", "key"), [
    ({"name": "   "}, "units.name_required"),
    ({"name": "x" * 201}, "units.name_long"),
    ({"category_code": "nope"}, "units.unknown_category"),
    ({"code": "zz01"}, "units.not_found"),
])
def test_bad_unit_edits_are_refused(scheme_engine, admin, kwargs, key):
    cid = campaign_id(scheme_engine)
    args = {"code": "es01", "name": "区发改局", "category_code": "economic_social", "active": True} | kwargs
    with pytest.raises(UserError) as caught, session_scope(scheme_engine) as s:
        update_unit(s, actor=admin, campaign_id=cid, **args)
    assert caught.value.key == key
    with session_scope(scheme_engine) as s:
        assert s.exec(select(Unit).where(Unit.code == "es01")).one().name == "区发改局(区统计局)"


def test_merge_moves_records_and_leaves_a_trace(scheme_engine, admin):
    cid = campaign_id(scheme_engine)
    with session_scope(scheme_engine) as s:
        ue04 = s.exec(select(Unit).where(Unit.code == "ue04")).one()
        s.add(Inspection(campaign_id=cid, unit_id=ue04.id, kind="open", visited_on=date(2017, 6, 1), site="窗口"))
    with session_scope(scheme_engine) as s:
        target = merge_units(s, actor=admin, campaign_id=cid, code="ue04", into_code="ue07")
    with session_scope(scheme_engine) as s:
        assert s.exec(select(Inspection)).one().unit_id == target.id
        rows = {u.code: u for u in list_units(s, campaign_id=cid)}
        assert rows["ue04"].merged_into == "ue07" and not rows["ue04"].active
        assert repeated_names(s, campaign_id=cid) == {"区财政局": ["es06", "es13"]}


def test_merge_refused_when_both_units_hold_scores(scheme_engine, admin):
    cid = campaign_id(scheme_engine)
    with session_scope(scheme_engine) as s:
        for code in ("es06", "es13"):
            unit = s.exec(select(Unit).where(Unit.code == code)).one()
            s.add(DailyScore(campaign_id=cid, unit_id=unit.id, score=80))
    with pytest.raises(UserError, match="both units"), session_scope(scheme_engine) as s:
        merge_units(s, actor=admin, campaign_id=cid, code="es06", into_code="es13")
    with pytest.raises(UserError, match="into itself"), session_scope(scheme_engine) as s:
        merge_units(s, actor=admin, campaign_id=cid, code="es06", into_code="es06")


def test_only_admin_edits_units(scheme_engine):
    cid = campaign_id(scheme_engine)
    with pytest.raises(Forbidden), session_scope(scheme_engine) as s:
        update_unit(s, actor=Actor("i", "inspector"), campaign_id=cid, code="es01", name="x",
                    category_code="economic_social", active=True)
