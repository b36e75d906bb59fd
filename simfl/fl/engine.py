"""The FL engine's entry point: one call to `FederatedTraining.run_round` = one FL round.

A round, in order:
1. sample participants from the willing clients (those not refused);
2. each participant forms its update (local training, then its behaviour);
3. the server aggregates the stacked updates into the next global model;
4. every configured contribution method scores the participants;
5. the new global model is evaluated on the server validation set (the game's) and on
   the held-out test set (reported only).

All randomness comes from the `numpy.random.Generator` given at construction, split into
independent child streams (`Generator.spawn`): setup (data split, partition, labels, the
initial model), client sampling, local training and behaviours, and contribution scoring.
Adding, removing or reordering contribution methods therefore changes no training number;
the same settings and seed give identical results.

The coalition game of step 4 is the server's real game (`simfl.fl.game`): the
aggregator's state as it was before the round is copied before the real step advances it.
"""

from __future__ import annotations

import contextlib
import copy
import math
from collections.abc import Collection, Iterator

import numpy as np
import torch
from torch.nn.utils import parameters_to_vector

from simfl.errors import ContributionError, TrainingDiverged, UserError
from simfl.fl.aggregators import Aggregator
from simfl.fl.behaviours import SubmitContext, make_behaviour
from simfl.fl.cgsv_server import CGSVServer
from simfl.fl.contribution import GAME_METHODS, ContributionScorer
from simfl.fl.datasets import load_dataset
from simfl.fl.game import RoundGame, UtilityEvaluator
from simfl.fl.methods import cgsv_alpha_problem
from simfl.fl.models import build_model
from simfl.fl.partition import client_indices
from simfl.fl.results import InitialModel, RoundResult
from simfl.fl.rules import make_aggregator
from simfl.fl.settings import BehaviourSettings, FLSettings
from simfl.fl.streams import engine_streams
from simfl.fl.training import evaluate, local_train


def _seed(rng: np.random.Generator) -> torch.Generator:
    return torch.Generator().manual_seed(int(rng.integers(2**63)))


@contextlib.contextmanager
def one_thread() -> Iterator[None]:
    """Run torch on one intra-op thread, restoring the caller's setting afterwards.

    Float reductions split over threads round differently with the thread count, so results
    would depend on the host's cores; on one thread they do not (measured: 2 threads are
    deterministic run to run but differ from 1 thread). The models are small, so one thread
    is also as fast on a shared 2-core machine (14 ms vs 17 ms per digits round).
    """
    before = torch.get_num_threads()
    if before != 1:
        torch.set_num_threads(1)
    try:
        yield
    finally:
        if before != 1:
            torch.set_num_threads(before)


class FederatedTraining:
    """A federation of `settings.clients` clients around one global model."""

    def __init__(self, settings: FLSettings, rng: np.random.Generator) -> None:
        self.settings = settings
        setup, self._sampling_rng, self._train_rng, self._score_rng = engine_streams(rng)
        n = settings.clients
        bad = sorted(i for i in settings.behaviours if not 0 <= i < n)
        if bad:
            raise UserError(f"behaviours name client(s) {bad} but clients={n} (0..{n - 1})")
        alpha_problem = cgsv_alpha_problem(settings.strategy, settings.contribution)
        if alpha_problem:
            raise ContributionError(alpha_problem)
        self._scorer = ContributionScorer(settings.contribution, n)
        rng = setup
        data = load_dataset(settings, rng)
        parts = client_indices(data.y_train, data.client_of, n, settings.partition, rng)
        self._behaviours = [make_behaviour(settings.behaviours.get(i, BehaviourSettings()))
                            for i in range(n)]  # fmt: skip
        self._x, self._y = [], []
        for behaviour, idx in zip(self._behaviours, parts):
            labels = behaviour.labels(data.y_train[idx], data.num_classes, rng)
            self._x.append(torch.from_numpy(data.x_train[idx].reshape(len(idx), -1)))
            self._y.append(torch.from_numpy(np.ascontiguousarray(labels)))
        self._x_val = torch.from_numpy(data.x_val.reshape(len(data.y_val), -1))
        self._y_val = torch.from_numpy(data.y_val)
        self._x_test = torch.from_numpy(data.x_test.reshape(len(data.y_test), -1))
        self._y_test = torch.from_numpy(data.y_test)
        self._model = build_model(
            settings.model, data.input_shape, data.num_classes, settings.hidden, _seed(rng)
        )
        self._global = parameters_to_vector(self._model.parameters()).detach().clone()
        self._initial = self._global.clone()
        self._validation = evaluate(self._model, self._global, self._x_val, self._y_val)
        self.initial = InitialModel(
            *self._validation, *evaluate(self._model, self._global, self._x_test, self._y_test)
        )
        self._aggregator = make_aggregator(settings.strategy)
        self._mu = settings.strategy.proximal_mu if settings.strategy.name == "fedprox" else 0.0
        self._game_methods = [m for m in settings.contribution.methods if m in GAME_METHODS]
        self._accumulated = torch.zeros(n, self._global.numel()) if (
            self._game_methods and settings.contribution.mode == "OR") else None  # fmt: skip
        self._ever: set[int] = set()
        self._last_change: torch.Tensor | None = None
        self._round = 0
        self.n_clients = n
        self.client_sizes = tuple(len(p) for p in parts)  # what each client really holds
        # what each claims (the server cannot count): aggregation, game and `size` use it
        self.claimed_sizes = tuple(
            round(b.settings.claim_factor * len(p)) for b, p in zip(self._behaviours, parts)
        )
        self.behaviours = tuple(b.settings.kind for b in self._behaviours)
        self.num_classes = data.num_classes

    @property
    def validation(self) -> tuple[float, float]:
        """(accuracy, mean cross-entropy) of the current global model on the server
        validation set: before round 1, the initial model's."""
        return self._validation

    @property
    def global_params(self) -> torch.Tensor:
        """The current global model as a flat vector (a copy)."""
        return self._global.clone()

    def sample(self, willing: list[int]) -> tuple[int, ...]:
        """max(min_clients, ceil(fraction x willing)) clients drawn without replacement,
        capped at the number willing."""
        if not willing:
            return ()
        s = self.settings.sampling
        k = min(len(willing), max(s.min_clients, math.ceil(s.fraction * len(willing))))
        chosen = self._sampling_rng.choice(willing, size=k, replace=False)
        return tuple(sorted(int(i) for i in chosen))

    def run_round(self, refused: Collection[int] = ()) -> RoundResult:
        """Run the next round; clients in `refused` neither train nor score."""
        with one_thread():
            return self._run_round(refused)

    def _run_round(self, refused: Collection[int]) -> RoundResult:
        n = self.n_clients
        refused_ids = tuple(sorted({int(i) for i in refused}))
        if any(not 0 <= i < n for i in refused_ids):
            raise UserError(f"refused clients {list(refused_ids)} outside 0..{n - 1}")
        self._round += 1
        rnd, rng = self._round, self._train_rng
        participants = self.sample([i for i in range(n) if i not in set(refused_ids)])
        start = self._global
        personal = isinstance(self._aggregator, CGSVServer)  # clients keep their own models
        if personal:
            layers = [p.numel() for p in self._model.parameters()]
            self._aggregator.begin_round(participants, n, start, layers)

        # 2. local training, then behaviours (each sees only the models it received)
        trained: dict[int, torch.Tensor | None] = {}
        for i in participants:
            gen = _seed(rng)
            trained[i] = (
                local_train(self._model, self._aggregator.client_model(i) if personal else start,
                            self._x[i], self._y[i], self.settings.local, gen, self._mu)
                if self._behaviours[i].trains(rnd) else None
            )  # fmt: skip
        ctx_gen = _seed(rng) if participants else None
        zero = torch.zeros_like(start)
        updates_list = [
            self._behaviours[i].submit(
                trained[i],
                SubmitContext(rnd, zero, self._last_change, ctx_gen),
            )
            for i in participants
        ]
        sizes = np.array([self.claimed_sizes[i] for i in participants], dtype=np.float64)

        # 3. aggregation (the rule's pre-round state is kept for MR's game, the one reader)
        game_reads_rule = bool(self._game_methods) and self._accumulated is None
        before = copy.deepcopy(self._aggregator) if game_reads_rule else self._aggregator
        if participants:
            updates = torch.stack(updates_list)
            new_global = self._aggregator(start, updates, torch.from_numpy(sizes))
        else:
            updates = torch.zeros(0, start.numel())
            new_global = start
        previous = self._validation
        self._validation = evaluate(self._model, new_global, self._x_val, self._y_val)
        self._check_finite(rnd, participants, updates, self._validation[1])

        # 4. contribution
        game = (
            self._round_game(participants, updates, start, before, previous)
            if participants
            else None
        )
        scores, evaluations = self._scorer.score(
            participants, sizes, updates, game, self._score_rng
        )

        # 5. evaluation
        if participants:
            self._last_change = new_global - start
        self._global = new_global
        accuracy, loss = self._validation
        test_accuracy, test_loss = evaluate(self._model, new_global, self._x_test, self._y_test)
        return RoundResult(
            rnd, accuracy, loss, participants, refused_ids, scores, evaluations,
            test_accuracy, test_loss,
        )  # fmt: skip

    def _check_finite(
        self, rnd: int, participants: tuple[int, ...], updates: torch.Tensor, loss: float
    ) -> None:
        """Stop the run (TrainingDiverged) on a non-finite update or validation loss, before
        anything is scored or paid."""
        bad = [i for i, u in zip(participants, updates) if not bool(torch.isfinite(u).all())]
        if not bad and math.isfinite(loss):
            return
        local, strategy = self.settings.local, self.settings.strategy
        what = (
            f"client(s) {bad} sent non-finite updates"
            if bad
            else "the aggregated model is non-finite"
        )
        scaled = "".join(  # behaviours multiplying their update: the likelier cause
            f"fl.behaviours.{i}.scale (now {b.scale:g}), "
            for i, b in sorted(self.settings.behaviours.items())
            if b.kind in ("sign_flip", "scaled")
        )
        raise TrainingDiverged(
            f"training diverged in round {rnd}: the validation loss is {loss} ({what}); "
            f"lower {scaled}fl.local.lr (now {local.lr}) or fl.local.epochs (now {local.epochs})"
            + (
                f", or fl.strategy.server_lr (now {strategy.server_lr})"
                if strategy.name in ("fedavgm", "fedadam")
                else ""
            )
        )

    def _round_game(
        self,
        participants: tuple[int, ...],
        updates: torch.Tensor,
        start: torch.Tensor,
        rule: Aggregator,
        previous: tuple[float, float],
    ) -> RoundGame | None:
        """MR: the server's real game of this round, v(∅) and v(N) taken from the reported
        validation numbers (same code path, so Σφ is the reported gain to the last bit).
        OR: FedAvg reconstruction from w_0 with every client's accumulated updates."""
        if not self._game_methods:
            return None
        utility = self.settings.contribution.utility
        store: dict[int, float] = {}
        if self._accumulated is None:  # MR
            players, base, game_updates, aggregator = participants, start, updates, rule
            pick = 0 if utility == "accuracy" else 1
            sign = 1.0 if utility == "accuracy" else -1.0
            store[0] = sign * previous[pick]
            store[(1 << len(players)) - 1] = sign * self._validation[pick]
        else:  # OR: accumulated updates of every client seen so far, from w_0
            self._accumulated[list(participants)] += updates
            self._ever.update(participants)
            players = tuple(sorted(self._ever))
            base, game_updates = self._initial, self._accumulated[list(players)]
            aggregator = None
        sizes = torch.tensor([self.claimed_sizes[i] for i in players], dtype=torch.float32)
        evaluator = UtilityEvaluator(
            self._model, base, game_updates, sizes, self._x_val, self._y_val, utility,
            aggregator=aggregator,
        )  # fmt: skip
        return RoundGame(players, store, evaluator)
