"""The federation sells CST at the genesis price only at genesis.

The sale exists so that pools open at their genesis price and investors can hold tokens
from the start; mid-run, a strategy calling it would mint CST at a stale price.
"""

from __future__ import annotations

from simfl.market.context import no_genesis_sale
from tests.market.scenarios import market, synthetic

UNIT = 10**18


def test_a_genesis_sale_after_genesis_is_refused() -> None:
    model = market(
        synthetic(**{"market.investors": [{"strategy": "noise", "count": 1, "budget": 500}]})
    )
    investor = model.investors[0]
    assert investor.token_balance(0) > 0  # it did buy at genesis (noise: half its budget)
    assert model.context.genesis_sale is no_genesis_sale
    for _ in range(2):  # at the end of genesis and after a round
        supply, held = model.ledger.total_supply("CST_0"), investor.base_balance()
        assert held >= 100 * UNIT
        assert model.context.genesis_sale(investor.account, 0, 10 * UNIT) == 0
        investor.buy_at_genesis(0.5)
        assert model.ledger.total_supply("CST_0") == supply
        assert investor.base_balance() == held
        model.step()


def test_the_genesis_price_rounds_in_the_sellers_favour() -> None:
    # 7 BASE for 3 CST: 1 CST costs 7/3 BASE = 2.333…, charged 2333333333333333334 base
    # units (up), not …333 (down: the buyer's favour)
    model = market(
        synthetic(
            **{
                "market.pool.seed_base": 7000,
                "market.pool.seed_tokens": 3000,
                "market.investors": [{"strategy": "value", "count": 1, "budget": 100}],
            }
        )
    )
    federation, investor = model.federation, model.investors[0]
    assert federation.genesis_price_of(UNIT) == 2_333_333_333_333_333_334
    assert federation.genesis_price_of(3 * UNIT) == 7 * UNIT  # exact: no rounding
    assert federation.genesis_price_of(1) == 3  # 7/3 of a base unit: 3, never 2
    before = investor.base_balance()
    assert federation.genesis_sale(investor.account, 0, UNIT) == 2_333_333_333_333_333_334
    assert before - investor.base_balance() == 2_333_333_333_333_333_334
    assert investor.token_balance(0) == UNIT
