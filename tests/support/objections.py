"""A small scored campaign for the objection period's tests: the 2017 scheme, a daily score for every
unit, one handed-over finding each for es01 and es02, scored as provisional version 1 (fast: a few
replicates), and one account per role (liaisons of es01 and es02)."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from db.access import Actor, cli_actor
from db.engine import session_scope
from db.models import Campaign, DailyScore, Dimension, Finding, Inspection, Unit
from db.scoring import score_campaign
from db.users import create_user

ADMIN = Actor("admin1", "admin")
LEADER, ANALYST = Actor("leader1", "leader"), Actor("analyst1", "analyst")
LIAISON, OTHER = Actor("liaison1", "liaison", "es01"), Actor("liaison2", "liaison", "es02")
INSPECTOR = Actor("inspector1", "inspector")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
YEAR = 2017


def small_campaign(engine, *, accounts: bool = False) -> dict:
    """Fill an initialised database; returns the campaign id, finding ids by unit and version 1's id."""
    with session_scope(engine) as s:
        campaign = s.exec(select(Campaign).where(Campaign.year == YEAR)).one()
        units = {u.code: u for u in s.exec(select(Unit).where(Unit.campaign_id == campaign.id, Unit.active))}
        for k, unit in enumerate(units.values()):
            s.add(DailyScore(campaign_id=campaign.id, unit_id=unit.id, score=70 + (k * 7) % 29, entered_by="t"))
        dimension = s.exec(select(Dimension.id).where(Dimension.campaign_id == campaign.id)).first()
        findings = {}
        for code in ("es01", "es02"):
            visit = Inspection(campaign_id=campaign.id, unit_id=units[code].id, kind="covert",
                               visited_on=date(YEAR, 5, 10), site="窗口")
            s.add(visit)
            s.flush()
            finding = Finding(inspection_id=visit.id, unit_id=units[code].id, dimension_id=dimension,
                              severity="serious", description=f"{code} 窗口无人值守", state="handed_over")
            s.add(finding)
            s.flush()
            findings[code] = finding.id
        campaign_id = campaign.id
    with session_scope(engine) as s:
        result = score_campaign(s, campaign_id, cli_actor(), replicates=20, draws=20)
        result_id = result.id
    if accounts:
        with session_scope(engine) as s:
            for actor in (ADMIN, LEADER, ANALYST, LIAISON, OTHER, INSPECTOR):
                create_user(s, actor=cli_actor(), username=actor.username, role=actor.role,
                            password=f"{actor.role} password 1", unit_code=actor.unit_code,
                            must_change_password=False)
    return {"campaign_id": campaign_id, "findings": findings, "result_id": result_id}
