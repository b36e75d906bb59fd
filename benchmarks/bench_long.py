"""Long-run benchmark: does a step cost the same at round 2,900 as at round 10, and does
memory stay bounded?

`scenarios/investors.yaml` at 3,000 rounds, two measurements, each in a fresh subprocess:

1. Memory: the whole `run_scenario` (tables written, as `simfl run --set rounds=3000`
   does); peak resident memory (`ru_maxrss`) and the most ledger events held in memory
   at any round's end.
2. Step time: one model is run to round 2,890, then a second, fresh model of the same
   scenario steps rounds 1..21 interleaved step by step with the first one's rounds
   2,890..2,910, both recording their tables as `run_scenario` does. Interleaving puts
   both under the same machine load, so their ratio is measured against a baseline in
   the same run (2 shared cores: absolute times are noisy, paired ratios much less).

Targets (issue 12): step time around round 2,900 within 1.3x of round 10's, and peak
memory of the whole run at most 400 MB.

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
EARLY, LATE = 10, 2900  # rounds compared
WINDOW = 10  # rounds either side of the compared round
TARGET_RATIO = 1.3
TARGET_MB = 400


def memory_child(rounds: int, out: str) -> dict[str, Any]:
    """The whole run through `run_scenario`: peak memory, journal size, step times."""
    from simfl.runner import run_scenario

    stamps = [time.perf_counter()]
    journal: list[int] = []

    def on_round(model: Any) -> None:
        stamps.append(time.perf_counter())
        journal.append(len(model.ledger.events))

    folder = run_scenario(SCENARIO, out, overrides={"rounds": rounds}, on_round=on_round)
    total = time.perf_counter() - stamps[0]
    return {
        "steps": [b - a for a, b in itertools.pairwise(stamps)],  # steps[r - 1]: round r
        "peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,  # KiB on Linux
        "journal_in_memory": max(journal),
        "total_seconds": total,
        "rows": json.loads((folder / "manifest.json").read_text())["rows"],
    }


def timing_child(rounds: int, late: int, out: str) -> dict[str, Any]:
    """Rounds around `EARLY` of a fresh model interleaved with rounds around `late` of
    another: per-step times of both, under the same load."""
    from simfl.config import load_scenario
    from simfl.model import FederationMarket

    def recording_model(folder: str) -> FederationMarket:
        config = load_scenario(SCENARIO, {"rounds": rounds})
        model = FederationMarket(config, seed=config.seed)
        Path(folder).mkdir()
        model.datacollector.stream_to(Path(folder), model)  # as run_scenario records
        return model

    old = recording_model(f"{out}/late")
    clock = time.perf_counter()
    while old.round < late - WINDOW - 1:
        old.step()
    reach = time.perf_counter() - clock
    new = recording_model(f"{out}/early")
    while new.round < EARLY - WINDOW - 1:
        new.step()
    early_steps, late_steps = [], []
    for _ in range(2 * WINDOW + 1):
        a = time.perf_counter()
        new.step()
        b = time.perf_counter()
        old.step()
        c = time.perf_counter()
        early_steps.append(b - a)
        late_steps.append(c - b)
    return {"early": early_steps, "late": late_steps, "reach_seconds": reach}


def run_child(*args: str) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, *args], capture_output=True, text=True, check=False
    )
    if done.returncode:
        sys.exit(f"{' '.join(args)} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3000)
    parser.add_argument("--child", choices=["memory", "timing"], help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    late = min(LATE, args.rounds - WINDOW)
    if args.child == "memory":
        print(json.dumps(memory_child(args.rounds, args.out)))
        return 0
    if args.child == "timing":
        print(json.dumps(timing_child(args.rounds, late, args.out)))
        return 0
    rounds = str(args.rounds)
    with tempfile.TemporaryDirectory() as out:
        whole = run_child("--rounds", rounds, "--child", "memory", "--out", out)
    with tempfile.TemporaryDirectory() as out:
        paired = run_child("--rounds", rounds, "--child", "timing", "--out", out)
    early_ms = statistics.median(paired["early"]) * 1e3
    late_ms = statistics.median(paired["late"]) * 1e3
    ratio = statistics.median(b / a for a, b in zip(paired["early"], paired["late"]))
    steps = whole["steps"]
    unpaired = [
        statistics.median(steps[max(0, r - WINDOW - 1) : r + WINDOW]) * 1e3 for r in (EARLY, late)
    ]
    first = max(1, EARLY - WINDOW)  # the fresh model steps from round 1
    early_rounds = f"{first}..{first + 2 * WINDOW}"
    late_rounds = f"{late - WINDOW}..{late + WINDOW}"
    print(f"investors.yaml at {args.rounds} rounds")
    print(f"  step, rounds {early_rounds:>11}: {early_ms:7.2f} ms (median)")
    print(f"  step, rounds {late_rounds:>11}: {late_ms:7.2f} ms (median, interleaved with it)")
    print(f"  ratio late / early, paired : {ratio:7.2f}x   (target <= {TARGET_RATIO}x)")
    print(f"  same, unpaired in one run  : {unpaired[1] / unpaired[0]:7.2f}x   (load drift too)")
    print(f"  peak memory, whole run     : {whole['peak_mb']:7.0f} MB  (target <= {TARGET_MB} MB)")
    print(f"  journal events in memory   : {whole['journal_in_memory']:>7,}     (most at a round)")
    print(f"  whole run_scenario         : {whole['total_seconds']:7.1f} s;  rows {whole['rows']}")
    ok = ratio <= TARGET_RATIO and whole["peak_mb"] <= TARGET_MB
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
