"""With Uniswap's protocol fee on, the LPs' fees exclude the protocol's cut.

``_mintFee`` mints the fee recipient 1/6 of the growth of √k as LP units: 5 of the 30
bps stay with the LPs' units, 1/6 of every fee goes to the protocol. One LP in a
10,000 / 10,000 pool, 200 round trips of 100 CST then 100 BASE: 20,000 of each token
paid in, so ``fees_total`` = 20,000 · 30 / 10,000 = 60 of each (by hand), of which the
protocol's cut is 60 / 6 = 10 of each and the LP units the other 50: 1,000 of the 10^22
units are locked, so 50·10^18·1000/10^22 = 5 base units are the locked account's.
"""

from __future__ import annotations

from fractions import Fraction

from simfl.chain import LOCKED_ACCOUNT, ConstantProductPool, Ledger

E = 10**18


def traded_pool() -> tuple[Ledger, ConstantProductPool]:
    ledger = Ledger()
    for token in ("CST", "BASE"):
        ledger.register_token(token)
        ledger.mint(token, "lp", 10_000 * E)
        ledger.mint(token, "trader", 1_000 * E)
    pool = ConstantProductPool(ledger, "CST", "BASE", protocol_fee_to="federation")
    pool.add_liquidity("lp", 10_000 * E, 10_000 * E)
    for _ in range(200):
        pool.swap_exact_in("trader", "CST", 100 * E)
        pool.swap_exact_in("trader", "BASE", 100 * E)
    return ledger, pool


def test_the_protocols_sixth_of_the_fees_is_not_the_lps() -> None:
    _, pool = traded_pool()
    pool.settle_fees()
    assert pool.fees_total() == (60 * E, 60 * E)
    assert pool.fees_of("federation") == (10 * E, 10 * E)
    assert pool.fees_of("lp") == (50 * E - 5, 50 * E - 5)
    assert pool.fees_of(LOCKED_ACCOUNT) == (5, 5)


def test_the_split_sums_exactly_and_matches_the_minted_lp_units() -> None:
    ledger, pool = traded_pool()
    pool.remove_liquidity("lp", 10**18)  # a liquidity event: _mintFee runs, fees settle
    holders = [pool.fees_of(a) for a in ("lp", LOCKED_ACCOUNT, "federation")]
    assert tuple(sum(side) for side in zip(*holders)) == pool.fees_total()
    assert holders[2] == (10 * E, 10 * E)
    # the LP units _mintFee minted are worth about the protocol's 20 (1/6 of √k's
    # growth is a little less than 1/6 of the fees: 19.8 here)
    units = ledger.balance(pool.lp_token, "federation")
    r_cst, r_base = pool.reserves
    worth = Fraction(units * (r_cst + r_base), pool.total_liquidity) / E
    assert Fraction(195, 10) < worth < 20
