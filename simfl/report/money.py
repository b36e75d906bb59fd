"""The dashboard's money panels: investors, liquidity providers, the federation's
balance sheet, and where value went by kind of owner. Same conventions as
`simfl.report.panels`: titled with what and which mark, legends outside the data.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simfl.report import view
from simfl.report.panels import GROUP_COLOURS, RunView, legend_outside


def _strip(ax, groups: pd.Series, values: pd.Series) -> list[str]:
    """Bars of the mean per group with P10–P90 whiskers and each agent as a dot."""
    labels = list(dict.fromkeys(groups))
    rng = np.random.default_rng(0)  # jitter only: fixed, so the figure is reproducible
    for k, label in enumerate(labels):
        data = values[groups == label].dropna().to_numpy(dtype=float)
        if not len(data):
            continue
        mean, (low, high) = data.mean(), np.percentile(data, [10, 90])
        ax.bar(
            k,
            mean,
            0.6,
            color="#6a8e3b" if mean >= 0 else "#b5472f",
            alpha=0.8,
            label="mean" if k == 0 else None,
        )
        ax.errorbar(
            k,
            mean,
            yerr=[[mean - low], [high - mean]],
            fmt="none",
            ecolor="black",
            capsize=4,
            label="P10–P90" if k == 0 else None,
        )
        ax.scatter(
            k + rng.uniform(-0.2, 0.2, len(data)),
            data,
            s=8,
            color="black",
            alpha=0.45,
            zorder=3,
            label="one agent" if k == 0 else None,
        )
    ax.set_xticks(range(len(labels)), labels, fontsize=8 if len(labels) <= 4 else 7)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.grid(axis="y", alpha=0.3)
    return labels


def investor_panel(ax, run: RunView) -> None:
    """Investor return at the end as % of starting capital, liquidation mark, per group."""
    final = run.final
    groups = view.agent_groups(final, run.manifest, "investor")
    rows = final.loc[groups.index]
    _strip(ax, groups, view.returns_pct(run.agents, rows))
    ax.set_ylabel("return (% of starting value)")
    ax.set_xlabel("strategy, count × budget (BASE)", fontsize=8)
    ax.set_title("Investor returns by strategy at the end (liquidation mark)", fontsize=10)
    legend_outside(ax)


def lp_panel(ax, run: RunView) -> None:
    """Per LP group at the end: fees earned, impermanent loss and both, % of capital."""
    final = run.final
    groups = view.agent_groups(final, run.manifest, "liquidity_provider")
    rows = final.loc[groups.index]
    start = view.starting_values(run.agents, rows)
    parts = {
        "fees earned": 100 * rows["fees_earned"] / start,
        "impermanent loss": 100 * rows["impermanent_loss"] / start,
        "fees + IL": 100 * (rows["fees_earned"] + rows["impermanent_loss"]) / start,
    }
    labels = list(dict.fromkeys(groups))
    x = np.arange(len(labels))
    colours = ("#6a8e3b", "#b5472f", "#1b3a5c")
    for k, (name, values) in enumerate(parts.items()):
        means = [values[groups == label].mean() for label in labels]
        ax.bar(x + (k - 1) * 0.26, means, 0.26, color=colours[k], label=name)
    ax.set_xticks(x, labels, fontsize=8)
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("mean per LP (% of starting value)")
    ax.set_title("Liquidity providers by group at the end: fees vs impermanent loss", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    legend_outside(ax)


def federation_panel(ax, run: RunView) -> None:
    """The federation's holdings per round (spot, stacked) with its liquidation value;
    with `collect.agents_every` k > 1, every k rounds, each collected step marked."""
    fed = run.federation.sort_values("step")
    steps = fed["step"].to_numpy()
    every = int((run.manifest["scenario"].get("collect") or {}).get("agents_every") or 1)
    gaps = len(steps) > 1 and bool((np.diff(steps) > 1).any())
    marks = {"marker": "o", "markersize": 3.5} if every > 1 or gaps else {}
    base = fed["base"].to_numpy(dtype=float)
    tokens = fed["tokens_value"].to_numpy(dtype=float)
    shares = np.clip(fed["value_spot"].to_numpy(dtype=float) - base - tokens, 0.0, None)
    layers = {"BASE": base, "client tokens (spot)": tokens, "pool shares (spot)": shares}
    layers = {k: v for k, v in layers.items() if np.abs(v).max() > 1e-9}
    if layers:
        ax.stackplot(
            steps,
            *layers.values(),
            labels=list(layers),
            colors=GROUP_COLOURS[: len(layers)],
            alpha=0.75,
        )
    ax.plot(
        steps,
        fed["value_liquidation"],
        color="black",
        linewidth=1.5,
        label="all of it, liquidation mark" + (" (dots: collected)" if marks else ""),
        **marks,
    )
    revenue = run.model.set_index("round")["revenue_total"].reindex(steps)
    if revenue.abs().max() > 0:
        ax.plot(steps, revenue, color="#e5a03b", linestyle="--", label="revenue to date", **marks)
    ax.set_xlabel("round")
    ax.set_ylabel("BASE")
    when = f"every {every} rounds\n" if every > 1 else "per round "  # one line is too wide
    ax.set_title(f"Federation balance sheet {when}(spot, stacked; line: liquidation)", fontsize=10)
    ax.grid(alpha=0.3)
    legend_outside(ax)


def treasury_panel(ax, run: RunView) -> None:
    """The federation's BASE treasury and revenue to date (runs without federation rows)."""
    model = run.model
    ax.plot(
        model["round"],
        model["treasury_base"],
        color="#1b3a5c",
        marker="o",
        label="treasury (BASE held)",
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
    ax.set_title("Federation treasury per round (BASE)", fontsize=10)
    ax.grid(alpha=0.3)
    legend_outside(ax)


OWNER_NAMES = {
    "client": "clients",
    "investor": "investors",
    "liquidity_provider": "LPs",
    "federation": "federation",
    "pool": "pools",
    "issuance": "minted",
    "burned": "burned",
}


def owners_panel(ax, run: RunView) -> None:
    """Change in value held by each kind of owner, genesis → end, liquidation mark."""
    agents = run.agents
    first, last = agents["step"].min(), agents["step"].max()
    by_kind = agents[agents["step"].isin([first, last])].groupby(["kind", "step"])
    value = by_kind["value_liquidation"].sum().unstack("step").reindex(columns=[first, last])
    change = (value[last] - value[first].fillna(0.0)).sort_values()
    names = [OWNER_NAMES.get(k, str(k).replace("_", " ")) for k in change.index]
    colours = ["#6a8e3b" if v >= 0 else "#b5472f" for v in change]
    ax.barh(np.arange(len(change)), change.to_numpy(), color=colours)
    ax.set_yticks(np.arange(len(change)), names, fontsize=8)
    ax.axvline(0, color="black", linewidth=0.8)
    for k, v in enumerate(change):
        ax.annotate(
            f"{v:+,.0f}" if abs(v) >= 0.5 else "0",
            (v, k),
            xytext=(4 if v >= 0 else -4, 0),
            textcoords="offset points",
            va="center",
            ha="left" if v >= 0 else "right",
            fontsize=8,
        )
    low, high = min(0.0, float(change.min())), max(0.0, float(change.max()))
    room = 0.3 * max(high - low, 1.0)  # the value labels fit; all ~0: -0.3 .. 0.3, not dust
    ax.set_xlim(low - room, high + room)
    ax.set_xlabel("change in value, genesis → end (BASE, liquidation mark)")
    ax.set_title("Value gained per kind of owner, genesis → end (liquidation mark)", fontsize=10)
    ax.grid(axis="x", alpha=0.3)


ASSET_COLOURS = {"BASE": "#1b3a5c", "tokens": "#e5a03b"}


def flows_panel(ax, run: RunView) -> None:
    """Where the money went: the largest net flows between kinds of owner after genesis,
    BASE as moved and client tokens at spot (flows.parquet)."""
    flows = run.net_flows
    y = np.arange(len(flows))[::-1]
    names = [
        f"{OWNER_NAMES.get(a, a.replace('_', ' '))} → {OWNER_NAMES.get(b, b.replace('_', ' '))}"
        for a, b in zip(flows["source"], flows["destination"])
    ]
    for asset, colour in ASSET_COLOURS.items():
        mask = (flows["asset"] == asset).to_numpy()
        if mask.any():
            label = "BASE" if asset == "BASE" else "client tokens (at spot)"
            ax.barh(y[mask], flows["value"][mask], color=colour, label=label)
    for k, value in zip(y, flows["value"]):
        ax.annotate(f"{value:,.0f}", (value, k), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=8)  # fmt: skip
    ax.set_yticks(y, names, fontsize=8)
    ax.margins(x=0.2)
    ax.set_xlabel("net amount after genesis (whole BASE)")
    ax.set_title("Where the money went: largest net flows between owners", fontsize=10)
    ax.grid(axis="x", alpha=0.3)
    legend_outside(ax)
