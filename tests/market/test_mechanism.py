"""The payout mechanism's pure decisions: weights, integer splits, schedules."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simfl.market.mechanism import (
    PAYOUT_MODES,
    allocation_weights,
    payout_mode,
    scheduled_amount,
    split_amount,
)


def test_weights_are_positive_parts_normalised() -> None:
    assert allocation_weights([2.0, -1.0, 2.0]) == [Fraction(1, 2), 0, Fraction(1, 2)]


@given(st.lists(st.floats(min_value=-10.0, max_value=1e6), min_size=1, max_size=20))
def test_weights_sum_to_exactly_one_or_zero(scores: list[float]) -> None:
    assert sum(allocation_weights(scores)) in (0, 1)


def test_all_zero_scores_allocate_nothing() -> None:
    assert allocation_weights([0.0, -1.0, 0.0]) == [0, 0, 0]


def test_reputation_keeps_its_weight_on_the_past_and_the_rest_on_this_round() -> None:
    # this round: 1 and 3 → 1/4, 3/4; last round 3/4, 1/4; reputation 0.25 on the past:
    # 0.25·3/4 + 0.75·1/4 = 3/8 and 0.25·1/4 + 0.75·3/4 = 5/8 (swapped weights: 5/8, 3/8)
    previous = [Fraction(3, 4), Fraction(1, 4)]
    weights = allocation_weights([1.0, 3.0], previous=previous, reputation=0.25)
    assert weights == [Fraction(3, 8), Fraction(5, 8)]


def test_reputation_pays_only_this_rounds_participants() -> None:
    # client 1 did not train: its past weight is dropped and the rest renormalised
    previous = [Fraction(1, 2), Fraction(1, 2), Fraction(0)]
    weights = allocation_weights([1.0, 5.0, 1.0], previous, reputation=0.5, eligible=[0, 2])
    # current 1/2, 0, 1/2; blended 0.5·1/2 + 0.5·1/2 = 1/2, 0, 0 + 0.5·1/2 = 1/4 → 2/3, 0, 1/3
    assert weights == [Fraction(2, 3), 0, Fraction(1, 3)]


def test_weights_summing_above_one_are_scaled_down_to_the_total() -> None:
    # 0.75 + 0.75 = 1.5: shares are 100·0.75/1.5 = 50 each, never 75 + 75 > 100
    assert split_amount(100, [0.75, 0.75]) == [50, 50]
    # 0.6, 0.3, 0.3 sum to 1.2: 1000·0.6/1.2 = 500, 1000·0.3/1.2 = 250 (weights below 1 stay)
    assert split_amount(1000, [Fraction(3, 5), Fraction(3, 10), Fraction(3, 10)]) == [500, 250, 250]
    assert split_amount(1000, [Fraction(1, 2), Fraction(1, 4)]) == [500, 250]


def test_every_payout_mode_is_registered_with_its_flags() -> None:
    assert set(PAYOUT_MODES) == {"direct", "mint", "buyback", "hybrid"}
    flags = {
        name: (m.earns_revenue, m.pays_base, m.mints, m.buys_back, m.base_share)
        for name, m in PAYOUT_MODES.items()
    }
    assert flags == {
        "direct": (True, True, False, False, 1),
        "mint": (False, False, True, False, 0),
        "buyback": (True, False, False, True, 1),
        "hybrid": (True, False, True, True, Fraction(1, 2)),
    }


def test_every_payout_mode_reads_only_reward_fields() -> None:
    from simfl.config.market import Reward

    for mode in PAYOUT_MODES.values():
        assert set(mode.params) <= set(Reward.model_fields), mode.name


def test_an_unknown_payout_mode_is_an_error_naming_the_allowed_ones() -> None:
    with pytest.raises(
        ValueError, match=r"unknown payout mode 'burn'; expected one of \['buyback'"
    ):
        payout_mode("burn")


def test_split_amount_is_exact_floor_of_each_share() -> None:
    total = 10**21 + 7
    weights = [0.1, 0.2, 0.7]
    expected = [int(total * Fraction(w)) for w in weights]
    assert split_amount(total, weights) == expected


@given(
    total=st.integers(min_value=0, max_value=10**30),
    raw=st.lists(st.floats(min_value=0.0, max_value=1e6), min_size=1, max_size=12),
)
def test_split_never_pays_more_than_the_total(total: int, raw: list[float]) -> None:
    weights = allocation_weights(raw)
    parts = split_amount(total, weights)
    assert all(type(p) is int and p >= 0 for p in parts)
    assert sum(parts) <= total
    if any(weights):
        assert total - sum(parts) < len(parts)  # floor loses less than a unit per client


def test_split_refuses_float_totals() -> None:
    with pytest.raises(ValueError, match="non-negative int"):
        split_amount(10.0, [1.0])  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("kind", "round_number", "accuracy", "previous", "expected"),
    [
        ("constant", 5, 0.9, 0.1, 1000),
        ("decaying", 3, 0.0, 0.0, 810),
        ("accuracy", 1, 0.5, 0.0, 500),
        ("accuracy_gain", 2, 0.75, 0.5, 250),
        ("accuracy_gain", 2, 0.5, 0.75, 0),
    ],
)
def test_schedules_pay_their_formula(
    kind: str, round_number: int, accuracy: float, previous: float, expected: int
) -> None:
    assert scheduled_amount(kind, 1000, 0.9, round_number, accuracy, previous) == expected  # type: ignore[arg-type]
