"""Where a run's per-round contribution scores come from (`scores.source`).

- `fl`: the real torch loop (`simfl.fl.engine.FederatedTraining`), the default;
- `replay`: the trajectory of an earlier run's results folder, so market studies reuse
  one FL trajectory; refused when participation feedback could change it;
- `synthetic`: a parametrised score process, for pure market studies.

Every source answers `run_round(refused) -> RoundResult`, names its clients' data sizes
and behaviours, and gives its `initial` model's numbers (model.parquet's step 0, round
1's v(∅)), so the model cannot tell them apart.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

import numpy as np

from simfl.errors import ScenarioError
from simfl.fl.results import UNEVALUATED, InitialModel, RoundResult

if TYPE_CHECKING:  # the schema imports this module for SCORE_SOURCES' names
    from simfl.config import Scenario

REPLAY_MODEL_COLUMNS = ("round", "accuracy", "loss", "test_accuracy", "test_loss")


class ScoreSource(Protocol):
    """One FL trajectory, produced round by round."""

    n_clients: int
    client_sizes: tuple[int, ...]
    behaviours: tuple[str, ...]
    initial: InitialModel  # the global model before round 1

    def run_round(self, refused: Collection[int] = ()) -> RoundResult: ...


class TrajectoryReplay:
    """Replays a recorded list of rounds; refuses to go past its end. `initial`: the
    recorded model before round 1 (default UNEVALUATED: accuracy 0, loss NaN)."""

    def __init__(
        self,
        rounds: Sequence[RoundResult],
        client_sizes: Sequence[int],
        behaviours: Sequence[str],
        origin: str = "a recorded trajectory",
        initial: InitialModel = UNEVALUATED,
    ) -> None:
        self.rounds = list(rounds)
        self.initial = initial
        self.n_clients = len(client_sizes)
        self.client_sizes = tuple(client_sizes)
        self.behaviours = tuple(behaviours)
        self.origin = origin
        self._next = 0

    def run_round(self, refused: Collection[int] = ()) -> RoundResult:
        if refused:
            raise ScenarioError(
                f"{self.origin} cannot replay a round in which clients {sorted(refused)} "
                "refuse: set market.clients.opt_out=false"
            )
        if self._next >= len(self.rounds):
            raise ScenarioError(
                f"{self.origin} holds {len(self.rounds)} rounds; lower `rounds` to at most that"
            )
        result = self.rounds[self._next]
        self._next += 1
        return result


class SyntheticScores:
    """Scores `q_i · (1 + noise·ε)` per configured method; accuracy rises geometrically.

    `q_i` is each client's quality (given, or drawn log-normal from the run's rng);
    clients marked as free riders in `fl.behaviours` get quality 0. Data sizes are
    proportional to quality. The initial model sits one step before round 1 on the same
    curve, final - (final - start) / 0.7, at least 0. Costs no training: for market
    studies only.
    """

    def __init__(self, scenario: Scenario, rng: np.random.Generator) -> None:
        fl = scenario.fl
        spec = scenario.scores.synthetic
        n = fl.clients
        quality = (
            np.asarray(spec.quality, dtype=float)
            if spec.quality is not None
            else rng.lognormal(0.0, 0.5, size=n)
        )
        kinds = [fl.behaviours[i].kind if i in fl.behaviours else "honest" for i in range(n)]
        quality = np.where([k.startswith("free_rider") for k in kinds], 0.0, quality)
        self.n_clients = n
        self.quality = quality
        self.behaviours = tuple(kinds)
        self.client_sizes = tuple(int(50 + 200 * q) for q in quality)
        self.methods = fl.contribution.methods
        self.noise = spec.noise
        self.start, self.final = spec.start_accuracy, spec.final_accuracy
        self.rng = rng
        self.round = 0
        before = max(self.final - (self.final - self.start) / 0.7, 0.0)
        before_loss = float(-np.log(max(before, 1e-6)))
        self.initial = InitialModel(before, before_loss, before, before_loss)

    def run_round(self, refused: Collection[int] = ()) -> RoundResult:
        self.round += 1
        participants = tuple(i for i in range(self.n_clients) if i not in set(refused))
        mask = np.zeros(self.n_clients)
        mask[list(participants)] = 1.0
        scores = {}
        for method in self.methods:
            eps = self.rng.standard_normal(self.n_clients)
            values = np.maximum(self.quality * (1.0 + self.noise * eps), 0.0) * mask
            scores[method] = tuple(float(v) for v in values)
        accuracy = self.final - (self.final - self.start) * 0.7 ** (self.round - 1)
        return RoundResult(
            round=self.round,
            accuracy=float(accuracy),
            loss=float(-np.log(max(accuracy, 1e-6))),
            participants=participants,
            refused=tuple(sorted(refused)),
            scores=scores,
            evaluations={method: 0 for method in self.methods},
            test_accuracy=float(accuracy),
            test_loss=float(-np.log(max(accuracy, 1e-6))),
        )


def load_replay(run_dir: str | Path, scenario: Scenario) -> TrajectoryReplay:
    """The FL trajectory recorded in an earlier run's results folder."""
    from simfl.analysis.run_folder import RunFolder  # the one run-folder reader
    from simfl.errors import RunFolderError

    run_dir = Path(run_dir)
    try:
        run = RunFolder.open(run_dir, tables=("scores", "model"))
        scores, model = run.table("scores"), run.table("model")
    except RunFolderError as err:
        lead = f"scores.replay_dir={str(run_dir)!r}"
        raise ScenarioError(f"{lead}: {err.problem}; {err.hint}") from None
    clients = run.manifest.clients
    if len(clients) != scenario.fl.clients:
        raise ScenarioError(
            f"scores.replay_dir={str(run_dir)!r} has {len(clients)} clients "
            f"but fl.clients={scenario.fl.clients}"
        )
    lacking = [c for c in REPLAY_MODEL_COLUMNS if c not in model.columns]
    if lacking:
        raise ScenarioError(
            f"scores.replay_dir={str(run_dir)!r}: its model.parquet lacks {', '.join(lacking)} "
            "(written by an older simfl); run that scenario again to replay it"
        )
    methods = set(scores["method"].unique())
    wanted = set(scenario.fl.contribution.methods)
    if not wanted <= methods:
        raise ScenarioError(
            f"scores.replay_dir={str(run_dir)!r} recorded methods {sorted(methods)}; "
            f"fl.contribution.methods asks also for {sorted(wanted - methods)}"
        )
    n = len(clients)
    step0 = model.loc[model["round"] == 0].iloc[0]
    initial = InitialModel(
        float(step0["accuracy"]), float(step0["loss"]),
        float(step0["test_accuracy"]), float(step0["test_loss"]),
    )  # fmt: skip
    rounds: list[RoundResult] = []
    for number, frame in scores.groupby("round", sort=True):
        row = model.loc[model["round"] == number].iloc[0]
        by_method = {}
        participants: set[int] = set()
        for method, part in frame.groupby("method", sort=False):
            values = [0.0] * n
            for client, score, took_part in zip(
                part["client"], part["score"], part["participated"]
            ):
                values[int(client)] = float(score)
                if took_part:
                    participants.add(int(client))
            by_method[str(method)] = tuple(values)
        rounds.append(
            RoundResult(
                round=int(number),
                accuracy=float(row["accuracy"]),
                loss=float(row["loss"]),
                participants=tuple(sorted(participants)),
                refused=(),
                scores=by_method,
                evaluations={m: 0 for m in by_method},
                test_accuracy=float(row["test_accuracy"]),
                test_loss=float(row["test_loss"]),
            )
        )
    return TrajectoryReplay(
        rounds,
        [int(c["size"]) for c in clients],
        [str(c["behaviour"]) for c in clients],
        origin=f"scores.replay_dir={str(run_dir)!r}",
        initial=initial,
    )


def _training(scenario: Scenario, rng: np.random.Generator) -> ScoreSource:
    from simfl.fl.engine import FederatedTraining  # torch: only when training for real

    return FederatedTraining(scenario.fl.to_settings(), rng)


def _replay(scenario: Scenario, rng: np.random.Generator) -> ScoreSource:
    return load_replay(scenario.scores.replay_dir or "", scenario)


# the score-source registry: `scores.source` names one of its keys (the schema takes them
# from here); each entry builds the source from the scenario and the FL stream
SCORE_SOURCES: dict[str, Callable[[Scenario, np.random.Generator], ScoreSource]] = {
    "fl": _training,
    "replay": _replay,
    "synthetic": SyntheticScores,
}


def make_source(scenario: Scenario, rng: np.random.Generator) -> ScoreSource:
    """The score source a scenario asks for, seeded from `rng`; an unknown name is an
    error listing the registered ones."""
    name = scenario.scores.source
    try:
        build = SCORE_SOURCES[name]
    except KeyError:
        raise ScenarioError(
            f"scores.source: got {name!r}; expected one of {', '.join(SCORE_SOURCES)}"
        ) from None
    return build(scenario, rng)
