"""KernelSHAP: Shapley values as a constrained weighted least-squares fit, on a budget.

The Shapley values are the solution of

    min_φ Σ_{∅ ≠ S ≠ N} k(S) (v(S) - v(∅) - Σ_{i∈S} φ_i)²   s.t.   Σ_i φ_i = v(N) - v(∅)

with the Shapley kernel k(S) = (n - 1) / (C(n, |S|) |S| (n - |S|)) (Lundberg & Lee, "A
Unified Approach to Interpreting Model Predictions", NeurIPS 2017). With a budget of
coalition evaluations, `kernel_from_game` fits it on a subset of coalitions chosen as the
SHAP library does and as "Improving KernelSHAP" (Covert & Lee, AISTATS 2021) recommends:

1. coalition sizes come in complementary pairs (s, n - s), smallest first (they carry the
   most kernel weight and hold the fewest coalitions); a pair whose share of the
   remaining budget covers all its coalitions is enumerated, each coalition with its exact
   kernel weight;
2. the rest of the budget samples coalitions from the remaining sizes with probability
   proportional to the kernel, *paired*: each sampled S comes with its complement N \\ S
   (paired sampling, Covert & Lee's variance reduction); each sample gets an equal share
   of the remaining kernel mass.

With a budget of 2^n evaluations every size is enumerated and the fit is exact Shapley.
The budget counts distinct coalitions, ∅ and N included, like every other estimator here.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable

import numpy as np

from simfl.errors import ContributionError
from simfl.fl.shapley import BatchGame, game_from_value

MAX_DRAWS_PER_COALITION = 20  # sampling gives up after 20 x budget draws (duplicates)


def shapley_kernel(n: int, size: int) -> float:
    """Kernel weight of one coalition of `size` players among n (0 < size < n)."""
    return (n - 1) / (math.comb(n, size) * size * (n - size))


def _size_masks(n: int, size: int) -> np.ndarray:
    """Every coalition of `size` players, as bitmasks (C(n, size) of them)."""
    return np.array(
        [sum(1 << i for i in members) for members in itertools.combinations(range(n), size)],
        dtype=np.int64,
    )


def _solve(n: int, masks: np.ndarray, weights: np.ndarray, gains: np.ndarray, total: float):
    """Weighted least squares of `gains` on coalition indicators, with Σ φ = `total`
    (KKT system; lstsq copes with a rank-deficient design on a tiny budget)."""
    z = ((masks[:, None] >> np.arange(n)) & 1).astype(np.float64)
    zw = z * weights[:, None]
    kkt = np.zeros((n + 1, n + 1))
    kkt[:n, :n] = 2.0 * zw.T @ z
    kkt[:n, n] = kkt[n, :n] = 1.0
    rhs = np.concatenate([2.0 * zw.T @ gains, [total]])
    return np.linalg.lstsq(kkt, rhs, rcond=None)[0][:n]


def kernel_from_game(game: BatchGame, budget: int, rng: np.random.Generator) -> np.ndarray:
    """KernelSHAP with exhaustive small sizes and paired sampling (see the module
    docstring). `budget` is the number of distinct coalitions evaluated, ∅ and N included;
    at least n + 2 are needed. Consistent, not unbiased; exact at budget >= 2^n. Cost:
    `budget` evaluations (fewer if sampling keeps drawing duplicates).
    """
    n = game.n_players
    if budget < n + 2:
        raise ContributionError(
            f"kernelshap: budget={budget} coalitions is below n + 2 = {n + 2} for {n} players"
        )
    v_empty, v_full = game.values(np.array([0, (1 << n) - 1]))
    if n == 1:
        return np.array([v_full - v_empty])
    left = min(budget, 2**n) - 2
    mass = {s: shapley_kernel(n, s) * math.comb(n, s) for s in range(1, n)}
    chosen: list[np.ndarray] = []
    weights: list[np.ndarray] = []
    remaining = list(range(1, n))
    for s in range(1, n // 2 + 1):
        pair = [s] if s == n - s else [s, n - s]
        count = sum(math.comb(n, t) for t in pair)
        share = sum(mass[t] for t in pair) / sum(mass[t] for t in remaining)
        if left * share < count - 1e-9:
            break
        for t in pair:
            masks = _size_masks(n, t)
            chosen.append(masks)
            weights.append(np.full(len(masks), shapley_kernel(n, t)))
            remaining.remove(t)
        left -= count
    if remaining and left > 0:
        sizes = np.array(remaining)
        p = np.array([mass[t] for t in remaining])
        rest_mass = float(p.sum())
        drawn: list[int] = []
        seen: set[int] = set()
        for _ in range(MAX_DRAWS_PER_COALITION * budget):
            if len(seen) >= left:
                break
            size = int(rng.choice(sizes, p=p / rest_mass))
            members = rng.choice(n, size=size, replace=False)
            mask = int(np.bitwise_or.reduce(np.left_shift(1, members)))
            partner = ((1 << n) - 1) ^ mask
            for m in (mask, partner) if len(seen) + 1 < left else (mask,):
                drawn.append(m)
                seen.add(m)
        sampled = np.array(drawn, dtype=np.int64)
        chosen.append(sampled)
        weights.append(np.full(len(sampled), rest_mass / len(sampled)))
    masks = np.concatenate(chosen)
    gains = game.values(masks) - v_empty
    return _solve(n, masks, np.concatenate(weights), gains, v_full - v_empty)


def kernel_shapley(
    n_players: int, value: Callable[[frozenset[int]], float], budget: int, rng: np.random.Generator
) -> list[float]:
    """KernelSHAP on a plain `value(frozenset) -> float`; see `kernel_from_game`.

    >>> phi = kernel_shapley(2, lambda s: float(len(s) == 2), 4, np.random.default_rng(0))
    >>> [round(v, 9) for v in phi]
    [0.5, 0.5]
    """
    return kernel_from_game(game_from_value(n_players, value), budget, rng).tolist()
