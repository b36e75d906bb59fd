"""The dashboard and HTML report, drawn from a results folder on disk only."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from simfl.errors import UserError
from simfl.report import load_run, render_run, rewards_by_method
from simfl.report.figure import client_labels, dashboard_figure
from simfl.runner import run_scenario

ROOT = Path(__file__).resolve().parent.parent
SMALL = {
    "rounds": 2,
    "fl.contribution.methods": ["size", "loo", "cgsv"],
    "fl.contribution.pay_by": "loo",
    "compare": ["size", "cgsv"],
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("results")
    return run_scenario(ROOT / "scenarios" / "quickstart.yaml", out, overrides=SMALL)


@pytest.fixture
def copy(run_dir, tmp_path) -> Path:
    target = tmp_path / run_dir.name
    shutil.copytree(run_dir, target)
    return target


def test_render_writes_a_png_dashboard_and_a_self_contained_report(copy):
    render_run(copy)
    png = (copy / "dashboard.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    page = (copy / "report.html").read_text()
    assert 'src="data:image/png;base64,' in page
    assert "http://" not in page and "https://" not in page  # nothing to fetch
    for text in ("Headline metrics", "gini", "spearman", "free_rider_reward_share"):
        assert text in page
    assert "Resolved scenario" in page and "pay_by: loo" in page


def test_dashboard_has_every_panel_with_units(run_dir):
    tables, manifest = load_run(run_dir)
    figure = dashboard_figure(tables, manifest, rewards_by_method(tables, manifest), {})
    titles = [ax.get_title() for ax in figure.axes]
    for needle in (
        "% of an equal payout",
        "Contribution vs reward share",
        "Token prices",
        "accuracy",
        "Participation",
        "Investor PnL",
        "fees vs impermanent loss",
        "treasury",
    ):
        assert any(needle.lower() in t.lower() for t in titles), needle
    labels = " ".join(ax.get_ylabel() for ax in figure.axes)
    assert "BASE" in labels and "%" in labels


def test_reward_bars_group_every_compared_method(run_dir):
    tables, manifest = load_run(run_dir)
    rewards = rewards_by_method(tables, manifest)
    assert list(dict.fromkeys(rewards["method"])) == ["loo", "size", "cgsv"]
    assert len(rewards) == 3 * 5


def test_without_comparison_the_runs_own_rewards_are_shown(copy):
    (copy / "comparison.parquet").unlink()
    tables, manifest = load_run(copy)
    rewards = rewards_by_method(tables, manifest)
    assert set(rewards["method"]) == {"loo"} and len(rewards) == 5
    render_run(copy)
    assert (copy / "dashboard.png").is_file()


def test_free_riders_are_named_in_the_labels(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert client_labels(manifest) == ["C0", "C1", "C2", "C3", "C4 free rider"]


def test_render_needs_a_complete_run(copy):
    (copy / "manifest.json").unlink()
    with pytest.raises(UserError, match="no complete run here"):
        render_run(copy)


def test_render_reads_the_tables_on_disk(copy):
    model = pd.read_parquet(copy / "model.parquet")
    model["accuracy"] = 0.5
    model.to_parquet(copy / "model.parquet")
    render_run(copy)
    tables, manifest = load_run(copy)
    figure = dashboard_figure(tables, manifest, rewards_by_method(tables, manifest), {})
    assert any("final 50.0%" in ax.get_title() for ax in figure.axes)
