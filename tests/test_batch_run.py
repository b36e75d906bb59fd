"""Mesa-native: `mesa.batch_run(FederationMarket, ...)` returns the genesis row and every
round, with Step = round, and its last row is `simfl run`'s last model row."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import mesa
import pandas as pd
import yaml

from simfl.model import FederationMarket, run_model
from simfl.runner import run_scenario
from tests.market.scenarios import synthetic

ROUNDS = 4


def scenario_file(tmp_path: Path, **overrides: Any) -> str:
    data = synthetic(
        rounds=ROUNDS,
        **{"market.investors": [{"strategy": "noise", "count": 6, "budget": 500}]},
        **overrides,
    )
    path = tmp_path / "batch.yaml"
    path.write_text(yaml.safe_dump(data))
    return str(path)


def batch(parameters: dict[str, Any], iterations: int = 1) -> pd.DataFrame:
    rows = mesa.batch_run(
        FederationMarket,
        parameters,
        iterations=iterations,
        data_collection_period=1,
        number_processes=1,
        display_progress=False,
    )
    return pd.DataFrame(rows)


def model_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """One row per (run, step): batch_run repeats the model columns on each agent row."""
    return frame.drop_duplicates(["RunId", "Step"]).reset_index(drop=True)


def test_batch_run_returns_genesis_and_every_round_with_step_equal_to_round(
    tmp_path: Path,
) -> None:
    frame = batch({"scenario": scenario_file(tmp_path), "seed": 3})
    steps = model_rows(frame)
    assert steps["Step"].tolist() == list(range(ROUNDS + 1))  # 0 = genesis, then 1..rounds
    assert (steps["Step"] == steps["round"]).all()
    # every step has its agent rows, the last round's included
    agents_per_step = frame.groupby("Step")["AgentID"].nunique()
    assert agents_per_step.index.tolist() == list(range(ROUNDS + 1))
    assert agents_per_step.nunique() == 1 and agents_per_step.iloc[0] > 6


def test_batch_run_final_row_equals_simfl_runs_last_model_row(tmp_path: Path) -> None:
    path = scenario_file(tmp_path)
    last = model_rows(batch({"scenario": path, "seed": 5})).iloc[-1]
    run_dir = run_scenario(path, tmp_path / "out", seed=5, run_id="same-seed")
    model = pd.read_parquet(run_dir / "model.parquet")
    expected = model.iloc[-1]
    assert expected["round"] == ROUNDS
    for column in model.columns:
        got, want = last[column], expected[column]
        if isinstance(want, float) and math.isnan(want):
            assert math.isnan(got), column
        else:
            assert got == want, column


def test_batch_run_iterations_without_a_seed_are_distinct_runs(tmp_path: Path) -> None:
    frame = model_rows(batch({"scenario": scenario_file(tmp_path)}, iterations=2))
    first, second = (part.reset_index(drop=True) for _, part in frame.groupby("RunId"))
    prices = [c for c in first.columns if c.startswith("price_")]
    assert len(first) == len(second) == ROUNDS + 1
    assert not first[prices].equals(second[prices])


def test_a_model_without_a_seed_draws_one_and_records_it() -> None:
    first, second = FederationMarket(synthetic()), FederationMarket(synthetic())
    assert first.seed != second.seed
    assert first.scenario.seed == first.seed
    # run_model and simfl run keep the scenario's seed
    assert run_model(synthetic()).seed == 7


def test_the_model_stops_in_the_step_after_its_final_round() -> None:
    model = FederationMarket(synthetic(), seed=1)
    for _ in range(ROUNDS - 1):  # synthetic() has 3 rounds
        model.step()
    assert model.round == 3 and model.running  # its last round collected, not yet stopped
    rows = len(model.datacollector.model_vars["round"])
    model.step()  # no round left: the model only stops
    assert not model.running and model.round == 3 and model.steps == 4
    assert len(model.datacollector.model_vars["round"]) == rows
