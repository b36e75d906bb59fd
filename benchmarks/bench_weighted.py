"""Swaps per second: WeightedPool (50/50, 80/20, an arbitrary 18-decimal weight) vs
ConstantProductPool, through the ledger.

Run with ``.venv/bin/python benchmarks/bench_weighted.py``. The workload is
``bench_amm.py``'s: alternate 1-token swaps in each direction with a 0.3% fee, here on
pools that open at price 1 with 1,000,000 BASE (the token side from
``genesis_token_amount``), a fresh ledger each round, medians over rounds. Three weighted
paths are timed: 50/50 (Uniswap's fraction), 80/20 (exact integer roots: the weight ratio
is 4 or 1/4) and 1/3 vs 2/3 in 18 decimals (``exp``/``ln`` with carried error bounds).
Always exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from simfl.chain import ConstantProductPool, Ledger, WeightedPool, genesis_token_amount

E18 = 10**18
RESERVE_BASE = 10**6 * E18  # base units of BASE in every pool: 1,000,000 tokens
AMOUNT_IN = E18  # base units per swap: 1 token
CASES = {  # name -> CST weight (18 decimals), None for the constant-product pool
    "constant product": None,
    "weighted 50/50": 5 * 10**17,
    "weighted 80/20 (exact roots)": 2 * 10**17,
    "weighted 1/3 (exp/ln)": 333_333_333_333_333_333,
}


def bench(token_weight: int | None, n_swaps: int) -> float:
    """Return swaps/s of ``swap_exact_in`` alternating BASE -> CST and CST -> BASE."""
    ledger = Ledger()
    for token in ("BASE", "CST_0"):
        ledger.register_token(token)
        ledger.mint(token, "lp", 10 * RESERVE_BASE)
        ledger.mint(token, "trader", 10 * RESERVE_BASE)
    if token_weight is None:
        pool = ConstantProductPool(ledger, "BASE", "CST_0")
        tokens = RESERVE_BASE
    else:
        weights = (10**18 - token_weight, token_weight)
        pool = WeightedPool(ledger, "BASE", "CST_0", weights=weights)
        tokens = genesis_token_amount(RESERVE_BASE, 1, 1, token_weight)
    pool.add_liquidity("lp", RESERVE_BASE, tokens)
    swap = pool.swap_exact_in
    amount_in = AMOUNT_IN
    start = time.perf_counter()
    for _ in range(n_swaps // 2):
        swap("trader", "BASE", amount_in)
        swap("trader", "CST_0", amount_in)
    elapsed = time.perf_counter() - start
    ledger.check_invariants()
    if pool.swap_count != n_swaps // 2 * 2:
        raise RuntimeError("a swap went missing from the journal")
    return n_swaps // 2 * 2 / elapsed


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print median swaps/s per pool and the ratio to constant product."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swaps", type=int, default=20_000, help="swaps per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    rates: dict[str, list[float]] = {name: [] for name in CASES}
    for _ in range(args.rounds):
        for name, weight in CASES.items():
            rates[name].append(bench(weight, args.swaps))
    median = {name: statistics.median(r) for name, r in rates.items()}
    print(
        f"bench_weighted: {args.rounds} rounds x {args.swaps:,} swaps, median swaps/s "
        f"(Python {sys.version.split()[0]})"
    )
    for name in CASES:
        ratio = median[name] / median["constant product"]
        print(f"  {name:<30} {median[name]:>10,.0f}  ({ratio:.2f} x constant product)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
