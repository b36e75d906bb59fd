"""One typed reader for a run folder (`manifest.json` + parquet tables), one error policy.

`RunFolder.open(path)` reads the manifest and checks what the caller needs (a complete
run, the tables it will read); `table(name, columns, steps, where)` reads only the
columns and rows asked for (pyarrow column projection and row filters), so a panel that
needs two steps of a 400k-row agents table reads two steps. Every failure is one
`RunFolderError` (a `UserError`: exit status 2, no traceback) naming the folder or file,
what is wrong and what to do.

>>> RunFolder.open("/no/such/folder")
Traceback (most recent call last):
...
simfl.errors.RunFolderError: /no/such/folder: no such folder; give a results/<run-id>/ folder
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simfl.errors import RunFolderError

MANIFEST = "manifest.json"
TABLES = ("model", "agents", "scores", "events", "flows", "comparison")
STEP_COLUMN = {"scores": "round"}  # the column `steps=` filters on; default "step"
RUN_AGAIN = "run the scenario again"


@dataclass(frozen=True)
class Manifest:
    """A run's manifest with typed accessors; `data` is the JSON object as written."""

    data: dict[str, Any]

    @property
    def status(self) -> str:
        """`complete`, `failed` (a sweep records failures), or `?` if absent."""
        return str(self.data.get("status", "?"))

    @property
    def complete(self) -> bool:
        return self.status == "complete"

    @property
    def run_id(self) -> str | None:
        return self.data.get("run_id")

    @property
    def seed(self) -> int | None:
        seed = self.data.get("seed")
        return None if seed is None else int(seed)

    @property
    def scenario(self) -> dict[str, Any]:
        """The resolved scenario as the run used it (`{}` for a failed sweep run)."""
        return self.data.get("scenario") or {}

    @property
    def clients(self) -> list[dict[str, Any]]:
        """One entry per client: `index`, `behaviour`, `size` (training samples)."""
        return list(self.data.get("clients") or [])

    @property
    def rounds(self) -> int:
        return int(self.scenario.get("rounds", 0))

    @property
    def methods(self) -> list[str]:
        """The contribution methods the run scored."""
        return list(self.scenario.get("fl", {}).get("contribution", {}).get("methods", []))

    @property
    def pay_by(self) -> str | None:
        return self.scenario.get("fl", {}).get("contribution", {}).get("pay_by")

    @property
    def pool(self) -> dict[str, Any]:
        """The `market.pool` section (kind, seed_base, seed_tokens, fee_bps, ...)."""
        return self.scenario.get("market", {}).get("pool", {})

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)


def read_manifest_file(folder: Path, tables: Iterable[str] = ()) -> Manifest:
    """The folder's manifest, whatever its status; `RunFolderError` if there is none
    (naming also the `tables` missing beside it, so one message lists every file)."""
    folder = Path(folder)
    if not folder.is_dir():
        what = "no such folder" if not folder.exists() else "not a folder"
        raise RunFolderError(folder, what, "give a results/<run-id>/ folder")
    path = folder / MANIFEST
    if not path.is_file():
        files = [f"{n}.parquet" for n in tables if not (folder / f"{n}.parquet").is_file()]
        raise RunFolderError(
            folder,
            f"no complete run here (missing {', '.join([MANIFEST, *files])})",
            "give a results/<run-id>/ folder written by simfl run",
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise RunFolderError(
            folder, f"its {MANIFEST} cannot be read as a simfl manifest ({err})", RUN_AGAIN
        ) from None
    if not isinstance(data, dict):
        raise RunFolderError(
            folder, f"its {MANIFEST} cannot be read as a simfl manifest (not an object)", RUN_AGAIN
        )
    return Manifest(data)


@dataclass(frozen=True)
class RunFolder:
    """A results folder on disk: its path and manifest; tables are read on demand."""

    path: Path
    manifest: Manifest

    @classmethod
    def open(
        cls, path: str | Path, *, complete: bool = True, tables: Iterable[str] = ()
    ) -> RunFolder:
        """Read the manifest and check the folder holds what the caller will read.

        `complete`: refuse a run whose status is not "complete" (a failed sweep run, a
        run still being written). `tables`: refuse the folder unless each is present
        (all missing ones named at once).
        """
        folder = Path(path)
        tables = list(tables)
        manifest = read_manifest_file(folder, tables)
        if complete and not manifest.complete:
            raise RunFolderError(
                folder,
                f"no complete run here (status {manifest.get('status')!r} in {MANIFEST})",
                RUN_AGAIN,
            )
        run = cls(folder, manifest)
        missing = [n for n in tables if not run.has(n)]
        if missing:
            raise RunFolderError(
                folder,
                f"not a simfl run folder (missing {', '.join(f'{n}.parquet' for n in missing)})",
                RUN_AGAIN,
            )
        return run

    def file(self, name: str) -> Path:
        return self.path / f"{name}.parquet"

    def has(self, name: str) -> bool:
        """True if the table's file is present (older runs lack `flows`, `comparison`)."""
        return self.file(name).is_file()

    def columns(self, name: str) -> list[str]:
        """The table's column names, from its schema (no rows read)."""
        import pyarrow.parquet as pq

        return list(self._read(name, lambda path: pq.read_schema(path)).names)

    def step_range(self, name: str = "agents") -> tuple[int, int] | None:
        """(first, last) step recorded in a table (`round` for scores), from the row
        groups' statistics when written (no rows read), else from the step column alone;
        None if the table is empty."""
        column = STEP_COLUMN.get(name, "step")
        return self._read(name, lambda path: _column_range(path, column))

    def table(
        self,
        name: str,
        columns: Sequence[str] | None = None,
        steps: Iterable[int] | None = None,
        where: Mapping[str, Iterable[Any]] | None = None,
    ) -> pd.DataFrame:
        """One table as a pandas frame, reading only what is asked for.

        `columns`: these columns only (default all); `steps`: rows whose step (`round`
        for scores) is one of these; `where`: rows whose column holds one of the given
        values (`{"kind": ["federation"]}`). Rows keep the file's order, index 0..n-1.
        `RunFolderError` if the table or a requested column is missing, or the file is
        damaged.
        """
        if not self.has(name):
            raise RunFolderError(
                self.path, f"not a simfl run folder (missing {name}.parquet)", RUN_AGAIN
            )
        filters = [(column, "in", list(values)) for column, values in (where or {}).items()]
        if steps is not None:
            filters.append((STEP_COLUMN.get(name, "step"), "in", [int(s) for s in steps]))
        wanted = [*(columns or []), *(f[0] for f in filters)]
        if wanted:
            present = set(self.columns(name))
            lacking = [c for c in dict.fromkeys(wanted) if c not in present]
            if lacking:
                raise RunFolderError(
                    self.file(name),
                    f"lacks column(s) {', '.join(lacking)} (written by an older simfl)",
                    RUN_AGAIN,
                )
        chosen = list(columns) if columns is not None else None
        if not filters:
            return self._read(name, lambda path: pd.read_parquet(path, columns=chosen))
        return self._read(name, lambda path: _filtered(path, chosen, filters))

    def tables(self, names: Iterable[str] = TABLES) -> dict[str, pd.DataFrame]:
        """Whole tables by name (every missing one named at once)."""
        names = list(names)
        missing = [n for n in names if not self.has(n)]
        if missing:
            raise RunFolderError(
                self.path,
                f"not a simfl run folder (missing {', '.join(f'{n}.parquet' for n in missing)})",
                RUN_AGAIN,
            )
        return {name: self.table(name) for name in names}

    def _read(self, name: str, read: Callable[[Path], Any]) -> Any:
        return read_file(self.file(name), read)


def _column_range(path: Path, column: str) -> tuple[int, int] | None:
    """(min, max) of an integer column: row-group statistics, or the column read."""
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    meta = pq.ParquetFile(path).metadata
    if meta.num_rows == 0:
        return None
    index = meta.schema.to_arrow_schema().get_field_index(column)
    stats = [meta.row_group(i).column(index).statistics for i in range(meta.num_row_groups)]
    if all(s is not None and s.has_min_max for s in stats):
        return int(min(s.min for s in stats)), int(max(s.max for s in stats))
    ends = pc.min_max(pq.read_table(path, columns=[column])[column])
    return int(ends["min"].as_py()), int(ends["max"].as_py())


def _filtered(
    path: Path, columns: list[str] | None, filters: list[tuple[str, str, list[Any]]]
) -> pd.DataFrame:
    """The rows of a parquet file whose filter columns hold one of the listed values,
    read one row group at a time (a row group whose statistics rule every value out is
    skipped unread), so memory holds one row group's requested columns plus the matches.
    Converted as `pandas.read_parquet` converts (`use_pandas_metadata`, `to_pandas()`)."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    file = pq.ParquetFile(path)
    names = file.schema_arrow.names if columns is None else columns
    read = list(dict.fromkeys([*names, *(column for column, _, _ in filters)]))
    parts = []
    for group in range(file.num_row_groups):
        meta = file.metadata.row_group(group)
        if not all(_may_hold(meta, file.schema_arrow, f) for f in filters):
            continue
        part = file.read_row_group(group, columns=read, use_pandas_metadata=True)
        mask = None
        for column, _, values in filters:
            hit = pc.is_in(part[column], value_set=pa.array(values, part.schema.field(column).type))
            mask = hit if mask is None else pc.and_(mask, hit)
        parts.append(part.filter(mask))
    table = pa.concat_tables(parts) if parts else file.schema_arrow.empty_table().select(read)
    keep = [*names, *(c for c in table.column_names if c not in read)]  # pandas index, if any
    return table.select([c for c in keep if c in table.column_names]).to_pandas()


def _may_hold(meta: Any, schema: Any, condition: tuple[str, str, list[Any]]) -> bool:
    """False only when a row group's min/max statistics rule out every listed value."""
    column, _, values = condition
    stats = meta.column(schema.get_field_index(column)).statistics
    if stats is None or not stats.has_min_max:
        return True
    try:
        return any(stats.min <= v <= stats.max for v in values)
    except TypeError:  # values not comparable with the statistics' type
        return True


def read_file(path: Path, read: Callable[[Path], Any] = pd.read_parquet) -> Any:
    """`read(path)` of one parquet file (default: the whole table as a pandas frame);
    `RunFolderError` naming the file if it is damaged (not a traceback)."""
    try:
        return read(path)
    except (OSError, ValueError) as err:  # pyarrow's ArrowInvalid is a ValueError
        raise RunFolderError(
            path,
            f"not a readable parquet table ({str(err).splitlines()[0]})",
            f"the run folder is damaged: {RUN_AGAIN}",
        ) from None


def open_folder(path: str | Path) -> RunFolder:
    """A folder of tables without a manifest (a run still being written): for readers
    inside `run_scenario`, before the manifest exists."""
    return RunFolder(Path(path), Manifest({}))


__all__ = [
    "MANIFEST",
    "TABLES",
    "Manifest",
    "RunFolder",
    "open_folder",
    "read_file",
    "read_manifest_file",
]
