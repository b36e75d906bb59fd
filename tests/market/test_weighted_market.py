"""The market on weighted pools (`market.pool.kind: weighted`): genesis at the genesis
price for any weight, a closed balance sheet, liquidity providers depositing the CST's
weight, impermanent loss with the weighted formula, and a 50/50 weighted market that
reproduces the constant-product market table for table (the independent reference:
at 50/50 a weighted pool's exact-in swaps are Uniswap's to the unit)."""

from __future__ import annotations

from decimal import Decimal, getcontext
from typing import Any

import pandas as pd
import pytest

from simfl.chain import Ledger, router
from simfl.chain.kinds import PoolParams, pool_kind, token_weight_units
from simfl.market import strategies as rules
from simfl.model import FederationMarket, run_model
from tests.market.scenarios import synthetic
from tests.market.test_balance_sheet import balance_sheet_gaps

E18 = 10**18
TRADERS: dict[str, Any] = {
    "market.reward.mode": "hybrid",
    "market.pool.seed_base": 800,
    "market.pool.seed_tokens": 2000,  # genesis price 0.4 BASE per CST
    "market.investors": [
        {"strategy": "noise", "count": 6, "activity": 1.0},
        {"strategy": "momentum", "count": 3, "activity": 0.5},
    ],
    "market.liquidity_providers": [{"count": 2, "budget": 3000, "add_yield": 0.0}],
    "market.substeps": 3,
}


# LPs rich enough to seed every pool themselves (`pool.source: liquidity_providers`): 4
# pools of 800 BASE plus the CST bought at 0.4, 3,200 BASE at CST weight 0.8
LP_SEEDED = {
    "market.pool.source": "liquidity_providers",
    "market.liquidity_providers": [{"count": 2, "budget": 30_000, "add_yield": 0.0}],
}


def weighted(weight: float, **overrides: Any) -> dict[str, Any]:
    return synthetic(
        **(TRADERS | {"market.pool.kind": "weighted", "market.pool.token_weight": weight})
        | overrides
    )


def seeded_from(source: str) -> dict[str, Any]:
    return LP_SEEDED if source == "liquidity_providers" else {}


@pytest.mark.parametrize("weight", [0.2, 0.5, 0.8])
@pytest.mark.parametrize("source", ["treasury", "liquidity_providers"])
def test_step_zero_price_is_the_genesis_price(weight: float, source: str) -> None:
    model = FederationMarket(weighted(weight, **seeded_from(source)), seed=3)
    step0 = model.tables()["model"].iloc[0]
    for i in range(model.n_clients):
        assert step0[f"price_{i}"] == 800 / 2000
        assert model.pools[i].spot_price(model.tokens[i]) == pytest.approx(0.4, rel=1e-20)


def test_an_eighty_twenty_pool_holds_a_quarter_of_the_cst() -> None:
    # CST weight 0.2 at price 0.4 BASE: B_cst = B_base · 0.2 / (0.8 · 0.4) = 800 · 0.625
    model = FederationMarket(weighted(0.2, **{"market.liquidity_providers": []}), seed=3)
    for pool, token in zip(model.pools, model.tokens):
        assert pool.reserve_of(model.base) == 800 * E18
        assert pool.reserve_of(token) == 500 * E18  # a quarter of the 2,000 at 50/50


@pytest.mark.parametrize("weight", [0.2, 0.35, 0.8])
@pytest.mark.parametrize("source", ["treasury", "liquidity_providers"])
def test_weighted_market_balance_sheet_closes_at_every_step(weight: float, source: str) -> None:
    model = run_model(
        weighted(weight, **seeded_from(source), **{"market.transaction_cost": 0.25}),
        seed=5,
    )
    gaps = balance_sheet_gaps(model.tables())
    assert len(gaps) == model.rounds + 1
    assert max(gaps) <= 1e-9, gaps
    model.ledger.check_invariants()


def test_a_dropped_pool_share_breaks_the_weighted_balance_sheet() -> None:
    tables = run_model(weighted(0.2), seed=5).tables()
    agents = tables["agents"]
    tables["agents"] = agents[agents["kind"] != "liquidity_provider"]
    assert max(balance_sheet_gaps(tables)) > 1e-6


def test_fifty_fifty_weighted_market_equals_the_constant_product_market() -> None:
    constant = run_model(synthetic(**TRADERS), seed=11).tables()
    even = run_model(weighted(0.5), seed=11).tables()
    for table in ("model", "agents", "events", "flows"):
        pd.testing.assert_frame_equal(constant[table], even[table], obj=table)
    swaps = constant["events"]["kind"] == "swap"
    assert swaps.sum() > 100  # trades happened: the equality is not vacuous


def test_eighty_twenty_market_differs_from_constant_product() -> None:
    constant = run_model(synthetic(**TRADERS), seed=11).tables()["model"]
    skewed = run_model(weighted(0.2), seed=11).tables()["model"]
    assert not constant["price_0"].equals(skewed["price_0"])


def test_a_genesis_liquidity_provider_deposits_the_cst_weight_of_value() -> None:
    model = FederationMarket(weighted(0.2), seed=3)
    for provider in model.liquidity_providers:
        for index in range(model.n_clients):
            cst_value = provider.deposited_tokens[index] * 0.4
            total = provider.deposited_base[index] + cst_value
            assert cst_value / total == pytest.approx(0.2, rel=1e-9)
            # it bought the CST it deposits, not half its budget's worth: nothing left over
            assert provider.token_balance(index) < 10**-6 * provider.deposited_tokens[index]


def test_weighted_impermanent_loss_by_hand() -> None:
    assert rules.impermanent_loss(4.0, 0.2) == pytest.approx(4**0.2 / 1.6 - 1)  # -0.17531
    assert rules.impermanent_loss(4.0) == pytest.approx(2 * 2 / 5 - 1)  # -0.2
    assert rules.impermanent_loss(0.25, 0.8) == pytest.approx(0.25**0.8 / 0.4 - 1)  # -0.1753
    # the same move and tolerance: a 50/50 LP leaves, an 80/20 one (CST at 0.2) stays
    assert rules.lp_should_withdraw(4.0, 0.18)
    assert not rules.lp_should_withdraw(4.0, 0.18, 0.2)


@pytest.mark.parametrize(("weight", "ratio"), [(0.2, 4.0), (0.2, 0.5), (0.65, 3.0)])
def test_weighted_impermanent_loss_matches_a_real_pool(weight: float, ratio: float) -> None:
    """Move a fee-free pool's price by `ratio` with one exact-in swap and compare the LP
    position's spot value with holding its genesis deposit at the new price."""
    getcontext().prec = 60
    base0, cst0 = 10_000 * E18, 10_000 * E18
    ledger = Ledger()
    for token in ("CST", "BASE"):
        ledger.register_token(token)
    params = PoolParams(0, token_weight_units(weight))
    pool = pool_kind("weighted").build(ledger, "CST", "BASE", params)
    tokens = pool_kind("weighted").genesis_tokens(base0, base0, cst0, params)
    pool.ledger.mint("CST", "lp", tokens)
    pool.ledger.mint("BASE", "lp", base0)
    pool.add_liquidity("lp", tokens, base0)
    # no fee: B_base moves by ratio^w (price up) or B_cst by ratio^-(1-w) (price down)
    w = Decimal(str(weight))
    if ratio > 1:
        amount = int(Decimal(base0) * (Decimal(str(ratio)) ** w - 1))
        pool.ledger.mint("BASE", "trader", amount)
        pool.swap_exact_in("trader", "BASE", amount)
    else:
        amount = int(Decimal(tokens) * (Decimal(str(ratio)) ** (w - 1) - 1))
        pool.ledger.mint("CST", "trader", amount)
        pool.swap_exact_in("trader", "CST", amount)
    price = pool.price("CST")
    assert price == pytest.approx(ratio, rel=1e-9)
    shares = pool.ledger.balance(pool.lp_token, "lp")
    position = router.position_value(pool, "CST", 0, shares)[0]
    hold = (base0 + tokens * price) * shares / pool.total_liquidity
    assert position / hold - 1 == pytest.approx(rules.impermanent_loss(price, weight), abs=1e-9)


def test_fee_yield_is_fees_over_the_pools_value_not_twice_its_base() -> None:
    # an 80/20 pool (CST at 0.2) is worth R_base / 0.8, not 2 · R_base
    model = FederationMarket(weighted(0.2), seed=3)
    model.step()
    for index, pool in enumerate(model.pools):
        value = pool.reserve_of(model.base) / 0.8 / E18
        assert model.round_fees[index] > 0
        assert model.fee_yields[index] == pytest.approx(model.round_fees[index] / value, rel=1e-12)


@pytest.mark.parametrize(("weight", "leaves"), [(0.5, True), (0.2, False)])
def test_a_liquidity_provider_judges_impermanent_loss_by_its_pools_weight(
    weight: float, leaves: bool
) -> None:
    # the price is 4 times the LP's entry: a 50/50 position has lost 20% against holding,
    # an 80/20 one (CST at 0.2) 17.5%; with a tolerance of 18% only the first leaves
    groups = [{"count": 1, "budget": 3000, "withdraw_loss": 0.18, "add_yield": 10.0}]
    model = FederationMarket(
        weighted(weight, **{"market.liquidity_providers": groups, "market.investors": []}),
        seed=3,
    )
    provider = model.liquidity_providers[0]
    pool = model.pools[0]
    assert model.ledger.balance(pool.lp_token, provider.account) > 0
    provider.entry_price[0] = model.view.prices[0] / 4
    provider.trade()
    assert (model.ledger.balance(pool.lp_token, provider.account) == 0) is leaves
