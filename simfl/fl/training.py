"""Local training and evaluation on flat parameter vectors.

A client update is `Δ = w_local - w_global` as one flat float32 vector
(`torch.nn.utils.parameters_to_vector` order); a round's updates are stacked in one
(clients x parameters) tensor for the server rules of `simfl.fl.aggregators`.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parameters_to_vector, vector_to_parameters

from simfl.errors import UserError
from simfl.fl.settings import LocalSettings


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


def utilities(logits: torch.Tensor, y: torch.Tensor, utility: str) -> torch.Tensor:
    """Utility of each of k models from their (k x C x V) validation logits, float64.

    "accuracy": the share of samples whose argmax class (the first of tied classes) is the
    label; "neg_loss": the mean log-likelihood of the labels, i.e. minus the mean
    cross-entropy (per-sample values in float32, averaged in float64). The game and the
    reported validation numbers both come from here, so v(N) is the reported accuracy.
    """
    picked = logits.gather(1, y.view(1, 1, -1).expand(logits.shape[0], 1, -1)).squeeze(1)
    if utility == "accuracy":
        # argmax along dim 1 of this layout is slow (measured 4 ms per 32 coalitions); the
        # label reaching the top logit is the same test unless another class ties it there
        top = logits.amax(dim=1)
        correct = picked >= top
        tied = (logits == top[:, None]).sum(dim=1) > 1
        if bool((tied & correct).any()):  # rare: argmax's first-index rule decides
            correct = logits.argmax(dim=1) == y[None]
        return correct.to(torch.float64).mean(dim=-1)
    return (picked - logits.logsumexp(dim=1)).to(torch.float64).mean(dim=-1)


@torch.no_grad()
def forward_logits(model: nn.Module, params: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """(1 x C x V) logits of the model with flat parameters `params` on x."""
    vector_to_parameters(params, model.parameters())
    return model(x).T[None]


def evaluate(
    model: nn.Module, params: torch.Tensor, x: torch.Tensor, y: torch.Tensor
) -> tuple[float, float]:
    """(accuracy, mean cross-entropy) of `params` on (x, y), as `utilities` computes them."""
    logits = forward_logits(model, params, x)
    accuracy = float(utilities(logits, y, "accuracy")[0])
    loss = -float(utilities(logits, y, "neg_loss")[0])
    return accuracy, loss
