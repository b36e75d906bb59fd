"""Table analysis: reads result tables on disk, never live objects.

- `run_folder`: one typed reader for a run folder (manifest + tables), one error policy;
- `metrics`: headline metrics of a run (rewards on one yardstick, Gini, correlations,
  joint liquidation, investor and LP returns);
- `series`: per-client wide columns (`price_3`) as long frames (step, client, value).

`runner`, `sweep` and `report` import these; nothing here imports them, `model` or the
market's agents (only `chain` for its pool math on recorded reserves).
"""
