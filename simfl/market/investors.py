"""Outside capital: third-party investors and liquidity providers (Mesa agents).

Behaviour only, like `agents.py`: decisions come from the pure rules in
`strategies.py`; trades go through `Trader.buy` / `Trader.sell`, which cap every order
by the agent's slippage limit. A refused trade is skipped and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from simfl.errors import AmmError, LedgerError
from simfl.market import strategies as rules
from simfl.market.agents import NO_SLIPPAGE_LIMIT_BPS, Trader, fraction_of

if TYPE_CHECKING:
    from simfl.model import FederationMarket


class LiveHoldings(Sequence[float]):
    """An account's CST_i holdings in whole tokens, read from the ledger when asked.

    Most decisions look at one or two tokens; reading all of them up front was a third
    of an investor's cost at 10,000 investors.
    """

    __slots__ = ("account", "books", "scale")

    def __init__(self, books: list[Mapping[str, int]], account: str, scale: int) -> None:
        self.books, self.account, self.scale = books, account, scale

    def __getitem__(self, index: int) -> float:  # type: ignore[override]
        return self.books[index].get(self.account, 0) / self.scale

    def __len__(self) -> int:
        return len(self.books)


class Investor(Trader):
    """A third-party investor following one strategy with a BASE budget."""

    kind = "investor"

    def __init__(self, model: FederationMarket, number: int, group: Any) -> None:
        super().__init__(model, f"investor-{number}", group.max_slippage_bps)
        self.strategy = group.strategy
        self.rule = rules.investor_strategy(group.strategy)  # unknown name: ValueError
        self.group = group
        self.budget = model.to_units(group.budget)

    def position(self) -> rules.Position:
        model = self.model
        scale = model.base_unit
        holdings = LiveHoldings(model.books, self.account, scale)
        base = model.base_book.get(self.account, 0)
        return rules.Position(base / scale, self.budget / scale, holdings)

    def decide(self) -> list[rules.Order]:
        """Its strategy's orders now (`strategies.INVESTOR_STRATEGIES`)."""
        return self.rule.decide(self.market.view, self.position(), self.market.rng, self.group)

    def execute(self, orders: list[rules.Order]) -> None:
        for order in orders:
            if order.side == "buy":
                self.buy(order.token, fraction_of(self.budget, order.fraction))
            else:
                self.sell(order.token, fraction_of(self.token_balance(order.token), order.fraction))

    def trade(self) -> None:
        """Its turn in a substep (the model drew it by `activity`); a front-runner's turn
        comes once a round, after the payout, and it sells out (it buys in `front_run`)."""
        self.execute(self.decide())

    def front_run(self) -> None:
        """Before the payout: a front-runner buys what the federation announced."""
        self.execute(self.decide())


class LiquidityProvider(Trader):
    """Adds liquidity when fee yield is attractive, withdraws on impermanent loss."""

    kind = "liquidity_provider"
    strategy = "lp"

    def __init__(self, model: FederationMarket, number: int, group: Any) -> None:
        super().__init__(model, f"lp-{number}", NO_SLIPPAGE_LIMIT_BPS)
        self.group = group
        self.budget = model.to_units(group.budget)
        n = model.n_clients
        self.tranche = self.budget // (2 * n) if n else 0  # BASE per pool per deposit
        self.entry_price = [0.0] * n  # BASE per CST_i, liquidity-weighted
        self.deposited_base = [0] * n
        self.deposited_tokens = [0] * n
        self.pool_fees = [0.0] * n  # whole BASE of fees accrued on the current positions
        self.realized_fees = 0.0  # whole BASE of fees on positions already withdrawn
        self.realized_loss = 0.0  # whole BASE of impermanent loss locked in by withdrawals

    def deploy(self, fraction: float) -> None:
        """Genesis: put `fraction` of the budget into every pool, evenly."""
        n = self.market.n_clients
        per_pool = fraction_of(self.budget, fraction) // max(n, 1)
        for index in range(n):
            self.provide(index, per_pool)

    def provide(self, index: int, base_budget: int) -> None:
        """Swap half of `base_budget` for CST_index and deposit both sides at the pool
        ratio; never spends more than `base_budget` in all."""
        base_budget = min(base_budget, self.base_balance())
        if base_budget <= 1:
            return
        model = self.market
        pool = model.pools[index]
        token = model.tokens[index]
        before = self.base_balance()
        got = self.buy(index, base_budget // 2)
        if got <= 0:
            return
        left = base_budget - (before - self.base_balance())
        reserve_base, reserve_token = pool.reserve_of(model.base), pool.reserve_of(token)
        base_side = min(left, got * reserve_base // reserve_token)
        token_side = min(got, base_side * reserve_token // reserve_base)
        amounts = (token_side, base_side) if pool.token0 == token else (base_side, token_side)
        try:
            pool.add_liquidity(self.account, *amounts)
        except (AmmError, LedgerError):
            self.failed_trades += 1
            return
        price = reserve_base / reserve_token
        old = self.deposited_base[index]
        self.entry_price[index] = (self.entry_price[index] * old + price * base_side) / (
            old + base_side
        )
        self.deposited_base[index] += base_side
        self.deposited_tokens[index] += token_side

    def withdraw(self, index: int) -> None:
        """Take all its liquidity out of pool `index`; the position's loss and fees so far
        stay in its record (realised), so leaving a pool never hides a loss."""
        pool = self.market.pools[index]
        shares = self.market.ledger.balance(pool.lp_token, self.account)
        if shares <= 0:
            return
        loss = self.open_loss(index)
        try:
            pool.remove_liquidity(self.account, shares)
        except (AmmError, LedgerError):
            self.failed_trades += 1
            return
        self.realized_loss += loss
        self.realized_fees += self.pool_fees[index]
        self.deposited_base[index] = 0
        self.deposited_tokens[index] = 0
        self.pool_fees[index] = 0.0

    def open_loss(self, index: int) -> float:
        """Impermanent loss of the open position in pool `index`, whole BASE:
        position − hold − fees accrued on it (0 without a position)."""
        if not self.deposited_base[index]:
            return 0.0
        model = self.market
        scale = model.base_unit
        price = model.pools[index].price(model.tokens[index])
        hold = (self.deposited_base[index] + self.deposited_tokens[index] * price) / scale
        position = model.valuation.lp_position(index, self.account) / scale
        return position - hold - self.pool_fees[index]

    def accrue_fees(self, round_fees: list[float]) -> None:
        """At a round's close: its share of each pool's fees this round (whole BASE).

        The share is its LP units over the pool's at the close, so fees earned before a
        mid-round deposit are attributed pro rata — an estimate, never negative.
        """
        ledger = self.market.ledger
        for index, pool in enumerate(self.market.pools):
            shares = ledger.balance(pool.lp_token, self.account)
            if shares and round_fees[index]:
                self.pool_fees[index] += round_fees[index] * shares / pool.total_liquidity

    def trade(self) -> None:
        """Its turn, once a round: withdraw where IL is too large, add where fees pay."""
        model = self.market
        scale = model.base_unit
        for index in range(model.n_clients):
            price = model.view.prices[index]
            if self.deposited_base[index] and self.entry_price[index] > 0:
                ratio = price / self.entry_price[index]
                if rules.lp_should_withdraw(ratio, self.group.withdraw_loss):
                    self.withdraw(index)
                    continue
            idle = self.base_balance() / scale
            if rules.lp_should_add(model.fee_yields[index], self.group.add_yield, idle):
                self.provide(index, self.tranche)

    def refresh_values(self, values: Sequence[int]) -> None:
        """Fees earned and impermanent loss, realised (closed positions) plus open."""
        super().refresh_values(values)
        open_loss = sum(self.open_loss(index) for index in range(self.market.n_clients))
        self.fees_earned = self.realized_fees + sum(self.pool_fees)
        self.impermanent_loss = self.realized_loss + open_loss
