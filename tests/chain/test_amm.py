"""Library math against Uniswap v2-core's own test vectors, to the last base unit.

Vectors come from UniswapV2Pair.spec.ts (swapTestCases); each also checks that asking for
one more unit fails the K check.
"""

from __future__ import annotations

import doctest

import pytest

import simfl.chain.amm as amm_module
import simfl.chain.ledger as ledger_module
import simfl.chain.pool as pool_module
from simfl.chain.amm import (
    InsufficientLiquidity,
    ZeroAmount,
    get_amount_in,
    get_amount_out,
    k_holds,
    quote,
)
from tests.chain.vectors import SWAP_VECTORS


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
