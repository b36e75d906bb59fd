"""The contribution-method registry: name -> what the method reads, what it costs, its
parameters, and a factory for its per-run scorer.

Torch-free (numpy only), so `simfl.fl.settings` and `simfl.config` can take the allowed
names from `METHODS`' keys. Adding a method = its estimator (a module, or a function in
`shapley.py`) + one `Method` entry here. A method declares its parameters as `Param`s
(name, type, default, bounds, meaning): they become fields of
`simfl.fl.settings.ContributionSettings` and scenario keys under `fl.contribution.`, so
a parameter's default and bounds are written once, here. A method that must refuse some
settings (a budget too small for the federation) says so in its `check` hook, which both
`simfl validate` and the engine run.

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
class Param:
    """One parameter a method reads: a field of `ContributionSettings` and the scenario
    key `fl.contribution.<name>`.

    Attributes:
        name: the key (methods may share one, e.g. `permutations`; shared = identical).
        type: `int`, `float` or `bool`.
        default: the engine's and the schema's default.
        doc: one line for the scenario reference (the methods that read it are prefixed).
        ge, gt, le, lt: bounds the schema enforces (None = unbounded).
        nullable: `null` is allowed too (its meaning belongs in `doc`).
    """

    name: str
    type: type
    default: Any
    doc: str
    ge: float | None = None
    gt: float | None = None
    le: float | None = None
    lt: float | None = None
    nullable: bool = False

    def bounds(self) -> dict[str, float]:
        """The bounds that are set, by name (`{"ge": 1}`)."""
        named = {"ge": self.ge, "gt": self.gt, "le": self.le, "lt": self.lt}
        return {k: v for k, v in named.items() if v is not None}


# (settings, n_clients) -> (key under `fl.` to blame, what is wrong), or None if fine
Check = Callable[[Any, int], "tuple[str, str] | None"]


@dataclass(frozen=True)
class Method:
    """One registry entry."""

    name: str
    uses_game: bool  # needs the round's coalition game v(S)
    params: tuple[Param, ...]  # what it reads of ContributionSettings
    make: Callable[[Any, int], Scorer]  # (settings, n_clients) -> per-run scorer
    cost: str  # coalition evaluations per round
    check: Check | None = None  # refuses settings it cannot run with


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


EXACT_MAX_PLAYERS = 14  # exact Shapley's limit: 2^14 = 16,384 coalition models per round


def _exact_players(s: Any, n_clients: int) -> tuple[str, str] | None:
    if n_clients <= EXACT_MAX_PLAYERS:
        return None
    return "clients", (
        f"exact_shapley needs clients <= {EXACT_MAX_PLAYERS} (got {n_clients}): it builds "
        f"2^{n_clients} coalition models per round; use gtg_shapley, kernelshap or tmc_shapley"
    )


def _kernel_budget(s: Any, n_clients: int) -> tuple[str, str] | None:
    fewest = min(n_clients + 2, 2**n_clients)
    if s.kernel_coalitions >= fewest:
        return None
    return "contribution.kernel_coalitions", (
        f"got {s.kernel_coalitions}, below clients + 2 = {fewest}, the fewest coalitions "
        f"that determine {n_clients} kernelshap values; give at least {fewest}"
    )


# a method's parameters: name, type, default, meaning, bounds (shared ones declared once)
PERMUTATIONS = Param("permutations", int, 50, "permutations per round", ge=1)
ANTITHETIC = Param("antithetic", bool, False, "antithetic permutation pairs")
TRUNCATION = Param(
    "truncation_tolerance", float, 0.001, "within-round truncation (utility units)", ge=0.0
)
GTG_PARAMS = (
    TRUNCATION,
    Param(
        "between_round_tolerance", float, 0.001,
        "a round whose gain (absolute) is below this scores 0", ge=0.0,
    ),
    Param(
        "gtg_min_permutations", int, 30,
        "at least max(this, clients) permutations per round (Liu et al.)", ge=1,
    ),
    Param(
        "gtg_max_permutations", int, None,
        "permutation cap per round; null = min(2^n, max(floor, 0.8 x 2^n)), floor = "
        "max(gtg_min_permutations, clients)", ge=1, nullable=True,
    ),
    Param(
        "gtg_convergence", float, 0.05,
        "stop when the last 10 running estimates are within this (relative)", gt=0.0,
    ),
)  # fmt: skip
KERNEL_COALITIONS = Param(
    "kernel_coalitions", int, 256,
    "coalition evaluations per round (capped at 2^n; at least clients + 2)", ge=4,
)  # fmt: skip
CGSV_ALPHA = Param(
    "cgsv_alpha", float, 0.95, "EMA weight on past reputation (Xu et al. 2021)", ge=0.0, le=1.0
)
METHODS: dict[str, Method] = {
    m.name: m
    for m in (
        Method("size", False, (), _size, "0"),
        Method("loo", True, (), _game(lambda g, r, s: loo_from_game(g)), "n + 1"),
        Method(
            "exact_shapley",
            True,
            (),
            _game(lambda g, r, s: exact_from_game(g)),
            "2^n",
            check=_exact_players,
        ),
        Method(
            "mc_shapley",
            True,
            (PERMUTATIONS, ANTITHETIC),
            _game(lambda g, r, s: mc_from_game(g, s.permutations, r, s.antithetic)),
            "<= permutations x n + 1",
        ),
        Method(
            "tmc_shapley",
            True,
            (PERMUTATIONS, TRUNCATION),
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
            (KERNEL_COALITIONS,),
            _game(lambda g, r, s: kernel_from_game(g, s.kernel_coalitions, r)),
            "kernel_coalitions (capped at 2^n)",
            check=_kernel_budget,
        ),
        Method(
            "cgsv",
            False,
            (CGSV_ALPHA,),
            _cgsv,
            "0",
        ),
    )
}
METHOD_NAMES: tuple[str, ...] = tuple(METHODS)


def method_params() -> dict[str, tuple[Param, tuple[str, ...]]]:
    """Every declared parameter once, in registry order, with the methods that read it.

    Raises:
        ValueError: two methods declare the same name differently (a shared parameter
            must be one `Param`, so it has one default and one set of bounds).
    """
    found: dict[str, tuple[Param, tuple[str, ...]]] = {}
    for method in METHODS.values():
        for param in method.params:
            if param.name in found and found[param.name][0] != param:
                raise ValueError(
                    f"contribution parameter {param.name!r} is declared twice, differently "
                    f"(by {found[param.name][1]} and {method.name!r}); share one Param"
                )
            known, readers = found.get(param.name, (param, ()))
            found[param.name] = (known, (*readers, method.name))
    return found


def cgsv_alpha_problem(strategy: Any, contribution: Any) -> str | None:
    """`key: what is wrong` when the server runs CGSV and the `cgsv` score is listed with a
    different α: both are Xu et al.'s one reputation EMA weight, so two values would make
    the score and the server's aggregation weights two different processes."""
    if strategy.name != "cgsv" or "cgsv" not in contribution.methods:
        return None
    if contribution.cgsv_alpha == strategy.cgsv_alpha:
        return None
    return (
        f"contribution.cgsv_alpha: got {contribution.cgsv_alpha} but strategy.cgsv_alpha="
        f"{strategy.cgsv_alpha}; under strategy cgsv both are the reputation's EMA weight α "
        "(Xu et al. 2021): give both the same value"
    )


# coalitions are int64 bitmasks (bit i = player i; `shapley.CachedGame`): bits 0..62
# hold players, bit 63 is the sign, so the grand coalition of 63 players, 2^63 - 1, is
# the largest that fits
MASK_MAX_PLAYERS = 63


def coalition_problems(methods: tuple[str, ...], n_clients: int) -> list[str]:
    """`clients: what is wrong` for each configured game method (`uses_game`) when the
    federation has more players than a coalition mask holds (`MASK_MAX_PLAYERS`). Only
    FL-computed scores build coalitions: synthetic and replayed scores have no such limit."""
    if n_clients <= MASK_MAX_PLAYERS:
        return []
    return [
        f"clients: got {n_clients}; {name} codes coalitions as 64-bit masks, so at most "
        f"{MASK_MAX_PLAYERS} clients; for a larger federation use the size or cgsv methods "
        "(no coalitions), or scores: {source: synthetic}"
        for name in methods
        if name in METHODS and METHODS[name].uses_game
    ]


def method_problems(settings: Any, methods: tuple[str, ...], n_clients: int) -> list[str]:
    """`key: what is wrong` for every configured method whose `check` refuses `settings`
    (the key relative to `fl.`); unknown names are skipped (they are refused elsewhere)."""
    problems = []
    for name in methods:
        check = METHODS[name].check if name in METHODS else None
        found = check(settings, n_clients) if check else None
        if found:
            problems.append(f"{found[0]}: {found[1]}")
    return problems
