"""Deposits at the pool's ratio, sized in LP units, after the price has moved.

A 10,000 / 10,000 pool after one swap of 10**18 + 12,345 BASE: its reserves share no
common factor, so a deposit in whole multiples of the ratio in lowest terms fits
nothing (the old rule). The expectations are written out here from ``Pair.mint``:
the largest ``L`` with ``L·R <= max·S`` on both sides, each side the least amount whose
``amount·S // R`` reaches ``L``.
"""

from __future__ import annotations

from fractions import Fraction
from math import ceil, floor

from simfl.chain import ConstantProductPool, Ledger, router

E = 10**18
SWAP_IN = 10**18 + 12_345


def moved_pool() -> tuple[Ledger, ConstantProductPool]:
    ledger = Ledger()
    for token in ("CST", "BASE"):
        ledger.register_token(token)
        ledger.mint(token, "a", 20_000 * E)
        ledger.mint(token, "lp", 5_000 * E)
    pool = ConstantProductPool(ledger, "CST", "BASE")
    pool.add_liquidity("a", 10_000 * E, 10_000 * E)
    pool.swap_exact_in("a", "BASE", SWAP_IN)
    return ledger, pool


def test_a_deposit_fits_after_the_price_moved() -> None:
    ledger, pool = moved_pool()
    supply = 10_000 * E  # isqrt(10^22 · 10^22); the swap mints nothing
    out = floor(Fraction(SWAP_IN * 997 * 10_000 * E, 10_000 * E * 1000 + SWAP_IN * 997))
    r_cst, r_base = 10_000 * E - out, 10_000 * E + SWAP_IN
    assert pool.reserves == (r_cst, r_base)
    # BASE is the dearer side of the deposit now (more BASE than CST in the pool), so it
    # binds: L = floor(1000e18 · S / R_base), CST side ceil(L · R_cst / S)
    liquidity = floor(Fraction(1000 * E * supply, r_base))
    assert liquidity < floor(Fraction(1000 * E * supply, r_cst))
    cst, base = (
        ceil(Fraction(liquidity * r_cst, supply)),
        ceil(Fraction(liquidity * r_base, supply)),
    )
    assert router.deposit_amounts(pool, "CST", 1000 * E, 1000 * E) == (cst, base)
    assert router.deposit_amounts(pool, "BASE", 1000 * E, 1000 * E) == (base, cst)
    assert base <= 1000 * E and base > 999 * E  # nearly the whole limit, never above
    # Pair.mint gives exactly L, and each side is within one base unit of the ratio
    assert pool.add_liquidity("lp", cst, base) == liquidity
    assert 0 <= Fraction(cst) - Fraction(liquidity * r_cst, supply) < 1
    assert 0 <= Fraction(base) - Fraction(liquidity * r_base, supply) < 1
    assert ledger.balance(pool.lp_token, "lp") == liquidity


def test_limits_too_small_for_one_lp_unit_deposit_nothing() -> None:
    _, pool = moved_pool()
    assert router.deposit_amounts(pool, "CST", 1000 * E, 0) == (0, 0)
    assert router.deposit_amounts(pool, "CST", 0, 1000 * E) == (0, 0)
    # one LP unit needs about one base unit of each side (S ≈ R): 0 of BASE fits none
    assert router.deposit_for(10**22, 10**22 + 7, 10**22, 1, 0) == (0, 0, 0)
    # L = 1 costs ceil(R/S) of each side: 1 CST, 2 BASE when R_base = S + 7
    assert router.deposit_for(10**22, 10**22 + 7, 10**22, 1, 2) == (1, 1, 2)


def test_buy_for_deposit_buys_only_what_the_deposit_needs() -> None:
    _, pool = moved_pool()
    budget = 1000 * E
    base_in = router.buy_for_deposit(pool, "CST", budget, 0)
    assert 0 < base_in < budget
    got = pool.swap_exact_in("lp", "BASE", base_in)
    cst, base = router.deposit_amounts(pool, "CST", got, budget - base_in)
    minted = pool.add_liquidity("lp", cst, base)
    # both sides are used up to less than one step of the bisection: one more base unit
    # of input would have bought about one more base unit of CST
    assert got - cst <= 2
    assert budget - base_in - base <= 2
    # about half the budget buys CST: some 500 BASE into ~10,000 lifts the price by
    # about 10%, so at the new spot the deposit (L·R_base/S on each side) is worth a
    # little more than the budget (the CST bought gained ~5%), never less
    r_base = pool.reserve_of("BASE")
    value = 2 * Fraction(minted * r_base, pool.total_liquidity)
    assert budget < value < Fraction(103, 100) * budget
    assert Fraction(45, 100) * budget < base_in < Fraction(1, 2) * budget  # 488.8
    # with the tokens already held, nothing is bought
    assert router.buy_for_deposit(pool, "CST", 100 * E, 1000 * E) == 0
    # a budget too small for one LP unit buys nothing
    assert router.buy_for_deposit(pool, "CST", 1, 0) == 0
