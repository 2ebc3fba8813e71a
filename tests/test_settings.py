import tomllib
from copy import deepcopy

import pytest

from core.errors import ValidationError
from core.settings import checked, validate
from db.campaigns import DEFAULT_SCHEME

with open(DEFAULT_SCHEME, "rb") as handle:
    DEFAULTS = tomllib.load(handle)["settings"]
DIMENSIONS = list(DEFAULTS["dimension_weights"])


def keys_of(settings):
    return {p.key for p in validate(settings, dimensions=DIMENSIONS)}


def test_defaults_are_valid_and_documented_sums():
    assert validate(DEFAULTS, dimensions=DIMENSIONS) == []
    assert sum(DEFAULTS["method_weights"].values()) == 100


@pytest.mark.parametrize(("group", "key", "value", "expected"), [
    ("method_weights", "panel", 45, "settings.weights_sum"),
    ("method_weights", "daily", -5, "settings.negative_weight"),
    ("dimension_weights", "work_style", 25, "settings.weights_sum"),
    ("option_scores", "dissatisfied", 10, "settings.option_scores_order"),
    ("option_scores", "basically_satisfied", 120, "settings.option_scores_order"),
    ("severity_deductions", "serious", -1, "settings.deductions"),
    ("grade_rules", "qualified_min", 95, "settings.thresholds"),
    ("grade_rules", "excellent_quota_pct", 150, "settings.quota"),
    ("method_weights", "panel", "forty", "settings.not_a_number"),
    ("uncertainty", "weight_noise", 2, "settings.range"),
])
def test_each_bad_value_is_named(group, key, value, expected):
    settings = deepcopy(DEFAULTS)
    settings[group][key] = value
    assert expected in keys_of(settings)


def test_missing_and_unknown_keys_are_refused():
    settings = deepcopy(DEFAULTS)
    del settings["method_weights"]["daily"]
    settings["online_weights"]["tv"] = 0
    assert keys_of(settings) == {"settings.keys"}


def test_checked_lists_all_problems_and_returns_a_copy():
    settings = deepcopy(DEFAULTS)
    settings["method_weights"]["panel"] = 41
    settings["grade_rules"]["veto_unqualified"] = "yes"
    with pytest.raises(ValidationError) as caught:
        checked(settings, dimensions=DIMENSIONS)
    assert len(caught.value.problems) == 2
    copy = checked(DEFAULTS, dimensions=DIMENSIONS)
    copy["method_weights"]["panel"] = 0
    assert DEFAULTS["method_weights"]["panel"] == 40
