"""What a run is doing, told on stderr: setup, a bar over rounds, then each post-run phase.

`RunProgress` is given to `run_scenario` as both `on_phase` (setup, rounds, comparison,
dashboard) and `on_round`. The bar starts when round 1 starts, so its rate and ETA
come from rounds alone — setup (loading data, partitioning, opening pools) is reported
on its own line with its duration, as is every phase after the last round. The closing
line gives the whole run's time split by phase.

Round 1 is a warm-up: it pays one-off costs (torch's thread pool, first allocations),
about 2.5x a steady round on wallstreetfeds. tqdm's ETA is an EMA of round times, in
which round 1 lingers for many rounds, so after round 1 the bar's rate estimate is
emptied (the count stays at 1/N): from round 2 on, rate and ETA come from rounds 2..
only. The elapsed time still counts from round 1's start, and the closing line (and
the bar's closing rate) still times all rounds.
"""

from __future__ import annotations

import sys
import time
from typing import Any, TextIO

# what each phase of `run_scenario` does, as shown
PHASES = {
    "setup": "setup (libraries, data, clients, pools)",
    "rounds": "rounds",
    "tables": "finishing tables",
    "comparison": "comparison markets (one per compared payout method / mode)",
    "dashboard": "dashboard and report",
}


class RunProgress:
    """Phases and rounds of one run on `stream` (stderr); silent when `quiet`."""

    def __init__(
        self, total: int, name: str, quiet: bool = False, stream: TextIO | None = None
    ) -> None:
        self.total = total
        self.name = name
        self.quiet = quiet
        self.stream = stream if stream is not None else sys.stderr
        self.bar: Any = None
        self.current: str | None = None
        self.since = time.perf_counter()
        self.started = self.since
        self.seconds: dict[str, float] = {}

    # ------------------------------------------------------------------ hooks

    def phase(self, name: str) -> None:
        """`on_phase` hook: the phase `name` starts now (the previous one ends); telling
        the phase under way again changes nothing."""
        if name == self.current:
            return
        self._end_phase()
        self.current, self.since = name, time.perf_counter()
        if name == "rounds":
            self._open_bar()
        else:
            self._say(f"{PHASES.get(name, name)} …")

    def __call__(self, model: Any) -> None:
        """`on_round` hook: one round done; accuracy and the range of token prices."""
        if self.bar is None:  # called without phases (a caller of run_model)
            self.phase("rounds")
        prices = [pool.price(token) for pool, token in zip(model.pools, model.tokens)]
        if prices:
            self.bar.set_postfix_str(
                f"acc {model.accuracy:.3f} | price {min(prices):.3f}–{max(prices):.3f} BASE",
                refresh=False,
            )
        self.bar.update(1)
        if self.bar.n == 1 < self.total:
            self._rebase_after_warm_up()
        if self.bar.n >= self.total:  # the model now closes its tables
            self.phase("tables")

    def close(self) -> None:
        """The run finished: end the last phase and print the time split by phase."""
        self._end_phase()
        self.current = None
        if self.quiet or not self.seconds:
            return
        parts = []
        for name, seconds in self.seconds.items():
            label = f"{self.total} rounds" if name == "rounds" else name
            if name == "rounds" and self.total:
                label += f" ({seconds / self.total:.2f} s/round)"
            parts.append(f"{label} {seconds:.1f} s")
        total = time.perf_counter() - self.started
        self._say(f"done in {total:.1f} s: {', '.join(parts)}")

    def abort(self) -> None:
        """The run stopped early (error, Ctrl-C): close the bar, say nothing more."""
        if self.bar is not None:
            self.bar.close()
            self.bar = None
        self.current = None

    # --------------------------------------------------------------- helpers

    def _open_bar(self) -> None:
        from tqdm import tqdm

        self.bar = tqdm(
            total=self.total,
            desc=self.name,
            unit="round",
            file=self.stream,
            disable=self.quiet,
            mininterval=0,
            dynamic_ncols=True,
        )

    def _rebase_after_warm_up(self) -> None:
        """After round 1, empty the bar's rate estimate so the ETA comes from rounds 2..
        only (round 1 carries one-off costs). tqdm's public `reset` empties it but also
        zeroes the count and restarts the timer, so the count is put back to 1 as
        `tqdm(initial=1)` would set it (`n`, `last_print_n`, `initial`: round 2's update
        then adds one round over round 2's time) and `start_t` back to round 1's start,
        so elapsed still counts every round. Until round 2 ends the ETA shows `?`."""
        if self.quiet:  # a disabled bar keeps no rate; its count ends the rounds phase
            return
        started = self.bar.start_t
        self.bar.reset(total=self.total)
        self.bar.initial = self.bar.n = self.bar.last_print_n = 1
        self.bar.start_t = started
        self.bar.refresh()

    def _end_phase(self) -> None:
        if self.current is None:
            return
        elapsed = time.perf_counter() - self.since
        self.seconds[self.current] = self.seconds.get(self.current, 0.0) + elapsed
        if self.current == "rounds" and self.bar is not None:
            self.bar.initial = 0  # the closing rate: all rounds over their whole time
            self.bar.close()
            self.bar = None
        self.current = None

    def _say(self, text: str) -> None:
        if not self.quiet:
            print(f"{self.name}: {text}", file=self.stream, flush=True)
