"""Small scenarios for market tests: synthetic scores unless the test is about FL."""

from pathlib import Path
from typing import Any

from simfl.config import apply_overrides, load_scenario
from simfl.model import FederationMarket


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


def market(
    scenario: str | Path | dict[str, Any], overrides: dict[str, Any] | None = None
) -> FederationMarket:
    """A model on the scenario's own seed (`FederationMarket` without one draws a fresh
    seed, Mesa's convention), so a test is the same run every time."""
    config = load_scenario(scenario, overrides)
    return FederationMarket(config, seed=config.seed)
