"""The sweep dashboard, from hand-made summaries (no runs needed).

Figure tests check what each panel draws (values, labels, order, warnings), not pixels.
"""

from __future__ import annotations

import itertools
import json

import numpy as np
import pandas as pd
import pytest
import yaml

from simfl.errors import UserError
from simfl.sweep.designs import load_sweep
from simfl.sweep_report import (
    MIN_SOBOL_SAMPLES,
    render_sweep_report,
    sobol_indices,
    sweep_figure,
    value_label,
)

BASE = {"name": "tiny", "rounds": 2, "fl": {"clients": 3}, "scores": {"source": "synthetic"}}


def sweep_folder(tmp_path, sweep: dict, metric, extra=lambda run: {}) -> tuple:
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
            **{
                k: json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v
                for k, v in run.overrides.items()
            },
            "status": "complete",
        }
        rows.append(row | {"gini": metric(run.overrides) + noise, "rounds": 2} | extra(run))
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


def figure_of(folder):
    summary = pd.read_parquet(folder / "summary.parquet")
    return sweep_figure(summary, json.loads((folder / "sweep.json").read_text()))


def test_parameter_values_are_readable_labels_in_sweep_order(tmp_path):
    behaviours = [
        {"fl.behaviours": {}},
        {"fl.behaviours": {2: "free_rider"}},
        {"fl.behaviours": {1: "label_flip", 2: "free_rider", 0: "free_rider"}},
    ]
    sweep = {"mode": "list", "parameters": behaviours, "replications": 2}
    folder, _ = sweep_folder(tmp_path, sweep, lambda p: -len(p["fl.behaviours"]))
    figure, _ = figure_of(folder)
    ax = next(a for a in figure.axes if a.get_title().startswith("gini by behaviours"))
    ticks = [t.get_text().replace("\n", " ") for t in ax.get_xticklabels()]
    assert ticks == ["none", "C2 free rider", "C0, C2 free rider; C1 label flip"]
    medians = ax.lines[0].get_ydata()  # the medians, in the same order as the labels
    assert list(medians) == pytest.approx([-0.005, -1.005, -3.005])  # noise -.01, 0
    assert all(t.get_rotation() == 0 for t in ax.get_xticklabels())
    render_sweep_report(folder)
    page = (folder / "sweep_report.html").read_text()
    assert "C2 free rider" in page and "free_rider&quot;" not in page  # no raw JSON


def test_long_category_labels_wrap_instead_of_touching(tmp_path):
    methods = ["size", "loo", "exact_shapley", "cgsv"]
    sweep = {"parameters": {"fl.contribution.pay_by": methods}}
    folder, _ = sweep_folder(tmp_path, sweep, lambda p: len(p["fl.contribution.pay_by"]))
    figure, _ = figure_of(folder)
    (ax,) = figure.axes
    assert [t.get_text() for t in ax.get_xticklabels()] == ["size", "loo", "exact\nshapley", "cgsv"]
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels()]
    assert not any(a.overlaps(b) for a, b in itertools.pairwise(boxes))


def test_bands_say_they_are_p10_to_p90(tmp_path):
    sweep = {"parameters": {"market.pool.fee_bps": [5, 30, 100]}, "replications": 5}
    folder, _ = sweep_folder(tmp_path, sweep, lambda p: p["market.pool.fee_bps"] / 100)
    figure, _ = figure_of(folder)
    (ax,) = figure.axes
    assert "line: median, band: P10–P90 of 5 runs per value" in ax.get_title()
    assert [line.get_label() for line in ax.lines] == ["median"]
    low = ax.collections[0].get_paths()[0].vertices[:, 1].min()
    assert low == pytest.approx(0.044)  # P10 of 0.05 + {-.01, 0, .01, .02, .03}


def test_heatmap_is_colour_blind_safe_with_plain_readable_numbers(tmp_path):
    sweep = {
        "parameters": {"market.pool.fee_bps": [300, 5], "market.reward.mode": ["mint", "direct"]},
        "replications": 1,
    }
    values = {(300, "mint"): 3610.4, (300, "direct"): 1e-17, (5, "mint"): 12.0, (5, "direct"): 0.0}
    folder, _ = sweep_folder(
        tmp_path, sweep, lambda p: 0.0,
        extra=lambda run: {"slippage_paid": values[tuple(run.overrides.values())]},
    )  # fmt: skip
    figure, _ = figure_of(folder)
    ax = next(a for a in figure.axes if a.get_title() == "median slippage_paid")
    assert ax.images[0].get_cmap().name == "cividis"
    assert [t.get_text() for t in ax.get_yticklabels()] == ["5", "300"]  # numbers ascending
    assert [t.get_text() for t in ax.get_xticklabels()] == ["mint", "direct"]  # sweep order
    cells = {t.get_text(): t.get_color() for t in ax.texts}
    assert set(cells) == {"3,610", "0", "12"}  # no 3.61e+03, no 1e-17
    assert cells["3,610"] == "black" and cells["12"] == "white"  # light cell, dark cell


def test_metrics_that_do_not_vary_are_left_out(tmp_path):
    sweep = {"parameters": {"market.pool.fee_bps": [5, 30, 100]}, "replications": 2}
    folder, _ = sweep_folder(
        tmp_path, sweep, lambda p: p["market.pool.fee_bps"] / 100,
        extra=lambda run: {"malicious_reward_share": 1e-17 * run.point, "lp_fees": 7.0},
    )  # fmt: skip
    figure, _ = figure_of(folder)
    titles = " ".join(ax.get_title() for ax in figure.axes)
    assert "gini" in titles
    for constant in ("malicious_reward_share", "lp_fees", "rounds"):
        assert constant not in titles


def test_a_small_sobol_sample_is_warned_and_its_intervals_not_drawn(tmp_path):
    sweep = {
        "mode": "sobol",
        "samples": 2,
        "parameters": {
            "market.pool.seed_base": {"low": 1, "high": 10},
            "market.pool.seed_tokens": {"low": 1, "high": 10},
        },
    }
    folder, _ = sweep_folder(tmp_path, sweep, lambda p: p["market.pool.seed_base"] ** 2)
    figure, warning = figure_of(folder)
    assert warning.startswith(
        f"Sobol sample too small: N = 2 base samples (need ≥ {MIN_SOBOL_SAMPLES})"
    )
    assert warning in figure.get_suptitle()
    ax = next(a for a in figure.axes if a.get_title() == "Sobol indices of gini")
    assert not any(c.__class__.__name__ == "ErrorbarContainer" for c in ax.containers)
    assert ax.get_ylim() == pytest.approx((-0.1, 1.1))
    assert any("not meaningful" in t.get_text() for t in ax.texts)
    render_sweep_report(folder)
    assert "Sobol sample too small" in (folder / "sweep_report.html").read_text()


def test_a_large_sobol_sample_draws_its_intervals_without_a_warning(tmp_path):
    sweep = {
        "mode": "sobol",
        "samples": 256,
        "parameters": {
            "market.pool.seed_base": {"low": 1, "high": 10},
            "market.pool.seed_tokens": {"low": 1, "high": 10},
        },
    }
    folder, _ = sweep_folder(tmp_path, sweep, lambda p: p["market.pool.seed_base"])
    figure, warning = figure_of(folder)
    assert warning is None
    ax = next(a for a in figure.axes if a.get_title() == "Sobol indices of gini")
    assert sum(c.__class__.__name__ == "ErrorbarContainer" for c in ax.containers) == 2


def test_header_counts_read_as_words(tmp_path):
    sweep = {"parameters": {"market.pool.fee_bps": [5, 30]}, "replications": 2}
    folder, _ = sweep_folder(tmp_path, sweep, lambda p: p["market.pool.fee_bps"] / 100)
    figure, _ = figure_of(folder)
    assert figure.get_suptitle() == "sweep s (grid): 4 runs at 2 points: 4 complete"
    render_sweep_report(folder)
    page = (folder / "sweep_report.html").read_text()
    assert "4 runs at 2 points: 4 complete" in page and '{"complete"' not in page


@pytest.mark.parametrize(
    ("value", "parameter", "label"),
    [
        ('{"8": "free_rider", "9": "label_flip"}', "fl.behaviours", "C8 free rider; C9 label flip"),
        ("{}", "fl.behaviours", "none"),
        ('["size", "loo"]', "compare", "size, loo"),
        (100000.0, "market.pool.seed_base", "100,000"),
        (0.05, "market.clients.fraction", "0.05"),
        (2.5e-05, "fl.local.lr", "2.5e-05"),
        ("exact_shapley", "fl.contribution.pay_by", "exact shapley"),
    ],
)
def test_value_labels_are_short_and_plain(value, parameter, label):
    assert value_label(value, parameter) == label


def test_a_list_design_over_a_number_draws_its_band(tmp_path):
    # a list design's parameters are points, not ranges: a numeric key must still draw
    points = [{"market.pool.fee_bps": fee} for fee in (5, 30, 100)]
    sweep = {"mode": "list", "parameters": points, "replications": 2}
    folder, _ = sweep_folder(tmp_path, sweep, lambda p: p["market.pool.fee_bps"] / 100)
    figure, _ = figure_of(folder)
    ax = next(a for a in figure.axes if a.get_title().startswith("gini by fee_bps"))
    # fee / 100, less half the noise of the two replications (-0.01, 0)
    assert list(ax.lines[0].get_ydata()) == pytest.approx([0.045, 0.295, 0.995])
    render_sweep_report(folder)
    assert (folder / "sweep_dashboard.png").exists()
