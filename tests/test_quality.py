from hypothesis import given
from hypothesis import strategies as st

from core.quality import irv, longstring, quality_flags

OPTIONS = ["satisfied", "basically_satisfied", "dissatisfied", "unknown"]


def test_one_option_everywhere_is_straight_lining():
    result = quality_flags(["satisfied"] * 185, seconds=900)
    assert result["flags"] == ["straight_lining"] and result["longstring"] == 185 and result["irv"] == 0.0


def test_varied_answers_at_a_human_pace_raise_no_flag():
    options = [OPTIONS[i % 3] for i in range(185)]
    assert quality_flags(options, seconds=600)["flags"] == []


def test_less_than_a_second_per_answer_is_too_fast():
    options = [OPTIONS[i % 3] for i in range(185)]
    assert quality_flags(options, seconds=120)["flags"] == ["too_fast"]


def test_unknown_answers_do_not_count_towards_variability():
    assert irv(["unknown"] * 10) is None
    assert irv(["satisfied", "dissatisfied"]) == 1.0


@given(st.lists(st.sampled_from(OPTIONS), min_size=1, max_size=200))
def test_longstring_is_between_one_and_the_length(options):
    assert 1 <= longstring(options) <= len(options)
