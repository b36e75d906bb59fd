"""The sweep dashboard, from hand-made summaries (no runs needed)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from simfl.errors import UserError
from simfl.sweep.designs import load_sweep
from simfl.sweep_report import render_sweep_report, sobol_indices

BASE = {"name": "tiny", "rounds": 2, "fl": {"clients": 3}, "scores": {"source": "synthetic"}}


def sweep_folder(tmp_path, sweep: dict, metric) -> tuple:
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(BASE))
    (tmp_path / "s.yaml").write_text(yaml.safe_dump({"scenario": "base.yaml", **sweep}))
    resolved = load_sweep(tmp_path / "s.yaml")
    rows = []
    for run in resolved.runs:
        noise = 0.01 * (run.replication - 1)
        row = {
            "run_id": run.run_id,
            "point": run.point,
            "replication": run.replication,
            "seed": run.seed,
            **run.overrides,
            "status": "complete",
        }
        rows.append(row | {"gini": metric(run.overrides) + noise, "rounds": 2})
    folder = tmp_path / "out"
    folder.mkdir()
    pd.DataFrame(rows).to_parquet(folder / "summary.parquet")
    info = {**resolved.resolved(), "counts": {"complete": len(rows)}}
    (folder / "sweep.json").write_text(json.dumps(info))
    return folder, resolved


def test_grid_dashboard_writes_png_and_self_contained_html(tmp_path):
    sweep = {
        "parameters": {
            "market.pool.fee_bps": [5, 30, 100],
            "market.reward.mode": ["mint", "direct"],
        },
        "replications": 3,
    }
    folder, _ = sweep_folder(tmp_path, sweep, lambda p: p["market.pool.fee_bps"] / 100)
    render_sweep_report(folder)
    png = (folder / "sweep_dashboard.png").read_bytes()
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
    page = (folder / "sweep_report.html").read_text()
    assert "data:image/png;base64," in page and "<img" in page
    assert 'src="http' not in page


def test_sobol_indices_find_the_parameter_that_matters(tmp_path):
    sweep = {
        "mode": "sobol",
        "samples": 64,
        "parameters": {
            "market.pool.seed_base": {"low": 1, "high": 10},
            "market.pool.seed_tokens": {"low": 1, "high": 10},
        },
    }
    folder, resolved = sweep_folder(
        tmp_path,
        sweep,
        lambda p: 5 * p["market.pool.seed_base"] + 0.1 * p["market.pool.seed_tokens"],
    )
    summary = pd.read_parquet(folder / "summary.parquet")
    indices = sobol_indices(summary, resolved.problem, "gini")
    assert indices.loc["market.pool.seed_base", "S1"] > 0.9
    assert indices.loc["market.pool.seed_tokens", "ST"] < 0.05
    assert np.isfinite(indices.to_numpy()).all()
    render_sweep_report(folder)
    assert (folder / "sweep_dashboard.png").is_file()


def test_report_of_a_folder_without_a_sweep_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match="not a sweep folder"):
        render_sweep_report(tmp_path)
