"""`run_sweep`: process pool and Dask runs, failures, resume after SIGKILL, summary."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
import yaml

from simfl.errors import ScenarioError, UserError
from simfl.runner import TABLES, read_manifest
from simfl.sweep import run_sweep
from tests.helpers import tiny_fl_scenario

FL_BASE = tiny_fl_scenario("tiny", seed=3)
SYNTHETIC_BASE = {**FL_BASE, "scores": {"source": "synthetic"}}


def write(tmp_path: Path, sweep: dict, base: dict = FL_BASE, name: str = "study") -> Path:
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(base))
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump({"scenario": "base.yaml", **sweep}))
    return path


def table_bytes(sweep_dir: Path) -> dict[str, bytes]:
    return {
        f"{run.name}/{name}": (run / f"{name}.parquet").read_bytes()
        for run in sorted((sweep_dir / "runs").iterdir())
        for name in TABLES
    }


MARKET_GRID = {
    "parameters": {"market.pool.fee_bps": [5, 100], "market.reward.mode": ["mint", "buyback"]},
    "replications": 2,
}


def test_jobs_1_and_jobs_2_write_identical_tables_and_full_summary(tmp_path):
    path = write(tmp_path, MARKET_GRID)
    assert run_sweep(path, jobs=1, out=tmp_path / "one", quiet=True) == 0
    assert run_sweep(path, jobs=2, out=tmp_path / "two", quiet=True) == 0
    one, two = tmp_path / "one" / "study", tmp_path / "two" / "study"
    assert table_bytes(one) == table_bytes(two)
    summary = pd.read_parquet(two / "summary.parquet")
    assert list(summary["run_id"]) == [f"p00{p}-r0{r}" for p in range(4) for r in range(2)]
    assert set(summary["status"]) == {"complete"}
    assert list(summary["market.pool.fee_bps"]) == [5, 5, 5, 5, 100, 100, 100, 100]
    assert "final_accuracy" in summary.columns
    assert summary["trajectory_reused"].sum() == 6  # one trained trajectory per replication
    info = json.loads((two / "sweep.json").read_text())
    assert info["status"] == "complete" and info["counts"]["complete"] == 8
    for run in summary.itertuples():
        manifest = read_manifest(two / "runs" / run.run_id)
        assert manifest["seed"] == run.seed == info["runs"][run.Index]["seed"]


def broken_replay(tmp_path: Path) -> dict[str, str]:
    """Overrides replaying a run folder that passes validation (its manifest matches, its
    tables open with every column) but whose model table lacks the initial model's row
    (round 0): the run fails only once it starts, in load_replay."""
    folder = tmp_path / "damaged"
    folder.mkdir()
    recorded = {"rounds": 2, "fl": {"contribution": {"methods": ["size", "loo"]}}}
    manifest = {"status": "complete", "clients": [{"index": i} for i in range(3)]}
    (folder / "manifest.json").write_text(json.dumps({**manifest, "scenario": recorded}))
    scores = {"round": [1], "method": ["loo"], "client": [0], "score": [0.5],
              "participated": [True]}  # fmt: skip
    pd.DataFrame(scores).to_parquet(folder / "scores.parquet")
    model = {c: [1.0] for c in ("accuracy", "loss", "test_accuracy", "test_loss")}
    pd.DataFrame({"round": [1], **model}).to_parquet(folder / "model.parquet")
    return {"scores.source": "replay", "scores.replay_dir": str(folder)}


def test_a_failing_run_is_recorded_and_the_others_complete(tmp_path):
    path = write(tmp_path, {"mode": "list", "parameters": [
        {"scores.source": "synthetic"},
        broken_replay(tmp_path),
        {"scores.source": "synthetic", "market.substeps": 3},
    ]})  # fmt: skip
    assert run_sweep(path, jobs=2, out=tmp_path / "out", quiet=True) == 1
    root = tmp_path / "out" / "study"
    failed = json.loads((root / "runs" / "p001-r00" / "manifest.json").read_text())
    assert failed["status"] == "failed"
    assert "load_replay" in failed["traceback"] and failed["error"]
    assert read_manifest(root / "runs" / "p001-r00") is None
    summary = pd.read_parquet(root / "summary.parquet")
    assert list(summary["status"]) == ["complete", "failed", "complete"]
    assert json.loads((root / "sweep.json").read_text())["status"] == "incomplete"

    # resume redoes only the failed run (and it fails again, isolated)
    before = (root / "runs" / "p000-r00" / "manifest.json").read_bytes()
    assert run_sweep(path, jobs=1, out=tmp_path / "out", resume=True, quiet=True) == 1
    assert (root / "runs" / "p000-r00" / "manifest.json").read_bytes() == before


def test_fail_fast_stops_after_the_first_failure(tmp_path):
    bad = broken_replay(tmp_path)
    path = write(tmp_path, {"mode": "list", "parameters": [bad] + [{}] * 5}, SYNTHETIC_BASE)
    assert run_sweep(path, jobs=1, out=tmp_path / "out", fail_fast=True, quiet=True) == 1
    summary = pd.read_parquet(tmp_path / "out" / "study" / "summary.parquet")
    assert summary["status"].iloc[0] == "failed"
    assert (summary["status"] == "not_run").sum() >= 1  # queued runs were cancelled


def test_an_existing_sweep_folder_needs_resume(tmp_path):
    path = write(tmp_path, {}, SYNTHETIC_BASE)
    assert run_sweep(path, out=tmp_path / "out", quiet=True) == 0
    with pytest.raises(UserError, match=r"earlier run of this sweep; pass --resume"):
        run_sweep(path, out=tmp_path / "out", quiet=True)
    assert run_sweep(path, out=tmp_path / "out", resume=True, quiet=True) == 0


def test_resume_refuses_a_changed_sweep_file_and_names_what_changed(tmp_path):
    path = write(tmp_path, {"parameters": {"market.pool.fee_bps": [5, 30]}}, SYNTHETIC_BASE)
    assert run_sweep(path, out=tmp_path / "out", quiet=True) == 0
    before = (tmp_path / "out" / "study" / "sweep.json").read_bytes()
    write(tmp_path, {"parameters": {"market.pool.fee_bps": [5, 60]}}, SYNTHETIC_BASE)
    with pytest.raises(UserError, match="holds a different sweep: parameters, points changed"):
        run_sweep(path, out=tmp_path / "out", resume=True, quiet=True)
    write(
        tmp_path, {"parameters": {"market.pool.fee_bps": [5, 30]}}, {**SYNTHETIC_BASE, "rounds": 3}
    )
    with pytest.raises(UserError, match=r"different sweep: the base scenario \S+base.yaml changed"):
        run_sweep(path, out=tmp_path / "out", resume=True, quiet=True)
    assert (tmp_path / "out" / "study" / "sweep.json").read_bytes() == before


def test_a_foreign_folder_with_the_sweeps_name_is_left_alone(tmp_path):
    path = write(tmp_path, {}, SYNTHETIC_BASE)
    (tmp_path / "out" / "study").mkdir(parents=True)
    (tmp_path / "out" / "study" / "notes.txt").write_text("mine")
    with pytest.raises(UserError, match="holds no sweep.json, so it is not a simfl sweep folder"):
        run_sweep(path, out=tmp_path / "out", resume=True, quiet=True)
    assert [p.name for p in (tmp_path / "out" / "study").iterdir()] == ["notes.txt"]


def test_out_pointing_at_a_file_is_a_user_error(tmp_path):
    path = write(tmp_path, {}, SYNTHETIC_BASE)
    (tmp_path / "afile").write_text("")
    with pytest.raises(UserError, match="afile: is a file, not a folder"):
        run_sweep(path, out=tmp_path / "afile", quiet=True)


def test_a_malformed_sweep_file_raises_before_anything_is_written(tmp_path):
    path = write(tmp_path, {"mode": "zip", "parameters": {"rounds": [1, 2], "substeps": [1]}})
    with pytest.raises(ScenarioError, match="zip needs lists of equal length"):
        run_sweep(path, out=tmp_path / "out", quiet=True)
    assert not (tmp_path / "out").exists()


SCRIPT = """
import sys
from simfl.sweep import run_sweep
sys.exit(run_sweep(sys.argv[1], jobs=1, out=sys.argv[2], quiet=True))
"""


def test_a_sweep_killed_mid_way_resumes_to_every_run_complete_once(tmp_path):
    base = {**SYNTHETIC_BASE, "rounds": 6, "market": {**SYNTHETIC_BASE["market"], "substeps": 20}}
    path = write(tmp_path, {"parameters": {"market.pool.fee_bps": [5, 30, 60, 100]},
                            "replications": 2}, base)  # fmt: skip
    out = tmp_path / "out"
    runs = out / "study" / "runs"
    proc = subprocess.Popen([sys.executable, "-c", SCRIPT, str(path), str(out)],
                            start_new_session=True, cwd=Path(__file__).parent.parent)  # fmt: skip
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if runs.is_dir() and any(not p.name.startswith(".") for p in runs.iterdir()):
            break
        time.sleep(0.02)
    assert proc.poll() is None, "the sweep finished before it could be killed"
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = [p.name for p in runs.iterdir() if read_manifest(p)]
    assert 1 <= len(finished) < 8
    stamps = {name: (runs / name / "manifest.json").stat().st_mtime_ns for name in finished}

    assert run_sweep(path, jobs=2, out=out, resume=True, quiet=True) == 0
    names = sorted(p.name for p in runs.iterdir())
    assert names == [f"p00{p}-r0{r}" for p in range(4) for r in range(2)]  # no .tmp-* left
    assert all(read_manifest(runs / n) for n in names)
    assert {n: (runs / n / "manifest.json").stat().st_mtime_ns for n in finished} == stamps
    summary = pd.read_parquet(out / "study" / "summary.parquet")
    assert len(summary) == 8 and set(summary["status"]) == {"complete"}
    assert summary["run_id"].is_unique
    counts = json.loads((out / "study" / "sweep.json").read_text())["counts"]
    assert counts["skipped_complete"] == len(finished)
    assert counts["executed"] == 8 - len(finished)


def test_dask_local_cluster_gives_the_same_results_as_the_local_pool(tmp_path):
    from dask.distributed import LocalCluster

    path = write(tmp_path, {"parameters": {"market.pool.fee_bps": [5, 100]}})
    assert run_sweep(path, jobs=2, out=tmp_path / "pool", quiet=True) == 0
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                      dashboard_address=None) as cluster:  # fmt: skip
        code = run_sweep(path, scheduler=cluster.scheduler_address, out=tmp_path / "dask",
                         quiet=True)  # fmt: skip
    assert code == 0
    assert table_bytes(tmp_path / "pool" / "study") == table_bytes(tmp_path / "dask" / "study")
    pool = pd.read_parquet(tmp_path / "pool" / "study" / "summary.parquet")
    dask = pd.read_parquet(tmp_path / "dask" / "study" / "summary.parquet")
    columns = [c for c in pool.columns if c != "run_seconds"]
    pd.testing.assert_frame_equal(pool[columns], dask[columns])
