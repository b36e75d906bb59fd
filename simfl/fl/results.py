"""What one FL round produces for the market (torch-free, so market-only runs and
replays never import torch)."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class InitialModel:
    """The global model before round 1, evaluated as a round's model is: the step-0 row of
    model.parquet and v(∅) of round 1's game, so round 1's gain is checkable there."""

    accuracy: float  # on the server validation set
    loss: float  # mean cross-entropy on the validation set
    test_accuracy: float  # on the held-out test set
    test_loss: float


# a trajectory recorded without its initial model (no `initial` given): the step-0 row
# then reads accuracy 0 and loss NaN, and round 1's gain counts from accuracy 0
UNEVALUATED = InitialModel(0.0, math.nan, 0.0, math.nan)


@dataclass(frozen=True)
class RoundResult:
    """What one round produced, for the market."""

    round: int  # 1-based
    accuracy: float  # validation accuracy: the global model on the server validation set
    # after aggregation, the set the coalition game scores (v(N) under `utility: accuracy`)
    loss: float  # mean cross-entropy on the validation set
    participants: tuple[int, ...]  # sorted client indices that trained this round
    refused: tuple[int, ...]  # sorted client indices that opted out before sampling
    scores: dict[str, tuple[float, ...]]  # method -> one score per client; others 0.0
    evaluations: dict[str, int]  # method -> coalition utility evaluations (cache hits free)
    test_accuracy: float  # the same model on the held-out test set (never seen by the game)
    test_loss: float  # mean cross-entropy on the test set
