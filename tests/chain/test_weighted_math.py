"""Weighted-pool math against an independent reference: Python's ``decimal`` at 80 digits.

The reference functions below (``ref_*``) are the real-number formulas written out in
``Decimal``; nothing here takes an expected value from the code under test. Inputs are
asymmetric (unequal weights, balances, fees) so that swapped weights, swapped sides or a
wrong exponent give a different answer.
"""

from __future__ import annotations

import doctest
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from math import floor

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simfl.chain import MaxRatioExceeded, ZeroAmount, get_amount_in, get_amount_out
from simfl.chain import log_exp as log_exp_module
from simfl.chain import max_amount_in as cp_max_amount_in
from simfl.chain import weighted as weighted_module
from simfl.chain import weighted_math as weighted_math_module
from simfl.chain.log_exp import (
    PRECISION_BITS,
    exp_fixed,
    iroot,
    iroot_up,
    ln_fixed,
    pow_down,
    pow_up,
)
from simfl.chain.weighted_math import (
    MAX_IN_RATIO,
    ONE,
    calc_in_given_out,
    calc_out_given_in,
    exact_exponent,
    genesis_token_amount,
    invariant,
    invariant_holds,
    max_amount_in,
    spot_price,
)

E18 = 10**18
PREC = 80  # digits of the reference; the code's own precision is ~58 digits


def dec(value: int | str) -> Decimal:
    return Decimal(value)


def ref_out(b_in: int, w_in: int, b_out: int, w_out: int, a_in: int, fee_bps: int) -> Decimal:
    """``B_out·(1 - (B_in/(B_in + a_in·(1 - fee)))^(w_in/w_out))`` in 80-digit decimal."""
    with localcontext() as ctx:
        ctx.prec = PREC
        effective = dec(b_in) + dec(a_in) * (10_000 - fee_bps) / 10_000
        base = dec(b_in) / effective
        return dec(b_out) * (1 - base ** (dec(w_in) / dec(w_out)))


def ref_in(b_in: int, w_in: int, b_out: int, w_out: int, a_out: int, fee_bps: int) -> Decimal:
    """``B_in·((B_out/(B_out - a_out))^(w_out/w_in) - 1) / (1 - fee)`` in 80-digit decimal."""
    with localcontext() as ctx:
        ctx.prec = PREC
        base = dec(b_out) / (dec(b_out) - a_out)
        grown = dec(b_in) * (base ** (dec(w_out) / dec(w_in)) - 1)
        return grown * 10_000 / (10_000 - fee_bps)


def ref_log_invariant(b0: int, w0: int, b1: int, w1: int) -> Decimal:
    """``w0·ln B0 + w1·ln B1`` (the log of the invariant, weights in 18 decimals)."""
    with localcontext() as ctx:
        ctx.prec = PREC
        return (dec(w0) * dec(b0).ln() + dec(w1) * dec(b1).ln()) / ONE


def floor_dec(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_FLOOR))


def ceil_dec(value: Decimal) -> int:
    return int(value.to_integral_value(rounding=ROUND_CEILING))


def test_module_docstring_examples_run() -> None:
    for module in (log_exp_module, weighted_math_module, weighted_module):
        result = doctest.testmod(module)
        assert result.failed == 0 and result.attempted > 0


# ---------------------------------------------------------------- golden vectors
# (balance_in, weight_in, balance_out, weight_out, amount, fee_bps): asymmetric on purpose
VECTORS = [
    (1_000 * E18, 8 * 10**17, 3_700 * E18, 2 * 10**17, 17 * E18, 30),  # 80 -> 20, exponent 4
    (3_700 * E18, 2 * 10**17, 1_000 * E18, 8 * 10**17, 17 * E18, 30),  # 20 -> 80, exponent 1/4
    (52_000 * E18, 7 * 10**17, 9_100 * E18, 3 * 10**17, 123 * E18, 100),  # 7/3
    (10**24, 333_333_333_333_333_333, 7 * 10**23, 666_666_666_666_666_667, 10**21, 5),  # general
    (987_654_321, 123_456_789_012_345_678, 10**9, 876_543_210_987_654_322, 1_234, 0),
]


@pytest.mark.parametrize("vector", VECTORS)
def test_out_given_in_is_the_floor_of_the_real_formula(vector: tuple[int, ...]) -> None:
    b_in, w_in, b_out, w_out, amount, fee = vector
    expected = floor_dec(ref_out(b_in, w_in, b_out, w_out, amount, fee))
    out = calc_out_given_in(b_in, w_in, b_out, w_out, amount, fee)
    assert out == expected
    assert invariant_holds(b_in, w_in, b_out, w_out, amount, out, fee)
    assert not invariant_holds(b_in, w_in, b_out, w_out, amount, out + 1, fee)


@pytest.mark.parametrize("vector", VECTORS)
def test_in_given_out_is_the_ceiling_of_the_real_formula(vector: tuple[int, ...]) -> None:
    b_in, w_in, b_out, w_out, amount, fee = vector
    expected = ceil_dec(ref_in(b_in, w_in, b_out, w_out, amount, fee))
    paid = calc_in_given_out(b_in, w_in, b_out, w_out, amount, fee)
    assert paid == expected
    assert invariant_holds(b_in, w_in, b_out, w_out, paid, amount, fee)
    assert not invariant_holds(b_in, w_in, b_out, w_out, paid - 1, amount, fee)


def test_general_path_rounds_the_power_up_even_when_the_result_is_an_integer() -> None:
    # weights 1.6 % / 98.4 %: w_in/w_out = 2/123 (p + q = 125, the exp/ln path). Selling
    # 2**123 - 1 against a balance of 1 (no fee, no guard) leaves the base (1/2**123), whose
    # power 2/123 is exactly 1/4: the real output is exactly 3/4 of the balance. A power
    # rounded up pays one unit less than that; one rounded down would pay it in full.
    w_in, w_out, b_out = 16 * 10**15, 984 * 10**15, 4 * 10**20
    assert exact_exponent(w_in, w_out) is None
    out = calc_out_given_in(1, w_in, b_out, w_out, 2**123 - 1, 0, None)
    assert out == 3 * 10**20 - 1
    # and the check refuses what its error bounds cannot prove (the exact equality)
    assert invariant_holds(1, w_in, b_out, w_out, 2**123 - 1, 3 * 10**20 - 1, 0)
    assert not invariant_holds(1, w_in, b_out, w_out, 2**123 - 1, 3 * 10**20, 0)


def test_swapping_the_weights_changes_the_output() -> None:
    b_in, w_in, b_out, w_out, amount, fee = VECTORS[0]
    heavy_in = calc_out_given_in(b_in, w_in, b_out, w_out, amount, fee)
    light_in = calc_out_given_in(b_in, w_out, b_out, w_in, amount, fee)
    assert heavy_in == floor_dec(ref_out(b_in, w_in, b_out, w_out, amount, fee))
    assert light_in == floor_dec(ref_out(b_in, w_out, b_out, w_in, amount, fee))
    assert heavy_in > 3 * light_in  # 80 -> 20 pays ~4x spot of 20 -> 80 on these balances


def test_ratio_guard_is_thirty_percent_of_the_balance() -> None:
    b_in, w_in, b_out, w_out = 10**6, 6 * 10**17, 10**6, 4 * 10**17
    calc_out_given_in(b_in, w_in, b_out, w_out, 300_000)
    with pytest.raises(MaxRatioExceeded, match=r"amount_in=300001 but at most 30%"):
        calc_out_given_in(b_in, w_in, b_out, w_out, 300_001)
    calc_in_given_out(b_in, w_in, b_out, w_out, 300_000)
    with pytest.raises(MaxRatioExceeded, match=r"amount_out=300001"):
        calc_in_given_out(b_in, w_in, b_out, w_out, 300_001)
    big = calc_out_given_in(b_in, w_in, b_out, w_out, 5 * 10**6, 30, None)  # guard off
    assert big == floor_dec(ref_out(b_in, w_in, b_out, w_out, 5 * 10**6, 30))


def test_zero_amounts_and_empty_balances_are_refused() -> None:
    with pytest.raises(ZeroAmount):
        calc_out_given_in(10, 5 * 10**17, 10, 5 * 10**17, 0)
    with pytest.raises(ZeroAmount):
        calc_in_given_out(10, 5 * 10**17, 10, 5 * 10**17, 0)


# ---------------------------------------------------------------- the building blocks
@settings(max_examples=300, deadline=None)
@given(numerator=st.integers(1, 10**40), denominator=st.integers(1, 10**40))
def test_ln_fixed_is_within_its_stated_error(numerator: int, denominator: int) -> None:
    approx, error = ln_fixed(numerator, denominator)
    with localcontext() as ctx:
        ctx.prec = PREC
        exact = (dec(numerator) / dec(denominator)).ln() * 2**PRECISION_BITS
        assert abs(dec(approx) - exact) <= error


@settings(max_examples=300, deadline=None)
@given(x=st.integers(-80 * 2**PRECISION_BITS, 80 * 2**PRECISION_BITS))
def test_exp_fixed_relative_error_is_below_its_bound(x: int) -> None:
    with localcontext() as ctx:
        ctx.prec = PREC
        exact = (dec(x) / 2**PRECISION_BITS).exp() * 2**PRECISION_BITS
        assert abs(dec(exp_fixed(x)) - exact) <= exact / 2 ** (PRECISION_BITS - 16) + 1


@settings(max_examples=300, deadline=None)
@given(
    numerator=st.integers(1, 10**30),
    denominator=st.integers(1, 10**30),
    weight=st.integers(10**16, 99 * 10**16),
)
def test_pow_bounds_enclose_the_exact_power(numerator: int, denominator: int, weight: int) -> None:
    with localcontext() as ctx:
        ctx.prec = PREC
        exact = (dec(numerator) / dec(denominator)) ** (dec(weight) / (ONE - weight))
        exact *= 2**PRECISION_BITS
        low = pow_down(numerator, denominator, weight, ONE - weight)
        high = pow_up(numerator, denominator, weight, ONE - weight)
        assert low <= exact <= high
        assert high - low <= exact / 10**50 + 4


@settings(max_examples=300, deadline=None)
@given(x=st.integers(0, 10**200), k=st.integers(1, 99))
def test_iroot_is_the_exact_floor_and_iroot_up_the_ceiling(x: int, k: int) -> None:
    root = iroot(x, k)
    assert root**k <= x < (root + 1) ** k
    up = iroot_up(x, k)
    assert (up - 1) ** k < x <= up**k if x else up == 0


def test_exact_exponent_covers_weights_in_steps_of_five_percent() -> None:
    assert exact_exponent(5 * 10**17, 5 * 10**17) == (1, 1)
    assert exact_exponent(7 * 10**17, 3 * 10**17) == (7, 3)
    assert exact_exponent(95 * 10**16, 5 * 10**16) == (19, 1)
    assert all(exact_exponent(k * 5 * 10**16, (20 - k) * 5 * 10**16) for k in range(1, 20))
    assert exact_exponent(10**16, 99 * 10**16) is None  # 1/99: the exp/ln path
    assert exact_exponent(333_333_333_333_333_333, 666_666_666_666_666_667) is None


# ---------------------------------------------------------------- invariant, price, genesis
def test_invariant_is_the_weighted_geometric_mean_rounded_down() -> None:
    assert invariant(4 * E18, 5 * 10**17, 9 * E18, 5 * 10**17) == 6 * E18  # isqrt at 50/50
    b0, w0, b1, w1 = 8_000 * E18, 8 * 10**17, 2_000 * E18, 2 * 10**17
    with localcontext() as ctx:
        ctx.prec = PREC
        exact = ref_log_invariant(b0, w0, b1, w1).exp()
    assert invariant(b0, w0, b1, w1) == floor_dec(exact)


def test_spot_price_divides_each_balance_by_its_weight() -> None:
    # 80/20 BASE/CST: 8000 BASE and 500 CST -> (8000/0.8) / (500/0.2) = 10000/2500 = 4
    assert spot_price(500, 2 * 10**17, 8_000, 8 * 10**17) == 4
    assert spot_price(8_000, 8 * 10**17, 500, 2 * 10**17) == dec(1) / 4
    assert spot_price(300, 5 * 10**17, 1_200, 5 * 10**17) == 4  # Uniswap's ratio at 50/50


@pytest.mark.parametrize("token_weight", [2 * 10**17, 5 * 10**17, 8 * 10**17, 123_456_789 * 10**9])
@pytest.mark.parametrize("price", [(1, 1), (3, 7), (10_000 * E18, 2_500 * E18)])
def test_genesis_amount_opens_the_pool_at_the_price(
    token_weight: int, price: tuple[int, int]
) -> None:
    base = 10_000 * E18
    tokens = genesis_token_amount(base, *price, token_weight)
    with localcontext() as ctx:
        ctx.prec = PREC
        exact = dec(base) * token_weight * price[1] / ((ONE - token_weight) * dec(price[0]))
        assert abs(tokens - exact) <= dec("0.5")
        opened = spot_price(tokens, token_weight, base, ONE - token_weight)
        wanted = dec(price[0]) / dec(price[1])
        relative = abs(dec(opened.numerator) / dec(opened.denominator) - wanted) / wanted
        assert relative <= dec("0.5") / tokens * 2
    if token_weight == 5 * 10**17 and price == (10_000 * E18, 2_500 * E18):
        assert tokens == 2_500 * E18  # 50/50 opens with seed_tokens, like the CP pool


def test_genesis_amount_refuses_bad_input() -> None:
    with pytest.raises(ValueError, match="0 < token_weight"):
        genesis_token_amount(10, 1, 1, ONE)


# ---------------------------------------------------------------- max order within slippage
@pytest.mark.parametrize("weight_in", [2 * 10**17, 7 * 10**17, 333_333_333_333_333_333])
def test_max_amount_in_meets_its_limit_and_is_nearly_the_largest(weight_in: int) -> None:
    b_in, b_out, fee, slip = 5_000 * E18, 2_000 * E18, 30, 300
    w_out = ONE - weight_in
    amount = max_amount_in(b_in, weight_in, b_out, w_out, fee, slip)

    def meets(a: int) -> bool:
        spot = dec(a) * b_out * weight_in / (dec(b_in) * w_out)
        return ref_out(b_in, weight_in, b_out, w_out, a, fee) >= spot * (10_000 - slip) / 10_000

    assert meets(amount)
    assert not meets(amount * 1005 // 1000)  # within 0.5 % of the largest
    assert max_amount_in(b_in, weight_in, b_out, w_out, 30, 30) == 0


def test_max_amount_in_at_fifty_fifty_is_the_constant_product_one() -> None:
    half = 5 * 10**17
    assert max_amount_in(10**24, half, 3 * 10**24, half, 30, 300) == cp_max_amount_in(
        10**24, 30, 300
    )


# ---------------------------------------------------------------- properties vs decimal
weights_any = st.integers(10**16, 99 * 10**16)  # 18-decimal: almost always the exp/ln path
weights_percent = st.integers(1, 99).map(lambda k: k * 10**16)  # mostly exact roots
balances = st.integers(10**3, 10**30)
fees = st.sampled_from([0, 1, 5, 30, 100, 1000])


@st.composite
def swap_case(draw: st.DrawFn, weights: st.SearchStrategy[int]) -> tuple[int, ...]:
    w_in = draw(weights)
    b_in, b_out = draw(balances), draw(balances)
    cap = b_in * MAX_IN_RATIO // ONE
    amount = draw(st.one_of(st.integers(1, max(1, cap)), st.integers(1, max(1, min(cap, 10**6)))))
    return b_in, w_in, b_out, ONE - w_in, max(1, min(amount, cap)), draw(fees)


RELATIVE = dec("1e-12")  # the bound, beyond the one unit lost to the floor


@settings(max_examples=400, deadline=None)
@given(case=st.one_of(swap_case(weights_any), swap_case(weights_percent)))
def test_out_given_in_rounds_down_within_1e12_of_the_real_formula(case: tuple[int, ...]) -> None:
    b_in, w_in, b_out, w_out, amount, fee = case
    exact = ref_out(b_in, w_in, b_out, w_out, amount, fee)
    out = calc_out_given_in(b_in, w_in, b_out, w_out, amount, fee)
    assert out <= exact  # rounded down: favours the pool
    assert exact - out < 1 + exact * RELATIVE
    if exact_exponent(w_in, w_out) is not None:
        assert out == floor_dec(exact)


@settings(max_examples=400, deadline=None)
@given(case=st.one_of(swap_case(weights_any), swap_case(weights_percent)))
def test_in_given_out_rounds_up_within_1e12_of_the_real_formula(case: tuple[int, ...]) -> None:
    b_in, w_in, b_out, w_out, amount, fee = case
    b_in, b_out = b_out, b_in  # use the drawn amount as an output of the other balance
    amount = max(1, min(amount, b_out * MAX_IN_RATIO // ONE))
    exact = ref_in(b_in, w_in, b_out, w_out, amount, fee)
    paid = calc_in_given_out(b_in, w_in, b_out, w_out, amount, fee)
    assert paid >= exact  # rounded up: favours the pool
    assert paid - exact < 1 + exact * RELATIVE
    if exact_exponent(w_out, w_in) is not None:
        assert paid == max(1, ceil_dec(exact))


@settings(max_examples=400, deadline=None)
@given(case=st.one_of(swap_case(weights_any), swap_case(weights_percent)))
def test_a_swap_never_lowers_the_invariant(case: tuple[int, ...]) -> None:
    b_in, w_in, b_out, w_out, amount, fee = case
    out = calc_out_given_in(b_in, w_in, b_out, w_out, amount, fee)
    if out >= b_out:
        return
    before = ref_log_invariant(b_in, w_in, b_out, w_out)
    after = ref_log_invariant(b_in + amount, w_in, b_out - out, w_out)
    assert after >= before
    assert invariant_holds(b_in, w_in, b_out, w_out, amount, out, fee)


half = 5 * 10**17


@settings(max_examples=400, deadline=None)
@given(
    b_in=st.integers(1, 10**30),
    b_out=st.integers(1, 10**30),
    fraction=st.floats(0, 0.3),
    fee=st.integers(0, 9999),
)
def test_fifty_fifty_swaps_match_the_constant_product_pool(
    b_in: int, b_out: int, fraction: float, fee: int
) -> None:
    amount = max(1, floor(b_in * fraction))
    if amount * ONE > b_in * MAX_IN_RATIO:
        return
    out = calc_out_given_in(b_in, half, b_out, half, amount, fee)
    cp_out = get_amount_out(amount, b_in, b_out, fee)
    assert cp_out - 1 <= out <= cp_out  # the bound ...
    assert out == cp_out  # ... and in fact equal: the same exact fraction, floored once
    wanted = max(1, floor(b_out * fraction))
    if wanted * ONE <= b_out * MAX_IN_RATIO and wanted < b_out:
        paid = calc_in_given_out(b_in, half, b_out, half, wanted, fee)
        assert (
            get_amount_in(wanted, b_in, b_out, fee) - 1
            <= paid
            <= get_amount_in(wanted, b_in, b_out, fee)
        )
