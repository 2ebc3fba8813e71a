"""Campaign settings: the numbers an office may change each year, and their rules.

Settings travel as one plain dict (stored as JSON on the campaign). `validate`
returns every problem at once, so a settings form can mark all wrong fields in
one go instead of one per save.
"""

from __future__ import annotations

import math
from copy import deepcopy

from core.complaints import settings_problems
from core.errors import UserError, ValidationError
from core.objections import settings_problems as objection_problems

METHODS = ("panel", "online", "inspection", "daily")
OPTIONS = ("satisfied", "basically_satisfied", "dissatisfied")
SEVERITIES = ("minor", "general", "serious")
OPTIONAL_KEYS = {"online_weights": ("complaints",)}
COMPLAINT_PARTS = ("ack_on_time", "closed_on_time", "satisfaction")

# Each group of percentages that must add up to 100.
PERCENT_GROUPS = ("method_weights", "online_weights", "media_weights", "dimension_weights")
GROUP_KEYS = {
    "method_weights": METHODS,
    # complaints (the poll's complaint handling, core.complaints) may be absent in campaigns set up before it
    # existed: it then weighs 0 and their results stay as they were.
    "online_weights": ("poll", "media", "complaints"),
    "media_weights": ("on_time", "resolved", "satisfaction"),
    "option_scores": OPTIONS,
    "severity_deductions": SEVERITIES,
}


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    if not math.isfinite(value):
        return None
    return float(value)


def _check_percent_group(name: str, group: dict, problems: list[UserError]) -> None:
    total = 0.0
    for key, raw in group.items():
        value = _number(raw)
        if value is None:
            problems.append(UserError("settings.not_a_number", "{group}.{key}: not a number", group=name, key=key))
            return
        if value < 0:
            problems.append(
                UserError("settings.negative_weight", "{group}.{key}: weights cannot be negative ({value})",
                          group=name, key=key, value=raw)
            )
        total += value
    if not math.isclose(total, 100.0, abs_tol=1e-9):
        problems.append(
            UserError("settings.weights_sum", "{group}: weights must sum to 100 % (now {total:g} %)",
                      group=name, total=total)
        )


def validate(settings: dict, *, dimensions: list[str], groups: list[str] | None = None) -> list[UserError]:
    """Every problem in `settings`; an empty list means they can be saved.

    `groups` (reviewer group codes) lets the optional `panel` group's policy weights be checked
    against the campaign's groups; without it only their numbers are checked.
    """
    problems: list[UserError] = []
    expected = dict(GROUP_KEYS, dimension_weights=tuple(dimensions))
    for group, keys in expected.items():
        values = settings.get(group)
        if not isinstance(values, dict):
            problems.append(UserError("settings.missing_group", "{group}: missing", group=group))
            continue
        missing = [k for k in keys if k not in values and k not in OPTIONAL_KEYS.get(group, ())]
        unknown = [k for k in values if k not in keys]
        if missing or unknown:
            problems.append(
                UserError("settings.keys", "{group}: expected keys {expected}, got {got}",
                          group=group, expected=", ".join(keys), got=", ".join(values))
            )
            continue
        if group in PERCENT_GROUPS:
            _check_percent_group(group, values, problems)
    scores = settings.get("option_scores")
    if isinstance(scores, dict) and set(scores) == set(OPTIONS):
        numbers = {k: _number(v) for k, v in scores.items()}
        if any(v is None for v in numbers.values()):
            problems.append(UserError("settings.option_scores_numbers", "option scores must be numbers"))
        # The panel estimator reads scores as points out of 100 with the worst answer at 0,
        # so a unit everybody rates 不满意 scores 0 and one everybody rates 满意 scores the top.
        elif not (numbers["dissatisfied"] == 0 and numbers["dissatisfied"] <= numbers["basically_satisfied"]
                  <= numbers["satisfied"] <= 100 and numbers["satisfied"] > 0):
            problems.append(
                UserError("settings.option_scores_order",
                          "option scores must satisfy 0 = dissatisfied <= basically satisfied <= satisfied <= 100")
            )
    deductions = settings.get("severity_deductions")
    if isinstance(deductions, dict) and set(deductions) == set(SEVERITIES):
        numbers = [_number(v) for v in deductions.values()]
        if any(v is None or v < 0 or v > 100 for v in numbers):
            problems.append(UserError("settings.deductions", "deductions must be numbers between 0 and 100"))
    problems.extend(_complaint_problems(settings))
    problems.extend(objection_problems(settings))
    problems.extend(_grade_rule_problems(settings.get("grade_rules")))
    problems.extend(_positive_problems(settings))
    problems.extend(_panel_problems(settings.get("panel"), groups))
    return problems


def _complaint_problems(settings: dict) -> list[UserError]:
    """The optional complaint groups: `complaint_weights` (sums to 100) and `complaints` (deadlines, erasure)."""
    problems = settings_problems(settings)
    weights = settings.get("complaint_weights")
    if weights is None:
        return problems
    if not isinstance(weights, dict) or set(weights) != set(COMPLAINT_PARTS):
        problems.append(UserError("settings.keys", "{group}: expected keys {expected}, got {got}",
                                  group="complaint_weights", expected=", ".join(COMPLAINT_PARTS),
                                  got=", ".join(weights) if isinstance(weights, dict) else ""))
    else:
        _check_percent_group("complaint_weights", weights, problems)
    return problems


PANEL_WEIGHTINGS = ("design", "policy")
LONELY_GROUP_RULES = ("adjust", "remove")


def _panel_problems(panel: object, groups: list[str] | None) -> list[UserError]:
    """The optional `panel` group (older campaigns lack it; core.scoring then uses its defaults)."""
    if panel is None:
        return []
    if not isinstance(panel, dict):
        return [UserError("settings.missing_group", "{group}: missing", group="panel")]
    problems = []
    weighting = panel.get("weighting", "design")
    if weighting not in PANEL_WEIGHTINGS:
        problems.append(UserError("settings.panel_weighting", "panel.weighting must be design or policy"))
    if panel.get("lonely_group", "adjust") not in LONELY_GROUP_RULES:
        problems.append(UserError("settings.lonely_group", "panel.lonely_group must be adjust or remove"))
    weights = panel.get("group_weights", {})
    if not isinstance(weights, dict):
        problems.append(UserError("settings.missing_group", "{group}: missing", group="panel.group_weights"))
    elif weighting == "policy":
        if groups is not None and set(weights) != set(groups):
            problems.append(
                UserError("settings.keys", "{group}: expected keys {expected}, got {got}",
                          group="panel.group_weights", expected=", ".join(groups), got=", ".join(weights))
            )
        else:
            _check_percent_group("panel.group_weights", weights, problems)
    return problems


def _grade_rule_problems(rules: object) -> list[UserError]:
    if not isinstance(rules, dict):
        return [UserError("settings.missing_group", "{group}: missing", group="grade_rules")]
    excellent = _number(rules.get("excellent_min"))
    qualified = _number(rules.get("qualified_min"))
    quota = _number(rules.get("excellent_quota_pct"))
    problems = []
    if excellent is None or qualified is None or not (0 <= qualified <= excellent <= 100):
        problems.append(
            UserError("settings.thresholds", "grade thresholds must satisfy 0 <= qualified <= excellent <= 100")
        )
    if quota is None or not (0 <= quota <= 100):
        problems.append(UserError("settings.quota", "the excellent quota must be a percentage between 0 and 100"))
    for flag in ("rectification_rejected_unqualified", "veto_unqualified"):
        if not isinstance(rules.get(flag), bool):
            problems.append(UserError("settings.flag", "{flag} must be true or false", flag=flag))
    return problems


def _positive_problems(settings: dict) -> list[UserError]:
    problems = []
    poll = settings.get("poll") or {}
    uncertainty = settings.get("uncertainty") or {}
    checks = [
        ("poll.prior_strength", poll.get("prior_strength"), 0, None),
        # One vote per unit, device and day is a unique constraint in the database, not a setting to raise.
        ("poll.daily_votes_per_device", poll.get("daily_votes_per_device"), 1, 1),
        ("poll.media_answer_working_days", poll.get("media_answer_working_days"), 1, 365),
        ("uncertainty.bootstrap_replicates", uncertainty.get("bootstrap_replicates"), 0, 100_000),
        ("uncertainty.weight_draws", uncertainty.get("weight_draws"), 0, 100_000),
        ("uncertainty.weight_noise", uncertainty.get("weight_noise"), 0, 1),
    ]
    for name, raw, low, high in checks:
        value = _number(raw)
        if value is None or value < low or (high is not None and value > high):
            problems.append(
                UserError("settings.range", "{name} must be a number from {low} to {high}",
                          name=name, low=low, high="∞" if high is None else high)
            )
    return problems


def checked(settings: dict, *, dimensions: list[str]) -> dict:
    """A validated deep copy of `settings`, or ValidationError listing every problem."""
    problems = validate(settings, dimensions=dimensions)
    if problems:
        raise ValidationError("settings.invalid", "the settings cannot be saved", problems=problems)
    return deepcopy(settings)
