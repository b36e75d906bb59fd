"""The dashboard of one run: the panels that apply to it, laid out (no pyplot state).

The reward figure (each client's reward as % of an equal payout, by contribution
method) spans the top row beside the contribution-vs-reward scatter; the other panels
follow three to a row, each only when the run has something for it to show (no
accuracy without a model, no participation panel when everyone always trains, no
investor or LP panel without them, the federation's balance sheet when its rows exist).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from simfl.report import money, panels, view
from simfl.report.page import fmt
from simfl.report.panels import RunView

DPI = 110
WIDTH = 19.0  # inches: three panels with their legends outside
ROW_HEIGHT = 4.4  # inches per row of panels
TOP_HEIGHT = 5.2  # the reward row


def client_labels(manifest: dict[str, Any]) -> list[str]:
    """`C3` for an honest client, `C8 free rider` otherwise."""
    clients = view.clients_of(manifest)
    return [
        label if cls == view.HONEST else f"{label} {behaviour.replace('_', ' ')}"
        for label, behaviour, cls in zip(clients.labels, clients.behaviours, clients.classes)
    ]


def client_colours(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


def run_view(
    tables: dict[str, pd.DataFrame],
    manifest: dict[str, Any],
    rewards: pd.DataFrame,
    metrics: dict[str, Any],
) -> RunView:
    """The derived facts every panel reads, from the tables on disk."""
    clients = view.clients_of(manifest)
    pay_by = manifest["scenario"]["fl"]["contribution"]["pay_by"]
    markets = view.split_comparison(view.on_one_yardstick(rewards), pay_by)
    own = markets["own"].set_index("client")["pct_liquidation"]
    named, others = view.clients_to_name(clients, own)
    flows = tables.get("flows")
    net_flows = None if flows is None else view.net_flows(flows, tables["model"])
    return RunView(
        model=tables["model"],
        agents=tables["agents"],
        federation=federation_rows(tables),
        rewards=markets["method"],
        by_mode=markets["mode"],
        own=markets["own"],
        net_flows=net_flows,
        manifest=manifest,
        metrics=metrics,
        clients=clients,
        colours=tuple(client_colours(clients.n)),
        pay_by=pay_by,
        named=tuple(named),
        others=tuple(others),
    )


def federation_rows(tables: dict[str, pd.DataFrame]) -> pd.DataFrame:
    """The federation's rows of every step: `tables["federation"]` when the reader gave
    them apart (`load_run`), else taken from a whole agents table."""
    if "federation" in tables:
        return tables["federation"]
    agents = tables["agents"]
    return agents[agents["kind"] == "federation"]


def panel_plan(run: RunView) -> list[tuple[str, Callable[[Any, RunView], None]]]:
    """(name, draw) of the panels below the reward row that apply to this run, in order."""
    kinds = set(run.agents["kind"])
    plan: list[tuple[str, Callable[[Any, RunView], None]]] = [("prices", panels.price_panel)]
    if view.has_model(run.manifest, run.model) and view.accuracy_columns(run.model):
        plan.append(("accuracy", panels.accuracy_panel))
    if view.participation_varies(run.model, run.clients.n):
        plan.append(("participation", panels.participation_panel))
    if "investor" in kinds:
        plan.append(("investors", money.investor_panel))
    if "liquidity_provider" in kinds:
        plan.append(("liquidity providers", money.lp_panel))
    if "federation" in kinds:
        plan.append(("federation", money.federation_panel))
        plan.append(("owners", money.owners_panel))
    if run.net_flows is not None and len(run.net_flows):
        plan.append(("flows", money.flows_panel))
    elif run.model[["treasury_base", "revenue_total"]].abs().to_numpy().max() > 0:
        plan.append(("treasury", money.treasury_panel))
    return plan


def headline(run: RunView) -> str:
    """The figure's two-line title: the setting, then the key numbers of this run."""
    scenario, metrics = run.manifest["scenario"], run.metrics
    fl, market = scenario["fl"], scenario["market"]
    source = scenario.get("scores", {}).get("source", "fl")
    data = f"{fl['dataset']} ({fl['partition']['kind']})" if source == "fl" else f"{source} scores"
    first = (
        f"simfl · {scenario['name']} · seed {scenario['seed']} · {scenario['rounds']} rounds · "
        f"{fl['clients']} clients on {data} · reward {market['reward']['mode']}, "
        f"paid by {run.pay_by.replace('_', ' ')}"
    )
    numbers = [
        f"Gini {fmt(metrics.get('gini'), digits=2)}",
        f"Spearman vs {str(metrics.get('ground_truth', '?')).replace('_', ' ')} "
        f"{fmt(metrics.get('spearman'), digits=2)}",
    ]
    if run.clients.count(view.FREE_RIDER):
        numbers.append(
            f"free riders' reward share {fmt(metrics.get('free_rider_reward_share'), pct=True)}"
        )
    if run.clients.count(view.MALICIOUS):
        numbers.append(
            f"malicious reward share {fmt(metrics.get('malicious_reward_share'), pct=True)}"
        )
    if "lp_net" in metrics and "liquidity_provider" in set(run.agents["kind"]):
        numbers.append(f"LP fees + IL {fmt(metrics.get('lp_net'), digits=0)} BASE")
    return first + "\n" + " · ".join(numbers)


def dashboard_figure(
    tables: dict[str, pd.DataFrame],
    manifest: dict[str, Any],
    rewards: pd.DataFrame,
    metrics: dict[str, Any],
) -> Figure:
    """The dashboard of one run, as a matplotlib `Figure` (no pyplot state).

    `rewards` holds one row per market and client (`comparison.parquet`): the run's own,
    other contribution methods' and, if compared, other payout modes' markets.
    """
    run = run_view(tables, manifest, rewards, metrics)
    modes = run.by_mode["series"].nunique() > 1
    methods = run.rewards["series"].nunique() > 1 or not modes
    items: list[tuple[str, Callable[[Any, RunView], None], int]] = [
        *([("rewards", panels.reward_panel, 2)] if methods else []),
        *([("modes", panels.mode_panel, 2)] if modes and not methods else []),
        ("shares", panels.share_panel, 1),
        *([("modes", panels.mode_panel, 2)] if modes and methods else []),
    ]
    items += [(name, draw, 1) for name, draw in panel_plan(run)]
    places = grid_places([span for _, _, span in items])
    rows = max(row for row, _, _ in places) + 1
    wide_rows = {row for (row, _, span) in places if span > 1}
    heights = [TOP_HEIGHT if row in wide_rows else ROW_HEIGHT for row in range(rows)]
    fig = Figure(figsize=(WIDTH, sum(heights) + 0.6), dpi=DPI, layout="constrained")
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)  # a renderer for label placement, without pyplot
    grid = fig.add_gridspec(rows, 3, height_ratios=heights)
    last = []
    for (name, draw, _), (row, col, span) in zip(items, places):
        cell = grid[row, col : col + span]
        if name == "shares":  # last: its labels are placed in the final layout
            last.append((draw, cell))
            continue
        draw(fig.add_subplot(cell), run)
    for ax in fig.axes:
        if ax.get_xlabel() == "round":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        panels.plain_ticks(ax)
    fig.suptitle(headline(run), fontsize=13)
    for draw, cell in last:
        draw(ax := fig.add_subplot(cell), run)
        panels.plain_ticks(ax)
    return fig


def grid_places(spans: list[int], columns: int = 3) -> list[tuple[int, int, int]]:
    """(row, column, span) of each panel, filled row by row in order.

    >>> grid_places([2, 1, 2, 1, 1, 1])
    [(0, 0, 2), (0, 2, 1), (1, 0, 2), (1, 2, 1), (2, 0, 1), (2, 1, 1)]
    """
    places, row, col = [], 0, 0
    for span in spans:
        if col + span > columns:
            row, col = row + 1, 0
        places.append((row, col, span))
        col += span
    return places
