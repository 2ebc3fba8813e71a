"""A review scheme (who is reviewed, on what, by whom) checked before it is loaded.

The scheme arrives as the dict that `tomllib` makes of a scheme file; `parse`
checks it whole and returns plain values, so a broken file never leaves half a
campaign in the database.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime

from core import settings as campaign_settings
from core.errors import UserError, ValidationError

CODE_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
# Full-width and ASCII parentheses both occur in official names.
_PAREN_RE = re.compile(r"[(（].*$")


@dataclass(frozen=True)
class Named:
    code: str
    name_zh: str
    name_en: str


@dataclass(frozen=True)
class UnitSpec:
    code: str
    name: str
    category: str


@dataclass(frozen=True)
class Scheme:
    year: int
    name_zh: str
    name_en: str
    source: str
    starts_on: date
    ends_on: date
    pool_target: int
    panel_size: int
    plan_due: date
    summary_due: date
    panel_opens_at: datetime
    panel_closes_at: datetime
    categories: list[Named]
    dimensions: list[Named]
    reviewer_groups: list[Named]
    units: list[UnitSpec]
    settings: dict = field(default_factory=dict)


def base_name(name: str) -> str:
    """The name before its first parenthetical: 区财政局(区金融工作局) -> 区财政局."""
    return _PAREN_RE.sub("", name).strip()


def repeated_base_names(names: dict[str, str]) -> dict[str, list[str]]:
    """Base names shared by more than one unit: base name -> unit codes.

    The 2017 source lists 区财政局 and 区环保局 twice each; they are kept as
    distinct units, and this tells the administrator so that a merge or a
    rename is a decision, not an accident.
    """
    by_base: dict[str, list[str]] = {}
    for code, name in names.items():
        by_base.setdefault(base_name(name), []).append(code)
    return {base: codes for base, codes in by_base.items() if len(codes) > 1}


def _named_list(raw: object, what: str, problems: list[UserError]) -> list[Named]:
    if not isinstance(raw, list) or not raw:
        problems.append(UserError("scheme.missing", "{what}: at least one entry is needed", what=what))
        return []
    out = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            problems.append(UserError("scheme.entry", "{what} #{i}: not a table", what=what, i=i))
            continue
        code, zh, en = item.get("code"), item.get("name_zh"), item.get("name_en")
        if not isinstance(code, str) or not CODE_RE.match(code):
            problems.append(UserError("scheme.code", "{what} #{i}: bad code {code!r}", what=what, i=i, code=code))
            continue
        if not isinstance(zh, str) or not zh.strip() or not isinstance(en, str) or not en.strip():
            problems.append(UserError("scheme.names", "{what} {code}: name_zh and name_en are required",
                                      what=what, code=code))
            continue
        out.append(Named(code, zh.strip(), en.strip()))
    codes = [n.code for n in out]
    for code in sorted({c for c in codes if codes.count(c) > 1}):
        problems.append(UserError("scheme.duplicate_code", "{what}: code {code} used twice", what=what, code=code))
    return out


def _typed(campaign: dict, key: str, kind: type, problems: list[UserError]):
    value = campaign.get(key)
    # datetime is a subclass of date: a date field must not accept a datetime, nor an int a bool.
    ok = isinstance(value, kind) and not (kind is date and isinstance(value, datetime)) and not (
        kind is int and isinstance(value, bool))
    if not ok:
        problems.append(UserError("scheme.field", "campaign.{key}: expected {kind}", key=key, kind=kind.__name__))
        return None
    return value


def parse(data: dict) -> Scheme:
    """Check a scheme dict whole; raise ValidationError listing every problem."""
    problems: list[UserError] = []
    campaign = data.get("campaign") if isinstance(data.get("campaign"), dict) else {}
    if not campaign:
        problems.append(UserError("scheme.missing", "{what}: at least one entry is needed", what="campaign"))
    fields = {
        "year": int, "name_zh": str, "name_en": str, "source": str, "starts_on": date, "ends_on": date,
        "pool_target": int, "panel_size": int, "plan_due": date, "summary_due": date,
        "panel_opens_at": datetime, "panel_closes_at": datetime,
    }
    values = {key: _typed(campaign, key, kind, problems) for key, kind in fields.items()}
    dimensions = _named_list(data.get("dimensions"), "dimensions", problems)
    groups = _named_list(data.get("reviewer_groups"), "reviewer_groups", problems)
    categories = _named_list(data.get("categories"), "categories", problems)
    units: list[UnitSpec] = []
    for raw in data.get("categories") or []:
        if not isinstance(raw, dict):
            continue
        listed = raw.get("units") or []
        expected = raw.get("expected_count")
        if expected is not None and expected != len(listed):
            problems.append(UserError("scheme.unit_count", "category {code}: {n} units listed, {expected} expected",
                                      code=raw.get("code"), n=len(listed), expected=expected))
        for item in listed:
            code = item.get("code") if isinstance(item, dict) else None
            name = item.get("name") if isinstance(item, dict) else None
            if not isinstance(code, str) or not CODE_RE.match(code) or not isinstance(name, str) or not name.strip():
                problems.append(UserError("scheme.unit", "category {cat}: bad unit entry {item!r}",
                                          cat=raw.get("code"), item=item))
                continue
            units.append(UnitSpec(code, name.strip(), raw.get("code")))
    unit_codes = [u.code for u in units]
    for code in sorted({c for c in unit_codes if unit_codes.count(c) > 1}):
        problems.append(UserError("scheme.duplicate_code", "{what}: code {code} used twice", what="units", code=code))
    year = values["year"]
    if isinstance(year, int) and not (2000 <= year <= 2100):
        problems.append(UserError("scheme.year", "campaign.year {year} is out of range", year=year))
    for low, high in (("starts_on", "ends_on"), ("panel_opens_at", "panel_closes_at")):
        if values[low] is not None and values[high] is not None and values[low] >= values[high]:
            problems.append(UserError("scheme.order", "campaign.{low} must come before campaign.{high}",
                                      low=low, high=high))
    for key in ("pool_target", "panel_size"):
        if values[key] is not None and values[key] <= 0:
            problems.append(UserError("scheme.positive", "campaign.{key} must be positive", key=key))
    if values["pool_target"] and values["panel_size"] and values["panel_size"] > values["pool_target"]:
        problems.append(UserError("scheme.panel_size", "the panel cannot be larger than the pool target"))
    settings = data.get("settings") if isinstance(data.get("settings"), dict) else {}
    problems.extend(campaign_settings.validate(settings, dimensions=[d.code for d in dimensions]))
    if problems:
        raise ValidationError("scheme.invalid", "the scheme file has problems", problems=problems)
    return Scheme(categories=categories, dimensions=dimensions, reviewer_groups=groups, units=units,
                  settings=settings, **values)
