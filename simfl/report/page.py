"""The self-contained HTML report of one run (the dashboard embedded as base64)."""

from __future__ import annotations

import base64
import html
import math
from typing import Any

import pandas as pd
import yaml


def fmt(value: Any, pct: bool = False) -> str:
    if isinstance(value, str):
        return value
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if pct:
        return f"{value:.1%}"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 100 else f"{value:,.1f}"
    return str(value)


def report_html(manifest, metrics, rewards: pd.DataFrame, png: bytes) -> str:
    """A self-contained HTML report: headline metrics, the dashboard, rewards, scenario."""
    scenario = manifest["scenario"]
    title = html.escape(f"simfl report — {manifest.get('run_id', scenario['name'])}")
    rows = "\n".join(
        f"<tr><th>{html.escape(k)}</th><td>{html.escape(fmt(v))}</td></tr>"
        for k, v in metrics.items()
    )
    shown = rewards.copy()
    for column in shown.select_dtypes("float").columns:
        shown[column] = shown[column].map(fmt)
    timings = ", ".join(f"{k} {v}" for k, v in manifest.get("timings", {}).items())
    versions = ", ".join(f"{k} {v}" for k, v in manifest.get("versions", {}).items())
    resolved = yaml.safe_dump(scenario, sort_keys=False, default_flow_style=None)
    image = base64.b64encode(png).decode("ascii")
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; margin: 2em auto; max-width: 1800px; color: #222; }}
table {{ border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }}
th, td {{ border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: right; }}
th {{ background: #f3f3f3; text-align: left; }}
img {{ max-width: 100%; }}
pre {{ background: #f7f7f7; padding: 1em; overflow-x: auto; font-size: 0.85em; }}
</style></head><body>
<h1>{title}</h1>
<p>{html.escape(scenario.get("description") or "")}</p>
<p>seed {manifest.get("seed")} · git {html.escape(str(manifest.get("git_commit")))}
· started {html.escape(str(manifest.get("started_at")))}</p>
<h2>Headline metrics</h2>
<table>{rows}</table>
<h2>Dashboard</h2>
<img alt="simfl dashboard" src="data:image/png;base64,{image}">
<h2>Rewards per client and payout method (whole BASE; % of an equal payout)</h2>
{shown.to_html(index=False, border=0)}
<h2>Resolved scenario</h2>
<pre>{html.escape(resolved)}</pre>
<p><small>timings (s): {html.escape(timings)}<br>versions: {html.escape(versions)}</small></p>
</body></html>
"""
