"""The payout mechanism's pure decisions: weights, integer splits, schedules."""

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simfl.market.mechanism import allocation_weights, scheduled_amount, split_amount


def test_weights_are_positive_parts_normalised() -> None:
    assert allocation_weights([2.0, -1.0, 2.0]) == [Fraction(1, 2), 0, Fraction(1, 2)]


@given(st.lists(st.floats(min_value=-10.0, max_value=1e6), min_size=1, max_size=20))
def test_weights_sum_to_exactly_one_or_zero(scores: list[float]) -> None:
    assert sum(allocation_weights(scores)) in (0, 1)


def test_all_zero_scores_allocate_nothing() -> None:
    assert allocation_weights([0.0, -1.0, 0.0]) == [0, 0, 0]


def test_reputation_blends_previous_weights() -> None:
    weights = allocation_weights([1.0, 0.0], previous=[Fraction(0), Fraction(1)], reputation=0.5)
    assert weights == [Fraction(1, 2), Fraction(1, 2)]


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
