"""Made-up scoring inputs of any size, for core tests and benchmarks (seeded, pure)."""

from __future__ import annotations

import tomllib
from copy import deepcopy
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from core.scoring import FindingFacts, MediaFacts, ScoringInputs, UnitRef

SCHEME = Path(__file__).resolve().parents[2] / "db" / "schemes" / "2017.toml"
with open(SCHEME, "rb") as handle:
    _SCHEME = tomllib.load(handle)
SETTINGS = _SCHEME["settings"]
DIMENSIONS = tuple(d["code"] for d in _SCHEME["dimensions"])
GROUPS = tuple(g["code"] for g in _SCHEME["reviewer_groups"])
CATEGORIES = (("economic_social", 18), ("urban_enforcement", 11), ("public_service", 8))


def settings(**changes) -> dict:
    """The scheme's settings with `group={key: value}` changes applied."""
    out = deepcopy(SETTINGS)
    for group, values in changes.items():
        out[group] = {**out.get(group, {}), **values}
    return out


def make_inputs(seed: int = 1, *, reviewers: int = 200, categories=CATEGORIES, unknown: float = 0.05,
                votes: int = 100_000, media: int = 60, visits: int = 80) -> ScoringInputs:
    rng = np.random.default_rng(seed)
    units = tuple(UnitRef(f"{c[:2]}{k + 1:02d}", f"单位{c[:2]}{k + 1:02d}", c) for c, n in categories for k in range(n))
    n_units, n_dims = len(units), len(DIMENSIONS)
    population = {g: int(n) for g, n in zip(GROUPS, (700, 150, 150, 300, 400, 300))}
    shares = np.array(list(population.values()), dtype=float)
    groups = np.sort(rng.choice(len(GROUPS), size=reviewers, p=shares / shares.sum()))
    quality = rng.normal(0, 1, n_units)
    lean = rng.normal(0, 0.3, len(GROUPS))
    latent = quality[None, :, None] + lean[groups][:, None, None] + rng.normal(0, 1, (reviewers, n_units, n_dims))
    answers = np.where(latent > 0.3, 0, np.where(latent > -0.8, 1, 2)).astype(np.int8)
    answers[rng.random(answers.shape) < unknown] = 3
    weight = rng.dirichlet(np.ones(n_units) * 2)
    unit_of_vote = rng.choice(n_units, size=votes, p=weight)
    p_good = 1 / (1 + np.exp(-quality))
    option = np.where(rng.random(votes) < p_good[unit_of_vote], 0, rng.choice([1, 2], size=votes))
    vote_counts = np.zeros((n_units, 3), dtype=np.int64)
    np.add.at(vote_counts, (unit_of_vote, option), 1)
    start = date(2017, 1, 2)
    cases = [[] for _ in range(n_units)]
    for k in range(media):
        u = int(rng.integers(n_units))
        exposed = start + timedelta(days=int(rng.integers(0, 300)))
        answered = exposed + timedelta(days=int(rng.integers(1, 15))) if rng.random() < 0.85 else None
        status = "open" if answered is None else ("resolved" if rng.random() < 0.6 else "answered")
        rating = rng.choice(["satisfied", "basically_satisfied", "dissatisfied", None]) if answered else None
        cases[u].append(MediaFacts(f"M{k}", exposed, answered, status, rating))
    visit_counts = np.bincount(rng.integers(0, n_units, visits), minlength=n_units)
    findings = [tuple(FindingFacts(u * 100 + j, str(rng.choice(["minor", "general", "serious"])),
                                   DIMENSIONS[int(rng.integers(n_dims))], f"问题{j}")
                      for j in range(int(rng.poisson(1.0)) if visit_counts[u] else 0)) for u in range(n_units)]
    return ScoringInputs(
        units=units, dimensions=DIMENSIONS, groups=GROUPS, population=population, respondent_groups=groups,
        answers=answers, votes=vote_counts, votes_set_aside=np.zeros(n_units, dtype=np.int64),
        media=tuple(tuple(c) for c in cases), visits=visit_counts, findings=tuple(findings),
        daily=np.clip(rng.normal(85, 6, n_units), 0, 100), vetoes=tuple(() for _ in units),
        rejections=tuple(() for _ in units), as_of=date(2017, 12, 31))
