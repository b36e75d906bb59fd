"""Sweeps: one sweep file → many runs under `OUT/<sweep-id>/`, in parallel, resumable.

The parts, each a module of this package:

- `designs` — the sweep file's schema and its designs (grid | zip | list | random |
  sobol) expanded into validated `RunSpec`s with their seeds;
- `run` — `run_sweep` and the worker entry point `execute_run`;
- `executors` — where runs execute (a local process pool or a Dask cluster);
- `folder` — the sweep folder's layout, resume checks and `summary.parquet`;
- `trajectory_cache` — FL trajectories shared by runs that differ only in market keys.

The sweep dashboard is `simfl.sweep_report`. Names are imported on first use, so
`import simfl.sweep` (or `simfl.sweep.designs`) does not load torch.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any

_EXPORTS = {
    "run_sweep": "simfl.sweep.run",
    "execute_run": "simfl.sweep.run",
    "load_sweep": "simfl.sweep.designs",
    "Sweep": "simfl.sweep.designs",
    "RunSpec": "simfl.sweep.designs",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simfl.sweep' has no attribute {name!r}")
    return getattr(import_module(module), name)
