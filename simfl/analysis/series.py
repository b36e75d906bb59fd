"""Per-client series of the model table, the one place its wide columns are parsed.

`model.parquet` holds one row per step and, for each per-client quantity, one column
per client, `<name>_<client>` (`price_3`, `participating_0`; written by
`simfl.collection`). Readers ask here for a quantity by name instead of formatting or
matching column names themselves:

- `client_columns(frame, *names)`: the wide columns of these quantities, in the frame's
  order;
- `client_wide(frame, name)`: one column per client (labelled by the client's index);
- `client_series(frame, name)`: long format, one row per step and client.

>>> frame = pd.DataFrame({"round": [0, 1], "price_1": [2.0, 3.0], "price_0": [1.0, 1.5],
...                       "price_min": [1.0, 1.5]})
>>> client_columns(frame, "price")
['price_1', 'price_0']
>>> client_series(frame, "price").to_dict("list")
{'round': [0, 0, 1, 1], 'client': [0, 1, 0, 1], 'value': [1.0, 2.0, 1.5, 3.0]}
"""

from __future__ import annotations

import re

import pandas as pd


def _pattern(names: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile(rf"({'|'.join(re.escape(n) for n in names)})_(\d+)")


def client_columns(frame: pd.DataFrame, *names: str) -> list[str]:
    """The columns `<name>_<client>` of any of `names`, in the frame's column order
    (`price_min` is no client's price: the suffix must be a client index)."""
    pattern = _pattern(names)
    return [str(c) for c in frame.columns if pattern.fullmatch(str(c))]


def client_wide(frame: pd.DataFrame, name: str) -> pd.DataFrame:
    """The quantity `name` with one column per client, labelled by client index (int,
    ascending), on `frame`'s index; no columns if the frame has none of it."""
    pattern = _pattern((name,))
    found = {int(m.group(2)): c for c in frame.columns if (m := pattern.fullmatch(str(c)))}
    clients = sorted(found)
    wide = frame[[found[i] for i in clients]]
    wide.columns = pd.Index(clients, dtype="int64")
    return wide


def client_series(frame: pd.DataFrame, name: str, step: str = "round") -> pd.DataFrame:
    """The quantity `name` in long format: columns `step` (the frame's `step` column,
    default `round`), `client`, `value`; one row per step and client, sorted by step
    then client (values as stored, not converted)."""
    wide = client_wide(frame, name)
    wide.insert(0, step, frame[step].to_numpy())
    long = wide.melt(id_vars=step, var_name="client", value_name="value")
    long["client"] = long["client"].astype("int64")
    return long.sort_values([step, "client"], kind="stable").reset_index(drop=True)


__all__ = ["client_columns", "client_series", "client_wide"]
