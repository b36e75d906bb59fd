"""Traders act through a narrow context: testable with a bare ledger, one pool and no model."""

from __future__ import annotations

from fractions import Fraction
from math import floor

import mesa
import numpy as np

from simfl.chain import ConstantProductPool, Ledger
from simfl.market.agents import TX_COSTS_ACCOUNT, Trader
from simfl.market.context import MarketContext

E = 10**18


def small_market(transaction_cost: int = 0) -> tuple[Ledger, Trader]:
    ledger = Ledger()
    base, token = ledger.register_token("BASE"), ledger.register_token("CST_0")
    pool = ConstantProductPool(ledger, token, base)
    ledger.mint(token, "seed", 2000 * E)
    ledger.mint(base, "seed", 500 * E)
    pool.add_liquidity("seed", 2000 * E, 500 * E)  # 0.25 BASE per CST
    ledger.mint(base, "alice", 100 * E)
    context = MarketContext(
        ledger, [pool], [token], base, E, np.random.default_rng(1), 500 * E, 2000 * E,
        transaction_cost,
    )  # fmt: skip
    host = mesa.Model(seed=1)  # Mesa needs a model to register an agent; the trader never reads it
    host.context = context  # type: ignore[attr-defined]
    return ledger, Trader(host, "alice", slippage_bps=300)


def test_a_trader_buys_through_its_context_within_its_slippage_limit() -> None:
    ledger, alice = small_market()
    got = alice.buy(0, 100 * E)  # asks for all its BASE; the 3% cap allows about 13.96
    # cap: 500·(0.03 − 0.003) / (0.997·0.97) BASE, less 0.1%
    cap = floor(Fraction(500 * E * 270 * 10_000, 9970 * 9700)) * 999 // 1000
    assert ledger.balance("BASE", "alice") == 100 * E - cap
    # what cap BASE buys from 2,000 CST / 500 BASE with the 0.3% fee
    assert got == floor(Fraction(cap * 9970 * 2000 * E, 500 * E * 10_000 + cap * 9970))
    assert alice.trades == 1 and alice.market.genesis_price == 0.25


def test_a_trader_pays_the_transaction_cost_from_its_context() -> None:
    ledger, alice = small_market(transaction_cost=E // 10)
    alice.buy(0, 5 * E)
    assert ledger.balance("BASE", TX_COSTS_ACCOUNT) == E // 10
    assert ledger.balance("BASE", "alice") == 95 * E - E // 10
