"""Drift benchmark: do uninformed traders move prices or make money on average?

A noise-only market (DESIGN.md, "No structural drift"; issue 9's done-when): synthetic
scores, 10 tokens in 10,000 / 10,000 pools, `direct` mode with zero revenue and zero
emission (the mechanism pays nothing), 40 noise traders (budget 1,000 BASE, half of it in
tokens bought at the genesis price, activity 0.3, 10 substeps), 20 rounds, 8 seeds.
Two order sizes: the schema's default (10 % of the budget, at most 100 BASE) and 2 %
(at most 20 BASE). A noise trade also takes at most half of what the trader holds of
the token (50 BASE of each at genesis), so the default's trades average about 24 BASE,
the smaller setting's about 16 (printed per seed). Prints per seed and overall:

- mean log price change over the run (every token, genesis → last round);
  target: within ±0.03;
- the noise traders' mean `pnl_liquidation` (agents.parquet, whole BASE: liquidation
  value now − liquidation value at genesis); target: ≤ 0.

Why the trade size matters: a noise trader's buy and sell of equal value move the log
price by equal and opposite amounts, so the log price is a martingale (no drift). But
with no outside price to pull it back, the noise traders as a group are the counterparty
of the pools' impermanent loss (they bought on the way up, sold on the way down), which
grows with the square of the trade size, while the fees they pay grow linearly: the
larger their trades next to `fee × depth`, the thinner their expected loss.

Run: .venv/bin/python benchmarks/bench_drift.py [seeds] [rounds]
"""

from __future__ import annotations

import math
import statistics
import sys
from typing import Any

from simfl.model import run_model

TRADERS = 40
TARGET_DRIFT = 0.03  # |mean log price change| at most this


def noise_only(
    seed: int, rounds: int, clients: int = 10, trade_fraction: float = 0.1
) -> dict[str, Any]:
    """The issue's noise-only market for one seed."""
    return {
        "name": "drift",
        "seed": seed,
        "rounds": rounds,
        "fl": {"clients": clients, "contribution": {"methods": ["size", "loo"], "pay_by": "loo"}},
        "scores": {"source": "synthetic"},
        "market": {
            "reward": {"mode": "direct", "revenue": 0, "emission": 0},
            "investors": [
                {"strategy": "noise", "count": TRADERS, "trade_fraction": trade_fraction}
            ],
        },
    }


def drift(
    seed: int, rounds: int, clients: int = 10, trade_fraction: float = 0.1
) -> tuple[float, float, int, float]:
    """(mean log price change, noise traders' mean pnl_liquidation, trades, mean BASE per
    trade) for one seed; a trade's BASE is its BASE leg in `events.parquet`."""
    tables = run_model(noise_only(seed, rounds, clients, trade_fraction)).tables()
    model, agents, events = tables["model"], tables["agents"], tables["events"]
    first, last = model.iloc[0], model.iloc[-1]
    logs = [math.log(last[f"price_{i}"] / first[f"price_{i}"]) for i in range(clients)]
    final = agents[(agents["step"] == agents["step"].max()) & (agents["kind"] == "investor")]
    trader = events["sender"].str.startswith("investor") | events["recipient"].str.startswith(
        "investor"
    )
    legs = events[(events["kind"] == "swap") & (events["token"] == "BASE") & trader]
    size = statistics.fmean(int(a) / 10**18 for a in legs["amount"]) if len(legs) else 0.0
    return (
        statistics.fmean(logs),
        float(final["pnl_liquidation"].mean()),
        int(final["trades"].sum()),
        size,
    )


def measure(seeds: int, rounds: int, trade_fraction: float) -> bool:
    """Print one trade size's table; True when both targets are met."""
    cap = trade_fraction * 1000
    print(f"\ntrade_fraction {trade_fraction} (orders of at most {cap:.0f} BASE)")
    header = ("seed", "mean log Δprice", "mean pnl_liq (BASE)", "trades", "BASE/trade")
    print(" ".join(f"{h:>{w}}" for h, w in zip(header, (4, 16, 20, 7, 11))))
    logs, pnls = [], []
    for seed in range(seeds):
        log_change, pnl, trades, size = drift(seed, rounds, trade_fraction=trade_fraction)
        logs.append(log_change)
        pnls.append(pnl)
        print(f"{seed:>4} {log_change:>+16.4f} {pnl:>+20.3f} {trades:>7} {size:>11.1f}")
    mean_log, mean_pnl = statistics.fmean(logs), statistics.fmean(pnls)
    se_log = statistics.stdev(logs) / math.sqrt(len(logs)) if len(logs) > 1 else math.nan
    se_pnl = statistics.stdev(pnls) / math.sqrt(len(pnls)) if len(pnls) > 1 else math.nan
    ok = abs(mean_log) <= TARGET_DRIFT and mean_pnl <= 0
    print(
        f"mean log price change {mean_log:+.4f} (s.e. {se_log:.4f}); target |x| <= {TARGET_DRIFT}"
    )
    print(f"noise traders' mean pnl_liquidation {mean_pnl:+.3f} BASE (s.e. {se_pnl:.3f}); <= 0")
    print("targets met" if ok else "targets NOT met")
    return ok


def main(seeds: int = 8, rounds: int = 20) -> int:
    print(f"noise-only market: {TRADERS} noise traders, 10 tokens, {rounds} rounds, {seeds} seeds")
    for fraction in (0.1, 0.02):
        measure(seeds, rounds, fraction)
    return 0  # a measurement, like the other benchmarks: `simfl bench` runs them all


if __name__ == "__main__":
    sys.exit(main(*(int(a) for a in sys.argv[1:3])))
