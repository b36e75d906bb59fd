"""Headline metrics read from result tables."""

import pandas as pd
import pytest

from simfl.market.metrics import client_rewards, gini, headline_metrics
from simfl.model import run_model
from tests.market.scenarios import synthetic


@pytest.fixture(scope="module")
def finished() -> tuple[dict[str, pd.DataFrame], dict]:
    scenario = synthetic(**{"fl.behaviours": {0: "free_rider"}, "rounds": 3})
    model = run_model(scenario)
    manifest = {
        "scenario": model.scenario.model_dump(mode="json"),
        "clients": [
            {"index": i, "behaviour": b, "size": s}
            for i, (b, s) in enumerate(zip(model.source.behaviours, model.source.client_sizes))
        ],
    }
    return model.tables(), manifest


def test_gini_is_zero_for_equal_and_high_for_concentrated_rewards() -> None:
    assert gini([5, 5, 5]) == 0.0
    assert gini([0, 0, 0, 10]) == pytest.approx(0.75)


def test_rewards_are_percentages_of_an_equal_payout(finished) -> None:
    rewards = client_rewards(*finished)
    equal = rewards["reward_spot"].sum() / len(rewards)
    assert rewards["pct_equal_spot"].tolist() == pytest.approx(
        (100 * rewards["reward_spot"] / equal).tolist()
    )
    assert rewards["reward_share"].sum() == pytest.approx(1.0)
    assert rewards.loc[rewards["client"] == 0, "reward_spot"].item() == 0.0  # free rider


def test_one_direct_payout_makes_reward_share_equal_contribution_share() -> None:
    model = run_model(synthetic(rounds=1))
    manifest = {"scenario": model.scenario.model_dump(mode="json"), "clients": []}
    rewards = client_rewards(model.tables(), manifest)
    assert rewards["reward_share"].to_list() == pytest.approx(
        rewards["contribution_share"].to_list(), abs=1e-12
    )


def test_headline_counts_rounds_not_rows_and_names_its_ground_truth(finished) -> None:
    metrics = headline_metrics(*finished)
    assert metrics["rounds"] == 3.0
    assert metrics["ground_truth"] == "size"
    assert metrics["free_rider_reward_share"] == 0.0
