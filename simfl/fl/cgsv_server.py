"""The `cgsv` server strategy: Xu et al. 2021's server, reputations driving training.

Xu, Lyu, Ma, Miao, Foo & Low, "Gradient-Driven Rewards to Guarantee Fairness in
Collaborative Machine Learning", NeurIPS 2021, Algorithm 1 (see `simfl.fl.cgsv` for the
reputation rule). What changes training, and is therefore a strategy (`fl.strategy:
cgsv`), never a side effect of listing the `cgsv` contribution method:

- the server model moves by the reputation-weighted aggregate of normalised updates,
  w <- w + u_N, u_N = Σ_i a_i u_i with u_i = Γ Δ_i / (‖Δ_i‖ + 1e-7) and a_i the
  participants' reputations renormalised to sum to 1 (data-size shares in the first
  round); with every client taking part the reputations already sum to 1, as in the
  paper;
- each client keeps its own model and is paid in gradients: it receives u_N sparsified
  to its q_i = tanh(β r_i) / max_j tanh(β r_j) largest-magnitude share of every layer,
  θ_i <- θ_i + mask(u_N, q_i), and trains from θ_i next time (not from the server model);
  its update Δ_i is measured from θ_i.

The coalition game (`coalition_models`) is what the server would have done had only S
reported: w + Σ_{i∈S} a_i(S) u_i with a_i(S) the pre-round weights renormalised over S.
The engine tells the server who reports (`begin_round`) and asks it where each client
starts (`client_model`).
"""

from __future__ import annotations

import numpy as np
import torch

from simfl.fl.cgsv import CGSVReputation, normalised_updates, reward_fractions, sparsify_by_layer

CGSV_GAMMA = 0.5  # Γ, the normalised update's length (reference code's MNIST setting)


class CGSVServer:
    """Reputation-weighted aggregation and gradient rewards (module docstring)."""

    def __init__(self, alpha: float, beta: float, gamma: float = CGSV_GAMMA) -> None:
        self.alpha, self.beta, self.gamma = alpha, beta, gamma
        self.reputation: CGSVReputation | None = None
        self.models: torch.Tensor | None = None  # (n x P) each client's own model
        self.layer_sizes: list[int] = []
        self.participants: list[int] = []
        self.fractions = np.zeros(0)  # q_i of the last round's participants

    def begin_round(
        self, participants: tuple[int, ...], n_clients: int, global_params: torch.Tensor,
        layer_sizes: list[int],
    ) -> None:  # fmt: skip
        """Who reports this round; on the first call every client model starts as the
        global model."""
        if self.reputation is None:
            self.reputation = CGSVReputation(n_clients, self.alpha, self.gamma)
            self.models = global_params.repeat(n_clients, 1)
            self.layer_sizes = list(layer_sizes)
        self.participants = list(participants)

    def client_model(self, client: int) -> torch.Tensor:
        """Where `client` trains from: its own model."""
        return self.models[client].clone()

    def _weights(self, sizes: torch.Tensor) -> torch.Tensor:
        w = self.reputation.aggregate_weights(self.participants, sizes.double().numpy())
        return torch.from_numpy(np.asarray(w, dtype=np.float64)).to(torch.float32)

    def _unit(self, updates: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(normalised_updates(updates.double().numpy(), self.gamma)).to(
            torch.float32
        )

    def coalition_models(self, global_params, updates, sizes, members):
        w = members.to(torch.float32) * self._weights(sizes)
        total = w.sum(dim=1, keepdim=True)
        a = w / torch.where(total > 0, total, torch.ones_like(total))
        return global_params + a @ self._unit(updates)

    def linear_form(self, global_params):
        return None  # weights are reputations, not sample sizes

    def __call__(self, global_params, updates, sizes):
        members = torch.ones(1, updates.shape[0], dtype=torch.bool)
        new = self.coalition_models(global_params, updates, sizes, members)[0]
        aggregate = (new - global_params).double().numpy()
        self.reputation.step(self.participants, updates.double().numpy(), sizes.double().numpy())
        q = reward_fractions(self.reputation.reputation[self.participants], self.beta)
        self.fractions = q
        for client, share in zip(self.participants, q):
            reward = sparsify_by_layer(aggregate, float(share), self.layer_sizes)
            self.models[client] += torch.from_numpy(reward).to(torch.float32)
        return new
