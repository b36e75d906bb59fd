"""What an agent may use to act: a narrow context, not the whole model.

Traders see the pools (through :mod:`simfl.chain.router`), the ledger for their own
balances and transfers, what every trader may observe (the current `MarketView`, the
pools' fee yields, the genesis price), the scenario's per-trade cost, the federation's
genesis sale, and the run's generator. The model builds one context and keeps its
observations current; a test can build one around a bare ledger and pool.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from simfl.chain import Ledger, Pool
from simfl.market.strategies import MarketView

GenesisSale = Callable[[str, int, int], int]  # (buyer, token index, tokens) -> BASE paid


def no_genesis_sale(buyer: str, index: int, tokens: int) -> int:
    """A context without a seller: nothing is sold (0 BASE paid)."""
    return 0


@dataclass(slots=True, eq=False)
class MarketContext:
    """The market as an agent sees it (live references; the model updates `view`).

    Attributes:
        ledger: balances and transfers (an agent moves only its own tokens).
        pools: pool `i` trades `tokens[i]` against `base`.
        base_unit: base units per whole token.
        rng: the run's generator (the model's; no other randomness).
        seed_base, seed_tokens: the genesis price as a ratio of base units.
        transaction_cost: BASE base units each executed trade costs.
        fee_yields: last round's fee yield per pool (the model updates it in place).
        view: what every trader observes now.
        genesis_sale: the federation's sale of new CST at the genesis price, during
            genesis only (the model sets `no_genesis_sale` once genesis is over).
        token_share: the CST side's share of a deposit's value in every pool, at any
            price (the pool kind's: 1/2 for constant product, the CST's weight for a
            weighted pool); what a liquidity provider buys before depositing.
    """

    ledger: Ledger
    pools: list[Pool]
    tokens: list[str]
    base: str
    base_unit: int
    rng: np.random.Generator
    seed_base: int
    seed_tokens: int
    transaction_cost: int = 0
    fee_yields: list[float] = field(default_factory=list)
    view: MarketView | None = None
    genesis_sale: GenesisSale = no_genesis_sale
    token_share: Fraction = Fraction(1, 2)
    base_book: Mapping[str, int] = field(init=False)
    books: list[Mapping[str, int]] = field(init=False)

    def __post_init__(self) -> None:
        self.base_book = self.ledger.balances_of(self.base)
        self.books = [self.ledger.balances_of(token) for token in self.tokens]
        if not self.fee_yields:
            self.fee_yields = [0.0] * len(self.tokens)

    @property
    def n_clients(self) -> int:
        return len(self.tokens)

    @property
    def genesis_price(self) -> float:
        """BASE per CST at genesis (a float, for decisions and reports)."""
        return self.seed_base / self.seed_tokens
