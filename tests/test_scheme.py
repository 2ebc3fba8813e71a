import tomllib
from pathlib import Path

import pytest

from core.errors import ValidationError
from core.scheme import base_name, parse, repeated_base_names
from db.campaigns import DEFAULT_SCHEME

SOURCE = Path(__file__).resolve().parents[2] / "shared" / "seed" / "000_08b16a552fbafafa.txt"


def load():
    with open(DEFAULT_SCHEME, "rb") as handle:
        return tomllib.load(handle)


def test_2017_scheme_has_37_units_in_three_categories():
    scheme = parse(load())
    counts = {c.code: sum(u.category == c.code for u in scheme.units) for c in scheme.categories}
    assert counts == {"economic_social": 18, "urban_enforcement": 11, "public_service": 8}
    assert len({u.code for u in scheme.units}) == 37
    assert [d.code for d in scheme.dimensions] == [
        "party_discipline", "rule_of_law", "serving_public", "work_style", "problem_solving"]
    assert [g.code for g in scheme.reviewer_groups] == [
        "service_recipient", "npc_deputy", "cppcc_member", "industry_rep", "cadre", "community_cadre"]
    assert (scheme.pool_target, scheme.panel_size) == (2000, 200)
    assert (scheme.plan_due.isoformat(), scheme.summary_due.isoformat()) == ("2017-05-15", "2017-10-20")


@pytest.mark.skipif(not SOURCE.exists(), reason="the source document is in shared/seed")
def test_unit_names_are_exactly_as_written_in_the_source():
    text = SOURCE.read_text(encoding="utf-8")
    for unit in parse(load()).units:
        assert unit.name in text, unit.name


def test_repeated_names_are_kept_as_distinct_units_and_reported():
    units = {u.code: u.name for u in parse(load()).units}
    assert repeated_base_names(units) == {"区财政局": ["es06", "es13"], "区环保局": ["ue04", "ue07"]}
    assert base_name("工委(区委)宣传部(区旅游局、区文体新闻广电出版局)") == "工委"


def test_a_broken_scheme_reports_every_problem():
    data = load()
    data["categories"][0]["units"].append({"code": "es01", "name": "duplicate"})
    data["settings"]["method_weights"]["panel"] = 50
    data["campaign"]["plan_due"] = "15 May"
    with pytest.raises(ValidationError) as caught:
        parse(data)
    keys = {p.key for p in caught.value.problems}
    assert {"scheme.unit_count", "scheme.duplicate_code", "settings.weights_sum", "scheme.field"} <= keys
