"""Headline metrics of a run, computed from its result tables (never from live objects).

The WallStreetFeds headline: each client's reward value as a percentage of an equal
payout. A client's *reward value* is what the mechanism gave it, marked to market:
its final portfolio minus what it started with, plus the training costs it paid (spent,
but earned first), both ends marked the same way — at what selling into the pools would
fetch (liquidation, the headline mark) and at spot (reference). The *equal payout* is
one yardstick per run: the nominal reward budget (revenue plus emission at the genesis
price) over the number of clients, whatever the method or mode (DESIGN.md, "Economic
fidelity"). Everything is in whole BASE (floats: reports only).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from simfl.analysis.run_folder import RunFolder
from simfl.analysis.series import client_columns, client_wide

Tables = dict[str, pd.DataFrame]


def metric_tables(run: RunFolder) -> Tables:
    """What these metrics read of a run folder, and no more: `model` and `scores` whole,
    `agents` at its first and last step only (every agent has a row at every step, and
    the metrics compare genesis with the end: 2 of 3,001 steps at 3,000 rounds)."""
    ends = run.step_range("agents")
    agents = run.table("agents", steps=sorted(set(ends))) if ends else run.table("agents")
    return {"model": run.table("model"), "agents": agents, "scores": run.table("scores")}


def gini(values: Sequence[float]) -> float:
    """Gini coefficient of non-negative values (negatives count as 0); 0 = equal.

    >>> gini([1, 1, 1, 1])
    0.0
    >>> round(gini([0, 0, 0, 1]), 2)
    0.75
    """
    x = np.sort(np.clip(np.asarray(values, dtype=float), 0.0, None))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    ranks = np.arange(1, n + 1)
    return float((2 * (ranks * x).sum()) / (n * x.sum()) - (n + 1) / n)


def _correlation(kind: str, a: Sequence[float], b: Sequence[float]) -> float:
    """Spearman or Pearson correlation; NaN when either side is constant."""
    from scipy import stats

    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    if len(a) < 3 or np.ptp(a) == 0 or np.ptp(b) == 0:
        return math.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = stats.spearmanr(a, b) if kind == "spearman" else stats.pearsonr(a, b)
    return float(result[0])


def _clients(manifest: dict[str, Any]) -> pd.DataFrame:
    clients = pd.DataFrame(manifest.get("clients", []))
    if clients.empty:
        return pd.DataFrame(columns=["client", "behaviour", "size"])
    return clients.rename(columns={"index": "client"})[["client", "behaviour", "size"]]


def final_agents(tables: Tables) -> pd.DataFrame:
    """The agents table at the last step."""
    agents = tables["agents"]
    return agents[agents["step"] == agents["step"].max()]


def contribution_totals(tables: Tables, method: str) -> pd.Series:
    """Cumulative positive part of a method's per-round scores, per client."""
    scores = tables["scores"]
    part = scores[scores["method"] == method]
    return part["score"].clip(lower=0.0).groupby(part["client"]).sum()


def ground_truth(tables: Tables, manifest: dict[str, Any]) -> tuple[str, pd.Series]:
    """The reference ranking: cumulative exact Shapley if scored, else data size."""
    methods = set(tables["scores"]["method"].unique())
    if "exact_shapley" in methods:
        return "exact_shapley", contribution_totals(tables, "exact_shapley")
    clients = _clients(manifest)
    return "size", clients.set_index("client")["size"].astype(float)


def genesis_price(manifest: dict[str, Any]) -> float:
    """BASE per CST at genesis, `seed_base / seed_tokens` (every pool opens there)."""
    pool = manifest.get("scenario", {}).get("market", {}).get("pool", {})
    return float(pool.get("seed_base", 10_000.0)) / float(pool.get("seed_tokens", 10_000.0))


def nominal_budget(tables: Tables, manifest: dict[str, Any]) -> float:
    """The run's nominal reward budget, whole BASE: the BASE the mechanism paid out —
    revenue spent plus `treasury.initial` spent, i.e. every client's `paid_base_i` and
    every token's `bought_back_i` at the end (executed; BASE a capped buy-back still
    carries after the last round, or a round whose scores are all zero keeps, was not
    spent) — plus every round's emission (CST) valued at the genesis price.

    Read from `model.parquet` (0 where a mode earns or mints nothing). It depends on no
    price and, unless a buy-back cap binds at the end, on no score or contribution
    method; a comparison passes its run's yardstick to every compared market.
    """
    model = tables["model"]
    paid = client_columns(model, "paid_base", "bought_back")
    spent = float(model[paid].iloc[-1].sum()) if paid else 0.0
    return spent + float(model["emission"].sum()) * genesis_price(manifest)


def equal_payout_base(tables: Tables, manifest: dict[str, Any]) -> float:
    """One yardstick: the nominal reward budget divided by the number of clients, whole
    BASE (NaN without clients)."""
    clients = tables["agents"]
    n = int((clients.loc[clients["step"] == 0, "kind"] == "client").sum())
    return nominal_budget(tables, manifest) / n if n else math.nan


def client_rewards(
    tables: Tables, manifest: dict[str, Any], equal_payout: float | None = None
) -> pd.DataFrame:
    """One row per client: reward value (liquidation, spot), % of an equal payout, shares.

    A client's reward = value now − value at genesis + training costs paid, marked the
    same way at both ends: `reward_liquidation` uses what selling everything into the
    pools would fetch (the headline mark: buying one's own token cannot raise it),
    `reward_spot` the spot price (for reference). `pct_equal_*` = 100 · reward /
    `equal_payout_base` (default: this run's `equal_payout_base`; a comparison passes
    its own run's, so every compared market is on one scale). `reward_share` is the
    client's share of the positive liquidation rewards within this market.

    Columns: client, behaviour, size, reward_spot, reward_liquidation, equal_payout_base,
    pct_equal_spot, pct_equal_liquidation, reward_share, contribution_share,
    participation_rate.
    """
    agents = tables["agents"]
    clients = agents[agents["kind"] == "client"]
    first = clients[clients["step"] == clients["step"].min()].sort_values("client_index")
    rows = clients[clients["step"] == clients["step"].max()].sort_values("client_index")
    start = first.set_index("client_index").reindex(rows["client_index"])
    frame = pd.DataFrame(
        {
            "client": rows["client_index"].astype(int).to_numpy(),
            "reward_spot": (
                rows["value_spot"].to_numpy()
                - start["value_spot"].to_numpy()
                + rows["costs_paid"].to_numpy()
            ),
            "reward_liquidation": (
                rows["value_liquidation"].to_numpy()
                - start["value_liquidation"].to_numpy()
                + rows["costs_paid"].to_numpy()
            ),
        }
    )
    frame = _clients(manifest).merge(frame, on="client", how="right")
    equal = equal_payout_base(tables, manifest) if equal_payout is None else equal_payout
    frame["equal_payout_base"] = equal
    for kind in ("spot", "liquidation"):
        frame[f"pct_equal_{kind}"] = (
            100.0 * frame[f"reward_{kind}"] / equal if equal > 0 else math.nan
        )
    positive = frame["reward_liquidation"].clip(lower=0.0)
    total = positive.sum()
    frame["reward_share"] = positive / total if total > 0 else 0.0
    pay_by = manifest.get("scenario", {}).get("fl", {}).get("contribution", {}).get("pay_by")
    contributions = contribution_totals(tables, pay_by) if pay_by else pd.Series(dtype=float)
    contributions = contributions.reindex(frame["client"]).fillna(0.0).to_numpy()
    share_total = contributions.sum()
    frame["contribution_share"] = contributions / share_total if share_total > 0 else 0.0
    scores = tables["scores"]
    mine = scores[scores["method"] == pay_by] if pay_by else scores.iloc[0:0]
    rate = mine.groupby("client")["participated"].mean()
    frame["participation_rate"] = rate.reindex(frame["client"]).fillna(0.0).to_numpy()
    return frame


def _units(whole: float) -> int:
    """Whole tokens (a float from a table) → base units, rounded to nearest."""
    return round(whole * 10**18)


def valuation_pool(manifest: dict[str, Any]) -> Any:
    """A stand-alone CST/BASE pool of the run's kind and parameters (`market.pool`, built
    through the `POOL_KINDS` registry and `pool_params`, as the model builds its pools),
    used only for its curve math on given reserves (`amount_out`): tables carry reserves,
    not pools."""
    from simfl.chain import Ledger
    from simfl.chain.kinds import pool_kind, pool_params

    pool = manifest.get("scenario", {}).get("market", {}).get("pool", {})
    ledger = Ledger()
    for token in ("CST", "BASE"):
        ledger.register_token(token)
    kind = pool_kind(pool.get("kind", "constant_product"))
    return kind.build(ledger, "CST", "BASE", pool_params(pool))


def joint_liquidation(tables: Tables, manifest: dict[str, Any]) -> tuple[float, float]:
    """(joint liquidation value, spot value) of every outside holding at the last step,
    whole BASE.

    Outside holdings are the CST_i every agent holds outright (not LP shares' reserves).
    For each token its holders sell in turn, in the agents table's order, into the
    pool's final reserves, each sale moving the pool for the next (the run's pool math,
    `valuation_pool`, rounded down — favours the pool). Unlike each holder's own
    liquidation value, which assumes it sells first, this is what the holders would
    fetch together.
    """
    final = final_agents(tables)
    last = tables["model"].iloc[[-1]]
    reserves_base = client_wide(last, "reserve_base").iloc[0]
    reserves_token = client_wide(last, "reserve_token").iloc[0]
    prices = client_wide(last, "price").iloc[0]
    curve = valuation_pool(manifest)
    holdings = [list(h) for h in final["holdings"] if h is not None and len(h)]
    n = max((len(h) for h in holdings), default=0)
    joint = spot = 0.0
    for i in range(n):
        reserve_base = _units(float(reserves_base[i]))
        reserve_token = _units(float(reserves_token[i]))
        for held in (_units(h[i]) for h in holdings):
            if held <= 0 or reserve_token <= 0:
                continue
            spot += held * float(prices[i]) / 10**18
            out = curve.amount_out("CST", held, reserve_token, reserve_base)
            reserve_token += held
            reserve_base -= out
            joint += out / 10**18
    return joint, spot


def headline_metrics(tables: Tables, manifest: dict[str, Any]) -> dict[str, float | str]:
    """The numbers a sweep summary and a report headline carry, in whole BASE where money.

    Rewards, their Gini, rank correlations and behaviour shares use the liquidation mark
    (`reward_liquidation`); `*_spot` keys repeat the spot-marked ones for reference.
    Investor and LP PnL, and the federation's gain (revenue included), are liquidation
    value now − liquidation value at genesis; `client_reward_pct_budget` is the clients'
    total reward as a % of the nominal budget.
    """
    model = tables["model"]
    rewards = client_rewards(tables, manifest)
    final = final_agents(tables)
    truth_name, truth = ground_truth(tables, manifest)
    truth = truth.reindex(rewards["client"]).fillna(0.0).to_numpy()
    reward = rewards["reward_liquidation"]
    total = reward.clip(lower=0.0).sum()
    behaviours = rewards["behaviour"].fillna("honest").astype(str)
    free = behaviours.str.startswith("free_rider")
    malicious = ~free & (behaviours != "honest")
    honest = ~free & ~malicious

    def share(mask: pd.Series) -> float:
        return float(reward[mask].clip(lower=0.0).sum() / total) if total else 0.0

    last = model.iloc[-1]
    volumes = client_wide(model, "volume_base").iloc[-1]
    prices = client_wide(model, "price").iloc[-1]
    n = len(rewards)
    equal = float(rewards["equal_payout_base"].iloc[0]) if n else math.nan
    joint, outside_spot = joint_liquidation(tables, manifest)
    metrics: dict[str, float | str] = {
        "rounds": float(model["round"].max()),
        "final_accuracy": float(last["accuracy"]),
        "equal_payout_base": equal,
        "gini": gini(reward),
        "gini_spot": gini(rewards["reward_spot"]),
        "ground_truth": truth_name,
        "spearman": _correlation("spearman", reward, truth),
        "pearson": _correlation("pearson", reward, truth),
        "free_rider_reward_share": share(free),
        "malicious_reward_share": share(malicious),
        "honest_pct_equal_min": float(rewards.loc[honest, "pct_equal_liquidation"].min())
        if honest.any()
        else math.nan,
        "honest_pct_equal_min_spot": float(rewards.loc[honest, "pct_equal_spot"].min())
        if honest.any()
        else math.nan,
        "participation_rate": float(rewards["participation_rate"].mean()),
        "treasury_base": float(last["treasury_base"]),
        "revenue_total": float(last["revenue_total"]),
        "total_volume_base": float(sum(volumes[i] for i in range(n))),
        "price_min": float(min(prices[i] for i in range(n))),
        "price_max": float(max(prices[i] for i in range(n))),
        "slippage_paid": float(final["slippage_paid"].sum()),
        "joint_liquidation_base": joint,
        "outside_tokens_spot_base": outside_spot,
        "joint_liquidation_pct_spot": 100.0 * joint / outside_spot if outside_spot else math.nan,
        # how much of the nominal budget reached the clients, liquidation mark
        "client_reward_pct_budget": 100.0 * float(reward.sum()) / (equal * n)
        if n and equal > 0
        else math.nan,
    }
    agents = tables["agents"]
    first = agents[agents["step"] == agents["step"].min()].set_index("agent_id")
    gain = final.set_index("agent_id")
    gain = gain["value_liquidation"] - first["value_liquidation"].reindex(gain.index)
    final = final.assign(gain_liquidation=gain.reindex(final["agent_id"]).to_numpy())
    investors = final[final["kind"] == "investor"]
    if len(investors):
        metrics["investor_pnl_mean"] = float(investors["gain_liquidation"].mean())
        for strategy, pnl in investors.groupby("strategy")["gain_liquidation"].mean().items():
            metrics[f"investor_pnl_{strategy}"] = float(pnl)
    lps = final[final["kind"] == "liquidity_provider"]
    metrics["lp_fees"] = float(lps["fees_earned"].sum())
    metrics["lp_impermanent_loss"] = float(lps["impermanent_loss"].sum())
    metrics["lp_net"] = metrics["lp_fees"] + metrics["lp_impermanent_loss"]
    metrics["lp_pnl"] = float(lps["gain_liquidation"].sum())
    federation = final[final["kind"] == "federation"]
    if len(federation):  # its gain, revenue included (the revenue came from outside)
        metrics["federation_gain"] = float(federation["gain_liquidation"].sum())
    return metrics
