"""simfl: client-specific tokens as investment vehicles in federated learning.

The Python API, imported on first use (so `import simfl` stays light and never loads
torch):

- `load_scenario(path | name | dict, overrides)` → a validated, frozen `Scenario`;
- `run_scenario(scenario, out_dir, ...)` → one run's results folder (atomic);
- `FederationMarket(scenario)` → the Mesa model, to step yourself; `run_model` runs it;
- `run_sweep(sweep_file, out=..., jobs=...)` and `load_sweep` for sweeps;
- `read_tables(run_dir)` and `read_manifest(run_dir)` read a run folder back;
  `RunFolder.open(run_dir)` reads it by column and step, with a typed manifest;
- `shipped_scenario(name)` → the path of a shipped scenario (`simfl list` names them).

>>> import simfl
>>> simfl.load_scenario("quickstart", {"rounds": 2}).rounds
2
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_EXPORTS = {
    "Scenario": "simfl.config",
    "load_scenario": "simfl.config",
    "shipped_scenario": "simfl.config.shipped",
    "run_scenario": "simfl.runner",
    "read_tables": "simfl.runner",
    "read_manifest": "simfl.runner",
    "RunFolder": "simfl.analysis.run_folder",
    "FederationMarket": "simfl.model",
    "run_model": "simfl.model",
    "run_sweep": "simfl.sweep.run",
    "load_sweep": "simfl.sweep.designs",
}

__all__ = [
    "FederationMarket",
    "RunFolder",
    "Scenario",
    "__version__",
    "load_scenario",
    "load_sweep",
    "read_manifest",
    "read_tables",
    "run_model",
    "run_scenario",
    "run_sweep",
    "shipped_scenario",
]

if TYPE_CHECKING:  # for type checkers and IDEs; at run time names load on first use
    from simfl.analysis.run_folder import RunFolder
    from simfl.config import Scenario, load_scenario
    from simfl.config.shipped import shipped_scenario
    from simfl.model import FederationMarket, run_model
    from simfl.runner import read_manifest, read_tables, run_scenario
    from simfl.sweep.designs import load_sweep
    from simfl.sweep.run import run_sweep


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simfl' has no attribute {name!r}")
    value = getattr(import_module(module), name)
    globals()[name] = value  # later look-ups skip this function
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
