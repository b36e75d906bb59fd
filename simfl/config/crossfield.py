"""Checks a scenario must pass beyond its schema: rules that span several fields, the
data a run will read, and an earlier run it will replay.

`scenario_problems(scenario)` returns one line per problem, dotted path first, naming
the value and what is allowed; `load_scenario` raises them all at once, so `simfl
validate` refuses whatever `simfl run` would refuse later. What it reads: file names and
IDX headers first; then, when those pass, the data set's labels (digits' CSV,
fashion-mnist's label file, local MNIST / CIFAR-10 files in full, cached per process) to
draw the split and partition the run will draw; a replayed run's manifest and its
tables' parquet footers (schema and row count), never their rows.

Sane ranges decided here (not physical limits, typo catchers):
- `fl.local.lr` at most 10 for SGD and 1 for Adam: a step beyond that diverges or learns
  nothing on every shipped model (lr 100 for 0.01 is a typo, not an experiment);
- token amounts at most `MAX_WHOLE_TOKENS` (in `base`): results store exact 38-digit
  integers.
"""

from __future__ import annotations

import functools
import gzip
import math
import pickle
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from simfl.chain.kinds import pool_kind, pool_params
from simfl.config.base import MAX_WHOLE_TOKENS, to_base_units
from simfl.fl.methods import coalition_problems

if TYPE_CHECKING:
    from simfl.analysis.run_folder import RunFolder
    from simfl.config.schema import Scenario

MAX_LR = {"sgd": 10.0, "adam": 1.0}  # local learning rate: above this, a typo (see above)
MINIMUM_LIQUIDITY = 10**3  # LP base units a constant-product pool locks at its first mint
DIGITS = (1797, 10)  # scikit-learn's bundled digits: samples, classes
CIFAR10 = (50_000, 10)  # five python batches of 10,000
IDX_LABELS = "train-labels-idx1-ubyte.gz"
IDX_IMAGES = "train-images-idx3-ubyte.gz"
CIFAR_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
# what a replay reads besides manifest.json: table -> the columns `sources.load_replay` uses
REPLAY_COLUMNS = {
    "scores": ("round", "method", "client", "score", "participated"),
    "model": ("round", "accuracy", "loss", "test_accuracy", "test_loss"),
}
REPLAY_TABLES = tuple(REPLAY_COLUMNS)


@dataclass(frozen=True)
class DataShape:
    """What a data set offers before the validation split: samples and classes."""

    samples: int
    classes: int


def scenario_problems(scenario: Scenario) -> list[str]:
    """Every cross-field, data and replay problem of a schema-valid scenario."""
    problems = _pool_problems(scenario) + _buyback_problems(scenario) + _fl_problems(scenario)
    if scenario.scores.source == "fl":
        fl = scenario.fl  # only FL-computed scores build coalitions (bitmasks)
        problems += [f"fl.{p}" for p in coalition_problems(fl.contribution.methods, fl.clients)]
        data = _data_problems(scenario)
        problems += data or _split_problems(scenario)
    elif scenario.scores.source == "replay":
        problems += _replay_problems(scenario)
    return problems


# ------------------------------------------------------------------------- market


def _pool_problems(scenario: Scenario) -> list[str]:
    pool = scenario.market.pool
    problems = []
    units = {}
    for key in ("seed_base", "seed_tokens"):
        value = getattr(pool, key)
        units[key] = to_base_units(value)
        if units[key] == 0:
            problems.append(
                f"market.pool.{key}: got {value!r}, which rounds to 0 base units "
                "(1 base unit = 1e-18 whole tokens); give a positive amount of whole tokens"
            )
        elif value > MAX_WHOLE_TOKENS:
            problems.append(
                f"market.pool.{key}: got {value!r}: at most {MAX_WHOLE_TOKENS:g} whole tokens "
                "(results store amounts as exact 38-digit integers of base units)"
            )
    kind = pool_kind(pool.kind)  # the first mint is the kind's (chain/kinds.py)
    params = pool_params(pool.model_dump())  # every key the kind declares, exact units
    base, price_den = units["seed_base"], units["seed_tokens"]
    tokens = kind.genesis_tokens(base, base, price_den, params) if base and price_den else 0
    if all(units.values()) and kind.first_mint(base, tokens, params) <= MINIMUM_LIQUIDITY:
        problems.append(
            f"market.pool: seed_base={pool.seed_base!r} × seed_tokens={pool.seed_tokens!r} is "
            f"too shallow: a pool locks {MINIMUM_LIQUIDITY} LP base units at genesis and needs "
            f"{kind.first_mint_text} above that, in base units"
        )
    return problems


def _buyback_problems(scenario: Scenario) -> list[str]:
    """Slice j of a round's buy-backs buys at the start of substep j (slice 0 at the
    payout), so a round has room for `max(substeps, 1)` slices; a slice beyond that
    would only be carried, and the last round's never spent."""
    slices, substeps = scenario.market.reward.buyback_slices, scenario.market.substeps
    room = max(substeps, 1)
    if slices <= room:
        return []
    return [
        f"market.reward.buyback_slices: got {slices}; at most {room} with market.substeps="
        f"{substeps} (slice j buys at the start of substep j, slice 0 at the payout): a "
        "slice with no substep never buys, and the last round's would stay unspent; lower "
        "buyback_slices or raise market.substeps"
    ]


# ----------------------------------------------------------------------------- fl


def _fl_problems(scenario: Scenario) -> list[str]:
    fl = scenario.fl
    problems = []
    if fl.sampling.min_clients > fl.clients:
        problems.append(
            f"fl.sampling.min_clients: got {fl.sampling.min_clients}; at most "
            f"fl.clients={fl.clients}"
        )
    if fl.strategy.name == "krum":
        per_round = per_round_clients(scenario)
        f = fl.strategy.krum_byzantine
        if per_round <= 2 * f + 2:
            allowed = (
                f"so krum_byzantine at most {(per_round - 3) // 2}"
                if per_round >= 3
                else "and no f fits: select at least 3 clients per round"
            )
            problems.append(
                f"fl.strategy.krum_byzantine: got {f}; Krum needs the clients aggregated per "
                f"round ({per_round}) > 2·f + 2 = {2 * f + 2}, {allowed}"
            )
    ceiling = MAX_LR[fl.local.optimizer]
    if fl.local.lr > ceiling:
        problems.append(
            f"fl.local.lr: got {fl.local.lr!r}; with optimizer={fl.local.optimizer!r} give "
            f"0 < lr <= {ceiling:g} (larger steps diverge or learn nothing)"
        )
    return problems


def per_round_clients(scenario: Scenario) -> int:
    """Clients selected per round when all are willing: max(min_clients, ⌈fraction·n⌉),
    at most n (as the engine's sampler)."""
    fl = scenario.fl
    wanted = max(fl.sampling.min_clients, math.ceil(fl.sampling.fraction * fl.clients))
    return min(fl.clients, wanted)


def data_shape(scenario: Scenario) -> tuple[DataShape | None, list[str]]:
    """Samples and classes of the scenario's data set, read cheaply; or the problems
    that keep it from being read (missing folder or files)."""
    fl = scenario.fl
    if fl.dataset == "digits":
        return DataShape(*DIGITS), []
    if fl.dataset == "synthetic":
        syn = fl.synthetic
        return DataShape(syn.samples + fl.validation_size + fl.test_size, syn.classes), []
    if fl.dataset == "fashion-mnist":
        from simfl.fl.datasets import FASHION_MNIST_DIR

        return _idx_shape(
            FASHION_MNIST_DIR,
            f"fl.dataset: 'fashion-mnist' reads {FASHION_MNIST_DIR}",
            "install the Debian package dataset-fashion-mnist (`make data`)",
        )
    folder = Path(fl.data_dir or "")
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        return None, [
            f"fl.data_dir: got {fl.data_dir!r}, which {what}; give the folder holding "
            f"{fl.dataset}'s files"
        ]
    if fl.dataset == "mnist":
        return _idx_shape(
            folder, f"fl.data_dir: got {fl.data_dir!r}", "give the folder holding MNIST's files"
        )
    if not (folder / CIFAR_BATCHES[0]).is_file() and (folder / "cifar-10-batches-py").is_dir():
        folder = folder / "cifar-10-batches-py"
    missing = [n for n in CIFAR_BATCHES if not (folder / n).is_file()]
    if missing:
        return None, [
            f"fl.data_dir: got {fl.data_dir!r}, which lacks {', '.join(missing)}; give the "
            "folder holding CIFAR-10's python batches data_batch_1 .. data_batch_5"
        ]
    return DataShape(*CIFAR10), []


def _idx_shape(folder: Path, lead: str, fix: str) -> tuple[DataShape | None, list[str]]:
    """Samples in an IDX pair's label header (8 bytes read); MNIST-style: 10 classes."""
    missing = [n for n in (IDX_IMAGES, IDX_LABELS) if not (folder / n).is_file()]
    if missing:
        return None, [f"{lead}, which lacks {' and '.join(missing)}; {fix}"]
    try:
        with gzip.open(folder / IDX_LABELS, "rb") as fh:
            header = fh.read(8)
    except OSError as err:
        return None, [f"{lead}, whose {IDX_LABELS} cannot be read ({err}); {fix}"]
    if len(header) < 8 or header[:4] != b"\x00\x00\x08\x01":
        return None, [f"{lead}, whose {IDX_LABELS} is not an IDX label file; {fix}"]
    return DataShape(int.from_bytes(header[4:8], "big"), 10), []


def _data_problems(scenario: Scenario) -> list[str]:
    fl = scenario.fl
    shape, problems = data_shape(scenario)
    if shape is None:
        return problems
    name = fl.dataset
    held_out = fl.validation_size + fl.test_size
    if held_out + fl.clients > shape.samples:
        room = shape.samples - fl.clients
        return [
            f"fl.validation_size: got {fl.validation_size} (with fl.test_size "
            f"{fl.test_size}); the {name} set has {shape.samples:,} samples, so validation "
            f"and test together at most {room:,} (leaving one per client for training)"
        ]
    pool = shape.samples - held_out
    if fl.max_train_samples is not None:
        pool = min(pool, fl.max_train_samples)
    if fl.clients > pool:
        return [
            f"fl.clients: got {fl.clients}; the {name} training pool holds {pool:,} samples "
            "(after the validation and test splits and max_train_samples), at least one per client"
        ]
    part = fl.partition
    if part.kind == "pathological" and part.num_classes_per_partition > shape.classes:
        problems.append(
            f"fl.partition.num_classes_per_partition: got {part.num_classes_per_partition}; "
            f"the {name} set has {shape.classes} classes, so at most {shape.classes}"
        )
    if part.kind == "dirichlet" and part.min_partition_size * fl.clients > pool:
        problems.append(
            f"fl.partition.min_partition_size: got {part.min_partition_size}; "
            f"{fl.clients} clients × that exceeds the {pool:,} training samples, so at most "
            f"{pool // fl.clients}"
        )
    if part.kind == "shard" and part.num_shards_per_partition * fl.clients > pool:
        problems.append(
            f"fl.partition.num_shards_per_partition: got {part.num_shards_per_partition}; "
            f"{fl.clients} clients × that exceeds the {pool:,} training samples, so at most "
            f"{pool // fl.clients}"
        )
    sizes = part.partition_sizes
    if (
        part.kind == "inner_dirichlet"
        and sizes is not None
        and (len(sizes) != fl.clients or sum(sizes) != pool or min(sizes, default=0) < 1)
    ):
        problems.append(
            f"fl.partition.partition_sizes: got {len(sizes)} sizes summing to "
            f"{sum(sizes):,}; give {fl.clients} positive sizes summing to the {pool:,} "
            "training samples, or leave it unset"
        )
    return problems


def _split_problems(scenario: Scenario) -> list[str]:
    """The data split and partition the run's FL engine will draw, drawn here first: the
    engine's own functions (`datasets.training_labels`, `partition.client_indices`) on
    the engine's setup stream (the first of the four children it spawns from
    `fl_stream(fl_stream_seed)`), so a partitioner that refuses, a data file that cannot be
    read, is found by `validate`. File labels are cached per process (`_labels`)."""
    from simfl.errors import DatasetError, PartitionError
    from simfl.fl.datasets import training_labels
    from simfl.fl.partition import client_indices
    from simfl.fl.streams import engine_streams, fl_stream

    fl = scenario.fl
    settings = fl.to_settings()
    seed = scenario.fl_stream_seed
    setup = engine_streams(fl_stream(seed))[0]
    try:
        labels = None if fl.dataset == "synthetic" else _labels(fl.dataset, fl.data_dir)
        y_train, client_of = training_labels(settings, setup, labels)
    except (DatasetError, OSError, ValueError, EOFError, pickle.UnpicklingError) as err:
        if fl.dataset in ("mnist", "cifar10"):
            return [f"fl.data_dir: got {fl.data_dir!r}, whose {fl.dataset} files cannot be read "
                    f"({err}); give the folder holding the data set's intact files"]  # fmt: skip
        return [f"fl.dataset: {fl.dataset!r} cannot be loaded ({err})"]
    try:
        client_indices(y_train, client_of, fl.clients, settings.partition, setup)
    except PartitionError as err:
        key = "fl.synthetic.samples" if client_of is not None else "fl.partition"
        return [
            f"{key}: the split a run draws (seed {seed}) fails for fl.clients={fl.clients} on "
            f"{len(y_train):,} training samples: {err}; change {key}, or use fewer clients"
        ]
    return []


@functools.lru_cache(maxsize=4)
def _labels(dataset: str, data_dir: str | None) -> np.ndarray:
    """A file data set's labels (`datasets.dataset_labels`), read once per process and
    data folder: a sweep validates every point against the same files."""
    from simfl.fl.datasets import dataset_labels
    from simfl.fl.settings import FLSettings

    labels = dataset_labels(FLSettings(dataset=dataset, data_dir=data_dir))
    labels.flags.writeable = False  # shared by every caller
    return labels


# ------------------------------------------------------------------------- replay


def _replay_problems(scenario: Scenario) -> list[str]:
    raw = scenario.scores.replay_dir or ""
    folder = Path(raw)
    lead = f"scores.replay_dir: got {raw!r}"
    if not folder.is_dir():
        what = "does not exist" if not folder.exists() else "is not a folder"
        return [f"{lead}, which {what}; give an earlier run's results/<run-id>/ folder"]
    from simfl.analysis.run_folder import RunFolder  # the one run-folder reader (a leaf)
    from simfl.errors import RunFolderError

    try:
        run = RunFolder.open(folder, complete=False, tables=REPLAY_TABLES)
        manifest = run.manifest.data
        recorded = manifest["scenario"]
        clients = len(manifest["clients"])
        rounds = int(recorded["rounds"])
        methods = set(recorded["fl"]["contribution"]["methods"])
    except RunFolderError as err:
        return [f"{lead}: {err.problem}"]
    except (ValueError, KeyError, TypeError) as err:
        return [f"{lead}: its manifest.json cannot be read as a simfl manifest ({err})"]
    if manifest.get("status") != "complete":
        return [f"{lead}: the run there did not complete (status {manifest.get('status')!r})"]
    problems = _replay_table_problems(run, lead)
    if clients != scenario.fl.clients:
        problems.append(
            f"fl.clients: got {scenario.fl.clients}; the replayed run ({raw}) has {clients} "
            "clients, so give exactly that"
        )
    if scenario.rounds > rounds:
        problems.append(
            f"rounds: got {scenario.rounds}; the replayed run ({raw}) holds {rounds} rounds, "
            "so at most that"
        )
    wanted = [m for m in scenario.fl.contribution.methods if m not in methods]
    if wanted:
        problems.append(
            f"fl.contribution.methods: asks for {wanted}, which the replayed run ({raw}) did "
            f"not record; it has {sorted(methods)}"
        )
    return problems


def _replay_table_problems(run: RunFolder, lead: str) -> list[str]:
    """A replayed table that cannot be opened (its parquet footer and schema read, no
    rows), lacks a column the replay reads, or holds no rows."""
    import pyarrow.parquet as pq

    from simfl.analysis.run_folder import read_file
    from simfl.errors import RunFolderError

    problems = []
    for name, needed in REPLAY_COLUMNS.items():
        try:
            meta = read_file(run.file(name), lambda path: pq.ParquetFile(path).metadata)
        except RunFolderError as err:
            problems.append(f"{lead}: its {name}.parquet is {err.problem}; {err.hint}")
            continue
        present = set(meta.schema.to_arrow_schema().names)
        lacking = [c for c in needed if c not in present]
        if lacking:
            problems.append(
                f"{lead}: its {name}.parquet lacks {', '.join(lacking)} (written by an older "
                "simfl); run that scenario again to replay it"
            )
        elif meta.num_rows == 0:
            problems.append(f"{lead}: its {name}.parquet holds no rows; run that scenario again")
    return problems
