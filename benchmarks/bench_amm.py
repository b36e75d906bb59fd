"""Swaps per second: simfl's ledger-checked pool vs a bare int loop vs uniswappy.

Run with ``.venv/bin/python benchmarks/bench_amm.py`` (uniswappy skipped) or, for the
three-way comparison, from a throwaway venv that has uniswappy::

    python3 -m venv .bench-venv && .bench-venv/bin/pip install uniswappy
    .bench-venv/bin/python benchmarks/bench_amm.py

Every contender does the same work: alternate 1-token swaps in each direction on a
1,000,000 / 1,000,000 pool with a 0.3% fee, so the reserves stay sane.

- bare: Uniswap's ``getAmountOut`` on two local ints, inline in the loop — the ceiling
  for any pure-Python constant-product pool.
- simfl: ``ConstantProductPool.swap_exact_in`` through the ``Ledger`` (balance checks,
  K check, journal of 2 events per swap — its two legs — counters), a fresh ledger each
  round.
- uniswappy: ``UniswapExchange.swap_exact_tokens_for_tokens`` (its pool-level exact-in
  swap, cheaper than its ``Swap().apply`` wrapper).

The contenders alternate within each round; the medians over rounds are compared.
Targets: simfl/bare >= 0.25 and simfl/uniswappy >= 15. Always exits 0.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout

from simfl.chain import ConstantProductPool, Ledger

E18 = 10**18
RESERVE = 10**6 * E18  # base units per side of the pool: 1,000,000 tokens
AMOUNT_IN = E18  # base units per swap: 1 token
TARGET_BARE = 0.25
TARGET_UNISWAPPY = 15.0


def bench_bare(n_swaps: int) -> float:
    """Return swaps/s of Uniswap's integer formula on two local ints."""
    reserve0 = reserve1 = RESERVE
    amount_in = AMOUNT_IN
    start = time.perf_counter()
    for i in range(n_swaps):
        if i & 1:
            amount_out = amount_in * 997 * reserve0 // (reserve1 * 1000 + amount_in * 997)
            reserve1 += amount_in
            reserve0 -= amount_out
        else:
            amount_out = amount_in * 997 * reserve1 // (reserve0 * 1000 + amount_in * 997)
            reserve0 += amount_in
            reserve1 -= amount_out
    elapsed = time.perf_counter() - start
    if reserve0 * reserve1 < RESERVE * RESERVE:
        raise RuntimeError("bare loop lost k")
    return n_swaps / elapsed


def bench_simfl(n_swaps: int) -> float:
    """Return swaps/s of ``swap_exact_in`` with ledger, K check and journal; checks the end."""
    ledger = Ledger()
    ledger.register_token("BASE")
    ledger.register_token("CST_0")
    pool = ConstantProductPool(ledger, "BASE", "CST_0")
    for token in ("BASE", "CST_0"):
        ledger.mint(token, "lp", RESERVE)
        ledger.mint(token, "trader", RESERVE)
    pool.add_liquidity("lp", RESERVE, RESERVE)
    swap = pool.swap_exact_in
    amount_in = AMOUNT_IN
    start = time.perf_counter()
    for _ in range(n_swaps // 2):
        swap("trader", "BASE", amount_in)
        swap("trader", "CST_0", amount_in)
    elapsed = time.perf_counter() - start
    ledger.check_invariants()
    legs = sum(1 for event in ledger.events if event[0] == "swap")
    if pool.swap_count != n_swaps // 2 * 2 or legs != 2 * pool.swap_count:
        raise RuntimeError("simfl did not journal both legs of every swap")
    return n_swaps // 2 * 2 / elapsed


def make_uniswappy_bench() -> tuple[Callable[[int], float], str] | None:
    """Return (bench function, version) for uniswappy, or None if it is not importable."""
    try:
        from importlib.metadata import version

        from uniswappy import ERC20, UniswapExchangeData, UniswapFactory
    except ImportError:
        return None

    def bench_uniswappy(n_swaps: int) -> float:
        token0, token1 = ERC20("BASE", "0x01"), ERC20("CST_0", "0x02")
        factory = UniswapFactory("bench factory", "0x00")
        exchange = factory.deploy(
            UniswapExchangeData(tkn0=token0, tkn1=token1, symbol="LP", address="0x03")
        )
        exchange.add_liquidity("lp", RESERVE / E18, RESERVE / E18, RESERVE / E18, RESERVE / E18)
        swap = exchange.swap_exact_tokens_for_tokens
        amount_in = AMOUNT_IN / E18
        start = time.perf_counter()
        for _ in range(n_swaps // 2):
            swap(amount_in, 0, token0, "trader")
            swap(amount_in, 0, token1, "trader")
        return n_swaps // 2 * 2 / (time.perf_counter() - start)

    return bench_uniswappy, version("uniswappy")


def main(argv: list[str] | None = None) -> int:
    """Run the rounds, print medians and both ratios against their targets; return 0."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--swaps", type=int, default=100_000, help="swaps per round (bare, simfl)")
    parser.add_argument("--uniswappy-swaps", type=int, default=4_000, help="swaps per round")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)

    uniswappy = make_uniswappy_bench()
    rates: dict[str, list[float]] = {"bare": [], "simfl": [], "uniswappy": []}
    for _ in range(args.rounds):
        rates["bare"].append(bench_bare(args.swaps))
        rates["simfl"].append(bench_simfl(args.swaps))
        if uniswappy is not None:
            rates["uniswappy"].append(uniswappy[0](args.uniswappy_swaps))

    median = {name: statistics.median(r) for name, r in rates.items() if r}
    print(f"bench_amm: {args.rounds} rounds, median swaps/s (Python {sys.version.split()[0]})")
    print(f"  bare int loop          {median['bare']:>12,.0f}  ({args.swaps:,} swaps/round)")
    print(f"  simfl swap_exact_in    {median['simfl']:>12,.0f}  (ledger, K check, 2 events)")
    if uniswappy is None:
        print("uniswappy: not importable, skipped")
    else:
        print(
            f"  uniswappy {uniswappy[1]:<12} {median['uniswappy']:>12,.0f}  "
            f"({args.uniswappy_swaps:,} swaps/round)"
        )
    ratio_bare = median["simfl"] / median["bare"]
    verdict = "ok" if ratio_bare >= TARGET_BARE else "BELOW TARGET"
    print(f"simfl/bare = {ratio_bare:.2f} (target >= {TARGET_BARE}) {verdict}")
    if uniswappy is not None:
        ratio_uni = median["simfl"] / median["uniswappy"]
        verdict = "ok" if ratio_uni >= TARGET_UNISWAPPY else "BELOW TARGET"
        print(f"simfl/uniswappy = {ratio_uni:.1f} (target >= {TARGET_UNISWAPPY:g}) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
