"""A campaign setting's dotted path (`method_weights.online`) in the office's words (评价方式权重 · 大数据评议),
and its value in one number format, for the version comparison on /results."""

from __future__ import annotations

from ui.i18n import catalogue, language, t

# Where the name of each setting group's items already lives in the catalogues.
_ITEMS = {"method_weights": "method", "online_weights": "settings.online", "media_weights": "settings.media",
          "option_scores": "option", "severity_deductions": "severity"}
# Items the settings page names with a key of its own.
_NAMED = {"grade_rules.excellent_min": "settings.excellent_min", "grade_rules.qualified_min": "settings.qualified_min",
          "grade_rules.excellent_quota_pct": "settings.excellent_quota",
          "grade_rules.rectification_rejected_unqualified": "settings.rectification_rule",
          "grade_rules.veto_unqualified": "settings.veto_rule", "poll.prior_strength": "settings.prior_strength",
          "poll.daily_votes_per_device": "settings.votes_per_device", "poll.media_answer_working_days":
          "settings.media_days", "uncertainty.bootstrap_replicates": "settings.bootstrap",
          "uncertainty.weight_draws": "settings.weight_draws", "uncertainty.weight_noise": "settings.weight_noise",
          "uncertainty.seed": "settings.seed"}


def _known(key: str) -> str | None:
    return t(key) if key in catalogue(language()) else None


def setting_label(path: str, names: dict[str, str]) -> str:
    """`names` maps dimension and reviewer-group codes to their names; anything unknown keeps its code."""
    group, _, rest = path.partition(".")
    head = (_known(f"settings.group.{group}") or _known(f"traps.setting.{group}") or group).removesuffix("(%)")
    if not rest:
        return head
    item = (_known(_NAMED.get(path, "")) or _known(f"traps.setting.{path}")
            or (_known(f"{_ITEMS[group]}.{rest}") if group in _ITEMS else None)
            or names.get(rest.rsplit(".", 1)[-1]) or rest)
    return f"{head} · {item}"


def setting_value(value: object) -> str:
    """One format for every number (at most two decimals, no trailing zeros: 25 and 20.0 read 25 and 20)."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return t("traps.setting.yes") if value else t("traps.setting.no")
    if isinstance(value, int | float):
        return f"{round(float(value), 2):,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, dict):
        return "; ".join(f"{k} {setting_value(v)}" for k, v in value.items()) or "—"
    return _known(f"traps.setting.value.{value}") or str(value)
