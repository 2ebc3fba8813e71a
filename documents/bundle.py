"""The verification bundle of one result version: its inputs without anyone in them, its settings, its figures.

Plain data in (the scoring inputs, the stored config and unit figures), zip bytes out; the format is
core.bundle's, so that core.verify, which imports no documents/, reads exactly what is written here.
The same arguments always give the same bytes, hence the same SHA-256 on the 通报 and the page.
"""

from __future__ import annotations

from collections.abc import Mapping

from core.bundle import DECIMALS, FORMAT, Bundle, pack, published_rows, tables
from core.scoring import NOT_SCORING, PANEL_OPTIONS, ScoringInputs

CONFIG_KEYS = ("engine", "panel", "bootstrap_replicates", "interval_method", "interval_level", "weight_draws",
               "rules", "quotas", "notes")


def bundle_bytes(*, year: int, version: int, input_hash: str, inputs: ScoringInputs, config: Mapping,
                 units: list[dict], code_version: str) -> bytes:
    """The zip of result `version` of campaign `year`; `units` are its stored figures (code, category,
    components, total, grade, rank, rank_low, rank_high, score_low, score_high, borderline)."""
    order = {u.code: k for k, u in enumerate(inputs.units)}
    settings = {k: v for k, v in dict(config["settings"]).items() if k not in NOT_SCORING}
    scheme = {
        "format": FORMAT, "campaign": year, "version": version, "decimals": DECIMALS,
        "settings": settings, **{k: config.get(k) for k in CONFIG_KEYS},
        "as_of": inputs.as_of.isoformat(), "population_source": dict(inputs.sources),
        "units": [{"code": u.code, "name": u.name, "category": u.category} for u in inputs.units],
        "dimensions": list(inputs.dimensions), "groups": list(inputs.groups), "panel_options": list(PANEL_OPTIONS),
    }
    parts = tables(inputs, deductions=settings["severity_deductions"])
    parts["published.csv"] = published_rows(sorted(units, key=lambda u: order.get(u["code"], len(order))))
    manifest = {"campaign": year, "version": version, "input_hash": input_hash, "code_version": code_version}
    return pack(Bundle(scheme=scheme, tables=parts, manifest=manifest))
