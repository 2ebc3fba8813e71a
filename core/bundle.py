"""The verification bundle's format: what a result's inputs look like once nobody can be told apart in them.

A bundle is a zip of small CSV and JSON files and a manifest of their SHA-256 (README, section
"The verification bundle"). This module turns `ScoringInputs` into those tables (`tables`) and back
(`inputs_from`), packs and unpacks the zip in memory with fixed timestamps and sorted entries (equal
contents, equal bytes), and compares published figures with recomputed ones. documents.bundle writes
it, core.verify reads it; both share the names and columns defined here.

What the panel part keeps: per unit x dimension x reviewer group x option, how many questionnaires
gave that answer, and per group its pool size N_h and its number of questionnaires n_h. That is all
a stratified point estimate (and its standard error) reads. Which reviewer gave which answer is not
kept: the questionnaires are rebuilt column by column from the counts (`_panel_answers`), which
gives every cell the same counts per group and so the same estimates, but rows that belong to
nobody. The bootstrap's score intervals resample whole reviewers (all 185 answers of one person
together), so they and the borderline flags built on them cannot be recomputed from a bundle.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math
import zipfile
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from core import complaints as complaint_rules
from core.errors import UserError
from core.poll import OPTIONS
from core.scoring import (
    METHODS,
    NO_ANSWER,
    PANEL_OPTIONS,
    FindingFacts,
    MediaFacts,
    ScoringInputs,
    UnitRef,
)

FORMAT = "review-bundle/1"
MANIFEST = "manifest.json"
SCHEME = "scheme.json"
DECIMALS = 2  # the published scores' decimals (results page, 通报, workbook)
ZIP_TIME = (1980, 1, 1, 0, 0, 0)  # the earliest a zip can say: no build time leaks into the bytes

# file name -> columns; the order of this table is the order of the zip's entries (after the JSON).
COLUMNS: dict[str, tuple[str, ...]] = {
    "panel_groups.csv": ("group", "pool_size", "questionnaires"),
    "panel_counts.csv": ("unit", "dimension", "group", "option", "count"),
    "poll_counts.csv": ("unit", *OPTIONS, "set_aside"),
    "media_cases.csv": ("unit", "case", "exposed_on", "answered_on", "status", "satisfaction"),
    "complaints.csv": ("unit", "complaint", "received_on", "acknowledged_on", "closed_on", "follow_up"),
    "inspections.csv": ("unit", "visits"),
    "findings.csv": ("unit", "finding", "severity", "dimension"),
    "daily_scores.csv": ("unit", "score"),
    "overrides.csv": ("unit", "kind", "reason"),
    "published.csv": ("unit", "category", *METHODS, "total", "grade", "rank", "rank_low", "rank_high",
                      "score_low", "score_high", "borderline"),
}
VETO, REJECTED = "veto", "rectification_rejected"
# What the verifier compares, and what it cannot (needs each reviewer's whole answer vector).
CHECKED = (*METHODS, "total", "grade", "rank", "rank_low", "rank_high")
NOT_REPRODUCIBLE = ("score_low", "score_high", "borderline")


class BundleError(UserError):
    """A bundle that cannot be read or whose manifest does not match its files."""


@dataclass
class Bundle:
    """A bundle's parts as plain values (what documents.bundle packs and core.verify unpacks)."""

    scheme: dict
    tables: dict[str, list[dict]]
    manifest: dict = field(default_factory=dict)


# ------------------------------------------------------------------------------ numbers as text


def figure(value, decimals: int = DECIMALS) -> str:
    """A published score as printed: fixed decimals, "" when missing."""
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return ""
    return f"{float(value):.{decimals}f}"


def _exact(value: float) -> str:
    """A float that reads back to the same bits (daily scores are inputs, not rounded figures)."""
    return repr(float(value))


def _day(value: date | None) -> str:
    return value.isoformat() if value else ""


def _parse_day(text: str) -> date | None:
    return date.fromisoformat(text) if text else None


# ------------------------------------------------------------------------------ inputs -> tables


def tables(inputs: ScoringInputs, *, deductions: dict) -> dict[str, list[dict]]:
    """The inputs as the bundle's tables (all but published.csv): counts, dates and codes only.

    Left out on purpose: which questionnaire gave which answer, media case numbers, finding
    descriptions, complaint texts and anything about the people who voted or complained.
    """
    units = [u.code for u in inputs.units]
    out: dict[str, list[dict]] = {name: [] for name in COLUMNS if name != "published.csv"}
    groups = np.asarray(inputs.respondent_groups, dtype=int)
    for h, group in enumerate(inputs.groups):
        out["panel_groups.csv"].append({"group": group, "pool_size": int(inputs.population.get(group, 0)),
                                        "questionnaires": int((groups == h).sum())})
    answers = np.asarray(inputs.answers)
    for k, unit in enumerate(units):
        for d, dimension in enumerate(inputs.dimensions):
            for h, group in enumerate(inputs.groups):
                column = answers[groups == h, k, d] if answers.size else np.zeros(0, dtype=np.int8)
                for code, option in enumerate(PANEL_OPTIONS):
                    count = int((column == code).sum())
                    if count:
                        out["panel_counts.csv"].append({"unit": unit, "dimension": dimension, "group": group,
                                                        "option": option, "count": count})
    for k, unit in enumerate(units):
        row = {"unit": unit, **{o: int(c) for o, c in zip(OPTIONS, inputs.votes[k])},
               "set_aside": int(inputs.votes_set_aside[k])}
        out["poll_counts.csv"].append(row)
        for j, case in enumerate(inputs.media[k], start=1):
            out["media_cases.csv"].append({"unit": unit, "case": j, "exposed_on": _day(case.exposed_on),
                                           "answered_on": _day(case.answered_on), "status": case.status,
                                           "satisfaction": case.satisfaction or ""})
        for j, facts in enumerate(inputs.complaints_of(k), start=1):
            out["complaints.csv"].append({"unit": unit, "complaint": j, "received_on": _day(facts.received_on),
                                          "acknowledged_on": _day(facts.acknowledged_on),
                                          "closed_on": _day(facts.closed_on), "follow_up": facts.follow_up or ""})
        if int(inputs.visits[k]):
            out["inspections.csv"].append({"unit": unit, "visits": int(inputs.visits[k])})
        for j, finding in enumerate(inputs.findings[k], start=1):
            if finding.severity not in deductions:
                raise UserError("bundle.unknown_severity", "finding severity {severity} has no deduction",
                                severity=finding.severity)
            out["findings.csv"].append({"unit": unit, "finding": j, "severity": finding.severity,
                                        "dimension": finding.dimension})
        if np.isfinite(inputs.daily[k]):
            out["daily_scores.csv"].append({"unit": unit, "score": _exact(inputs.daily[k])})
        for title in inputs.vetoes[k]:
            out["overrides.csv"].append({"unit": unit, "kind": VETO, "reason": title})
        for notice in inputs.rejections[k]:
            out["overrides.csv"].append({"unit": unit, "kind": REJECTED, "reason": notice})
    return out


def published_rows(units: list[dict]) -> list[dict]:
    """published.csv from the stored result: one row per unit, scores to the published decimals."""
    rows = []
    for unit in units:
        components = unit["components"]
        rows.append({"unit": unit["code"], "category": unit["category"],
                     **{m: figure(components.get(m)) for m in METHODS}, "total": figure(unit["total"]),
                     "grade": unit["grade"], "rank": unit["rank"],
                     "rank_low": "" if unit.get("rank_low") is None else int(unit["rank_low"]),
                     "rank_high": "" if unit.get("rank_high") is None else int(unit["rank_high"]),
                     "score_low": figure(unit.get("score_low")), "score_high": figure(unit.get("score_high")),
                     "borderline": "yes" if unit.get("borderline") else "no"})
    return rows


# ------------------------------------------------------------------------------ tables -> inputs


def _panel_answers(bundle: Bundle, units: list[str], dimensions: list[str], groups: list[str]):
    """(respondent groups, answers) with every cell's counts per group as in the bundle.

    Each group's n_h rows are filled column by column: the first rows get 满意, then 基本满意, …,
    the rest "not answered". Rows therefore mix answers of different people; only the cell counts,
    all a point estimate reads, are real.
    """
    sizes = {row["group"]: int(row["questionnaires"]) for row in bundle.tables["panel_groups.csv"]}
    strata = np.concatenate([np.full(sizes.get(g, 0), h, dtype=np.int64) for h, g in enumerate(groups)]) \
        if groups else np.zeros(0, dtype=np.int64)
    answers = np.full((len(strata), len(units), len(dimensions)), NO_ANSWER, dtype=np.int8)
    start = {g: int(sum(sizes.get(x, 0) for x in groups[:h])) for h, g in enumerate(groups)}
    counts: dict[tuple[int, int, str], list[int]] = {}
    unit_at = {u: k for k, u in enumerate(units)}
    dim_at = {d: k for k, d in enumerate(dimensions)}
    for row in bundle.tables["panel_counts.csv"]:
        key = (unit_at[row["unit"]], dim_at[row["dimension"]], row["group"])
        counts.setdefault(key, [0] * len(PANEL_OPTIONS))[PANEL_OPTIONS.index(row["option"])] += int(row["count"])
    for (k, d, group), per_option in counts.items():
        if sum(per_option) > sizes.get(group, 0):
            raise BundleError("bundle.bad_counts", "{unit}: more panel answers for group {group} than questionnaires",
                              unit=units[k], group=group)
        column = np.repeat(np.arange(len(PANEL_OPTIONS), dtype=np.int8), per_option)
        answers[start[group]:start[group] + len(column), k, d] = column
    return strata, answers


def inputs_from(bundle: Bundle) -> ScoringInputs:
    """The scoring inputs a bundle describes (core.scoring.score gives the published figures from them)."""
    scheme = bundle.scheme
    units = [u["code"] for u in scheme["units"]]
    dimensions, groups = list(scheme["dimensions"]), list(scheme["groups"])
    unit_at = {u: k for k, u in enumerate(units)}
    strata, answers = _panel_answers(bundle, units, dimensions, groups)
    votes = np.zeros((len(units), len(OPTIONS)), dtype=np.int64)
    set_aside = np.zeros(len(units), dtype=np.int64)
    for row in bundle.tables["poll_counts.csv"]:
        votes[unit_at[row["unit"]]] = [int(row[o]) for o in OPTIONS]
        set_aside[unit_at[row["unit"]]] = int(row["set_aside"])
    media: list[list[MediaFacts]] = [[] for _ in units]
    for row in bundle.tables["media_cases.csv"]:
        media[unit_at[row["unit"]]].append(MediaFacts(
            f"{row['unit']}-{row['case']}", _parse_day(row["exposed_on"]), _parse_day(row["answered_on"]),
            row["status"], row["satisfaction"] or None))
    complaints: list[list[complaint_rules.Facts]] = [[] for _ in units]
    for row in bundle.tables["complaints.csv"]:
        complaints[unit_at[row["unit"]]].append(complaint_rules.Facts(
            _parse_day(row["received_on"]), _parse_day(row["acknowledged_on"]), _parse_day(row["closed_on"]),
            row["follow_up"] or None))
    visits = np.zeros(len(units), dtype=np.int64)
    for row in bundle.tables["inspections.csv"]:
        visits[unit_at[row["unit"]]] = int(row["visits"])
    findings: list[list[FindingFacts]] = [[] for _ in units]
    for row in bundle.tables["findings.csv"]:
        findings[unit_at[row["unit"]]].append(FindingFacts(int(row["finding"]), row["severity"], row["dimension"], ""))
    daily = np.full(len(units), np.nan)
    for row in bundle.tables["daily_scores.csv"]:
        daily[unit_at[row["unit"]]] = float(row["score"])
    overrides: dict[str, list[list[str]]] = {VETO: [[] for _ in units], REJECTED: [[] for _ in units]}
    for row in bundle.tables["overrides.csv"]:
        overrides[row["kind"]][unit_at[row["unit"]]].append(row["reason"])
    return ScoringInputs(
        units=tuple(UnitRef(u["code"], u["name"], u["category"]) for u in scheme["units"]),
        dimensions=tuple(dimensions), groups=tuple(groups),
        population={row["group"]: int(row["pool_size"]) for row in bundle.tables["panel_groups.csv"]},
        respondent_groups=strata, answers=answers, votes=votes, votes_set_aside=set_aside,
        media=tuple(tuple(m) for m in media), visits=visits, findings=tuple(tuple(f) for f in findings),
        daily=daily, vetoes=tuple(tuple(v) for v in overrides[VETO]),
        rejections=tuple(tuple(r) for r in overrides[REJECTED]), as_of=date.fromisoformat(scheme["as_of"]),
        complaints=tuple(tuple(c) for c in complaints))


# ------------------------------------------------------------------------------ the zip


def _csv(name: str, rows: list[dict]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=COLUMNS[name], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _json(value) -> bytes:
    return (json.dumps(value, ensure_ascii=False, sort_keys=True, indent=1) + "\n").encode("utf-8")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def pack(bundle: Bundle) -> bytes:
    """The zip: sorted entries, fixed timestamps and permissions; the manifest lists every other file's SHA-256."""
    files = {SCHEME: _json(bundle.scheme), **{name: _csv(name, bundle.tables[name]) for name in COLUMNS}}
    manifest = {**bundle.manifest, "format": FORMAT,
                "files": {name: sha256(data) for name, data in sorted(files.items())}}
    files[MANIFEST] = _json(manifest)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name in sorted(files):
            info = zipfile.ZipInfo(name, date_time=ZIP_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            archive.writestr(info, files[name], compresslevel=9)
    return out.getvalue()


def unpack(data: bytes) -> Bundle:
    """Read a bundle, refusing one whose files do not match its manifest (BundleError, one line)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            files = {info.filename: archive.read(info) for info in archive.infolist() if not info.is_dir()}
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, NotImplementedError) as error:
        raise BundleError("bundle.unreadable", "not a readable bundle ({error})", error=str(error)) from error
    if MANIFEST not in files:
        raise BundleError("bundle.no_manifest", "the bundle has no {name}", name=MANIFEST)
    try:
        manifest = json.loads(files[MANIFEST])
        listed = dict(manifest["files"])
    except (ValueError, KeyError, TypeError) as error:
        raise BundleError("bundle.bad_manifest", "the manifest cannot be read ({error})", error=str(error)) from error
    if manifest.get("format") != FORMAT:
        raise BundleError("bundle.format", "unknown bundle format {format!r}; this verifier reads {expected}",
                          format=str(manifest.get("format")), expected=FORMAT)
    expected = {SCHEME, *COLUMNS}
    present = set(files) - {MANIFEST}
    if set(listed) != expected or present != expected:
        odd = sorted((set(listed) | present) ^ expected | (set(listed) ^ present))
        raise BundleError("bundle.files", "the bundle's files do not match its manifest: {files}", files=", ".join(odd))
    wrong = sorted(name for name in expected if sha256(files[name]) != listed[name])
    if wrong:
        raise BundleError("bundle.hash", "SHA-256 does not match the manifest for {files}", files=", ".join(wrong))
    try:
        scheme = json.loads(files[SCHEME])
        parsed = {name: list(csv.DictReader(io.StringIO(files[name].decode("utf-8")))) for name in COLUMNS}
    except (ValueError, UnicodeDecodeError, csv.Error) as error:
        raise BundleError("bundle.unreadable", "not a readable bundle ({error})", error=str(error)) from error
    return Bundle(scheme=scheme, tables=parsed, manifest=manifest)


# ------------------------------------------------------------------------------ comparing


def _same_figure(published: str, recomputed, decimals: int) -> bool:
    mine = figure(recomputed, decimals)
    if mine == published:
        return True
    # A float sum in another order can land a hair on the other side of a rounding tie.
    if not (published and mine):
        return False
    try:
        return abs(float(published) - float(recomputed)) <= 0.5 * 10**-decimals + 1e-9
    except ValueError:
        return False


def differences(published: list[dict], recomputed: list[dict], decimals: int = DECIMALS) -> dict[str, list[str]]:
    """Per unit code, what differs ("total: published 85.12, recomputed 86.40"); units that match are absent."""
    mine = {u["code"]: u for u in recomputed}
    out: dict[str, list[str]] = {}
    for row in published:
        code = row["unit"]
        unit = mine.get(code)
        if unit is None:
            out[code] = ["not in the recomputed result"]
            continue
        problems = []
        for method in METHODS:
            if not _same_figure(row[method], unit["components"].get(method), decimals):
                problems.append(f"{method}: published {row[method] or '—'}, "
                                f"recomputed {figure(unit['components'].get(method), decimals) or '—'}")
        if not _same_figure(row["total"], unit["total"], decimals):
            problems.append(f"total: published {row['total'] or '—'}, recomputed {figure(unit['total'], decimals)}")
        for key in ("grade", "rank", "rank_low", "rank_high"):
            theirs, ours = str(row[key]), "" if unit.get(key) is None else str(unit[key])
            if theirs != ours:
                problems.append(f"{key}: published {theirs or '—'}, recomputed {ours or '—'}")
        if problems:
            out[code] = problems
    for code in mine.keys() - {row["unit"] for row in published}:
        out[code] = ["recomputed but not published"]
    return out
