"""Exact swap-fee accounting: each LP's fees, as integers that add up to the pool's.

A pool with a 0.3% fee and two LPs holding 3/4 and 1/4 of the units (plus Uniswap's
locked 1,000): hand-computed shares, fees before a deposit staying with the earlier
holders, and the sum over holders equal to the pool's fees to the last unit.
"""

from __future__ import annotations

from math import isqrt

from simfl.chain import LOCKED_ACCOUNT, ConstantProductPool, Ledger, allocate

E = 10**18


def make_pool() -> tuple[Ledger, ConstantProductPool]:
    ledger = Ledger()
    for token in ("CST", "BASE"):
        ledger.register_token(token)
        for account in ("a", "b", "trader"):
            ledger.mint(token, account, 10_000 * E)
    pool = ConstantProductPool(ledger, "CST", "BASE", 30)
    pool.add_liquidity("a", 900 * E, 3600 * E)
    return ledger, pool


def test_allocate_gives_leftover_units_to_the_largest_remainders() -> None:
    # 7 over 3:1 → 5.25 and 1.75: floors 5 and 1, the leftover unit to the 0.75 remainder
    assert allocate(7, {"x": 3, "y": 1}) == {"x": 5, "y": 2}
    # equal remainders: ties go by name
    assert allocate(10, {"b": 1, "a": 1, "c": 1}) == {"a": 4, "b": 3, "c": 3}
    assert allocate(5, {"x": 0}) == {}


def test_fees_are_the_fee_part_of_swap_inputs_per_token() -> None:
    _, pool = make_pool()
    pool.swap_exact_in("trader", "BASE", 12_345_678_901_234_567)
    pool.swap_exact_in("trader", "CST", 7 * E + 3)
    # 0.3% of each input, floored: 12,345,678,901,234,567·30 // 10,000 and (7e18 + 3)·30 // 10,000
    assert pool.fees_total() == (21 * E // 1000, 37_037_036_703_703)


def test_each_lp_earns_its_share_and_the_shares_sum_to_the_pool_fees() -> None:
    _, pool = make_pool()
    supply = isqrt(900 * E * 3600 * E)  # 1,800 LP units
    pool.add_liquidity("b", 300 * E, 1200 * E)  # a third of a's deposit: 600 units
    assert pool.total_liquidity == supply + supply // 3
    pool.swap_exact_in("trader", "BASE", 1000 * E + 1)  # fee: 3 BASE (3.0000000000000003)
    pool.swap_exact_in("trader", "CST", 80 * E)  # fee: 0.24 CST
    pool.settle_fees()
    fee_cst, fee_base = pool.fees_total()
    assert (fee_cst, fee_base) == (24 * E // 100, 3 * E)
    a, b, locked = pool.fees_of("a"), pool.fees_of("b"), pool.fees_of(LOCKED_ACCOUNT)
    # b holds 600 of 2,400 units: a quarter, exactly (its units divide the total)
    assert b == (6 * E // 100, 3 * E // 4)
    # a holds 1,800 units less the 1,000 locked base units
    total = 2400 * E
    assert a[1] in (3 * E * (1800 * E - 1000) // total, 3 * E * (1800 * E - 1000) // total + 1)
    assert a[0] + b[0] + locked[0] == fee_cst
    assert a[1] + b[1] + locked[1] == fee_base
    assert b[1] < fee_base  # an LP is never credited with the whole pool's fees


def test_fees_before_a_deposit_stay_with_the_earlier_holders() -> None:
    _, pool = make_pool()
    pool.swap_exact_in("trader", "BASE", 100 * E)  # 0.3 BASE of fees, all a's (and locked)
    pool.add_liquidity("b", 300 * E, 1200 * E + 100 * E // 3)  # settles first
    assert pool.fees_of("b") == (0, 0)
    assert pool.fees_of("a")[1] + pool.fees_of(LOCKED_ACCOUNT)[1] == 3 * E // 10
    pool.swap_exact_in("trader", "BASE", 100 * E)
    pool.settle_fees()
    b_base = pool.fees_of("b")[1]
    shares_b = pool.ledger.balance(pool.lp_token, "b")
    expected = 3 * E // 10 * shares_b // pool.total_liquidity
    assert b_base in (expected, expected + 1)
    assert sum(pool.fees_of(x)[1] for x in ("a", "b", LOCKED_ACCOUNT)) == 6 * E // 10


def test_a_withdrawn_lp_keeps_its_fees_and_earns_no_more() -> None:
    ledger, pool = make_pool()
    pool.add_liquidity("b", 300 * E, 1200 * E)
    pool.swap_exact_in("trader", "CST", 10 * E)  # 0.03 CST
    pool.remove_liquidity("b", ledger.balance(pool.lp_token, "b"))
    earned = pool.fees_of("b")
    assert earned == (3 * E // 100 // 4, 0)  # a quarter of 0.03 CST, exactly
    pool.swap_exact_in("trader", "CST", 10 * E)
    pool.settle_fees()
    assert pool.fees_of("b") == earned
