"""Stratified sampling of the reviewer panel: allocation, seeded draw, replacements, audit.

The year-end panel (集中评议) draws 200 reviewers from a pool of about 2,000 people in
six groups. The draw decides who judges whom, so anyone must be able to redo it and get
the same people. Everything here is therefore a pure function of its arguments:

- `allocate` splits the sample size over the strata (proportional or Neyman), with
  exact largest-remainder rounding so that the result never depends on float noise.
- `draw` ranks every person by SHA-256 of `ALGORITHM_VERSION|seed|stratum|id` and takes
  the first n_h of each stratum. The rank depends only on the person, never on the row
  order of the pool, so a re-run from a published seed and pool reproduces the draw.
- `reserve_order` / `next_replacement` continue the same ranking, so replacements are
  as verifiable as the draw itself.
- `seed_from_public_value`, `seed_digest`, `pool_hash` and `compare_draws` are what an
  auditor needs to check a published draw without seeing personal data.

Every text that enters a hash is `str(value)` normalised to Unicode NFC, because the
same name typed on two machines may arrive composed or decomposed.
"""

from __future__ import annotations

import hashlib
import math
import numbers
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping
from fractions import Fraction

import numpy as np
import pandas as pd

# Part of every hashed string: changing the ranking rule must change this value, so
# that an old draw is never silently re-checked against a new rule.
ALGORITHM_VERSION = "sha256-rank-v1"

METHODS = ("proportional", "neyman")


# --------------------------------------------------------------------------- allocation


def allocate(
    sizes: Mapping[Hashable, int],
    n: int,
    *,
    method: str = "proportional",
    minimum: int = 2,
    sd: Mapping[Hashable, float] | None = None,
) -> dict[Hashable, int]:
    """Split a sample of `n` over strata of population `sizes` (stratum -> N_h).

    `proportional` targets n·N_h/N; `neyman` targets n·N_h·S_h/Σ N·S with `sd`
    giving S_h. Each stratum gets at least min(minimum, N_h) and at most N_h; when a
    target breaks a bound the stratum is fixed at that bound and the rest of the
    sample is shared again among the others in proportion to their weights. Targets
    are rounded by largest remainder, ties going to the larger remainder, then the
    larger N_h, then the stratum key sorted as a string. The result sums to exactly
    `n` and keeps the key order of `sizes`; a stratum with N_h = 0 gets 0.

    If every S_h is 0 the Neyman weights are all zero and carry no information, so
    the allocation falls back to proportional (more generally: whenever the strata
    still to be shared all have weight 0, they share in proportion to N_h).

    Raises ValueError, saying why, when the request cannot be met.
    """
    _check_count(n, "n")
    _check_count(minimum, "minimum")
    for key, size in sizes.items():
        if not _is_int(size) or size < 0:
            raise ValueError(f"size of stratum {key!r} must be a non-negative integer, got {size!r}")
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; valid methods: {', '.join(METHODS)}")
    if not sizes:
        if n > 0:
            raise ValueError(f"cannot allocate n={n} over empty sizes: there are no strata")
        return {}
    total = sum(int(size) for size in sizes.values())
    if n > total:
        raise ValueError(f"n={n} is larger than the total population {total}")
    floors = {key: min(minimum, int(size)) for key, size in sizes.items()}
    if sum(floors.values()) > n:
        raise ValueError(
            f"sum of minimums {sum(floors.values())} (minimum={minimum} per stratum) is larger than n={n}"
        )

    caps = {key: int(size) for key, size in sizes.items()}
    if method == "neyman":
        weights = {key: caps[key] * _sd_value(sd, key) for key in sizes}
    else:
        weights = {key: Fraction(caps[key]) for key in sizes}

    quotas = _bounded_quotas(weights, caps, floors, n)
    return _round_largest_remainder(quotas, caps, n)


def _bounded_quotas(
    weights: dict[Hashable, Fraction],
    caps: dict[Hashable, int],
    floors: dict[Hashable, int],
    n: int,
) -> dict[Hashable, Fraction]:
    """Exact proportional quotas clipped to [floor, cap], summing to n.

    Each round shares what is left among the free strata, then fixes one side of the
    violators: the caps if the total excess over caps is larger than the total
    shortfall below floors, else the floors. Fixing only the larger side is what keeps
    the iteration right: clipping everything at once would leave the total short (or
    long), which means the common factor must grow (or shrink), and then only the
    larger side is certain to stay clipped. Each round fixes at least one stratum.
    """
    # Empty strata take no part in the sharing; they get their cap, which is 0.
    fixed: dict[Hashable, Fraction] = {k: Fraction(0) for k, cap in caps.items() if cap == 0}
    free = [k for k in caps if k not in fixed]
    while True:
        left = n - sum(fixed.values())
        weight = {k: weights[k] for k in free}
        if sum(weight.values()) == 0:
            weight = {k: Fraction(caps[k]) for k in free}
        total_weight = sum(weight.values())
        quota = {k: left * weight[k] / total_weight for k in free} if free else {}
        over = [k for k in free if quota[k] > caps[k]]
        under = [k for k in free if quota[k] < floors[k]]
        if not over and not under:
            fixed.update(quota)
            break
        excess = sum(quota[k] - caps[k] for k in over)
        shortfall = sum(floors[k] - quota[k] for k in under)
        if excess >= shortfall:
            fixed.update({k: Fraction(caps[k]) for k in over})
        if shortfall >= excess:
            fixed.update({k: Fraction(floors[k]) for k in under})
        free = [k for k in free if k not in fixed]
    return {k: fixed[k] for k in caps}


def _round_largest_remainder(
    quotas: dict[Hashable, Fraction], caps: dict[Hashable, int], n: int
) -> dict[Hashable, int]:
    result = {k: math.floor(q) for k, q in quotas.items()}
    seats_left = n - sum(result.values())
    ranked = sorted(quotas, key=lambda k: (-(quotas[k] - result[k]), -caps[k], str(k)))
    # Quotas are exact, so the leftover seats are fewer than the strata with a
    # positive remainder; a rounded-up stratum therefore never passes its cap.
    for key in ranked[:seats_left]:
        result[key] += 1
    return result


def _sd_value(sd: Mapping[Hashable, float] | None, key: Hashable) -> Fraction:
    if sd is None:
        raise ValueError("method 'neyman' needs sd: a standard deviation S_h for every stratum")
    if key not in sd:
        raise ValueError(f"sd is missing stratum {key!r}; neyman needs S_h for every stratum")
    value = sd[key]
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"sd of stratum {key!r} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value) or value < 0:
        raise ValueError(f"sd of stratum {key!r} must be finite and non-negative, got {value!r}")
    return Fraction(value)


def _is_int(value: object) -> bool:
    # bool is an Integral, but True as a sample size is a bug, not a request.
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _check_count(value: object, name: str) -> None:
    if not _is_int(value):
        raise ValueError(f"{name} must be an int, got {value!r}")
    if value < 0:
        raise ValueError(f"{name} must not be negative, got {value}")


# -------------------------------------------------------------------------------- draw


def rank_key(seed: str | int, stratum_value: object, person_id: object) -> str:
    """The hex SHA-256 that orders one person within their stratum.

    Public so that an auditor can recompute a single person's key by hand.
    """
    return _hash_key(_seed_text(seed), _text(stratum_value), _text(person_id))


def _hash_key(seed_text: str, stratum_text: str, id_text: str) -> str:
    text = f"{ALGORITHM_VERSION}|{seed_text}|{stratum_text}|{id_text}"
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def draw(
    pool: pd.DataFrame,
    allocation: Mapping[Hashable, int],
    *,
    seed: str | int,
    stratum: str = "group",
    id: str = "id",
) -> pd.DataFrame:
    """Draw allocation[h] people from each stratum h of `pool`.

    Returns the drawn rows with every original column plus `design_weight`
    (N_h/n_h, N_h counted in the pool) and `draw_order` (1..n_h), sorted by stratum
    then draw_order. The same pool and seed give the same people whatever the row
    order of the pool. A stratum absent from the pool may appear in `allocation`
    only with 0, which is what `allocate` gives an empty stratum.
    """
    for name in ("design_weight", "draw_order"):
        if name in pool.columns:
            raise ValueError(f"pool already has a column {name!r}, which draw adds")
    ranked, rank = _ranked(pool, seed=seed, stratum=stratum, id=id)
    counts = ranked[stratum].value_counts()
    for key, n_h in allocation.items():
        if not _is_int(n_h) or n_h < 0:
            raise ValueError(f"allocation of stratum {key!r} must be a non-negative integer, got {n_h!r}")
        available = int(counts.get(key, 0))
        if key not in counts.index and n_h > 0:
            raise ValueError(f"allocation names stratum {key!r}, which is not in the pool")
        if n_h > available:
            raise ValueError(f"allocation asks {n_h} from stratum {key!r}, which has only {available} people")

    wanted = ranked[stratum].map(lambda value: allocation.get(value, 0)).to_numpy(dtype=int)
    chosen = rank <= wanted
    drawn = ranked.iloc[np.flatnonzero(chosen)].copy()
    population = drawn[stratum].map(counts).to_numpy(dtype=float)
    drawn["design_weight"] = population / wanted[chosen]
    drawn["draw_order"] = rank[chosen]
    return _sorted_by_stratum(drawn, stratum, "draw_order")


def reserve_order(
    pool: pd.DataFrame,
    drawn_ids: Iterable[object],
    *,
    seed: str | int,
    stratum: str = "group",
    id: str = "id",
) -> pd.DataFrame:
    """The people not drawn, per stratum, in the seeded order that the draw continues.

    Adds `reserve_rank` (1.. within stratum); sorted by stratum then reserve_rank.
    """
    if "reserve_rank" in pool.columns:
        raise ValueError("pool already has a column 'reserve_rank', which reserve_order adds")
    ranked, _ = _ranked(pool, seed=seed, stratum=stratum, id=id)
    taken = _known_ids(ranked, drawn_ids, id=id, what="drawn")
    reserve = ranked.iloc[np.flatnonzero(~ranked[id].map(_text).isin(taken).to_numpy())].copy()
    reserve["reserve_rank"] = (reserve.groupby(stratum, sort=False).cumcount() + 1).to_numpy()
    return _sorted_by_stratum(reserve, stratum, "reserve_rank")


def next_replacement(
    pool: pd.DataFrame,
    *,
    seed: str | int,
    stratum_value: object,
    excluded_ids: Iterable[object],
    stratum: str = "group",
    id: str = "id",
) -> object:
    """The id of the next person of `stratum_value` in the seeded order not in `excluded_ids`.

    `excluded_ids` must hold everyone already drawn, replaced or declined; the
    replacement is then always from the same stratum and never someone drawn before.
    """
    ranked, _ = _ranked(pool, seed=seed, stratum=stratum, id=id)
    members = ranked.iloc[np.flatnonzero((ranked[stratum] == stratum_value).to_numpy())]
    if members.empty:
        raise ValueError(f"stratum {stratum_value!r} is not in the pool")
    excluded = _known_ids(ranked, excluded_ids, id=id, what="excluded")
    candidates = members[id].iloc[np.flatnonzero(~members[id].map(_text).isin(excluded).to_numpy())]
    if candidates.empty:
        raise ValueError(f"no reserve left in stratum {stratum_value!r}: everyone is drawn, replaced or declined")
    value = candidates.iloc[0]
    return value.item() if isinstance(value, np.generic) else value


def _ranked(pool: pd.DataFrame, *, seed: str | int, stratum: str, id: str) -> tuple[pd.DataFrame, np.ndarray]:
    """The pool sorted by rank key, and each row's 1-based rank within its stratum."""
    for column in (id, stratum):
        if column not in pool.columns:
            raise ValueError(f"pool has no column {column!r}")
    for column in (id, stratum):
        if pool[column].isna().any():
            raise ValueError(f"pool has empty values in column {column!r}")
    id_text = pool[id].map(_text)
    duplicated = id_text[id_text.duplicated()]
    if not duplicated.empty:
        shown = ", ".join(sorted(set(duplicated))[:5])
        raise ValueError(f"duplicate ids in the pool: {shown}")
    # Two raw values with one text (1 and "1") would share hash input but not a group.
    stratum_text = pool[stratum].map(_text)
    if stratum_text.nunique() != pool[stratum].nunique():
        raise ValueError(f"column {stratum!r} has distinct values that print the same")

    seed_text = _seed_text(seed)
    keys = [_hash_key(seed_text, s, i) for s, i in zip(stratum_text, id_text)]
    order = sorted(range(len(pool)), key=lambda k: keys[k])
    ranked = pool.iloc[order]
    rank = (ranked.groupby(stratum, sort=False).cumcount() + 1).to_numpy(dtype=int)
    return ranked, rank


def _known_ids(ranked: pd.DataFrame, ids: Iterable[object], *, id: str, what: str) -> set[str]:
    # An id the pool does not know means the wrong pool (or wrong list) was passed,
    # which would otherwise yield plausible but wrong reserves.
    wanted = {_text(value) for value in ids}
    unknown = wanted - set(ranked[id].map(_text))
    if unknown:
        shown = ", ".join(sorted(unknown)[:5])
        raise ValueError(f"{what} ids not in the pool: {shown}")
    return wanted


def _sorted_by_stratum(frame: pd.DataFrame, stratum: str, order: str) -> pd.DataFrame:
    try:
        result = frame.sort_values([stratum, order], kind="stable")
    except TypeError:
        # Mixed types in the stratum column cannot be compared; their text can.
        result = frame.sort_values(
            [stratum, order], kind="stable", key=lambda s: s.map(_text) if s.name == stratum else s
        )
    return result.reset_index(drop=True)


# ------------------------------------------------------------------------ verification


def seed_from_public_value(value: str, date: str) -> str:
    """The seed built from a public value (e.g. a lottery result) and its date.

    Each part is stripped and NFKC-normalised (so full-width digits typed on a
    Chinese keyboard give the same seed as ASCII ones), then joined with '|'.
    """
    parts = []
    for name, part in (("value", value), ("date", date)):
        if not isinstance(part, str):
            raise TypeError(f"public {name} must be a string, got {part!r}")
        text = unicodedata.normalize("NFKC", part.strip()).strip()
        if not text:
            raise ValueError(f"public {name} is empty")
        if "|" in text:
            # '|' is the separator; allowing it would let two inputs give one seed.
            raise ValueError(f"public {name} must not contain '|': {text!r}")
        parts.append(text)
    return "|".join(parts)


def seed_digest(seed: str | int) -> str:
    """Hex SHA-256 of the seed (UTF-8): publishable before the seed itself is known."""
    return hashlib.sha256(_seed_text(seed).encode("utf-8")).hexdigest()


def pool_hash(pool: pd.DataFrame, *, columns: tuple[str, ...] = ("id", "group")) -> str:
    """A SHA-256 of the pool's content that does not depend on row order.

    Only id and stratum go in by default, so that the hash can be published with the
    draw without publishing personal data. Recipe: every value as NFC text (empty if
    missing), rows sorted by the listed columns as text (the first, the id, leading),
    a header line of column names, every field in double quotes with inner quotes
    doubled, joined by ',', each line ending in '\\n', UTF-8.
    """
    missing = [c for c in columns if c not in pool.columns]
    if missing:
        raise ValueError(f"pool has no column {', '.join(map(repr, missing))}")
    rows = sorted(
        tuple("" if _is_missing(value) else _text(value) for value in row)
        for row in pool.loc[:, list(columns)].itertuples(index=False, name=None)
    )
    lines = [_csv_line([_text(c) for c in columns])] + [_csv_line(row) for row in rows]
    return hashlib.sha256("".join(lines).encode("utf-8")).hexdigest()


def compare_draws(expected_ids: Iterable[object], actual_ids: Iterable[object]) -> dict:
    """Compare a re-run draw with the recorded one.

    Ids compare as text, so 17 and "17" match. The comparison counts occurrences:
    a person recorded twice shows up in `extra`, since no one may be drawn twice.
    """
    expected = list(expected_ids)
    actual = list(actual_ids)
    want = Counter(_text(v) for v in expected)
    have = Counter(_text(v) for v in actual)
    missing = _take(expected, want - have)
    extra = _take(actual, have - want)
    return {"verified": not missing and not extra, "missing": missing, "extra": extra}


def _take(values: list[object], counts: Counter) -> list[object]:
    # Report the caller's own values (not our text form), in a stable order.
    left = Counter(counts)
    picked = []
    for value in values:
        text = _text(value)
        if left[text] > 0:
            left[text] -= 1
            picked.append(value.item() if isinstance(value, np.generic) else value)
    return sorted(picked, key=_text)


def _csv_line(fields: Iterable[str]) -> str:
    return ",".join('"' + field.replace('"', '""') + '"' for field in fields) + "\n"


def _is_missing(value: object) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA or value is pd.NaT


def _text(value: object) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    return unicodedata.normalize("NFC", str(value))


def _seed_text(seed: str | int) -> str:
    if isinstance(seed, bool) or not isinstance(seed, (str, numbers.Integral)):
        raise TypeError(f"seed must be a string or an int, got {seed!r}")
    text = _text(seed)
    if not text.strip():
        raise ValueError("seed is empty")
    return text


def draw_panel(
    pool: pd.DataFrame,
    n: int,
    *,
    seed: str | int,
    method: str = "proportional",
    minimum: int = 2,
    sd: Mapping[Hashable, float] | None = None,
    strata: Iterable[Hashable] | None = None,
    stratum: str = "group",
    id: str = "id",
) -> tuple[dict[Hashable, int], pd.DataFrame]:
    """The whole procedure: stratum sizes from the pool, the allocation, the draw.

    This is what the app runs and what `python -m db verify-draw` repeats from a
    published pool file, so both must go through this one function. `strata` lists
    strata that may be empty in the pool (they get nobody); by default the pool's own.
    """
    codes = list(strata) if strata is not None else sorted(pool[stratum].unique(), key=_text)
    counts = pool[stratum].value_counts()
    sizes = {code: int(counts.get(code, 0)) for code in codes}
    allocation = allocate(sizes, n, method=method, minimum=minimum, sd=sd)
    return allocation, draw(pool, allocation, seed=seed, stratum=stratum, id=id)
