"""Results on disk → `dashboard.png` and a self-contained `report.html`.

Reads only a run folder (`manifest.json`, the parquet tables, `comparison.parquet`),
never live objects, so `simfl report DIR` redraws any finished run. Headline numbers
come from `simfl.market.metrics`; this module only lays them out.

The dashboard is one 3×3 figure: the WallStreetFeds figure (each client's reward as a
% of an equal payout, grouped by contribution method) across the top, then token
prices, accuracy, participation, investor PnL by strategy, LP fees against impermanent
loss, and the treasury. Each client keeps one colour in every panel.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pandas as pd

from simfl.atomic import write_bytes_atomic
from simfl.errors import UserError
from simfl.market.metrics import client_rewards, headline_metrics
from simfl.report.figure import DPI, dashboard_figure
from simfl.report.page import report_html

DASHBOARD = "dashboard.png"
REPORT = "report.html"
NEEDED = ("model", "agents", "scores")


# ----------------------------------------------------------------------- inputs


def load_run(run_dir: Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The tables a report needs and the manifest; `UserError` if the folder is no run."""
    run_dir = Path(run_dir)
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("status") != "complete":
        raise UserError(f"{run_dir}: no complete run here (manifest.json missing or unfinished)")
    missing = [n for n in NEEDED if not (run_dir / f"{n}.parquet").is_file()]
    if missing:
        raise UserError(f"{run_dir}: not a simfl run folder (missing {', '.join(missing)})")
    names = [*NEEDED, *(["comparison"] if (run_dir / "comparison.parquet").is_file() else [])]
    return {name: read_table(run_dir / f"{name}.parquet") for name in names}, manifest


def read_table(path: Path) -> pd.DataFrame:
    """One parquet table; `UserError` naming the file if it is damaged (not a traceback)."""
    try:
        return pd.read_parquet(path)
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise UserError(
            f"{path}: not a readable parquet table ({str(err).splitlines()[0]}); "
            "the run folder is damaged: run the scenario again"
        ) from None


def rewards_by_method(tables: dict[str, pd.DataFrame], manifest: dict[str, Any]) -> pd.DataFrame:
    """Per-client rewards, one block per payout method (the run's own method alone if no
    comparison was written)."""
    comparison = tables.get("comparison")
    if comparison is not None and len(comparison):
        return comparison
    frame = client_rewards(tables, manifest)
    frame.insert(0, "method", manifest["scenario"]["fl"]["contribution"]["pay_by"])
    return frame


def render_run(run_dir: Path) -> None:
    """Write `dashboard.png` and `report.html` into a run folder, from its files only."""
    run_dir = Path(run_dir)
    tables, manifest = load_run(run_dir)
    metrics = headline_metrics(tables, manifest)
    rewards = rewards_by_method(tables, manifest)
    figure = dashboard_figure(tables, manifest, rewards, metrics)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, metadata={"Software": None})
    png = buffer.getvalue()
    write_bytes_atomic(run_dir / DASHBOARD, png)
    write_bytes_atomic(
        run_dir / REPORT, report_html(manifest, metrics, rewards, png).encode("utf-8")
    )


__all__ = [
    "DASHBOARD",
    "REPORT",
    "load_run",
    "read_table",
    "render_run",
    "rewards_by_method",
]
