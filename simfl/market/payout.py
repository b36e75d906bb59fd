"""The model executes the federation's `PayoutPlan` (DESIGN.md, 'The mechanism', step 4).

Revenue is minted to the treasury, direct BASE and minted CST go to the clients, and the
buy-backs buy CST_i from pool i through the router, in `reward.buyback_slices` slices
(the first at once, the others at the start of later substeps), each within
`reward.buyback_max_slippage_bps` if set. What a buy-back cannot spend — an order too
small to buy anything, the part beyond the cap — is carried to the next round's plan,
never stranded (what is still carried after the last round stays in the treasury,
unspent). Everything paid is recorded on the federation's row (`Federation.base_paid`,
`treasury_spent`) and told to the client (`receive`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simfl.chain import router
from simfl.errors import AmmError
from simfl.market.federation import PayoutPlan

if TYPE_CHECKING:
    from simfl.model import FederationMarket


def execute(model: FederationMarket, plan: PayoutPlan) -> None:
    """Pay `plan` out now, then its first buy-back slice; never spends what the treasury
    does not hold."""
    federation, ledger, base = model.federation, model.ledger, model.base
    if plan.revenue:
        ledger.mint(base, federation.account, plan.revenue)
        federation.revenue_total += plan.revenue
    for i, amount in enumerate(plan.direct):
        if amount:
            ledger.transfer(base, federation.account, model.clients[i].account, amount)
            federation.paid_base[i] += amount
            model.clients[i].receive(amount, 0)
    for i, amount in enumerate(plan.minted):
        if amount:
            ledger.mint(model.tokens[i], model.clients[i].account, amount)
            federation.paid_tokens[i] += amount
            model.clients[i].receive(0, amount)
    buy_back_slice(model, plan, 0)


def buy_back_slice(model: FederationMarket, plan: PayoutPlan, number: int) -> None:
    """Slice `number` (0-based) of the plan's buy-backs: ``⌊A·(j+1)/k⌋ − ⌊A·j/k⌋`` of each
    token's amount ``A`` for ``k = reward.buyback_slices``, so the slices sum to ``A``;
    slice ``j`` buys at the start of substep ``j`` (validation keeps ``k`` within the
    substeps)."""
    slices = model.reward.buyback_slices
    if number >= slices:
        return
    federation, ledger, base = model.federation, model.ledger, model.base
    for i, total in enumerate(plan.buyback):
        amount = total * (number + 1) // slices - total * number // slices
        amount = min(amount, ledger.balance(base, federation.account))
        if amount:
            buy_back(model, i, amount)


def buy_back(model: FederationMarket, index: int, base_in: int) -> None:
    """The federation buys CST_index for up to `base_in` BASE (within the slippage cap if
    set); the bought tokens are burned or forwarded to client `index` (`reward.bought_back`);
    what it could not spend is carried."""
    federation, ledger = model.federation, model.ledger
    token, pool = model.tokens[index], model.pools[index]
    cap = model.reward.buyback_max_slippage_bps
    try:
        if cap is None:
            spent, bought = base_in, pool.swap_exact_in(federation.account, model.base, base_in)
        else:
            result = router.swap_within(pool, federation.account, model.base, base_in, cap)
            if result is None:
                federation.carry[index] += base_in
                return
            spent, bought = result.amount_in, result.amount_out
    except AmmError:
        federation.carry[index] += base_in
        return
    federation.carry[index] += base_in - spent
    federation.bought_back_base[index] += spent
    if model.reward.bought_back == "burn":
        ledger.burn(token, federation.account, bought)
    else:
        ledger.transfer(token, federation.account, model.clients[index].account, bought)
        federation.paid_tokens[index] += bought
        model.clients[index].receive(0, bought)
