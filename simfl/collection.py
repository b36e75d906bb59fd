"""What a run records: Mesa reporters and the result tables built from them.

Per step: model-level quantities and one column per client and quantity (`price_3`);
per agent and step: the `AGENT_COLUMNS`; per round: every contribution score; and every
ledger event. Floats (whole tokens) are for reports; exact integers stay in events.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

from simfl.chain import Ledger
from simfl.chain.ledger import Event
from simfl.config import BASE_UNIT
from simfl.market.agents import TX_COSTS_ACCOUNT

if TYPE_CHECKING:
    from simfl.model import FederationMarket

AGENT_COLUMNS = (
    "kind",
    "strategy",
    "client_index",
    "participating",
    "base",
    "tokens_value",
    "own_tokens",
    "value_spot",
    "value_liquidation",
    "pnl",
    "pnl_liquidation",
    "holdings",
    "received_base",
    "received_tokens",
    "costs_paid",
    "costs_unpaid",
    "slippage_paid",
    "trades",
    "fees_earned",
    "impermanent_loss",
    "transaction_costs",
)
FLOW_COLUMNS = ("step", "token", "source", "destination", "amount")
SCORE_COLUMNS = ("round", "client", "method", "score", "participated", "evaluations")
ISSUANCE, BURNED, POOL = "issuance", "burned", "pool"  # flow ends that are not owner rows


def model_reporters(model: FederationMarket) -> dict[str, Any]:
    """Mesa model reporters: one column per quantity, per-client columns suffixed `_i`."""
    unit = float(BASE_UNIT)
    fed = model.federation
    reporters: dict[str, Any] = {
        "step": lambda m: m.round,
        "round": lambda m: m.round,
        "accuracy": lambda m: m.accuracy,  # = validation_accuracy (revenue, dashboards)
        "loss": lambda m: m.loss,
        "validation_accuracy": lambda m: m.accuracy,  # the set the coalition game scores
        "test_accuracy": lambda m: (
            m.last_result.test_accuracy if m.last_result else m.initial.test_accuracy
        ),
        "test_loss": lambda m: m.last_result.test_loss if m.last_result else m.initial.test_loss,
        "participants": lambda m: len(m.last_result.participants) if m.last_result else 0,
        "revenue": lambda m: m.revenue / unit,
        "emission": lambda m: m.emission / unit,
        "treasury_base": lambda m: m.ledger.balance(m.base, fed.account) / unit,
        "supply_base": lambda m: m.ledger.total_supply(m.base) / unit,
        "revenue_total": lambda m: fed.revenue_total / unit,
        "treasury_spent": lambda m: fed.treasury_spent / unit,
        "transaction_costs": lambda m: m.ledger.balance(m.base, TX_COSTS_ACCOUNT) / unit,
    }
    for i in range(model.n_clients):
        token = model.tokens[i]
        pool = model.pools[i]
        reporters |= {
            f"price_{i}": lambda m, p=pool, t=token: p.price(t),
            f"reserve_base_{i}": lambda m, p=pool: p.reserve_of(m.base) / unit,
            f"reserve_token_{i}": lambda m, p=pool, t=token: p.reserve_of(t) / unit,
            f"supply_{i}": lambda m, t=token: m.ledger.total_supply(t) / unit,
            f"volume_base_{i}": lambda m, p=pool: p.volume_in[m.base] / unit,
            f"volume_token_{i}": lambda m, p=pool, t=token: p.volume_in[t] / unit,
            f"fees_base_{i}": lambda m, i=i: m.cumulative_fees[i],
            f"fee_yield_{i}": lambda m, i=i: m.fee_yields[i],
            f"paid_base_{i}": lambda m, i=i: fed.paid_base[i] / unit,
            f"paid_tokens_{i}": lambda m, i=i: fed.paid_tokens[i] / unit,
            f"bought_back_{i}": lambda m, i=i: fed.bought_back_base[i] / unit,
            f"weight_{i}": lambda m, i=i: float(m.weights[i]),
            f"participating_{i}": lambda m, i=i: m.clients[i].participating,
        }
    return reporters


def result_tables(model: FederationMarket) -> dict[str, pd.DataFrame]:
    """The run's result tables (model, agents, scores, events, flows), deterministic order."""
    collector = model.datacollector
    steps = collector.get_model_vars_dataframe().reset_index(drop=True)
    agents = agents_table(collector.get_agent_vars_dataframe())
    scores = pd.DataFrame(model.score_rows, columns=list(SCORE_COLUMNS))
    journal = model.ledger.events
    event_step = event_steps(model.event_marks, len(journal))
    events = events_frame(journal, event_step)
    flows = flows_frame(journal, event_step, owner_kinds(model))
    return {"model": steps, "agents": agents, "scores": scores, "events": events, "flows": flows}


def agents_table(mesa_frame: pd.DataFrame) -> pd.DataFrame:
    """Mesa's agent frame (indexed by `Step`, `AgentID`) as the agents table: `step`
    (int64), `agent_id`, then one column per reporter."""
    frame = mesa_frame.reset_index().rename(columns={"Step": "step", "AgentID": "agent_id"})
    frame["step"] = frame["step"].astype("int64")
    return frame


def owner_kinds(model: FederationMarket) -> dict[str, str]:
    """`{account: kind of owner}` for every row of `agents.parquet` (sinks by their name:
    `training_costs`, `transaction_costs`, `locked_liquidity`) and every pool (`pool`)."""
    kinds = {owner.account: owner.kind for owner in model.owners}
    kinds |= {sink.account: sink.strategy for sink in model.sinks}
    kinds |= {pool.address: POOL for pool in model.pools}
    return kinds


def flows_frame(
    events: Sequence[Event], steps: Sequence[int], kinds: dict[str, str]
) -> pd.DataFrame:
    """Where every token went, per step: exact amounts summed by (step, token, kind of
    sender, kind of recipient); `steps[i]` is event i's step.

    Mints come from `issuance`, burns go to `burned`; swaps and liquidity pass through
    `pool`; markers move nothing and are left out. So per step and token, the amount from
    `issuance` less the amount to `burned` is the change in supply. Rows are sorted;
    `amount` is an exact int (base units). An account of no known kind is an error: every
    unit must have a reported owner.
    """
    totals: dict[tuple[int, str, str, str], int] = {}
    for step, (kind, token, sender, recipient, amount) in zip(steps, events, strict=True):
        if kind == "mint":
            source, destination = ISSUANCE, _kind(kinds, recipient)
        elif kind == "burn":
            source, destination = _kind(kinds, sender), BURNED
        elif kind in ("transfer", "swap"):
            source, destination = _kind(kinds, sender), _kind(kinds, recipient)
        else:
            continue
        key = (step, token, source, destination)
        totals[key] = totals.get(key, 0) + amount
    rows = [(*key, amount) for key, amount in sorted(totals.items())]
    frame = pd.DataFrame(rows, columns=list(FLOW_COLUMNS))
    frame["step"] = frame["step"].astype("int64")
    frame["amount"] = frame["amount"].astype(object)
    return frame


def _kind(kinds: dict[str, str], account: str) -> str:
    try:
        return kinds[account]
    except KeyError:
        raise ValueError(
            f"account {account!r} holds tokens but is no row of agents.parquet and no pool; "
            "give it an owner row"
        ) from None


def event_steps(marks: list[int], count: int) -> list[int]:
    """The step of each of the journal's first `count` events (0 = genesis);
    `marks[k]` is the journal length when step k started."""
    return [bisect.bisect_right(marks, seq) - 1 for seq in range(count)]


def events_frame(events: Sequence[Event], steps: Sequence[int], start: int = 0) -> pd.DataFrame:
    """Ledger events as the events table: `seq` (journal position, from `start`),
    `step` (`steps[i]` is event i's), then `Ledger.EVENT_FIELDS`; exact int amounts."""
    frame = pd.DataFrame(events, columns=list(Ledger.EVENT_FIELDS[1:]))
    frame.insert(0, "step", steps)
    frame.insert(0, "seq", range(start, start + len(frame)))
    return frame
