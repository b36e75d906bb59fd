"""Shapley-value estimators for any cooperative game, model-free.

Internally a coalition is a bitmask (bit i set = player i in) and a game answers a batch of
masks at once (`BatchGame.values`), so an FL utility can evaluate many coalition models in
one pass; `CachedGame` memoises values and counts evaluations (distinct coalitions asked
for; cache hits are free). The public `exact_shapley` / `monte_carlo_shapley` /
`truncated_monte_carlo_shapley` / `gtg_shapley` take a plain `value(frozenset) -> float`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Protocol

import numpy as np

from simfl.errors import ContributionError

Value = Callable[[frozenset[int]], float]
BatchValue = Callable[[np.ndarray], np.ndarray]  # int64 masks -> float64 values


class BatchGame(Protocol):
    n_players: int
    evaluations: int

    def values(self, masks: np.ndarray) -> np.ndarray: ...


class CachedGame:
    """A game answering batches of bitmasks from a cache shared with other views.

    `store` maps mask -> value and may be shared by several CachedGame views of the same
    round, so the utility is computed once; each view counts in `evaluations` the distinct
    coalitions *it* asked for, i.e. what the method would have cost on its own.
    """

    def __init__(self, n_players: int, batch_value: BatchValue, store: dict | None = None):
        self.n_players = n_players
        self.batch_value = batch_value
        self.store: dict[int, float] = {} if store is None else store
        self.asked: set[int] = set()

    @property
    def evaluations(self) -> int:
        return len(self.asked)

    def values(self, masks: np.ndarray) -> np.ndarray:
        masks = np.asarray(masks, dtype=np.int64)
        keys = masks.tolist()
        self.asked.update(keys)
        missing = sorted({k for k in keys if k not in self.store})
        if missing:
            computed = self.batch_value(np.asarray(missing, dtype=np.int64))
            self.store.update(zip(missing, np.asarray(computed, dtype=np.float64).tolist()))
        return np.fromiter((self.store[k] for k in keys), dtype=np.float64, count=len(keys))


def game_from_value(n_players: int, value: Value) -> CachedGame:
    """Wrap a scalar frozenset value function as a cached batch game."""

    def batch(masks: np.ndarray) -> np.ndarray:
        return np.array(
            [value(frozenset(i for i in range(n_players) if (m >> i) & 1)) for m in masks.tolist()]
        )

    return CachedGame(n_players, batch)


def _popcount(masks: np.ndarray) -> np.ndarray:
    return np.array([int(m).bit_count() for m in masks.tolist()], dtype=np.int64)


# ---------------------------------------------------------------------------- estimators


def exact_from_game(game: BatchGame) -> np.ndarray:
    """Exact Shapley values (Shapley 1953) from all 2^n coalitions; raises nothing, the
    caller bounds n. Cost: 2^n evaluations."""
    n = game.n_players
    masks = np.arange(1 << n, dtype=np.int64)
    v = game.values(masks)
    sizes = _popcount(masks)
    weight = np.array([1.0 / (n * math.comb(n - 1, s)) for s in range(n)])
    phi = np.zeros(n)
    for i in range(n):
        without = masks[(masks >> i) & 1 == 0]
        phi[i] = float(np.sum(weight[sizes[without]] * (v[without | (1 << i)] - v[without])))
    return phi


def loo_from_game(game: BatchGame) -> np.ndarray:
    """Leave-one-out: v(N) - v(N \\ {i}). Cost: n + 1 evaluations."""
    n = game.n_players
    full = (1 << n) - 1
    v = game.values(np.array([full] + [full ^ (1 << i) for i in range(n)]))
    return v[0] - v[1:]


def _permutation_walk(game: BatchGame, perms: np.ndarray, tolerance: float | None) -> np.ndarray:
    """Marginal contributions along each permutation (rows of `perms`), summed per player.

    All permutations advance one position at a time, so each position is one batched
    request. With `tolerance`, a permutation stops once |v(N) - v(prefix)| < tolerance and
    its remaining players get 0 (Ghorbani & Zou 2019 truncation).
    """
    n = game.n_players
    k = perms.shape[0]
    totals = np.zeros(n)
    prefix = np.zeros(k, dtype=np.int64)
    if tolerance is not None:
        v_empty, v_full = game.values(np.array([0, (1 << n) - 1]))
    else:
        v_empty = game.values(np.array([0]))[0]
    prev = np.full(k, v_empty)
    active = np.ones(k, dtype=bool)
    for pos in range(n):
        if tolerance is not None:
            active &= np.abs(v_full - prev) >= tolerance
        if not active.any():
            break
        rows = np.flatnonzero(active)
        players = perms[rows, pos]
        prefix[rows] |= np.left_shift(1, players).astype(np.int64)
        now = game.values(prefix[rows])
        np.add.at(totals, players, now - prev[rows])
        prev[rows] = now
    return totals


def mc_from_game(
    game: BatchGame, permutations: int, rng: np.random.Generator, antithetic: bool = False
) -> np.ndarray:
    """Permutation-sampling Shapley (Castro et al. 2009): mean marginal contribution over
    `permutations` uniform permutations; with `antithetic`, every second permutation is the
    reverse of the one before (variance reduction). Unbiased. Cost: at most
    permutations x n + 1 evaluations, fewer when prefixes repeat."""
    n = game.n_players
    if permutations < 1:
        raise ValueError(f"permutations={permutations} must be >= 1")
    if antithetic:
        half = rng.permuted(np.tile(np.arange(n), ((permutations + 1) // 2, 1)), axis=1)
        perms = np.empty((2 * len(half), n), dtype=np.int64)
        perms[0::2], perms[1::2] = half, half[:, ::-1]
        perms = perms[:permutations]
    else:
        perms = rng.permuted(np.tile(np.arange(n), (permutations, 1)), axis=1)
    return _permutation_walk(game, perms, None) / permutations


def tmc_from_game(
    game: BatchGame, permutations: int, rng: np.random.Generator, tolerance: float
) -> np.ndarray:
    """Truncated Monte-Carlo Shapley (Ghorbani & Zou, ICML 2019): permutation sampling that
    stops a permutation once the prefix's value is within `tolerance` (absolute, in utility
    units) of v(N). Biased by at most the truncated marginals; assumes later marginals are
    small. Cost: at most permutations x n + 2 evaluations."""
    n = game.n_players
    if permutations < 1:
        raise ValueError(f"permutations={permutations} must be >= 1")
    perms = rng.permuted(np.tile(np.arange(n), (permutations, 1)), axis=1)
    return _permutation_walk(game, perms, tolerance) / permutations


def gtg_from_game(
    game: BatchGame,
    rng: np.random.Generator,
    max_permutations: int,
    within_tolerance: float,
    between_tolerance: float,
    convergence: float,
) -> np.ndarray:
    """GTG-Shapley (Liu et al., ACM TIST 2022), on one round's game.

    Between-round truncation: if |v(N) - v(∅)| < `between_tolerance`, every value is 0
    (2 evaluations). Otherwise guided permutations, in groups of n: the k-th permutation
    puts player k mod n first and the rest in random order; within-round truncation as in
    TMC; after each group from the second on, stop when the mean relative change of the
    running estimate is below `convergence`, or at `max_permutations`. Cost: at most
    max_permutations x n + 2 evaluations.
    """
    n = game.n_players
    v_empty, v_full = game.values(np.array([0, (1 << n) - 1]))
    if abs(v_full - v_empty) < between_tolerance:
        return np.zeros(n)
    totals = np.zeros(n)
    done = 0
    estimate = np.zeros(n)
    while done < max_permutations:
        size = min(n, max_permutations - done)
        firsts = (np.arange(size) + done) % n
        perms = np.empty((size, n), dtype=np.int64)
        for row, first in enumerate(firsts):
            rest = np.delete(np.arange(n), first)
            perms[row, 0], perms[row, 1:] = first, rng.permutation(rest)
        totals += _permutation_walk(game, perms, within_tolerance)
        done += size
        previous, estimate = estimate, totals / done
        if done > n:
            change = np.abs(estimate - previous) / np.maximum(np.abs(estimate), 1e-12)
            if float(change.mean()) < convergence:
                break
    return estimate


# ---------------------------------------------------------------------------- public API


def exact_shapley(n_players: int, value: Value, max_players: int = 20) -> list[float]:
    """Exact Shapley values φ_i = Σ_{S ⊆ N\\{i}} |S|!(n-|S|-1)!/n! (v(S ∪ {i}) - v(S))
    (Shapley 1953). Cost: 2^n evaluations of `value` (each coalition once, v(∅) included).
    Assumes nothing of the game; refuses n > `max_players` with ContributionError.

    >>> exact_shapley(2, lambda s: float(len(s) == 2))
    [0.5, 0.5]
    """
    if n_players > max_players:
        raise ContributionError(
            f"exact_shapley with {n_players} players needs 2^{n_players} evaluations; "
            f"refused above max_players={max_players}: use monte_carlo_shapley"
        )
    return exact_from_game(game_from_value(n_players, value)).tolist()


def monte_carlo_shapley(
    n_players: int,
    value: Value,
    permutations: int,
    rng: np.random.Generator,
    antithetic: bool = False,
) -> list[float]:
    """Permutation-sampling estimate of the Shapley values (Castro, Gómez & Tejada 2009):
    the mean over `permutations` random orders of each player's marginal contribution to
    the players before it. Unbiased; error O(1/sqrt(permutations)). `antithetic` pairs each
    order with its reverse. Cost: at most permutations x n + 1 distinct evaluations.
    """
    return mc_from_game(game_from_value(n_players, value), permutations, rng, antithetic).tolist()


def truncated_monte_carlo_shapley(
    n_players: int, value: Value, permutations: int, rng: np.random.Generator, tolerance: float
) -> list[float]:
    """TMC-Shapley (Ghorbani & Zou 2019); see `tmc_from_game`. Cost ≤ permutations x n + 2."""
    return tmc_from_game(game_from_value(n_players, value), permutations, rng, tolerance).tolist()


def gtg_shapley(
    n_players: int,
    value: Value,
    rng: np.random.Generator,
    max_permutations: int = 30,
    within_tolerance: float = 0.0,
    between_tolerance: float = 0.0,
    convergence: float = 0.0,
) -> list[float]:
    """GTG-Shapley (Liu et al. 2022); see `gtg_from_game`. Cost ≤ max_permutations x n + 2."""
    game = game_from_value(n_players, value)
    return gtg_from_game(
        game, rng, max_permutations, within_tolerance, between_tolerance, convergence
    ).tolist()
