"""What the dashboard panels draw, derived from a run's tables (results on disk only).

Pure functions of DataFrames and the manifest: which clients are honest, free riders or
malicious; which of many clients to show by name; both reward marks on one yardstick;
investor and LP groups as the scenario declared them; returns as % of capital.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from simfl.analysis.series import client_wide

HONEST, FREE_RIDER, MALICIOUS = "honest", "free rider", "malicious"
BEHAVIOUR_CLASSES = (HONEST, FREE_RIDER, MALICIOUS)
MAX_NAMED = 10  # clients drawn one by one; beyond this: top by reward, flagged, "others"
MAX_FLAGGED = 4  # free riders / malicious clients named when there are many


def behaviour_class(behaviour: Any) -> str:
    """`honest`, `free rider` (every `free_rider*` kind) or `malicious` (any other kind)."""
    text = str(behaviour or HONEST)
    if text == HONEST or text == "nan":
        return HONEST
    return FREE_RIDER if text.startswith("free_rider") else MALICIOUS


@dataclass(frozen=True)
class Clients:
    """Per-client identity: label (`C8`), behaviour, its class, and colour."""

    labels: tuple[str, ...]
    behaviours: tuple[str, ...]
    classes: tuple[str, ...]

    @property
    def n(self) -> int:
        return len(self.labels)

    def flagged(self) -> list[int]:
        return [i for i, c in enumerate(self.classes) if c != HONEST]

    def count(self, cls: str) -> int:
        return sum(c == cls for c in self.classes)


def clients_of(manifest: dict[str, Any]) -> Clients:
    rows = manifest.get("clients", [])
    behaviours = tuple(str(r.get("behaviour") or HONEST) for r in rows)
    return Clients(
        labels=tuple(f"C{r['index']}" for r in rows),
        behaviours=behaviours,
        classes=tuple(behaviour_class(b) for b in behaviours),
    )


def on_one_yardstick(rewards: pd.DataFrame) -> pd.DataFrame:
    """`rewards` with `pct_liquidation` and `pct_spot`: both marks over one equal payout.

    The equal payout is `equal_payout_base` when the table has it (the run's nominal
    budget / clients); otherwise the mean spot reward of the method, the yardstick the
    older `pct_equal_spot` used. Either way both columns share the denominator, so a
    tick below its bar means selling now pays less than the spot mark.
    """
    frame = rewards.copy()
    if "equal_payout_base" in frame:
        equal = frame["equal_payout_base"].astype(float)
    else:
        equal = frame.groupby("method")["reward_spot"].transform("mean").astype(float)
    equal = equal.where(equal > 0)
    frame["equal_payout"] = equal
    frame["pct_liquidation"] = 100.0 * frame["reward_liquidation"] / equal
    frame["pct_spot"] = 100.0 * frame["reward_spot"] / equal
    return frame


def split_comparison(rewards: pd.DataFrame, pay_by: str) -> dict[str, pd.DataFrame]:
    """The comparison's markets by what they vary, each with a `series` label column.

    `{"method": ..., "mode": ..., "own": ...}`: the run's own market with the markets of
    other contribution methods (labelled by method), with those of other payout modes
    (labelled by mode; empty unless the run compared modes), and the own market alone.
    Tables without a `varies` column hold methods only, the own one named `pay_by`.
    """
    frame = rewards.copy()
    if "varies" not in frame:
        frame["varies"] = np.where(frame["method"] == pay_by, "own", "method")
        if not (frame["varies"] == "own").any():  # the first method stands in for its own
            frame.loc[frame["method"] == frame["method"].iloc[0], "varies"] = "own"
    own = frame[frame["varies"] == "own"]
    by_method = frame[frame["varies"].isin(["own", "method"])].assign(series=lambda f: f["method"])
    by_mode = frame[frame["varies"].isin(["own", "mode"])]
    if "mode" in by_mode and (by_mode["varies"] == "mode").any():
        by_mode = by_mode.assign(series=by_mode["mode"])
    else:
        by_mode = by_mode.iloc[0:0].assign(series="")
    return {"method": by_method, "mode": by_mode, "own": own.assign(series=own["method"])}


def clients_to_name(clients: Clients, order_by: pd.Series) -> tuple[list[int], list[int]]:
    """(named, others): every client when few; else the top by `order_by` plus flagged ones.

    `order_by` is indexed by client. Named clients come in client order; at most
    `MAX_NAMED` honest top clients and `MAX_FLAGGED` flagged ones are named.
    """
    everyone = list(range(clients.n))
    if clients.n <= MAX_NAMED:
        return everyone, []
    flagged = clients.flagged()[:MAX_FLAGGED]
    honest = [i for i in everyone if clients.classes[i] == HONEST]
    ranked = order_by.reindex(honest).fillna(-math.inf).sort_values(ascending=False, kind="stable")
    top = [int(i) for i in ranked.index[: MAX_NAMED - len(flagged)]]
    named = sorted({*top, *flagged})
    return named, [i for i in everyone if i not in named]


# ---------------------------------------------------------------- agent groups


def _group_labels(kind: str, groups: list[dict[str, Any]]) -> list[str]:
    labels = []
    for number, group in enumerate(groups, start=1):
        count, budget = group.get("count", 0), group.get("budget", 0)
        if kind == "investor":
            name = str(group.get("strategy", "?")).replace("_", " ")
        else:
            name = f"group {number}" if len(groups) > 1 else "all LPs"
            if len(groups) > 1 and "deploy" in group:
                name += f", deploy {group['deploy']:.0%}"
        labels.append(
            "\n".join([*textwrap.wrap(name, 10, break_long_words=False), f"{count}×{budget:,.0f}"])
        )
    return labels


def agent_groups(final: pd.DataFrame, manifest: dict[str, Any], kind: str) -> pd.Series:
    """The scenario group of each agent of `kind` (investor | liquidity_provider).

    A `group` column wins when the table has one; otherwise agents are matched to the
    scenario's groups in creation order (agent ids rise through each group's `count`).
    Indexed like `final`; labels name the strategy or group number, count and budget.
    """
    rows = final[final["kind"] == kind].sort_values("agent_id")
    key = "investors" if kind == "investor" else "liquidity_providers"
    groups = manifest.get("scenario", {}).get("market", {}).get(key) or []
    labels = _group_labels(kind, groups)
    if "group" in rows:
        return rows["group"].map(
            lambda g: labels[int(g)] if 0 <= int(g) < len(labels) else f"group {int(g) + 1}"
        )
    expanded = [label for label, g in zip(labels, groups) for _ in range(int(g.get("count", 0)))]
    if len(expanded) != len(rows):  # the scenario and the table disagree: one group per strategy
        return rows["strategy"].astype(str).str.replace("_", " ")
    return pd.Series(expanded, index=rows.index)


def starting_values(agents: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """Each agent's value on the liquidation mark at its first step (genesis), aligned
    with `rows`; NaN for an agent that started with nothing."""
    first = agents.sort_values("step").drop_duplicates("agent_id", keep="first")
    start = first.set_index("agent_id")["value_liquidation"].astype(float)
    start = start.reindex(rows["agent_id"]).to_numpy()
    return pd.Series(np.where(start > 0, start, np.nan), index=rows.index)


def returns_pct(agents: pd.DataFrame, rows: pd.DataFrame) -> pd.Series:
    """Return on the liquidation mark at both ends, as % of the starting value.

    `(value_liquidation(now) − value_liquidation(genesis)) / value_liquidation(genesis)`
    for each agent in `rows` (rows of `agents` at one step); NaN if it started empty.
    """
    start = starting_values(agents, rows)
    return 100.0 * (rows["value_liquidation"].astype(float) - start) / start


def participation_varies(model: pd.DataFrame, n_clients: int) -> bool:
    """True when some client sat out some round (round ≥ 1)."""
    wide = client_wide(model[model["round"] >= 1], "participating")
    columns = [i for i in wide.columns if i < n_clients]
    if not columns:
        return False
    return not bool(np.asarray(wide[columns], dtype=bool).all())


def has_model(manifest: dict[str, Any], model: pd.DataFrame) -> bool:
    """A global model exists (scores from real or replayed FL, not synthetic)."""
    source = manifest.get("scenario", {}).get("scores", {}).get("source", "fl")
    return source != "synthetic" and "accuracy" in model


def accuracy_columns(model: pd.DataFrame) -> dict[str, str]:
    """{column: label} of the accuracy curves to draw, validation first."""
    found = {}
    if "validation_accuracy" in model:
        found["validation_accuracy"] = "validation split"
    if "test_accuracy" in model:
        found["test_accuracy"] = "held-out test split"
    if not found and "accuracy" in model:
        found["accuracy"] = "validation split"
    return found


UNIT = 10**18  # base units per whole token (18 decimals)


def net_flows(flows: pd.DataFrame, model: pd.DataFrame, top: int = 10) -> pd.DataFrame:
    """Net flows between kinds of owner after genesis, in whole BASE, largest first.

    One row per pair and asset (`BASE`, or client `tokens` each valued at its spot price
    at the end of the step it moved in), oriented `source → destination` so the net
    amount is positive; LP shares are left out. Mints (`issuance`) and burns (`burned`)
    count as flows from and to those names. Columns: source, destination, asset, value.
    """
    after = flows[flows["step"] >= 1]
    part = after[(after["token"] == "BASE") | after["token"].str.startswith("CST_")]
    columns = ["source", "destination", "asset", "value"]
    if part.empty:
        return pd.DataFrame(columns=columns)
    prices = client_wide(model.set_index("round"), "price")
    value = [
        float(amount) / UNIT
        * (1.0 if token == "BASE" else float(prices.at[step, int(token[4:])]))
        for step, token, amount in zip(part["step"], part["token"], part["amount"])
    ]  # fmt: skip
    forward = (part["source"] <= part["destination"]).to_numpy()
    frame = pd.DataFrame(
        {
            "a": np.where(forward, part["source"], part["destination"]),
            "b": np.where(forward, part["destination"], part["source"]),
            "asset": np.where(part["token"] == "BASE", "BASE", "tokens"),
            "value": np.where(forward, 1.0, -1.0) * np.asarray(value),
        }
    )
    net = frame.groupby(["a", "b", "asset"], sort=True)["value"].sum().reset_index()
    flip = net["value"] < 0
    out = pd.DataFrame(
        {
            "source": np.where(flip, net["b"], net["a"]),
            "destination": np.where(flip, net["a"], net["b"]),
            "asset": net["asset"],
            "value": net["value"].abs(),
        }
    )
    out = out[out["value"] > 1e-9].sort_values("value", ascending=False, kind="stable")
    return out.head(top).reset_index(drop=True)[columns]
