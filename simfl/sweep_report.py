"""The sweep dashboard: `summary.parquet` + `sweep.json` → PNG and a self-contained HTML.

Reads only what a sweep wrote (never live objects). Panels:

- for a two-parameter grid, a heatmap of the median of each metric (cividis, plain
  numbers in a colour that stays readable on its cell);
- each metric against each swept parameter: the median across runs, with the P10–P90
  band (numeric parameters) or P10–P90 whiskers (categorical ones), values labelled
  readably and in sweep order;
- for a `sobol` design, first-order (S1) and total (ST) indices per metric with their
  95 % intervals, from `SALib.analyze.sobol.analyze` on the per-point mean; a sample too
  small for its indices is said so, and its meaningless intervals are not drawn.

Only metrics whose per-point medians differ (beyond float dust) are drawn, headline
metrics first. Writes `sweep_dashboard.png` and `sweep_report.html` (image inlined).
"""

from __future__ import annotations

import base64
import html
import json
import math
import textwrap
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simfl.atomic import write_bytes_atomic
from simfl.errors import UserError
from simfl.report import check_formats, figure_bytes, read_table
from simfl.report.definitions import describe
from simfl.report.labels import (
    DUST,
    is_numeric,
    metric_label,
    plain,
    sweep_order,
    value_label,
)
from simfl.report.page import fmt, metric_text
from simfl.report.panels import plain_ticks

ID_COLUMNS = {"run_id", "point", "replication", "seed", "fl_seed", "status", "error",
              "trajectory_reused", "run_seconds", "metrics_error"}  # fmt: skip
PRIORITY = ("gini", "spearman", "free_rider_reward_share", "malicious_reward_share",
            "honest_pct_equal_min", "client_reward_pct_budget", "final_accuracy",
            "investor_pnl_mean", "lp_net", "slippage_paid", "joint_liquidation_pct_spot",
            "total_volume_base")  # fmt: skip
MAX_METRICS = 6  # metrics drawn on the dashboard: those that vary, headline ones first
MAX_LEVELS = 12  # more distinct values than this (random / sobol): bin into deciles
ABSOLUTE_DUST = 1e-12  # spread below which any metric (BASE, shares) is float noise
MIN_SOBOL_SAMPLES = 64  # Saltelli base samples below which S1/ST are not trustworthy
WIDE_INTERVAL = 0.5  # a 95 % interval half-width above this says nothing about an index


# ----------------------------------------------------------------- metrics


def _varies(summary: pd.DataFrame, metric: str) -> bool:
    """True when the per-point medians of `metric` differ by more than float dust."""
    medians = summary.groupby("point")[metric].median().dropna()
    if len(medians) < 2:
        values = summary[metric].dropna()
        medians = values
    spread = float(medians.max() - medians.min()) if len(medians) else 0.0
    scale = float(medians.abs().max()) if len(medians) else 0.0
    return spread > max(DUST * scale, ABSOLUTE_DUST)


def shown_metrics(summary: pd.DataFrame, parameters: list[str]) -> list[str]:
    """Numeric metrics that vary across points: headline ones first, at most MAX_METRICS;
    spot-mark copies and per-strategy investor PnL are left to the table."""
    skip = ID_COLUMNS | set(parameters)
    numeric = [c for c in summary.columns
               if c not in skip and pd.api.types.is_numeric_dtype(summary[c])]  # fmt: skip
    ordered = [m for m in PRIORITY if m in numeric] + [
        m for m in numeric
        if m not in PRIORITY and not m.endswith("_spot") and not m.startswith("investor_pnl_")
    ]  # fmt: skip
    return [m for m in ordered if _varies(summary, m)][:MAX_METRICS]


# ------------------------------------------------------------------ panels


def _ticks(ax: Any, labels: list[str]) -> None:
    """Category labels wrapped to the room each has (about 50 characters a panel)."""
    width = max(6, min(14, 50 // max(len(labels), 1) - 1))
    wrapped = ["\n".join(textwrap.wrap(label, width)) or label for label in labels]
    rotate = len(labels) > 6
    ax.set_xticks(range(len(labels)), wrapped, fontsize=8, rotation=30 if rotate else 0,
                  ha="right" if rotate else "center")  # fmt: skip


def _log_scale(values: pd.Series, spec: Any) -> bool:
    """Log x for a range sampled in log space, or listed values spanning 100× or more."""
    if isinstance(spec, dict):
        return bool(spec.get("log"))
    return bool(values.min() > 0 and values.max() / values.min() >= 100)


def _band(ax: Any, frame: pd.DataFrame, parameter: str, metric: str, info: dict) -> None:
    values = frame[parameter]
    numeric = is_numeric(values)
    key: Any = parameter
    binned = numeric and values.nunique() > MAX_LEVELS
    if binned:
        ax.scatter(values, frame[metric], s=6, alpha=0.3, color="grey")
        bins = pd.qcut(values, 10, duplicates="drop")
        key = bins.map(lambda b: float(frame.loc[bins == b, parameter].median())).astype(float)
    ranges = info.get("parameters")  # a list design's points carry no ranges
    spec = ranges.get(parameter) if isinstance(ranges, dict) else None
    if numeric and _log_scale(values, spec):
        from matplotlib.ticker import FuncFormatter

        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt(v)))
    stats = frame.groupby(key, sort=False)[metric].quantile([0.1, 0.5, 0.9]).unstack()
    runs = frame.groupby(key, sort=False)[metric].size()
    if numeric:
        stats = stats.sort_index()
        x = np.asarray(stats.index, dtype=float)
        ax.fill_between(x, stats[0.1], stats[0.9], alpha=0.25, label="P10–P90")
        ax.plot(x, stats[0.5], marker="o", label="median")
    else:
        order = sweep_order(frame, parameter, info)
        stats = stats.reindex(order)
        x = np.arange(len(stats))
        ax.errorbar(x, stats[0.5], yerr=[stats[0.5] - stats[0.1], stats[0.9] - stats[0.5]],
                    fmt="o", capsize=4, label="median, P10–P90")  # fmt: skip
        _ticks(ax, [value_label(v, parameter) for v in order])
        ax.margins(x=0.12)
    ax.set_xlabel(parameter, fontsize=9)
    ax.set_ylabel(metric_label(metric), fontsize=9)
    per_value = int(runs.median())
    what = "line: median, band" if numeric else "dot: median, whiskers"
    unit = "decile bin (dots: runs)" if binned else "value"
    ax.set_title(f"{metric} by {parameter.split('.')[-1]}\n{what}: P10–P90 of {per_value} runs "
                 f"per {unit}", fontsize=9)  # fmt: skip
    ax.grid(alpha=0.3)


def _heatmap(ax: Any, frame: pd.DataFrame, rows: str, cols: str, metric: str, info: dict) -> None:
    from matplotlib import colormaps

    table = frame.pivot_table(index=rows, columns=cols, values=metric, aggfunc="median")
    table = table.reindex(
        index=sweep_order(frame, rows, info), columns=sweep_order(frame, cols, info)
    )
    data = table.to_numpy(dtype=float)
    cmap = colormaps["cividis"]
    image = ax.imshow(data, aspect="auto", cmap=cmap)
    ax.set_xticks(range(len(table.columns)))
    ax.set_xticklabels([value_label(c, cols) for c in table.columns], fontsize=8)
    ax.set_yticks(range(len(table.index)), [value_label(i, rows) for i in table.index], fontsize=8)
    ax.set_xlabel(cols, fontsize=9)
    ax.set_ylabel(rows, fontsize=9)
    ax.set_title(f"median {metric}", fontsize=9)
    scale = float(np.nanmax(np.abs(data))) if np.isfinite(data).any() else 0.0
    for (i, j), value in np.ndenumerate(data):
        if math.isfinite(value):
            red, green, blue, _ = cmap(image.norm(value))
            light = 0.299 * red + 0.587 * green + 0.114 * blue > 0.5
            ax.text(j, i, plain(value, scale), ha="center", va="center", fontsize=8,
                    color="black" if light else "white")  # fmt: skip
    bar = ax.figure.colorbar(image, ax=ax)
    bar.set_label(metric_label(metric), fontsize=8)
    bar.formatter.set_useOffset(False)
    bar.formatter.set_scientific(False)


def sobol_indices(summary: pd.DataFrame, problem: dict[str, Any], metric: str) -> pd.DataFrame:
    """S1, S1_conf, ST, ST_conf per parameter, from the per-point mean of `metric`."""
    from SALib.analyze import sobol

    means = summary.groupby("point")[metric].mean().reindex(range(len(problem["unit_samples"])))
    if means.isna().any():
        raise UserError(f"sobol analysis of {metric}: some points have no complete run")
    salib = {k: problem[k] for k in ("num_vars", "names", "bounds")}
    result = sobol.analyze(salib, means.to_numpy(dtype=float), calc_second_order=False,
                           print_to_console=False, seed=0)  # fmt: skip
    return pd.DataFrame({k: result[k] for k in ("S1", "S1_conf", "ST", "ST_conf")},
                        index=problem["names"])  # fmt: skip


def sobol_samples(problem: dict[str, Any]) -> int:
    """Saltelli's base sample size N of a first-order design: points / (D + 2)."""
    return len(problem["unit_samples"]) // (problem["num_vars"] + 2)


def sobol_trusted(problem: dict[str, Any], indices: pd.DataFrame) -> bool:
    """Whether one metric's indices can be read: enough samples, intervals narrow."""
    widest = float(np.nanmax(indices[["S1_conf", "ST_conf"]].to_numpy(), initial=0.0))
    return sobol_samples(problem) >= MIN_SOBOL_SAMPLES and widest <= WIDE_INTERVAL


def sobol_warning(problem: dict[str, Any], found: list[tuple[pd.DataFrame, str]]) -> str | None:
    """Why (some of) the Sobol indices should not be read, or None when all can be."""
    n = sobol_samples(problem)
    widest = max((float(np.nanmax(i[["S1_conf", "ST_conf"]].to_numpy(), initial=0.0))
                  for i, _ in found), default=0.0)  # fmt: skip
    if n < MIN_SOBOL_SAMPLES:
        return (f"Sobol sample too small: N = {n} base samples (need ≥ {MIN_SOBOL_SAMPLES}); "
                f"95 % intervals up to ±{fmt(widest)}, so no index is meaningful; "
                "rerun with a larger `samples`")  # fmt: skip
    wide = [metric for indices, metric in found if not sobol_trusted(problem, indices)]
    if wide:
        return (f"Sobol indices of {', '.join(wide)} have 95 % intervals wider than "
                f"±{WIDE_INTERVAL} (up to ±{fmt(widest)}): not meaningful at N = {n}; "
                "rerun with a larger `samples`")  # fmt: skip
    return None


def _sobol_panel(ax: Any, indices: pd.DataFrame, metric: str, trusted: bool) -> None:
    x = np.arange(len(indices))
    for offset, column, label in ((-0.2, "S1", "first order (S1)"), (0.2, "ST", "total (ST)")):
        conf = indices[f"{column}_conf"].where(indices[f"{column}_conf"] <= WIDE_INTERVAL)
        ax.bar(x + offset, indices[column], 0.4, label=label, alpha=1.0 if trusted else 0.35,
               yerr=conf if trusted else None, capsize=3)  # fmt: skip
    _ticks(ax, [name.split(".")[-1] for name in indices.index])
    ax.set_ylim(-0.1, 1.1)
    ax.set_ylabel("Sobol index (95 % interval)" if trusted else "Sobol index (unreliable)")
    ax.set_title(f"Sobol indices of {metric}", fontsize=9)
    if not trusted:
        ax.text(0.5, 0.5, "not meaningful:\nsee the warning above", transform=ax.transAxes,
                ha="center", va="center", color="#b5472f", fontsize=11)  # fmt: skip
    ax.legend(fontsize=7)


def _panels(summary: pd.DataFrame, info: dict[str, Any]) -> tuple[list, str | None]:
    """((kind, args) for each subplot in display order, a warning or None)."""
    points = info.get("points") or [{}]
    parameters = list(dict.fromkeys(k for p in points for k in p))
    complete = summary[summary["status"] == "complete"]
    metrics = shown_metrics(complete, parameters) if len(complete) else []
    panels: list[tuple[str, Any]] = []
    warning = None
    if info.get("mode") == "sobol" and info.get("problem") and len(complete):
        found = []
        for metric in metrics:
            try:
                found.append((sobol_indices(summary, info["problem"], metric), metric))
            except (UserError, ValueError, ZeroDivisionError):
                continue
        warning = sobol_warning(info["problem"], found)
        panels += [("sobol", (i, m, sobol_trusted(info["problem"], i))) for i, m in found]
    elif info.get("mode") == "grid" and len(parameters) == 2:
        panels += [("heatmap", (complete, *parameters, m, info)) for m in metrics]
    for parameter in parameters:
        if parameter in complete and complete[parameter].nunique() >= 2:
            panels += [("band", (complete, parameter, m, info)) for m in metrics]
    return panels, warning


def counts_text(summary: pd.DataFrame, info: dict[str, Any]) -> str:
    """'40 runs at 20 points: 38 complete, 2 failed' from the summary's statuses."""
    counts = summary["status"].value_counts()
    points = summary["point"].nunique() if "point" in summary else "?"
    parts = ", ".join(f"{n:,} {status}" for status, n in counts.items())
    return f"{len(summary):,} runs at {points} points: {parts}"


def as_shown(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with fraction metrics (shares, rates, accuracy) as percentages."""
    shown = summary.copy()
    for column in shown.columns:
        if describe(column).kind == "fraction" and pd.api.types.is_float_dtype(shown[column]):
            shown[column] = 100.0 * shown[column]
    return shown


def sweep_figure(summary: pd.DataFrame, info: dict[str, Any]) -> tuple[Any, str | None]:
    """The sweep dashboard as a matplotlib `Figure` (no pyplot state) and its warning."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    panels, warning = _panels(as_shown(summary), info)
    cols = 3 if len(panels) > 4 else max(1, min(len(panels), 2))
    rows = max(1, math.ceil(len(panels) / cols))
    fig = Figure(figsize=(5.6 * cols, 4.2 * rows + 0.8), layout="constrained")
    FigureCanvasAgg(fig)  # a renderer of its own, without pyplot
    axes = fig.subplots(rows, cols, squeeze=False)
    draw = {"band": _band, "heatmap": _heatmap, "sobol": _sobol_panel}
    for ax, (kind, args) in zip(axes.flat, panels):
        draw[kind](ax, *args)
    for ax in list(axes.flat)[len(panels) :]:
        ax.remove()
    for ax in fig.axes:
        plain_ticks(ax)
    if not panels:
        fig.text(0.5, 0.5, "nothing to plot: no varied parameter, no varying metric or no "
                 "complete run", ha="center", va="center")  # fmt: skip
    title = f"sweep {info.get('name', '?')} ({info.get('mode', '?')}): {counts_text(summary, info)}"
    if warning:
        title += f"\n⚠ {warning}"
    fig.suptitle(title, fontsize=11, color="#b5472f" if warning else "black")
    return fig, warning


# ------------------------------------------------------------------ output


def summary_table(summary: pd.DataFrame, parameters: list[str]) -> str:
    """The runs as an HTML table: readable parameter values, numbers printed as in a run's
    report (whole BASE, percentages, three-decimal ratios), units in the headers."""
    shown = summary.drop(columns=[c for c in ("error", "fl_seed", "seed") if c in summary])
    cells = pd.DataFrame(index=shown.index)
    for column in shown.columns:
        values = shown[column]
        if column in parameters:
            cells[column] = [value_label(v, column) for v in values]
        elif pd.api.types.is_bool_dtype(values) or not pd.api.types.is_numeric_dtype(values):
            cells[column] = values.astype(str)
        elif column in ID_COLUMNS and column != "run_seconds":
            cells[column] = [fmt(int(v)) if pd.notna(v) else "n/a" for v in values]
        else:
            unit = describe(column).unit
            header = f"{column} ({unit})" if unit else column
            cells[header] = [metric_text(column, float(v)) for v in values]
    return cells.to_html(index=False, border=0, escape=True)


def render_sweep_report(sweep_dir: Path, formats: Any = ("png",)) -> list[Path]:
    """Write `sweep_dashboard.png` (+ svg/pdf if asked) and `sweep_report.html` into a
    sweep's folder; returns the paths written."""
    sweep_dir = Path(sweep_dir)
    wanted = check_formats(formats)
    summary_path, info_path = sweep_dir / "summary.parquet", sweep_dir / "sweep.json"
    if not info_path.is_file():
        raise UserError(f"{sweep_dir}: not a sweep folder (no sweep.json)")
    try:
        info = json.loads(info_path.read_text())
    except (OSError, ValueError) as err:
        raise UserError(f"{info_path}: unreadable ({err})") from None
    if not summary_path.is_file():
        raise UserError(
            f"{sweep_dir}: the sweep has no summary.parquet yet (status "
            f"{info.get('status', '?')!r}); finish it with: simfl sweep "
            f"{info.get('sweep_file', 'SWEEP.yaml')} --out {sweep_dir.parent} --resume"
        )
    summary = read_table(summary_path)
    fig, warning = sweep_figure(summary, info)
    written, png = [], b""
    for kind in wanted:
        data = figure_bytes(fig, kind)
        write_bytes_atomic(sweep_dir / f"sweep_dashboard.{kind}", data)
        written.append(sweep_dir / f"sweep_dashboard.{kind}")
        png = data if kind == "png" else png
    parameters = list(dict.fromkeys(k for p in info.get("points") or [] for k in p))
    timings = info.get("timings", {})
    wall = timings.get("wall_seconds")
    alert = f'<p class="warn">⚠ {html.escape(warning)}</p>' if warning else ""
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>simfl sweep {html.escape(info.get("name", ""))}</title>
<style>body{{font-family:system-ui,sans-serif;margin:2em auto;max-width:1600px;padding:0 1em}}
table{{border-collapse:collapse;font-size:12px}}
td,th{{padding:2px 6px;border-bottom:1px solid #ddd;text-align:right;white-space:nowrap}}
img{{max-width:100%;height:auto}} .scroll{{overflow-x:auto}}
.warn{{color:#b5472f;font-weight:600}}</style></head>
<body><h1>Sweep {html.escape(info.get("name", ""))}</h1>
<p>design <b>{html.escape(str(info.get("mode")))}</b> over {html.escape(", ".join(parameters))};
{html.escape(counts_text(summary, info))}; seed {info.get("seed")}, seeding
{html.escape(str(info.get("seeding")))}; wall time {html.escape(fmt(wall, digits=1))} s</p>
{alert}
<img alt="sweep dashboard" src="data:image/png;base64,{base64.b64encode(png).decode()}">
<h2>Runs</h2><div class="scroll">{summary_table(summary, parameters)}</div></body></html>
"""
    write_bytes_atomic(sweep_dir / "sweep_report.html", page.encode("utf-8"))
    return [*written, sweep_dir / "sweep_report.html"]


__all__ = ["render_sweep_report", "sobol_indices", "sobol_warning", "sweep_figure", "value_label"]
