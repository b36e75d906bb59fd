"""Run progress: setup apart from rounds, each later phase shown, times split by phase."""

from __future__ import annotations

import io
import types

import pytest

from simfl import progress as progress_module
from simfl.progress import RunProgress


class Clock:
    """perf_counter stand-in that the test moves by hand."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(progress_module.time, "perf_counter", clock)
    return clock


def model(accuracy: float) -> types.SimpleNamespace:
    pool = types.SimpleNamespace(price=lambda token: {"a": 1.5, "b": 0.75}[token])
    return types.SimpleNamespace(accuracy=accuracy, pools=[pool, pool], tokens=["a", "b"])


def test_each_phase_is_announced_and_timed_on_its_own(clock):
    stream = io.StringIO()
    progress = RunProgress(4, "demo", stream=stream)
    progress.phase("setup")
    clock.now += 30.0  # a slow setup must not count as round time
    progress.phase("rounds")
    for accuracy in (0.2, 0.4, 0.6, 0.8):
        clock.now += 2.5
        progress(model(accuracy))
    clock.now += 0.5  # the model closes its tables
    progress.phase("comparison")
    clock.now += 4.0
    progress.phase("dashboard")
    clock.now += 1.25
    progress.close()
    lines = [line.rsplit("\r", 1)[-1] for line in stream.getvalue().split("\n")[:-1]]
    assert lines[0] == "demo: setup (libraries, data, clients, pools) …"
    assert "4/4" in lines[1] and "acc 0.800 | price 0.750–1.500 BASE" in lines[1]
    assert lines[2:] == [
        "demo: finishing tables …",
        "demo: comparison markets (one per compared payout method / mode) …",
        "demo: dashboard and report …",
        "demo: done in 45.8 s: setup 30.0 s, 4 rounds (2.50 s/round) 10.0 s, tables 0.5 s, "
        "comparison 4.0 s, dashboard 1.2 s",
    ]


def test_quiet_progress_prints_nothing(clock):
    stream = io.StringIO()
    progress = RunProgress(1, "demo", quiet=True, stream=stream)
    progress.phase("setup")
    progress.phase("rounds")
    progress(model(0.5))
    progress.close()
    assert stream.getvalue() == ""


def test_an_aborted_run_closes_the_bar_without_a_summary(clock):
    stream = io.StringIO()
    progress = RunProgress(3, "demo", stream=stream)
    progress.phase("setup")
    progress.phase("rounds")
    progress(model(0.5))
    progress.abort()
    assert "done in" not in stream.getvalue() and progress.bar is None


def test_eta_after_a_slow_first_round_comes_from_the_steady_rounds(clock, monkeypatch):
    import tqdm.std

    monkeypatch.setattr(tqdm.std, "time", clock)  # tqdm's own timer, read when a bar opens
    stream = io.StringIO()
    progress = RunProgress(10, "demo", stream=stream)
    progress.phase("setup")
    progress.phase("rounds")
    for seconds in (20.0, 2.0, 2.0, 2.0):  # a warm-up round, then steady 2 s rounds
        clock.now += seconds
        progress(model(0.5))
    shown = progress.bar.format_dict
    assert shown["n"] == 4 and shown["rate"] == pytest.approx(0.5)  # 1 round / 2 s
    line = stream.getvalue().rsplit("\r", 1)[-1]
    # 26 s spent since round 1 started; 6 rounds left at 2 s each: 12 s, not ~1 min
    assert " 4/10 [00:26<00:12, " in line, line
    for _ in range(6):
        clock.now += 2.0
        progress(model(0.5))
    progress.close()
    lines = [line.rsplit("\r", 1)[-1] for line in stream.getvalue().split("\n")[:-1]]
    assert "10/10 [00:38<00:00,  3.80s/round" in lines[1]  # the closing rate: all rounds
    assert lines[-1] == (
        "demo: done in 38.0 s: setup 0.0 s, 10 rounds (3.80 s/round) 38.0 s, tables 0.0 s"
    )
