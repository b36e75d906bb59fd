"""Market benchmark: does the economy scale linearly, and is it cheap next to training?

1. Market only (synthetic scores): median step time with 100, 1,000 and 10,000
   investors, pools seeded in proportion to the crowd (same price impact per investor),
   sizes alternated over 3 repetitions. Target: time(10k) / time(1k) <= 11 (linear).
2. The 10-client digits scenario (real FL, exact Shapley + GTG + CGSV, 150 investors,
   2 LPs, 10 substeps): the market + Mesa share of the run time. Target: <= 25 %.

Ratios are measured in this one process; absolute times are printed for context.
Run: .venv/bin/python benchmarks/bench_market.py
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from simfl.model import FederationMarket

ROUNDS = 5
REPEATS = 3  # alternating repetitions; the ratio is the median of the paired ratios


def investor_groups(total: int) -> list[dict[str, Any]]:
    mix = {"noise": 0.4, "value": 0.2, "momentum": 0.2, "index": 0.1, "buyback_frontrunner": 0.1}
    return [
        {"strategy": name, "count": int(total * share), "budget": 500, "activity": 0.3}
        for name, share in mix.items()
    ]


def market_only(investors: int) -> dict[str, Any]:
    return {
        "name": f"market-{investors}",
        "seed": 1,
        "rounds": ROUNDS,
        "fl": {"clients": 10, "contribution": {"methods": ["size", "loo"], "pay_by": "loo"}},
        "scores": {"source": "synthetic"},
        "market": {
            # pools deepen with the crowd, so one investor's price impact stays the same
            # and only the simulator's cost per agent is measured
            "pool": {"seed_base": 100 * investors, "seed_tokens": 100 * investors},
            "reward": {"mode": "hybrid"},
            "investors": investor_groups(investors),
            "liquidity_providers": [{"count": 5, "budget": 5000}],
            "substeps": 10,
        },
    }


def step_seconds(scenario: dict[str, Any]) -> float:
    """Median wall time of one step (genesis excluded)."""
    model = FederationMarket(scenario)
    times = []
    while model.running:
        start = time.perf_counter()
        model.step()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def digits_scenario() -> dict[str, Any]:
    return {
        "name": "digits-10",
        "seed": 2,
        "rounds": 5,
        "fl": {
            "dataset": "digits",
            "clients": 10,
            "partition": {"kind": "dirichlet", "alpha": 0.5, "min_partition_size": 30},
            "local": {"epochs": 1, "lr": 0.1},
            "behaviours": {8: "free_rider", 9: "label_flip"},
            "contribution": {
                "methods": ["size", "loo", "exact_shapley", "gtg_shapley", "cgsv"],
                "pay_by": "exact_shapley",
            },
        },
        "market": {
            "reward": {"mode": "hybrid"},
            "investors": investor_groups(150),
            "liquidity_providers": [{"count": 2, "budget": 5000}],
            "substeps": 10,
        },
    }


def main() -> int:
    print("market-only step time (synthetic scores, 10 tokens, 10 substeps):")
    timings: dict[int, list[float]] = {100: [], 1_000: [], 10_000: []}
    for _ in range(REPEATS):  # alternate the sizes so machine noise hits them alike
        for investors in timings:
            timings[investors].append(step_seconds(market_only(investors)))
    for investors, runs in timings.items():
        print(f"  {investors:>6} investors: {statistics.median(runs) * 1000:9.1f} ms/step")
    growth = statistics.median(b / a for a, b in zip(timings[1_000], timings[10_000]))
    print(f"time(10k)/time(1k) = {growth:.2f} (target <= 11; median of {REPEATS} paired runs)")

    model = FederationMarket(digits_scenario())
    while model.running:
        model.step()
    fl, market = model.timings["fl_seconds"], model.timings["market_seconds"]
    share = market / (fl + market)
    print(
        f"10-client digits run: FL {fl:.2f} s, market + Mesa {market:.2f} s "
        f"-> market share = {share:.1%} (target <= 25%)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
