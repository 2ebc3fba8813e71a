"""The reviewer's questionnaire: one unit per screen, every answer saved the moment it is given.

Public (no account). Entry by the personal link (`?token=…`) or a typed ballot code;
`?kiosk=1` makes a venue tablet return to the code screen after each submission.
The page holds only the token's hash; a reload reopens the link and resumes.

A hall of 200 reviewers taps 60-80 times a second, so a tap does little: the unit screen is a
fragment (moving between units reruns only it, never the app around it), and each question is a
fragment inside it: a tap reruns that one control, stores the difference between the screen and
what the database holds, and reads nothing. The store is read whenever the unit screen is drawn.
"""

from __future__ import annotations

import streamlit as st

from core.errors import UserError
from db import metrics
from db.engine import StoreError
from db.questionnaire import (
    OPTIONS,
    Ballot,
    State,
    Structure,
    load_state,
    open_questionnaire,
    save_answers,
    save_position,
    structure_version,
    submit,
)
from db.units import UnitRow
from ui.auth import fragment
from ui.client import client_hash, device_key
from ui.i18n import error_text, language, language_selector, named, t
from ui.plain import plain
from ui.questionnaire import reset_session, structure_at, touch_styles
from ui.store import session, transact

touch_styles()
language_selector(inline=True)
if "q_kiosk" not in st.session_state:
    st.session_state["q_kiosk"] = st.query_params.get("kiosk") == "1"


def enter(entry: str, device: str) -> None:
    try:
        with session() as s:
            opened = open_questionnaire(s, entry=entry, client=client_hash(), device=device)
    except UserError as error:
        st.session_state["q_entry_error"] = error_text(error)
    else:
        st.session_state["q_ballot"] = opened
        if opened.new:
            metrics.QUESTIONNAIRES_STARTED.inc()


def code_screen(device: str) -> None:
    st.title(t("q.welcome"))
    if st.session_state.pop("q_thanks", False):
        st.success(t("q.thanks"))
    if "q_entry_error" in st.session_state:
        st.error(st.session_state.pop("q_entry_error"))
    st.write(t("q.enter_help"))
    with st.form("code", clear_on_submit=True):
        code = st.text_input(t("q.code"), max_chars=64, placeholder="XXXX-XXXX-XXXX-XXXX-XXXX-XXXX-XX",
                             autocomplete="off")
        if st.form_submit_button(t("q.start"), type="primary", use_container_width=True) and code.strip():
            enter(code, device)
            st.rerun()


# Wrong codes are counted per browser (its cookie id, else this session) and per network: a tablet
# that keeps mistyping waits, the others in the hall do not.
DEVICE = device_key() if "q_ballot" not in st.session_state else None
# The link's token is read once on entry; afterwards only its hash is kept in the session.
if "q_ballot" not in st.session_state and "q_link_tried" not in st.session_state:
    st.session_state["q_link_tried"] = True
    token = st.query_params.get("token")
    if token:
        enter(token, DEVICE)

ballot: Ballot | None = st.session_state.get("q_ballot")
if ballot is None:
    code_screen(DEVICE)
    st.stop()

ANSWER_KEY = f"a_{ballot.response_id}_"
COMMENT_KEY = f"c_{ballot.response_id}_"
KNOWN = "q_known"  # what the database holds for this ballot, as this session last read or wrote it
DRAWN = "q_drawn"  # the units whose answers this session has drawn (the widgets whose values may be unsaved)
MOVED = "q_moved"  # a unit moved to, whose position the next drawing of the unit screen stores


def gone(error: UserError) -> None:
    """The questionnaire cannot go on here (submitted in another tab, window closed): back to the code screen."""
    reset_session(keep_kiosk=True)
    st.session_state["q_entry_error"] = error_text(error)
    st.rerun()


def read_state() -> State:
    """The ballot's answers as stored (one indexed query)."""
    try:
        with session() as s:
            state = load_state(s, token=ballot.token_hash)
    except UserError as error:
        gone(error)
    st.session_state[KNOWN] = state
    return state


def unsaved(state: State, units: list[UnitRow], dims: list) -> tuple[dict[tuple[int, int], str], dict[int, str]]:
    """Taps and comments on screen for these units that the database does not hold yet.

    Every run compares what the widgets show with what is stored, and stores the difference (no
    widget callbacks: a run that quick taps cut short would skip them): the last run after a
    burst of taps always completes, and with it the last answer is saved.
    """
    answers, comments = {}, {}
    shown = st.session_state
    for unit in units:
        for dim in dims:
            value = shown.get(f"{ANSWER_KEY}{unit.id}_{dim.id}")
            if value in OPTIONS and state.answers.get((unit.id, dim.id)) != value:
                answers[(unit.id, dim.id)] = value
        value = shown.get(f"{COMMENT_KEY}{unit.id}")
        if isinstance(value, str) and state.comments.get(unit.id, "") != value.strip():
            comments[unit.id] = value
    return answers, comments


def sync(shape: Structure, units: list[UnitRow] | None = None) -> State:
    """Store what the screen shows for these units (all units drawn in this session by default) and
    the database lacks; return what the database now holds."""
    state = st.session_state.get(KNOWN) or read_state()
    if units is None:
        drawn = st.session_state.get(DRAWN, ())
        units = [u for u in shape.units if u.id in drawn]
    answers, comments = unsaved(state, units, shape.dimensions)
    if not answers and not comments:
        return state
    try:  # retried after a lock or a database restart: saving an answer again changes nothing
        transact(lambda s: save_answers(s, token=ballot.token_hash, answers=answers, comments=comments))
        metrics.ANSWERS.inc(len(answers))
    except StoreError as error:  # nothing saved: the screen keeps the taps, and the next run tries again
        st.session_state["q_error"] = error_text(error)
        return state
    except UserError as error:
        st.session_state["q_error"] = error_text(error)
        return read_state()
    if comments:  # the store cleans comments: read back what it kept
        return read_state()
    state = State({**state.answers, **answers}, state.comments, state.position)
    st.session_state[KNOWN] = state
    return state


def show_error() -> None:
    if "q_error" in st.session_state:
        st.error(st.session_state.pop("q_error"))


def go_to(code: str) -> None:
    st.session_state["q_unit"] = code
    st.session_state["q_review"] = False
    st.session_state[MOVED] = code


def progress(shape: Structure, done: set[str]) -> None:
    units = shape.units
    st.progress(len(done) / len(units), text=t("q.progress", done=len(done), total=len(units)))
    categories = list(dict.fromkeys(u.category_code for u in units))
    names = {u.category_code: u.category_en if language() == "en" else u.category_zh for u in units}
    st.caption(" · ".join(f"{plain(names[c])} {sum(1 for u in units if u.category_code == c and u.code in done)}/"
                          f"{sum(1 for u in units if u.category_code == c)}" for c in categories))


@fragment
def answer(shape: Structure, index: int, dim_index: int) -> None:
    """One question of one unit: a tap reruns only this control, and is stored at once."""
    unit, dim = shape.units[index], shape.dimensions[dim_index]
    state = sync(shape, [unit])
    show_error()
    saved = state.answers.get((unit.id, dim.id))
    labels = {option: t(f"option.{option}") for option in OPTIONS}
    st.segmented_control(plain(named(dim)), OPTIONS, default=saved, key=f"{ANSWER_KEY}{unit.id}_{dim.id}",
                         format_func=labels.get, required=True, width="stretch")  # required: no unselecting
    if saved is None and st.session_state.get("q_checked") == unit.code:
        st.caption(f":red[{t('q.unanswered')}]")


def review(shape: Structure, state: State, current: str) -> None:
    units, dims = shape.units, shape.dimensions
    st.header(t("q.review"))
    missing = [u for u in units if any((u.id, d.id) not in state.answers for d in dims)]
    if missing:
        st.warning(t("q.missing", n=sum(1 for u in missing for d in dims if (u.id, d.id) not in state.answers),
                     units=len(missing)))
        for row in missing:
            mark = "◐" if any((row.id, d.id) in state.answers for d in dims) else "○"
            st.button(f"{mark} {units.index(row) + 1}. {plain(row.name)}", key=f"q_jump_{row.code}", on_click=go_to,
                      args=(row.code,), use_container_width=True)
    else:
        st.success(t("q.complete"))
        st.write(t("q.final_warning"))
        confirmed = st.checkbox(t("q.confirm"), key="q_confirm")
        if st.button(t("q.submit"), type="primary", disabled=not confirmed, use_container_width=True):
            try:
                with session() as s:
                    submit(s, token=ballot.token_hash)
            except UserError as error:
                st.error(error_text(error))
            else:
                metrics.QUESTIONNAIRES_SUBMITTED.inc()
                kiosk = st.session_state.get("q_kiosk")
                reset_session(keep_kiosk=True)
                st.session_state["q_link_tried"] = True  # a kiosk must not reopen the link it came with
                st.session_state["q_thanks"] = True
                if not kiosk:
                    st.query_params.clear()
                st.rerun()
    st.button(t("q.back_to_units"), on_click=go_to, args=(current,), use_container_width=True)


def next_unit(shape: Structure, code: str) -> None:
    # First tap with gaps: stay and highlight them. A second tap moves on: the reviewer may come back later.
    # Counted after storing what is on screen: an answer tapped just before "next" may not be stored yet.
    codes = [u.code for u in shape.units]
    row = shape.units[codes.index(code)]
    given = sync(shape).answers
    complete = all((row.id, d.id) in given for d in shape.dimensions)
    if not complete and st.session_state.get("q_checked") != code:
        st.session_state["q_checked"] = code
        return
    if codes.index(code) + 1 < len(codes):
        go_to(codes[codes.index(code) + 1])


def open_screen() -> tuple[Structure, State]:
    """One short transaction: the position moved to (if any), the structure's version and the stored answers."""
    moved = st.session_state.pop(MOVED, None)

    def read(s):
        if moved:
            save_position(s, token=ballot.token_hash, unit_code=moved)
        return structure_version(s, campaign_id=ballot.campaign_id), load_state(s, token=ballot.token_hash)

    try:
        version, state = transact(read)
    except UserError as error:
        gone(error)
    st.session_state[KNOWN] = state
    return structure_at(ballot.campaign_id, version), state


@fragment
def unit_screen() -> None:
    """One unit, or the review: moving between units reruns only this."""
    shape, _ = open_screen()
    state = sync(shape)
    units, dims = shape.units, shape.dimensions
    codes = [u.code for u in units]
    per_unit = {u.id: sum((u.id, d.id) in state.answers for d in dims) for u in units}
    done = {u.code for u in units if per_unit[u.id] == len(dims)}
    st.caption(plain(shape.title_en if language() == "en" else shape.title_zh))
    if ballot.rehearsal:
        st.warning(t("q.rehearsal"))
    current = st.session_state.get("q_unit")
    if current not in codes:
        current = state.position if state.position in codes else next((c for c in codes if c not in done), codes[-1])
    st.session_state["q_unit"] = current
    index = codes.index(current)
    unit = units[index]
    show_error()
    if st.session_state.get("q_review"):
        review(shape, state, current)
        return

    st.session_state[DRAWN] = {*st.session_state.get(DRAWN, ()), unit.id}
    # Progress as it was when this unit was drawn: answering reruns only the answers, and "next" redraws it.
    progress(shape, done)

    def unit_label(code: str) -> str:
        # The unit on screen carries no mark: its answers change with every tap, which reruns only them.
        row = units[codes.index(code)]
        mark = "▸" if code == current else "✓" if code in done else ("◐" if per_unit[row.id] else "○")
        return f"{mark} {codes.index(code) + 1}. {row.name}"

    # The labels carry progress marks; a key that changes with them makes a fresh widget, since Streamlit
    # matches a selectbox's value by its label and would otherwise hand back a label that no longer exists.
    nav_key = f"q_nav_{current}_{len(done)}_{sum(per_unit.values())}"

    def jump() -> None:
        chosen = st.session_state.get(nav_key)
        if chosen in codes:
            go_to(chosen)

    st.selectbox(t("q.jump"), codes, index=index, format_func=unit_label, key=nav_key, on_change=jump)
    st.header(plain(unit.name))
    st.caption(t("q.unit_of", n=index + 1, total=len(units),
                 category=plain(unit.category_zh if language() == "zh" else unit.category_en)))
    for dim_index in range(len(dims)):
        answer(shape, index, dim_index)
    # Not a fragment of its own: comments are few, and every fragment costs each move between units.
    st.text_area(t("q.comment"), value=state.comments.get(unit.id, ""), max_chars=300,
                 key=f"{COMMENT_KEY}{unit.id}", placeholder=t("q.comment_help"))

    # One row, not st.columns: three column blocks cost more to send than the buttons in them.
    # Buttons keyed by unit: a tap is handled by the button of the unit on screen, even when a quick
    # earlier tap's rerun was cut short before this run drew the buttons again.
    with st.container(horizontal=True, key="q_moves"):
        if index > 0:
            st.button(t("q.previous"), key=f"q_prev_{unit.code}", on_click=go_to, args=(codes[index - 1],),
                      width="stretch")
        st.button(t("q.to_review"), key=f"q_to_review_{unit.code}", on_click=st.session_state.update,
                  kwargs={"q_review": True}, width="stretch")
        if index + 1 < len(codes):
            st.button(t("q.next"), key=f"q_next_{unit.code}", on_click=next_unit, args=(shape, unit.code),
                      type="primary", width="stretch")


unit_screen()
