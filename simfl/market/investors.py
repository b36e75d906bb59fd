"""Outside capital: third-party investors and liquidity providers (Mesa agents).

Behaviour only, like `agents.py`: decisions come from the pure rules in
`strategies.py`; trades go through `Trader.buy` / `Trader.sell`, which cap every order
by the agent's slippage limit. A refused trade is skipped and changes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from simfl.chain import router
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
        model = self.market
        scale = model.base_unit
        holdings = LiveHoldings(model.books, self.account, scale)
        base = model.base_book.get(self.account, 0)
        return rules.Position(base / scale, self.budget / scale, holdings)

    def decide(self) -> list[rules.Order]:
        """Its strategy's orders now (`strategies.INVESTOR_STRATEGIES`)."""
        return self.rule.decide(self.market.view, self.position(), self.market.rng, self.group)

    def buy_at_genesis(self, fraction: float) -> None:
        """Genesis: spend `fraction` of the budget, evenly over every token, on CST bought
        from the federation at the genesis price (a recorded sale; no price moves)."""
        model = self.market
        n = model.n_clients
        per_token = fraction_of(self.budget, fraction) // max(n, 1)
        tokens = per_token * model.seed_tokens // model.seed_base  # rounds down
        for index in range(n):
            model.genesis_sale(self.account, index, tokens)

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
    """Adds liquidity when fee yield is attractive, withdraws on impermanent loss.

    Deposits are at the pool's ratio, sized in LP units (`router.deposit_amounts`: each
    side within one base unit of the ratio), so they move no price by more than that.
    Fees are exact: its LP units' share of each pool's fees (`pool.fees_of`), the token
    side valued at the closing spot of the round it was earned in.
    """

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
        self.fees_seen = [(0, 0)] * n  # (BASE, CST_i) fee units already valued, per pool
        self.pool_fees = [0] * n  # BASE base units of fees on the current positions
        self.realized_fees = 0  # BASE base units of fees on positions already withdrawn
        self.realized_loss = 0.0  # whole BASE of impermanent loss locked in by withdrawals

    def deploy(self, fraction: float) -> None:
        """Genesis: put `fraction` of the budget into every pool, evenly; the CST side is
        bought from the federation at the genesis price (a recorded sale), so every pool
        opens at its genesis price."""
        n = self.market.n_clients
        per_pool = fraction_of(self.budget, fraction) // max(n, 1)
        for index in range(n):
            self.provide_at_genesis(index, per_pool)

    def provide_at_genesis(self, index: int, base_budget: int) -> None:
        """Buy the CST side's share (`token_share`: half in a constant-product pool) of
        `base_budget`'s worth of CST_index at the genesis price from the federation and
        deposit both sides at the pool's ratio."""
        model = self.market
        share = model.token_share
        token_budget = base_budget * share.numerator // share.denominator
        tokens = token_budget * model.seed_tokens // model.seed_base
        if model.genesis_sale(self.account, index, tokens):
            self._deposit(index, self.token_balance(index), base_budget - token_budget)

    def provide(self, index: int, base_budget: int) -> None:
        """Deposit into pool `index` for at most `base_budget` BASE in all: first its own
        CST_index, then, only if more LP units can follow, the CST the deposit needs,
        bought from the pool (`router.buy_for_deposit`: the input that makes the largest
        deposit at the pool's ratio after the buy). It buys nothing when no deposit can
        follow, so it never ends a turn holding CST it meant to deposit."""
        model = self.market
        pool, token = model.pools[index], model.tokens[index]
        budget = min(base_budget, self.base_balance())
        if budget <= 0:
            return
        held = self.token_balance(index)  # a buy also costs the transaction cost
        base_in = router.buy_for_deposit(pool, token, budget - model.transaction_cost, held)
        if base_in:
            before = self.base_balance()
            if self.buy(index, base_in) <= 0:
                return
            budget -= before - self.base_balance()  # the swap and its transaction cost
        self._deposit(index, self.token_balance(index), budget)

    def _deposit(self, index: int, max_tokens: int, max_base: int) -> None:
        """Deposit at most `max_tokens` CST_index and `max_base` BASE at the exact pool ratio."""
        model = self.market
        pool, token = model.pools[index], model.tokens[index]
        max_tokens = min(max_tokens, self.token_balance(index))
        max_base = min(max_base, self.base_balance())
        token_side, base_side = router.deposit_amounts(pool, token, max_tokens, max_base)
        if not token_side:
            return
        amounts = (token_side, base_side) if pool.token0 == token else (base_side, token_side)
        price = pool.price(token)
        try:
            pool.add_liquidity(self.account, *amounts)
        except (AmmError, LedgerError):
            self.failed_trades += 1
            return
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
        self.accrue_fees(index)  # fees up to now belong to the position being closed
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
        self.pool_fees[index] = 0

    def open_loss(self, index: int) -> float:
        """Impermanent loss of the open position in pool `index`, whole BASE:
        position − hold − fees accrued on it (0 without a position)."""
        if not self.deposited_base[index]:
            return 0.0
        model = self.market
        pool, token = model.pools[index], model.tokens[index]
        hold = self.deposited_base[index] + router.spot_value(
            pool, token, self.deposited_tokens[index]
        )
        shares = model.ledger.balance(pool.lp_token, self.account)
        position = router.position_value(pool, token, 0, shares)[0]
        return (position - hold - self.pool_fees[index]) / model.base_unit

    def accrue_fees(self, index: int) -> None:
        """Value the fees its LP units earned in pool `index` since it last looked: exact
        units from the pool's settled accounts (settled first), the CST side at spot now
        (rounded down)."""
        model = self.market
        pool, token = model.pools[index], model.tokens[index]
        pool.settle_fees()
        fee_base, fee_token, _ = router.fees_value(pool, token, self.account)
        seen_base, seen_token = self.fees_seen[index]
        if (fee_base, fee_token) == (seen_base, seen_token):
            return
        self.fees_seen[index] = (fee_base, fee_token)
        new = (fee_base - seen_base) + router.spot_value(pool, token, fee_token - seen_token)
        self.pool_fees[index] += new

    def trade(self) -> None:
        """Its turn, once a round: withdraw where IL is too large, add where fees pay."""
        model = self.market
        scale = model.base_unit
        for index in range(model.n_clients):
            price = model.view.prices[index]
            if self.deposited_base[index] and self.entry_price[index] > 0:
                ratio = price / self.entry_price[index]
                loss = self.group.withdraw_loss
                if rules.lp_should_withdraw(ratio, loss, float(model.token_share)):
                    self.withdraw(index)
                    continue
            idle = self.base_balance() / scale
            if rules.lp_should_add(model.fee_yields[index], self.group.add_yield, idle):
                self.provide(index, self.tranche)

    def refresh_values(self, values: Sequence[int]) -> None:
        """Fees earned and impermanent loss, realised (closed positions) plus open."""
        super().refresh_values(values)
        n = self.market.n_clients
        for index in range(n):
            self.accrue_fees(index)
        unit = self.market.base_unit
        open_loss = sum(self.open_loss(index) for index in range(n))
        self.fees_earned = (self.realized_fees + sum(self.pool_fees)) / unit
        self.impermanent_loss = self.realized_loss + open_loss
