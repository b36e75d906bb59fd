"""The dashboard's client and model panels, each a function `draw(ax, run)` of a
`RunView` (the money panels are in `simfl.report.money`).

Every panel says in its title what it shows and on which mark; legends sit outside the
data (to the right of the axes); one line and marker style per behaviour class
(honest, free rider, malicious). Panels that would be empty are not drawn at all: the
figure asks `RunView` which ones apply (see `simfl.report.figure`).
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.ticker import AutoLocator, MaxNLocator, ScalarFormatter

from simfl.analysis.series import client_wide
from simfl.report import view
from simfl.report.view import FREE_RIDER, HONEST, MALICIOUS, Clients

METHOD_COLOURS = ("#1b3a5c", "#3f7fbf", "#8fb8de", "#e5a03b", "#b5472f", "#6a8e3b", "#7d5ba6")
GROUP_COLOURS = ("#1b3a5c", "#e5a03b", "#6a8e3b", "#b5472f", "#7d5ba6", "#3f7fbf", "#8c8c8c")
STYLE = {  # one line and marker style per behaviour class, in every panel
    HONEST: {"linestyle": "-", "marker": "o"},
    FREE_RIDER: {"linestyle": "--", "marker": "X"},
    MALICIOUS: {"linestyle": ":", "marker": "s"},
}
CLASS_COLOUR = {HONEST: "#3f7fbf", FREE_RIDER: "#b5472f", MALICIOUS: "#7d5ba6"}
OTHERS_COLOUR = "#9a9a9a"
MAX_PRICE_LINES = 6  # more clients than this: honest ones as a median and P10–P90 band
LEGEND = {"loc": "upper left", "bbox_to_anchor": (1.01, 1.0), "borderaxespad": 0.0}


@dataclass(frozen=True)
class RunView:
    """Everything the panels read: the run's tables, manifest and derived client facts."""

    model: pd.DataFrame
    agents: pd.DataFrame  # at least the first and last step (the report reads only those)
    federation: pd.DataFrame  # the federation's rows of every step (empty without one)
    rewards: pd.DataFrame  # own market + other methods' markets, both marks on one yardstick
    by_mode: pd.DataFrame  # own market + other payout modes' markets (empty if none)
    own: pd.DataFrame  # the run's own market, one row per client
    flows: pd.DataFrame | None  # flows.parquet (None for runs written before it existed)
    manifest: dict[str, Any]
    metrics: dict[str, Any]
    clients: Clients
    colours: tuple[Any, ...]
    pay_by: str
    named: tuple[int, ...]  # clients drawn one by one
    others: tuple[int, ...]  # the rest, drawn as one aggregate

    @property
    def final(self) -> pd.DataFrame:
        return self.agents[self.agents["step"] == self.agents["step"].max()]

    def colour(self, i: int) -> Any:
        return (
            self.colours[i]
            if self.clients.n <= view.MAX_NAMED
            else CLASS_COLOUR[self.clients.classes[i]]
        )

    def ink(self, i: int) -> Any:
        """Client `i`'s colour darkened for text, so light hues stay readable on white."""
        from matplotlib.colors import to_rgb

        return tuple(0.7 * c for c in to_rgb(self.colour(i)))

    def tag(self, i: int) -> str:
        cls = self.clients.classes[i]
        return "" if cls == HONEST else self.clients.behaviours[i].replace("_", " ")


class PlainFormatter(ScalarFormatter):
    """Tick labels as plain numbers with thousands separators: 2,000,000 and 0.00003,
    never an offset or a `1e6` above the axis."""

    def __init__(self) -> None:
        super().__init__(useOffset=False)
        self.set_scientific(False)

    def __call__(self, x: float, pos: int | None = None) -> str:
        text = super().__call__(x, pos)
        sign = text[0] if text[:1] in ("-", "\u2212") else ""
        head, dot, tail = text[len(sign) :].partition(".")
        if head.isdigit():
            head = f"{int(head):,}"
        return sign + head + dot + tail


def plain_ticks(ax) -> None:
    """Give every numeric linear axis of `ax` plain tick labels (see `PlainFormatter`)."""
    for axis in (ax.xaxis, ax.yaxis):
        if type(axis.get_major_formatter()) is ScalarFormatter:
            axis.set_major_formatter(PlainFormatter())
    if type(ax.xaxis.get_major_locator()) is AutoLocator:  # wide labels: fewer x ticks
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5, steps=[1, 2, 2.5, 5, 10]))


def legend_outside(ax, **kwargs) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8, **LEGEND, **kwargs)


# ----------------------------------------------------------------- rewards


def reward_panel(ax, run: RunView) -> None:
    """Reward per client as % of an equal payout, by contribution method."""
    _reward_bars(ax, run, run.rewards, "contribution method", "paid by")


def mode_panel(ax, run: RunView) -> None:
    """Reward per client as % of an equal payout, by payout mode (one FL trajectory)."""
    _reward_bars(ax, run, run.by_mode, "payout mode", "payout mode")


def _reward_bars(ax, run: RunView, rewards: pd.DataFrame, by: str, legend: str) -> None:
    """Bars on the liquidation mark, ticks at spot, both over the same equal payout, one
    colour per `series`; many clients → top by reward + flagged + "others"."""
    methods = list(dict.fromkeys(rewards["series"]))
    groups: list[tuple[str, list[int]]] = [(run.clients.labels[i], [i]) for i in run.named]
    if run.others:
        groups.append((f"others\n(n={len(run.others)},\nmean)", list(run.others)))
    x = np.arange(len(groups))
    width = 0.8 / max(len(methods), 1)
    for k, method in enumerate(methods):
        rows = rewards[rewards["series"] == method].set_index("client")
        bars = [rows["pct_liquidation"].reindex(members).mean() for _, members in groups]
        ticks = [rows["pct_spot"].reindex(members).mean() for _, members in groups]
        offset = (k - (len(methods) - 1) / 2) * width
        ax.bar(
            x + offset,
            bars,
            width,
            color=METHOD_COLOURS[k % len(METHOD_COLOURS)],
            label=method.replace("_", " "),
        )
        ax.scatter(
            x + offset,
            ticks,
            marker="_",
            s=max(20.0, 300 * width),
            linewidths=1.5,
            color="black",
            zorder=3,
            label="at spot (reference)" if k == 0 else None,
        )
    ax.axhline(100, color="grey", linestyle="--", linewidth=1, label="equal payout (100 %)")
    labels = []
    for name, members in groups:
        tag = run.tag(members[0]) if len(members) == 1 else ""
        labels.append("\n".join([name, *textwrap.wrap(tag, 11)]))
    ax.set_xticks(x, labels, fontsize=8 if len(groups) <= 12 else 7)
    for tick, (_, members) in zip(ax.get_xticklabels(), groups):
        if len(members) == 1:
            tick.set_color(run.ink(members[0]))
            tick.set_fontweight("bold")
    ax.set_ylabel("reward value (% of an equal payout)")
    shown = (
        ""
        if not run.others
        else (
            f" — top {len(run.named) - len(set(run.named) & set(run.clients.flagged()))} of "
            f"{run.clients.n} by reward, flagged clients, others averaged"
        )
    )
    ax.set_title(
        f"Reward per client as % of an equal payout, by {by} "
        f"(bars: liquidation mark, ticks: spot){shown}",
        fontsize=10,
    )
    ax.grid(axis="y", alpha=0.3)
    legend_outside(ax, title=legend)


def _place_labels(ax, points: list[tuple[float, float, str, Any]]) -> None:
    """Annotate points with offset labels that do not overlap each other (greedy)."""
    figure = ax.figure
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    taken: list[Any] = []
    offsets = [(6, 6), (6, -13), (-30, 6), (-30, -13), (10, 18), (10, -24), (-34, 18), (-34, -24)]
    for x, y, text, colour in points:
        chosen = None
        for dx, dy in offsets:
            note = ax.annotate(
                text,
                (x, y),
                textcoords="offset points",
                xytext=(dx, dy),
                fontsize=8,
                color=colour,
                fontweight="bold",
            )
            box = note.get_window_extent(renderer).expanded(1.05, 1.1)
            if not any(box.overlaps(other) for other in taken):
                chosen = box
                break
            note.remove()
        if chosen is None:  # no free spot: leave it unlabelled rather than overlap
            continue
        taken.append(chosen)


def share_panel(ax, run: RunView) -> None:
    """Contribution share vs reward share (liquidation mark) of the paying method."""
    own = run.own.set_index("client")
    reward = own["reward_liquidation"].clip(lower=0.0)
    reward_share = 100 * reward / reward.sum() if reward.sum() > 0 else reward * 0
    contribution = 100 * own["contribution_share"]
    top = max(float(contribution.max()), float(reward_share.max()), 1e-6) * 1.12
    ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1, label="y = x (fair)")
    for cls in view.BEHAVIOUR_CLASSES:
        members = [i for i in own.index if run.clients.classes[int(i)] == cls]
        if not members:
            continue
        ax.scatter(
            contribution[members],
            reward_share[members],
            s=55 if len(own) <= 20 else 22,
            marker=STYLE[cls]["marker"],
            color=[run.colour(int(i)) for i in members],
            edgecolor="black",
            linewidths=0.5,
            zorder=3,
            label=cls,
        )
    deviation = (reward_share - contribution).abs().sort_values(ascending=False)
    flagged = [i for i in own.index if run.clients.classes[int(i)] != HONEST]
    chosen = list(dict.fromkeys([*flagged[: view.MAX_FLAGGED], *deviation.index[:6]]))
    chosen = chosen if len(own) > 8 else list(own.index)
    _place_labels(
        ax,
        [
            (
                float(contribution[i]),
                float(reward_share[i]),
                run.clients.labels[int(i)],
                run.ink(int(i)),
            )
            for i in chosen
        ],
    )
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel(f"contribution share, {run.pay_by.replace('_', ' ')} (%)")
    ax.set_ylabel("reward share, liquidation mark (%)")
    labelled = "" if len(chosen) == len(own) else " (labels: flagged and most off the line)"
    ax.set_title(f"Contribution vs reward share{labelled}", fontsize=10)
    ax.grid(alpha=0.3)
    legend_outside(ax)


# ------------------------------------------------------------------ market


def price_panel(ax, run: RunView) -> None:
    """Spot price of each client's token per round; many honest clients as a band."""
    model = run.model
    rounds = model["round"].to_numpy()
    pool = run.manifest["scenario"]["market"]["pool"]
    ax.axhline(
        pool["seed_base"] / pool["seed_tokens"],
        color="grey",
        linewidth=0.8,
        linestyle="-.",
        label="genesis price",
    )
    wide = client_wide(model, "price")
    prices = {i: wide[i].to_numpy(dtype=float) for i in range(run.clients.n)}
    honest = [i for i in range(run.clients.n) if run.clients.classes[i] == HONEST]
    if run.clients.n > MAX_PRICE_LINES and honest:
        block = np.vstack([prices[i] for i in honest])
        low, mid, high = np.percentile(block, [10, 50, 90], axis=0)
        ax.fill_between(
            rounds,
            low,
            high,
            color=CLASS_COLOUR[HONEST],
            alpha=0.25,
            label=f"honest P10–P90 (n={len(honest)})",
        )
        ax.plot(rounds, mid, color=CLASS_COLOUR[HONEST], linewidth=2, label="honest median")
        lines = run.clients.flagged()[: view.MAX_FLAGGED]
    else:
        lines = list(range(run.clients.n))
    for i in lines:
        cls = run.clients.classes[i]
        tag = run.tag(i)
        ax.plot(
            rounds,
            prices[i],
            color=run.colour(i),
            linestyle=STYLE[cls]["linestyle"],
            linewidth=1.3 if cls == HONEST else 2.0,
            marker=STYLE[cls]["marker"],
            markersize=3 if cls == HONEST else 5,
            markevery=max(1, len(rounds) // 8),
            label=f"{run.clients.labels[i]} {tag}".strip(),
        )
    ax.set_xlabel("round")
    ax.set_ylabel("price (BASE per token, spot)")
    ax.set_title("Client token prices per round (spot)", fontsize=10)
    ax.grid(alpha=0.3)
    legend_outside(ax, ncol=2 if len(lines) > 12 else 1)


def accuracy_panel(ax, run: RunView) -> None:
    """Global model accuracy per round: validation split, and the test split if recorded."""
    rounds = run.model[run.model["round"] >= 1]
    finals = []
    for k, (column, label) in enumerate(view.accuracy_columns(rounds).items()):
        values = rounds[column].to_numpy(dtype=float) * 100
        ax.plot(
            rounds["round"],
            values,
            marker="os"[k % 2],
            linestyle="-:"[k % 2],
            color=("#1b3a5c", "#e5a03b")[k % 2],
            label=label,
        )
        finals.append(f"{label.split()[0]} {values[-1]:.1f} %")
    ax.set_xlabel("round")
    ax.set_ylabel("accuracy (%)")
    ax.set_ylim(0, 100)
    ax.set_title(f"Global model accuracy per round (final: {', '.join(finals)})", fontsize=10)
    ax.grid(alpha=0.3)
    legend_outside(ax)


def participation_panel(ax, run: RunView) -> None:
    """Clients training per round, stacked by behaviour class (drawn only if it varies)."""
    rounds = run.model[run.model["round"] >= 1]
    bottom = np.zeros(len(rounds))
    for cls in view.BEHAVIOUR_CLASSES:
        members = [i for i in range(run.clients.n) if run.clients.classes[i] == cls]
        if not members:
            continue
        count = client_wide(rounds, "participating")[members].astype(float).sum(axis=1).to_numpy()
        ax.bar(
            rounds["round"],
            count,
            bottom=bottom,
            width=0.85,
            color=CLASS_COLOUR[cls],
            label=f"{cls} (of {len(members)})",
        )
        bottom += count
    ax.axhline(run.clients.n, color="grey", linestyle="--", linewidth=1, label="all clients")
    ax.set_ylim(0, run.clients.n * 1.08)
    ax.set_xlabel("round")
    ax.set_ylabel("clients training")
    share = bottom.sum() / max(run.clients.n * len(rounds), 1)
    ax.set_title(f"Clients training per round ({share:.0%} of client-rounds)", fontsize=10)
    ax.grid(axis="y", alpha=0.3)
    legend_outside(ax)
