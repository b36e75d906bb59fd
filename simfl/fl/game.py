"""A round's coalition game: v(S) for batches of coalitions, evaluated in chunks.

The server's real game (DESIGN.md): v(S) is the utility on the server validation set of
the model the server would have produced this round from S's updates alone, with its
real aggregation rule and its state as it was before the round
(`Aggregator.coalition_models`); v(∅) is the utility of the previous global model. So
v(N) is the round's reported validation utility and Σ_i φ_i (exact Shapley) is the
round's real gain, under every rule.

Without an aggregator the game is FedAvg from `base` (Song et al.'s one-round
reconstruction, used by OR mode): v(S) = u(base + Σ_{i∈S} n_i / Σ_{j∈S} n_j Δ_i).

Paths: "fast" for rules linear in the updates (FedAvg, FedProx, FedAvgM) and models
whose first layer is linear (mlp, logreg): DESIGN.md's pre-activation trick, one GEMM per
chunk; "vmap" builds every coalition's parameter vector (any rule, any model) and runs
`torch.func.vmap`; "loop" runs one coalition model at a time (kept for comparison).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, vmap

from simfl.fl.aggregators import Aggregator, FedAvg, coalition_weights
from simfl.fl.models import CNN, MLP, LogReg
from simfl.fl.shapley import CachedGame
from simfl.fl.training import forward_logits, utilities

CHUNK = 32  # coalitions per batched evaluation: ~1.5 MB buffers (measured best of 8..128)
GENERIC_CHUNK_BYTES = 64 * 2**20  # activation budget of one vmap / loop chunk


class UtilityEvaluator:
    """Batched v(S) for one game: `__call__(masks)` returns one utility per bitmask.

    `base` is the previous global model (the empty coalition's model), `updates` the
    players' stacked updates in bit order, `sizes` their claimed sample sizes.
    `aggregator` is the server's rule with its pre-round state (default: FedAvg). `path`
    is "auto" (fast when the rule is linear and the model is mlp/logreg, else vmap),
    "fast", "vmap" or "loop".
    """

    def __init__(
        self,
        model: nn.Module,
        base: torch.Tensor,
        updates: torch.Tensor,
        sizes: torch.Tensor,
        x_val: torch.Tensor,
        y_val: torch.Tensor,
        utility: str = "accuracy",
        path: str = "auto",
        aggregator: Aggregator | None = None,
    ) -> None:
        self.model, self.base, self.updates = model, base, updates
        self.sizes = sizes.to(torch.float32)
        self.x, self.y = x_val, y_val
        self.utility = utility
        self.aggregator = FedAvg() if aggregator is None else aggregator
        self.linear = self.aggregator.linear_form(base)
        fast_model = isinstance(model, MLP | LogReg)
        if path == "auto":
            path = "fast" if self.linear is not None and fast_model else "vmap"
        if path == "fast" and (self.linear is None or not fast_model):
            raise ValueError("the fast path needs a rule linear in the updates and mlp/logreg")
        self.path = path
        self.n_players = updates.shape[0]
        if path == "fast":
            self._prepare_fast()

    def members(self, masks: np.ndarray) -> torch.Tensor:
        """(k x m) bool: bit i of each mask."""
        bits = (masks[:, None] >> np.arange(self.n_players)) & 1
        return torch.from_numpy(bits.astype(bool))

    def weights(self, masks: np.ndarray) -> torch.Tensor:
        """(k x m) FedAvg weights a_i(S) by claimed size; the empty coalition's row is 0."""
        return coalition_weights(self.members(masks), self.sizes)

    def value_of(self, params: torch.Tensor) -> float:
        """The utility of one model given as a flat vector (the reported numbers' path)."""
        return float(utilities(forward_logits(self.model, params, self.x), self.y, self.utility)[0])

    # -- fast path: rule linear in the updates, first layer linear
    def _prepare_fast(self) -> None:
        # Coalition model = offset + scale · a(S) @ U. Layout (hidden x V): the
        # per-coalition second layer is then a (C x h)(h x V) bmm, and the logits come out
        # (k, C, V), which `utilities` reduces along dim 1.
        offset, self.scale = self.linear
        x = self.x.flatten(1)
        shapes = [p.shape for p in self.model.parameters()]
        splits = [int(np.prod(s)) for s in shapes]
        base = list(torch.split(offset, splits))
        upd = list(torch.split(self.updates, splits, dim=1))
        m = self.n_players
        w1, b1 = base[0].view(shapes[0]), base[1]
        d_w1, d_b1 = upd[0].view(m, *shapes[0]), upd[1]
        self.pre_base = w1 @ x.T + b1[:, None]  # (h, V)
        pre_clients = (torch.matmul(d_w1, x.T) + d_b1[:, :, None]).reshape(m, -1)
        # The mixes a(S) @ (per-client terms) run in float64: float32 matmul rounds each
        # row differently with the batch's size and the row's place in it (measured: 820
        # of 1,023 neg_loss values moved by up to 9e-9 evaluated one at a time), so a
        # coalition's value depended on which coalitions shared its chunk, i.e. on which
        # other methods asked first. The float64 product is the same for a row alone or
        # in any batch (tests/fl/test_game.py), then rounds to float32 once. Cost: 1,023
        # coalitions of 10 clients 14.5 -> 20 ms (aligned chunks instead would keep 14.5
        # ms for exact but cost samplers up to CHUNK x their coalitions at large n).
        self.pre_clients = pre_clients.double()
        self.hidden_shape = self.pre_base.shape
        if len(shapes) == 4:  # mlp: second layer mixes by weights directly
            self.w2, self.b2 = base[2].view(shapes[2]), base[3]
            self.d_w2, self.d_b2 = upd[2].double(), upd[3].double()  # (m, C*h), (m, C)
        else:
            self.w2 = None

    def _fast_chunk(self, masks: np.ndarray) -> torch.Tensor:
        """(k, C, V) logits of k coalitions: one GEMM for the hidden pre-activations; each
        coalition's logits are bitwise the same whatever else is in the chunk."""
        a = (self.scale * self.weights(masks)).double()
        k = a.shape[0]
        pre = (a @ self.pre_clients).float().view(k, *self.hidden_shape)
        pre += self.pre_base  # in place: chunk-sized buffers stay in cache
        if self.w2 is None:
            return pre  # logreg: the pre-activations are the logits
        w2 = (a @ self.d_w2).float().view(k, *self.w2.shape)
        w2 += self.w2
        b2 = self.b2 + (a @ self.d_b2).float()
        return torch.baddbmm(b2[:, :, None], w2, pre.relu_())

    # -- generic paths: explicit coalition parameter vectors
    def coalition_models(self, masks: np.ndarray) -> torch.Tensor:
        """(k x P) the model the server would have produced from each coalition (masks
        non-zero); the aggregator's state is not touched."""
        return self.aggregator.coalition_models(
            self.base, self.updates, self.sizes, self.members(masks)
        )

    def _vmap_chunk(self, masks: np.ndarray) -> torch.Tensor:
        flat = self.coalition_models(masks)
        names = [name for name, _ in self.model.named_parameters()]
        shapes = [p.shape for p in self.model.parameters()]
        splits = [int(np.prod(s)) for s in shapes]

        def forward(vec: torch.Tensor) -> torch.Tensor:
            parts = torch.split(vec, splits)
            params = {nm: t.view(s) for nm, t, s in zip(names, parts, shapes)}
            return functional_call(self.model, params, (self.x,))

        return vmap(forward)(flat).transpose(1, 2)

    def _loop_chunk(self, masks: np.ndarray) -> torch.Tensor:
        flat = self.coalition_models(masks)
        return torch.cat([forward_logits(self.model, row, self.x) for row in flat])

    def _generic_chunk(self) -> int:
        """Coalitions per vmap chunk: at most 16, fewer when the first conv layer's
        activations (V x channels x H x W floats, about 3 live copies) pass the budget."""
        if not isinstance(self.model, CNN):
            return 16
        _, h, w = self.model.image_shape
        per_coalition = 3 * 4 * self.x.shape[0] * self.model.conv1.out_channels * h * w
        return max(1, min(16, GENERIC_CHUNK_BYTES // per_coalition))

    @torch.no_grad()
    def __call__(self, masks: np.ndarray) -> np.ndarray:
        """v(S) per mask; the empty coalition is the previous global model `base`."""
        step = {"fast": self._fast_chunk, "vmap": self._vmap_chunk, "loop": self._loop_chunk}
        run = step[self.path]
        chunk = CHUNK if self.path == "fast" else self._generic_chunk()
        masks = np.asarray(masks, dtype=np.int64)
        out = np.empty(len(masks))
        empty = masks == 0
        if empty.any():
            out[empty] = self.value_of(self.base)
        todo = np.flatnonzero(~empty)
        for start in range(0, len(todo), chunk):
            rows = todo[start : start + chunk]
            out[rows] = utilities(run(masks[rows]), self.y, self.utility).numpy()
        return out


@dataclass(frozen=True, slots=True)
class RoundGame:
    """The players of one round's coalition game and its cached utility."""

    players: tuple[int, ...]  # client indices, in bit order
    store: dict
    evaluator: UtilityEvaluator

    def view(self) -> CachedGame:
        return CachedGame(len(self.players), self.evaluator, self.store)
