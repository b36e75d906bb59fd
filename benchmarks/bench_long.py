"""Long-run benchmark: does a step cost the same at round 2,900 as at round 10, and does
memory stay bounded?

`scenarios/investors.yaml` at 3,000 rounds through `run_scenario` (tables written, as
`simfl run --set rounds=3000` does), in a fresh subprocess so its peak resident memory
(`ru_maxrss`) is the run's own. Per-step time is the wall time between two `on_round`
calls; "around round r" is the median over rounds r-10 .. r+10.

Targets (issue 12): step time around round 2,900 within 1.3x of round 10's, and peak
memory of the whole run at most 400 MB. The ratio is measured within one run; absolute
times are printed for context (2 shared cores: they are noisy, the ratio much less so).

Run: nice .venv/bin/python benchmarks/bench_long.py [--rounds 3000]
"""

from __future__ import annotations

import argparse
import itertools
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SCENARIO = ROOT / "scenarios" / "investors.yaml"
EARLY, LATE = 10, 2900  # rounds compared (LATE scales with --rounds)
WINDOW = 10  # rounds either side of the compared round
TARGET_RATIO = 1.3
TARGET_MB = 400


def child(rounds: int, out: str) -> None:
    """Run the scenario once and print one JSON line of measurements."""
    from simfl.runner import run_scenario

    stamps: list[float] = []
    journal: list[int] = []

    def on_round(model: Any) -> None:
        stamps.append(time.perf_counter())
        journal.append(len(model.ledger.events))

    start = time.perf_counter()
    stamps.append(start)
    folder = run_scenario(SCENARIO, out, overrides={"rounds": rounds}, on_round=on_round)
    total = time.perf_counter() - start
    steps = [b - a for a, b in itertools.pairwise(stamps)]  # steps[r - 1] = round r
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    rows = json.loads((folder / "manifest.json").read_text())["rows"]
    measured = {
        "steps": steps,
        "peak_mb": peak_kb / 1024,
        "journal_in_memory": max(journal),
        "total_seconds": total,
        "rows": rows,
    }
    print(json.dumps(measured))


def around(steps: list[float], round_: int) -> float:
    lo, hi = max(1, round_ - WINDOW), min(len(steps), round_ + WINDOW)
    return statistics.median(steps[lo - 1 : hi])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3000)
    parser.add_argument("--child", metavar="OUT", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.rounds, args.child)
        return 0
    late = min(LATE, args.rounds - WINDOW) if args.rounds < 3000 else LATE
    with tempfile.TemporaryDirectory() as out:
        done = subprocess.run(
            [sys.executable, __file__, "--rounds", str(args.rounds), "--child", out],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    if done.returncode:
        print(done.stderr, file=sys.stderr)
        return done.returncode
    result = json.loads(done.stdout.strip().splitlines()[-1])
    steps = result["steps"]
    early, late_ms = around(steps, EARLY) * 1e3, around(steps, late) * 1e3
    ratio = late_ms / early
    print(f"investors.yaml, {args.rounds} rounds, run_scenario with tables written")
    print(f"  step around round {EARLY:>5}: {early:7.2f} ms")
    print(f"  step around round {late:>5}: {late_ms:7.2f} ms")
    print(f"  ratio late / early        : {ratio:7.2f}x   (target <= {TARGET_RATIO}x)")
    print(f"  peak memory (maxrss)      : {result['peak_mb']:7.0f} MB  (target <= {TARGET_MB} MB)")
    print(f"  journal events in memory  : {result['journal_in_memory']:>7,} (peak, at a round end)")
    print(f"  whole run                 : {result['total_seconds']:7.1f} s; rows {result['rows']}")
    ok = ratio <= TARGET_RATIO and result["peak_mb"] <= TARGET_MB
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
