"""A replayed FL trajectory starts from the recorded initial model, so a market on it
pays round 1 what the original run paid (revenue `accuracy_gain` reads the round-1 gain
from the model before round 1; comparison markets are built this way in the runner)."""

import pandas as pd

from simfl.config import load_scenario
from simfl.model import run_model
from simfl.sources import TrajectoryReplay

GAIN_PAID = {
    "rounds": 2,
    "compare": [],
    "fl.contribution.methods": ["size", "loo"],
    "fl.contribution.pay_by": "loo",
    "market.reward.revenue": {"kind": "accuracy_gain", "amount": 1000},
}


def test_a_replayed_market_pays_round_ones_real_gain_like_the_original():
    scenario = load_scenario("quickstart", GAIN_PAID)
    original = run_model(scenario)
    replay = TrajectoryReplay(
        original.trajectory,
        original.source.client_sizes,
        original.source.behaviours,
        initial=original.source.initial,
    )
    replayed = run_model(scenario, source=replay)
    paid, repaid = original.tables()["model"], replayed.tables()["model"]
    # round 1 pays 1000 x (accuracy after round 1 - accuracy of the initial model)
    gain = paid["validation_accuracy"][1] - paid["validation_accuracy"][0]
    assert paid["validation_accuracy"][0] > 0.0  # the initial model was really evaluated
    assert abs(paid["revenue"][1] - 1000 * gain) < 1e-9
    assert list(repaid["revenue"]) == list(paid["revenue"])


def test_comparison_markets_share_the_runs_budget_under_gain_based_revenue(tmp_path):
    from simfl.runner import run_scenario

    folder = run_scenario(
        "quickstart", tmp_path, overrides={**GAIN_PAID, "compare": ["size", "loo"]}
    )
    comparison = pd.read_parquet(folder / "comparison.parquet")
    assert set(comparison["method"]) == {"size", "loo"}
    # the size market is a replay: without the initial model its round 1 pays another gain
    gap = (comparison["market_equal_payout_base"] - comparison["equal_payout_base"]).abs()
    assert (gap <= 1e-9 * comparison["equal_payout_base"]).all()
