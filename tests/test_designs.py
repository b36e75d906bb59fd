"""Sweep files: design expansion, seeds, and validation errors by dotted path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from simfl.errors import ScenarioError
from simfl.sweep.designs import load_sweep, run_id

BASE = {
    "name": "tiny",
    "seed": 11,
    "rounds": 2,
    "fl": {"clients": 3, "contribution": {"methods": ["size", "loo"], "pay_by": "loo"}},
    "scores": {"source": "synthetic"},
    "market": {"investors": [{"strategy": "noise", "count": 2}], "substeps": 1},
}


def write_sweep(tmp_path: Path, sweep: dict, name: str = "study") -> Path:
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(BASE))
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"scenario": "base.yaml", **sweep}))
    return path


def test_grid_is_every_combination_last_key_fastest(tmp_path):
    sweep = load_sweep(
        write_sweep(
            tmp_path,
            {
                "mode": "grid",
                "parameters": {
                    "market.pool.fee_bps": [5, 30],
                    "market.reward.mode": ["mint", "direct", "buyback"],
                },
            },
        )
    )
    assert sweep.points == [
        {"market.pool.fee_bps": 5, "market.reward.mode": "mint"},
        {"market.pool.fee_bps": 5, "market.reward.mode": "direct"},
        {"market.pool.fee_bps": 5, "market.reward.mode": "buyback"},
        {"market.pool.fee_bps": 30, "market.reward.mode": "mint"},
        {"market.pool.fee_bps": 30, "market.reward.mode": "direct"},
        {"market.pool.fee_bps": 30, "market.reward.mode": "buyback"},
    ]
    assert sweep.name == "study"
    assert [r.run_id for r in sweep.runs] == [f"p00{i}-r00" for i in range(6)]


def test_zip_pairs_values_in_order(tmp_path):
    sweep = load_sweep(
        write_sweep(
            tmp_path,
            {
                "mode": "zip",
                "parameters": {
                    "market.pool.seed_base": [100, 1000],
                    "market.investors.0.count": [1, 4],
                },
            },
        )
    )
    assert sweep.points == [
        {"market.pool.seed_base": 100, "market.investors.0.count": 1},
        {"market.pool.seed_base": 1000, "market.investors.0.count": 4},
    ]


def test_zip_refuses_lists_of_unequal_length_naming_keys_and_lengths(tmp_path):
    path = write_sweep(
        tmp_path,
        {
            "mode": "zip",
            "parameters": {
                "market.pool.fee_bps": [5, 30, 100],
                "market.reward.mode": ["mint", "direct"],
            },
        },
    )
    with pytest.raises(ScenarioError) as err:
        load_sweep(path)
    assert "zip needs lists of equal length" in str(err.value)
    assert "market.pool.fee_bps (3), market.reward.mode (2)" in str(err.value)


def test_list_mode_takes_points_verbatim(tmp_path):
    points = [{"fl.behaviours": {}}, {"fl.behaviours": {2: "free_rider"}, "rounds": 3}]
    sweep = load_sweep(write_sweep(tmp_path, {"mode": "list", "parameters": points}))
    assert sweep.points == points
    assert sweep.parameter_names == ["fl.behaviours", "rounds"]


def test_empty_parameters_give_the_base_scenario_replicated(tmp_path):
    sweep = load_sweep(write_sweep(tmp_path, {"replications": 3}))
    assert sweep.points == [{}]
    assert [r.run_id for r in sweep.runs] == ["p000-r00", "p000-r01", "p000-r02"]
    assert sweep.seed == 11  # the base scenario's


def test_random_draws_are_reproducible_and_respect_ranges(tmp_path):
    params = {
        "market.pool.fee_bps": {"low": 1, "high": 100, "integer": True},
        "market.pool.seed_base": {"low": 10, "high": 10000, "log": True},
        "market.reward.mode": {"choices": ["mint", "direct"]},
    }
    path = write_sweep(tmp_path, {"mode": "random", "samples": 20, "seed": 3, "parameters": params})
    first, second = load_sweep(path), load_sweep(path)
    assert first.points == second.points and len(first.points) == 20
    for point in first.points:
        assert isinstance(point["market.pool.fee_bps"], int)
        assert 1 <= point["market.pool.fee_bps"] <= 100
        assert 10 <= point["market.pool.seed_base"] <= 10000
        assert point["market.reward.mode"] in ("mint", "direct")
    assert len({p["market.reward.mode"] for p in first.points}) == 2


def test_sobol_uses_saltelli_samples_n_times_d_plus_2(tmp_path):
    params = {
        "market.pool.seed_base": {"low": 1, "high": 100},
        "market.substeps": {"low": 1, "high": 4, "integer": True},
    }
    sweep = load_sweep(write_sweep(tmp_path, {"mode": "sobol", "samples": 8, "parameters": params}))
    assert len(sweep.points) == 8 * (2 + 2)
    assert sweep.problem["names"] == ["market.pool.seed_base", "market.substeps"]
    assert all(1 <= p["market.pool.seed_base"] <= 100 for p in sweep.points)
    assert {p["market.substeps"] for p in sweep.points} <= {1, 2, 3, 4}


def test_common_seeding_gives_distinct_run_seeds_and_one_fl_seed_per_replication(tmp_path):
    path = write_sweep(
        tmp_path, {"parameters": {"market.pool.fee_bps": [5, 30, 60]}, "replications": 4}
    )
    sweep = load_sweep(path)
    assert len({run.seed for run in sweep.runs}) == 12
    by_rep = {}
    for run in sweep.runs:
        by_rep.setdefault(run.replication, set()).add(run.fl_seed)
    assert all(len(fl_seeds) == 1 for fl_seeds in by_rep.values())
    assert len({next(iter(s)) for s in by_rep.values()}) == 4
    again = load_sweep(path).runs
    assert [(r.seed, r.fl_seed) for r in again] == [(r.seed, r.fl_seed) for r in sweep.runs]


def test_independent_seeds_are_distinct_for_every_run_and_reproducible(tmp_path):
    path = write_sweep(
        tmp_path,
        {
            "parameters": {"market.pool.fee_bps": [5, 30, 60]},
            "replications": 4,
            "seeding": "independent",
        },
    )
    seeds = [r.seed for r in load_sweep(path).runs]
    assert len(set(seeds)) == 12
    assert all(r.fl_seed is None for r in load_sweep(path).runs)
    assert seeds == [r.seed for r in load_sweep(path).runs]
    other = write_sweep(
        tmp_path,
        {
            "parameters": {"market.pool.fee_bps": [5, 30, 60]},
            "replications": 4,
            "seeding": "independent",
            "seed": 12,
        },
        name="other",
    )
    assert set(seeds).isdisjoint(r.seed for r in load_sweep(other).runs)


def test_run_ids_widen_for_large_sweeps():
    assert run_id(3, 1, 10, 2) == "p003-r01"
    assert run_id(12345, 0, 20000, 1) == "p12345-r00"


def test_unknown_sweep_key_is_an_error(tmp_path):
    with pytest.raises(ScenarioError, match=r"replicatons: unknown key"):
        load_sweep(write_sweep(tmp_path, {"replicatons": 2}))


def test_bad_mode_and_replications_are_listed_together(tmp_path):
    with pytest.raises(ScenarioError) as err:
        load_sweep(write_sweep(tmp_path, {"mode": "cartesian", "replications": 0}))
    text = str(err.value)
    assert "2 problem(s)" in text and "mode: got 'cartesian'" in text
    assert "replications: got 0" in text


def test_every_bad_point_is_reported_by_sweep_parameter_before_running(tmp_path):
    path = write_sweep(
        tmp_path,
        {
            "parameters": {
                "market.pool.fee_bps": [30, -1, 5000],
                "market.reward.mode": ["mint", "airdrop"],
            }
        },
    )
    with pytest.raises(ScenarioError) as err:
        load_sweep(path)
    text = str(err.value)
    point = "(market.pool.fee_bps=-1, market.reward.mode='mint')"
    assert f"{point}: parameters.market.pool.fee_bps: got -1;" in text
    assert "): parameters.market.pool.fee_bps: got 5000;" in text
    assert "): parameters.market.reward.mode: got 'airdrop'; must be one of" in text
    assert "fee_bps: market.pool" not in text and "mode: market.reward" not in text
    assert not (tmp_path / "results").exists()


def test_missing_base_scenario_and_bad_list_index_are_errors(tmp_path):
    with pytest.raises(ScenarioError, match="scenario: no such file"):
        load_sweep(write_sweep(tmp_path, {"scenario": "nope.yaml"}))
    with pytest.raises(
        ScenarioError, match="parameters.market.investors.3.count: '3' is not an index"
    ):
        load_sweep(write_sweep(tmp_path, {"parameters": {"market.investors.3.count": [1]}}))


def test_sobol_refuses_choices_and_random_needs_samples(tmp_path):
    with pytest.raises(ScenarioError, match="parameters.market.reward.mode: sobol needs ranges"):
        load_sweep(
            write_sweep(
                tmp_path,
                {
                    "mode": "sobol",
                    "samples": 4,
                    "parameters": {"market.reward.mode": {"choices": ["mint"]}},
                },
            )
        )
    with pytest.raises(ScenarioError, match="samples: mode 'random' needs samples"):
        load_sweep(
            write_sweep(
                tmp_path,
                {"mode": "random", "parameters": {"market.pool.fee_bps": {"low": 1, "high": 2}}},
            )
        )


def test_sweeping_the_seed_is_refused(tmp_path):
    with pytest.raises(ScenarioError, match="parameters.seed: seeds come from the sweep"):
        load_sweep(write_sweep(tmp_path, {"parameters": {"seed": [1, 2]}}))


@pytest.mark.parametrize(
    ("text", "before", "after"),
    [("", "the file is empty; ", ""), ("[1, 2]\n", "", "; got list")],
)
def test_an_empty_or_list_sweep_file_is_described_as_a_sweep_file(tmp_path, text, before, after):
    path = tmp_path / "study.yaml"
    path.write_text(text)
    with pytest.raises(ScenarioError) as err:
        load_sweep(path)
    assert str(err.value) == (
        f"{path}: {before}a sweep file is a mapping of keys (scenario, name, description, mode, "
        f"parameters, replications, samples, seed, seeding), with scenario: required{after}"
    )


def test_bad_ranges_name_the_key_and_what_is_allowed(tmp_path):
    sweep = {"mode": "random", "samples": 2,
             "parameters": {"market.pool.fee_bps": {"low": 1, "hgh": 5}, "rounds": 3}}  # fmt: skip
    with pytest.raises(ScenarioError) as err:
        load_sweep(write_sweep(tmp_path, sweep))
    assert str(err.value).splitlines()[1:] == [
        "parameters.market.pool.fee_bps.high: missing; it is required",
        "parameters.market.pool.fee_bps.hgh: unknown key (allowed here: low, high, log, integer)",
        "parameters.rounds: got 3; give a range {low, high[, log, integer]} or {choices: [...]}",
    ]


def test_a_broken_base_scenario_is_reported_once_not_once_per_point(tmp_path):
    path = write_sweep(tmp_path, {"parameters": {"market.pool.fee_bps": [5, 30, 60]}})
    (tmp_path / "base.yaml").write_text(yaml.safe_dump({**BASE, "rouns": 2}))
    with pytest.raises(ScenarioError) as err:
        load_sweep(path)
    lines = str(err.value).splitlines()
    assert lines[0].endswith("sweep: 1 problem(s) in its points")
    assert lines[1].startswith(
        "scenario (the base scenario, in every point): rouns: unknown key — did you mean 'rounds'?"
    )
