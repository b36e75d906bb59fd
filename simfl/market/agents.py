"""The economy's actors as Mesa 3 agents: behaviour only.

Agents read the model's shared state (`model.ledger`, `model.pools`, `model.view`) and
act on the ledger through the pools; their decisions come from the pure rules in
`strategies.py`. Wiring, the order of a round and data collection live in `model.py`.
A refused trade (slippage, empty pool, too small) is skipped and changes nothing.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from fractions import Fraction
from typing import TYPE_CHECKING, Any

import mesa

from simfl.chain import BPS, ConstantProductPool, get_amount_in
from simfl.errors import AmmError, LedgerError
from simfl.market import strategies as rules
from simfl.market.mechanism import payout_mode, split_amount

if TYPE_CHECKING:
    from simfl.model import FederationMarket

NO_SLIPPAGE_LIMIT_BPS = BPS - 1  # accepts any price impact (an LP's deposit swaps)
COSTS_ACCOUNT = "external:costs"  # where clients' training costs go (leaves the economy)


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


class Trader(Reporting, mesa.Agent):
    """An account that trades CST_i against BASE and reports what it holds."""

    kind = "trader"

    def __init__(self, model: FederationMarket, account: str, slippage_bps: int = 300) -> None:
        super().__init__(model)
        self.account = account
        self.slippage_bps = slippage_bps
        self.slippage_units = 0  # BASE base units given up against the pre-trade spot price
        self.failed_trades = 0
        self.trades = 0
        self.initial_value = 0  # BASE base units at spot, set after genesis

    @property
    def market(self) -> FederationMarket:
        return self.model  # type: ignore[return-value]

    def token_balance(self, index: int) -> int:
        return self.market.books[index].get(self.account, 0)

    def base_balance(self) -> int:
        return self.market.base_book.get(self.account, 0)

    def max_order(self, reserve_in: int, fee_bps: int) -> int:
        """Largest input whose fee plus price impact stays within the slippage limit.

        Receiving at least `(1 − s)` of the spot value needs
        `a ≤ r·(s − f) / ((1 − f)·(1 − s))` (fee f, slippage s); 0.1% is kept back for
        the floors in the pool's integer math. Rounds down.
        """
        s, f = self.slippage_bps, fee_bps
        if s <= f:
            return 0
        cap = reserve_in * (s - f) * BPS // ((BPS - f) * (BPS - s))
        return cap * 999 // 1000

    def buy(self, index: int, base_in: int) -> int:
        """Spend up to `base_in` BASE on CST_index within the slippage limit; tokens got."""
        model = self.model
        return self._swap(index, model.base, model.tokens[index], base_in, buying=True)

    def sell(self, index: int, tokens_in: int) -> int:
        """Sell up to `tokens_in` CST_index for BASE within the slippage limit; BASE got."""
        model = self.model
        return self._swap(index, model.tokens[index], model.base, tokens_in, buying=False)

    def _swap(self, index: int, token_in: str, token_out: str, amount_in: int, buying: bool) -> int:
        """Swap up to `amount_in` (capped by balance and slippage) in pool `index`.

        Slippage paid is counted in BASE against the pre-trade spot price (rounded down).
        A refused swap counts as a failed trade and changes nothing.
        """
        pool: ConstantProductPool = self.model.pools[index]
        reserve_in, reserve_out = pool.reserve_of(token_in), pool.reserve_of(token_out)
        held = self.model.ledger.balances_of(token_in).get(self.account, 0)
        amount_in = min(amount_in, self.max_order(reserve_in, pool.fee_bps), held)
        if amount_in <= 0:
            return 0
        fair_out = amount_in * reserve_out // reserve_in
        min_out = fair_out * (BPS - self.slippage_bps) // BPS
        try:
            out = pool.swap_exact_in(self.account, token_in, amount_in, min_out)
        except (AmmError, LedgerError):
            self.failed_trades += 1
            return 0
        self.trades += 1
        # in BASE: what was paid beyond spot (buying) or what spot would have paid (selling)
        self.slippage_units += (
            amount_in - out * reserve_in // reserve_out if buying else fair_out - out
        )
        return out

    def refresh_values(self, values: Sequence[int]) -> None:
        """Reported values (whole tokens) from its row of `Valuation.all` (base units)."""
        unit = self.model.base_unit
        spot, liquidation, tokens_spot, *held = values
        self.holdings = tuple(amount / unit for amount in held)
        self.base = self.base_balance() / unit
        self.value_spot = spot / unit
        self.value_liquidation = liquidation / unit
        self.pnl = (spot - self.initial_value) / unit
        self.pnl_liquidation = (liquidation - self.initial_value) / unit
        self.slippage_paid = self.slippage_units / unit
        self.tokens_value = tokens_spot / unit
        if self.client_index >= 0:
            self.own_tokens = self.token_balance(self.client_index) / unit

    def trade(self) -> None:
        """One substep of market activity; subclasses decide."""


class Federation(Reporting, mesa.Agent):
    """The FL server's treasury: deploys the pools and pays contributions out."""

    kind = "federation"
    account = "federation"

    def __init__(self, model: FederationMarket) -> None:
        super().__init__(model)
        n = model.n_clients
        self.paid_base = [0] * n  # cumulative BASE paid directly, per client
        self.paid_tokens = [0] * n  # cumulative CST minted or forwarded, per client
        self.bought_back_base = [0] * n  # cumulative BASE spent buying CST_i back
        self.revenue_total = 0
        self.announced = [0] * n  # BASE it will spend per token this round

    def deploy_pools(self, seed_base: int, seed_tokens: int) -> None:
        """Genesis: mint `seed_tokens` of each CST_i and pair it with `seed_base` BASE."""
        ledger = self.model.ledger
        for pool, token in zip(self.model.pools, self.model.tokens):
            ledger.mint(token, self.account, seed_tokens)
            ledger.mint(self.model.base, self.account, seed_base)
            amount0, amount1 = (
                (seed_tokens, seed_base) if pool.token0 == token else (seed_base, seed_tokens)
            )
            pool.add_liquidity(self.account, amount0, amount1)

    def plan_buyback(self, weights: list[Fraction], revenue: int) -> list[int]:
        """BASE to spend buying each CST_i back this round: the round's revenue split by
        weight (announced before the payout; the revenue arrives before it is spent).
        Rounds down (`split_amount`): the dust stays in the treasury."""
        if not payout_mode(self.model.reward.mode).buys_back:
            return [0] * len(weights)
        return split_amount(revenue, weights)

    def distribute(self, weights: list[Fraction], revenue: int, emission: int) -> None:
        """Step 4 of a round: pay out by `reward.mode`; never spends what it does not have.
        Every split rounds down (`split_amount`): the dust stays with the federation.

        Revenue arrives first (minted BASE: money from outside the economy), then the
        payouts: `direct` transfers BASE, `mint` mints CST_i, `buyback` swaps BASE for
        CST_i (burned or forwarded), `hybrid` mints and buys back.
        """
        model = self.model
        ledger, base = model.ledger, model.base
        mode = payout_mode(model.reward.mode)
        if revenue:  # 0 in mint mode: it earns nothing
            ledger.mint(base, self.account, revenue)
            self.revenue_total += revenue
        if mode.pays_base:
            amounts = split_amount(min(revenue, ledger.balance(base, self.account)), weights)
            for i, amount in enumerate(amounts):
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
        if mode.buys_back:
            for i, amount in enumerate(self.announced):
                amount = min(amount, ledger.balance(base, self.account))
                if amount:
                    self._buy_back(i, amount)

    def _buy_back(self, index: int, base_in: int) -> None:
        model = self.model
        token = model.tokens[index]
        try:
            bought = model.pools[index].swap_exact_in(self.account, model.base, base_in)
        except AmmError:
            return  # too small to buy anything: the BASE stays in the treasury
        self.bought_back_base[index] += base_in
        if model.reward.bought_back == "burn":
            model.ledger.burn(token, self.account, bought)
        else:
            model.ledger.transfer(token, self.account, model.clients[index].account, bought)
            self.paid_tokens[index] += bought
            model.clients[index].receive(0, bought)

    def refresh_values(self, values: Sequence[int]) -> None:
        """Reported values (whole tokens) of the treasury's BASE, tokens and pool shares."""
        unit = self.model.base_unit
        self.base = self.model.ledger.balance(self.model.base, self.account) / unit
        spot, liquidation, tokens_spot, *held = values
        self.holdings = tuple(amount / unit for amount in held)
        self.tokens_value = tokens_spot / unit
        self.value_spot, self.value_liquidation = spot / unit, liquidation / unit


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
        needs (`get_amount_in`, rounded up by one — favours the pool), within its slippage
        limit (so possibly less than needed)."""
        model = self.model
        pool = model.pools[index]
        reserve_token = pool.reserve_of(model.tokens[index])
        reserve_base = pool.reserve_of(model.base)
        if base_needed >= reserve_base:
            needed = self.token_balance(index)
        else:
            needed = get_amount_in(base_needed, reserve_token, reserve_base, pool.fee_bps)
        self.sell(index, needed)
