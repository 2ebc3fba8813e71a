from copy import deepcopy
from datetime import UTC, datetime

import pytest
from sqlmodel import select

from core.errors import Forbidden, UserError, ValidationError
from db.access import Actor
from db.campaigns import copy_campaign, get_campaign, update_calendar, update_settings
from db.engine import session_scope
from db.models import AuditEvent, Dimension, Unit
from db.units import list_units, update_unit


def test_settings_change_is_validated_and_audited(scheme_engine, admin):
    with session_scope(scheme_engine) as s:
        settings = deepcopy(get_campaign(s, 2017).settings)
    settings["method_weights"] |= {"panel": 50, "daily": 5}
    with session_scope(scheme_engine) as s:
        update_settings(s, actor=admin, year=2017, settings=settings)
        event = s.exec(select(AuditEvent).where(AuditEvent.action == "campaign.settings")).one()
    assert event.before == {"method_weights": {"panel": 40, "online": 25, "inspection": 20, "daily": 15}}
    assert event.after["method_weights"]["panel"] == 50


def test_bad_settings_leave_the_old_ones(scheme_engine, admin):
    with session_scope(scheme_engine) as s:
        settings = deepcopy(get_campaign(s, 2017).settings)
    settings["method_weights"]["panel"] = 45
    with pytest.raises(ValidationError), session_scope(scheme_engine) as s:
        update_settings(s, actor=admin, year=2017, settings=settings)
    with session_scope(scheme_engine) as s:
        assert get_campaign(s, 2017).settings["method_weights"]["panel"] == 40
    with pytest.raises(Forbidden), session_scope(scheme_engine) as s:
        update_settings(s, actor=Actor("l", "leader"), year=2017, settings=settings)


def test_calendar_rules(scheme_engine, admin):
    with session_scope(scheme_engine) as s:
        c = get_campaign(s, 2017)
    args = dict(year=2017, name_zh=c.name_zh, name_en=c.name_en, starts_on=c.starts_on, ends_on=c.ends_on,
                plan_due=c.plan_due, summary_due=c.summary_due, panel_opens_at=c.panel_closes_at,
                panel_closes_at=c.panel_opens_at, pool_target=2000, panel_size=2500)
    with pytest.raises(ValidationError) as caught, session_scope(scheme_engine) as s:
        update_calendar(s, actor=admin, **args)
    assert {p.key for p in caught.value.problems} == {"campaign.panel_window", "campaign.sizes"}
    args |= {"panel_opens_at": datetime(2017, 12, 4, 1, tzinfo=UTC), "panel_closes_at": c.panel_closes_at,
             "panel_size": 150}
    with session_scope(scheme_engine) as s:
        update_calendar(s, actor=admin, **args)
    with session_scope(scheme_engine) as s:
        assert get_campaign(s, 2017).panel_size == 150
        assert get_campaign(s, 2017).panel_opens_at == datetime(2017, 12, 4, 1, tzinfo=UTC)


def test_panel_window_is_beijing_time(scheme_engine):
    with session_scope(scheme_engine) as s:
        c = get_campaign(s, 2017)
    assert c.panel_opens_at == datetime(2017, 12, 1, 0, 0, tzinfo=UTC)  # 08:00 in Beijing


def test_next_year_copies_structure_not_data(scheme_engine, admin):
    with session_scope(scheme_engine) as s:
        old = get_campaign(s, 2017)
        update_unit(s, actor=admin, campaign_id=old.id, code="ps08", name="中国联通开发区分公司",
                    category_code="public_service", active=False)
    with session_scope(scheme_engine) as s:
        new = copy_campaign(s, actor=admin, from_year=2017, to_year=2018)
    with session_scope(scheme_engine) as s:
        units = list_units(s, campaign_id=new.id)
        dims = s.exec(select(Dimension).where(Dimension.campaign_id == new.id)).all()
        new = get_campaign(s, 2018)
    assert len(units) == 36 and "ps08" not in {u.code for u in units}
    assert len(dims) == 5
    assert new.plan_due.isoformat() == "2018-05-15" and new.name_zh.startswith("2018")
    assert new.settings == old.settings and new.copied_from_id == old.id
    with pytest.raises(UserError, match="exists already"), session_scope(scheme_engine) as s:
        copy_campaign(s, actor=admin, from_year=2017, to_year=2018)


def test_copy_from_a_missing_year_is_clear(scheme_engine, admin):
    with pytest.raises(UserError, match="no campaign for 2015"), session_scope(scheme_engine) as s:
        copy_campaign(s, actor=admin, from_year=2015, to_year=2016)
    with session_scope(scheme_engine) as s:
        assert len(s.exec(select(Unit)).all()) == 37
