"""Small scenarios for market tests: synthetic scores unless the test is about FL."""

from typing import Any

from simfl.config import apply_overrides


def synthetic(**overrides: Any) -> dict[str, Any]:
    """A 4-client synthetic-score scenario with no traders, then dotted overrides."""
    data: dict[str, Any] = {
        "name": "test",
        "seed": 7,
        "rounds": 3,
        "fl": {"clients": 4, "contribution": {"methods": ["size", "loo"], "pay_by": "loo"}},
        "scores": {"source": "synthetic", "synthetic": {"quality": [1.0, 2.0, 3.0, 4.0]}},
        "market": {
            "reward": {"mode": "direct", "revenue": 1000, "emission": 1000},
            "substeps": 2,
        },
    }
    return apply_overrides(data, overrides)
