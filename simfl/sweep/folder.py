"""A sweep's folder on disk: its layout, who may write into it, and its summary.

Layout::

    OUT/<sweep-id>/sweep.json              the resolved sweep, seeds, counts, timings, status
    OUT/<sweep-id>/summary.parquet         one row per run: ids, seed, parameters, status,
                                           headline metrics
    OUT/<sweep-id>/runs/<run-id>/          one run folder each (`runner.run_scenario`)
    OUT/<sweep-id>/trajectories/<key>.json the FL-trajectory cache

A folder belongs to one sweep design (its digest, in `sweep.json`): `prepare` refuses to
resume into a folder started by a different design and names what changed. Everything
here reads and writes files only; `simfl.sweep.run` runs the runs.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pandas as pd

from simfl.analysis.run_folder import RunFolder
from simfl.atomic import atomic_path, write_json_atomic
from simfl.errors import RunFolderError, UserError
from simfl.runner import ensure_folder
from simfl.sweep.designs import Sweep

HEADLINE = "headline.json"  # per-run headline metrics, written inside the run's temp folder
RUNS, TRAJECTORIES = "runs", "trajectories"
SWEEP_JSON, SUMMARY = "sweep.json", "summary.parquet"


def prepare(sweep: Sweep, root: Path, resume: bool) -> dict[str, Any]:
    """Check `root` may hold this sweep, clear stale temp folders, mark it running."""
    resolved = sweep.resolved()
    previous = root / SWEEP_JSON
    ensure_folder(root.parent, "--out")
    if root.exists() and not root.is_dir():
        raise UserError(f"{root}: is a file, not a sweep folder; use another --out or remove it")
    if root.exists() and any(root.iterdir()):
        if not previous.is_file():
            raise UserError(
                f"{root} exists and holds no sweep.json, so it is not a simfl sweep folder; "
                "use another --out or remove it"
            )
        if not resume:
            raise UserError(
                f"{root} holds an earlier run of this sweep; pass --resume (resume=True) to "
                "finish it, or remove the folder to start again"
            )
        _check_same_sweep(root, _read_json(previous), resolved)
    for sub in (RUNS, TRAJECTORIES):
        (root / sub).mkdir(parents=True, exist_ok=True)
    remove_stale(root)
    write_json_atomic({**resolved, "status": "running"}, previous)
    return resolved


def _read_json(path: Path) -> dict[str, Any]:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as err:
        raise UserError(f"{path}: unreadable ({err}); remove the folder to start again") from None
    return data if isinstance(data, dict) else {}


def _check_same_sweep(root: Path, before: dict[str, Any], now: dict[str, Any]) -> None:
    """Refuse to resume into `root` unless the sweep file resolves to the same design."""
    if before.get("digest") == now["digest"]:
        return
    fields = ("scenario", "mode", "parameters", "replications", "seed", "seeding", "points")
    changed = [f for f in fields if json.dumps(before.get(f), sort_keys=True, default=str)
               != json.dumps(now[f], sort_keys=True, default=str)]  # fmt: skip
    what = ", ".join(changed) if changed else f"the base scenario {now['scenario']}"
    raise UserError(
        f"{root} holds a different sweep: {what} changed since it was started "
        f"(digest {before.get('digest')}, now {now['digest']}); resuming would mix two "
        "designs. Use another --out, or remove the folder to start again"
    )


def remove_stale(root: Path) -> None:
    """Remove `.tmp-*` leftovers of runs and trajectories that never finished."""
    for sub in (RUNS, TRAJECTORIES):
        for stale in (root / sub).glob(".tmp-*"):
            shutil.rmtree(stale) if stale.is_dir() else stale.unlink(missing_ok=True)


def _column_safe(values: list[Any]) -> list[Any]:
    """Parquet needs one type per column: nested values become JSON, mixed ones text."""
    values = [json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v for v in values]
    kinds = {type(v) for v in values if v is not None}
    if len(kinds) > 1 and not kinds <= {int, float}:
        return [None if v is None else str(v) for v in values]
    return values


def summarise(sweep: Sweep, root: Path) -> pd.DataFrame:
    """One row per run from what is on disk; writes `summary.parquet` atomically."""
    rows = []
    for spec in sweep.runs:
        run_dir = root / RUNS / spec.run_id
        try:
            manifest = RunFolder.open(run_dir, complete=False).manifest.data
        except RunFolderError:
            manifest = {"status": "not_run"}
        headline = {}
        if manifest.get("status") == "complete" and (run_dir / HEADLINE).is_file():
            headline = json.loads((run_dir / HEADLINE).read_text()).get("metrics", {})
        row = {"run_id": spec.run_id, "point": spec.point, "replication": spec.replication,
               "seed": spec.seed, "fl_seed": spec.fl_seed}  # fmt: skip
        row |= {name: spec.overrides.get(name) for name in sweep.parameter_names}
        row |= {
            "status": manifest.get("status", "not_run"),
            "error": manifest.get("error"),
            "trajectory_reused": bool((manifest.get("trajectory") or {}).get("reused", False)),
            "run_seconds": (manifest.get("timings") or {}).get("run_seconds"),
        }
        rows.append(row | {k: v for k, v in headline.items() if k not in row})
    frame = pd.DataFrame(rows)
    for column in frame.columns:
        if frame[column].dtype == object:
            frame[column] = _column_safe(list(frame[column]))
    with atomic_path(root / SUMMARY) as tmp:
        frame.to_parquet(tmp, index=False)
    return frame


__all__ = [
    "HEADLINE",
    "RUNS",
    "SUMMARY",
    "SWEEP_JSON",
    "TRAJECTORIES",
    "prepare",
    "remove_stale",
    "summarise",
]
