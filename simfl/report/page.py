"""The self-contained HTML report of one run (the dashboard embedded as base64).

Order: the run's key numbers (each with its definition), the dashboard, every headline
metric by section with unit and definition, the rewards per client, then the resolved
scenario. Numbers print one way throughout (`fmt`): integers without decimals,
thousands separated, fractions as percentages.
"""

from __future__ import annotations

import base64
import html
import math
from typing import Any

import pandas as pd
import yaml

from simfl.report.definitions import SECTIONS, describe

DUST = 1e-12  # |value| below this is float noise (a millionth of a BASE base unit)


def fmt(value: Any, pct: bool = False, digits: int | None = None) -> str:
    """A number as text: integers without decimals, thousands separated, `n/a` for none.

    `pct` reads a fraction as a percentage with one decimal; `digits` fixes the decimals
    (default: 3 below 1, 2 below 100, else 0, so 0.123, 12.35 and 3,610).

    >>> fmt(5.0), fmt(3610.4), fmt(0.1234), fmt(0.25, pct=True), fmt(float("nan"))
    ('5', '3,610', '0.123', '25.0 %', 'n/a')
    """
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return "n/a"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if pct:
        return f"{100 * value:.1f} %"
    if isinstance(value, float) and abs(value) < DUST:
        value = 0.0  # float noise such as 1e-17 BASE: printed as zero, never as -0.000
    if isinstance(value, int) or (digits is None and float(value).is_integer()):
        return f"{int(value):,}"
    if digits is None:
        size = abs(value)
        digits = 3 if size < 1 else 2 if size < 100 else 0
    text = f"{value:,.{digits}f}"
    return text[1:] if text.startswith("-") and text.strip("-0.,") == "" else text


def metric_text(key: str, value: Any) -> str:
    """A headline metric's value as printed, without its unit (shown beside it).

    One rule per kind of quantity: counts as integers, money in whole BASE, percentages
    with one decimal, ratios (Gini, correlations) and prices with three.
    """
    metric = describe(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return fmt(value)
    if metric.kind == "fraction":
        return fmt(100 * value, digits=1)
    if metric.kind == "count":
        return fmt(round(value)) if math.isfinite(value) else "n/a"
    if metric.unit.startswith("%"):
        return fmt(value, digits=1)
    if metric.unit == "BASE":
        return fmt(value, digits=0)
    return fmt(value, digits=3)


def key_numbers(manifest: dict[str, Any], metrics: dict[str, Any]) -> list[str]:
    """The metrics shown first: the yardstick, fairness, then what applies to this run."""
    behaviours = [str(c.get("behaviour") or "honest") for c in manifest.get("clients", [])]
    source = manifest.get("scenario", {}).get("scores", {}).get("source", "fl")
    keys = ["equal_payout_base", "client_reward_pct_budget", "gini", "spearman"]
    keys.append("honest_pct_equal_min")
    if any(b.startswith("free_rider") for b in behaviours):
        keys.append("free_rider_reward_share")
    if any(b != "honest" and not b.startswith("free_rider") for b in behaviours):
        keys.append("malicious_reward_share")
    if source != "synthetic":
        keys.append("final_accuracy")
    keys += ["investor_pnl_mean", "lp_net", "slippage_paid"]
    return [k for k in keys if k in metrics]


# ----------------------------------------------------------------- tables

REWARD_COLUMNS = {  # column → (header, how to print)
    "method": ("paid by", "text"),
    "mode": ("payout mode", "text"),
    "client": ("client", "int"),
    "behaviour": ("behaviour", "text"),
    "size": ("samples", "int"),
    "reward_liquidation": ("reward, liquidation mark (BASE)", "base"),
    "reward_spot": ("reward, spot (BASE)", "base"),
    "pct_equal_liquidation": ("% of an equal payout, liquidation", "pct100"),
    "pct_equal_spot": ("% of an equal payout, spot", "pct100"),
    "reward_share": ("reward share (%)", "fraction"),
    "contribution_share": ("contribution share (%)", "fraction"),
    "participation_rate": ("rounds trained (%)", "fraction"),
}


def _cell(value: Any, how: str) -> str:
    if how == "text":
        return str(value).replace("_", " ")
    if how == "int":
        return fmt(int(value)) if pd.notna(value) else "n/a"
    if how == "fraction":
        return fmt(100 * value, digits=1) if pd.notna(value) else "n/a"
    if how == "pct100":
        return fmt(value, digits=1)
    return fmt(value, digits=0)  # whole BASE


def rewards_table(rewards: pd.DataFrame) -> str:
    """The rewards per client and method as an HTML table (known columns, printed alike)."""
    columns = [c for c in REWARD_COLUMNS if c in rewards]
    if "mode" in columns and rewards["mode"].nunique() < 2:
        columns.remove("mode")
    head = "".join(f"<th>{html.escape(REWARD_COLUMNS[c][0])}</th>" for c in columns)
    body = []
    for _, row in rewards.iterrows():
        cells = "".join(
            f"<td>{html.escape(_cell(row[c], REWARD_COLUMNS[c][1]))}</td>" for c in columns
        )
        body.append(f"<tr>{cells}</tr>")
    return f'<table class="wide"><tr>{head}</tr>{"".join(body)}</table>'


def metrics_tables(metrics: dict[str, Any]) -> str:
    """Every headline metric, by section: name, value, unit, definition."""
    parts = []
    for section in SECTIONS:
        rows = [(key, value) for key, value in metrics.items() if describe(key).section == section]
        if not rows:
            continue
        lines = "".join(
            f"<tr><th><code>{html.escape(key)}</code></th>"
            f'<td class="num">{html.escape(metric_text(key, value))}</td>'
            f"<td>{html.escape(describe(key).unit)}</td>"
            f'<td class="def">{html.escape(describe(key).definition)}</td></tr>'
            for key, value in rows
        )
        parts.append(
            f"<h3>{html.escape(section)}</h3><table>"
            "<tr><th>metric</th><th>value</th><th>unit</th><th>definition</th></tr>"
            f"{lines}</table>"
        )
    return "\n".join(parts)


STYLE = """
body { font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1400px;
       padding: 0 1em; color: #222; line-height: 1.4; }
table { border-collapse: collapse; margin: 0.5em 0 1em; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; vertical-align: top; }
th { background: #f3f3f3; text-align: left; font-weight: 600; }
td { text-align: right; font-variant-numeric: tabular-nums; }
td.def { text-align: left; max-width: 42em; }
.scroll { overflow-x: auto; max-width: 100%; }
.cards { display: flex; flex-wrap: wrap; gap: 0.8em; margin: 1em 0; }
.card { border: 1px solid #ccc; border-radius: 6px; padding: 0.6em 0.9em; width: 15em; }
.card .value { font-size: 1.6em; font-weight: 600; }
.card .name { font-family: monospace; font-size: 0.85em; color: #555; }
.card .def { font-size: 0.8em; color: #444; }
img { max-width: 100%; height: auto; }
pre { background: #f7f7f7; padding: 1em; overflow-x: auto; font-size: 0.85em; }
"""


def report_html(manifest, metrics, rewards: pd.DataFrame, png: bytes) -> str:
    """A self-contained HTML report: key numbers first, the dashboard, every headline
    metric with its definition, the rewards table, the resolved scenario."""
    scenario = manifest["scenario"]
    title = html.escape(f"simfl report — {manifest.get('run_id', scenario['name'])}")
    cards = "".join(
        f'<div class="card"><div class="value">{html.escape(metric_text(k, metrics[k]))}'
        f" <small>{html.escape(describe(k).unit)}</small></div>"
        f'<div class="name">{html.escape(k)}</div>'
        f'<div class="def">{html.escape(describe(k).definition)}</div></div>'
        for k in key_numbers(manifest, metrics)
    )
    fl, market = scenario["fl"], scenario["market"]
    setting = (
        f"{scenario['rounds']} rounds · {fl['clients']} clients · reward "
        f"{market['reward']['mode']}, paid by {fl['contribution']['pay_by']} · "
        f"seed {manifest.get('seed')}"
    )
    timings = ", ".join(f"{k} {fmt(v, digits=1)}" for k, v in manifest.get("timings", {}).items())
    versions = ", ".join(f"{k} {v}" for k, v in manifest.get("versions", {}).items())
    resolved = yaml.safe_dump(scenario, sort_keys=False, default_flow_style=None)
    image = base64.b64encode(png).decode("ascii")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{STYLE}</style></head><body>
<h1>{title}</h1>
<p>{html.escape(scenario.get("description") or "")}</p>
<p>{html.escape(setting)}</p>
<h2>Key numbers</h2>
<div class="cards">{cards}</div>
<h2>Dashboard</h2>
<img alt="simfl dashboard" src="data:image/png;base64,{image}">
<h2>Headline metrics</h2>
<p>Money in whole BASE; percentages with one decimal; ratios and prices with three.</p>
<div class="scroll">{metrics_tables(metrics)}</div>
<h2>Rewards per client and payout method</h2>
<p>Reward = what the mechanism gave a client, marked to market (liquidation: what selling
now would fetch; spot: at the current price), in whole BASE and as % of an equal payout
(the run's nominal reward budget / clients).</p>
<div class="scroll">{rewards_table(rewards)}</div>
<h2>Resolved scenario</h2>
<details><summary>YAML (every default filled in)</summary>
<pre>{html.escape(resolved)}</pre></details>
<p><small>git {html.escape(str(manifest.get("git_commit")))} · started
{html.escape(str(manifest.get("started_at")))}<br>timings (s): {html.escape(timings)}<br>
versions: {html.escape(versions)}</small></p>
</body></html>
"""
