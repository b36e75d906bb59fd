"""The contribution-method registry: name -> what the method reads, what it costs, and a
factory for its per-run scorer.

Torch-free (numpy only), so `simfl.fl.settings` and `simfl.config` can take the allowed
names from `METHODS`' keys. Adding a method = its estimator (a module, or a function in
`shapley.py`) + one `Method` entry here. A method's parameters are `ContributionSettings`
fields; `params` names the ones it reads (the schema documents them per method).

A scorer is called once per round with a `RoundInput` and the method's own generator, and
returns its values for `RoundInput.players` and the coalition evaluations it spent.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

import numpy as np

from simfl.fl.cgsv import CGSVReputation
from simfl.fl.kernelshap import kernel_from_game
from simfl.fl.shapley import (
    BatchGame,
    exact_from_game,
    gtg_from_game,
    loo_from_game,
    mc_from_game,
    tmc_from_game,
)


@dataclass(frozen=True)
class RoundInput:
    """What a scorer sees of one round (arrays in the participants' order)."""

    participants: tuple[int, ...]  # sorted client indices that submitted this round
    sizes: np.ndarray  # their sample sizes, as the server knows them (float64)
    updates: Any  # their submitted updates, (m x P) numpy array (float32)
    players: tuple[int, ...]  # the game's players, in bit order (OR: every client so far)
    game: BatchGame | None  # the round's cached coalition game (None if no game method)


class Scorer(Protocol):
    def __call__(self, inp: RoundInput, rng: np.random.Generator) -> tuple[np.ndarray, int]:
        """Values for `inp.players` (game methods) or `inp.participants` (others), and
        the coalition evaluations spent."""
        ...


@dataclass(frozen=True)
class Method:
    """One registry entry."""

    name: str
    uses_game: bool  # needs the round's coalition game v(S)
    params: tuple[str, ...]  # ContributionSettings fields it reads
    make: Callable[[Any, int], Scorer]  # (settings, n_clients) -> per-run scorer
    cost: str  # coalition evaluations per round


def _game(estimate: Callable[[BatchGame, np.random.Generator, Any], np.ndarray]):
    """A factory for a stateless game method: `estimate(game, rng, settings)`."""

    def make(settings: Any, n_clients: int) -> Scorer:
        def score(inp: RoundInput, rng: np.random.Generator) -> tuple[np.ndarray, int]:
            values = estimate(inp.game, rng, settings)
            return values, inp.game.evaluations

        return score

    return make


def _size(settings: Any, n_clients: int) -> Scorer:
    def score(inp: RoundInput, rng: np.random.Generator) -> tuple[np.ndarray, int]:
        return inp.sizes / inp.sizes.sum(), 0

    return score


def _cgsv(settings: Any, n_clients: int) -> Scorer:
    state = CGSVReputation(n_clients, settings.cgsv_alpha)

    def score(inp: RoundInput, rng: np.random.Generator) -> tuple[np.ndarray, int]:
        idx = list(inp.participants)
        state.step(idx, np.asarray(inp.updates, dtype=np.float64), inp.sizes)
        return state.reputation[idx].copy(), 0

    return score


def _gtg(game: BatchGame, rng: np.random.Generator, s: Any) -> np.ndarray:
    return gtg_from_game(
        game, rng, s.truncation_tolerance, s.between_round_tolerance, s.gtg_min_permutations,
        s.gtg_max_permutations, s.gtg_convergence,
    )  # fmt: skip


GTG_PARAMS = (
    "truncation_tolerance",
    "between_round_tolerance",
    "gtg_min_permutations",
    "gtg_max_permutations",
    "gtg_convergence",
)
METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("size", False, (), _size, "0"),
        Method("loo", True, (), _game(lambda g, r, s: loo_from_game(g)), "n + 1"),
        Method("exact_shapley", True, (), _game(lambda g, r, s: exact_from_game(g)), "2^n"),
        Method(
            "mc_shapley",
            True,
            ("permutations", "antithetic"),
            _game(lambda g, r, s: mc_from_game(g, s.permutations, r, s.antithetic)),
            "<= permutations x n + 1",
        ),
        Method(
            "tmc_shapley",
            True,
            ("permutations", "truncation_tolerance"),
            _game(lambda g, r, s: tmc_from_game(g, s.permutations, r, s.truncation_tolerance)),
            "<= permutations x n + 2",
        ),
        Method(
            "gtg_shapley",
            True,
            GTG_PARAMS,
            _game(_gtg),
            "<= max_permutations x n + 2",
        ),
        Method(
            "kernelshap",
            True,
            ("kernel_coalitions",),
            _game(lambda g, r, s: kernel_from_game(g, s.kernel_coalitions, r)),
            "kernel_coalitions (capped at 2^n)",
        ),
        Method("cgsv", False, ("cgsv_alpha",), _cgsv, "0"),
    )
}
METHOD_NAMES: tuple[str, ...] = tuple(METHODS)
