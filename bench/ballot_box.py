"""The ballot box's release (db.ballot_box): what rewriting a whole campaign's ballots in a fresh random order
costs, at the plan's panel of 200 (37 units x 5 dimensions each), on SQLite. A release runs in its own
transaction after every tenth submission of a reviewer group and once after the close; while it runs,
SQLite's writers wait (taps queue behind it), so its length is what a hall feels."""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta
from pathlib import Path

from core.clock import utcnow
from db import ballot_box
from db.engine import make_engine, session_scope
from db.models import Campaign, Invitation
from db.questionnaire import open_questionnaire, save_answers, submit
from tests.support.panel import open_panel

PANEL = 200


def run(emit) -> None:
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
        issued = open_panel(url, base_url="http://bench", per_group=60, panel=PANEL)
        engine = make_engine(url)
        with session_scope(engine) as s:
            campaign_id = s.exec(Campaign.__table__.select()).first().id
        from db.campaigns import dimensions
        from db.units import list_units

        with session_scope(engine) as s:
            cells = [(u.id, d.id) for u in list_units(s, campaign_id=campaign_id, include_inactive=False)
                     for d in dimensions(s, campaign_id)]
        submit_ms = []
        for k, invitation in enumerate(issued):
            with session_scope(engine) as s:
                token = open_questionnaire(s, entry=invitation.token, client="bench", device=f"bench-{k}").token_hash
            with session_scope(engine) as s:
                save_answers(s, token=token, answers={c: ("satisfied", "dissatisfied")[(k + c[0]) % 2] for c in cells})
            started = time.perf_counter()
            with session_scope(engine) as s:
                submit(s, token=token)
            submit_ms.append((time.perf_counter() - started) * 1000)
        with session_scope(engine) as s:
            campaign = s.get(Campaign, campaign_id)
            campaign.panel_closes_at = utcnow() - timedelta(minutes=1)
            s.add(campaign)
            used = s.exec(Invitation.__table__.select().where(Invitation.status == "used")).all()
        started = time.perf_counter()
        with session_scope(engine) as s:
            ballot_box.release_due(s, campaign_id=campaign_id)
        final_ms = (time.perf_counter() - started) * 1000
        engine.dispose()
    submit_ms.sort()
    emit("ballot_final_release_ms", final_ms, f"ms, {len(used)} ballots rewritten, SQLite", 2000, "lower")
    emit("ballot_submit_p95_ms", submit_ms[int(0.95 * len(submit_ms))], "ms, submit with its release, SQLite", None,
         "lower")
    emit("ballot_submit_max_ms", submit_ms[-1], "ms, the slowest submit (one that released a batch)", None, "lower")
