"""The dashboard figure of one run: a 3×3 grid of matplotlib panels (no pyplot state).

Every panel takes the tables it draws from; each client keeps one colour throughout.
"""

from __future__ import annotations

import textwrap
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from simfl.report.page import fmt

FIGSIZE = (16, 13)  # inches: a full page at dpi 110
DPI = 110
METHOD_COLOURS = ("#1b3a5c", "#3f7fbf", "#8fb8de", "#e5a03b", "#b5472f", "#6a8e3b", "#7d5ba6")


def client_labels(manifest: dict[str, Any]) -> list[str]:
    """`C3` for an honest client, `C8 free_rider` otherwise."""
    labels = []
    for client in manifest.get("clients", []):
        behaviour = client.get("behaviour") or "honest"
        tag = "" if behaviour == "honest" else f" {behaviour.replace('_', ' ')}"
        labels.append(f"C{client['index']}{tag}")
    return labels


def client_colours(n: int) -> list[Any]:
    from matplotlib import colormaps

    cmap = colormaps["tab10" if n <= 10 else "tab20"]
    return [cmap(i % cmap.N) for i in range(n)]


# ------------------------------------------------------------------------ panels


def _pct_equal_panel(ax, rewards: pd.DataFrame, labels: list[str], colours: list[Any]) -> None:
    methods = list(dict.fromkeys(rewards["method"]))
    n = len(labels)
    width = 0.8 / max(len(methods), 1)
    x = np.arange(n)
    for k, method in enumerate(methods):
        rows = rewards[rewards["method"] == method].set_index("client").reindex(range(n))
        offset = (k - (len(methods) - 1) / 2) * width
        ax.bar(
            x + offset,
            rows["pct_equal_spot"],
            width,
            color=METHOD_COLOURS[k % len(METHOD_COLOURS)],
            label=f"{method} (spot)",
        )
        ax.scatter(
            x + offset,
            rows["pct_equal_liquidation"],
            marker="_",
            s=60,
            color="black",
            zorder=3,
            label="if sold now (liquidation)" if k == 0 else None,
        )
    ax.axhline(100, color="grey", linestyle="--", linewidth=1, label="equal payout (100%)")
    ticks = []
    for label in labels:  # "C8 free rider" → "C8" over the tag, wrapped
        name, _, tag = label.partition(" ")
        ticks.append("\n".join([name, *textwrap.wrap(tag, 12)]))
    ax.set_xticks(x, ticks)
    for tick, colour in zip(ax.get_xticklabels(), colours):
        tick.set_color(colour)
        tick.set_fontweight("bold")
    ax.set_ylabel("reward value (% of an equal payout)")
    ax.set_title("Reward per client as % of an equal payout, by contribution method")
    ax.legend(ncol=min(len(methods) + 2, 4), fontsize=8, loc="upper right")
    ax.grid(axis="y", alpha=0.3)


def _share_scatter(ax, own: pd.DataFrame, labels: list[str], colours: list[Any], method: str):
    top = max(float(own["contribution_share"].max()), float(own["reward_share"].max()), 0.01)
    top = min(1.0, top * 1.15) * 100
    ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1, label="y = x (fair)")
    for _, row in own.iterrows():
        index = int(row["client"])
        ax.scatter(
            row["contribution_share"] * 100,
            row["reward_share"] * 100,
            s=70,
            color=colours[index],
            edgecolor="black",
            zorder=3,
        )
        ax.annotate(
            f"C{index}",
            (row["contribution_share"] * 100, row["reward_share"] * 100),
            textcoords="offset points",
            xytext=(5, 4),
            fontsize=8,
        )
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel(f"contribution share, {method} (%)")
    ax.set_ylabel("reward share (%)")
    ax.set_title(f"Contribution vs reward share (paid by {method})")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)


def _price_panel(ax, model, manifest, labels, colours) -> None:
    pool = manifest["scenario"]["market"]["pool"]
    genesis = pool["seed_base"] / pool["seed_tokens"]
    has_genesis = bool((model["round"] == 0).any())  # newer runs collect a round-0 row
    rounds = model["round"].to_numpy()
    if not has_genesis:
        rounds = np.concatenate([[0], rounds])
    for i, (label, colour) in enumerate(zip(labels, colours)):
        prices = model[f"price_{i}"].to_numpy()
        if not has_genesis:
            prices = np.concatenate([[genesis], prices])
        style = "-" if label == f"C{i}" else "--"  # honest clients carry no tag
        ax.plot(rounds, prices, style, color=colour, linewidth=1.6, label=label)
    ax.set_xlabel("round")
    ax.set_ylabel("price (BASE per token)")
    ax.set_title("Token prices (dashed: free riders / malicious)")
    ax.legend(fontsize=7, ncol=2 if len(labels) > 5 else 1, loc="upper left")
    ax.grid(alpha=0.3)


def _accuracy_panel(ax, model) -> None:
    ax.plot(model["round"], model["accuracy"] * 100, marker="o", color="#1b3a5c")
    ax.set_xlabel("round")
    ax.set_ylabel("test accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"Global model accuracy (final {model['accuracy'].iloc[-1]:.1%})")
    ax.grid(alpha=0.3)


def _participation_panel(ax, model, n_clients: int, colours) -> None:
    rounds = model["round"].to_numpy()
    bottom = np.zeros(len(rounds))
    for i in range(n_clients):
        column = f"participating_{i}"
        taking_part = model[column].astype(float).to_numpy() if column in model else 0 * bottom
        ax.bar(rounds, taking_part, bottom=bottom, color=colours[i], width=0.8)
        bottom += taking_part
    ax.set_ylim(0, n_clients + 0.5)
    ax.set_xlabel("round")
    ax.set_ylabel("clients training")
    ax.set_title(f"Participation per round ({bottom.sum() / (n_clients * len(rounds)):.0%})")
    ax.grid(axis="y", alpha=0.3)


def _investor_panel(ax, final: pd.DataFrame) -> None:
    investors = final[final["kind"] == "investor"]
    ax.set_title("Investor PnL by strategy (end of run)")
    if investors.empty:
        _empty(ax, "no investors in this scenario")
        return
    groups = investors.groupby("strategy")["pnl"]
    mean, low, high, count = groups.mean(), groups.min(), groups.max(), groups.size()
    x = np.arange(len(mean))
    colours = ["#6a8e3b" if v >= 0 else "#b5472f" for v in mean]
    ax.bar(x, mean, color=colours)
    ax.errorbar(x, mean, yerr=[mean - low, high - mean], fmt="none", ecolor="black", capsize=4)
    ax.set_xticks(x, [f"{s}\n(n={count[s]})" for s in mean.index], fontsize=8)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("PnL per investor (BASE; bar mean, whiskers min–max)")
    ax.grid(axis="y", alpha=0.3)


def _lp_panel(ax, agents: pd.DataFrame) -> None:
    lps = agents[agents["kind"] == "liquidity_provider"]
    ax.set_title("Liquidity providers: fees vs impermanent loss")
    if lps.empty:
        _empty(ax, "no liquidity providers in this scenario")
        return
    per_step = lps.groupby("step")[["fees_earned", "impermanent_loss"]].sum()
    ax.plot(per_step.index, per_step["fees_earned"], color="#6a8e3b", marker="o", label="fees")
    ax.plot(
        per_step.index,
        per_step["impermanent_loss"],
        color="#b5472f",
        marker="o",
        label="impermanent loss",
    )
    net = per_step["fees_earned"] + per_step["impermanent_loss"]
    ax.plot(per_step.index, net, color="black", linestyle="--", label="fees + IL")
    ax.axhline(0, color="grey", linewidth=0.8)
    ax.set_xlabel("round")
    ax.set_ylabel("all LPs together (BASE)")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)


def _treasury_panel(ax, model: pd.DataFrame) -> None:
    ax.plot(
        model["round"],
        model["treasury_base"],
        color="#1b3a5c",
        marker="o",
        label="treasury balance",
    )
    ax.plot(
        model["round"],
        model["revenue_total"],
        color="#e5a03b",
        linestyle="--",
        label="revenue to date",
    )
    ax.set_xlabel("round")
    ax.set_ylabel("BASE")
    top = max(float(model["treasury_base"].max()), float(model["revenue_total"].max()), 0.0)
    ax.set_ylim(bottom=0, top=max(1.0, top * 1.05))
    ax.set_title("Federation treasury")
    ax.legend(fontsize=8)
    ax.grid(alpha=0.3)


def _empty(ax, text: str) -> None:
    ax.text(0.5, 0.5, text, ha="center", va="center", transform=ax.transAxes, color="grey")
    ax.set_xticks([])
    ax.set_yticks([])


def dashboard_figure(
    tables: dict[str, pd.DataFrame],
    manifest: dict[str, Any],
    rewards: pd.DataFrame,
    metrics: dict[str, Any],
) -> Figure:
    """The 3×3 dashboard of one run, as a matplotlib `Figure` (no pyplot state).

    `rewards` holds one row per payout method and client (`comparison.parquet`).
    """
    model, agents = tables["model"], tables["agents"]
    rounds_only = model[model["round"] >= 1]  # without the genesis row
    scenario = manifest["scenario"]
    pay_by = scenario["fl"]["contribution"]["pay_by"]
    labels = client_labels(manifest)
    colours = client_colours(len(labels))
    own = rewards[rewards["method"] == pay_by]
    if own.empty:
        own = rewards[rewards["method"] == rewards["method"].iloc[0]]
    final = agents[agents["step"] == agents["step"].max()]

    fig = Figure(figsize=FIGSIZE, dpi=DPI, layout="constrained")
    grid = fig.add_gridspec(3, 3)
    _pct_equal_panel(fig.add_subplot(grid[0, :2]), rewards, labels, colours)
    _share_scatter(fig.add_subplot(grid[0, 2]), own, labels, colours, pay_by)
    _price_panel(fig.add_subplot(grid[1, 0]), model, manifest, labels, colours)
    _accuracy_panel(fig.add_subplot(grid[1, 1]), rounds_only)
    _participation_panel(fig.add_subplot(grid[1, 2]), rounds_only, len(labels), colours)
    _investor_panel(fig.add_subplot(grid[2, 0]), final)
    _lp_panel(fig.add_subplot(grid[2, 1]), agents)
    _treasury_panel(fig.add_subplot(grid[2, 2]), model)

    fl, market = scenario["fl"], scenario["market"]
    source = scenario.get("scores", {}).get("source", "fl")
    data = f"{fl['dataset']} ({fl['partition']['kind']})" if source == "fl" else f"{source} scores"
    for ax in fig.axes:
        if ax.get_xlabel() == "round":
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    fig.suptitle(
        f"simfl · {scenario['name']} · seed {scenario['seed']} · {scenario['rounds']} rounds · "
        f"{fl['clients']} clients on {data} · "
        f"reward {market['reward']['mode']}, paid by {pay_by}\n"
        f"Gini {fmt(metrics.get('gini'))} · Spearman vs {metrics.get('ground_truth', '?')} "
        f"{fmt(metrics.get('spearman'))} · free-rider share "
        f"{fmt(metrics.get('free_rider_reward_share'), pct=True)} · LP fees + IL "
        f"{fmt(metrics.get('lp_net'))} BASE",
        fontsize=13,
    )
    return fig
