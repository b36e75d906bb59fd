"""Swaps per second: WeightedPool (50/50, 80/20, an arbitrary 18-decimal weight) vs
ConstantProductPool, through the ledger.

Run with ``.venv/bin/python benchmarks/bench_weighted.py``. The workload is
``bench_amm.py``'s: alternate 1-token swaps in each direction with a 0.3% fee, here on
pools that open at price 1 with 1,000,000 BASE (the token side from
``genesis_token_amount``), a fresh ledger each round, medians over rounds. Three weighted
paths are timed: 50/50 (Uniswap's fraction), 80/20 (exact integer roots: the weight ratio
is 4 or 1/4) and 1/3 vs 2/3 in 18 decimals (``exp``/``ln`` with carried error bounds).
``--precision N`` instead measures N random swaps each way (half on arbitrary 18-decimal
weights, half on whole percents; balances up to 1e30, trades up to the 30% guard) against
the real formula in 80-digit ``decimal``: how often the result is exactly the floor (out)
or ceiling (in) of the real value, the largest gap in base units, and the largest relative
error of the unrounded ``exp``/``ln`` result. Always exits 0.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal, localcontext
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from simfl.chain import ConstantProductPool, Ledger, WeightedPool, genesis_token_amount, log_exp
from simfl.chain import weighted_math as wm

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


def precision(n_swaps: int, seed: int = 2026) -> None:
    """Print how the swap math compares with the real formula in 80-digit decimal."""
    rng = random.Random(seed)
    worst = {"out": Decimal(0), "in": Decimal(0), "raw": Decimal(0)}
    exact_hits = {"out": 0, "in": 0}
    with localcontext() as ctx:
        ctx.prec = 80
        for i in range(n_swaps):
            w_in = rng.randint(10**16, 99 * 10**16) if i % 2 else rng.randint(1, 99) * 10**16
            w_out = wm.ONE - w_in
            b_in, b_out = rng.randint(10**3, 10**30), rng.randint(10**3, 10**30)
            fee = rng.choice([0, 5, 30, 100])
            f = Decimal(10_000 - fee) / 10_000
            y = Decimal(w_in) / Decimal(w_out)
            a_in = rng.randint(1, b_in * 3 // 10) if i % 4 < 2 else rng.randint(1, 10**6)
            a_in = min(a_in, b_in * 3 // 10)
            real = b_out * (1 - (Decimal(b_in) / (b_in + a_in * f)) ** y)
            out = wm.calc_out_given_in(b_in, w_in, b_out, w_out, a_in, fee)
            exact_hits["out"] += out == int(real.to_integral_value(ROUND_FLOOR))
            worst["out"] = max(worst["out"], real - out)
            if wm.exact_exponent(w_in, w_out) is None:
                scaled, adjusted = b_in * 10_000, b_in * 10_000 + a_in * (10_000 - fee)
                high = log_exp.pow_up(scaled, adjusted, w_in, w_out)
                one = 2**log_exp.PRECISION_BITS
                raw = Decimal(b_out) * (one - high) / one
                worst["raw"] = max(worst["raw"], abs(raw - real) / real)
            a_out = rng.randint(1, max(1, b_out * 3 // 10))
            real_in = b_in * ((Decimal(b_out) / (b_out - a_out)) ** (1 / y) - 1) / f
            paid = wm.calc_in_given_out(b_in, w_in, b_out, w_out, a_out, fee)
            exact_hits["in"] += paid == max(1, int(real_in.to_integral_value(ROUND_CEILING)))
            worst["in"] = max(worst["in"], paid - real_in)
    print(f"precision over {n_swaps:,} random swaps each way vs 80-digit decimal:")
    for side, rounding in (("out", "floor"), ("in", "ceiling")):
        print(
            f"  {side:<3}: exactly the {rounding} of the real value in {exact_hits[side]:,} "
            f"of {n_swaps:,}; largest gap {float(worst[side]):.6f} base units"
        )
    print(f"  exp/ln path, unrounded output: max relative error {float(worst['raw']):.2e}")


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print median swaps/s per pool and the ratio to constant product."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swaps", type=int, default=20_000, help="swaps per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--precision", type=int, default=0, help="measure N swaps instead")
    args = parser.parse_args(argv)
    if args.precision:
        precision(args.precision)
        return 0
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
