"""comparison.parquet: payout methods and modes on one FL trajectory, one yardstick."""

import pandas as pd
import pytest

from simfl.config import load_scenario
from simfl.runner import mode_overrides, run_scenario
from tests.market.scenarios import synthetic

BUYBACK = {
    "rounds": 3,
    "compare": ["size"],
    "compare_modes": ["direct", "mint", "buyback", "hybrid"],
    "market.pool": {"seed_base": 10000, "seed_tokens": 5000},  # genesis price 2
    "market.reward": {
        "mode": "buyback",
        "revenue": {"kind": "accuracy", "amount": 1500},
        "emission": 1000,
        "bought_back": "forward",
    },
}


def test_modes_get_the_runs_budget_split_by_their_base_share() -> None:
    config = load_scenario(synthetic(**BUYBACK))
    accuracy = {"kind": "accuracy", "decay": 0.9}
    # the run pays 1500 · accuracy BASE a round; at genesis price 2 that is 750 CST
    assert mode_overrides(config, "mint") == {
        "market.reward.mode": "mint",
        "market.reward.revenue": {**accuracy, "amount": 0.0},
        "market.reward.emission": {**accuracy, "amount": 750.0},
    }
    hybrid = mode_overrides(config, "hybrid")
    assert hybrid["market.reward.revenue"]["amount"] == 750.0
    assert hybrid["market.reward.emission"]["amount"] == 375.0
    assert mode_overrides(config, "direct")["market.reward.revenue"]["amount"] == 1500.0


def test_a_mint_runs_budget_is_its_emission_at_the_genesis_price() -> None:
    config = load_scenario(
        synthetic(
            **{
                "compare_modes": ["buyback"],
                "market.pool": {"seed_base": 10000, "seed_tokens": 5000},
                "market.reward": {
                    "mode": "mint",
                    "revenue": 999,  # unused in mint mode: it earns nothing
                    "emission": {"kind": "decaying", "amount": 300, "decay": 0.8},
                },
            }
        )
    )
    # 300 CST · 2 = 600 BASE a round, decaying by 0.8 like the emission
    assert mode_overrides(config, "buyback")["market.reward.revenue"] == {
        "kind": "decaying",
        "amount": 600.0,
        "decay": 0.8,
    }


def test_a_hybrid_runs_budget_adds_its_emission_at_the_genesis_price() -> None:
    config = load_scenario(
        synthetic(
            **{
                "compare_modes": ["direct"],
                "market.pool": {"seed_base": 10000, "seed_tokens": 5000},
                "market.reward": {"mode": "hybrid", "revenue": 1000, "emission": 200},
            }
        )
    )
    # 1000 BASE + 200 CST · 2 = 1400 BASE a round
    assert mode_overrides(config, "direct")["market.reward.revenue"]["amount"] == 1400.0


def test_a_hybrid_run_on_two_schedules_is_compared_at_its_total_budget(tmp_path) -> None:
    # revenue 1000·accuracy BASE and a constant 500 CST (at genesis price 2: 1000 BASE) a
    # round: no one schedule, so the compared modes follow the revenue's, scaled so the
    # run's total matches — and `--set market.reward.mode=hybrid` on such a scenario
    # stays valid
    hybrid = {
        **BUYBACK,
        "market.reward": {
            "mode": "hybrid",
            "revenue": {"kind": "accuracy", "amount": 1000},
            "emission": 500,
        },
    }
    run = run_scenario(synthetic(**hybrid), tmp_path)
    model = pd.read_parquet(run / "model.parquet")
    accuracy = model["accuracy"].iloc[1:].sum()
    equal = (1000 * accuracy + 3 * 500 * 2) / 4
    comparison = pd.read_parquet(run / "comparison.parquet")
    assert comparison["equal_payout_base"].unique().tolist() == [pytest.approx(equal)]
    assert comparison["market_equal_payout_base"].to_numpy() == pytest.approx(equal, rel=1e-9)
    config = load_scenario(synthetic(**hybrid))
    direct = mode_overrides(config, "direct", model)["market.reward.revenue"]
    assert direct["kind"] == "accuracy"
    assert direct["amount"] == pytest.approx(1000 * (1000 * accuracy + 3000) / (1000 * accuracy))


def test_every_compared_market_is_on_the_runs_one_yardstick(tmp_path) -> None:
    run = run_scenario(synthetic(**BUYBACK), tmp_path)
    comparison = pd.read_parquet(run / "comparison.parquet")
    markets = comparison.groupby(["method", "mode", "varies"]).size()
    assert sorted(markets.index) == [
        ("loo", "buyback", "own"),
        ("loo", "direct", "mode"),
        ("loo", "hybrid", "mode"),
        ("loo", "mint", "mode"),
        ("size", "buyback", "method"),
    ]
    model = pd.read_parquet(run / "model.parquet")
    # 1500 · accuracy summed over the rounds, over 4 clients
    equal = 1500 * model["accuracy"].iloc[1:].sum() / 4
    assert comparison["equal_payout_base"].unique().tolist() == [pytest.approx(equal)]
    assert comparison["market_equal_payout_base"].to_numpy() == pytest.approx(equal, rel=1e-9)
    assert comparison["pct_equal_liquidation"].to_numpy() == pytest.approx(
        (100 * comparison["reward_liquidation"] / equal).to_numpy()
    )
    direct = comparison[comparison["mode"] == "direct"]
    # direct pays the whole budget in BASE (less the floors' dust): 100 % on average
    assert direct["pct_equal_liquidation"].mean() == pytest.approx(100.0, abs=1e-9)


def test_the_comparison_is_byte_identical_for_the_same_seed(tmp_path) -> None:
    first = run_scenario(synthetic(**BUYBACK), tmp_path / "a")
    second = run_scenario(synthetic(**BUYBACK), tmp_path / "b")
    a, b = (path / "comparison.parquet" for path in (first, second))
    assert a.read_bytes() == b.read_bytes()
