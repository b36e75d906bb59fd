"""Server aggregation rules, as a registry, each able to answer for any coalition.

Every rule maps (global vector w, stacked updates U (m x P), claimed sample sizes n) to
the next global vector; `simfl.fl.rules` is the registry that builds them by name. Two
entry points per rule:

- `__call__(w, U, n)`: the server's real step; stateful rules (FedAvgM, FedAdam) advance
  their state.
- `coalition_models(w, U, n, members)`: for k non-empty coalitions (`members`, k x m
  bool), the model the server *would* have produced from those updates alone, from its
  state as it was before this round; the state is not touched. This is the coalition
  game of DESIGN.md ("the server's real game"). `__call__` goes through the same code
  with every member in, so v(N) is the real next model.

`linear_form(w)` returns `(offset, scale)` when every non-empty coalition's model is
`offset + scale · Σ_i a_i(S) Δ_i` with FedAvg weights a_i(S) = n_i / Σ_{j∈S} n_j (FedAvg,
FedProx, FedAvgM), so the game can use its batched pre-activation path; else None.
The empty coalition is never asked for: its model is the previous global model w.

Robust rules (median, trimmed mean, Krum) ignore sizes, as published, and on a coalition
too small for their guarantees apply the same rule to the members they have (stated per
class): the server would do exactly that had only those clients reported.
"""

from __future__ import annotations

from typing import Protocol

import torch

from simfl.errors import UserError


def coalition_weights(members: torch.Tensor, sizes: torch.Tensor) -> torch.Tensor:
    """(k x m) FedAvg weights a_i(S) = n_i / Σ_{j∈S} n_j; zero for non-members (and a zero
    row for an empty coalition)."""
    w = members.to(torch.float32) * sizes.to(torch.float32)
    total = w.sum(dim=1, keepdim=True)
    return w / torch.where(total > 0, total, torch.ones_like(total))


def coalition_mix(weights: torch.Tensor, updates: torch.Tensor) -> torch.Tensor:
    """(k x P) weights @ updates, each row the same alone or in any batch: float32 matmul
    rounds a row differently with the batch's size and the row's place in it, so a
    coalition's model (and value) would depend on which coalitions an estimator asked for
    with it. The product runs in float64 (measured batch-invariant on one thread) and
    rounds to float32 once."""
    return (weights.double() @ updates.double()).to(updates.dtype)


def _everyone(updates: torch.Tensor) -> torch.Tensor:
    return torch.ones(1, updates.shape[0], dtype=torch.bool)


class Aggregator(Protocol):
    """A server rule; see the module docstring."""

    def __call__(
        self, global_params: torch.Tensor, updates: torch.Tensor, sizes: torch.Tensor
    ) -> torch.Tensor: ...

    def coalition_models(
        self,
        global_params: torch.Tensor,
        updates: torch.Tensor,
        sizes: torch.Tensor,
        members: torch.Tensor,
    ) -> torch.Tensor: ...

    def linear_form(self, global_params: torch.Tensor) -> tuple[torch.Tensor, float] | None: ...


class FedAvg:
    """FedAvg (McMahan et al. 2017): w + Σ (n_i / Σ n) Δ_i. Stateless, linear."""

    def __call__(self, global_params, updates, sizes):
        return global_params + (coalition_weights(_everyone(updates), sizes) @ updates)[0]

    def coalition_models(self, global_params, updates, sizes, members):
        return global_params + coalition_mix(coalition_weights(members, sizes), updates)

    def linear_form(self, global_params):
        return global_params, 1.0


class FedAvgM:
    """FedAvg with server momentum (Hsu et al. 2019): v = β v + Δ_avg; w += η v (the first
    round's v is Δ_avg). A coalition's model is w + η (β v_prev + Δ_avg(S)): linear in
    the updates with offset w + η β v_prev."""

    def __init__(self, server_lr: float, momentum: float) -> None:
        self.server_lr, self.momentum = server_lr, momentum
        self.velocity: torch.Tensor | None = None

    def _velocities(self, delta: torch.Tensor) -> torch.Tensor:
        return delta if self.velocity is None else self.momentum * self.velocity + delta

    def __call__(self, global_params, updates, sizes):
        delta = coalition_weights(_everyone(updates), sizes) @ updates
        self.velocity = self._velocities(delta)[0]
        return global_params + self.server_lr * self.velocity

    def coalition_models(self, global_params, updates, sizes, members):
        delta = coalition_mix(coalition_weights(members, sizes), updates)
        return global_params + self.server_lr * self._velocities(delta)

    def linear_form(self, global_params):
        if self.velocity is None:
            return global_params, self.server_lr
        return global_params + self.server_lr * self.momentum * self.velocity, self.server_lr


class FedAdam:
    """FedAdam (Reddi et al., ICLR 2021, Algorithm 2): Adam on the pseudo-gradient Δ_avg,
    no bias correction: m = β1 m + (1-β1) Δ; v = β2 v + (1-β2) Δ²; w += η m / (√v + τ);
    m and v start at 0. Not linear in the updates (v and the division), so the game
    builds each coalition's model from the moments as they were before the round."""

    def __init__(self, server_lr: float, beta1: float, beta2: float, tau: float) -> None:
        self.server_lr, self.beta1, self.beta2, self.tau = server_lr, beta1, beta2, tau
        self.m: torch.Tensor | None = None
        self.v: torch.Tensor | None = None

    def _moments(self, delta: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        m = (1 - self.beta1) * delta
        v = (1 - self.beta2) * delta * delta
        if self.m is not None and self.v is not None:
            m, v = self.beta1 * self.m + m, self.beta2 * self.v + v
        return m, v

    def _models(self, global_params, m, v):
        return global_params + self.server_lr * m / (v.sqrt() + self.tau)

    def __call__(self, global_params, updates, sizes):
        m, v = self._moments(coalition_weights(_everyone(updates), sizes) @ updates)
        self.m, self.v = m[0], v[0]
        return self._models(global_params, self.m, self.v)

    def coalition_models(self, global_params, updates, sizes, members):
        m, v = self._moments(coalition_mix(coalition_weights(members, sizes), updates))
        return self._models(global_params, m, v)

    def linear_form(self, global_params):
        return None


def _sorted_members(updates: torch.Tensor, members: torch.Tensor) -> torch.Tensor:
    """(k x P x m) each coalition's updates sorted per coordinate, non-members last (+inf).
    Sorted along the last, contiguous axis (measured 1.8x faster than along the middle)."""
    inf = torch.tensor(float("inf"), dtype=updates.dtype)
    masked = torch.where(members[:, None, :], updates.T.contiguous()[None], inf)
    return masked.sort(dim=2).values


class Median:
    """Coordinate-wise median of the updates, unweighted (Yin et al. 2018). An even count
    averages the two middle values (the lower and the upper median); one member is
    returned as is. Sizes are ignored."""

    def __call__(self, global_params, updates, sizes):
        return self.coalition_models(global_params, updates, sizes, _everyone(updates))[0]

    def coalition_models(self, global_params, updates, sizes, members):
        ordered = _sorted_members(updates, members)
        count = members.sum(dim=1)
        lower = ((count - 1) // 2)[:, None, None].expand(-1, updates.shape[1], 1)
        upper = (count // 2)[:, None, None].expand(-1, updates.shape[1], 1)
        middle = ordered.gather(2, lower) + ordered.gather(2, upper)
        return global_params + 0.5 * middle[:, :, 0]

    def linear_form(self, global_params):
        return None


class TrimmedMean:
    """Coordinate-wise mean after cutting floor(fraction x c) values at each end of a
    coalition's c updates (Yin et al. 2018); unweighted. If that would cut everything the
    median-most value(s) remain (cut = min(floor(fraction x c), (c - 1) // 2)), so a
    coalition of one or two is its plain mean."""

    def __init__(self, fraction: float) -> None:
        if not 0 <= fraction < 0.5:
            raise UserError(f"trim_fraction={fraction} must be in [0, 0.5)")
        self.fraction = fraction

    def __call__(self, global_params, updates, sizes):
        return self.coalition_models(global_params, updates, sizes, _everyone(updates))[0]

    def coalition_models(self, global_params, updates, sizes, members):
        ordered = _sorted_members(updates, members)
        count = members.sum(dim=1)
        cut = torch.minimum((self.fraction * count).floor().long(), (count - 1) // 2)
        pos = torch.arange(updates.shape[0])[None]
        keep = (pos >= cut[:, None]) & (pos < (count - cut)[:, None])  # (k x m)
        kept = torch.where(keep[:, None, :], ordered, torch.zeros(()))
        return global_params + kept.sum(dim=2) / keep.sum(dim=1, keepdim=True)

    def linear_form(self, global_params):
        return None


class Krum:
    """Krum (Blanchard et al. 2017): score each update by its summed squared distance to
    its c - f - 2 nearest other members; keep the best-scored one (`keep` = 1, Krum) or
    average the `keep` best, unweighted (Multi-Krum, the paper's Section 5; `keep` = None:
    m = c - f, at least 1). Krum's guarantee needs c > 2f + 2; a smaller coalition uses
    max(c - f - 2, 1) neighbours (at most c - 1), and a coalition of one keeps its only
    update; a coalition of fewer than `keep` averages all. Ties go to the lowest client
    index. Sizes are ignored."""

    def __init__(self, byzantine: int, keep: int | None = 1) -> None:
        self.byzantine = byzantine
        self.keep = keep

    def __call__(self, global_params, updates, sizes):
        return self.coalition_models(global_params, updates, sizes, _everyone(updates))[0]

    def coalition_models(self, global_params, updates, sizes, members):
        m = updates.shape[0]
        dist = torch.cdist(updates[None], updates[None])[0] ** 2  # (m x m)
        inf = torch.tensor(float("inf"), dtype=dist.dtype)
        pair = members[:, None, :] & ~torch.eye(m, dtype=torch.bool)[None]  # (k x i x j)
        ordered = torch.where(pair, dist[None], inf).sort(dim=2).values
        count = members.sum(dim=1)
        neighbours = torch.clamp(count - self.byzantine - 2, min=1)
        neighbours = torch.minimum(neighbours, torch.clamp(count - 1, min=1))
        take = torch.arange(m)[None, None] < neighbours[:, None, None]
        scores = torch.where(take, ordered, torch.zeros(())).sum(dim=2)
        scores = torch.where(count[:, None] == 1, torch.zeros(()), scores)
        scores = torch.where(members, scores, inf)
        if self.keep is None:
            kept = torch.clamp(count - self.byzantine, min=1)
        else:
            kept = torch.clamp(count, max=self.keep)
        rank = torch.empty_like(scores, dtype=torch.long)
        order = scores.argsort(dim=1, stable=True)  # ties: the lowest client index first
        rank.scatter_(1, order, torch.arange(m).expand_as(order).contiguous())
        chosen = (rank < kept[:, None]).to(updates.dtype)
        return global_params + coalition_mix(chosen / kept[:, None].to(updates.dtype), updates)

    def linear_form(self, global_params):
        return None
