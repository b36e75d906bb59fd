"""The federation (the FL server's treasury) as a Mesa agent, and its payout plans.

The federation decides; the model executes (`payout.py`). At genesis it opens the pools
from its capital (`pool.source: treasury`) and sells newly minted CST at the genesis
price (`genesis_sale`), outside the pools, to whoever should hold tokens from the start.
Each round it turns weights and the round's budget into a `PayoutPlan`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import mesa

from simfl.market.agents import GENESIS_SALE, Reporting
from simfl.market.mechanism import payout_mode, split_amount

if TYPE_CHECKING:
    from simfl.model import FederationMarket


@dataclass(frozen=True, slots=True)
class PayoutPlan:
    """One round's payout in base units, decided before it is paid (DESIGN.md step 4).

    Executed by `payout.execute` in this order: `revenue` minted to the treasury (money
    from outside), `direct` BASE to each client, `minted` CST_i to each client, then the
    `buyback` BASE for each token in `reward.buyback_slices` slices.
    """

    revenue: int
    from_treasury: int  # the round's share of `treasury.initial`, in `direct` or `buyback`
    direct: tuple[int, ...]
    minted: tuple[int, ...]
    buyback: tuple[int, ...]  # what earlier rounds could not spend (`carry`) included

    @staticmethod
    def nothing(n: int) -> PayoutPlan:
        return PayoutPlan(0, 0, (0,) * n, (0,) * n, (0,) * n)


class Federation(Reporting, mesa.Agent):
    """The FL server's treasury: opens the pools, sells CST at genesis, plans payouts.

    Its row in `agents.parquet` holds the treasury's BASE, its tokens and LP shares; its
    PnL is its value now less what it held after genesis and the revenue it has earned
    since (money from outside), so every payout shows as a cost. The counters below are
    what the executed plans paid.
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
        self.carry = [0] * n  # buy-back BASE owed from rounds that could not spend it
        self.announced = [0] * n  # BASE it will spend per token this round

    @property
    def base_paid(self) -> int:
        """BASE base units the mode has paid out so far: direct payouts plus the BASE its
        executed buy-backs swapped into the pools (carried buy-backs not yet)."""
        return sum(self.paid_base) + sum(self.bought_back_base)

    @property
    def treasury_spent(self) -> int:
        """BASE base units of `treasury.initial` paid out so far: what was paid beyond the
        revenue earned (revenue is spent first, so BASE still carried or never paid —
        a capped buy-back after the last round, a round whose scores are all zero —
        counts as the treasury's, unspent). At most `treasury.initial`."""
        spent = self.base_paid - self.revenue_total
        return min(max(spent, 0), self.model.treasury_initial)

    # ------------------------------------------------------------------ genesis
    def deploy_pools(self, seed_base: int, seed_tokens: int) -> None:
        """Genesis from the treasury's capital: mint `seed_tokens` of each CST_i and
        `seed_base` BASE (`market.pool.seed_*`, source `treasury`) and pair them.
        `seed_tokens` is what opens a pool of the run's kind at the genesis price
        (`model.pool_tokens`: `market.pool.seed_tokens` for constant product, a quarter
        of it for an 80/20 weighted pool)."""
        model = self.model
        ledger = model.ledger
        for pool, token in zip(model.pools, model.tokens):
            ledger.mint(token, self.account, seed_tokens)
            ledger.mint(model.base, self.account, seed_base)
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

    # ------------------------------------------------------------------ payouts
    def plan_payout(
        self, weights: Sequence[Fraction], revenue: int, emission: int, from_treasury: int
    ) -> PayoutPlan:
        """The round's payout by `reward.mode`; never plans to spend what it will not have.

        `direct` splits the round's BASE budget (revenue plus `from_treasury`, at most
        what the treasury will hold once the revenue arrives); `mint` splits the emission;
        buy-backs split the BASE budget and add `carry` (which this plan takes over).
        Every split rounds down (`split_amount`): the dust stays with the federation.
        """
        model = self.model
        n = len(weights)
        mode = payout_mode(model.reward.mode)
        budget = revenue + from_treasury
        zeros = (0,) * n
        direct = zeros
        if mode.pays_base:
            held = model.ledger.balance(model.base, self.account) + revenue
            direct = tuple(split_amount(min(budget, held), weights))
        minted = tuple(split_amount(emission, weights)) if mode.mints else zeros
        buyback = zeros
        if mode.buys_back or (not mode.pays_base and model.spends_treasury):
            planned = split_amount(budget, weights)
            buyback = tuple(p + c for p, c in zip(planned, self.carry))
            self.carry = [0] * n
        self.announced = list(buyback)
        return PayoutPlan(revenue, from_treasury, direct, minted, buyback)

    def refresh_values(self, values: Sequence[int]) -> None:
        """Reported values (whole tokens) of the treasury's BASE, tokens and pool shares,
        and its PnL net of the revenue it earned."""
        model = self.model
        unit = model.base_unit
        self.report_values(model.base_book.get(self.account, 0), values, unit)
        self.received_base = self.revenue_total / unit
        self.pnl = (values[0] - self.initial_value - self.revenue_total) / unit
        self.pnl_liquidation = (values[1] - self.initial_liquidation - self.revenue_total) / unit
