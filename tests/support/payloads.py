"""Text typed to attack the readers' browsers, planted in every free-text field through the store functions.

Each payload points at a probe server on loopback (`Probe`): a browser that fetches an image, follows a link
or loads a tag from what a person typed shows up in the probe's log. `plant` fills a fresh database with a
running campaign whose every free text (poll and complaint comments, the unit's answers, the office's
rulings, a reviewer's comment, findings, cases, media cases, notices, talks, report file names, a user's
display name and a unit's name) carries them.
"""

from __future__ import annotations

import contextlib
import http.server
import threading
from dataclasses import dataclass, field
from datetime import date, timedelta

from core.cases import CaseFields
from core.casework import FindingFields, NoticeFields, VisitFields
from core.clock import office_today, utcnow
from core.media import CaseFields as MediaFields
from db import ballot_box, inspections, media, rectifications, unit_reports
from db import cases as case_store
from db.access import Actor, cli_actor
from db.bootstrap import init_database
from db.campaigns import copy_campaign, get_campaign, reviewer_groups
from db.complaints import handling, intake
from db.draws import create_draw, issue_invitations
from db.engine import make_engine, session_scope
from db.models import Reviewer, Unit
from db.poll import list_votes, rule_on_votes
from db.questionnaire import load_state, open_questionnaire, save_answer, save_comment, structure, submit
from db.scoring import publish, score_campaign
from db.units import list_units, update_unit
from db.users import create_user, update_user

SALT = "payload-test-salt"
PDF = b"%PDF-1.4\n%%EOF\n"
MARK = "PROBE"  # in every payload, so that a link or a bold run made of one can be found on the page


class Probe:
    """An HTTP server on 127.0.0.1 (a free port) that records every request it gets."""

    def __init__(self) -> None:
        self.requests: list[str] = []
        probe = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                probe.requests.append(self.path)
                self.send_response(204)
                self.end_headers()

            do_POST = do_HEAD = do_GET

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def long(self, where: str) -> str:
        """Every way Markdown and HTML could fetch or link: image, link, autolink, bare URL, tag, raw HTML."""
        return (f"![{MARK}]({self.url}/{where}.png?c=1) [{MARK}链接]({self.url}/{where}-link) <{self.url}/{where}-auto>"
                f" {self.url}/{where}-bare <img src=\"{self.url}/{where}-tag.png\"> **{MARK}粗** $x^2$ :smile:")

    def short(self, where: str) -> str:
        """For fields of 60 characters or fewer."""
        return f"![{MARK}]({self.url}/{where}.png)**{MARK}**"[:60]

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@dataclass
class World:
    url: str
    year: int
    receipts: list[str] = field(default_factory=list)  # a closed complaint's, a ruled one's
    token: str = ""  # a reviewer's link, questionnaire in progress with a comment
    ids: dict[str, int] = field(default_factory=dict)


ADMIN = Actor("admin1", "admin")
LIAISON = Actor("liaison1", "liaison", "es01")
INSPECTOR = Actor("inspector1", "inspector")


def plant(url: str, probe: Probe) -> World:
    """A database at `url` with this year's campaign running and payloads in every free-text field."""
    engine = make_engine(url)
    try:
        init_database(engine, actor=cli_actor())
        year, today = office_today().year, office_today()
        world = World(url, year)
        with session_scope(engine) as s:
            copy_campaign(s, actor=cli_actor(), from_year=2017, to_year=year)
            for role in ("admin", "inspector", "leader", "analyst", "liaison"):
                create_user(s, actor=cli_actor(), username=f"{role}1", role=role, password=f"{role} password 1",
                            unit_code="es01" if role == "liaison" else None, must_change_password=False)
            update_user(s, actor=cli_actor(), username="leader1", role="leader", display_name=probe.short("user"),
                        unit_code=None, active=True)
            campaign = get_campaign(s, year)
            campaign.panel_opens_at = utcnow() - timedelta(days=1)
            campaign.panel_closes_at = utcnow() + timedelta(days=1)
            s.add(campaign)
            s.bulk_insert_mappings(Reviewer, [
                dict(campaign_id=campaign.id, group_id=g.id, person_key=f"k{g.code}{i}", name=f"评议人{g.code}{i}")
                for g in reviewer_groups(s, campaign.id) for i in range(12)])
            cid = campaign.id
            units = {u.code: u.id for u in s.exec(Unit.__table__.select().where(Unit.campaign_id == cid))}
        world.ids["campaign"] = cid
        _panel(engine, world, probe, cid, year)
        _poll(engine, world, probe, cid, units)
        _casework(engine, world, probe, cid, today)
        with session_scope(engine) as s:
            result = score_campaign(s, cid, cli_actor(), replicates=20, draws=20, today=today)
            publish(s, result.id, cli_actor(), today=today)
        with session_scope(engine) as s:  # after the result: a renamed unit would change its inputs
            es01 = next(u for u in list_units(s, campaign_id=cid) if u.code == "es01")
            update_unit(s, actor=ADMIN, campaign_id=cid, code="es01",
                        name=f'{es01.name}<a href="{probe.url}/unit-a">{MARK}</a>{probe.short("unit")}',
                        category_code=es01.category_code, active=True)
        return world
    finally:
        engine.dispose()


@contextlib.contextmanager
def _release_each_ballot():
    kept = ballot_box.RELEASE_AT
    ballot_box.RELEASE_AT = 1
    try:
        yield
    finally:
        ballot_box.RELEASE_AT = kept


def _panel(engine, world: World, probe: Probe, cid: int, year: int) -> None:
    with session_scope(engine) as s:
        draw = create_draw(s, actor=cli_actor(), year=year, seed="payloads", n=12)
        issued = issue_invitations(s, actor=cli_actor(), draw_id=draw.id, base_url="http://localhost")
    tokens = [i.token for i in issued]
    with session_scope(engine) as s:
        shape = structure(s, campaign_id=cid)
    cells = [(u.id, d.id) for u in shape.units for d in shape.dimensions]
    for n, token in enumerate(tokens[:2]):
        with session_scope(engine) as s:
            ballot = open_questionnaire(s, entry=token, client=f"client{n}", device=f"tablet{n}")
        with session_scope(engine) as s:
            save_comment(s, token=ballot.token_hash, unit_id=shape.units[0].id, text=probe.long(f"reviewer{n}"))
        if n == 0:  # submitted: its comment reaches the feedback page
            for unit_id, dimension_id in cells:
                with session_scope(engine) as s:
                    save_answer(s, token=ballot.token_hash, unit_id=unit_id, dimension_id=dimension_id,
                                option="dissatisfied")
            # A batch of one: the ballot box (db.ballot_box) releases it at once, so the reviewer's comment is
            # in the year's result and on the feedback page while the window is still open.
            with session_scope(engine) as s, _release_each_ballot():
                submit(s, token=ballot.token_hash)
        else:
            world.token = token
            with session_scope(engine) as s:
                load_state(s, token=ballot.token_hash)


def _poll(engine, world: World, probe: Probe, cid: int, units: dict[str, int]) -> None:
    receipts = []
    for n in range(8):
        with session_scope(engine) as s:
            filed = intake.vote(s, campaign_id=cid, unit_id=units["es01"], option="dissatisfied",
                                device_id=f"{n:032x}", ip=f"198.51.100.{n + 1}", comment=probe.long(f"poll{n}")[:200],
                                salt=SALT, source="HALL3")
            receipts.append((filed.receipt, filed.complaint_id))
    # The first complaint answered (and rated by the citizen); the second disputed by the unit and ruled on.
    for (receipt, complaint_id), kind in zip(receipts[:2], ("explained", "disputed")):
        with session_scope(engine) as s:
            handling.close(s, actor=LIAISON, complaint_id=complaint_id, found=probe.long("found"),
                           done=probe.long("done"), kind=kind)
        world.receipts.append(receipt)
    with session_scope(engine) as s:
        intake.rate_handling(s, receipt=receipts[0][0], option="dissatisfied", ip="198.51.100.1", salt=SALT,
                             device_id="d" * 32)
    with session_scope(engine) as s:
        handling.rule_dispute(s, actor=ADMIN, complaint_id=receipts[1][1], ruling="excluded",
                              reason=probe.long("ruling"))
    # A burst from one network, set aside and ruled on.
    for n in range(12):
        with session_scope(engine) as s:
            intake.vote(s, campaign_id=cid, unit_id=units["es03"], option="satisfied", device_id=f"b{n:031x}",
                        ip="192.0.2.1", comment=probe.long(f"burst{n}")[:200], salt=SALT)
    with session_scope(engine) as s:
        flagged = [v.id for v in list_votes(s, actor=ADMIN, campaign_id=cid, status="flagged")]
        if flagged:
            rule_on_votes(s, actor=ADMIN, vote_ids=flagged, decision="rejected", reason=probe.long("vote-ruling")[:200])


def _casework(engine, world: World, probe: Probe, cid: int, today: date) -> None:
    opened = min(today, get_campaign_end(engine, cid))
    with session_scope(engine) as s:
        visit = inspections.record_inspection(
            s, actor=INSPECTOR, campaign_id=cid,
            visit=VisitFields("covert", opened, "es01", probe.long("site")[:200], probe.long("team")[:200],
                              probe.long("notes")),
            findings=[FindingFields("es01", "work_style", "serious", probe.long("finding"))], hand_over=True)
        s.flush()
        finding = inspections.list_findings(s, actor=ADMIN, campaign_id=cid, inspection_id=visit.id)[0].id
    with session_scope(engine) as s:
        inspections.answer_finding(s, actor=LIAISON, finding_id=finding, reply=probe.long("finding-reply"))
    with session_scope(engine) as s:
        case = case_store.open_case(s, actor=ADMIN, campaign_id=cid, case=CaseFields(
            unit="es01", origin="finding", finding_id=finding, title=probe.long("case-title")[:200], opened_on=opened,
            description=probe.long("case-description")))
        s.flush()
        case_store.add_person(s, actor=ADMIN, case_id=case.id, role="frontline", name=probe.short("person"),
                              measure=probe.long("measure"))
        case_store.move_case(s, actor=ADMIN, case_id=case.id, to="investigating", note=probe.long("case-note"))
        world.ids["case"] = case.id
    with session_scope(engine) as s:
        case_store.answer_case(s, actor=LIAISON, case_id=world.ids["case"], reply=probe.long("case-reply"))
    with session_scope(engine) as s:
        mcase = media.create_case(s, actor=ADMIN, campaign_id=cid, case=MediaFields(
            source="tv_style_focus", external_ref=probe.short("ref"), unit="es01",
            title=probe.long("media-title")[:200], exposed_on=opened, reply=probe.long("media-reply")))
        world.ids["media"] = mcase.id
    with session_scope(engine) as s:
        rect = rectifications.issue_notice(s, actor=ADMIN, campaign_id=cid, notice=NoticeFields(
            "es01", "finding", probe.long("problems"), opened, opened + timedelta(days=60),
            issuing_office=probe.short("office")))
        s.flush()
        rectifications.record_talk(s, actor=ADMIN, rect_id=rect.id, held_on=opened, with_role="head",
                                   persons=probe.long("persons")[:200], notes=probe.long("talk"))
        world.ids["notice"] = rect.id
    with session_scope(engine) as s:
        rectifications.start(s, actor=LIAISON, rect_id=world.ids["notice"])
        rectifications.submit(s, actor=LIAISON, rect_id=world.ids["notice"], reply=probe.long("rect-reply"))
    with session_scope(engine) as s:
        unit_reports.upload_report(s, actor=LIAISON, campaign_id=cid, kind="plan",
                                   filename="**PROBE** [PROBE](javascript:alert(1)) $x$.pdf", content=PDF)


def get_campaign_end(engine, cid: int) -> date:
    from db.models import Campaign

    with session_scope(engine) as s:
        return s.get(Campaign, cid).ends_on
