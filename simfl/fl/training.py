"""Local training and server aggregation on flat parameter vectors.

A client update is `Δ = w_local - w_global` as one flat float32 vector
(`torch.nn.utils.parameters_to_vector` order); a round's updates are stacked in one
(clients x parameters) tensor. Aggregators map (global vector, stacked updates, sample
sizes) to the next global vector; the stateful ones (FedAvgM, FedAdam) keep their server
optimiser state between rounds.
"""

from __future__ import annotations

from typing import Protocol

import torch
from torch import nn
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from simfl.errors import UserError
from simfl.fl.settings import LocalSettings, StrategySettings


def local_train(
    model: nn.Module,
    global_params: torch.Tensor,
    x: torch.Tensor,
    y: torch.Tensor,
    local: LocalSettings,
    generator: torch.Generator,
    proximal_mu: float = 0.0,
) -> torch.Tensor:
    """Train `model` from `global_params` on (x, y) for `local.epochs` epochs; return Δ.

    Mini-batches of `local.batch_size` follow a fresh permutation per epoch drawn from
    `generator` (the last batch may be smaller). With `proximal_mu > 0` the loss gains
    FedProx's term mu/2 ||w - w_global||^2 (Li et al., MLSys 2020).
    """
    vector_to_parameters(global_params.clone(), model.parameters())  # params alias the vector
    params = list(model.parameters())
    if local.optimizer == "sgd":
        opt: torch.optim.Optimizer = torch.optim.SGD(
            params, lr=local.lr, momentum=local.momentum, weight_decay=local.weight_decay
        )
    elif local.optimizer == "adam":
        opt = torch.optim.Adam(params, lr=local.lr, weight_decay=local.weight_decay)
    else:
        raise UserError(f"unknown local optimizer {local.optimizer!r}; expected sgd or adam")
    anchors = [p.detach().clone() for p in params] if proximal_mu > 0 else None
    n, batch = x.shape[0], local.batch_size
    loss_fn = nn.functional.cross_entropy
    for _ in range(local.epochs):
        order = torch.randperm(n, generator=generator)
        for start in range(0, n, batch):
            idx = order[start : start + batch]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x[idx]), y[idx])
            if anchors is not None:
                prox = sum(((p - a) ** 2).sum() for p, a in zip(params, anchors))
                loss = loss + 0.5 * proximal_mu * prox
            loss.backward()
            opt.step()
    with torch.no_grad():
        return parameters_to_vector(params) - global_params


def fedavg_weights(sizes: torch.Tensor) -> torch.Tensor:
    """Sample-size weights n_i / Σ n_j (float32)."""
    sizes = sizes.to(torch.float32)
    return sizes / sizes.sum()


class Aggregator(Protocol):
    """Server step: next global vector from the round's stacked updates (m x P), m >= 1."""

    def __call__(
        self, global_params: torch.Tensor, updates: torch.Tensor, sizes: torch.Tensor
    ) -> torch.Tensor: ...


def fedavg(global_params: torch.Tensor, updates: torch.Tensor, sizes: torch.Tensor):
    """FedAvg (McMahan et al. 2017): w + Σ (n_i / Σ n) Δ_i."""
    return global_params + fedavg_weights(sizes) @ updates


class FedAvgM:
    """FedAvg with server momentum (Hsu et al. 2019): v = β v + Δ_avg; w += η v."""

    def __init__(self, server_lr: float, momentum: float) -> None:
        self.server_lr, self.momentum = server_lr, momentum
        self.velocity: torch.Tensor | None = None

    def __call__(self, global_params, updates, sizes):
        delta = fedavg_weights(sizes) @ updates
        self.velocity = delta if self.velocity is None else self.momentum * self.velocity + delta
        return global_params + self.server_lr * self.velocity


class FedAdam:
    """FedAdam (Reddi et al. 2021): Adam on the pseudo-gradient Δ_avg, no bias correction:
    m = β1 m + (1-β1) Δ; v = β2 v + (1-β2) Δ²; w += η m / (sqrt(v) + τ)."""

    def __init__(self, server_lr: float, beta1: float, beta2: float, tau: float) -> None:
        self.server_lr, self.beta1, self.beta2, self.tau = server_lr, beta1, beta2, tau
        self.m: torch.Tensor | None = None
        self.v: torch.Tensor | None = None

    def __call__(self, global_params, updates, sizes):
        delta = fedavg_weights(sizes) @ updates
        if self.m is None or self.v is None:
            self.m, self.v = torch.zeros_like(delta), torch.zeros_like(delta)
        self.m = self.beta1 * self.m + (1 - self.beta1) * delta
        self.v = self.beta2 * self.v + (1 - self.beta2) * delta * delta
        return global_params + self.server_lr * self.m / (self.v.sqrt() + self.tau)


def median(global_params, updates, sizes):
    """Coordinate-wise median of the updates, unweighted (Yin et al. 2018); even counts
    average the two middle values."""
    ordered = updates.sort(dim=0).values
    m = updates.shape[0]
    return global_params + 0.5 * (ordered[(m - 1) // 2] + ordered[m // 2])


class TrimmedMean:
    """Coordinate-wise mean after cutting floor(fraction x m) values at each end (Yin et al.
    2018); unweighted. If that would cut everything, the median-most value(s) remain."""

    def __init__(self, fraction: float) -> None:
        self.fraction = fraction

    def __call__(self, global_params, updates, sizes):
        m = updates.shape[0]
        cut = min(int(self.fraction * m), (m - 1) // 2)
        ordered = updates.sort(dim=0).values
        return global_params + ordered[cut : m - cut].mean(dim=0)


class Krum:
    """Krum (Blanchard et al. 2017): keep the one update whose summed squared distance to its
    m - f - 2 nearest others is smallest (at least 1 neighbour, at most m - 1)."""

    def __init__(self, byzantine: int) -> None:
        self.byzantine = byzantine

    def __call__(self, global_params, updates, sizes):
        m = updates.shape[0]
        if m == 1:
            return global_params + updates[0]
        neighbours = min(max(m - self.byzantine - 2, 1), m - 1)
        dist = torch.cdist(updates, updates) ** 2
        dist.fill_diagonal_(float("inf"))
        scores = dist.topk(neighbours, dim=1, largest=False).values.sum(dim=1)
        return global_params + updates[int(scores.argmin())]


def make_aggregator(strategy: StrategySettings) -> Aggregator:
    """The server step for `strategy.name` (FedProx aggregates like FedAvg)."""
    name = strategy.name
    if name in ("fedavg", "fedprox"):
        return fedavg
    if name == "fedavgm":
        return FedAvgM(strategy.server_lr, strategy.server_momentum)
    if name == "fedadam":
        return FedAdam(strategy.server_lr, strategy.beta1, strategy.beta2, strategy.tau)
    if name == "median":
        return median
    if name == "trimmed_mean":
        if not 0 <= strategy.trim_fraction < 0.5:
            raise UserError(f"trim_fraction={strategy.trim_fraction} must be in [0, 0.5)")
        return TrimmedMean(strategy.trim_fraction)
    if name == "krum":
        return Krum(strategy.krum_byzantine)
    raise UserError(
        f"unknown strategy {name!r}; expected fedavg, fedprox, fedavgm, fedadam, median, "
        "trimmed_mean or krum"
    )


@torch.no_grad()
def evaluate(model: nn.Module, params: torch.Tensor, x: torch.Tensor, y: torch.Tensor):
    """(accuracy, mean cross-entropy) of `params` on (x, y)."""
    vector_to_parameters(params, model.parameters())
    logits = model(x)
    loss = nn.functional.cross_entropy(logits, y).item()
    accuracy = (logits.argmax(dim=1) == y).to(torch.float32).mean().item()
    return accuracy, loss
