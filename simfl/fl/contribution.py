"""Per-round contribution scores: data size, LOO, exact / MC / TMC / GTG Shapley, CGSV.

The coalition game of a round: v(S) = utility (validation accuracy, or -cross-entropy) of
`base + Σ_{i∈S} a_i(S) Δ_i`, with FedAvg weights a_i(S) = n_i / Σ_{j∈S} n_j, whatever the
server's own strategy; v(∅) = utility of `base`. In MR mode (multi-round) `base` is the
round's starting global model and Δ_i its updates. In OR mode (one-round reconstruction,
Song et al. 2019) `base` is the initial model w_0 and Δ_i each client's updates summed
over all rounds so far; the players are every client that has taken part so far and a
round's OR score is the Shapley value of that reconstruction game at this round (a level,
not an increment), reported for this round's participants. OR equals Song et al.'s
reconstruction exactly when every client takes part in every round.

Coalition utilities come from `simfl.fl.game` (`RoundGame`, `UtilityEvaluator`).
"""

from __future__ import annotations

import numpy as np
import torch

from simfl.errors import ContributionError
from simfl.fl.game import RoundGame
from simfl.fl.settings import EXACT_MAX_PLAYERS, ContributionSettings
from simfl.fl.shapley import (
    CachedGame,
    exact_from_game,
    gtg_from_game,
    loo_from_game,
    mc_from_game,
    tmc_from_game,
)

GAME_METHODS = ("loo", "exact_shapley", "mc_shapley", "tmc_shapley", "gtg_shapley")


class ContributionScorer:
    """Computes every configured method for a round; holds CGSV reputations across rounds."""

    def __init__(self, settings: ContributionSettings, n_clients: int) -> None:
        unknown = set(settings.methods) - {"size", "cgsv", *GAME_METHODS}
        if unknown:
            raise ContributionError(f"unknown contribution method(s) {sorted(unknown)}")
        if "exact_shapley" in settings.methods and n_clients > EXACT_MAX_PLAYERS:
            raise ContributionError(
                f"exact_shapley with {n_clients} clients needs 2^{n_clients} coalition models "
                f"per round; it is refused above {EXACT_MAX_PLAYERS} clients: use gtg_shapley "
                "or tmc_shapley"
            )
        if settings.methods and settings.pay_by not in settings.methods:
            raise ContributionError(
                f"pay_by={settings.pay_by!r} is not among methods {list(settings.methods)}"
            )
        self.settings = settings
        self.n_clients = n_clients
        self.reputation = np.full(n_clients, 1.0 / n_clients)  # CGSV, Xu et al. 2021

    def score(
        self,
        participants: tuple[int, ...],
        sizes: np.ndarray,
        updates: torch.Tensor,
        game: RoundGame | None,
        rng: np.random.Generator,
    ) -> tuple[dict[str, tuple[float, ...]], dict[str, int]]:
        """Scores (one per client; non-participants 0.0) and evaluations, per method."""
        scores: dict[str, tuple[float, ...]] = {}
        spent: dict[str, int] = {}
        for method in self.settings.methods:
            full = np.zeros(self.n_clients)
            evaluations = 0
            if participants:
                if method == "size":
                    full[list(participants)] = sizes / sizes.sum()
                elif method == "cgsv":
                    full[list(participants)] = self._cgsv(participants, updates)
                else:
                    view = game.view()
                    values = self._game_method(method, view, rng)
                    evaluations = view.evaluations
                    on = set(participants)
                    for client, value in zip(game.players, values):
                        if client in on:
                            full[client] = value
            scores[method] = tuple(float(v) for v in full)
            spent[method] = evaluations
        return scores, spent

    def _game_method(self, method: str, game: CachedGame, rng) -> np.ndarray:
        s = self.settings
        if method == "loo":
            return loo_from_game(game)
        if method == "exact_shapley":
            return exact_from_game(game)
        if method == "mc_shapley":
            return mc_from_game(game, s.permutations, rng, s.antithetic)
        if method == "tmc_shapley":
            return tmc_from_game(game, s.permutations, rng, s.truncation_tolerance)
        return gtg_from_game(
            game, rng, s.gtg_max_permutations, s.truncation_tolerance,
            s.between_round_tolerance, s.gtg_convergence,
        )  # fmt: skip

    def _cgsv(self, participants: tuple[int, ...], updates: torch.Tensor) -> np.ndarray:
        """CGSV (Xu et al., NeurIPS 2021): ψ_i = cos(Δ_i, g) with g the reputation-weighted
        sum of unit-normalised updates; reputation r_i <- α r_i + (1-α) ψ_i; the score is
        r_i. A zero update has cosine 0. No coalition evaluations."""
        idx = list(participants)
        norms = updates.norm(dim=1, keepdim=True)
        unit = updates / torch.where(norms > 0, norms, torch.ones_like(norms))
        rep = torch.from_numpy(np.maximum(self.reputation[idx], 0.0)).to(torch.float32)
        weights = rep / rep.sum() if float(rep.sum()) > 0 else torch.full_like(rep, 1 / len(idx))
        aggregate = weights @ unit
        agg_norm = float(aggregate.norm())
        cos = (unit @ aggregate) / agg_norm if agg_norm > 0 else torch.zeros(len(idx))
        alpha = self.settings.cgsv_alpha
        self.reputation[idx] = alpha * self.reputation[idx] + (1 - alpha) * cos.double().numpy()
        return self.reputation[idx].copy()
