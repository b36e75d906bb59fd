"""The payout mechanism as pure functions: contribution scores → weights → integer amounts.

DESIGN.md, 'The mechanism', steps 3–4. The federation agent executes what these
functions decide; keeping the decisions pure lets tests pin them without a model.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from typing import Literal

ScheduleKind = Literal["constant", "decaying", "accuracy", "accuracy_gain"]


def allocation_weights(
    scores: Sequence[float],
    previous: Sequence[float] | None = None,
    reputation: float = 0.0,
) -> list[float]:
    """This round's payout weights: positive parts of the scores, normalised to sum to 1.

    `w_i = max(c_i, 0) / Σ_j max(c_j, 0)`; with `reputation` > 0 the weights are an EMA,
    `reputation·previous + (1 − reputation)·w`, renormalised. All-zero (or all-negative)
    scores give all-zero weights: nothing is allocated that round, and an EMA then keeps
    the previous weights only if there were any.

    >>> allocation_weights([3.0, -1.0, 1.0])
    [0.75, 0.0, 0.25]
    """
    positive = [c if c > 0.0 else 0.0 for c in scores]
    total = sum(positive)
    current = [c / total for c in positive] if total > 0.0 else [0.0] * len(positive)
    if previous is None or reputation <= 0.0 or not any(previous):
        return current
    if total <= 0.0:
        return [0.0] * len(positive)
    blended = [reputation * p + (1.0 - reputation) * c for p, c in zip(previous, current)]
    blended_total = sum(blended)
    return [b / blended_total for b in blended]


def split_amount(total: int, weights: Sequence[float]) -> list[int]:
    """Integer shares `floor(total · w_i)` of `total` base units.

    Weights are read as exact rationals (`Fraction(float)`), so the result is exact and
    platform-independent. Rounds down — the dust stays with the payer.

    >>> split_amount(10, [0.5, 0.25, 0.25])
    [5, 2, 2]
    """
    if type(total) is not int or total < 0:
        raise ValueError(f"total must be a non-negative int of base units, got {total!r}")
    return [(total * Fraction(w).numerator) // Fraction(w).denominator for w in weights]


def scheduled_amount(
    kind: ScheduleKind,
    amount: int,
    decay: float,
    round_number: int,
    accuracy: float,
    previous_accuracy: float,
) -> int:
    """Base units a schedule pays in round `round_number` (1-based), from `amount` base units.

    - constant: `amount`;
    - decaying: `amount · decay^(t−1)`;
    - accuracy: `amount · accuracy` (revenue proportional to the model's quality);
    - accuracy_gain: `amount · max(accuracy − previous_accuracy, 0)`.

    Floats are read as exact rationals. Rounds down — the payer keeps the dust.

    >>> scheduled_amount("decaying", 1000, 0.5, 3, 0.0, 0.0)
    250
    """
    if kind == "constant":
        factor = Fraction(1)
    elif kind == "decaying":
        factor = Fraction(decay) ** (round_number - 1)
    elif kind == "accuracy":
        factor = Fraction(max(accuracy, 0.0))
    elif kind == "accuracy_gain":
        factor = Fraction(max(accuracy - previous_accuracy, 0.0))
    else:
        raise ValueError(f"unknown schedule kind {kind!r}")
    return int(amount * factor)
