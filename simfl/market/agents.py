"""The economy's actors as Mesa 3 agents: behaviour only.

Traders act through a narrow `MarketContext` (`context.py`: the pools via the router,
the ledger for their own balances, observations, the generator), not the model; their
decisions come from the pure rules in `strategies.py`. Wiring, the order of a round
and data collection live in `model.py`. A refused trade (slippage, empty pool, too
small) is skipped and changes nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import mesa

from simfl.chain import BPS, LOCKED_ACCOUNT, router
from simfl.errors import AmmError, LedgerError
from simfl.market import strategies as rules
from simfl.market.context import MarketContext

if TYPE_CHECKING:
    from simfl.model import FederationMarket

NO_SLIPPAGE_LIMIT_BPS = BPS - 1  # accepts any price impact (an LP's deposit swaps)
COSTS_ACCOUNT = "external:costs"  # where clients' training costs go (leaves the economy)
TX_COSTS_ACCOUNT = "external:transaction_costs"  # where per-trade transaction costs go
GENESIS_SALE = "genesis_sale"  # journal marker: CST sold by the federation at the genesis price
# the sinks: accounts that only receive, each reported as an agents.parquet row of its own
SINKS = (
    ("training_costs", COSTS_ACCOUNT),
    ("transaction_costs", TX_COSTS_ACCOUNT),
    ("locked_liquidity", LOCKED_ACCOUNT),  # Uniswap's MINIMUM_LIQUIDITY, locked for ever
)


PPM = 1_000_000  # resolution of decision fractions: parts per million


def fraction_of(amount: int, fraction: float) -> int:
    """`floor(amount · fraction)` at parts-per-million resolution, for an order size.

    Decisions need not be exact rationals, only integer, deterministic and never more
    than `amount`; a ppm grid keeps this on the hot path cheap. Rounds down.
    """
    ppm = int(min(max(fraction, 0.0), 1.0) * PPM)
    return amount * ppm // PPM


class Reporting:
    """The columns of `agents.parquet`, in whole tokens (floats: reports only).

    Exact amounts stay in the ledger and in `*_units` integer counters; `refresh_values`
    turns them into these floats before each collection.
    """

    kind = ""
    strategy = ""
    client_index = -1
    participating = False
    base = 0.0
    tokens_value = 0.0
    own_tokens = 0.0
    value_spot = 0.0
    value_liquidation = 0.0
    pnl = 0.0
    pnl_liquidation = 0.0
    holdings: tuple[float, ...] = ()  # CST_i held, whole tokens, one per client token
    costs_unpaid = 0.0
    received_base = 0.0
    received_tokens = 0.0
    costs_paid = 0.0
    slippage_paid = 0.0
    trades = 0
    fees_earned = 0.0
    impermanent_loss = 0.0
    transaction_costs = 0.0
    initial_value = 0  # BASE base units at spot after genesis (the PnL baseline)
    initial_liquidation = 0  # BASE base units it could have sold for after genesis

    def report_values(self, base_units: int, values: Sequence[int], unit: int) -> None:
        """Set the value columns from its row of `Valuation.all` (base units → whole)."""
        spot, liquidation, tokens_spot, *held = values
        self.holdings = tuple(amount / unit for amount in held)
        self.base = base_units / unit
        self.value_spot = spot / unit
        self.value_liquidation = liquidation / unit
        self.tokens_value = tokens_spot / unit


class Sink(Reporting, mesa.Agent):
    """An account that only receives (training costs, transaction costs, locked LP units):
    a row of its own so that every unit has a reported owner."""

    kind = "sink"

    def __init__(self, model: FederationMarket, name: str, account: str) -> None:
        super().__init__(model)
        self.strategy = name
        self.account = account

    def refresh_values(self, values: Sequence[int]) -> None:
        model = self.model
        self.report_values(model.base_book.get(self.account, 0), values, model.base_unit)


class Trader(Reporting, mesa.Agent):
    """An account that trades CST_i against BASE and reports what it holds.

    It acts through `self.market`, a narrow `MarketContext` (pools via the router, the
    ledger for its own balances, observations, the generator), never the whole model.
    """

    kind = "trader"

    def __init__(self, model: FederationMarket, account: str, slippage_bps: int = 300) -> None:
        super().__init__(model)
        self.market: MarketContext = model.context  # what it may use to act
        self.account = account
        self.slippage_bps = slippage_bps
        self.slippage_units = 0  # BASE base units given up against the pre-trade spot price
        self.failed_trades = 0
        self.trades = 0
        self.transaction_cost_units = 0  # BASE base units paid to the transaction-cost sink

    def token_balance(self, index: int) -> int:
        return self.market.books[index].get(self.account, 0)

    def base_balance(self) -> int:
        return self.market.base_book.get(self.account, 0)

    def buy(self, index: int, base_in: int) -> int:
        """Spend up to `base_in` BASE on CST_index within the slippage limit; tokens got."""
        return self._swap(index, self.market.base, base_in, buying=True)

    def sell(self, index: int, tokens_in: int) -> int:
        """Sell up to `tokens_in` CST_index for BASE within the slippage limit; BASE got."""
        return self._swap(index, self.market.tokens[index], tokens_in, buying=False)

    def _swap(self, index: int, token_in: str, amount_in: int, buying: bool) -> int:
        """Swap up to `amount_in` (capped by balance and, in the router, by the slippage
        limit) in pool `index`; then pay the scenario's transaction cost, if any (a buyer
        keeps it back from its order; a seller pays from the proceeds, and what it lacks
        is waived).

        Slippage paid is counted in BASE against the pre-trade spot price (rounded down).
        A refused swap counts as a failed trade and changes nothing.
        """
        model = self.market
        held = model.ledger.balances_of(token_in).get(self.account, 0)
        if buying:  # keep back the transaction cost: a buyer can always pay it
            held -= model.transaction_cost
        amount_in = min(amount_in, held)
        if amount_in <= 0:
            return 0
        try:
            result = router.swap_within(
                model.pools[index], self.account, token_in, amount_in, self.slippage_bps
            )
        except (AmmError, LedgerError):
            self.failed_trades += 1
            return 0
        if result is None:
            return 0
        self.trades += 1
        paid, out, spot_out = result.amount_in, result.amount_out, result.spot_out
        # in BASE: what was paid beyond spot (buying) or what spot would have paid (selling)
        self.slippage_units += paid - out * paid // spot_out if buying else spot_out - out
        if model.transaction_cost:
            self.pay_transaction_cost(model.transaction_cost)
        return out

    def pay_transaction_cost(self, cost: int) -> None:
        """Pay a trade's transaction cost in BASE to the sink; what it lacks is waived."""
        model = self.market
        paid = min(cost, model.base_book.get(self.account, 0))
        if paid:
            model.ledger.transfer(model.base, self.account, TX_COSTS_ACCOUNT, paid)
            self.transaction_cost_units += paid

    def refresh_values(self, values: Sequence[int]) -> None:
        """Reported values (whole tokens) from its row of `Valuation.all` (base units)."""
        unit = self.market.base_unit
        spot, liquidation = values[0], values[1]
        self.report_values(self.base_balance(), values, unit)
        self.pnl = (spot - self.initial_value) / unit
        self.pnl_liquidation = (liquidation - self.initial_liquidation) / unit
        self.slippage_paid = self.slippage_units / unit
        self.transaction_costs = self.transaction_cost_units / unit
        if self.client_index >= 0:
            self.own_tokens = self.token_balance(self.client_index) / unit

    def trade(self) -> None:
        """One substep of market activity; subclasses decide."""


class FLClient(Trader):
    """One FL client: trains (in the FL engine), is paid, and manages its own token."""

    kind = "client"

    def __init__(self, model: FederationMarket, index: int, behaviour: str, settings: Any) -> None:
        super().__init__(model, f"client-{index}")
        self.client_index = index
        self.strategy = behaviour  # reported in the 'strategy' column: its FL behaviour
        self.settings = settings  # market.clients section
        self.cost = 0  # BASE base units per round of training
        self.participating = True
        self.absent_rounds = 0
        self.recent: deque[tuple[int, int]] = deque(maxlen=settings.memory)
        self.round_base = 0  # received this round
        self.round_tokens = 0
        self.received_base_units = 0
        self.received_token_units = 0
        self.costs_paid_units = 0
        self.costs_unpaid_units = 0

    def receive(self, base: int, tokens: int) -> None:
        """The federation paid it this round (called during distribution)."""
        self.round_base += base
        self.round_tokens += tokens
        self.received_base_units += base
        self.received_token_units += tokens

    def decide_participation(self) -> bool:
        """Before a round: take part unless the expected reward is below the training cost."""
        settings = self.settings
        if not settings.opt_out or self.cost == 0:
            self.participating = True
        elif self.absent_rounds >= settings.rejoin_after:
            self.participating = True  # retry: the market may have changed
        else:
            price = self.market.pools[self.client_index].price(
                self.market.tokens[self.client_index]
            )
            scale = self.market.base_unit
            recent = [(b / scale, t / scale) for b, t in self.recent]
            expected = rules.expected_reward(recent, price)
            self.participating = expected >= self.cost / scale
        self.absent_rounds = 0 if self.participating else self.absent_rounds + 1
        return self.participating

    def pay_training_cost(self) -> None:
        """A participant pays its round's cost in BASE; what it cannot pay accrues."""
        if not self.cost:
            return
        paid = min(self.cost, self.base_balance())
        if paid:
            self.market.ledger.transfer(self.market.base, self.account, COSTS_ACCOUNT, paid)
        self.costs_paid_units += paid
        self.costs_unpaid_units += self.cost - paid

    def refresh_values(self, values: Sequence[int]) -> None:
        super().refresh_values(values)
        unit = self.market.base_unit
        self.received_base = self.received_base_units / unit
        self.received_tokens = self.received_token_units / unit
        self.costs_paid = self.costs_paid_units / unit
        self.costs_unpaid = self.costs_unpaid_units / unit

    def start_round(self) -> None:
        self.round_base = 0
        self.round_tokens = 0

    def end_round(self) -> None:
        if self.participating:
            self.recent.append((self.round_base, self.round_tokens))

    def trade(self) -> None:
        """Apply the payout policy (the model calls it once a round, after the payout)."""
        index = self.client_index
        held = self.token_balance(index)
        if rules.client_policy(self.settings.policy).sells_to_fund:
            need = self.cost - self.base_balance()
            if need > 0 and held > 0:
                self._sell_for(index, need)
            return
        model = self.market
        price = model.pools[index].price(model.tokens[index])
        fraction = rules.client_sell_fraction(
            self.settings.policy,
            held,
            price,
            model.genesis_price,
            self.settings.fraction,
            self.settings.price_threshold,
        )
        if fraction > 0:
            self.sell(index, fraction_of(held, fraction))

    def _sell_for(self, index: int, base_needed: int) -> None:
        """Sell about enough CST_index to receive `base_needed` BASE: the exact input it
        needs (`router.quote_in`, rounded up — favours the pool), within its slippage
        limit (so possibly less than needed); everything if the pool cannot pay that."""
        model = self.market
        pool = model.pools[index]
        if base_needed >= pool.reserve_of(model.base):
            needed = self.token_balance(index)
        else:
            needed = router.quote_in(pool, model.base, base_needed)
        self.sell(index, needed)
