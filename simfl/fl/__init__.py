"""The federated-learning engine: real PyTorch FL rounds and per-round contribution scores.

The market calls `FederatedTraining(settings, rng).run_round(refused)`; everything else is
importable for experiments and tests. Imports only stdlib, numpy, torch, scikit-learn
(for `load_digits`) and `simfl.errors`. Exports resolve lazily, so importing
`simfl.fl.settings` (as `simfl.config` does) does not import torch.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "FLSettings": "simfl.fl.settings",
    "FederatedTraining": "simfl.fl.engine",
    "RoundResult": "simfl.fl.results",
    "exact_shapley": "simfl.fl.shapley",
    "gtg_shapley": "simfl.fl.shapley",
    "kernel_shapley": "simfl.fl.kernelshap",
    "monte_carlo_shapley": "simfl.fl.shapley",
    "truncated_monte_carlo_shapley": "simfl.fl.shapley",
}
__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'simfl.fl' has no attribute {name!r}")
