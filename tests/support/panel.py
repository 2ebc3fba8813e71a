"""A campaign whose panel is open now, with a drawn panel and personal links, for questionnaire tests."""

from __future__ import annotations

from datetime import timedelta

from core.clock import utcnow
from db.access import cli_actor
from db.bootstrap import init_database
from db.campaigns import get_campaign, reviewer_groups
from db.draws import create_draw, issue_invitations
from db.engine import make_engine, session_scope
from db.models import Reviewer


def open_panel(url: str, *, base_url: str, per_group: int = 40, panel: int = 24):
    """Initialise the database at `url`; return the issued invitations (with their plain tokens)."""
    engine = make_engine(url)
    init_database(engine, actor=cli_actor())
    with session_scope(engine) as s:
        campaign = get_campaign(s, 2017)
        s.bulk_insert_mappings(Reviewer, [
            dict(campaign_id=campaign.id, group_id=g.id, person_key=f"k{g.code}{i}", name=f"评议人{g.code}{i}")
            for g in reviewer_groups(s, campaign.id) for i in range(per_group)])
        campaign.panel_opens_at = utcnow() - timedelta(days=1)
        campaign.panel_closes_at = utcnow() + timedelta(days=1)
        s.add(campaign)
    with session_scope(engine) as s:
        draw = create_draw(s, actor=cli_actor(), year=2017, seed="panel test", n=panel)
        issued = issue_invitations(s, actor=cli_actor(), draw_id=draw.id, base_url=base_url)
    engine.dispose()
    return issued
