"""Per-round contribution scores: every configured method of the registry
(`simfl.fl.methods`), each drawing from its own random stream.

The coalition game of a round comes from `simfl.fl.game` (`RoundGame`). In MR mode
(multi-round) a method's score is its value in this round's game. In OR mode (one-round
reconstruction, Song et al. 2019) the game is the reconstruction from w_0 with every
client's accumulated updates, its players every client seen so far, and its values are
cumulative *levels*; a client is paid the increment of its level since the last round it
was paid (the rounds it takes part in), so its payouts sum to its current level and early
contributions are never paid twice. OR equals Song et al.'s reconstruction exactly when
every client takes part in every round.

Streams: method `m` draws from `substream(rng, "contribution/" + m)`, a child of the
scoring stream's seed keyed by the method's name (nothing is drawn from `rng` itself), so
adding, removing or reordering methods changes no training number and no other method's
scores.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from simfl.errors import ContributionError
from simfl.fl.methods import METHODS, RoundInput, coalition_problems, method_problems
from simfl.fl.settings import ContributionSettings
from simfl.fl.streams import substream

if TYPE_CHECKING:
    import torch

    from simfl.fl.game import RoundGame

GAME_METHODS = tuple(name for name, m in METHODS.items() if m.uses_game)


def check_methods(settings: ContributionSettings, n_clients: int) -> None:
    """Raise ContributionError for an unknown method, a method whose registry `check`
    refuses these settings for `n_clients` (exact Shapley above EXACT_MAX_PLAYERS
    clients, a KernelSHAP budget below clients + 2), or a `pay_by` that is not computed."""
    unknown = [m for m in settings.methods if m not in METHODS]
    if unknown:
        raise ContributionError(
            f"unknown contribution method(s) {unknown}; expected one of {list(METHODS)}"
        )
    problems = method_problems(settings, settings.methods, n_clients)
    problems += coalition_problems(settings.methods, n_clients)
    if problems:
        raise ContributionError("; ".join(problems))
    if settings.methods and settings.pay_by not in settings.methods:
        raise ContributionError(
            f"pay_by={settings.pay_by!r} is not among methods {list(settings.methods)}"
        )


class ContributionScorer:
    """Scores every configured method each round; holds each method's state and stream.

    Args:
        settings: the contribution settings (methods and their parameters).
        n_clients: the federation's size.
    """

    def __init__(self, settings: ContributionSettings, n_clients: int) -> None:
        check_methods(settings, n_clients)
        self.settings = settings
        self.n_clients = n_clients
        self._scorers = {m: METHODS[m].make(settings, n_clients) for m in settings.methods}
        self._streams: dict[str, np.random.Generator] = {}
        self._paid = {m: np.zeros(n_clients) for m in settings.methods}  # OR: levels paid

    def score(
        self,
        participants: tuple[int, ...],
        sizes: np.ndarray,
        updates: torch.Tensor,
        game: RoundGame | None,
        rng: np.random.Generator,
    ) -> tuple[dict[str, tuple[float, ...]], dict[str, int]]:
        """Scores (one per client; non-participants 0.0) and evaluations, per method.

        `rng` is the run's scoring stream, the same every round: each method's own stream
        is derived from its seed sequence at the first call (nothing is drawn from it)."""
        if not self._streams:
            self._streams = {m: substream(rng, f"contribution/{m}") for m in self.settings.methods}
        scores: dict[str, tuple[float, ...]] = {}
        spent: dict[str, int] = {}
        or_mode = self.settings.mode == "OR"
        update_array = updates.detach().numpy() if participants else None
        for method in self.settings.methods:
            full = np.zeros(self.n_clients)
            evaluations = 0
            if participants:
                uses_game = METHODS[method].uses_game
                players = game.players if uses_game else participants
                inp = RoundInput(
                    participants, np.asarray(sizes, dtype=np.float64), update_array, players,
                    game.view() if uses_game else None,
                )  # fmt: skip
                values, evaluations = self._scorers[method](inp, self._streams[method])
                level = np.zeros(self.n_clients)
                level[list(players)] = values
                on = list(participants)
                if uses_game and or_mode:
                    full[on] = level[on] - self._paid[method][on]
                    self._paid[method][on] = level[on]
                else:
                    full[on] = level[on]
            scores[method] = tuple(float(v) for v in full)
            spent[method] = int(evaluations)
        return scores, spent
