"""Genesis sales, the treasury's spending, carried buy-backs, transaction costs and exact
LP fees in a running market. Expected values are worked out by hand in each test."""

from __future__ import annotations

from pathlib import Path

import pytest

from simfl.chain import LOCKED_ACCOUNT
from simfl.market import payout
from simfl.market.agents import TX_COSTS_ACCOUNT
from simfl.market.mechanism import split_amount
from simfl.model import run_model
from tests.market.scenarios import market, synthetic

UNIT = 10**18
SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"


def test_investors_hold_tokens_bought_from_the_federation_at_the_genesis_price() -> None:
    model = market(
        synthetic(
            **{
                "market.pool.seed_base": 500,
                "market.pool.seed_tokens": 2000,  # 0.25 BASE per CST
                "market.investors": [
                    {"strategy": "value", "count": 2, "budget": 1000, "genesis_tokens": 0.4}
                ],
            }
        )
    )
    # 40% of 1,000 over 4 tokens: 100 BASE each, buying 400 CST at 0.25
    for investor in model.investors:
        assert [investor.token_balance(i) for i in range(4)] == [400 * UNIT] * 4
        assert investor.base_balance() == 600 * UNIT
    assert model.ledger.balance(model.base, "federation") == 2 * 400 * UNIT
    assert all(pool.price(t) == 0.25 for pool, t in zip(model.pools, model.tokens))
    events = model.tables()["events"]
    assert (events["kind"] == "genesis_sale").sum() == 8


def test_noise_traders_hold_tokens_by_default_and_sell_in_round_one() -> None:
    model = market(
        synthetic(**{"market.investors": [{"strategy": "noise", "count": 10, "activity": 1.0}]})
    )
    assert all(any(i.token_balance(t) for t in range(4)) for i in model.investors)
    model.step()
    swaps = model.tables()["events"].query("step == 1 and kind == 'swap'")
    by_investors = swaps["sender"].str.startswith("investor-")
    sells = swaps[by_investors & swaps["token"].str.startswith("CST")]
    assert len(sells) > 0


def test_the_treasury_spends_initial_evenly_through_direct_payments() -> None:
    model = run_model(
        synthetic(**{"market.reward.revenue": 0, "market.treasury.initial": 1000, "rounds": 4})
    )
    table = model.tables()["model"]
    assert table["treasury_spent"].tolist() == [0.0, 250.0, 500.0, 750.0, 1000.0]
    paid = sum(model.federation.paid_base)
    assert 0 <= 1000 * UNIT - paid < 4 * 4  # floors lose under a unit per client and round
    assert model.ledger.balance(model.base, "federation") == 1000 * UNIT - paid


def test_a_treasury_told_to_hold_keeps_its_initial_capital() -> None:
    model = run_model(
        synthetic(
            **{
                "market.reward.revenue": 0,
                "market.treasury.initial": 1000,
                "market.treasury.spend": "hold",
            }
        )
    )
    assert sum(model.federation.paid_base) == 0
    assert model.ledger.balance(model.base, "federation") == 1000 * UNIT


def test_in_mint_mode_the_treasury_spends_through_buybacks() -> None:
    model = run_model(
        synthetic(**{"market.reward.mode": "mint", "market.treasury.initial": 400, "rounds": 2})
    )
    spent = sum(model.federation.bought_back_base)
    assert 0 <= 400 * UNIT - spent < 2 * 4
    assert model.federation.revenue_total == 0


def test_a_buyback_too_small_to_execute_is_carried_to_the_next_round() -> None:
    model = market(synthetic(**{"market.reward.mode": "buyback"}))
    federation = model.federation
    model.ledger.mint(model.base, federation.account, 1)  # 1 base unit buys 0 tokens
    payout.buy_back(model, 0, 1)
    assert federation.carry[0] == 1 and federation.bought_back_base[0] == 0
    model.step()
    planned = split_amount(1000 * UNIT, model.weights)
    assert federation.announced[0] == planned[0] + 1
    assert federation.bought_back_base[0] == planned[0] + 1
    assert federation.carry == [0, 0, 0, 0]


def test_every_trade_pays_the_transaction_cost_to_its_sink() -> None:
    model = run_model(
        synthetic(
            **{
                "market.transaction_cost": 0.25,
                "market.clients.policy": "sell_fraction",
                "market.reward.mode": "mint",
                "market.investors": [{"strategy": "noise", "count": 6, "activity": 1.0}],
            }
        )
    )
    cost = UNIT // 4
    paid = [t.transaction_cost_units for t in model.traders]
    assert model.ledger.balance(model.base, TX_COSTS_ACCOUNT) == sum(paid) > 0
    for investor in model.investors:  # BASE on hand: every trade paid in full
        assert investor.transaction_cost_units == investor.trades * cost
    for client in model.clients:  # a sale too small to cover the cost pays what it can
        assert client.transaction_cost_units <= client.trades * cost


def test_lp_fees_are_its_exact_share_with_token_side_fees_at_the_closing_price() -> None:
    model = market(
        synthetic(
            **{
                "market.reward.mode": "mint",
                "market.reward.emission": 5000,
                "market.clients.policy": "sell_fraction",
                "market.clients.fraction": 1.0,
                "market.liquidity_providers": [{"count": 1, "budget": 4000, "deploy": 1.0}],
            }
        )
    )
    provider = model.liquidity_providers[0]
    model.step()  # only clients trade: every fee is paid in CST
    total = 0
    for pool, token in zip(model.pools, model.tokens):
        assert pool.volume_in[model.base] == 0
        fee_tokens = pool.volume_in[token] * 30 // 10_000
        # the federation's 10,000 LP units (1e-15 locked) and the LP's 500: a 21st share
        share = fee_tokens * 500 // 10_500
        reserve_base, reserve_token = pool.reserve_of(model.base), pool.reserve_of(token)
        assert reserve_base < reserve_token  # the price fell below 1: the mark matters
        total += share * reserve_base // reserve_token
    assert provider.fees_earned * UNIT == pytest.approx(total, abs=8)
    whole_pool = sum(p.volume_in[t] * 30 // 10_000 for p, t in zip(model.pools, model.tokens))
    assert provider.fees_earned * UNIT < whole_pool / 20  # never the whole pool's fees


def test_locked_liquidity_earns_its_sliver_of_fees_too() -> None:
    model = run_model(
        synthetic(**{"market.investors": [{"strategy": "noise", "count": 6, "activity": 1.0}]})
    )
    pool = model.pools[0]
    owners = ("federation", LOCKED_ACCOUNT)
    assert [sum(pool.fees_of(a)[k] for a in owners) for k in (0, 1)] == list(pool.fees_total())


def test_lp_add_and_withdraw_rules_fire_in_the_liquidity_scenario() -> None:
    model = run_model(
        str(SCENARIOS / "liquidity.yaml"), overrides={"scores.source": "synthetic", "rounds": 10}
    )
    events = model.tables()["events"]
    moves = events[events["sender"].str.startswith("lp-")]
    assert (moves[moves["step"] > 0]["kind"] == "remove_liquidity").sum() >= 1
    # the yield chasers (lp-3..5: deploy 0.3 of 3000 BASE at genesis, add 250 BASE a
    # pool when fees pay) keep depositing after prices move: each adds more LP units
    # after genesis than the 6 · 75 = 450 it got at genesis (a pool at 1:1 mints one
    # unit per CST), not a few dust units
    adds = moves[moves["kind"] == "add_liquidity"]
    for provider in model.liquidity_providers[3:6]:
        own = adds[adds["sender"] == provider.account]
        genesis = sum(int(a) for a in own[own["step"] == 0]["amount"])
        later = sum(int(a) for a in own[own["step"] > 0]["amount"])
        assert genesis == 450 * UNIT
        assert later > genesis
    # an LP that never withdrew holds no CST of its own: what it buys, it deposits (at
    # most a few base units of rounding)
    withdrew = set(moves[moves["kind"] == "remove_liquidity"]["sender"])
    for provider in model.liquidity_providers:
        if provider.account not in withdrew:
            loose = [provider.token_balance(i) for i in range(model.n_clients)]
            assert max(loose) <= 10, (provider.account, loose)


def test_lp_seeded_pools_belong_to_the_lps_and_open_at_the_genesis_price() -> None:
    model = market(
        synthetic(
            **{
                "market.pool.source": "liquidity_providers",
                "market.pool.seed_base": 600,
                "market.pool.seed_tokens": 1200,
                "market.liquidity_providers": [{"count": 3, "budget": 2000, "deploy": 0.0}],
            }
        )
    )
    for pool, token in zip(model.pools, model.tokens):
        assert pool.price(token) == 0.5
        assert model.ledger.balance(pool.lp_token, "federation") == 0
        shares = [model.ledger.balance(pool.lp_token, p.account) for p in model.liquidity_providers]
        assert shares[1] == shares[2] and abs(shares[0] - shares[1]) <= 1000  # 1st locks 1000
    # each LP bought 400 CST per pool at 0.5: 4 pools · 3 LPs · 200 BASE to the federation
    assert model.ledger.balance(model.base, "federation") == 4 * 3 * 200 * UNIT
    for provider in model.liquidity_providers:
        assert provider.base_balance() == (2000 - 4 * 400) * UNIT


def test_buybacks_split_over_substeps_buy_in_equal_slices() -> None:
    model = market(
        synthetic(
            **{
                "market.reward.mode": "buyback",
                "market.reward.buyback_slices": 3,
                "market.substeps": 3,
            }
        )
    )
    model.step()
    announced = model.federation.announced
    events = model.tables()["events"].query("step == 1 and kind == 'swap'")
    buys = events[(events["sender"] == "federation") & (events["token"] == "BASE")]
    # 3 slices per token: ⌊A/3⌋, ⌊2A/3⌋ − ⌊A/3⌋, A − ⌊2A/3⌋
    for i, total in enumerate(announced):
        pool = model.pools[i].address
        mine = [int(a) for a in buys.loc[buys["recipient"] == pool, "amount"]]
        assert mine == [total // 3, 2 * total // 3 - total // 3, total - 2 * total // 3]
    assert model.federation.bought_back_base == announced
    assert model.federation.carry == [0, 0, 0, 0]


def test_a_slippage_capped_buyback_carries_what_it_could_not_buy() -> None:
    model = market(
        synthetic(
            **{
                "market.reward.mode": "buyback",
                "market.reward.revenue": 5000,  # half of a 10,000 BASE pool's reserve
                "market.reward.buyback_max_slippage_bps": 100,
            }
        )
    )
    model.step()
    federation = model.federation
    for i, total in enumerate(federation.announced):
        # 1% all-in with a 0.3% fee: at most 10,000·0.007/(0.997·0.99) ≈ 70.9 BASE, less 0.1%
        cap = 10_000 * UNIT * 70 * 10_000 // (9970 * 9900) * 999 // 1000
        assert federation.bought_back_base[i] == min(total, cap)
        assert federation.carry[i] == total - federation.bought_back_base[i]
    assert sum(federation.carry) > 0


def test_lp_impermanent_loss_is_position_less_hold_less_its_fees() -> None:
    model = market(
        synthetic(
            **{
                "market.reward.mode": "mint",
                "market.reward.emission": 5000,
                "market.clients.policy": "sell_fraction",
                "market.clients.fraction": 1.0,
                "market.liquidity_providers": [{"count": 1, "budget": 4000, "deploy": 1.0}],
            }
        )
    )
    provider = model.liquidity_providers[0]
    model.step()
    expected = 0.0
    for pool, token in zip(model.pools, model.tokens):
        reserve_base, reserve_token = pool.reserve_of(model.base), pool.reserve_of(token)
        price = reserve_base / reserve_token
        # a 21st of the pool (500 of 10,500 LP units), at spot: both sides worth 2·R_base/21
        position = 2 * reserve_base / 21
        hold = 500 * UNIT + 500 * UNIT * price  # deposited 500 BASE and 500 CST
        fees = pool.volume_in[token] * 30 // 10_000 / 21 * price  # CST fees at spot
        expected += (position - hold - fees) / UNIT
    assert expected < 0
    assert provider.impermanent_loss == pytest.approx(expected, rel=1e-9, abs=1e-12)
