"""Tests for core.sampling: allocation, seeded draw, replacements, audit helpers."""

from __future__ import annotations

import hashlib

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.sampling import (
    ALGORITHM_VERSION,
    allocate,
    compare_draws,
    draw,
    next_replacement,
    pool_hash,
    rank_key,
    reserve_order,
    seed_digest,
    seed_from_public_value,
)

REFERENCE_SIZES = dict(zip("abcdef", [523, 417, 381, 299, 236, 144]))
GROUPS = ("service_recipient", "npc_deputy", "cppcc_member", "industry_rep", "cadre", "community_cadre")
FAST = settings(max_examples=60, deadline=None)


def make_pool(sizes: dict[str, int]) -> pd.DataFrame:
    rows = []
    for group, size in sizes.items():
        rows += [{"id": f"{group}-{k:04d}", "group": group, "name": f"person {group} {k}"} for k in range(size)]
    return pd.DataFrame(rows)


@pytest.fixture
def pool() -> pd.DataFrame:
    """The 2,000-person reviewer pool of the source, split like the reference vector."""
    return make_pool(dict(zip(GROUPS, REFERENCE_SIZES.values())))


@pytest.fixture
def allocation(pool: pd.DataFrame) -> dict[str, int]:
    return allocate(pool["group"].value_counts().to_dict(), 200)


# ---------------------------------------------------------------------------- allocate


def test_reference_vector():
    result = allocate(REFERENCE_SIZES, 200)
    assert list(result.values()) == [52, 42, 38, 30, 24, 14]


def test_result_keeps_key_order():
    sizes = {"z": 10, "a": 30, "m": 20}
    assert list(allocate(sizes, 12)) == ["z", "a", "m"]


def test_neyman_by_hand():
    # weights N·S: 1000, 1000, 600 of 2600; 60 seats -> 23.08, 23.08, 13.85 -> c rounds up.
    sizes = {"a": 100, "b": 200, "c": 300}
    sd = {"a": 10.0, "b": 5.0, "c": 2.0}
    assert allocate(sizes, 60, method="neyman", sd=sd) == {"a": 23, "b": 23, "c": 14}


def test_neyman_remainder_tie_goes_to_larger_stratum():
    # 27 seats -> 10.38, 10.38, 6.23: a and b tie on remainder; b is larger.
    sizes = {"a": 100, "b": 200, "c": 300}
    sd = {"a": 10, "b": 5, "c": 2}
    assert allocate(sizes, 27, method="neyman", sd=sd) == {"a": 10, "b": 11, "c": 6}


def test_full_tie_goes_to_key_sorted_as_string():
    assert allocate({"b": 10, "a": 10}, 1, minimum=0) == {"b": 0, "a": 1}


def test_neyman_all_sd_zero_is_proportional():
    sd = dict.fromkeys(REFERENCE_SIZES, 0.0)
    assert allocate(REFERENCE_SIZES, 200, method="neyman", sd=sd) == allocate(REFERENCE_SIZES, 200)


def test_capped_stratum_excess_goes_to_the_others():
    sizes = {"a": 3, "b": 100, "c": 100}
    sd = {"a": 100, "b": 1, "c": 1}
    assert allocate(sizes, 50, method="neyman", sd=sd) == {"a": 3, "b": 24, "c": 23}


def test_floor_wins_over_cap_when_both_bind():
    # Fixing the caps first would give a and b 10 each and leave c below its minimum.
    sizes = {"a": 10, "b": 10, "c": 100}
    sd = {"a": 1000, "b": 1000, "c": 0.001}
    assert allocate(sizes, 26, method="neyman", minimum=8, sd=sd) == {"a": 9, "b": 9, "c": 8}


def test_minimum_lifts_small_strata():
    assert allocate({"big": 1000, "small": 5}, 10, minimum=2) == {"big": 8, "small": 2}


def test_empty_stratum_gets_zero():
    assert allocate({"a": 50, "empty": 0, "b": 50}, 10) == {"a": 5, "empty": 0, "b": 5}


def test_empty_sizes_with_zero_n():
    assert allocate({}, 0) == {}


def test_whole_population():
    assert allocate(REFERENCE_SIZES, 2000) == REFERENCE_SIZES


@st.composite
def allocation_requests(draw_, *, method: str):
    sizes_list = draw_(st.lists(st.integers(0, 500), min_size=1, max_size=8))
    sizes = {f"s{k}": size for k, size in enumerate(sizes_list)}
    minimum = draw_(st.integers(0, 5))
    low = sum(min(minimum, size) for size in sizes.values())
    n = draw_(st.integers(low, sum(sizes.values())))
    sd = None
    if method == "neyman":
        values = st.floats(0, 100, allow_nan=False, allow_infinity=False)
        sd = {key: draw_(values) for key in sizes}
    return sizes, n, minimum, sd


@FAST
@given(allocation_requests(method="proportional"))
def test_proportional_sum_and_bounds(request_):
    sizes, n, minimum, _ = request_
    result = allocate(sizes, n, minimum=minimum)
    assert sum(result.values()) == n
    assert all(min(minimum, sizes[k]) <= a <= sizes[k] for k, a in result.items())


@FAST
@given(allocation_requests(method="neyman"))
def test_neyman_sum_and_bounds(request_):
    sizes, n, minimum, sd = request_
    result = allocate(sizes, n, method="neyman", minimum=minimum, sd=sd)
    assert sum(result.values()) == n
    assert all(min(minimum, sizes[k]) <= a <= sizes[k] for k, a in result.items())


@FAST
@given(allocation_requests(method="proportional"))
def test_proportional_without_minimum_is_within_one_of_quota(request_):
    sizes, n, _, _ = request_
    total = max(sum(sizes.values()), 1)
    result = allocate(sizes, n, minimum=0)
    assert all(abs(a - n * sizes[k] / total) < 1 for k, a in result.items())


@pytest.mark.parametrize(
    ("kwargs", "word"),
    [
        ({"sizes": {"a": 10}, "n": 11}, "larger than the total"),
        ({"sizes": {"a": 10}, "n": -1}, "negative"),
        ({"sizes": {"a": 10}, "n": 2.0}, "int"),
        ({"sizes": {"a": 10}, "n": True}, "int"),
        ({"sizes": {"a": 10, "b": 10, "c": 10}, "n": 5}, "minimums"),
        ({"sizes": {"a": -1}, "n": 0}, "non-negative integer"),
        ({"sizes": {"a": 2.5}, "n": 1}, "non-negative integer"),
        ({"sizes": {"a": 10}, "n": 2, "method": "optimal"}, "unknown method"),
        ({"sizes": {"a": 10}, "n": 2, "method": "neyman"}, "needs sd"),
        ({"sizes": {"a": 10, "b": 10}, "n": 4, "method": "neyman", "sd": {"a": 1}}, "missing"),
        ({"sizes": {"a": 10}, "n": 2, "method": "neyman", "sd": {"a": -1}}, "non-negative"),
        ({"sizes": {"a": 10}, "n": 2, "method": "neyman", "sd": {"a": float("nan")}}, "finite"),
        ({"sizes": {}, "n": 1}, "empty"),
        ({"sizes": {"a": 10}, "n": 2, "minimum": -1}, "minimum"),
    ],
)
def test_impossible_requests_say_why(kwargs, word):
    with pytest.raises(ValueError, match=word):
        allocate(**kwargs)


# -------------------------------------------------------------------------------- draw


def test_draw_is_deterministic(pool, allocation):
    first = draw(pool, allocation, seed="2017-12-01")
    second = draw(pool, allocation, seed="2017-12-01")
    pd.testing.assert_frame_equal(first, second)


def test_draw_ignores_row_order(pool, allocation):
    shuffled = pool.sample(frac=1, random_state=7)
    first = draw(pool, allocation, seed="s")
    second = draw(shuffled, allocation, seed="s")
    pd.testing.assert_frame_equal(first, second)


def test_different_seeds_give_different_draws(pool, allocation):
    first = set(draw(pool, allocation, seed="seed-1")["id"])
    second = set(draw(pool, allocation, seed="seed-2")["id"])
    assert first != second


def test_int_seed_is_its_text(pool, allocation):
    pd.testing.assert_frame_equal(draw(pool, allocation, seed=42), draw(pool, allocation, seed="42"))


def test_no_one_twice(pool, allocation):
    drawn = draw(pool, allocation, seed="s")
    assert drawn["id"].is_unique
    assert len(drawn) == 200


def test_draw_respects_allocation(pool, allocation):
    drawn = draw(pool, allocation, seed="s")
    assert drawn["group"].value_counts().to_dict() == allocation


def test_design_weights(pool, allocation):
    drawn = draw(pool, allocation, seed="s")
    sizes = pool["group"].value_counts()
    for group, rows in drawn.groupby("group"):
        assert (rows["design_weight"] == sizes[group] / allocation[group]).all()
    assert drawn["design_weight"].sum() == pytest.approx(len(pool))


def test_output_keeps_columns_and_is_sorted(pool, allocation):
    drawn = draw(pool, allocation, seed="s")
    assert list(drawn.columns) == ["id", "group", "name", "design_weight", "draw_order"]
    assert drawn.equals(drawn.sort_values(["group", "draw_order"]).reset_index(drop=True))
    for group, rows in drawn.groupby("group"):
        assert list(rows["draw_order"]) == list(range(1, allocation[group] + 1))


def test_draw_takes_smallest_rank_keys(pool):
    drawn = draw(pool, {"cadre": 3}, seed="s")
    cadres = pool[pool["group"] == "cadre"]
    expected = sorted(cadres["id"], key=lambda i: rank_key("s", "cadre", i))[:3]
    assert list(drawn["id"]) == expected


def test_rank_key_recipe():
    text = f"{ALGORITHM_VERSION}|s|cadre|cadre-0001"
    assert rank_key("s", "cadre", "cadre-0001") == hashlib.sha256(text.encode()).hexdigest()
    assert ALGORITHM_VERSION == "sha256-rank-v1"


def test_empty_stratum_in_allocation_is_allowed(pool):
    drawn = draw(pool, {"cadre": 2, "nobody": 0}, seed="s")
    assert len(drawn) == 2


def test_duplicate_ids_refused(pool):
    doubled = pd.concat([pool, pool.head(1)])
    with pytest.raises(ValueError, match="duplicate"):
        draw(doubled, {"cadre": 1}, seed="s")


def test_unknown_stratum_refused(pool):
    with pytest.raises(ValueError, match="not in the pool"):
        draw(pool, {"martians": 1}, seed="s")


def test_more_than_the_stratum_has_refused(pool):
    with pytest.raises(ValueError, match="only 144"):
        draw(pool, {"community_cadre": 145}, seed="s")


def test_missing_column_refused(pool):
    with pytest.raises(ValueError, match="no column"):
        draw(pool, {"cadre": 1}, seed="s", stratum="category")


def test_other_column_names(pool):
    renamed = pool.rename(columns={"id": "reviewer_id", "group": "stratum"})
    drawn = draw(renamed, {"cadre": 5}, seed="s", stratum="stratum", id="reviewer_id")
    assert list(drawn["reviewer_id"]) == list(draw(pool, {"cadre": 5}, seed="s")["id"])


@st.composite
def pools_and_allocations(draw_):
    sizes = draw_(st.lists(st.integers(1, 40), min_size=1, max_size=5))
    ids = draw_(st.lists(st.integers(0, 10**6), min_size=sum(sizes), max_size=sum(sizes), unique=True))
    groups = [f"g{k}" for k, size in enumerate(sizes) for _ in range(size)]
    pool = pd.DataFrame({"id": ids, "group": groups})
    allocation = {f"g{k}": draw_(st.integers(0, size)) for k, size in enumerate(sizes)}
    seed = draw_(st.text(min_size=1, max_size=10).filter(str.strip))
    permutation = draw_(st.permutations(range(len(pool))))
    return pool, allocation, seed, permutation


@FAST
@given(pools_and_allocations())
def test_draw_properties(case):
    pool, allocation, seed, permutation = case
    drawn = draw(pool, allocation, seed=seed)
    assert drawn["id"].is_unique
    assert set(drawn["id"]) <= set(pool["id"])
    counts = drawn["group"].value_counts()
    assert all(counts.get(group, 0) == n_h for group, n_h in allocation.items())
    sizes = pool["group"].value_counts()
    expected = [sizes[group] / allocation[group] for group in drawn["group"]]
    assert list(drawn["design_weight"]) == expected
    shuffled = pool.iloc[list(permutation)]
    assert list(draw(shuffled, allocation, seed=seed)["id"]) == list(drawn["id"])


# ------------------------------------------------------------------------ replacements


def test_reserve_continues_the_ranking(pool):
    full = draw(pool, {"cadre": 236}, seed="s")
    drawn = draw(pool, {"cadre": 10}, seed="s")
    reserve = reserve_order(pool, drawn["id"], seed="s")
    cadres = reserve[reserve["group"] == "cadre"]
    assert list(cadres["id"]) == list(full["id"][10:])
    assert list(cadres["reserve_rank"]) == list(range(1, 227))


def test_reserve_excludes_drawn_and_covers_the_rest(pool, allocation):
    drawn = draw(pool, allocation, seed="s")
    reserve = reserve_order(pool, drawn["id"], seed="s")
    assert not set(reserve["id"]) & set(drawn["id"])
    assert len(reserve) + len(drawn) == len(pool)


def test_replacement_from_same_stratum_never_drawn(pool, allocation):
    drawn = draw(pool, allocation, seed="s")
    declined = drawn[drawn["group"] == "npc_deputy"]["id"].iloc[0]
    new = next_replacement(pool, seed="s", stratum_value="npc_deputy", excluded_ids=drawn["id"])
    assert new not in set(drawn["id"])
    assert pool.set_index("id").loc[new, "group"] == "npc_deputy"
    assert new != declined


def test_replacement_is_first_reserve(pool, allocation):
    drawn = draw(pool, allocation, seed="s")
    reserve = reserve_order(pool, drawn["id"], seed="s")
    first = reserve[reserve["group"] == "cadre"]["id"].iloc[0]
    assert next_replacement(pool, seed="s", stratum_value="cadre", excluded_ids=drawn["id"]) == first


def test_replacements_follow_one_another(pool, allocation):
    excluded = list(draw(pool, allocation, seed="s")["id"])
    reserve = reserve_order(pool, excluded, seed="s")
    for expected in reserve[reserve["group"] == "cadre"]["id"].head(3):
        new = next_replacement(pool, seed="s", stratum_value="cadre", excluded_ids=excluded)
        assert new == expected
        excluded.append(new)


def test_replacement_exhausted():
    small = make_pool({"cadre": 3, "npc_deputy": 5})
    cadres = small[small["group"] == "cadre"]["id"]
    with pytest.raises(ValueError, match="no reserve left"):
        next_replacement(small, seed="s", stratum_value="cadre", excluded_ids=cadres)


def test_replacement_unknown_stratum(pool):
    with pytest.raises(ValueError, match="not in the pool"):
        next_replacement(pool, seed="s", stratum_value="martians", excluded_ids=[])


def test_excluded_id_from_another_pool_refused(pool):
    with pytest.raises(ValueError, match="not in the pool"):
        next_replacement(pool, seed="s", stratum_value="cadre", excluded_ids=["stranger"])


def test_int_ids_come_back_as_python_ints():
    small = pd.DataFrame({"id": [10, 20, 30], "group": ["a", "a", "a"]})
    new = next_replacement(small, seed="s", stratum_value="a", excluded_ids=[10])
    assert type(new) is int


# ------------------------------------------------------------------------ verification


def test_seed_digest_known_value():
    assert seed_digest("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_seed_from_public_value_normalises():
    assert seed_from_public_value("  ０３ １２ ２５ ", " 2017-12-01\n") == "03 12 25|2017-12-01"


def test_seed_from_public_value_refuses_separator_and_empty():
    with pytest.raises(ValueError, match="must not contain"):
        seed_from_public_value("1|2", "2017-12-01")
    with pytest.raises(ValueError, match="empty"):
        seed_from_public_value("   ", "2017-12-01")


def test_pool_hash_ignores_row_order(pool):
    assert pool_hash(pool) == pool_hash(pool.sample(frac=1, random_state=3))


def test_pool_hash_changes_when_one_group_changes(pool):
    changed = pool.copy()
    changed.loc[0, "group"] = "cadre"
    assert pool_hash(changed) != pool_hash(pool)


def test_pool_hash_ignores_personal_data(pool):
    renamed = pool.assign(name="someone else")
    assert pool_hash(renamed) == pool_hash(pool)


def test_pool_hash_recipe():
    small = pd.DataFrame({"id": ["b", "a"], "group": ["x", 'y"z']})
    text = '"id","group"\n"a","y""z"\n"b","x"\n'
    assert pool_hash(small) == hashlib.sha256(text.encode()).hexdigest()


def test_pool_hash_is_nfc():
    composed = pd.DataFrame({"id": ["\u00e9"], "group": ["g"]})
    decomposed = pd.DataFrame({"id": ["e\u0301"], "group": ["g"]})
    assert pool_hash(composed) == pool_hash(decomposed)


def test_compare_draws_verified():
    assert compare_draws([3, 1, 2], ["1", "2", "3"]) == {"verified": True, "missing": [], "extra": []}


def test_compare_draws_differences():
    result = compare_draws(["a", "b", "c"], ["c", "d", "a"])
    assert result == {"verified": False, "missing": ["b"], "extra": ["d"]}


def test_compare_draws_counts_someone_twice():
    result = compare_draws(["a", "b"], ["a", "b", "b"])
    assert result == {"verified": False, "missing": [], "extra": ["b"]}
