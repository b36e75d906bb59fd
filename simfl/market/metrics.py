"""Headline metrics of a run, computed from its result tables (never from live objects).

The WallStreetFeds headline: each client's reward value as a percentage of an equal
payout. A client's *reward value* is what the mechanism gave it, marked to market:
its final portfolio (BASE + tokens at spot, or at what selling them would fetch) minus
what it started with, plus the training costs it paid (spent, but earned first).
Everything is in whole BASE (floats: reports only).
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

Tables = dict[str, pd.DataFrame]
METRIC_TABLES = ("model", "agents", "scores")  # the result tables these metrics read


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


def client_rewards(tables: Tables, manifest: dict[str, Any]) -> pd.DataFrame:
    """One row per client: reward value (spot, liquidation), % of an equal payout, shares.

    Columns: client, behaviour, size, reward_spot, reward_liquidation, pct_equal_spot,
    pct_equal_liquidation, reward_share, contribution_share, participation_rate.
    """
    final = final_agents(tables)
    rows = final[final["kind"] == "client"].sort_values("client_index")
    initial = rows["value_spot"] - rows["pnl"]
    frame = pd.DataFrame(
        {
            "client": rows["client_index"].astype(int).to_numpy(),
            "reward_spot": (rows["pnl"] + rows["costs_paid"]).to_numpy(),
            "reward_liquidation": (
                rows["value_liquidation"] - initial + rows["costs_paid"]
            ).to_numpy(),
        }
    )
    frame = _clients(manifest).merge(frame, on="client", how="right")
    for kind in ("spot", "liquidation"):
        mean = frame[f"reward_{kind}"].mean()
        frame[f"pct_equal_{kind}"] = (
            100.0 * frame[f"reward_{kind}"] / mean if mean > 0 else math.nan
        )
    total = frame["reward_spot"].clip(lower=0.0).sum()
    frame["reward_share"] = frame["reward_spot"].clip(lower=0.0) / total if total > 0 else 0.0
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


def headline_metrics(tables: Tables, manifest: dict[str, Any]) -> dict[str, float | str]:
    """The numbers a sweep summary and a report headline carry, in whole BASE where money."""
    model = tables["model"]
    rewards = client_rewards(tables, manifest)
    final = final_agents(tables)
    truth_name, truth = ground_truth(tables, manifest)
    truth = truth.reindex(rewards["client"]).fillna(0.0).to_numpy()
    total = rewards["reward_spot"].clip(lower=0.0).sum()
    behaviours = rewards["behaviour"].fillna("honest").astype(str)
    free = behaviours.str.startswith("free_rider")
    malicious = ~free & (behaviours != "honest")

    def share(mask: pd.Series) -> float:
        return (
            float(rewards.loc[mask, "reward_spot"].clip(lower=0.0).sum() / total) if total else 0.0
        )

    last = model.iloc[-1]
    n = len(rewards)
    metrics: dict[str, float | str] = {
        "rounds": float(model["round"].max()),
        "final_accuracy": float(last["accuracy"]),
        "gini": gini(rewards["reward_spot"]),
        "ground_truth": truth_name,
        "spearman": _correlation("spearman", rewards["reward_spot"], truth),
        "pearson": _correlation("pearson", rewards["reward_spot"], truth),
        "free_rider_reward_share": share(free),
        "malicious_reward_share": share(malicious),
        "honest_pct_equal_min": float(rewards.loc[~free & ~malicious, "pct_equal_spot"].min())
        if (~free & ~malicious).any()
        else math.nan,
        "participation_rate": float(rewards["participation_rate"].mean()),
        "treasury_base": float(last["treasury_base"]),
        "revenue_total": float(last["revenue_total"]),
        "total_volume_base": float(sum(last[f"volume_base_{i}"] for i in range(n))),
        "price_min": float(min(last[f"price_{i}"] for i in range(n))),
        "price_max": float(max(last[f"price_{i}"] for i in range(n))),
        "slippage_paid": float(final["slippage_paid"].sum()),
    }
    investors = final[final["kind"] == "investor"]
    if len(investors):
        metrics["investor_pnl_mean"] = float(investors["pnl"].mean())
        for strategy, pnl in investors.groupby("strategy")["pnl"].mean().items():
            metrics[f"investor_pnl_{strategy}"] = float(pnl)
    lps = final[final["kind"] == "liquidity_provider"]
    metrics["lp_fees"] = float(lps["fees_earned"].sum())
    metrics["lp_impermanent_loss"] = float(lps["impermanent_loss"].sum())
    metrics["lp_net"] = metrics["lp_fees"] + metrics["lp_impermanent_loss"]
    metrics["lp_pnl"] = float(lps["pnl"].sum())
    return metrics
