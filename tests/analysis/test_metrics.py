"""Headline metrics read from result tables, pinned on hand-made tables.

Every expectation below is computed by hand in the comments (or by an independent
formula written out in the test), on inputs asymmetric enough that a wrong mark, a wrong
yardstick or a wrong correlation gives a different number.
"""

import math

import numpy as np
import pandas as pd
import pytest

from simfl.analysis.metrics import (
    _correlation,
    client_rewards,
    equal_payout_base,
    gini,
    headline_metrics,
    joint_liquidation,
)
from simfl.model import FederationMarket, run_model
from tests.market.scenarios import synthetic

UNIT = 10**18

# Four clients, one investor; genesis (step 0) and one round (step 1).
# Pool 0: 1000 BASE / 500 CST (price 2); pools 1-3: 800 BASE / 400 CST (price 2).
# Genesis price = seed_base / seed_tokens = 10000 / 5000 = 2.
# Round 1: revenue 600 BASE, all paid out (paid_base 150 to each client), emission 100 CST
# → nominal budget 600 + 100·2 = 800 BASE,
# equal payout = 800 / 4 clients = 200 BASE.
#
# client  value_spot (0 → 1)  value_liquidation (0 → 1)  costs  reward_spot  reward_liq
#   0     100 → 100            90 → 90                      0      0            0
#   1       0 → 420             0 → 400                    20    440          420
#   2       0 → 150             0 → 150                     0    150          150
#   3       0 → 30              0 → 25                      5     35           30
# reward_liq sum of positives = 600; shares 0, 0.7, 0.25, 0.05.
# Client 0 holds an endowment whose price never moved: its reward is 0 on either mark —
# subtracting a genesis *spot* value (100) from a final *liquidation* value (90) would
# wrongly show −10.
MANIFEST = {
    "scenario": {
        "market": {"pool": {"seed_base": 10000.0, "seed_tokens": 5000.0, "fee_bps": 30}},
        "fl": {"contribution": {"pay_by": "loo"}},
    },
    "clients": [
        {"index": 0, "behaviour": "honest", "size": 10},
        {"index": 1, "behaviour": "honest", "size": 20},
        {"index": 2, "behaviour": "free_rider", "size": 30},
        {"index": 3, "behaviour": "honest", "size": 40},
    ],
}


def agent_row(step, agent_id, kind, index, spot, liq, costs=0.0, holdings=(0.0,) * 4, **extra):
    row = {
        "step": step,
        "agent_id": agent_id,
        "kind": kind,
        "strategy": extra.pop("strategy", ""),
        "client_index": index,
        "value_spot": spot,
        "value_liquidation": liq,
        "costs_paid": costs,
        "holdings": list(holdings),
        "slippage_paid": 0.0,
        "fees_earned": 0.0,
        "impermanent_loss": 0.0,
    }
    row.update(extra)
    return row


def hand_tables() -> dict[str, pd.DataFrame]:
    agents = pd.DataFrame(
        [
            agent_row(0, 1, "client", 0, 100.0, 90.0, holdings=(50.0, 0, 0, 0)),
            agent_row(0, 2, "client", 1, 0.0, 0.0),
            agent_row(0, 3, "client", 2, 0.0, 0.0),
            agent_row(0, 4, "client", 3, 0.0, 0.0),
            agent_row(0, 5, "investor", -1, 300.0, 280.0, strategy="noise"),
            agent_row(1, 1, "client", 0, 100.0, 90.0, holdings=(50.0, 0, 0, 0)),
            agent_row(1, 2, "client", 1, 420.0, 400.0, 20.0, holdings=(100.0, 0, 0, 0)),
            agent_row(1, 3, "client", 2, 150.0, 150.0),
            agent_row(1, 4, "client", 3, 30.0, 25.0, 5.0),
            # the investor's PnL, same mark both ends: 250 − 280 = −30 (spot would say −40,
            # liquidation-now minus spot-at-genesis −50)
            agent_row(1, 5, "investor", -1, 260.0, 250.0, strategy="noise"),
        ]
    )
    model = pd.DataFrame(
        {
            "step": [0, 1],
            "round": [0, 1],
            "accuracy": [0.0, 0.8],
            "revenue": [0.0, 600.0],
            "emission": [0.0, 100.0],
            "treasury_base": [0.0, 0.0],
            "revenue_total": [0.0, 600.0],
            **{f"paid_base_{i}": [0.0, 150.0] for i in range(4)},  # 600 BASE paid out
            **{f"price_{i}": [2.0, 2.0] for i in range(4)},
            "reserve_base_0": [1000.0, 1000.0],
            "reserve_token_0": [500.0, 500.0],
            **{f"reserve_base_{i}": [800.0, 800.0] for i in range(1, 4)},
            **{f"reserve_token_{i}": [400.0, 400.0] for i in range(1, 4)},
            **{f"volume_base_{i}": [0.0, 0.0] for i in range(4)},
        }
    )
    scores = pd.DataFrame(
        {
            "round": [1] * 4,
            "client": [0, 1, 2, 3],
            "method": ["loo"] * 4,
            "score": [0.0, 3.0, 1.0, 1.0],
            "participated": [True] * 4,
        }
    )
    return {"model": model, "agents": agents, "scores": scores}


def test_gini_is_zero_for_equal_and_high_for_concentrated_rewards() -> None:
    assert gini([5, 5, 5]) == 0.0
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75)
    # 1, 2, 3, 4: Σ|xi − xj| over ordered pairs = 20, mean 2.5 → 20 / (2·16·2.5) = 0.25
    assert gini([4, 1, 3, 2]) == pytest.approx(0.25)


def test_equal_payout_is_the_nominal_budget_over_the_clients() -> None:
    # (600 BASE + 100 CST · genesis price 2) / 4 clients
    assert equal_payout_base(hand_tables(), MANIFEST) == pytest.approx(200.0)


def test_rewards_use_the_same_mark_at_both_ends_and_one_yardstick() -> None:
    rewards = client_rewards(hand_tables(), MANIFEST)
    assert rewards["reward_liquidation"].tolist() == pytest.approx([0.0, 420.0, 150.0, 30.0])
    assert rewards["reward_spot"].tolist() == pytest.approx([0.0, 440.0, 150.0, 35.0])
    assert rewards["equal_payout_base"].tolist() == [200.0] * 4
    assert rewards["pct_equal_liquidation"].tolist() == pytest.approx([0.0, 210.0, 75.0, 15.0])
    assert rewards["pct_equal_spot"].tolist() == pytest.approx([0.0, 220.0, 75.0, 17.5])
    assert rewards["reward_share"].tolist() == pytest.approx([0.0, 0.7, 0.25, 0.05])
    # loo totals 0, 3, 1, 1 of 5
    assert rewards["contribution_share"].tolist() == pytest.approx([0.0, 0.6, 0.2, 0.2])


def test_a_comparison_passes_its_own_runs_yardstick() -> None:
    rewards = client_rewards(hand_tables(), MANIFEST, equal_payout=400.0)
    assert rewards["pct_equal_liquidation"].tolist() == pytest.approx([0.0, 105.0, 37.5, 7.5])


def test_correlations_are_what_they_are_named() -> None:
    # monotone but not linear: ranks agree exactly (Spearman 1); Pearson by its formula
    a, b = [1.0, 2.0, 3.0, 4.0, 100.0], [1.0, 2.0, 3.0, 4.0, 5.0]
    ma, mb = sum(a) / 5, sum(b) / 5
    cov = sum((x - ma) * (y - mb) for x, y in zip(a, b))
    pearson = cov / math.sqrt(sum((x - ma) ** 2 for x in a) * sum((y - mb) ** 2 for y in b))
    assert _correlation("spearman", a, b) == pytest.approx(1.0)
    assert _correlation("pearson", a, b) == pytest.approx(pearson)
    assert pearson < 0.8  # the two differ here
    assert math.isnan(_correlation("spearman", [1.0, 1.0, 1.0], b[:3]))


def test_headline_uses_the_liquidation_mark() -> None:
    metrics = headline_metrics(hand_tables(), MANIFEST)
    assert metrics["equal_payout_base"] == pytest.approx(200.0)
    assert metrics["free_rider_reward_share"] == pytest.approx(0.25)  # 150 of 600
    assert metrics["honest_pct_equal_min"] == pytest.approx(0.0)
    # rewards 0, 420, 150, 30 against sizes 10, 20, 30, 40: ranks (1, 4, 3, 2) vs (1, 2, 3, 4)
    # Spearman = 1 − 6·Σd²/(n(n²−1)) = 1 − 6·(0+4+0+4)/60 = 0.2
    assert metrics["spearman"] == pytest.approx(0.2)
    # Gini of 0, 30, 150, 420: Σ|xi − xj| (ordered pairs) = 2·(30+150+420+120+390+270) = 2760,
    # mean 150 → 2760 / (2·16·150) = 0.575
    assert metrics["gini"] == pytest.approx(0.575)
    assert metrics["investor_pnl_noise"] == pytest.approx(-30.0)
    # 600 BASE of rewards reached the clients out of an 800 BASE budget
    assert metrics["client_reward_pct_budget"] == pytest.approx(75.0)


def fee_out(amount_in: int, reserve_in: int, reserve_out: int) -> int:
    """Uniswap v2's getAmountOut at 30 bps, written out here as the reference."""
    return amount_in * 997 * reserve_out // (reserve_in * 1000 + amount_in * 997)


def test_joint_liquidation_sells_every_outside_holding_in_turn_with_the_fee() -> None:
    # token 0: client 0 holds 50, client 1 holds 100 (table order: client 0 first);
    # pool 0 holds 1000 BASE / 500 CST
    first = fee_out(50 * UNIT, 500 * UNIT, 1000 * UNIT)
    second = fee_out(100 * UNIT, 550 * UNIT, 1000 * UNIT - first)
    joint, spot = joint_liquidation(hand_tables(), MANIFEST)
    assert joint == pytest.approx((first + second) / UNIT, rel=1e-12)
    assert spot == pytest.approx(300.0)  # 150 CST at price 2
    # the fee is charged: without it the pair would fetch 1000 − 500·1000/650 = 230.77
    assert joint < 1000 - 500 * 1000 / 650 - 0.5


def test_step_zero_liquidation_value_charges_the_fee() -> None:
    # a client endowed with 1,000 CST in a 10,000 / 10,000 pool: selling it all would
    # fetch getAmountOut(1000, 10000, 10000) at 30 bps, not the 909.09 of a fee-free swap
    model = FederationMarket(synthetic(**{"market.clients.token_endowment": 1000}), seed=7)
    tables = model.tables()
    client = tables["agents"].query("kind == 'client' and client_index == 0")
    expected = fee_out(1000 * UNIT, 10_000 * UNIT, 10_000 * UNIT) / UNIT
    assert client["value_liquidation"].iloc[0] == pytest.approx(expected, rel=1e-12)
    assert client["value_spot"].iloc[0] == pytest.approx(1000.0)


def buy_own_token(spend: float) -> pd.DataFrame:
    """Two mint-mode rounds; before round 2, client 0 spends `spend` BASE on its token."""
    scenario = synthetic(
        **{"rounds": 2, "market.reward.mode": "mint", "market.clients.endowment": 100}
    )
    model = FederationMarket(scenario, seed=7)  # the same scores in both runs
    model.step()
    if spend:
        client = model.clients[0]
        assert client.buy(0, int(spend * UNIT)) > 0
    model.step()
    manifest = {"scenario": model.scenario.model_dump(mode="json"), "clients": []}
    return client_rewards(model.tables(), manifest).set_index("client")


def test_a_client_buying_its_own_token_gains_nothing_on_the_headline_mark() -> None:
    honest, pumped = buy_own_token(0.0), buy_own_token(20.0)
    # at spot the pump pays (the issue measured +21 % for a 6 BASE cost) ...
    assert pumped.loc[0, "reward_spot"] > honest.loc[0, "reward_spot"]
    # ... on the liquidation mark it costs the two fees and the price impact
    assert pumped.loc[0, "reward_liquidation"] < honest.loc[0, "reward_liquidation"]
    assert pumped.loc[1:, "reward_liquidation"].tolist() == pytest.approx(
        honest.loc[1:, "reward_liquidation"].tolist()
    )


def test_headline_of_a_run_counts_rounds_and_names_its_ground_truth() -> None:
    model = run_model(synthetic(**{"fl.behaviours": {0: "free_rider"}, "rounds": 3}))
    manifest = {
        "scenario": model.scenario.model_dump(mode="json"),
        "clients": [
            {"index": i, "behaviour": b, "size": s}
            for i, (b, s) in enumerate(zip(model.source.behaviours, model.source.client_sizes))
        ],
    }
    metrics = headline_metrics(model.tables(), manifest)
    assert metrics["rounds"] == 3.0
    assert metrics["ground_truth"] == "size"
    assert metrics["free_rider_reward_share"] == 0.0
    # direct mode, 1000 BASE a round for 3 rounds, 4 clients: 750 BASE each
    assert metrics["equal_payout_base"] == pytest.approx(750.0)
    # no traders: direct pays the whole budget in BASE (less floors' dust)
    assert metrics["client_reward_pct_budget"] == pytest.approx(100.0, abs=1e-9)
    assert np.isfinite(metrics["joint_liquidation_base"])


def test_joint_liquidation_uses_the_runs_pool_kind() -> None:
    # an 80/20 pool (CST weight 0.2): Balancer's out-given-in, written out with Decimal:
    # out = B_out · (1 − (B_in / (B_in + a·(1 − fee)))^(w_in / w_out))
    from decimal import Decimal, getcontext

    getcontext().prec = 50
    manifest = {
        "scenario": {
            "market": {"pool": {"kind": "weighted", "token_weight": 0.2, "fee_bps": 30}},
            "fl": {"contribution": {"pay_by": "loo"}},
        },
        "clients": MANIFEST["clients"],
    }

    def weighted_out(a: int, b_in: int, b_out: int) -> Decimal:
        ratio = Decimal(b_in) / (Decimal(b_in) + Decimal(a) * Decimal("0.997"))
        return Decimal(b_out) * (1 - ratio ** Decimal("0.25"))

    first = weighted_out(50 * UNIT, 500 * UNIT, 1000 * UNIT)
    second = weighted_out(100 * UNIT, 550 * UNIT, int(1000 * UNIT - first))
    joint, _ = joint_liquidation(hand_tables(), manifest)
    assert joint == pytest.approx(float((first + second) / UNIT), rel=1e-9)
