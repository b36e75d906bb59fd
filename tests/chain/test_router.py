"""The router and the pool interface: quotes, limits, spot, LP and liquidation values.

Expectations are computed by hand (written out in each test) with exact fractions, on a
pool whose sides differ (1,000 CST against 4,000 BASE), so swapping the two sides or
forgetting the fee changes the numbers.
"""

from __future__ import annotations

from fractions import Fraction
from math import floor, isqrt

import pytest

from simfl.chain import ConstantProductPool, Ledger, Pool, router
from simfl.chain.errors import SlippageExceeded

E = 10**18


def make_pool(fee_bps: int = 30) -> tuple[Ledger, ConstantProductPool]:
    ledger = Ledger()
    for token in ("CST", "BASE"):
        ledger.register_token(token)
        ledger.mint(token, "a", 10_000 * E)
        ledger.mint(token, "b", 10_000 * E)
        ledger.mint(token, "trader", 10_000 * E)
    pool = ConstantProductPool(ledger, "CST", "BASE", fee_bps)
    pool.add_liquidity("a", 1000 * E, 4000 * E)  # CST is token0
    return ledger, pool


def test_constant_product_pool_implements_the_pool_interface() -> None:
    _, pool = make_pool()
    assert isinstance(pool, Pool)


def test_spot_value_is_the_reserve_ratio_without_fee_or_impact() -> None:
    _, pool = make_pool()
    assert router.spot_value(pool, "CST", 3 * E) == 12 * E  # 3 CST at 4 BASE each
    assert router.spot_value(pool, "BASE", 3 * E) == 3 * E // 4  # 0.75 CST
    assert router.spot_value(pool, "CST", 0) == 0


def test_liquidation_value_pays_the_fee_and_the_price_impact() -> None:
    _, pool = make_pool()
    # selling 100 CST: 100·0.997·4000 / (1000 + 100·0.997) BASE, floored
    expected = floor(Fraction(100 * E * 9970 * 4000 * E, 1000 * E * 10_000 + 100 * E * 9970))
    assert router.liquidation_value(pool, "CST", 100 * E) == expected
    assert expected < 400 * E * 997 // 1000  # below spot less the fee: impact counts
    assert router.liquidation_value(pool, "CST", 0) == 0


def test_quotes_match_the_swaps_they_quote() -> None:
    _, pool = make_pool()
    out = router.quote_out(pool, "BASE", 40 * E)
    cost = router.quote_in(pool, "CST", 5 * E)
    # 40 BASE in: 40·0.997·1000 / (4000 + 40·0.997) CST
    assert out == floor(Fraction(40 * 9970 * 1000 * E, 4000 * 10_000 + 40 * 9970))
    # 5 CST out: 4000·5·10000 / ((1000 − 5)·9970) BASE, floored, plus one
    assert cost == floor(Fraction(4000 * E * 5 * 10_000, 995 * 9970)) + 1
    assert pool.swap_exact_in("trader", "BASE", 40 * E) == out


def test_max_input_is_the_largest_order_within_the_slippage_cap() -> None:
    _, pool = make_pool()
    cap = router.max_input(pool, "CST", 300)  # 3% all-in, 0.3% of it the fee
    # a ≤ R·(s − f) / ((1 − f)(1 − s)) = 1000·0.027 / (0.997·0.97) ≈ 27.918 CST, less 0.1%
    bound = Fraction(1000 * E * 270 * 10_000, 9970 * 9700)
    assert floor(bound) * 999 // 1000 == cap
    for size, within in ((cap, True), (floor(bound * Fraction(102, 100)), False)):
        got = router.liquidation_value(pool, "CST", size)
        assert (got >= router.spot_value(pool, "CST", size) * 9700 // 10_000) is within
    assert router.max_input(pool, "CST", 30) == 0  # the fee alone uses the whole cap


def test_swap_within_caps_the_order_and_reports_spot() -> None:
    ledger, pool = make_pool()
    cap = router.max_input(pool, "CST", 300)
    result = router.swap_within(pool, "trader", "CST", 500 * E, 300)
    assert result is not None
    assert result.amount_in == cap
    assert result.spot_out == cap * 4
    assert ledger.balance("CST", "trader") == 10_000 * E - cap
    assert ledger.balance("BASE", "trader") == 10_000 * E + result.amount_out
    assert router.swap_within(pool, "trader", "CST", 500 * E, 30) is None


def test_swap_with_a_limit_refuses_a_worse_price_and_changes_nothing() -> None:
    ledger, pool = make_pool()
    before = ledger.snapshot()
    out = router.quote_out(pool, "CST", 10 * E)
    with pytest.raises(SlippageExceeded):
        pool.swap_exact_in("trader", "CST", 10 * E, out + 1)
    assert ledger.snapshot() == before


def test_position_value_burns_the_lp_share_then_sells_what_it_holds() -> None:
    _, pool = make_pool()
    supply = isqrt(1000 * E * 4000 * E)  # 2,000 LP units (1e-15 of them locked)
    assert pool.total_liquidity == supply
    pool.add_liquidity("b", 250 * E, 1000 * E)  # a quarter more: b gets supply / 4
    shares_b = supply // 4
    spot, liquidation, tokens_spot = router.position_value(pool, "CST", 10 * E, shares_b)
    # b's LP part: 1/5 of (1250 CST, 5000 BASE) = 250 CST + 1000 BASE; 1000 CST, 4000 BASE stay
    assert router.lp_amounts(pool, shares_b) == (250 * E, 1000 * E)
    assert tokens_spot == 40 * E  # 10 CST held outright at 4
    assert spot == 1000 * E + 260 * 4 * E  # 260 CST at the remaining pool's spot, 4
    sold = floor(Fraction(260 * E * 9970 * 4000 * E, 1000 * E * 10_000 + 260 * E * 9970))
    assert liquidation == 1000 * E + sold
