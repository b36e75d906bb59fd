"""CGSV: cosine-gradient Shapley values, reputations and gradient rewards.

Xu, Lyu, Ma, Miao, Foo & Low, "Gradient-Driven Rewards to Guarantee Fairness in
Collaborative Machine Learning", NeurIPS 2021 (Algorithm 1; settings of the authors'
reference code). Each round t:

1. every participant's update is normalised, u_i = Γ Δ_i / (‖Δ_i‖ + 1e-7);
2. the server's aggregate is reputation-weighted, u_N = Σ_i r_i u_i, with the data-size
   shares n_i / Σ n_j as weights in the first round (the reputations start at 0);
3. ψ_i = cos(u_i, u_N) approximates i's Shapley value;
4. r_i <- α r_i + (1 - α) ψ_i (α = 0.95 weighs the past), then clamped at 1e-3 (no
   negative reputations) and normalised to sum to 1;
5. the gradient reward: participant i receives u_N sparsified to its largest-magnitude
   fraction q_i = tanh(β r_i) / max_j tanh(β r_j) of every layer's entries (β: altruism;
   β -> ∞ gives everyone the full aggregate).

`CGSVReputation` holds steps 1-4 (numpy, float64); `reward_fractions` and
`sparsify_by_layer` are step 5. The scorer uses the reputations only (it never changes
training); the `cgsv` server strategy also aggregates with u_N and pays step 5.

Partial participation (the paper has everyone every round): non-participants keep their
reputation; a participant without one yet weighs the clamp floor 1e-3 in u_N; the
normalisation runs over every client that has a reputation.
"""

from __future__ import annotations

import math

import numpy as np

REPUTATION_FLOOR = 1e-3  # clamp: reputations never fall below this (reference code)
NORM_EPS = 1e-7  # added to ‖Δ_i‖ before normalising (reference code)
COS_EPS = 1e-10  # cosine denominator floor (reference code)


def normalised_updates(updates: np.ndarray, gamma: float = 1.0) -> np.ndarray:
    """u_i = Γ Δ_i / (‖Δ_i‖ + 1e-7), row by row; a zero update stays zero."""
    norms = np.linalg.norm(updates, axis=1, keepdims=True)
    return gamma * updates / (norms + NORM_EPS)


def cosines(vectors: np.ndarray, target: np.ndarray) -> np.ndarray:
    """cos(v_i, target) per row, with denominators floored at 1e-10 (zero vectors: 0)."""
    denom = np.maximum(np.linalg.norm(vectors, axis=1) * np.linalg.norm(target), COS_EPS)
    return vectors @ target / denom


class CGSVReputation:
    """Reputations r_i across rounds (steps 1-4 of the module docstring)."""

    def __init__(self, n_clients: int, alpha: float = 0.95, gamma: float = 1.0) -> None:
        self.alpha, self.gamma = alpha, gamma
        self.reputation = np.zeros(n_clients)
        self.known = np.zeros(n_clients, dtype=bool)  # has a reputation yet

    def aggregate_weights(self, participants: list[int], sizes: np.ndarray) -> np.ndarray:
        """Weights of u_N over the participants: their reputations (the floor for
        newcomers), or their data-size shares while nobody has a reputation."""
        if not self.known[participants].any():
            return sizes / sizes.sum()
        return np.where(self.known[participants], self.reputation[participants],
                        REPUTATION_FLOOR)  # fmt: skip

    def step(
        self, participants: list[int], updates: np.ndarray, sizes: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """One round: returns (u_N, ψ) and updates the reputations in place."""
        unit = normalised_updates(updates, self.gamma)
        aggregate = self.aggregate_weights(participants, sizes) @ unit
        psi = cosines(unit, aggregate)
        a = self.alpha
        r = self.reputation
        r[participants] = a * r[participants] + (1 - a) * psi
        self.known[participants] = True
        r[self.known] = np.maximum(r[self.known], REPUTATION_FLOOR)
        r[self.known] /= r[self.known].sum()
        return aggregate, psi


def reward_fractions(reputations: np.ndarray, beta: float) -> np.ndarray:
    """q_i = tanh(β r_i) / max_j tanh(β r_j): the share of the aggregate each gets."""
    t = np.tanh(beta * reputations)
    top = float(t.max())
    return t / top if top > 0 else np.ones_like(t)


def sparsify_by_layer(vector: np.ndarray, fraction: float, layer_sizes: list[int]) -> np.ndarray:
    """Keep, in every layer (consecutive slices of `layer_sizes`), the ceil(fraction x
    size) largest-magnitude entries of `vector` and zero the rest (ties at the threshold
    are kept, as the reference's magnitude mask does)."""
    out = np.zeros_like(vector)
    start = 0
    for size in layer_sizes:
        part = vector[start : start + size]
        keep = math.ceil(size * max(fraction, 0.0))
        if keep > 0:
            threshold = np.sort(np.abs(part))[size - min(keep, size)]
            out[start : start + size] = np.where(np.abs(part) >= threshold, part, 0.0)
        start += size
    return out
