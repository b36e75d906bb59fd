"""Readable labels for sweep dashboards: parameter values, their sweep order, metric
names with units, and heatmap numbers without float dust or scientific notation."""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np
import pandas as pd

from simfl.report.definitions import describe
from simfl.report.page import fmt

DUST = 1e-9  # relative spread below which a metric counts as constant (float noise)


def is_numeric(values: pd.Series) -> bool:
    """A numeric column with more than one distinct value."""
    return pd.api.types.is_numeric_dtype(values) and values.nunique() > 1


def parse_value(value: Any) -> Any:
    """A summary cell as the value it stands for (dicts and lists are stored as JSON)."""
    if isinstance(value, str) and value[:1] in "{[":
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def value_label(value: Any, parameter: str = "") -> str:
    """A parameter value as a short readable label.

    >>> value_label('{"3": "free_rider", "4": "free_rider"}', "fl.behaviours")
    'C3, C4 free rider'
    >>> value_label("{}", "fl.behaviours"), value_label(0.05), value_label(100000.0)
    ('none', '0.05', '100,000')
    """
    value = parse_value(value)
    if isinstance(value, dict):
        if not value:
            return "none"
        if parameter.endswith("behaviours"):  # {client: kind} → "C3, C4 free rider"
            kinds: dict[str, list[str]] = {}
            for client, kind in value.items():
                name = kind.get("kind", "?") if isinstance(kind, dict) else str(kind)
                kinds.setdefault(name.replace("_", " "), []).append(f"C{client}")
            return "; ".join(f"{', '.join(cs)} {kind}" for kind, cs in kinds.items())
        return ", ".join(f"{k}={value_label(v)}" for k, v in value.items())
    if isinstance(value, list):
        return ", ".join(value_label(v) for v in value) or "none"
    if isinstance(value, bool) or value is None:
        return str(value).lower()
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)  # as the sweep wrote it: 0.05, 100,000, 2.5e-05
        return f"{int(number):,}" if number.is_integer() else f"{number:.6g}"
    return str(value).replace("_", " ")


def sweep_order(summary: pd.DataFrame, parameter: str, info: dict[str, Any]) -> list[Any]:
    """The distinct values of a parameter in the order the sweep lists them (numbers
    ascending), as they appear in the summary."""
    present = list(dict.fromkeys(summary[parameter].dropna()))
    if is_numeric(summary[parameter]):
        return sorted(present)
    listed = [p.get(parameter) for p in info.get("points") or [] if parameter in p]
    keys = [json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v for v in listed]
    rank = {k: i for i, k in enumerate(dict.fromkeys(keys))}
    return sorted(present, key=lambda v: rank.get(v, len(rank)))


def metric_label(metric: str) -> str:
    unit = describe(metric).unit
    return f"{metric} ({'%' if describe(metric).kind == 'fraction' else unit})" if unit else metric


def plain(value: float, scale: float) -> str:
    """A heatmap number: decimals by the table's magnitude, float dust printed as 0."""
    if not math.isfinite(value):
        return "n/a"
    if abs(value) <= DUST * max(scale, 1e-300):
        return "0"
    return fmt(value, digits=0 if scale >= 100 else 2 if scale >= 1 else 3)
