"""Complaint handling in the online score (core.complaints.parts, core.scoring), as README's Scoring says."""

from dataclasses import replace
from datetime import date

import numpy as np
import pytest

from core.complaints import Facts, Step, after, parts, refusal, rules_from
from core.scoring import MediaFacts, score
from core.settings import validate
from tests.support.scoring import DIMENSIONS, SETTINGS, make_inputs, settings

FAST = {"uncertainty": {"bootstrap_replicates": 0, "weight_draws": 0, "weight_noise": 0.2, "seed": 1}}
SMALL = (("economic_social", 3), ("urban_enforcement", 2))


def inputs(complaints_by_unit):
    base = make_inputs(3, reviewers=30, categories=SMALL, votes=400, media=4, visits=4)
    complaints = tuple(tuple(complaints_by_unit.get(k, ())) for k in range(len(base.units)))
    # Unit 0 has a media case with a middling record, so poll, media and complaints all take part.
    media = ((MediaFacts("M0", date(2017, 3, 1), date(2017, 3, 20), "answered", "basically_satisfied"),),
             *base.media[1:])
    return replace(base, complaints=complaints, media=media)


def online(result, k):
    return result.units[k].explanation["online"]


# Thursday 1 June 2017: acknowledgement due Friday 2 June, closing due 22 June.
GOOD = Facts(date(2017, 6, 1), date(2017, 6, 2), date(2017, 6, 9), "satisfied")
LATE = Facts(date(2017, 6, 1), date(2017, 6, 5), date(2017, 7, 3), "dissatisfied")
OPEN_OVERDUE = Facts(date(2017, 6, 1), None, None, None)


def test_parts_follow_the_media_rule():
    s = settings(**FAST)
    p = parts([GOOD, LATE, OPEN_OVERDUE], s, date(2017, 12, 31))
    assert p["ack_on_time"] == {"score": pytest.approx(100 / 3), "count": 1, "of": 3}
    assert p["closed_on_time"] == {"score": pytest.approx(100 / 3), "count": 1, "of": 3}
    assert p["satisfaction"] == {"score": 50.0, "of": 2}  # (100 + 0) / 2: option scores
    # Within its deadlines an open complaint is not judged yet.
    fresh = parts([Facts(date(2017, 6, 1), None, None, None)], s, date(2017, 6, 2))
    assert fresh["ack_on_time"]["of"] == 0 and fresh["closed_on_time"]["of"] == 0
    assert parts([], s, date(2017, 12, 31))["satisfaction"]["score"] is None


def test_good_handling_raises_and_bad_handling_lowers_the_online_score():
    s = settings(**FAST)
    none, good, bad = (score(inputs(c), s) for c in ({}, {0: [GOOD, GOOD]}, {0: [LATE, OPEN_OVERDUE]}))
    base = online(none, 0)["score"]
    assert online(good, 0)["complaints"]["score"] == 100
    assert online(bad, 0)["complaints"]["score"] == 0
    # Documented rule: online = weighted mean of poll index, media and complaints (50/30/20 by default).
    poll, media = online(none, 0)["poll"]["index"], online(none, 0)["media"]["score"]
    expected_good = (50 * poll + 30 * media + 20 * 100) / 100
    assert online(good, 0)["score"] == pytest.approx(expected_good, abs=1e-3)
    assert online(bad, 0)["score"] == pytest.approx((50 * poll + 30 * media) / 100, abs=1e-3)
    assert online(bad, 0)["score"] < base < online(good, 0)["score"]
    # Other units are untouched.
    assert online(good, 1)["score"] == online(none, 1)["score"]


def test_a_unit_without_complaints_is_renormalised_not_zeroed():
    s = settings(**FAST)
    result = score(inputs({1: [GOOD]}), s)
    detail = online(result, 0)
    assert detail["complaints"]["score"] is None and detail["complaints"]["complaints"] == 0
    poll, media = detail["poll"]["index"], detail["media"]["score"]
    assert detail["score"] == pytest.approx((50 * poll + 30 * media) / 80, abs=1e-3)
    assert set(detail["weights_used"]) == {"poll", "media"}
    assert sum(detail["weights_used"].values()) == pytest.approx(100)


def test_complaint_weight_and_parts_come_from_the_settings():
    heavy = settings(**FAST, online_weights={"poll": 40, "media": 20, "complaints": 40},
                     complaint_weights={"ack_on_time": 0, "closed_on_time": 0, "satisfaction": 100})
    detail = online(score(inputs({0: [LATE]}), heavy), 0)
    assert detail["complaints"]["score"] == 0  # only satisfaction counts: 不满意
    # A campaign set up before complaints existed has no complaints weight: they change nothing.
    old = settings(**FAST)
    old["online_weights"] = {"poll": 60, "media": 40}
    del old["complaint_weights"], old["complaints"]
    assert validate(old, dimensions=list(DIMENSIONS)) == []
    with_c, without = score(inputs({0: [LATE]}), old), score(inputs({}), old)
    assert online(with_c, 0)["score"] == online(without, 0)["score"]
    assert with_c.input_hash != without.input_hash  # the complaints are inputs all the same


def test_bad_complaint_settings_are_refused():
    bad = settings(complaint_weights={"ack_on_time": 50, "closed_on_time": 40, "satisfaction": 30},
                   complaints={"ack_working_days": 20, "close_working_days": 15, "phone_erase_days": -1})
    keys = {p.key for p in validate(bad, dimensions=list(DIMENSIONS))}
    assert {"settings.weights_sum", "settings.range"} <= keys
    swapped = settings(complaints={"ack_working_days": 20, "close_working_days": 15, "phone_erase_days": 1})
    assert "complaints.ack_after_close" in {p.key for p in validate(swapped, dimensions=list(DIMENSIONS))}


def test_digest_changes_with_a_follow_up_rating():
    s = settings(**FAST)
    a = inputs({0: [GOOD]})
    b = inputs({0: [replace(GOOD, follow_up="dissatisfied")]})
    assert a.digest(s) != b.digest(s)


def test_life_cycle_rules():
    assert refusal(Step("received", "acknowledge")) is None
    assert after(Step("acknowledged", "close", found="a", done="b", kind="rectified")) == "closed"
    assert after(Step("received", "close", found="a", kind="disputed")) == "disputed"
    assert after(Step("disputed", "rule", ruling="excluded", reason="r")) == "excluded"
    assert refusal(Step("held", "acknowledge")).key == "complaints.held"
    assert refusal(Step("closed", "close", found="a", done="b", kind="rectified")).key == "complaints.finished"
    assert refusal(Step("received", "explode")).key == "complaints.unknown_action"
    r = rules_from(SETTINGS)
    assert (r.ack_due(date(2017, 6, 2)), r.close_due(date(2017, 6, 2))) == (date(2017, 6, 5), date(2017, 6, 23))
    holidays = settings(poll={"holidays": ["2017-06-05"]})
    assert rules_from(holidays).ack_due(date(2017, 6, 2)) == date(2017, 6, 6)


def test_weight_draws_and_bootstrap_run_with_complaints():
    s = settings(uncertainty={"bootstrap_replicates": 30, "weight_draws": 30, "weight_noise": 0.2, "seed": 1})
    result = score(inputs({0: [GOOD], 2: [LATE]}), s)
    assert all(np.isfinite(u.total) for u in result.units)
    assert all(u.score_low <= u.total <= u.score_high for u in result.units)
