"""A replayed run carries both accuracies; a folder from before test accuracy existed is
refused with the missing columns named, not a KeyError."""

from pathlib import Path

import pandas as pd
import pytest

from simfl.errors import ScenarioError
from simfl.model import FederationMarket
from simfl.runner import read_tables, run_scenario
from tests.market.scenarios import synthetic


def test_model_table_reports_validation_and_test_accuracy_and_replays_them(tmp_path: Path):
    run_dir = run_scenario(synthetic(), tmp_path, run_id="original")
    model = read_tables(run_dir)["model"]
    assert {"accuracy", "validation_accuracy", "test_accuracy", "test_loss"} <= set(model)
    assert model["accuracy"].equals(model["validation_accuracy"])
    replayed = synthetic(**{"scores.source": "replay", "scores.replay_dir": str(run_dir)})
    again = read_tables(run_scenario(replayed, tmp_path, run_id="replayed"))["model"]
    assert again[["validation_accuracy", "test_accuracy"]].equals(
        model[["validation_accuracy", "test_accuracy"]]
    )


def test_replaying_a_run_without_test_accuracy_names_the_missing_columns(tmp_path: Path):
    run_dir = run_scenario(synthetic(), tmp_path, run_id="old")
    path = run_dir / "model.parquet"
    pd.read_parquet(path).drop(columns=["test_accuracy", "test_loss"]).to_parquet(path)
    scenario = synthetic(**{"scores.source": "replay", "scores.replay_dir": str(run_dir)})
    with pytest.raises(ScenarioError, match="model.parquet lacks test_accuracy, test_loss"):
        FederationMarket(scenario)
