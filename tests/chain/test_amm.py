"""Library and pair math against Uniswap v2-core's own test vectors, to the last base unit.

Vectors come from UniswapV2Pair.spec.ts (swapTestCases, mint, burn, feeTo:on); each swap
vector also checks that asking for one more unit fails the K check. The liquidity functions
are also checked against their contract formulas by hypothesis properties.
"""

from __future__ import annotations

import doctest
from math import isqrt

import pytest
from hypothesis import given
from hypothesis import strategies as st

import simfl.chain.amm as amm_module
import simfl.chain.ledger as ledger_module
import simfl.chain.pool as pool_module
from simfl.chain.amm import (
    MINIMUM_LIQUIDITY,
    InsufficientLiquidity,
    ZeroAmount,
    amounts_burned,
    get_amount_in,
    get_amount_out,
    k_holds,
    liquidity_minted,
    protocol_fee_liquidity,
    quote,
)
from simfl.chain.errors import (
    InsufficientFirstDeposit,
    InsufficientLiquidityBurned,
    InsufficientLiquidityMinted,
)
from tests.chain.vectors import E18, SWAP_VECTORS


# ----------------------------------------------------------------------- library math
def test_module_docstring_examples_run() -> None:
    for module in (amm_module, ledger_module, pool_module):
        result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
        assert result.failed == 0 and result.attempted > 0


@pytest.mark.parametrize(("amount_in", "reserve0", "reserve1", "expected"), SWAP_VECTORS)
def test_get_amount_out_matches_uniswap_swap_vectors(
    amount_in: int, reserve0: int, reserve1: int, expected: int
) -> None:
    assert get_amount_out(amount_in, reserve0, reserve1) == expected
    assert k_holds(amount_in, expected, reserve0, reserve1)
    assert not k_holds(amount_in, expected + 1, reserve0, reserve1)


@pytest.mark.parametrize(
    ("amount_in", "reserve_in", "reserve_out"),
    [(1, 1, 2), (7, 10**6, 3 * 10**6), (10**18, 5 * 10**18, 10**19), (123456789, 10**30, 17)],
)
def test_fee_30_bps_equals_uniswap_997_over_1000(
    amount_in: int, reserve_in: int, reserve_out: int
) -> None:
    uniswap_out = amount_in * 997 * reserve_out // (reserve_in * 1000 + amount_in * 997)
    assert get_amount_out(amount_in, reserve_in, reserve_out) == uniswap_out
    amount_out = max(1, reserve_out // 3)
    uniswap_in = reserve_in * amount_out * 1000 // ((reserve_out - amount_out) * 997) + 1
    assert get_amount_in(amount_out, reserve_in, reserve_out) == uniswap_in


def test_get_amount_in_is_the_smallest_input_that_passes_k() -> None:
    amount_out, reserve_in, reserve_out = 10**18, 7 * 10**18, 5 * 10**18
    amount_in = get_amount_in(amount_out, reserve_in, reserve_out)
    assert k_holds(amount_in, amount_out, reserve_in, reserve_out)
    assert not k_holds(amount_in - 1, amount_out, reserve_in, reserve_out)


def test_quote_rounds_down() -> None:
    assert quote(10, 3, 1) == 3
    assert quote(10**18, 4 * 10**18, 10**18) == 25 * 10**16


def test_library_refuses_zero_amounts_and_empty_reserves() -> None:
    with pytest.raises(ZeroAmount, match="amount_in > 0, got 0"):
        get_amount_out(0, 1, 1)
    with pytest.raises(InsufficientLiquidity, match="reserve_in=0"):
        get_amount_out(1, 0, 1)
    with pytest.raises(InsufficientLiquidity, match="amount_out=5000 but reserve_out=4000"):
        get_amount_in(5000, 1000, 4000)
    with pytest.raises(ZeroAmount):
        quote(0, 1, 1)


# ----------------------------------------------------------------------- pair math
def test_first_mint_is_root_of_product_minus_minimum_liquidity() -> None:
    # UniswapV2Pair.spec.ts "mint": 1e18 and 4e18 give 2e18 LP units, 1000 of them locked.
    assert liquidity_minted(10**18, 4 * 10**18, 0, 0, 0) == 2 * 10**18 - MINIMUM_LIQUIDITY
    assert liquidity_minted(1001, 1001, 0, 0, 0) == 1
    assert liquidity_minted(10, 200_000, 0, 0, 0) == isqrt(2_000_000) - MINIMUM_LIQUIDITY


def test_first_mint_must_exceed_minimum_liquidity() -> None:
    with pytest.raises(InsufficientFirstDeposit, match=r"isqrt\(1000 \* 1000\) = 1000"):
        liquidity_minted(1000, 1000, 0, 0, 0)
    with pytest.raises(InsufficientFirstDeposit, match=r"isqrt\(0 \* 5000\) = 0"):
        liquidity_minted(0, 5000, 0, 0, 0)


def test_later_mint_is_the_smaller_share_rounded_down() -> None:
    assert liquidity_minted(10**18, 2 * 10**18, 3 * 10**18, 3 * 10**18, 3 * 10**18) == 10**18
    assert liquidity_minted(2, 5, 3, 7, 10) == min(2 * 10 // 3, 5 * 10 // 7) == 6


def test_later_mint_of_nothing_is_refused() -> None:
    with pytest.raises(InsufficientLiquidityMinted, match="mints 0 LP units"):
        liquidity_minted(1, 1, 3, 3, 2)
    with pytest.raises(InsufficientLiquidity, match=r"LP supply is 5 but reserves are \(0, 9\)"):
        liquidity_minted(1, 1, 0, 9, 5)


def test_burn_pays_the_share_of_each_balance_rounded_down() -> None:
    # UniswapV2Pair.spec.ts "burn": 3e18 / 3e18, all but MINIMUM_LIQUIDITY burned.
    liquidity = 3 * 10**18 - MINIMUM_LIQUIDITY
    assert amounts_burned(liquidity, 3 * 10**18, 3 * 10**18, 3 * 10**18) == (liquidity, liquidity)
    assert amounts_burned(1, 10, 7, 3) == (3, 2)


def test_burn_that_returns_nothing_of_a_token_is_refused() -> None:
    with pytest.raises(InsufficientLiquidityBurned, match=r"returns \(100000000000, 0\)"):
        amounts_burned(10**5, 10**18, 10**6, 10**12)


def test_protocol_fee_matches_uniswap_fee_to_vector() -> None:
    # UniswapV2Pair.spec.ts "feeTo:on": 1000e18 each side, then 1e18 of token1 swapped in.
    reserves = (1000 * E18 - 996006981039903216, 1001 * E18)
    assert protocol_fee_liquidity(*reserves, (1000 * E18) ** 2, 1000 * E18) == 249750499251388


def test_protocol_fee_rounds_roots_and_quotient_down() -> None:
    assert protocol_fee_liquidity(4, 9, 16, 100) == 100 * (6 - 4) // (5 * 6 + 4) == 5
    assert protocol_fee_liquidity(5, 5, 17, 34) == 34 * (5 - 4) // (5 * 5 + 4) == 1  # isqrt(17)


def test_protocol_fee_is_zero_when_off_or_root_k_did_not_grow() -> None:
    assert protocol_fee_liquidity(10**6, 10**6, 0, 10**6) == 0  # k_last = 0: fee off
    assert protocol_fee_liquidity(10**6, 10**6, 10**12, 10**6) == 0  # k unchanged
    assert protocol_fee_liquidity(10**6, 10**6, 10**12 + 2 * 10**6, 10**6) == 0  # k fell
    assert protocol_fee_liquidity(1000, 1001, 10**6, 10**6) == 0  # k grew, isqrt did not


reserves_st = st.integers(1, 10**30)
deposits_st = st.integers(0, 10**30)


@given(deposits_st, deposits_st, reserves_st, reserves_st, st.integers(1, 10**30))
def test_minted_liquidity_never_exceeds_the_proportional_share(
    amount0: int, amount1: int, reserve0: int, reserve1: int, supply: int
) -> None:
    try:
        liquidity = liquidity_minted(amount0, amount1, reserve0, reserve1, supply)
    except InsufficientLiquidityMinted:
        assert min(amount0 * supply // reserve0, amount1 * supply // reserve1) == 0
        return
    assert liquidity * reserve0 <= amount0 * supply and liquidity * reserve1 <= amount1 * supply
    # ... and is short of the smaller share by less than one unit.
    next_exceeds0 = (liquidity + 1) * reserve0 > amount0 * supply
    next_exceeds1 = (liquidity + 1) * reserve1 > amount1 * supply
    assert next_exceeds0 or next_exceeds1


@given(st.integers(1, 10**30), st.integers(1, 10**30))
def test_first_mint_is_the_integer_root_less_the_locked_units(amount0: int, amount1: int) -> None:
    try:
        liquidity = liquidity_minted(amount0, amount1, 0, 0, 0)
    except InsufficientFirstDeposit:
        assert amount0 * amount1 < (MINIMUM_LIQUIDITY + 1) ** 2
        return
    root = liquidity + MINIMUM_LIQUIDITY
    assert root * root <= amount0 * amount1 < (root + 1) ** 2


@given(deposits_st, deposits_st, reserves_st, reserves_st, st.integers(1, 10**30))
def test_deposit_withdrawn_at_once_returns_no_more_than_was_put_in(
    amount0: int, amount1: int, reserve0: int, reserve1: int, supply: int
) -> None:
    try:
        liquidity = liquidity_minted(amount0, amount1, reserve0, reserve1, supply)
        out0, out1 = amounts_burned(
            liquidity, reserve0 + amount0, reserve1 + amount1, supply + liquidity
        )
    except (InsufficientLiquidityMinted, InsufficientLiquidityBurned):
        return
    assert out0 <= amount0 and out1 <= amount1


@given(st.integers(1, 10**30), reserves_st, reserves_st, st.integers(1, 10**30))
def test_burned_amounts_are_the_share_rounded_down(
    liquidity: int, balance0: int, balance1: int, supply: int
) -> None:
    liquidity = min(liquidity, supply)
    try:
        out0, out1 = amounts_burned(liquidity, balance0, balance1, supply)
    except InsufficientLiquidityBurned:
        assert liquidity * balance0 < supply or liquidity * balance1 < supply
        return
    assert out0 * supply <= liquidity * balance0 < (out0 + 1) * supply
    assert out1 * supply <= liquidity * balance1 < (out1 + 1) * supply
    if liquidity == supply:
        assert (out0, out1) == (balance0, balance1)


@given(reserves_st, reserves_st, st.integers(0, 10**60), st.integers(1, 10**30))
def test_protocol_share_is_at_most_one_sixth_of_root_k_growth(
    reserve0: int, reserve1: int, k_last: int, supply: int
) -> None:
    fee = protocol_fee_liquidity(reserve0, reserve1, k_last, supply)
    root_k, root_k_last = isqrt(reserve0 * reserve1), isqrt(k_last)
    if k_last == 0 or root_k <= root_k_last:
        assert fee == 0
        return
    # fee / (S + fee) <= (√k - √kLast) / (6·√k), with equality before rounding down.
    assert 0 <= fee * 6 * root_k <= (supply + fee) * (root_k - root_k_last)
    assert (fee + 1) * (5 * root_k + root_k_last) > supply * (root_k - root_k_last)
