"""The audit log: every administrative change, newest first, filterable and downloadable."""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

import pandas as pd
import streamlit as st

from core.clock import from_office, to_office
from db.audit import actions, list_events
from ui.auth import guard
from ui.i18n import t
from ui.store import session

PAGE_SIZE = 200

actor = guard("audit")
st.title(t("audit.title"))
st.caption(t("audit.help"))

with session() as s:
    known_actions = actions(s)

cols = st.columns([2, 2, 2, 2, 1])
action = cols[0].selectbox(t("audit.action"), ["", *known_actions], format_func=lambda a: a or t("common.all"))
who = cols[1].text_input(t("audit.actor")).strip()
since = cols[2].date_input(t("audit.since"), value=None)
until = cols[3].date_input(t("audit.until"), value=None)
page = cols[4].number_input(t("audit.page"), min_value=1, value=1)

with session() as s:
    events, total = list_events(
        s, actor=actor, action=action or None, who=who or None,
        since=from_office(datetime.combine(since, time(0))) if since else None,
        until=from_office(datetime.combine(until + timedelta(days=1), time(0))) if until else None,
        limit=PAGE_SIZE, offset=(int(page) - 1) * PAGE_SIZE,
    )


def as_text(value) -> str:
    return "" if value is None else json.dumps(value, ensure_ascii=False, sort_keys=True, default=str)


frame = pd.DataFrame(
    [{t("audit.at"): to_office(e.at).strftime("%Y-%m-%d %H:%M:%S"), t("audit.actor"): e.actor,
      t("audit.action"): e.action, t("audit.entity"): e.entity, t("audit.entity_id"): e.entity_id,
      t("audit.before"): as_text(e.before), t("audit.after"): as_text(e.after)} for e in events],
    columns=[t(f"audit.{k}") for k in ("at", "actor", "action", "entity", "entity_id", "before", "after")],
)
st.caption(t("audit.count", shown=len(frame), total=total))
st.dataframe(frame, hide_index=True, width="stretch")
st.download_button(t("common.download_csv"), frame.to_csv(index=False).encode("utf-8-sig"),
                   file_name="audit.csv", mime="text/csv", disabled=frame.empty)
