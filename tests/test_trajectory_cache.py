"""The FL-trajectory cache: keys, when it applies, and byte-identical replays."""

from __future__ import annotations

import json

from simfl.config import load_scenario
from simfl.model import fl_stream
from simfl.runner import TABLES, run_scenario
from simfl.sources import make_source
from simfl.sweep import trajectory_cache as tc
from simfl.sweep.run import execute_run
from tests.helpers import tiny_fl_scenario

BASE = tiny_fl_scenario("cached", seed=5)


def scenario(**overrides):
    return load_scenario(BASE, overrides)


def test_key_follows_fl_seed_and_rounds_but_not_the_market():
    key = tc.trajectory_key(scenario())
    assert tc.trajectory_key(scenario(**{"market.pool.fee_bps": 5})) == key
    assert tc.trajectory_key(scenario(**{"market.reward.mode": "mint"})) == key
    assert tc.trajectory_key(scenario(**{"fl.contribution.pay_by": "size"})) == key
    assert tc.trajectory_key(scenario(**{"fl.contribution.methods": ["loo"]})) != key
    assert tc.trajectory_key(scenario(**{"fl.local.lr": 0.01})) != key
    assert tc.trajectory_key(scenario(seed=6)) != key
    assert tc.trajectory_key(scenario(rounds=3)) != key


def test_only_runs_the_market_cannot_steer_are_cacheable():
    assert tc.cacheable(scenario())
    assert not tc.cacheable(scenario(**{"market.clients.opt_out": True}))
    assert not tc.cacheable(scenario(**{"scores.source": "synthetic"}))


def test_racing_writers_leave_one_whole_identical_file(tmp_path):
    config = scenario()
    recorder = tc.RecordingSource(make_source(config, fl_stream(config.seed)))
    for _ in range(config.rounds):
        recorder.run_round()
    path = tmp_path / "k.json"
    tc.store(path, recorder, "k")
    first = path.read_bytes()
    tc.store(path, recorder, "k")
    assert path.read_bytes() == first
    assert [p.name for p in tmp_path.iterdir()] == ["k.json"]
    replay = tc.load(path)
    assert replay.rounds == recorder.rounds
    assert replay.client_sizes == recorder.client_sizes
    assert tc.load(tmp_path / "missing.json") is None


def test_a_reused_trajectory_gives_tables_identical_to_training(tmp_path):
    runs, cache = tmp_path / "runs", tmp_path / "traj"

    def task(run_id, overrides):
        return {
            "sweep": "s",
            "run_id": run_id,
            "point": 0,
            "replication": 0,
            "seed": 9,
            "fl_seed": None,
            "overrides": overrides,
            "base": BASE,
            "runs_dir": str(runs),
            "cache_dir": str(cache),
        }

    assert execute_run(task("first", {"market.pool.fee_bps": 5}))["status"] == "complete"
    assert execute_run(task("second", {"market.pool.fee_bps": 100}))["status"] == "complete"
    first = json.loads((runs / "first" / "manifest.json").read_text())
    second = json.loads((runs / "second" / "manifest.json").read_text())
    assert first["trajectory"]["reused"] is False
    assert second["trajectory"] == {"key": first["trajectory"]["key"], "reused": True}
    assert second["timings"]["fl_seconds"] < first["timings"]["fl_seconds"]
    assert len(list(cache.glob("*.json"))) == 1

    plain = run_scenario(
        BASE, tmp_path / "plain", seed=9, run_id="uncached", overrides={"market.pool.fee_bps": 100}
    )
    for name in TABLES:
        cached_bytes = (runs / "second" / f"{name}.parquet").read_bytes()
        assert cached_bytes == (plain / f"{name}.parquet").read_bytes(), name
