"""Fee values the LP rules act on, pinned by hand on pools whose price is not 1.

(a) A pool's fees in BASE (`fees_base_i`, `fee_yield_i`, which drive the LPs' add rule):
each round's new fees are the fee part of the BASE paid in plus the fee part of the CST
paid in *times the closing price*; the yield divides them by the pool's depth at spot.
(b) A withdrawal realises the position's impermanent loss net of every fee earned up to
that moment, the latest swaps' included.
"""

from __future__ import annotations

from fractions import Fraction

import pytest

from tests.market.scenarios import market, synthetic

UNIT = 10**18


def test_pool_fees_value_the_token_side_at_the_closing_price() -> None:
    model = market(
        synthetic(
            **{
                "rounds": 3,
                "market.pool.seed_base": 3000,
                "market.pool.seed_tokens": 1000,  # 3 BASE per CST at genesis
                "market.reward": {"mode": "mint", "emission": 400},
                "market.clients": {"policy": "sell_fraction", "fraction": 0.5},
                "market.investors": [{"strategy": "noise", "count": 20, "activity": 1.0}],
            }
        )
    )
    for _ in range(3):
        model.step()
    table = model.tables()["model"]
    checked = 0
    for i in range(4):
        for step in (1, 2, 3):
            now, before = table.iloc[step], table.iloc[step - 1]
            base_in = now[f"volume_base_{i}"] - before[f"volume_base_{i}"]
            token_in = now[f"volume_token_{i}"] - before[f"volume_token_{i}"]
            price = now[f"price_{i}"]
            # 30 bps of what was paid in, the CST part at the closing price (≈ 3, not 1)
            fees = 0.003 * base_in + 0.003 * token_in * price
            assert now[f"fees_base_{i}"] - before[f"fees_base_{i}"] == pytest.approx(
                fees, rel=1e-9, abs=1e-12
            )
            depth = now[f"reserve_base_{i}"] + now[f"reserve_token_{i}"] * price
            assert now[f"fee_yield_{i}"] == pytest.approx(fees / depth, rel=1e-9, abs=1e-15)
            checked += token_in > 1.0 and abs(price - 1.0) > 0.5
    assert checked >= 4  # CST was sold into pools priced far from 1


def test_a_withdrawal_realises_the_loss_net_of_the_latest_fees() -> None:
    # one LP owns each pool (all but the locked units): 1,000 BASE and 500 CST, price 2
    model = market(
        synthetic(
            **{
                "market.pool.source": "liquidity_providers",
                "market.pool.seed_base": 1000,
                "market.pool.seed_tokens": 500,
                "market.liquidity_providers": [{"count": 1, "budget": 8000, "deploy": 0.0}],
            }
        )
    )
    lp, pool, ledger = model.liquidity_providers[0], model.pools[0], model.ledger
    ledger.mint("CST_0", "trader", 100 * UNIT)
    ledger.mint("BASE", "trader", 100 * UNIT)
    pool.swap_exact_in("trader", "CST_0", 50 * UNIT)  # fees 0.15 CST
    pool.swap_exact_in("trader", "BASE", 40 * UNIT)  # fees 0.12 BASE
    r_token, r_base = pool.reserve_of("CST_0"), pool.reserve_of("BASE")
    supply, shares = pool.total_liquidity, ledger.balance(pool.lp_token, lp.account)
    assert supply - shares == 1000  # the locked units
    spot = Fraction(r_base, r_token)
    # its units' share of the fees (the locked 1,000 of ~7e20 units earn < 1 base unit)
    fees = Fraction(12 * UNIT, 100) + Fraction(15 * UNIT, 100) * spot
    position = Fraction(shares, supply) * (r_base + r_token * spot)
    hold = 1000 * UNIT + 500 * UNIT * spot
    lp.withdraw(0)
    assert ledger.balance(pool.lp_token, lp.account) == 0
    assert lp.realized_fees == pytest.approx(float(fees), abs=10)
    expected_loss = (position - hold - fees) / UNIT
    assert lp.realized_loss == pytest.approx(float(expected_loss), abs=1e-12)
    assert expected_loss < 0  # the price moved: a loss, net of 0.42 BASE of fees
