"""The payout mechanism as pure functions: contribution scores → weights → integer amounts.

DESIGN.md, 'The mechanism', steps 3–4. The federation agent executes what these
functions decide; keeping the decisions pure lets tests pin them without a model.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal, TypeVar

from simfl.market.decay import floor_power

ScheduleKind = Literal["constant", "decaying", "accuracy", "accuracy_gain"]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class PayoutMode:
    """One way of paying contributions out (DESIGN.md, 'The mechanism', step 4).

    The flags are what the federation does in a round; `base_share` is the share of a
    nominal reward budget the mode pays in BASE (the rest is emission valued at the
    genesis price), so modes can be compared at an equal budget on one trajectory.
    """

    name: str
    earns_revenue: bool  # revenue (BASE from outside the economy) arrives in the treasury
    pays_base: bool  # BASE straight to clients, `floor(R_t · w_i)`
    mints: bool  # CST_i minted to clients, `floor(M_t · w_i)`
    buys_back: bool  # revenue buys CST_i from pool i (burned or forwarded)
    base_share: Fraction  # of an equal-budget comparison's budget paid in BASE
    description: str
    params: tuple[str, ...] = ()  # the `market.reward` fields it reads


PAYOUT_MODES: dict[str, PayoutMode] = {
    mode.name: mode
    for mode in (
        PayoutMode(
            "direct",
            *(True, True, False, False, Fraction(1)),
            "BASE to clients (the baseline)",
            ("revenue",),
        ),
        PayoutMode(
            "mint",
            *(False, False, True, False, Fraction(0)),
            "CST_i minted to clients",
            ("emission", "bought_back"),  # bought_back: the treasury's buy-backs
        ),
        PayoutMode(
            "buyback",
            *(True, False, False, True, Fraction(1)),
            "revenue buys CST_i back",
            ("revenue", "bought_back"),
        ),
        PayoutMode(
            "hybrid",
            *(True, False, True, True, Fraction(1, 2)),
            "mint and buy back",
            ("revenue", "emission", "bought_back"),
        ),
    )
}


def lookup(registry: Mapping[str, T], name: str, what: str) -> T:
    """`registry[name]`, or a `ValueError` naming `what` and the allowed keys: an unknown
    name is an error, never a fallback to some default entry."""
    try:
        return registry[name]
    except KeyError:
        raise ValueError(f"unknown {what} {name!r}; expected one of {sorted(registry)}") from None


def payout_mode(name: str) -> PayoutMode:
    """The registered payout mode `name` (`ValueError` if there is none)."""
    return lookup(PAYOUT_MODES, name, "payout mode")


def allocation_weights(
    scores: Sequence[float],
    previous: Sequence[Fraction] | None = None,
    reputation: float = 0.0,
    eligible: Collection[int] | None = None,
) -> list[Fraction]:
    """This round's payout weights: positive parts of the scores, normalised to sum to 1.

    `w_i = max(c_i, 0) / Σ_j max(c_j, 0)`, computed on the scores' exact rational values
    so the weights sum to exactly 1 and payouts `floor(R·w_i)` are exact. With
    `reputation` > 0 the weights are an EMA, `reputation·previous + (1 − reputation)·w`,
    renormalised. Only `eligible` clients (this round's participants; default: all) get
    a weight: an EMA must not pay a client that did not train. All-zero (or all-negative)
    scores give all-zero weights: nothing is allocated that round.

    >>> [float(w) for w in allocation_weights([3.0, -1.0, 1.0])]
    [0.75, 0.0, 0.25]
    """
    allowed = set(range(len(scores))) if eligible is None else set(eligible)
    positive = [
        Fraction(c) if c > 0.0 and i in allowed else Fraction(0) for i, c in enumerate(scores)
    ]
    total = sum(positive, Fraction(0))
    if total == 0:
        return [Fraction(0)] * len(positive)
    current = [c / total for c in positive]
    if previous is None or reputation <= 0.0 or not any(previous):
        return current
    keep = Fraction(reputation)
    blended = [
        keep * Fraction(p) + (1 - keep) * c if i in allowed else Fraction(0)
        for i, (p, c) in enumerate(zip(previous, current))
    ]
    blended_total = sum(blended, Fraction(0))
    return [b / blended_total for b in blended]


def split_amount(total: int, weights: Sequence[Fraction | float]) -> list[int]:
    """Integer shares `floor(total · w_i)` of `total` base units.

    Weights are read as exact rationals (floats via `Fraction(float)`), so the result is
    exact and platform-independent. Weights summing to more than 1 (floats that should
    sum to 1 may, by a hair) are scaled by their exact sum: shares never exceed `total`.
    Rounds down — the dust stays with the payer.

    >>> split_amount(10, [0.5, 0.25, 0.25])
    [5, 2, 2]
    """
    if type(total) is not int or total < 0:
        raise ValueError(f"total must be a non-negative int of base units, got {total!r}")
    exact = [Fraction(w) for w in weights]
    scale = max(Fraction(1), sum(exact, Fraction(0)))
    return [int(total * w / scale) for w in exact]


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
        return floor_power(amount, Fraction(decay), round_number - 1)  # O(1) in the round
    elif kind == "accuracy":
        factor = Fraction(max(accuracy, 0.0))
    elif kind == "accuracy_gain":
        factor = Fraction(max(accuracy - previous_accuracy, 0.0))
    else:
        raise ValueError(f"unknown schedule kind {kind!r}")
    return int(amount * factor)
