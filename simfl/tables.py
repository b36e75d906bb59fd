"""Result tables on disk: a pandas frame → an Arrow table with exact amounts, and a
parquet file written one chunk (row group) at a time.

A long run never holds a whole table in memory: `ChunkedTable` appends each chunk as
one parquet row group, so a file is the concatenation of its chunks. Chunk boundaries
depend only on what was recorded, never on timing, so the same scenario and seed give
byte-identical files.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simfl.errors import SimflError

AMOUNT_TYPE = pa.decimal128(38, 0)  # exact integer base units; 10**38 > any supply here
COMPRESSION = "zstd"


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """`frame` as an Arrow table, column by column; the `amount` column (exact integer
    base units) becomes `decimal128(38, 0)`, so no amount passes through a float."""
    columns = {}
    for name in frame.columns:
        values = frame[name]
        if name == "amount":
            columns[name] = pa.array([Decimal(int(v)) for v in values], type=AMOUNT_TYPE)
        else:
            columns[name] = pa.array(values.to_numpy(), from_pandas=True)
    return pa.table(columns)


def write_table(frame: pd.DataFrame, path: Path) -> None:
    """Write one whole table as parquet (`arrow_table`'s types)."""
    pq.write_table(arrow_table(frame), path, compression=COMPRESSION)


class ChunkedTable:
    """One parquet file written a chunk at a time, each chunk one row group.

    The first non-empty chunk fixes the file's schema; a later chunk whose inferred
    types differ is cast to it (exactly, or `SimflError`). `close` finishes the file;
    a table that never got a row is written from `empty` (its columns, no rows).

    Attributes:
        path: the parquet file.
        rows: rows written so far.
    """

    __slots__ = ("_writer", "path", "rows")

    def __init__(self, path: Path) -> None:
        self.path = path
        self.rows = 0
        self._writer: pq.ParquetWriter | None = None

    def write(self, frame: pd.DataFrame) -> None:
        """Append `frame`'s rows as one row group (nothing for an empty frame)."""
        if frame.empty:
            return
        table = arrow_table(frame)
        if self._writer is None:
            self._writer = pq.ParquetWriter(self.path, table.schema, compression=COMPRESSION)
        elif not table.schema.equals(self._writer.schema):
            try:
                table = table.cast(self._writer.schema)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError, ValueError) as err:
                raise SimflError(
                    f"{self.path.name}: a chunk's columns {table.schema} do not fit the "
                    f"table's {self._writer.schema}: {err}"
                ) from None
        self._writer.write_table(table)
        self.rows += len(frame)

    def close(self, empty: pd.DataFrame) -> int:
        """Finish the file and return its row count; `empty` gives the columns of a table
        that got no row."""
        if self._writer is None:
            write_table(empty, self.path)
        else:
            self._writer.close()
            self._writer = None
        return self.rows


__all__ = ["AMOUNT_TYPE", "ChunkedTable", "arrow_table", "write_table"]
