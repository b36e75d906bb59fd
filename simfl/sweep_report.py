"""The sweep dashboard: `summary.parquet` + `sweep.json` → PNG and a self-contained HTML.

Reads only what a sweep wrote (never live objects). Panels:

- each headline metric against each swept parameter: the median across replications as
  a line, the P10–P90 band around it (numeric parameters; categorical ones as points
  with whiskers);
- for a two-parameter grid, a heatmap of the median of each metric;
- for a `sobol` design, first-order (S1) and total (ST) indices per metric with their
  confidence intervals, from `SALib.analyze.sobol.analyze` on the per-point mean.

Writes `sweep_dashboard.png` and `sweep_report.html` (images inlined as base64).
"""

from __future__ import annotations

import base64
import html
import io
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simfl.atomic import write_bytes_atomic
from simfl.errors import UserError
from simfl.report import read_table

ID_COLUMNS = {"run_id", "point", "replication", "seed", "fl_seed", "status", "error",
              "trajectory_reused",
              "run_seconds", "metrics_error"}  # fmt: skip
MAX_METRICS = 6  # metrics shown on the dashboard (the first numeric ones of the summary)


def _numeric_metrics(summary: pd.DataFrame, parameters: list[str]) -> list[str]:
    skip = ID_COLUMNS | set(parameters)
    metrics = [c for c in summary.columns if c not in skip]
    numeric = [c for c in metrics if pd.api.types.is_numeric_dtype(summary[c])]
    return [c for c in numeric if summary[c].nunique() > 1]  # constants say nothing


def _is_numeric(values: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(values) and values.nunique() > 1


MAX_LEVELS = 12  # more distinct values than this (random / sobol): bin into deciles


def _band(ax: Any, frame: pd.DataFrame, parameter: str, metric: str) -> None:
    key: Any = parameter
    if _is_numeric(frame[parameter]) and frame[parameter].nunique() > MAX_LEVELS:
        ax.scatter(frame[parameter], frame[metric], s=6, alpha=0.3, color="grey")
        bins = pd.qcut(frame[parameter], 10, duplicates="drop")
        key = bins.map(lambda b: b.mid).astype(float)
    grouped = frame.groupby(key, sort=True)[metric]
    stats = grouped.quantile([0.1, 0.5, 0.9]).unstack()
    if _is_numeric(frame[parameter]):
        x = np.asarray(stats.index, dtype=float)
        ax.fill_between(x, stats[0.1], stats[0.9], alpha=0.25, label="P10–P90")
        ax.plot(x, stats[0.5], marker="o", label="median")
    else:
        x = np.arange(len(stats))
        ax.errorbar(x, stats[0.5], yerr=[stats[0.5] - stats[0.1], stats[0.9] - stats[0.5]],
                    fmt="o", capsize=4, label="median, P10–P90")  # fmt: skip
        ax.set_xticks(x, [str(v) for v in stats.index], rotation=30, ha="right")
    ax.set_xlabel(parameter)
    ax.set_ylabel(metric)


def _heatmap(ax: Any, frame: pd.DataFrame, rows: str, cols: str, metric: str) -> None:
    table = frame.pivot_table(index=rows, columns=cols, values=metric, aggfunc="median")
    image = ax.imshow(table.to_numpy(dtype=float), aspect="auto", cmap="viridis")
    ax.set_xticks(range(len(table.columns)), [str(c) for c in table.columns], rotation=30)
    ax.set_yticks(range(len(table.index)), [str(i) for i in table.index])
    ax.set_xlabel(cols)
    ax.set_ylabel(rows)
    ax.set_title(f"median {metric}")
    for (i, j), value in np.ndenumerate(table.to_numpy(dtype=float)):
        if math.isfinite(value):
            ax.text(j, i, f"{value:.3g}", ha="center", va="center", color="w", fontsize=8)
    ax.figure.colorbar(image, ax=ax)


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


def _sobol_panel(ax: Any, indices: pd.DataFrame, metric: str) -> None:
    x = np.arange(len(indices))
    ax.bar(x - 0.2, indices["S1"], 0.4, yerr=indices["S1_conf"], capsize=3, label="first order")
    ax.bar(x + 0.2, indices["ST"], 0.4, yerr=indices["ST_conf"], capsize=3, label="total")
    ax.set_xticks(x, list(indices.index), rotation=30, ha="right")
    ax.set_ylabel("Sobol index")
    ax.set_title(metric)
    ax.legend(fontsize=7)


def _panels(summary: pd.DataFrame, info: dict[str, Any]) -> list[tuple[str, Any]]:
    """(kind, args) for each subplot, in display order."""
    points = info.get("points") or [{}]
    parameters = list(dict.fromkeys(k for p in points for k in p))
    complete = summary[summary["status"] == "complete"]
    metrics = _numeric_metrics(complete, parameters)[:MAX_METRICS]
    panels: list[tuple[str, Any]] = []
    if info.get("mode") == "sobol" and info.get("problem") and len(complete):
        for metric in metrics:
            try:
                panels.append(("sobol", (sobol_indices(summary, info["problem"], metric), metric)))
            except (UserError, ValueError, ZeroDivisionError):
                continue
    elif info.get("mode") == "grid" and len(parameters) == 2:
        for metric in metrics:
            panels.append(("heatmap", (complete, parameters[0], parameters[1], metric)))
    for parameter in parameters:
        if complete[parameter].nunique() < 2:
            continue
        for metric in metrics:
            panels.append(("band", (complete, parameter, metric)))
    return panels


def _figure(summary: pd.DataFrame, info: dict[str, Any]) -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    panels = _panels(summary, info)
    counts = summary["status"].value_counts().to_dict()
    title = f"sweep {info.get('name', '?')} ({info.get('mode', '?')}): " + ", ".join(
        f"{n} {s}" for s, n in counts.items()
    )
    cols = 3 if len(panels) > 4 else max(1, min(len(panels), 2))
    rows = max(1, math.ceil(len(panels) / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 3.8 * rows), squeeze=False)
    for ax, (kind, args) in zip(axes.flat, panels):
        {"band": _band, "heatmap": _heatmap, "sobol": _sobol_panel}[kind](ax, *args)
    for ax in list(axes.flat)[len(panels) :]:
        ax.axis("off")
    if not panels:
        axes.flat[0].text(0.5, 0.5, "nothing to plot: no varied parameter or no complete run",
                          ha="center", va="center")  # fmt: skip
    fig.suptitle(title)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.4 / (3.8 * rows)))
    return fig


def render_sweep_report(sweep_dir: Path) -> None:
    """Write `sweep_dashboard.png` and `sweep_report.html` into a sweep's folder."""
    sweep_dir = Path(sweep_dir)
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
    fig = _figure(summary, info)
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    import matplotlib.pyplot as plt

    plt.close(fig)
    png = buffer.getvalue()
    write_bytes_atomic(sweep_dir / "sweep_dashboard.png", png)
    image = base64.b64encode(png).decode()
    table = summary.drop(columns=[c for c in ("error",) if c in summary]).to_html(
        index=False, float_format=lambda v: f"{v:.4g}", border=0
    )
    counts = html.escape(json.dumps(info.get("counts", {})))
    timings = html.escape(json.dumps(info.get("timings", {})))
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>simfl sweep {html.escape(info.get("name", ""))}</title>
<style>body{{font-family:sans-serif;margin:2em}} table{{border-collapse:collapse;font-size:12px}}
td,th{{padding:2px 6px;border-bottom:1px solid #ddd}} img{{max-width:100%}}</style></head>
<body><h1>Sweep {html.escape(info.get("name", ""))}</h1>
<p>mode <b>{html.escape(str(info.get("mode")))}</b>, seed {info.get("seed")}, seeding
{html.escape(str(info.get("seeding")))}; counts {counts}; timings {timings}</p>
<img alt="sweep dashboard" src="data:image/png;base64,{image}">
<h2>Runs</h2>{table}</body></html>
"""
    write_bytes_atomic(sweep_dir / "sweep_report.html", page.encode("utf-8"))


__all__ = ["render_sweep_report", "sobol_indices"]
