"""Results on disk → `dashboard.png` and a self-contained `report.html`.

Reads only a run folder (`manifest.json`, the parquet tables, `comparison.parquet`),
never live objects, so `simfl report DIR` redraws any finished run. Headline numbers
come from `simfl.analysis.metrics`; this module only lays them out.

The dashboard: the WallStreetFeds figure (each client's reward as a % of an equal
payout, grouped by contribution method) and the contribution-vs-reward scatter across
the top, then the panels that apply to the run (prices, accuracy, participation,
investor returns, LP groups, the federation's balance sheet, value per kind of owner);
see `simfl.report.figure`. `dashboard.png` is always written (report.html embeds it);
`formats` adds vector copies (`dashboard.svg`, `dashboard.pdf`) for papers.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from simfl.analysis.metrics import client_rewards, headline_metrics, metric_tables
from simfl.analysis.run_folder import RunFolder, read_file
from simfl.atomic import write_bytes_atomic
from simfl.errors import UserError
from simfl.report.figure import DPI, dashboard_figure
from simfl.report.page import report_html

DASHBOARD = "dashboard.png"
REPORT = "report.html"
FORMATS = ("png", "svg", "pdf")  # dashboard formats; png is always written
FIXED_METADATA = {  # no dates or tool versions: the same run gives the same file
    "png": {"Software": None},
    "svg": {"Date": None, "Creator": None},
    "pdf": {"CreationDate": None, "Producer": None, "Creator": None},
}
NEEDED = ("model", "agents", "scores")
FEDERATION_COLUMNS = ("step", "kind", "base", "tokens_value", "value_spot", "value_liquidation")


# ----------------------------------------------------------------------- inputs


def load_run(run_dir: Path) -> tuple[dict[str, pd.DataFrame], dict[str, Any]]:
    """The tables a report needs and the manifest; `RunFolderError` (a `UserError`) if
    the folder holds no complete run, or a table is missing or damaged.

    Only what the panels draw is read: `model`, `scores` and `comparison` whole, `agents`
    at its first and last step (`metric_tables`), as `federation` the federation's rows
    of every step in the columns its balance-sheet panel draws, and as `flows` the rows
    the flows panel nets (`read_flows`). `comparison` and `flows` only when present
    (older runs lack them). A 3,000-round run's agents table has ~400k rows with a list
    column; reading all of it took most of the report's memory.
    """
    run = RunFolder.open(run_dir, tables=NEEDED)
    tables = metric_tables(run)
    tables["federation"] = run.table(
        "agents", columns=FEDERATION_COLUMNS, where={"kind": ["federation"]}
    )
    if run.has("comparison"):
        tables["comparison"] = run.table("comparison")
    if run.has("flows"):
        tables["flows"] = read_flows(run)
    return tables, run.manifest.data


FLOW_COLUMNS = ("step", "token", "source", "destination", "amount")


def read_flows(run: RunFolder) -> pd.DataFrame:
    """The flows the "where the money went" panel nets (`view.net_flows`): rows after
    genesis (step >= 1) in BASE or a client token (`CST_*`), filtered with pyarrow, and
    `amount` as a float (base units, each `float(amount)` as `net_flows` takes it).

    A 3,000-round run's flows table has ~160k rows whose decimal amounts pandas would
    hold as Python `Decimal` objects; converted whole it was the report's largest frame.
    """
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    def read(path: Path) -> pd.DataFrame:
        table = pq.read_table(path, columns=list(FLOW_COLUMNS))
        token = table["token"]
        keep = pc.and_(
            pc.greater_equal(table["step"], 1),
            pc.or_(pc.equal(token, "BASE"), pc.starts_with(token, "CST_")),
        )
        table = table.filter(pc.fill_null(keep, False))
        amount = np.fromiter(
            (float(v) for chunk in table["amount"].chunks for v in chunk.to_pylist()),
            dtype=float,
            count=table.num_rows,
        )  # float(Decimal) per value: correctly rounded, as net_flows' float(amount)
        index = table.schema.get_field_index("amount")
        table = table.set_column(index, "amount", pa.array(amount, pa.float64()))
        return table.to_pandas()

    return read_file(run.file("flows"), read)


def read_table(path: Path) -> pd.DataFrame:
    """One parquet table; `UserError` naming the file if it is damaged (not a traceback)."""
    return read_file(Path(path))


def rewards_by_method(tables: dict[str, pd.DataFrame], manifest: dict[str, Any]) -> pd.DataFrame:
    """Per-client rewards, one block per payout method (the run's own method alone if no
    comparison was written)."""
    comparison = tables.get("comparison")
    if comparison is not None and len(comparison):
        return comparison
    frame = client_rewards(tables, manifest)
    frame.insert(0, "method", manifest["scenario"]["fl"]["contribution"]["pay_by"])
    return frame


def check_formats(formats: Iterable[str]) -> tuple[str, ...]:
    """The requested figure formats, png first; `UserError` naming an unknown one."""
    wanted = tuple(dict.fromkeys(["png", *(str(f).lower().lstrip(".") for f in formats)]))
    unknown = [f for f in wanted if f not in FORMATS]
    if unknown:
        raise UserError(f"figure format {unknown[0]!r} is not one of: {', '.join(FORMATS)}")
    return wanted


def figure_bytes(figure: Figure, fmt: str) -> bytes:
    """The figure encoded as `fmt` (png | svg | pdf), byte-identical across runs."""
    import matplotlib

    buffer = io.BytesIO()
    with matplotlib.rc_context({"svg.hashsalt": "simfl", "svg.fonttype": "none"}):
        figure.savefig(buffer, format=fmt, dpi=DPI, metadata=FIXED_METADATA[fmt])
    data = buffer.getvalue()
    return stable_clip_ids(data) if fmt == "svg" else data


def stable_clip_ids(svg: bytes) -> bytes:
    """Number an svg's clip-path ids in order of appearance.

    Matplotlib hashes a clip path's memory address into its id, so the same figure
    drawn twice differs; renaming them `clip0`, `clip1`, ... makes the file repeatable.
    """
    ids: dict[bytes, bytes] = {}
    for found in re.finditer(rb'id="(p[0-9a-f]{10})"', svg):
        ids.setdefault(found.group(1), b"clip%d" % len(ids))
    return re.sub(rb"\b(p[0-9a-f]{10})\b", lambda m: ids.get(m.group(1), m.group(1)), svg)


def render_run(run_dir: Path, formats: Iterable[str] = ("png",)) -> list[Path]:
    """Write `dashboard.png` (+ `dashboard.svg|pdf` if asked) and `report.html` into a
    run folder, from its files only; returns the paths written."""
    run_dir = Path(run_dir)
    wanted = check_formats(formats)
    tables, manifest = load_run(run_dir)
    metrics = headline_metrics(tables, manifest)
    rewards = rewards_by_method(tables, manifest)
    figure = dashboard_figure(tables, manifest, rewards, metrics)
    del tables  # the figure holds what it draws; free the frames before rendering it
    written, png = [], b""
    for fmt in wanted:
        data = figure_bytes(figure, fmt)
        path = run_dir / f"dashboard.{fmt}"
        write_bytes_atomic(path, data)
        written.append(path)
        if fmt == "png":
            png = data
    page = report_html(manifest, metrics, rewards, png)
    write_bytes_atomic(run_dir / REPORT, page.encode("utf-8"))
    return [*written, run_dir / REPORT]


__all__ = [
    "DASHBOARD",
    "FORMATS",
    "REPORT",
    "check_formats",
    "figure_bytes",
    "load_run",
    "read_flows",
    "read_table",
    "render_run",
    "rewards_by_method",
]
