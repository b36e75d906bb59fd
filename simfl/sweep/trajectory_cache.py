"""FL-trajectory cache: runs that differ only in market parameters train once.

The FL engine's randomness is its own stream of the run's seed (`model.fl_stream`), so
its trajectory depends only on `scenario.fl`, the seed and the number of rounds — as
long as the market cannot feed back into training. That holds when the scores come from
the real loop (`scores.source == "fl"`) and clients never refuse a round
(`market.clients.opt_out` false); otherwise a run is not cacheable and trains as usual.

How a trajectory is captured: the sweep builds the engine itself (`make_source` with
`fl_stream(seed)`, exactly as `FederationMarket` would) and hands the model a
`RecordingSource` proxy as its `source`; the proxy keeps every `RoundResult` it passes
on. This keeps the model untouched and records exactly what the model consumed.

Storage: `<cache_dir>/<key>.json` (exact: JSON floats round-trip through `repr`),
written to a unique temporary name and renamed, so two workers racing to write the same
key leave one whole, identical file. The key is a SHA-256 of the resolved `fl` section,
the seed, the rounds, a format version and the simfl/torch versions: change any FL
setting (or upgrade the engine) and the key changes; stale entries are never read.
`fl.contribution.pay_by` is left out: the engine scores every listed method whichever one
pays, so sweeping the paying method reuses one trajectory.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection
from dataclasses import astuple
from pathlib import Path
from typing import Any

from simfl.atomic import write_json_atomic
from simfl.config import Scenario
from simfl.fl.results import InitialModel, RoundResult
from simfl.runner import package_version
from simfl.sources import ScoreSource, TrajectoryReplay

FORMAT = 3  # bump when the stored layout changes (2: rounds carry test_accuracy, test_loss;
# 3: the initial model's numbers, `initial`)


def cacheable(scenario: Scenario) -> bool:
    """True when the market cannot change the scenario's FL trajectory."""
    return scenario.scores.source == "fl" and not scenario.market.clients.opt_out


def trajectory_key(scenario: Scenario) -> str:
    """24 hex digits naming the trajectory of (fl section, seed, rounds, versions)."""
    fl = scenario.fl.model_dump(mode="json")
    del fl["contribution"]["pay_by"]  # the engine scores every method; pay_by is the market's
    data = {
        "format": FORMAT,
        "fl": fl,
        "seed": scenario.fl_stream_seed,
        "rounds": scenario.rounds,
        "simfl": package_version("simfl"),
        "torch": package_version("torch"),
    }
    text = json.dumps(data, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()[:24]


class RecordingSource:
    """Passes rounds through from a real source and keeps a copy of each."""

    def __init__(self, inner: ScoreSource) -> None:
        self.inner = inner
        self.n_clients = inner.n_clients
        self.client_sizes = tuple(inner.client_sizes)
        self.behaviours = tuple(inner.behaviours)
        self.initial = inner.initial
        self.rounds: list[RoundResult] = []

    def run_round(self, refused: Collection[int] = ()) -> RoundResult:
        result = self.inner.run_round(refused)
        self.rounds.append(result)
        return result


def _encode(result: RoundResult) -> dict[str, Any]:
    return {
        "round": result.round,
        "accuracy": result.accuracy,
        "loss": result.loss,
        "participants": list(result.participants),
        "refused": list(result.refused),
        "scores": {m: list(v) for m, v in result.scores.items()},
        "evaluations": dict(result.evaluations),
        "test_accuracy": result.test_accuracy,
        "test_loss": result.test_loss,
    }


def _decode(data: dict[str, Any]) -> RoundResult:
    return RoundResult(
        round=int(data["round"]),
        accuracy=float(data["accuracy"]),
        loss=float(data["loss"]),
        participants=tuple(int(i) for i in data["participants"]),
        refused=tuple(int(i) for i in data["refused"]),
        scores={m: tuple(float(x) for x in v) for m, v in data["scores"].items()},
        evaluations={m: int(n) for m, n in data["evaluations"].items()},
        test_accuracy=float(data["test_accuracy"]),
        test_loss=float(data["test_loss"]),
    )


def store(path: Path, recorder: RecordingSource, key: str) -> None:
    """Write a recorded trajectory atomically (unique temp name, then rename)."""
    data = {
        "format": FORMAT,
        "key": key,
        "client_sizes": list(recorder.client_sizes),
        "behaviours": list(recorder.behaviours),
        "initial": list(astuple(recorder.initial)),
        "rounds": [_encode(r) for r in recorder.rounds],
    }
    path.parent.mkdir(parents=True, exist_ok=True)
    write_json_atomic(data, path, indent=None)


def load(path: Path) -> TrajectoryReplay | None:
    """The cached trajectory at `path` as a replay source, or None if absent or unreadable."""
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if data.get("format") != FORMAT:
        return None
    return TrajectoryReplay(
        [_decode(r) for r in data["rounds"]],
        [int(s) for s in data["client_sizes"]],
        [str(b) for b in data["behaviours"]],
        origin=f"cached FL trajectory {data.get('key', path.stem)}",
        initial=InitialModel(*(float(x) for x in data["initial"])),
    )


def prepare(
    scenario: Scenario, cache_dir: Path
) -> tuple[ScoreSource | None, RecordingSource | None, dict[str, Any] | None]:
    """The source a sweep run should use: (source, recorder, manifest info).

    Not cacheable: `(None, None, None)` — the model builds its own source. Cached:
    a `TrajectoryReplay`. Not yet cached: a `RecordingSource` around a freshly built
    engine; call `store` with it once the run has completed.
    """
    if not cacheable(scenario):
        return None, None, None
    from simfl.model import fl_stream
    from simfl.sources import make_source

    key = trajectory_key(scenario)
    replay = load(cache_dir / f"{key}.json")
    if replay is not None and len(replay.rounds) >= scenario.rounds:
        return replay, None, {"key": key, "reused": True}
    recorder = RecordingSource(make_source(scenario, fl_stream(scenario.fl_stream_seed)))
    return recorder, recorder, {"key": key, "reused": False}
