"""What a run records, streamed: Mesa's `DataCollector`, plus agent rows every k steps
and every table written to parquet in chunks while the run goes on.

In memory (Mesa's way, for `mesa.batch_run`, notebooks and tests) the collector keeps
every row, as Mesa's does. Once `stream_to(folder)` is called (the runner does, with
the run's temporary folder) each table is written as soon as its buffer holds about
`CHUNK_CELLS` values, and the rows written leave memory: the model rows, the agent rows,
the model's score rows and the ledger's event journal (with its flows, summed per
step). So a run's memory does not grow with its length, and `close` leaves the five
tables complete in the folder. Chunk boundaries depend only on what was recorded, so a
run's files are byte-identical whenever its scenario and seed are.

The ledger's journal is drained in place (`del ledger.events[:n]`): the list object stays
the same (pools hold its bound `append`), and an event's `seq` is its position in the
whole run's journal, counted by the collector (`events_written` + its index in the list).
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import mesa
import pandas as pd

from simfl.analysis.metrics import metric_tables
from simfl.analysis.run_folder import open_folder
from simfl.chain import Ledger
from simfl.collection import (
    FLOW_COLUMNS,
    SCORE_COLUMNS,
    agents_table,
    events_frame,
    flows_frame,
    owner_kinds,
)
from simfl.errors import SimflError
from simfl.tables import ChunkedTable

if TYPE_CHECKING:
    from simfl.model import FederationMarket
    from simfl.sources import ScoreSource

STREAMED = ("model", "agents", "scores", "events", "flows")  # written as the run goes
EVENT_COLUMNS = ("seq", "step", *Ledger.EVENT_FIELDS[1:])
# values (rows x columns) a table buffers before it is written: ~10 MB of Python floats
# or tuples, so four buffers stay well under the run's memory budget
CHUNK_CELLS = 1 << 18


class RunCollector(mesa.DataCollector):
    """Mesa's `DataCollector` for `FederationMarket`, with sparse agent rows and streaming.

    Model rows every step; agent rows at step 0, every `agents_every`-th step and the
    final round (so the last state is always recorded). Model reporters are functions
    of the model returning immutable scalars, stored as they are (no deep copy).

    Args:
        model_reporters: column → function of the model.
        agent_reporters: column → attribute name or function of an agent.
        agents_every: agent rows every this many steps (1: every step).
    """

    def __init__(
        self,
        model_reporters: dict[str, Callable[[Any], Any]],
        agent_reporters: dict[str, Any],
        agents_every: int = 1,
    ) -> None:
        super().__init__(model_reporters=model_reporters, agent_reporters=agent_reporters)
        self.agents_every = agents_every
        self.events_written = 0  # journal events already written (seq of ledger.events[0])
        # (step, journal length at that step's collection), for events not yet written
        self._event_ends: list[tuple[int, int]] = []
        self._agent_rows = 0  # agent rows buffered
        self._tables: dict[str, ChunkedTable] | None = None
        self.folder: Path | None = None
        self.rows: dict[str, int] | None = None  # rows per table, once closed

    # ------------------------------------------------------------------ collect

    def collect(self, model: FederationMarket) -> None:
        """Record the model's row, its agents' rows when due, and where this step's
        ledger events end; write full buffers when streaming."""
        if self.rows is not None:
            raise SimflError("the run's tables are closed; a closed run records nothing more")
        for name, reporter in self.model_reporters.items():
            self.model_vars[name].append(reporter(model))
        if self.agents_due(model):
            records = list(self._record_agents(model))
            self._agent_records[model.steps] = records
            self._agent_rows += len(records)
        self._event_ends.append((model.round, self.events_written + len(model.ledger.events)))
        if self._tables is not None:
            self._write(model, force=False)

    def agents_due(self, model: FederationMarket) -> bool:
        """Agent rows at step 0, every `agents_every`-th step and the final round."""
        step = model.round
        return step % self.agents_every == 0 or step >= model.rounds

    # ---------------------------------------------------------------- streaming

    def stream_to(self, folder: Path, model: FederationMarket) -> None:
        """From now on, write every table into `folder/<name>.parquet` in chunks (what is
        buffered already goes into the first chunks)."""
        if self._tables is not None:
            raise SimflError(f"already streaming to {self.folder}")
        self.folder = Path(folder)
        self._tables = {name: ChunkedTable(self.folder / f"{name}.parquet") for name in STREAMED}
        self._write(model, force=False)

    def close(self, model: FederationMarket) -> dict[str, int]:
        """Write what is buffered, finish the files, and return the rows per table."""
        if self._tables is None:
            raise SimflError("close: this collector is not streaming (call stream_to first)")
        if self.rows is not None:
            return self.rows
        self._write(model, force=True)
        if model.ledger.events:
            raise SimflError(
                f"{len(model.ledger.events)} ledger events after the last collection; "
                "collect before closing"
            )
        empty = {
            "model": pd.DataFrame({name: [] for name in self.model_reporters}),
            "agents": pd.DataFrame([], columns=["step", "agent_id", *self.agent_reporters]),
            "scores": pd.DataFrame([], columns=list(SCORE_COLUMNS)),
            "events": pd.DataFrame([], columns=list(EVENT_COLUMNS)),
            "flows": pd.DataFrame([], columns=list(FLOW_COLUMNS)).astype({"step": "int64"}),
        }
        self.rows = {name: table.close(empty[name]) for name, table in self._tables.items()}
        return self.rows

    def _write(self, model: FederationMarket, force: bool) -> None:
        """Write each table whose buffer is full (every non-empty one if `force`)."""
        tables = self._tables
        assert tables is not None
        steps = len(next(iter(self.model_vars.values()), []))
        if steps and (force or steps * len(self.model_vars) >= CHUNK_CELLS):
            tables["model"].write(pd.DataFrame(self.model_vars))
            for values in self.model_vars.values():
                values.clear()
        columns = 2 + len(self.agent_reporters)  # step, agent id, reporters
        if self._agent_rows and (force or self._agent_rows * columns >= CHUNK_CELLS):
            tables["agents"].write(agents_table(super().get_agent_vars_dataframe()))
            self._agent_records.clear()
            self._agent_rows = 0
        scores = model.score_rows
        if scores and (force or len(scores) * len(SCORE_COLUMNS) >= CHUNK_CELLS):
            tables["scores"].write(pd.DataFrame(scores, columns=list(SCORE_COLUMNS)))
            del scores[:]
        events = model.ledger.events
        if events and (force or len(events) * len(EVENT_COLUMNS) >= CHUNK_CELLS):
            self._write_events(model)

    def _write_events(self, model: FederationMarket) -> None:
        """Write the journal up to the last collection, with each event's step, and its
        flows; then drop those events from memory."""
        events = model.ledger.events
        start = self.events_written
        steps: list[int] = []
        for step, end in self._event_ends:
            steps.extend(itertools.repeat(step, end - start - len(steps)))
        count = len(steps)
        if not count:
            return
        chunk = events[:count]
        tables = self._tables
        assert tables is not None
        tables["events"].write(events_frame(chunk, steps, start))
        # rows of a chunk sort before the next chunk's (step leads the sort key, and a
        # chunk holds whole steps), so the chunks concatenate to the whole run's table
        tables["flows"].write(flows_frame(chunk, steps, owner_kinds(model)))
        del events[:count]
        self.events_written = start + count
        self._event_ends.clear()

    # ------------------------------------------------------------------ reading

    def get_model_vars_dataframe(self) -> pd.DataFrame:
        self._in_memory("model")
        return super().get_model_vars_dataframe()

    def get_agent_vars_dataframe(self) -> pd.DataFrame:
        self._in_memory("agents")
        return super().get_agent_vars_dataframe()

    def _in_memory(self, table: str) -> None:
        if self._tables is not None:
            raise SimflError(
                f"the {table} table was streamed to {self.folder}; read it from there "
                "(simfl.runner.read_tables)"
            )


# ------------------------------------------------------------- whole recorded runs


def recorded_tables(
    scenario: Any, source: ScoreSource | None = None, seed: int | None = None
) -> dict[str, pd.DataFrame]:
    """Run `scenario` to the end, streaming its tables into a scratch folder, and return
    what the payout metrics read of it (`analysis.metrics.metric_tables`; the scratch
    folder is removed): a comparison market costs no more memory than a chunk, however
    long the run."""
    from simfl.model import run_model

    scratch = Path(tempfile.mkdtemp(prefix="simfl-market-"))
    try:
        run_model(scenario, seed=seed, source=source, record_to=scratch)
        return metric_tables(open_folder(scratch))
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


__all__ = [
    "CHUNK_CELLS",
    "STREAMED",
    "RunCollector",
    "recorded_tables",
]
