"""What each headline metric means, its unit and how to print it (report.html, README).

`describe(key)` answers for every key `simfl.analysis.metrics.headline_metrics` writes,
including the per-strategy `investor_pnl_<strategy>`; an unknown key gets a plain
"(no definition yet)" rather than disappearing from the report.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Metric:
    """How one headline number reads: its section, unit and a one-line definition."""

    section: str
    unit: str  # shown beside the value: "BASE", "%", "% of an equal payout", "" ...
    definition: str
    kind: str = "number"  # "fraction" (printed ×100 as %), "count", "number" or "text"


FAIRNESS, MODEL, MARKET, INVESTORS, LPS, FEDERATION = (
    "Rewards and fairness",
    "Model",
    "Market",
    "Investors",
    "Liquidity providers",
    "Federation",
)
SECTIONS = (FAIRNESS, MODEL, MARKET, INVESTORS, LPS, FEDERATION)

METRICS: dict[str, Metric] = {
    "rounds": Metric(MODEL, "", "FL rounds run (one market step each).", "count"),
    "final_accuracy": Metric(
        MODEL,
        "%",
        "Global model accuracy after the last round, on the validation split.",
        "fraction",
    ),
    "final_test_accuracy": Metric(
        MODEL,
        "%",
        "Global model accuracy after the last round, on the held-out test split.",
        "fraction",
    ),
    "participation_rate": Metric(
        MODEL,
        "%",
        "Share of client-rounds in which a client trained (100 % = everyone, always).",
        "fraction",
    ),
    "equal_payout_base": Metric(
        FAIRNESS,
        "BASE",
        "The yardstick: the run's nominal reward budget (revenue spent + emission at the "
        "genesis price) divided by the number of clients.",
    ),
    "gini": Metric(
        FAIRNESS,
        "",
        "Gini coefficient of client rewards on the liquidation mark (0 = all equal, "
        "1 = one client gets everything).",
    ),
    "gini_spot": Metric(FAIRNESS, "", "The same Gini with rewards at spot (reference)."),
    "ground_truth": Metric(
        FAIRNESS,
        "",
        "The reference ranking of contributions: cumulative exact Shapley when scored, "
        "else data size.",
        "text",
    ),
    "spearman": Metric(
        FAIRNESS,
        "",
        "Spearman rank correlation of rewards (liquidation mark) with the ground truth "
        "(1 = same order).",
    ),
    "pearson": Metric(
        FAIRNESS, "", "Pearson correlation of rewards (liquidation mark) with the ground truth."
    ),
    "free_rider_reward_share": Metric(
        FAIRNESS,
        "%",
        "Share of all positive rewards (liquidation mark) that went to free riders.",
        "fraction",
    ),
    "malicious_reward_share": Metric(
        FAIRNESS,
        "%",
        "Share of all positive rewards (liquidation mark) that went to malicious clients "
        "(label or sign flippers, scalers, noisy labels).",
        "fraction",
    ),
    "honest_pct_equal_min": Metric(
        FAIRNESS,
        "% of an equal payout",
        "The worst-paid honest client's reward as % of an equal payout (liquidation mark).",
    ),
    "honest_pct_equal_min_spot": Metric(
        FAIRNESS, "% of an equal payout", "The same at spot (reference)."
    ),
    "joint_liquidation_base": Metric(
        MARKET,
        "BASE",
        "What all tokens held outside the pools would fetch if sold together, one pool at "
        "a time (the joint liquidation value).",
    ),
    "outside_tokens_spot_base": Metric(MARKET, "BASE", "The same tokens valued at spot prices."),
    "joint_liquidation_pct_spot": Metric(
        MARKET,
        "% of spot",
        "Joint liquidation value as % of the spot value: how much of the paper value "
        "selling could realise.",
    ),
    "total_volume_base": Metric(MARKET, "BASE", "BASE paid into all pools by swaps, whole run."),
    "price_min": Metric(MARKET, "BASE per token", "Lowest client-token spot price at the end."),
    "price_max": Metric(MARKET, "BASE per token", "Highest client-token spot price at the end."),
    "slippage_paid": Metric(
        MARKET,
        "BASE",
        "Value lost to price impact by all traders (paid price vs spot before the trade).",
    ),
    "investor_pnl_mean": Metric(
        INVESTORS,
        "BASE",
        "Mean investor gain: liquidation value at the end − liquidation value at genesis.",
    ),
    "lp_fees": Metric(LPS, "BASE", "Swap fees earned by all liquidity providers together."),
    "lp_impermanent_loss": Metric(
        LPS,
        "BASE",
        "Impermanent loss of all LPs: pool position vs simply holding the deposit (≤ 0).",
    ),
    "lp_net": Metric(LPS, "BASE", "Fees + impermanent loss, all LPs together."),
    "lp_pnl": Metric(LPS, "BASE", "All LPs' gain: liquidation value at the end − at genesis."),
    "client_reward_pct_budget": Metric(
        FAIRNESS,
        "% of the budget",
        "All clients' rewards together (liquidation mark) as % of the nominal reward budget: "
        "how much of what the mechanism spent reached the clients.",
    ),
    "federation_gain": Metric(
        FEDERATION,
        "BASE",
        "The federation's gain, revenue included: liquidation value at the end − at genesis.",
    ),
    "treasury_base": Metric(FEDERATION, "BASE", "BASE held by the federation at the end."),
    "revenue_total": Metric(
        FEDERATION, "BASE", "Revenue the federation earned over the run (spent on rewards)."
    ),
}


def describe(key: str) -> Metric:
    """The definition of a headline metric (per-strategy investor keys included)."""
    if key in METRICS:
        return METRICS[key]
    if key.startswith("investor_pnl_"):
        strategy = key.removeprefix("investor_pnl_").replace("_", " ")
        return Metric(
            INVESTORS,
            "BASE",
            f"Mean gain of {strategy} investors: liquidation value at the end − at genesis.",
        )
    return Metric(MARKET, "", "(no definition yet)")


__all__ = ["METRICS", "SECTIONS", "Metric", "describe"]
