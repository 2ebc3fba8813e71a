from pathlib import Path

import pytest
from sqlmodel import select

from core.errors import UserError, ValidationError
from db.access import cli_actor
from db.bootstrap import init_database
from db.engine import ConfigError, make_engine, normalise_url, session_scope
from db.models import AuditEvent, Campaign, User
from db.stats import stats


def test_init_loads_the_scheme_and_one_admin(engine):
    report = init_database(engine, actor=cli_actor())
    assert report.campaign_created and report.admin_password
    with session_scope(engine) as s:
        figures = stats(s)
        admin = s.exec(select(User)).one()
    assert figures["units"] == 37
    assert figures["units_by_category"] == {"economic_social": 18, "urban_enforcement": 11, "public_service": 8}
    assert (figures["dimensions"], figures["reviewer_groups"]) == (5, 6)
    assert admin.role == "admin" and admin.must_change_password
    assert report.admin_password not in admin.password_hash


def test_init_is_idempotent_and_says_so(scheme_engine):
    report = init_database(scheme_engine, actor=cli_actor())
    assert report.already_initialised and report.admin_password is None
    with session_scope(scheme_engine) as s:
        assert len(s.exec(select(Campaign)).all()) == 1
        assert len(s.exec(select(User)).all()) == 1


def test_init_keeps_edits_made_in_the_app(scheme_engine):
    with session_scope(scheme_engine) as s:
        campaign = s.exec(select(Campaign)).one()
        campaign.name_zh = "改过的名称"
        s.add(campaign)
    init_database(scheme_engine, actor=cli_actor())
    with session_scope(scheme_engine) as s:
        assert s.exec(select(Campaign)).one().name_zh == "改过的名称"


def test_a_broken_scheme_file_writes_nothing(engine, tmp_path):
    broken = tmp_path / "broken.toml"
    broken.write_text(Path("db/schemes/2017.toml").read_text(encoding="utf-8").replace("panel = 40", "panel = 90"),
                      encoding="utf-8")
    with pytest.raises(ValidationError, match="weights must sum to 100"):
        init_database(engine, actor=cli_actor(), scheme_path=broken)
    with session_scope(engine) as s:
        assert s.exec(select(Campaign)).all() == [] and s.exec(select(AuditEvent)).all() == []


def test_unreadable_scheme_file_is_a_clear_error(engine, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_bytes(b"[campaign\nyear = ")
    with pytest.raises(UserError, match="not valid TOML"):
        init_database(engine, actor=cli_actor(), scheme_path=bad)


@pytest.mark.parametrize(("url", "message"), [
    ("not a url", "not a database address"),
    ("mysql://u@h/db", "only sqlite and postgresql"),
    ("postgresql://u@127.0.0.1:5432", "names no database"),
])
def test_malformed_database_urls_are_refused_clearly(url, message):
    with pytest.raises(ConfigError, match=message):
        normalise_url(url)


def test_unreachable_database_is_a_clear_error():
    engine = make_engine("postgresql://u:secret@127.0.0.1:1/db")
    with pytest.raises(UserError, match="cannot open the database") as caught:
        init_database(engine, actor=cli_actor())
    assert "secret" not in str(caught.value)
