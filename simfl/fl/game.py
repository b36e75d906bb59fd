"""A round's coalition game: v(S) for batches of coalitions, evaluated in chunks.

`UtilityEvaluator` has a fast path for models whose first layer is linear (mlp, logreg:
DESIGN.md's pre-activation trick), a generic `torch.func.vmap` path, and a one-by-one path
kept for comparison. `RoundGame` names a round's players and holds the cached utility.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.func import functional_call, vmap
from torch.nn.utils import vector_to_parameters

from simfl.fl.models import CNN, MLP, LogReg
from simfl.fl.shapley import CachedGame

CHUNK = 32  # coalitions per batched evaluation: ~1.5 MB buffers (measured best of 8..128)
GENERIC_CHUNK_BYTES = 64 * 2**20  # activation budget of one vmap / loop chunk


class UtilityEvaluator:
    """Batched v(S) for one game: `__call__(masks)` returns one utility per bitmask.

    `path` is "auto" (linear-first fast path for mlp/logreg, else vmap), "fast", "vmap" or
    "loop" (one coalition model at a time).
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
    ) -> None:
        self.model, self.base, self.updates = model, base, updates
        self.sizes = sizes.to(torch.float32)
        self.x, self.y = x_val, y_val
        self.utility = utility
        if path == "auto":
            path = "fast" if isinstance(model, MLP | LogReg) else "vmap"
        self.path = path
        self.n_players = updates.shape[0]
        if path == "fast":
            self._prepare_fast()

    # -- weights
    def weights(self, masks: np.ndarray) -> torch.Tensor:
        """(k x m) FedAvg weights a_i(S); the empty coalition's row is all zeros."""
        bits = (masks[:, None] >> np.arange(self.n_players)) & 1
        w = torch.from_numpy(bits.astype(np.float32)) * self.sizes
        total = w.sum(dim=1, keepdim=True)
        return w / torch.where(total > 0, total, torch.ones_like(total))

    def _score(self, logits: torch.Tensor) -> torch.Tensor:
        """(k x C x V) logits -> k utilities (accuracy, or mean log-likelihood = -CE).

        A sample counts as correct when its label's logit is the largest (ties count as
        correct; argmax would pick the first of the tied classes)."""
        picked = logits.gather(1, self.y.view(1, 1, -1).expand(logits.shape[0], 1, -1))
        picked = picked.squeeze(1)
        if self.utility == "accuracy":
            return (picked >= logits.amax(dim=1)).to(torch.float64).mean(dim=-1)
        return (picked - logits.logsumexp(dim=1)).to(torch.float64).mean(dim=-1)

    # -- fast path: first layer linear
    def _prepare_fast(self) -> None:
        # Layout (hidden x V): the per-coalition second layer is then a (C x h)(h x V) bmm,
        # and the logits come out (k, C, V), which `_score` reduces along dim 1.
        x = self.x.flatten(1)
        shapes = [p.shape for p in self.model.parameters()]
        splits = [int(np.prod(s)) for s in shapes]
        base = list(torch.split(self.base, splits))
        upd = list(torch.split(self.updates, splits, dim=1))
        m = self.n_players
        w1, b1 = base[0].view(shapes[0]), base[1]
        d_w1, d_b1 = upd[0].view(m, *shapes[0]), upd[1]
        self.pre_base = w1 @ x.T + b1[:, None]  # (h, V)
        self.pre_clients = (torch.matmul(d_w1, x.T) + d_b1[:, :, None]).reshape(m, -1)
        self.hidden_shape = self.pre_base.shape
        if len(shapes) == 4:  # mlp: second layer mixes by weights directly
            self.w2, self.b2 = base[2].view(shapes[2]), base[3]
            self.d_w2, self.d_b2 = upd[2], upd[3]  # (m, C*h), (m, C)
        else:
            self.w2 = None

    def _fast_chunk(self, a: torch.Tensor) -> torch.Tensor:
        """(k, C, V) logits of k coalitions: one GEMM for the hidden pre-activations."""
        k = a.shape[0]
        pre = (a @ self.pre_clients).view(k, *self.hidden_shape)
        pre += self.pre_base  # in place: chunk-sized buffers stay in cache
        if self.w2 is None:
            return pre  # logreg: the pre-activations are the logits
        w2 = (a @ self.d_w2).view(k, *self.w2.shape)
        w2 += self.w2
        b2 = self.b2 + a @ self.d_b2
        return torch.baddbmm(b2[:, :, None], w2, pre.relu_())

    # -- generic paths
    def _vmap_chunk(self, a: torch.Tensor) -> torch.Tensor:
        flat = self.base + a @ self.updates
        names = [name for name, _ in self.model.named_parameters()]
        shapes = [p.shape for p in self.model.parameters()]
        splits = [int(np.prod(s)) for s in shapes]

        def forward(vec: torch.Tensor) -> torch.Tensor:
            parts = torch.split(vec, splits)
            params = {nm: t.view(s) for nm, t, s in zip(names, parts, shapes)}
            return functional_call(self.model, params, (self.x,))

        return vmap(forward)(flat).transpose(1, 2)

    def _loop_chunk(self, a: torch.Tensor) -> torch.Tensor:
        out = []
        for row in a:
            vector_to_parameters(self.base + row @ self.updates, self.model.parameters())
            out.append(self.model(self.x).T)
        return torch.stack(out)

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
        step = {"fast": self._fast_chunk, "vmap": self._vmap_chunk, "loop": self._loop_chunk}
        run = step[self.path]
        chunk = CHUNK if self.path == "fast" else self._generic_chunk()
        out = np.empty(len(masks))
        for start in range(0, len(masks), chunk):
            part = masks[start : start + chunk]
            out[start : start + len(part)] = self._score(run(self.weights(part))).numpy()
        return out


@dataclass(frozen=True, slots=True)
class RoundGame:
    """The players of one round's coalition game and its cached utility."""

    players: tuple[int, ...]  # client indices, in bit order
    store: dict
    evaluator: UtilityEvaluator

    def view(self) -> CachedGame:
        return CachedGame(len(self.players), self.evaluator, self.store)
