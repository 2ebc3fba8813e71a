"""The backup folder's rotation (core.backup_rotation) on a fake calendar: a daily timer for 200 days."""

from datetime import UTC, date, datetime, timedelta

from core.backup_rotation import backup_name, taken_at, to_delete, to_keep


def at(day: date, hour: int = 18, minute: int = 30) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC)


def test_a_daily_timer_keeps_the_last_14_days_and_the_last_backup_of_every_month():
    folder: set[str] = {"README.txt", "review-notes.dump"}  # not dated backups: never touched
    start = date(2026, 1, 1)
    for offset in range(200):  # 2026-01-01 .. 2026-07-19, one backup a day, then the rotation, as the timer does
        today = start + timedelta(days=offset)
        folder.add(backup_name(at(today), "dump"))
        folder -= set(to_delete(folder, today))
    today = start + timedelta(days=199)
    kept = sorted(taken_at(name).date() for name in folder if taken_at(name))
    month_ends = [date(2026, m, d) for m, d in ((1, 31), (2, 28), (3, 31), (4, 30), (5, 31), (6, 30))]
    last_14 = [today - timedelta(days=k) for k in range(13, -1, -1)]
    assert kept == month_ends + last_14
    assert {"README.txt", "review-notes.dump"} <= folder


def test_a_month_with_gaps_keeps_its_last_backup_and_the_newest_survives_a_stopped_timer():
    moments = [at(date(2026, 3, 3)), at(date(2026, 3, 20)), at(date(2026, 3, 20), 23, 0), at(date(2026, 4, 2))]
    # The timer stopped on 2 April; on 1 June the newest backup (2 April) and March's last one stay.
    assert to_keep(moments, date(2026, 6, 1)) == {at(date(2026, 3, 20), 23, 0), at(date(2026, 4, 2))}
    # A backup dated after today (a clock set wrongly) is not deleted.
    future = at(date(2027, 1, 1))
    assert future in to_keep([*moments, future], date(2026, 6, 1))
    assert to_keep([], date(2026, 6, 1)) == set()


def test_names_are_sortable_utc_and_only_well_formed_ones_count():
    moment = datetime(2026, 12, 4, 20, 38, 4, tzinfo=UTC)
    assert backup_name(moment, "db") == "review-2026-12-04T203804Z.db"
    assert taken_at("review-2026-12-04T203804Z.db") == moment
    for other in ("review-2026-02-30T000000Z.dump", "review-2026-12-04T203804Z.dump.partial", "x.dump",
                  "review-2026-12-04.dump"):
        assert taken_at(other) is None
