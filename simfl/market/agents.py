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
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import mesa

from simfl.chain import BPS, LOCKED_ACCOUNT, router
from simfl.errors import AmmError, LedgerError
from simfl.market import strategies as rules
from simfl.market.context import MarketContext
from simfl.market.mechanism import payout_mode, split_amount

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
        self.ctx: MarketContext = model.context
        self.account = account
        self.slippage_bps = slippage_bps
        self.slippage_units = 0  # BASE base units given up against the pre-trade spot price
        self.failed_trades = 0
        self.trades = 0
        self.transaction_cost_units = 0  # BASE base units paid to the transaction-cost sink

    @property
    def market(self) -> MarketContext:
        """What it may use to act (the model's `context`)."""
        return self.ctx

    def token_balance(self, index: int) -> int:
        return self.market.books[index].get(self.account, 0)

    def base_balance(self) -> int:
        return self.market.base_book.get(self.account, 0)

    def buy(self, index: int, base_in: int) -> int:
        """Spend up to `base_in` BASE on CST_index within the slippage limit; tokens got."""
        return self._swap(index, self.ctx.base, base_in, buying=True)

    def sell(self, index: int, tokens_in: int) -> int:
        """Sell up to `tokens_in` CST_index for BASE within the slippage limit; BASE got."""
        return self._swap(index, self.ctx.tokens[index], tokens_in, buying=False)

    def _swap(self, index: int, token_in: str, amount_in: int, buying: bool) -> int:
        """Swap up to `amount_in` (capped by balance and, in the router, by the slippage
        limit) in pool `index`; then pay the scenario's transaction cost, if any (a buyer
        keeps it back from its order; a seller pays from the proceeds, and what it lacks
        is waived).

        Slippage paid is counted in BASE against the pre-trade spot price (rounded down).
        A refused swap counts as a failed trade and changes nothing.
        """
        model = self.ctx
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
        model = self.ctx
        paid = min(cost, model.base_book.get(self.account, 0))
        if paid:
            model.ledger.transfer(model.base, self.account, TX_COSTS_ACCOUNT, paid)
            self.transaction_cost_units += paid

    def refresh_values(self, values: Sequence[int]) -> None:
        """Reported values (whole tokens) from its row of `Valuation.all` (base units)."""
        unit = self.ctx.base_unit
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


class Federation(Reporting, mesa.Agent):
    """The FL server's treasury: opens the pools, sells CST at genesis, pays contributions.

    Its row in `agents.parquet` holds the treasury's BASE, its tokens and LP shares; its
    PnL is its value now less what it held after genesis and the revenue it has earned
    since (money from outside), so every payout shows as a cost.
    """

    kind = "federation"
    account = "federation"

    def __init__(self, model: FederationMarket) -> None:
        super().__init__(model)
        n = model.n_clients
        self.paid_base = [0] * n  # cumulative BASE paid directly, per client
        self.paid_tokens = [0] * n  # cumulative CST minted or forwarded, per client
        self.bought_back_base = [0] * n  # cumulative BASE spent buying CST_i back
        self.sold_at_genesis = [0] * n  # CST_i sold at the genesis price
        self.revenue_total = 0
        self.treasury_spent = 0  # of `treasury.initial`, paid out through the mode so far
        self.carry = [0] * n  # buy-back BASE owed from rounds whose order could not execute
        self.announced = [0] * n  # BASE it will spend per token this round

    def deploy_pools(self, seed_base: int, seed_tokens: int) -> None:
        """Genesis from the treasury's capital: mint `seed_tokens` of each CST_i and
        `seed_base` BASE (`market.pool.seed_*`, source `treasury`) and pair them."""
        ledger = self.model.ledger
        for pool, token in zip(self.model.pools, self.model.tokens):
            ledger.mint(token, self.account, seed_tokens)
            ledger.mint(self.model.base, self.account, seed_base)
            amount0, amount1 = (
                (seed_tokens, seed_base) if pool.token0 == token else (seed_base, seed_tokens)
            )
            pool.add_liquidity(self.account, amount0, amount1)

    def genesis_price_of(self, tokens: int) -> int:
        """BASE for `tokens` CST at the genesis price `seed_base / seed_tokens`, rounded up
        — favours the seller."""
        model = self.model
        return -(-tokens * model.seed_base // model.seed_tokens)

    def genesis_sale(self, buyer: str, index: int, tokens: int) -> int:
        """Sell `tokens` newly minted CST_index to `buyer` at the genesis price, outside the
        pool (so no price moves): one `genesis_sale` marker, the mint, the two transfers.

        Returns:
            BASE paid (`genesis_price_of`); 0 and nothing changes if the buyer cannot pay.
        """
        model = self.model
        ledger, token = model.ledger, model.tokens[index]
        cost = self.genesis_price_of(tokens)
        if tokens <= 0 or cost > ledger.balance(model.base, buyer):
            return 0
        ledger.note(GENESIS_SALE, token, self.account, buyer, tokens)
        ledger.mint(token, self.account, tokens)
        ledger.transfer(token, self.account, buyer, tokens)
        ledger.transfer(model.base, buyer, self.account, cost)
        self.sold_at_genesis[index] += tokens
        return cost

    def plan_buyback(self, weights: list[Fraction], budget: int) -> list[int]:
        """BASE to spend buying each CST_i back this round: the round's BASE budget split
        by weight, plus what earlier rounds could not spend (`carry`, now planned).
        Announced before the payout; the revenue arrives before it is spent. Rounds down
        (`split_amount`): the dust stays in the treasury."""
        if not self.buys_back():
            return [0] * len(weights)
        planned = [p + c for p, c in zip(split_amount(budget, weights), self.carry)]
        self.carry = [0] * len(weights)
        return planned

    def buy_back_slice(self, number: int, execute: bool = True) -> None:
        """Slice `number` (0-based) of this round's announced buy-backs: ``⌊A·(j+1)/k⌋ −
        ⌊A·j/k⌋`` of each token's amount ``A`` for ``k = reward.buyback_slices``, so the
        slices sum to ``A``. Bought now, or (``execute=False``: no substep left for it)
        carried to the next round."""
        slices = self.model.reward.buyback_slices
        if number >= slices:
            return
        ledger, base = self.model.ledger, self.model.base
        for i, total in enumerate(self.announced):
            amount = total * (number + 1) // slices - total * number // slices
            if not execute:
                self.carry[i] += amount
                continue
            amount = min(amount, ledger.balance(base, self.account))
            if amount:
                self._buy_back(i, amount)

    def buys_back(self) -> bool:
        """Whether BASE is paid out as buy-backs: in buy-back modes, and in `mint` mode for
        the treasury's spending of `initial` (its only BASE channel)."""
        model = self.model
        mode = payout_mode(model.reward.mode)
        return mode.buys_back or (not mode.pays_base and model.spends_treasury)

    def distribute(
        self, weights: list[Fraction], revenue: int, emission: int, from_treasury: int = 0
    ) -> None:
        """Step 4 of a round: pay out by `reward.mode`; never spends what it does not have.
        Every split rounds down (`split_amount`): the dust stays with the federation.

        Revenue arrives first (minted BASE: money from outside the economy), then the
        payouts: `direct` transfers BASE, `mint` mints CST_i, `buyback` swaps BASE for
        CST_i (burned or forwarded), `hybrid` mints and buys back. `from_treasury` (the
        round's share of `treasury.initial`) joins the revenue as BASE to pay out.
        """
        model = self.model
        ledger, base = model.ledger, model.base
        mode = payout_mode(model.reward.mode)
        if revenue:  # 0 in mint mode: it earns nothing
            ledger.mint(base, self.account, revenue)
            self.revenue_total += revenue
        self.treasury_spent += from_treasury
        if mode.pays_base:
            budget = min(revenue + from_treasury, ledger.balance(base, self.account))
            for i, amount in enumerate(split_amount(budget, weights)):
                if amount:
                    ledger.transfer(base, self.account, model.clients[i].account, amount)
                    self.paid_base[i] += amount
                    model.clients[i].receive(amount, 0)
        if mode.mints:
            for i, amount in enumerate(split_amount(emission, weights)):
                if amount:
                    ledger.mint(model.tokens[i], model.clients[i].account, amount)
                    self.paid_tokens[i] += amount
                    model.clients[i].receive(0, amount)
        self.buy_back_slice(0)  # the rest, if split, at the start of later substeps

    def _buy_back(self, index: int, base_in: int) -> None:
        """Buy CST_index for up to `base_in` BASE (within `reward.buyback_max_slippage_bps`
        if set, via the router); what it cannot spend — an order too small to buy anything,
        or the part beyond the slippage cap — is carried to the next round's buy-back of
        that token instead of staying stranded."""
        model = self.model
        token, pool, cap = (
            model.tokens[index],
            model.pools[index],
            model.reward.buyback_max_slippage_bps,
        )
        try:
            if cap is None:
                spent, bought = base_in, pool.swap_exact_in(self.account, model.base, base_in)
            else:
                result = router.swap_within(pool, self.account, model.base, base_in, cap)
                if result is None:
                    self.carry[index] += base_in
                    return
                spent, bought = result.amount_in, result.amount_out
        except AmmError:
            self.carry[index] += base_in
            return
        self.carry[index] += base_in - spent
        self.bought_back_base[index] += spent
        if model.reward.bought_back == "burn":
            model.ledger.burn(token, self.account, bought)
        else:
            model.ledger.transfer(token, self.account, model.clients[index].account, bought)
            self.paid_tokens[index] += bought
            model.clients[index].receive(0, bought)

    def refresh_values(self, values: Sequence[int]) -> None:
        """Reported values (whole tokens) of the treasury's BASE, tokens and pool shares,
        and its PnL net of the revenue it earned."""
        model = self.model
        unit = model.base_unit
        self.report_values(model.base_book.get(self.account, 0), values, unit)
        self.received_base = self.revenue_total / unit
        self.pnl = (values[0] - self.initial_value - self.revenue_total) / unit
        self.pnl_liquidation = (values[1] - self.initial_liquidation - self.revenue_total) / unit


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
        model = self.ctx
        pool = model.pools[index]
        if base_needed >= pool.reserve_of(model.base):
            needed = self.token_balance(index)
        else:
            needed = router.quote_in(pool, model.base, base_needed)
        self.sell(index, needed)
