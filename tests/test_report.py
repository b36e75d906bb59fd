"""The dashboard and HTML report, drawn from a results folder on disk only.

Figure tests check what each panel draws (its data, labels and placement), not pixels.
"""

from __future__ import annotations

import itertools
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from matplotlib.text import Text

from simfl.analysis.metrics import headline_metrics
from simfl.errors import UserError
from simfl.report import load_run, render_run, rewards_by_method, view
from simfl.report.definitions import describe
from simfl.report.figure import client_labels, dashboard_figure, headline, run_view
from simfl.report.page import fmt, metric_text
from simfl.runner import run_scenario

ROOT = Path(__file__).resolve().parent.parent
SMALL = {
    "rounds": 2,
    "fl.contribution.methods": ["size", "loo", "cgsv"],
    "fl.contribution.pay_by": "loo",
    "compare": ["size", "cgsv"],
}
MANY = {  # 30 clients on synthetic scores: more than the dashboard names one by one
    "rounds": 3,
    "fl.clients": 30,
    "fl.behaviours": {3: "free_rider", 7: "label_flip"},
    "fl.contribution.methods": ["size"],
    "fl.contribution.pay_by": "size",
    "market.investors": [{"strategy": "noise", "count": 5, "budget": 300}],
}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("results")
    return run_scenario(ROOT / "scenarios" / "quickstart.yaml", out, overrides=SMALL)


@pytest.fixture(scope="module")
def many_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("many")
    return run_scenario(ROOT / "scenarios" / "liquidity.yaml", out, overrides=MANY)


@pytest.fixture
def copy(run_dir, tmp_path) -> Path:
    target = tmp_path / run_dir.name
    shutil.copytree(run_dir, target)
    return target


def figure_of(folder: Path, metrics: dict | None = None):
    tables, manifest = load_run(folder)
    return dashboard_figure(tables, manifest, rewards_by_method(tables, manifest), metrics or {})


def axes_titled(figure, needle: str):
    found = [ax for ax in figure.axes if needle.lower() in ax.get_title().lower()]
    assert len(found) <= 1, needle
    return found[0] if found else None


def edit_manifest(folder: Path, change) -> None:
    manifest = json.loads((folder / "manifest.json").read_text())
    change(manifest)
    (folder / "manifest.json").write_text(json.dumps(manifest))


# ------------------------------------------------------------------ files


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


def test_vector_formats_are_written_beside_the_png(copy):
    written = render_run(copy, formats=["svg", "pdf"])
    assert [p.name for p in written] == [
        "dashboard.png",
        "dashboard.svg",
        "dashboard.pdf",
        "report.html",
    ]
    assert (copy / "dashboard.pdf").read_bytes().startswith(b"%PDF")
    svg = (copy / "dashboard.svg").read_text()
    assert "<svg" in svg and "Reward per client" in svg  # text stays text in the svg
    first = (copy / "dashboard.svg").read_bytes()
    render_run(copy, formats=["svg"])
    assert (copy / "dashboard.svg").read_bytes() == first  # no dates, no random ids


def test_simfl_report_format_writes_vector_dashboards(copy, capsys):
    from simfl import cli

    assert cli.main(["report", str(copy), "--format", "svg", "--format", "pdf"]) == 0
    out = capsys.readouterr().out
    for name in ("dashboard.png", "dashboard.svg", "dashboard.pdf", "report.html"):
        assert f"wrote {copy / name}" in out
    assert (copy / "dashboard.pdf").read_bytes().startswith(b"%PDF")
    assert cli.main(["report", str(copy), "--format", "eps"]) == 2  # argparse: not a choice


def test_an_unknown_figure_format_is_a_user_error(copy):
    with pytest.raises(UserError, match="figure format 'jpg' is not one of: png, svg, pdf"):
        render_run(copy, formats=["jpg"])


def test_render_needs_a_complete_run(copy):
    (copy / "manifest.json").unlink()
    with pytest.raises(UserError, match="no complete run here"):
        render_run(copy)


# ----------------------------------------------------------------- panels


def test_every_panel_says_what_it_shows_and_on_which_mark(run_dir):
    figure = figure_of(run_dir)
    titles = {ax.get_title() for ax in figure.axes}
    reward = axes_titled(figure, "% of an equal payout")
    assert "bars: liquidation mark, ticks: spot" in reward.get_title()
    assert "liquidation mark" in axes_titled(figure, "Investor returns").get_title()
    assert "spot" in axes_titled(figure, "token prices").get_title()
    assert axes_titled(figure, "Liquidity providers by group") is not None
    assert all(titles), "an untitled panel"
    labels = " ".join(ax.get_ylabel() for ax in figure.axes)
    assert "BASE" in labels and "%" in labels


def test_legends_sit_outside_the_data(run_dir, many_dir):
    for folder in (run_dir, many_dir):
        figure = figure_of(folder)
        figure.draw_without_rendering()
        renderer = figure.canvas.get_renderer()
        legends = [ax for ax in figure.axes if ax.get_legend() is not None]
        assert len(legends) >= 5
        for ax in legends:
            box = ax.get_legend().get_window_extent(renderer)
            assert not box.overlaps(ax.get_window_extent(renderer)), ax.get_title()


def test_ticks_and_bars_stand_on_one_yardstick(run_dir):
    tables, manifest = load_run(run_dir)
    rewards = rewards_by_method(tables, manifest)
    figure = dashboard_figure(tables, manifest, rewards, {})
    ax = axes_titled(figure, "% of an equal payout")
    first = rewards[rewards["method"] == "loo"].set_index("client")  # the first method drawn
    bars = np.array([patch.get_height() for patch in ax.patches[: len(first)]])
    ticks = np.asarray(ax.collections[0].get_offsets())[:, 1]
    equal = (  # the run's nominal budget / clients; older tables: the mean spot reward
        first["equal_payout_base"].to_numpy()
        if "equal_payout_base" in first
        else first["reward_spot"].mean()
    )
    assert bars == pytest.approx(100 * first["reward_liquidation"].to_numpy() / equal)
    assert ticks == pytest.approx(100 * first["reward_spot"].to_numpy() / equal)
    selling_pays_less = first["reward_liquidation"] < first["reward_spot"]
    assert ((ticks > bars) == selling_pays_less.to_numpy()).all()


def add_mode_markets(folder: Path) -> pd.DataFrame:
    """The run's comparison plus two payout-mode markets (as `compare_modes` writes)."""
    comparison = pd.read_parquet(folder / "comparison.parquet")
    if "varies" not in comparison:
        comparison["varies"] = np.where(comparison["method"] == "loo", "own", "method")
        comparison["mode"] = "hybrid"
    own = comparison[comparison["varies"] == "own"]
    extra = [own.assign(varies="mode", mode=m, reward_liquidation=own["reward_liquidation"] * f)
             for m, f in (("mint", 2.0), ("direct", 0.5))]  # fmt: skip
    comparison = pd.concat([comparison, *extra], ignore_index=True)
    comparison.to_parquet(folder / "comparison.parquet")
    return comparison


def test_payout_modes_get_their_own_panel_apart_from_methods(copy):
    comparison = add_mode_markets(copy)
    figure = figure_of(copy)
    methods = axes_titled(figure, "by contribution method")
    modes = axes_titled(figure, "by payout mode")
    assert methods.get_legend().get_title().get_text() == "paid by"
    assert [t.get_text() for t in methods.get_legend().get_texts()][-3:] == ["loo", "size", "cgsv"]
    assert [t.get_text() for t in modes.get_legend().get_texts()][-3:] == [
        "hybrid",
        "mint",
        "direct",
    ]
    assert len(methods.patches) == 3 * 5 and len(modes.patches) == 3 * 5  # no mixing
    own = comparison[comparison["varies"] == "own"].set_index("client")
    mint = np.array([p.get_height() for p in modes.patches[5:10]])
    equal = own["equal_payout_base"].to_numpy() if "equal_payout_base" in own else np.nan
    assert mint == pytest.approx(200 * own["reward_liquidation"].to_numpy() / equal)


def test_modes_alone_take_the_top_row(copy):
    comparison = add_mode_markets(copy)
    comparison[comparison["varies"] != "method"].to_parquet(copy / "comparison.parquet")
    figure = figure_of(copy)
    assert axes_titled(figure, "by contribution method") is None
    assert axes_titled(figure, "by payout mode").get_subplotspec().rowspan.start == 0


def test_an_equal_payout_column_is_the_yardstick_when_present():
    rewards = pd.DataFrame(
        {
            "method": ["a", "a"],
            "client": [0, 1],
            "reward_spot": [300.0, 100.0],
            "reward_liquidation": [240.0, 90.0],
            "equal_payout_base": [250.0, 250.0],
        }
    )
    both = view.on_one_yardstick(rewards)
    assert both["pct_liquidation"].tolist() == pytest.approx([96.0, 36.0])
    assert both["pct_spot"].tolist() == pytest.approx([120.0, 40.0])


def test_no_accuracy_panel_without_a_model(copy):
    assert axes_titled(figure_of(copy), "accuracy") is not None
    edit_manifest(copy, lambda m: m["scenario"].setdefault("scores", {}).update(source="synthetic"))
    assert axes_titled(figure_of(copy), "accuracy") is None


def test_validation_and_test_accuracy_are_labelled_apart(copy):
    model = pd.read_parquet(copy / "model.parquet")
    model["validation_accuracy"] = 0.8
    model["test_accuracy"] = 0.75
    model.to_parquet(copy / "model.parquet")
    ax = axes_titled(figure_of(copy), "accuracy")
    assert ax.get_legend_handles_labels()[1] == ["validation split", "held-out test split"]
    assert "validation 80.0 %" in ax.get_title() and "held-out 75.0 %" in ax.get_title()


def test_accuracy_title_reads_the_tables_on_disk(copy):
    model = pd.read_parquet(copy / "model.parquet")
    for column in ("accuracy", "validation_accuracy"):
        model[column] = 0.5
    model.to_parquet(copy / "model.parquet")
    assert "validation 50.0 %" in axes_titled(figure_of(copy), "accuracy").get_title()


def test_participation_panel_only_when_participation_varies(copy):
    assert axes_titled(figure_of(copy), "Clients training") is None
    model = pd.read_parquet(copy / "model.parquet")
    model.loc[model["round"] == 2, "participating_1"] = False
    model.to_parquet(copy / "model.parquet")
    ax = axes_titled(figure_of(copy), "Clients training")
    honest = [p.get_height() for p in ax.patches[:2]]  # honest clients, rounds 1 and 2
    assert honest == [4.0, 3.0]
    assert "90% of client-rounds" in ax.get_title()


def test_free_rider_share_is_shown_only_with_free_riders(run_dir):
    tables, manifest = load_run(run_dir)
    rewards = rewards_by_method(tables, manifest)
    metrics = {"free_rider_reward_share": 0.0, "malicious_reward_share": 0.0}
    assert "free riders' reward share 0.0 %" in headline(
        run_view(tables, manifest, rewards, metrics)
    )
    for client in manifest["clients"]:
        client["behaviour"] = "honest"
    text = headline(run_view(tables, manifest, rewards, metrics))
    assert "free rider" not in text and "malicious" not in text


def test_free_riders_and_malicious_clients_have_their_own_styles(many_dir):
    ax = axes_titled(figure_of(many_dir), "token prices")
    lines = {line.get_label(): line for line in ax.get_lines()}
    assert lines["C3 free rider"].get_linestyle() == "--"
    assert lines["C7 label flip"].get_linestyle() == ":"
    assert lines["C3 free rider"].get_marker() != lines["C7 label flip"].get_marker()
    assert "honest median" in lines and "C0" not in lines  # 28 honest clients: a band


def test_free_riders_are_named_in_the_labels(run_dir):
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert client_labels(manifest) == ["C0", "C1", "C2", "C3", "C4 free rider"]


def test_many_clients_show_the_top_flagged_and_others(many_dir):
    tables, manifest = load_run(many_dir)
    rewards = view.on_one_yardstick(rewards_by_method(tables, manifest))
    ax = axes_titled(figure_of(many_dir), "% of an equal payout")
    ticks = [t.get_text() for t in ax.get_xticklabels()]
    assert len(ticks) == view.MAX_NAMED + 1
    assert ticks[-1] == "others\n(n=20,\nmean)"
    assert "C3\nfree rider" in ticks and "C7\nlabel flip" in ticks
    honest = rewards[~rewards["client"].isin([3, 7])].sort_values("pct_liquidation")
    best = f"C{int(honest['client'].iloc[-1])}"
    worst = f"C{int(honest['client'].iloc[0])}"
    assert best in ticks and worst not in ticks
    others = [i for i in range(30) if f"C{i}" not in {t.split(chr(10))[0] for t in ticks}]
    mean = rewards.set_index("client").loc[others, "pct_liquidation"].mean()
    assert ax.patches[len(ticks) - 1].get_height() == pytest.approx(mean)


def test_share_scatter_labels_do_not_overlap(many_dir):
    figure = figure_of(many_dir)
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    ax = axes_titled(figure, "Contribution vs reward share")
    boxes = [Text.get_window_extent(t, renderer) for t in ax.texts]  # text, not leader
    assert 3 <= len(boxes) <= 10  # flagged and the most off the line, not all 30
    for k, box in enumerate(boxes):
        assert not any(box.overlaps(other) for other in boxes[k + 1 :])
    assert {"C3", "C7"} <= {t.get_text() for t in ax.texts}


def test_investor_returns_are_percent_of_the_start_on_the_liquidation_mark_at_both_ends():
    agents = pd.DataFrame(
        {
            "step": [0, 0, 0, 3, 3, 3],
            "agent_id": [5, 6, 7, 6, 5, 7],
            "value_spot": [1000.0, 200.0, 0.0, 999.0, 999.0, 5.0],
            "value_liquidation": [800.0, 160.0, 0.0, 120.0, 1000.0, 5.0],
        }
    )
    final = agents[agents["step"] == 3]
    assert view.returns_pct(agents, final).tolist() == pytest.approx(
        [-25.0, 25.0, np.nan], nan_ok=True
    )


def test_lp_groups_are_kept_apart_in_scenario_order():
    manifest = {
        "scenario": {
            "market": {
                "liquidity_providers": [
                    {"count": 2, "budget": 3000, "deploy": 1.0},
                    {"count": 1, "budget": 500, "deploy": 0.3},
                ]
            }
        }
    }
    final = pd.DataFrame(
        {
            "agent_id": [9, 7, 8, 3],
            "kind": ["liquidity_provider"] * 3 + ["client"],
            "strategy": "lp",
        }
    )
    groups = view.agent_groups(final, manifest, "liquidity_provider")
    assert groups.loc[[1, 2, 0]].tolist() == [
        "group 1,\ndeploy\n100%\n2×3,000",
        "group 1,\ndeploy\n100%\n2×3,000",
        "group 2,\ndeploy 30%\n1×500",
    ]


def test_investor_group_labels_do_not_touch(run_dir):
    figure = figure_of(run_dir)  # quickstart: five investor groups
    ax = axes_titled(figure, "Investor returns")
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "value\n10×1,000" and labels[-1] == "buyback\nfrontrunner\n3×500"
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels()]
    assert not any(a.overlaps(b) for a, b in itertools.pairwise(boxes))


def test_lp_panel_draws_one_bar_set_per_group(many_dir):
    ax = axes_titled(figure_of(many_dir), "Liquidity providers by group")
    assert [t.get_text().split("\n")[0] for t in ax.get_xticklabels()] == [
        "group 1,",
        "group 2,",
        "group 3,",
    ]
    assert ax.get_legend_handles_labels()[1] == ["fees earned", "impermanent loss", "fees + IL"]


def test_federation_balance_sheet_replaces_an_empty_treasury(many_dir):
    figure = figure_of(many_dir)  # mint mode: the federation holds no BASE
    assert axes_titled(figure, "treasury") is None
    ax = axes_titled(figure, "Federation balance sheet")
    labels = ax.get_legend_handles_labels()[1]
    assert "pool shares (spot)" in labels and "all of it, liquidation mark" in labels
    tables, _ = load_run(many_dir)
    fed = tables["federation"]  # every step (tables["agents"] holds the first and last)
    assert (
        fed["tokens_value"] == 0
    ).all() and "client tokens (spot)" not in labels  # no empty layer
    top = ax.collections[-1].get_paths()[0].vertices[:, 1].max()  # the stack's upper edge
    assert top == pytest.approx(fed["value_spot"].max())


def test_net_flows_orient_each_pair_and_value_tokens_at_spot():
    unit = 10**18
    flows = pd.DataFrame(
        {
            "step": [0, 1, 1, 2, 2, 2],
            "token": ["BASE", "BASE", "BASE", "CST_1", "CST_1", "LP:CST_1/BASE"],
            "source": ["issuance", "investor", "pool", "pool", "issuance", "pool"],
            "destination": ["investor", "pool", "investor", "investor", "client", "investor"],
            "amount": [500 * unit, 300 * unit, 120 * unit, 10 * unit, 4 * unit, 9 * unit],
        }
    )
    model = pd.DataFrame({"round": [0, 1, 2], "price_1": [1.0, 1.5, 2.5]})
    net = view.net_flows(flows, model)
    assert net.to_dict("records") == [
        {"source": "investor", "destination": "pool", "asset": "BASE", "value": 180.0},
        {"source": "pool", "destination": "investor", "asset": "tokens", "value": 25.0},
        {"source": "issuance", "destination": "client", "asset": "tokens", "value": 10.0},
    ]  # genesis (step 0) and LP shares left out; 300 in, 120 back; 10 tokens at 2.5


def test_read_flows_nets_as_the_whole_table_does(tmp_path):
    """`read_flows` (pyarrow filter, float amounts) gives `net_flows` the same result,
    to the bit, as the whole table read by pandas (Decimal amounts, every row)."""
    import decimal

    import pyarrow as pa
    import pyarrow.parquet as pq

    from simfl.analysis.run_folder import open_folder
    from simfl.report import read_flows

    unit = 10**18
    rows = [  # step, token, source, destination, amount (base units)
        (0, "BASE", "issuance", "investor", 500 * unit),
        (1, "BASE", "investor", "pool", 300 * unit + 7),
        (1, "BASE", "pool", "investor", 120 * unit),
        (2, "CST_1", "pool", "investor", 10 * unit + 3),
        (2, "CST_1", "issuance", "client", 4 * unit),
        (2, "LP:CST_1/BASE", "pool", "investor", 9 * unit),
        (2, "CST_0", "client", "pool", 123456789012345678901234),
        (3, "BASE", "pool", "investor", 1),
        (3, "CST_1", "burned", "client", 2**70 + 1),
    ]
    step, token, source, destination, amount = zip(*rows)
    table = pa.table(
        {
            "step": list(step),
            "token": list(token),
            "source": list(source),
            "destination": list(destination),
            "amount": pa.array([decimal.Decimal(a) for a in amount], pa.decimal128(38, 0)),
        }
    )
    pq.write_table(table, tmp_path / "flows.parquet")
    model = pd.DataFrame(
        {"round": [0, 1, 2, 3], "price_0": [1.0, 1.1, 1.3, 0.7], "price_1": [1.0, 1.5, 2.5, 1.9]}
    )
    read = read_flows(open_folder(tmp_path))
    assert read["step"].min() >= 1 and not read["token"].str.startswith("LP").any()
    expected = view.net_flows(pd.read_parquet(tmp_path / "flows.parquet"), model)
    pd.testing.assert_frame_equal(view.net_flows(read, model), expected, check_exact=True)


def test_flows_panel_shows_where_the_money_went(run_dir):
    if not (run_dir / "flows.parquet").is_file():
        pytest.skip("runs of this version write no flows.parquet")
    tables, _ = load_run(run_dir)
    figure = figure_of(run_dir)
    ax = axes_titled(figure, "Where the money went")
    net = view.net_flows(tables["flows"], tables["model"])
    widths = sorted(p.get_width() for p in ax.patches)
    assert widths == pytest.approx(sorted(net["value"]))
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert "investors → pools" in labels


def test_no_flows_panel_without_a_flows_table(copy):
    (copy / "flows.parquet").unlink(missing_ok=True)
    figure = figure_of(copy)
    assert axes_titled(figure, "Where the money went") is None


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


def test_tick_labels_are_plain_numbers_without_offsets():
    from matplotlib.figure import Figure

    from simfl.report.panels import plain_ticks

    figure = Figure()
    ax = figure.add_subplot()
    ax.plot([0, 1, 2], [2_000_000.0, 2_000_000.5, 2_000_001.0])
    other = figure.add_subplot()
    other.plot([0, 1], [0.0, 0.00003])
    for axes in (ax, other):
        plain_ticks(axes)
    figure.draw_without_rendering()
    ticks = [t.get_text() for t in ax.get_yticklabels()]
    assert "2,000,000.0" in ticks and "2,000,001.0" in ticks
    assert ax.yaxis.get_offset_text().get_text() == ""  # no "+2e6" above the axis
    small = [t.get_text() for t in other.get_yticklabels()]
    assert "0.000030" in small and not any("e" in t for t in small)


def test_horizontal_bar_values_leave_room_between_tick_labels(run_dir):
    figure = figure_of(run_dir)
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    for ax in figure.axes:
        if "round" in ax.get_xlabel():
            continue
        boxes = [t.get_window_extent(renderer) for t in ax.get_xticklabels() if t.get_text()]
        assert not any(a.overlaps(b) for a, b in itertools.pairwise(boxes)), ax.get_title()


# ---------------------------------------------------------------- numbers


@pytest.mark.parametrize(
    ("value", "kwargs", "text"),
    [
        (5.0, {}, "5"),
        (3610.4, {}, "3,610"),
        (0.12345, {}, "0.123"),
        (12.345, {}, "12.35"),
        (0.253, {"pct": True}, "25.3 %"),
        (float("nan"), {}, "n/a"),
        (-1e-17, {}, "0"),
        (7, {}, "7"),
        (0.0, {"digits": 1}, "0.0"),
        (-0.04, {"digits": 1}, "0.0"),
        (-3.14159, {"digits": 0}, "-3"),
    ],
)
def test_numbers_print_with_consistent_precision(value, kwargs, text):
    assert fmt(value, **kwargs) == text


def test_headline_metrics_print_one_way_per_kind_of_quantity():
    assert metric_text("rounds", 5.0) == "5"
    assert metric_text("gini", 0.5) == "0.500"
    assert metric_text("free_rider_reward_share", 0.0) == "0.0"
    assert metric_text("free_rider_reward_share", 0.2093) == "20.9"
    assert metric_text("honest_pct_equal_min", 67.44) == "67.4"
    assert metric_text("lp_fees", 5.33) == "5" and metric_text("lp_pnl", 1778.6) == "1,779"
    assert metric_text("investor_pnl_noise", 90.66) == "91"  # per-strategy keys too
    assert metric_text("ground_truth", "exact_shapley") == "exact_shapley"


def test_every_headline_metric_has_a_definition(run_dir):
    tables, manifest = load_run(run_dir)
    for key in headline_metrics(tables, manifest):
        assert describe(key).definition != "(no definition yet)", key


def test_report_puts_key_numbers_first_with_definitions_and_units(copy):
    render_run(copy)
    page = (copy / "report.html").read_text()
    assert page.index("Key numbers") < page.index("Dashboard") < page.index("Headline metrics")
    cards = page[page.index('<div class="cards">') : page.index("<h2>Dashboard")]
    assert "equal_payout_base" in cards and "free_rider_reward_share" in cards
    assert "The yardstick" in cards
    assert "% %" not in page  # a value never repeats its unit
    row = page[page.index("<code>rounds</code>") :].split("</tr>")[0]
    assert '<td class="num">2</td>' in row  # rounds as an integer, not 2.000
    assert 'class="scroll"' in page and "overflow-x: auto" in page  # wide tables scroll


# ------------------------------------------------ figure defects (issue 12 review)

CROWDED = {  # 12 clients on synthetic scores: a pair on one spot, a cluster near 0
    "rounds": 7,
    "fl.clients": 12,
    "scores.synthetic.quality": [1, 0.98, 0.6, 0.5, 0.49, 0.3, 0.05, 0.04, 0.03, 0.0, 0.0, 0.02],
    "fl.behaviours": {9: "free_rider", 10: "free_rider", 11: "label_flip"},
    "fl.contribution.methods": ["size"],
    "fl.contribution.pay_by": "size",
    "market.investors": [{"strategy": "noise", "count": 4, "budget": 300}],
    "collect.agents_every": 3,
}


@pytest.fixture(scope="module")
def crowded_dir(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("crowded")
    return run_scenario(ROOT / "scenarios" / "liquidity.yaml", out, overrides=CROWDED)


@pytest.fixture(scope="module", params=["no emission", "all quality 0"])
def unpaid_dir(request, tmp_path_factory) -> Path:
    """Runs that pay nothing: mint mode with emission 0, or every client's quality 0."""
    change = (
        {"market.reward.emission.amount": 0}
        if request.param == "no emission"
        else {"scores.synthetic.quality": [0.0] * 6}
    )
    out = tmp_path_factory.mktemp("unpaid")
    overrides = {"rounds": 2, "market.investors": [], "market.liquidity_providers": [], **change}
    return run_scenario(ROOT / "scenarios" / "liquidity.yaml", out, overrides=overrides)


def share_points(folder: Path) -> dict[str, tuple[float, float]]:
    """Each client's (contribution %, reward %) as the share scatter should draw it."""
    tables, manifest = load_run(folder)
    own = run_view(tables, manifest, rewards_by_method(tables, manifest), {}).own
    own = own.set_index("client")
    reward = own["reward_liquidation"].clip(lower=0.0)
    share = 100 * reward / reward.sum() if reward.sum() > 0 else reward * 0
    return {
        f"C{int(i)}": (100 * float(own.loc[i, "contribution_share"]), float(share[i]))
        for i in own.index
    }


def label_problems(folder: Path) -> list[str]:
    """Everything wrong with the share scatter's client labels, as readable lines."""
    figure = figure_of(folder)
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    px = renderer.points_to_pixels(1.0)
    ax = axes_titled(figure, "Contribution vs reward share")
    frame = ax.get_window_extent(renderer)
    spines = frame.padded(-1.0)  # touching a spine counts as clipped
    points = share_points(folder)
    markers = np.vstack([c.get_offsets() for c in ax.collections if len(c.get_offsets())])
    radius = np.sqrt(ax.collections[0].get_sizes()[0]) / 2 * px
    centres = ax.transData.transform(markers)
    problems, boxes = [], []
    labels = [t for t in ax.texts if t.get_gid() != "no-data-note"]
    notes = [t.get_window_extent(renderer) for t in ax.texts if t.get_gid() == "no-data-note"]
    for text in labels:
        box = Text.get_window_extent(text, renderer)  # the text, not its leader line
        name = text.get_text()
        clients = [c.strip().split(" +")[0] for c in name.split(",")]  # "C1, C2, C3 +4"
        if name == f"all {len(points)} clients":
            clients = list(points)
        if not all(c in points for c in clients):
            problems.append(f"{name}: not a client label")
            continue
        if any(points[c] != points[clients[0]] for c in clients):
            problems.append(f"{name}: one label for clients on different spots")
        if tuple(text.xy) != pytest.approx(points[clients[0]]):
            problems.append(f"{name}: anchored at {text.xy}, its marker is {points[clients[0]]}")
        if not (spines.contains(box.x0, box.y0) and spines.contains(box.x1, box.y1)):
            problems.append(f"{name}: outside the axes or on a spine ({box} vs {frame})")
        if any(box.overlaps(other) for other in boxes + notes):
            problems.append(f"{name}: overlaps another label or note")
        boxes.append(box)
        dx = np.maximum.reduce([box.x0 - centres[:, 0], 0 * centres[:, 0], centres[:, 0] - box.x1])
        dy = np.maximum.reduce([box.y0 - centres[:, 1], 0 * centres[:, 1], centres[:, 1] - box.y1])
        gaps = np.hypot(dx, dy)
        if (gaps < radius).any():
            problems.append(f"{name}: covers a marker")
        own = np.hypot(*(centres - ax.transData.transform(points[clients[0]])).T) < 1.0
        beside = (~own).any() and gaps[~own].min() - radius <= gaps[own].min()
        if text.arrow_patch is None and beside:
            problems.append(f"{name}: beside another marker without a leader to its own")
    return problems


@pytest.mark.parametrize("which", ["quickstart", "many", "crowded"])
def test_share_labels_sit_inside_the_axes_each_on_its_own_marker(
    which, run_dir, many_dir, crowded_dir
):
    folder = {"quickstart": run_dir, "many": many_dir, "crowded": crowded_dir}[which]
    assert label_problems(folder) == []


def test_flagged_and_coincident_clients_are_all_labelled(crowded_dir):
    ax = axes_titled(figure_of(crowded_dir), "Contribution vs reward share")
    texts = [t.get_text() for t in ax.texts]
    assert "C9, C10" in texts  # two free riders on one spot: one label names both
    assert "C11" in texts
    leaders = [t for t in ax.texts if t.arrow_patch is not None]
    assert leaders  # the crowded corner needs leader lines
    for text in leaders:  # a leader ends on its own marker's centre
        assert text.arrow_patch.shrinkB == 0 and text.xycoords == "data"


def test_top_clients_are_ordered_by_reward_then_flagged_then_others(crowded_dir):
    tables, manifest = load_run(crowded_dir)
    own = view.on_one_yardstick(rewards_by_method(tables, manifest)).set_index("client")
    ax = axes_titled(figure_of(crowded_dir), "% of an equal payout")
    names = [t.get_text().split("\n")[0] for t in ax.get_xticklabels()]
    flagged = ["C9", "C10", "C11"]
    top = names[: names.index("C9")]
    assert names[len(top) :] == [*flagged, "others"]
    rewards = [own.loc[int(n[1:]), "pct_liquidation"] for n in top]
    assert rewards == sorted(rewards, reverse=True) and len(top) == view.MAX_NAMED - 3
    edges = sorted(line.get_xdata()[0] for line in ax.get_lines() if line.get_xdata()[0] != 0)
    assert edges == [len(top) - 0.5, len(top) + 2.5]  # lines between the three blocks


def test_two_free_riders_get_their_own_marker_and_shade_in_one_style(crowded_dir):
    ax = axes_titled(figure_of(crowded_dir), "token prices")
    lines = {line.get_label(): line for line in ax.get_lines()}
    first, second = lines["C9 free rider"], lines["C10 free rider"]
    assert first.get_linestyle() == second.get_linestyle() == "--"  # one family
    assert first.get_marker() != second.get_marker()
    assert first.get_color() != second.get_color()
    assert lines["C11 label flip"].get_marker() not in (first.get_marker(), second.get_marker())


def test_a_run_that_pays_nothing_says_so(unpaid_dir):
    figure = figure_of(unpaid_dir)
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    rewards = axes_titled(figure, "% of an equal payout")
    notes = [t.get_text() for t in rewards.texts if t.get_gid() == "no-data-note"]
    assert notes == ["No rewards were paid in this run: every client's reward is 0"]
    shares = axes_titled(figure, "Contribution vs reward share")
    assert any("No rewards were paid" in t.get_text() for t in shares.texts)
    assert shares.get_ylim()[1] >= 1  # not a 1e-6 scale
    for ax in (shares, axes_titled(figure, "Value gained")):
        ticks = [t for t in ax.get_xticklabels() if t.get_text()]
        boxes = [t.get_window_extent(renderer) for t in ticks]
        assert all(len(t.get_text()) <= 6 for t in ticks), [t.get_text() for t in ticks]
        assert not any(a.overlaps(b) for a, b in itertools.combinations(boxes, 2))
    assert label_problems(unpaid_dir) == []


def test_value_labels_stay_inside_the_value_gained_panel(unpaid_dir, run_dir):
    for folder in (unpaid_dir, run_dir):
        figure = figure_of(folder)
        figure.draw_without_rendering()
        renderer = figure.canvas.get_renderer()
        ax = axes_titled(figure, "Value gained")
        frame = ax.get_window_extent(renderer).padded(-1.0)
        for text in ax.texts:
            box = text.get_window_extent(renderer)
            assert frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1), text


def test_a_balance_sheet_collected_every_k_rounds_says_so_and_marks_its_steps(crowded_dir):
    figure = figure_of(crowded_dir)
    ax = axes_titled(figure, "Federation balance sheet")
    assert "every 3 rounds" in ax.get_title()
    figure.draw_without_rendering()
    title = ax.title.get_window_extent(figure.canvas.get_renderer())
    assert title.x0 > 2 and title.x1 < figure.bbox.x1 - 2  # not clipped at the figure edge
    tables, _ = load_run(crowded_dir)
    steps = sorted(tables["federation"]["step"])
    assert steps == [0, 3, 6, 7]  # every 3 and the final round
    line = next(ln for ln in ax.get_lines() if ln.get_label().startswith("all of it"))
    assert line.get_marker() == "o" and list(line.get_xdata()) == steps


@pytest.mark.parametrize("which", ["quickstart", "many", "crowded"])
def test_every_panel_title_fits_in_the_figure(which, run_dir, many_dir, crowded_dir):
    folder = {"quickstart": run_dir, "many": many_dir, "crowded": crowded_dir}[which]
    figure = figure_of(folder)
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    for ax in figure.axes:
        box = ax.title.get_window_extent(renderer)
        assert box.x0 > 0 and box.x1 < figure.bbox.x1, ax.get_title()
