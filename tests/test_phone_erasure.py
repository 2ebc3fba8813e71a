"""Call-back numbers, on SQLite and PostgreSQL: erased in every state once the longest keeping time
(`complaints.phone_max_days`) has passed, not a day before; erased once however often and from however
many processes the erasure runs; the audit log keeps no digit of the number; and the app process runs
the erasure on its own clock (db.housekeeping, started by the launcher)."""

import re
import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import text
from sqlmodel import select

from core import complaints as rules
from core.poll import new_device_id
from db import housekeeping
from db.access import Actor
from db.complaints import handling, intake
from db.engine import session_scope
from db.models import AuditEvent, Campaign, Complaint, Unit

CITIZEN_DEVICE = "c" * 32  # the citizen's browser (a device id as ui.device makes it)

SALT = "test-salt"
MORNING = datetime(2017, 6, 1, 0, 30, tzinfo=UTC)  # Thursday 1 June 2017, 08:30 at the office
FILED = date(2017, 6, 1)
NUMBER = "13998765432"
ADMIN, LIAISON = Actor("admin", "admin"), Actor("li", "liaison", "es01")
WAIT_S = 60  # the longest a test waits for a background thread; it normally takes milliseconds


def do(engine, fn, **kw):
    with session_scope(engine) as s:
        return fn(s, **kw)


def set_rules(engine, **days):
    with session_scope(engine) as s:
        campaign = s.get(Campaign, 1)
        campaign.settings = {**campaign.settings, "complaints": {**campaign.settings["complaints"], **days}}
        s.add(campaign)


def file_with_phone(engine, ip: str, *, number: str = NUMBER) -> tuple[int, str]:
    with session_scope(engine) as s:
        es01 = s.exec(select(Unit.id).where(Unit.campaign_id == 1, Unit.code == "es01")).one()
        filed = intake.vote(s, campaign_id=1, unit_id=es01, option="dissatisfied", device_id=new_device_id(), ip=ip,
                            comment="窗口人员态度差，等了两个小时", salt=SALT, now=MORNING)
    left = do(engine, intake.leave_phone, device_id=CITIZEN_DEVICE,
              receipt=filed.receipt, phone=number, consent=True, ip=ip, salt=SALT,
              now=MORNING + timedelta(hours=1))
    assert left.reply is not None and left.reply.phone_left
    return filed.complaint_id, filed.receipt


def numbers_left(engine) -> dict[int, str | None]:
    with session_scope(engine) as s:
        return dict(s.exec(select(Complaint.id, Complaint.phone)).all())


def digits_of_the_number(value: object, number: str = NUMBER) -> list[str]:
    """Every run of 3 or more consecutive digits of `number` in `value` (139 9876 5432 read as one run)."""
    joined = re.sub(r"(?<=\d)[\s-]+(?=\d)", "", str(value))
    return [number[i:i + 3] for i in range(len(number) - 2) if number[i:i + 3] in joined]


def test_every_state_is_erased_after_the_longest_keeping_time_and_not_a_day_before(scheme_engine):
    # Finished complaints would keep their number a year: only the longest keeping time (180 days) applies.
    set_rules(scheme_engine, phone_erase_days=365, phone_max_days=180)
    ids = {state: file_with_phone(scheme_engine, f"198.51.100.{k + 10}")[0] for k, state in enumerate(rules.STATES)}
    with session_scope(scheme_engine) as s:
        for state, cid in ids.items():
            c = s.get(Complaint, cid)
            c.state = state
            if state in ("closed", "disputed", "excluded"):
                c.closed_on, c.closing_kind = date(2017, 6, 5), "rectified" if state == "closed" else "disputed"
            if state == "excluded":
                c.ruling = "excluded"
            if state in ("held", "dismissed"):
                c.received_on = None
            s.add(c)
    assert FILED + timedelta(days=180) == date(2017, 11, 28)
    assert do(scheme_engine, handling.erase_phones, today=date(2017, 11, 27)) == 0
    assert set(numbers_left(scheme_engine).values()) == {NUMBER}
    assert do(scheme_engine, handling.erase_phones, today=date(2017, 11, 28)) == len(rules.STATES)
    assert set(numbers_left(scheme_engine).values()) == {None}
    with session_scope(scheme_engine) as s:
        assert all(c.phone_erased_at is not None for c in s.exec(select(Complaint)).all())
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "complaints.phone_erased")).all()
    assert len(events) == 1 and events[0].after == {"complaints": sorted(ids.values()), "count": len(ids)}


def test_a_finished_complaint_is_still_erased_after_its_own_days_first(scheme_engine):
    set_rules(scheme_engine, phone_erase_days=30, phone_max_days=180)
    cid, _ = file_with_phone(scheme_engine, "198.51.100.7")
    do(scheme_engine, handling.close, actor=LIAISON, complaint_id=cid, found="x", done="y", kind="rectified",
       today=date(2017, 6, 5))
    assert do(scheme_engine, handling.erase_phones, today=date(2017, 7, 4)) == 0
    assert do(scheme_engine, handling.erase_phones, today=date(2017, 7, 5)) == 1


def test_the_longest_keeping_time_defaults_to_180_days_and_is_checked():
    assert rules.rules_from({}).phone_max_days == 180
    assert rules.rules_from({"complaints": {"phone_max_days": 7}}).phone_max_days == 7
    for wrong in (0, 3651, "x", True):
        problems = rules.settings_problems({"complaints": {"phone_max_days": wrong}})
        assert [p.key for p in problems] == ["settings.range"], wrong
    assert rules.settings_problems({"complaints": {"phone_max_days": 90}}) == []


def test_a_number_is_not_taken_once_the_longest_keeping_time_is_over(scheme_engine):
    set_rules(scheme_engine, phone_max_days=30)
    with session_scope(scheme_engine) as s:
        es01 = s.exec(select(Unit.id).where(Unit.campaign_id == 1, Unit.code == "es01")).one()
        filed = intake.vote(s, campaign_id=1, unit_id=es01, option="dissatisfied", device_id=new_device_id(),
                            ip="198.51.100.7", comment="办事拖拉", salt=SALT, now=MORNING)
    late = do(scheme_engine, intake.leave_phone, device_id=CITIZEN_DEVICE,
              receipt=filed.receipt, phone=NUMBER, consent=True, ip="1.2.3.4",
              salt=SALT, now=MORNING + timedelta(days=30))
    assert late.refusal.key == "complaints.phone_expired"
    assert numbers_left(scheme_engine) == {filed.complaint_id: None}
    ok = do(scheme_engine, intake.leave_phone, device_id=CITIZEN_DEVICE,
              receipt=filed.receipt, phone=NUMBER, consent=True, ip="1.2.3.4",
            salt=SALT, now=MORNING + timedelta(days=29))
    assert ok.reply.phone_left


def test_the_audit_log_keeps_no_digit_of_an_erased_number(scheme_engine):
    cid, _ = file_with_phone(scheme_engine, "198.51.100.7")
    # The unit quotes the number in its answer; the office quotes it in a ruling on another complaint.
    do(scheme_engine, handling.close, actor=LIAISON, complaint_id=cid, found=f"已回电{NUMBER}", kind="rectified",
       done=f"按 {NUMBER[:3]} {NUMBER[3:7]} {NUMBER[7:]} 回访", today=date(2017, 6, 5))
    other, _ = file_with_phone(scheme_engine, "198.51.100.8")
    do(scheme_engine, handling.close, actor=LIAISON, complaint_id=other, found="无此事", done="", kind="disputed",
       today=date(2017, 6, 5))
    do(scheme_engine, handling.rule_dispute, actor=ADMIN, complaint_id=other, ruling="excluded",
       reason=f"投诉人电话{NUMBER}无人接听")
    assert do(scheme_engine, handling.erase_phones, today=date(2017, 12, 31)) == 2
    with session_scope(scheme_engine) as s:
        # Every column but the event's own id and time (a timestamp's microseconds are any digits).
        columns = [c for c in AuditEvent.__table__.columns.keys() if c not in ("id", "at")]
        rows = s.exec(text(f"SELECT {', '.join(columns)} FROM auditevent")).all()
    assert len(rows) >= 5
    for row in rows:
        for value in row:
            assert not digits_of_the_number(value), row


def test_erasing_twice_erases_once_and_audits_once(scheme_engine):
    cid, _ = file_with_phone(scheme_engine, "198.51.100.7")
    today = date(2017, 12, 31)
    assert do(scheme_engine, handling.erase_phones, today=today) == 1
    with session_scope(scheme_engine) as s:
        erased_at = s.get(Complaint, cid).phone_erased_at
    assert do(scheme_engine, handling.erase_phones, today=today) == 0
    with session_scope(scheme_engine) as s:
        assert s.get(Complaint, cid).phone_erased_at == erased_at
        assert len(s.exec(select(AuditEvent).where(AuditEvent.action == "complaints.phone_erased")).all()) == 1


def test_a_replica_with_a_stale_list_erases_nothing_more(scheme_engine):
    """Two replicas read the same due list; one erases and commits; the other's UPDATE … WHERE finds nothing."""
    cid, _ = file_with_phone(scheme_engine, "198.51.100.7")
    today = date(2017, 12, 31)
    with session_scope(scheme_engine) as late:
        due = handling.phones_due(late, today=today)
        assert due == [cid]
        assert do(scheme_engine, handling.erase_phones, today=today) == 1  # the other replica, committed
        assert handling.erase_numbers(late, actor=handling.ERASE_ACTOR, complaint_ids=due) == 0
    with session_scope(scheme_engine) as s:
        assert len(s.exec(select(AuditEvent).where(AuditEvent.action == "complaints.phone_erased")).all()) == 1


def test_replicas_erasing_at_the_same_moment_erase_each_number_once(scheme_engine):
    ids = {file_with_phone(scheme_engine, f"198.51.100.{k + 10}")[0] for k in range(6)}
    start, results, errors = threading.Barrier(3), [], []

    def replica():
        try:
            start.wait()
            results.append(housekeeping.erase_due_phones(scheme_engine))
        except Exception as error:  # reported below, in the test's thread
            errors.append(error)

    threads = [threading.Thread(target=replica) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_S)
    assert not errors and sum(results) == len(ids), (results, errors)
    with session_scope(scheme_engine) as s:
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "complaints.phone_erased")).all()
    erased = [cid for e in events for cid in e.after["complaints"]]
    assert sorted(erased) == sorted(ids)
    assert set(numbers_left(scheme_engine).values()) == {None}


def test_the_command_for_cron_erases_and_says_how_many_and_an_unreachable_database_is_one_message(
        scheme_engine, monkeypatch, capsys):
    from db.commands import main

    file_with_phone(scheme_engine, "198.51.100.7")  # filed in 2017: past any keeping time today
    monkeypatch.setenv("DATABASE_URL", scheme_engine.url.render_as_string(hide_password=False))
    assert main(["erase-complaint-phones"]) == 0
    assert capsys.readouterr().out.strip() == "1 call-back numbers erased"
    assert main(["erase-complaint-phones"]) == 0
    assert capsys.readouterr().out.strip() == "0 call-back numbers erased"
    monkeypatch.setenv("DATABASE_URL", "postgresql://nobody@127.0.0.1:1/nothing")
    assert main(["erase-complaint-phones"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") or "\nerror: " in err
    assert "Traceback" not in err


# ------------------------------------------------------------------------------------- the schedule


@pytest.fixture
def no_scheduler():
    housekeeping.stop()
    yield
    housekeeping.stop()


def test_the_scheduler_runs_its_jobs_again_and_again_and_a_failure_does_not_stop_it(no_scheduler):
    calls, third = [], threading.Event()

    def job(engine):
        calls.append(engine)
        if len(calls) == 1:
            raise RuntimeError("the database is restarting")
        if len(calls) >= 3:
            third.set()
        return 0

    running = housekeeping.start(interval_s=0.01, jobs=(job,), engine="the engine")
    assert third.wait(WAIT_S), calls
    housekeeping.stop()
    assert not running.alive
    assert len(calls) >= 3 and set(calls) == {"the engine"}


def test_one_scheduler_per_process(no_scheduler):
    first = housekeeping.start(interval_s=3600, jobs=())
    assert housekeeping.start(interval_s=0.01, jobs=()) is first and first.alive
    housekeeping.stop()
    again = housekeeping.start(interval_s=3600, jobs=())
    assert again is not first and again.alive and not first.alive


def test_the_scheduler_erases_due_numbers_in_the_database(scheme_engine, no_scheduler):
    cid, _ = file_with_phone(scheme_engine, "198.51.100.7")  # filed in 2017: past any keeping time today
    housekeeping.start(interval_s=0.05, engine=scheme_engine)
    deadline = datetime.now(UTC) + timedelta(seconds=WAIT_S)
    while numbers_left(scheme_engine)[cid] is not None and datetime.now(UTC) < deadline:
        threading.Event().wait(0.05)
    housekeeping.stop()
    assert numbers_left(scheme_engine)[cid] is None
    with session_scope(scheme_engine) as s:
        assert len(s.exec(select(AuditEvent).where(AuditEvent.action == "complaints.phone_erased")).all()) == 1


def test_the_launcher_starts_the_scheduler(monkeypatch):
    from streamlit.runtime.pages_manager import PagesManager

    from ui import serve

    started = []
    monkeypatch.setattr(serve.housekeeping, "start", lambda **kw: started.append(kw))
    monkeypatch.setattr(serve.cli, "main", lambda: 0)
    monkeypatch.setattr(serve, "add_routes", lambda: None)
    monkeypatch.setattr(PagesManager, "uses_pages_directory", PagesManager.uses_pages_directory)
    monkeypatch.setattr("sys.argv", ["serve"])
    assert serve.main() == 0
    assert started == [{}]


def test_migration_0014_scrubs_numbers_from_the_audit_events_written_before(db_url):
    """Events written by the code before 0014 kept a masked number (139****5432) and answers as typed."""
    from alembic.script import ScriptDirectory

    from db import migrate
    from db.engine import make_engine

    engine = make_engine(db_url)
    before_0014 = ScriptDirectory.from_config(migrate._config()).get_revision("0014").down_revision
    migrate.upgrade(engine, before_0014)
    old = [("citizen", "complaints.phone_left", None, {"phone": f"{NUMBER[:3]}****{NUMBER[-4:]}"}),
           ("li", "complaints.close", {"state": "received", "found": "", "done": ""},
            {"state": "closed", "found": f"已回电{NUMBER}", "done": f"按 {NUMBER[:3]} {NUMBER[3:7]} {NUMBER[7:]} 回访",
             "ruling_reason": ""}),
           ("admin", "complaints.rule", {"ruling_reason": ""}, {"ruling_reason": f"投诉人电话{NUMBER}无人接听"}),
           ("admin", "units.update", {"name": "区发改局"}, {"name": "区发改局(区统计局)"})]
    with engine.begin() as connection:
        for actor, action, before, after in old:
            connection.execute(AuditEvent.__table__.insert().values(
                at=MORNING, actor=actor, action=action, entity="complaint", entity_id="7", before=before, after=after))
    migrate.upgrade(engine)
    with session_scope(engine) as s:
        events = {e.action: e for e in s.exec(select(AuditEvent)).all()}
    assert events["complaints.phone_left"].after == {"phone_left": True}
    assert events["complaints.close"].after["found"] == "已回电【电话】"
    assert "【电话】" in events["complaints.close"].after["done"]
    assert events["complaints.rule"].after["ruling_reason"] == "投诉人电话【电话】无人接听"
    assert events["units.update"].after == {"name": "区发改局(区统计局)"}  # other events untouched
    scrubbed = events["audit.scrubbed"]
    assert scrubbed.actor == "migration:0014" and scrubbed.after == {"events": 3, "revision": "0014"}
    for event in events.values():
        for value in (event.before, event.after, event.entity_id):
            assert not digits_of_the_number(value), event
    # Still append-only afterwards.
    with pytest.raises(Exception, match="append-only"), engine.begin() as connection:
        connection.execute(text("UPDATE auditevent SET actor = 'x'"))
    engine.dispose()
