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
VARIANT_MARKERS = {  # the k-th flagged client of a class: the class's marker family
    HONEST: ("o",),
    FREE_RIDER: ("X", "P", "D", "*"),
    MALICIOUS: ("s", "v", "^", "<"),
}
VARIANT_SHADES = (0.0, -0.35, 0.4, -0.6)  # same hue: base, darker, lighter, darkest
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
    net_flows: pd.DataFrame | None  # `view.net_flows` of flows.parquet, netted once (None
    # for runs written before it existed)
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

    def variant(self, i: int) -> int:
        """Client `i`'s rank among the flagged clients of its class (0 for honest ones)."""
        cls = self.clients.classes[i]
        if cls == HONEST:
            return 0
        return sum(1 for j in range(i) if self.clients.classes[j] == cls)

    def marker(self, i: int) -> str:
        """The marker of client `i`: its class's, varied per flagged client of that class."""
        markers = VARIANT_MARKERS[self.clients.classes[i]]
        return markers[self.variant(i) % len(markers)]

    def colour(self, i: int) -> Any:
        if self.clients.n <= view.MAX_NAMED:
            return self.colours[i]
        return shade(
            CLASS_COLOUR[self.clients.classes[i]],
            VARIANT_SHADES[self.variant(i) % len(VARIANT_SHADES)],
        )

    def ink(self, i: int) -> Any:
        """Client `i`'s colour darkened for text, so light hues stay readable on white."""
        from matplotlib.colors import to_rgb

        return tuple(0.7 * c for c in to_rgb(self.colour(i)))

    def tag(self, i: int) -> str:
        cls = self.clients.classes[i]
        return "" if cls == HONEST else self.clients.behaviours[i].replace("_", " ")


def shade(colour: Any, amount: float) -> tuple[float, float, float]:
    """`colour` mixed towards white (`amount` > 0) or black (`amount` < 0)."""
    from matplotlib.colors import to_rgb

    rgb = to_rgb(colour)
    if amount >= 0:
        return tuple(c + (1 - c) * amount for c in rgb)  # type: ignore[return-value]
    return tuple(c * (1 + amount) for c in rgb)  # type: ignore[return-value]


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
    order = named_order(run)
    groups: list[tuple[str, list[int]]] = [(run.clients.labels[i], [i]) for i in order]
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
    if run.others:  # top by reward | flagged | others: a gap line between the blocks
        top = sum(1 for i in order if run.clients.classes[i] == HONEST)
        for edge in sorted({top, len(order)} - {0, len(groups)}):
            ax.axvline(edge - 0.5, color="black", linewidth=0.8, linestyle=(0, (2, 2)))
    paid = rewards["reward_liquidation"].abs().max() if len(rewards) else 0.0
    if not paid > 0:  # nothing to draw: say so instead of an empty axis
        ax.set_ylim(0, 120)
        no_data_note(ax, "No rewards were paid in this run: every client's reward is 0")
    ax.axhline(100, color="grey", linestyle="--", linewidth=1, label="equal payout (100 %)")
    labels = []
    for name, members in groups:
        tag = run.tag(members[0]) if len(members) == 1 else ""
        labels.append("\n".join([name, *textwrap.wrap(tag, 11)]))
    ax.set_xticks(x, labels, fontsize=8 if len(groups) <= 12 else 7)
    ax.set_xlim(-0.5, len(groups) - 0.5)
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


def named_order(run: RunView) -> list[int]:
    """The clients drawn one by one, in bar order: all in client order when few; else
    the honest top by the run's own reward (highest first), then the flagged ones."""
    if not run.others:
        return list(run.named)
    reward = run.own.set_index("client")["pct_liquidation"]
    top = [i for i in run.named if run.clients.classes[i] == HONEST]
    top.sort(key=lambda i: (-np.nan_to_num(float(reward.get(i, np.nan)), nan=-np.inf), i))
    return top + [i for i in run.named if run.clients.classes[i] != HONEST]


NOTE_STYLE = {"facecolor": "white", "edgecolor": "#9a9a9a", "boxstyle": "round,pad=0.5"}


def no_data_note(ax, text: str, y: float = 0.55):
    """A centred note in `ax` saying why it holds no data (the `gid` tests look for)."""
    return ax.text(0.5, y, text, transform=ax.transAxes, ha="center", va="center",
                   fontsize=9, color="#444444", bbox=NOTE_STYLE, zorder=5,
                   gid="no-data-note")  # fmt: skip


LABEL_FONT = {"fontsize": 8, "fontweight": "bold"}
LABEL_RINGS = (2, 6, 14, 26, 42, 62, 88, 120)  # points beyond the marker's edge
NEAR_RINGS = 2  # labels on the first rings sit next to their marker; further: a leader
LABEL_ANGLES = (45, 315, 0, 135, 225, 180, 90, 270, *range(15, 360, 15))  # first tried first


@dataclass(frozen=True)
class PointLabel:
    """A label for the marker at data `(x, y)`; `radius` is the marker's in points."""

    x: float
    y: float
    text: str
    colour: Any
    radius: float


def _box_at(anchor, angle: float, distance: float, size) -> tuple[Any, str, str]:
    """The display box of a `size` (w, h) label set `distance` px from `anchor` towards
    `angle` degrees, with the alignment that puts the text beyond that point."""
    from matplotlib.transforms import Bbox

    cos, sin = np.cos(np.radians(angle)), np.sin(np.radians(angle))
    x, y = anchor[0] + distance * cos, anchor[1] + distance * sin
    w, h = size
    ha = "left" if cos > 0.3 else "right" if cos < -0.3 else "center"
    va = "bottom" if sin > 0.3 else "top" if sin < -0.3 else "center"
    x0 = x if ha == "left" else x - w if ha == "right" else x - w / 2
    y0 = y if va == "bottom" else y - h if va == "top" else y - h / 2
    return Bbox.from_bounds(x0, y0, w, h), ha, va


def _gaps(box, points) -> np.ndarray:
    """Distances in px from a display box to display points (n, 2) (0 inside)."""
    dx = np.maximum.reduce([box.x0 - points[:, 0], np.zeros(len(points)), points[:, 0] - box.x1])
    dy = np.maximum.reduce([box.y0 - points[:, 1], np.zeros(len(points)), points[:, 1] - box.y1])
    return np.hypot(dx, dy)


def _crosses(box, a, b) -> bool:
    """Whether the segment a→b passes through the display box (sampled)."""
    return any(box.contains(*(a + (b - a) * t)) for t in np.linspace(0.0, 1.0, 24))


def place_point_labels(ax, labels: list[PointLabel], markers, obstacles=()) -> list[Any]:
    """Label markers without overlap, each unmistakably its own marker's.

    `markers` is every marker drawn (data x, y, radius in points), labelled or not.
    Call with the axes final (limits, ticks, title, legend set): the figure is drawn
    once to fix the layout. A label goes next to its marker when there is room and no
    other marker is as close to it; otherwise further out with a leader line to its
    marker's centre, drawn over the markers. Labels stay inside the axes (off the
    spines and tick labels), off every marker, off each other, off leader lines and off
    `obstacles` (artists); a leader avoids other labels and passes through no other
    marker, except, where no such place exists, markers that overlap its own. Labels
    that crowd each other out are retried first; one that finds no place is left out.
    Returns the annotations.
    """
    figure = ax.figure
    figure.draw_without_rendering()
    renderer = figure.canvas.get_renderer()
    px = renderer.points_to_pixels(1.0)
    centres = np.array([ax.transData.transform((x, y)) for x, y, _ in markers]).reshape(-1, 2)
    space = {
        "frame": ax.get_window_extent(renderer).padded(-2 * px),
        "centres": centres,
        "radii": np.array([r for _, _, r in markers], dtype=float) * px + 1.0,
        "px": px,
        "obstacles": [a.get_window_extent(renderer).padded(2 * px) for a in obstacles],
    }
    sizes = []
    for label in labels:
        probe = ax.text(0, 0, label.text, transform=None, **LABEL_FONT)
        extent = probe.get_window_extent(renderer)
        sizes.append((extent.width, extent.height))
        probe.remove()
    anchors = [ax.transData.transform((label.x, label.y)) for label in labels]
    crowd = [int((np.hypot(*(centres - a).T) < 30 * px).sum()) for a in anchors]
    order = sorted(range(len(labels)), key=lambda k: -crowd[k])
    best: dict[int, tuple] = {}
    for _ in range(4):  # the left-out labels first, until all fit or no attempt does better
        plan = _label_plan(space, [(labels[k], anchors[k], sizes[k]) for k in order], order)
        if len(plan) > len(best):
            best = plan
        missing = [k for k in order if k not in plan]
        if not missing:
            break
        order = missing + [k for k in order if k in plan]
    notes = []
    for k in sorted(best):
        label, (ha, va, angle, distance, near) = labels[k], best[k]
        offset = (
            distance / px * np.cos(np.radians(angle)),
            distance / px * np.sin(np.radians(angle)),
        )
        arrow = {
            "arrowstyle": "-",
            "color": label.colour,
            "linewidth": 0.7,
            "shrinkA": 0,
            "shrinkB": 0,  # to the marker's centre: it points at this marker
        }
        note = ax.annotate(
            label.text,
            (label.x, label.y),
            textcoords="offset points",
            xytext=offset,
            ha=ha,
            va=va,
            color=label.colour,
            zorder=4,
            arrowprops=None if near else arrow,
            annotation_clip=False,
            **LABEL_FONT,
        )
        note.set_in_layout(False)
        notes.append(note)
    return notes


def _label_plan(space: dict[str, Any], todo: list[tuple], keys: list[int]) -> dict[int, tuple]:
    """Greedy places (ha, va, angle, distance px, near) for labels in the given order."""
    frame, centres, radii, px = space["frame"], space["centres"], space["radii"], space["px"]
    taken = list(space["obstacles"])
    leaders: list[tuple[Any, Any]] = []
    plan: dict[int, tuple] = {}
    for key, (label, anchor, size) in zip(keys, todo):
        own = np.hypot(*(centres - anchor).T) < 1.0  # this marker and any it hides
        close = (np.hypot(*(centres - anchor).T) < radii + (label.radius + 2) * px) & ~own
        tries = [
            *((r, e, True) for r, e in enumerate(LABEL_RINGS)),
            *((r, e, False) for r, e in enumerate(LABEL_RINGS) if r >= NEAR_RINGS),
        ]
        for ring, extra, strict in tries:
            distance = (label.radius + extra) * px
            for angle in LABEL_ANGLES:
                box, ha, va = _box_at(anchor, angle, distance, size)
                if not (frame.contains(box.x0, box.y0) and frame.contains(box.x1, box.y1)):
                    continue
                if any(box.overlaps(t) for t in taken):
                    continue
                gaps = _gaps(box, centres)
                if (gaps < radii + px).any():
                    continue
                if any(_crosses(box.padded(px), a, b) for a, b in leaders):
                    continue
                mine, others = gaps[own].min(), gaps[~own] - radii[~own]
                near = ring < NEAR_RINGS and bool((others > 1.5 * mine + 3 * px).all())
                line = (np.array([box.x0 + box.width / 2, box.y0 + box.height / 2]), anchor)
                if not near:
                    if ring < NEAR_RINGS:  # too close for a leader to show
                        continue
                    if any(_crosses(t, *line) for t in taken):
                        continue
                    skip = ~own if strict else ~own & ~close
                    out = line[0] - anchor  # the leader outside its own marker
                    edge = anchor + out / max(np.hypot(*out), 1e-9) * label.radius * px
                    if any(
                        _segment_gap(line[0], edge, centres[j]) < radii[j]
                        for j in np.flatnonzero(skip)
                    ):
                        continue
                    leaders.append(line)
                plan[key] = (ha, va, angle, distance, near)
                taken.append(box.padded(2 * px))
                break
            if key in plan:
                break
    return plan


def _segment_gap(a, b, point) -> float:
    """Distance in px from `point` to the segment a→b."""
    ab, ap = b - a, point - a
    t = float(np.clip(ap @ ab / max(ab @ ab, 1e-12), 0.0, 1.0))
    return float(np.hypot(*(ap - t * ab)))


def share_panel(ax, run: RunView) -> None:
    """Contribution share vs reward share (liquidation mark) of the paying method."""
    own = run.own.set_index("client")
    reward = own["reward_liquidation"].clip(lower=0.0)
    paid = reward.sum() > 0
    reward_share = 100 * reward / reward.sum() if paid else reward * 0
    contribution = 100 * own["contribution_share"].fillna(0.0)
    top = max(float(contribution.max()), float(reward_share.max())) * 1.12
    top = top if top > 1e-3 else 100.0  # every share ~0: the whole scale, not 1e-7 ticks
    ax.plot([0, top], [0, top], color="grey", linestyle="--", linewidth=1, label="y = x (fair)")
    size = 55 if len(own) <= 20 else 22
    radius = np.sqrt(size) / 2
    for cls in view.BEHAVIOUR_CLASSES:
        members = [int(i) for i in own.index if run.clients.classes[int(i)] == cls]
        for m, marker in enumerate(dict.fromkeys(run.marker(i) for i in members)):
            some = [i for i in members if run.marker(i) == marker]
            ax.scatter(
                contribution[some],
                reward_share[some],
                s=size,
                marker=marker,
                color=[run.colour(i) for i in some],
                edgecolor="black",
                linewidths=0.5,
                zorder=3,
                clip_on=False,
                label=cls if m == 0 else None,
            )
    ax.set_xlim(0, top)
    ax.set_ylim(0, top)
    ax.set_xlabel(f"contribution share, {run.pay_by.replace('_', ' ')} (%)")
    ax.set_ylabel("reward share, liquidation mark (%)")
    deviation = (reward_share - contribution).abs().sort_values(ascending=False)
    flagged = [i for i in own.index if run.clients.classes[int(i)] != HONEST]
    chosen = list(dict.fromkeys([*flagged[: view.MAX_FLAGGED], *deviation.index[:6]]))
    chosen = chosen if len(own) > 8 else list(own.index)
    labelled = "" if len(chosen) == len(own) else " (labels: flagged and most off the line)"
    ax.set_title(f"Contribution vs reward share{labelled}", fontsize=10)
    ax.grid(alpha=0.3)
    legend_outside(ax)
    plain_ticks(ax)
    notes = []
    if not paid:
        notes.append(no_data_note(ax, "No rewards were paid:\nevery reward share is 0", 0.62))
    if not (contribution.abs() > 0).any():
        notes.append(no_data_note(ax, "Every contribution is 0", 0.42))
    at: dict[tuple[float, float], list[int]] = {}  # markers on one spot share one label
    for i in chosen:
        at.setdefault((float(contribution[i]), float(reward_share[i])), []).append(int(i))
    place_point_labels(
        ax,
        [
            PointLabel(
                x,
                y,
                together(run.clients.labels, members),
                run.ink(members[0]) if len(members) == 1 else "#333333",  # not one's colour
                radius,
            )
            for (x, y), members in at.items()
        ],
        [(float(contribution[i]), float(reward_share[i]), radius) for i in own.index],
        obstacles=notes,
    )


def together(labels, members: list[int], most: int = 3) -> str:
    """One label for clients drawn on one spot: `C90, C91` (`C1, C2, C3 +4` beyond 3,
    `all 6 clients` for everyone)."""
    names = [labels[i] for i in members]
    if len(names) == len(labels) > most:
        return f"all {len(names)} clients"
    more = f" +{len(names) - most}" if len(names) > most else ""
    return ", ".join(names[:most]) + more


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
    every = max(1, len(rounds) // 8)
    for i in lines:
        cls = run.clients.classes[i]
        tag = run.tag(i)
        ax.plot(
            rounds,
            prices[i],
            color=run.colour(i),
            linestyle=STYLE[cls]["linestyle"],
            linewidth=1.3 if cls == HONEST else 2.0,
            marker=run.marker(i),
            markersize=3 if cls == HONEST else 6,
            markeredgecolor="black" if cls != HONEST else None,
            markeredgewidth=0.4,
            markevery=(run.variant(i) * max(1, every // 2) % every, every),  # interleaved
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
