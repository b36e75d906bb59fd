"""Shared test data: the smallest real-FL scenario the sweep and cache tests run."""

from __future__ import annotations

from typing import Any


def tiny_fl_scenario(name: str, seed: int) -> dict[str, Any]:
    """Digits, 3 clients, 2 rounds, size + LOO scores, 3 noise investors: about a second."""
    return {
        "name": name,
        "seed": seed,
        "rounds": 2,
        "fl": {
            "dataset": "digits",
            "clients": 3,
            "max_train_samples": 150,
            "validation_size": 60,
            "contribution": {"methods": ["size", "loo"], "pay_by": "loo"},
        },
        "market": {"investors": [{"strategy": "noise", "count": 3, "budget": 100}], "substeps": 2},
    }
