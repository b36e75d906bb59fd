"""`validate` draws the data split and partition the run's FL engine will draw (same
functions, same seed stream), so a partition or a data file the run would refuse is
refused before it starts (simfl/config/crossfield.py `_split_problems`)."""

from __future__ import annotations

import gzip

import numpy as np
import pytest

from simfl.config import load_scenario
from simfl.config.schema import Scenario
from simfl.errors import PartitionError, ScenarioError
from simfl.fl.datasets import digits_labels

SIZE_ONLY = {"methods": ["size"], "pay_by": "size"}


def problems(data: dict) -> list[str]:
    try:
        load_scenario(data)
    except ScenarioError as err:
        return str(err).splitlines()[1:]
    return []


def fl(clients: int, partition: dict, **more) -> dict:
    return {"fl": {"clients": clients, "partition": partition, "contribution": SIZE_ONLY,
                   **more}}  # fmt: skip


def test_an_exponential_partition_that_starves_clients_is_refused():
    """exp(i) shares over 50 clients: clients 0..41 get under one of 1,077 samples."""
    found = problems(fl(50, {"kind": "exponential"}))
    assert len(found) == 1
    assert found[0].startswith(
        "fl.partition: the split a run draws (seed 42) fails for fl.clients=50 on 1,077 "
        "training samples: exponential partition leaves client(s) [0, 1, 2, "
    )
    assert "39, 40, 41] without samples" in found[0]
    assert found[0].endswith("; change fl.partition, or use fewer clients")
    assert problems(fl(7, {"kind": "exponential"})) == []  # 7: 1077·e^-6/Σe^-i = 1.7 ≥ 1


def test_a_lognormal_partition_with_a_huge_sigma_is_refused():
    found = problems(fl(10, {"kind": "lognormal", "sigma": 20}))
    assert len(found) == 1 and "lognormal partition leaves client(s)" in found[0]


def test_a_dirichlet_partition_that_never_fills_its_minimum_is_refused():
    assert problems(fl(100, {"kind": "dirichlet", "alpha": 0.01, "min_partition_size": 10})) == [
        "fl.partition: the split a run draws (seed 42) fails for fl.clients=100 on 1,077 "
        "training samples: dirichlet alpha=0.01: after 10 draws the smallest client still has "
        "0 < min_partition_size=10 samples; raise alpha or lower min_partition_size; change "
        "fl.partition, or use fewer clients"
    ]


@pytest.mark.parametrize(("seed", "fl_seed"), [(0, None), (1, None), (2, None), (3, None),
                                               (1, 0), (0, 1)])  # fmt: skip
def test_validate_refuses_exactly_the_seeds_whose_run_refuses(seed, fl_seed):
    """lognormal(0, 2) sizes for 20 clients leave a client empty at some seeds only
    (0 and 3 of 0..3): validate must draw on the engine's own stream, the FL seed's."""
    from simfl.fl.engine import FederatedTraining
    from simfl.model import fl_stream

    data = {"seed": seed, **fl(20, {"kind": "lognormal", "sigma": 2.0})}
    if fl_seed is not None:
        data["fl_seed"] = fl_seed
    scenario = Scenario.model_validate(data)
    try:
        FederatedTraining(scenario.fl.to_settings(), fl_stream(scenario.fl_stream_seed))
        run_refuses = False
    except PartitionError:
        run_refuses = True
    assert run_refuses is (scenario.fl_stream_seed in (0, 3))
    assert bool(problems(data)) is run_refuses


def test_synthetic_data_with_an_empty_client_is_refused():
    """Synthetic data brings its own split: with 200 samples over 60 clients and a
    lognormal(4, 2) size law, some client holds only validation or test samples."""
    data = {"fl": {"dataset": "synthetic", "model": "mlp", "clients": 60,
                   "synthetic": {"samples": 200}, "validation_size": 40, "test_size": 40,
                   "contribution": SIZE_ONLY}}  # fmt: skip
    found = problems(data)
    assert len(found) == 1
    assert found[0].startswith("fl.synthetic.samples: the split a run draws (seed 42) fails")
    assert "hold no training samples after the validation split" in found[0]


def _mnist(folder, images: bytes) -> None:
    folder.mkdir()
    labels = (np.arange(100) % 10).astype(np.uint8)
    with gzip.open(folder / "train-labels-idx1-ubyte.gz", "wb") as fh:
        fh.write(b"\x00\x00\x08\x01" + (100).to_bytes(4, "big") + labels.tobytes())
    with gzip.open(folder / "train-images-idx3-ubyte.gz", "wb") as fh:
        fh.write(images)


def test_a_damaged_mnist_image_file_is_refused(tmp_path):
    _mnist(tmp_path / "mnist", b"garbage")
    data = {"fl": {"dataset": "mnist", "data_dir": str(tmp_path / "mnist"), "clients": 5,
                   "validation_size": 20, "test_size": 20, "contribution": SIZE_ONLY}}  # fmt: skip
    assert problems(data) == [
        f"fl.data_dir: got {str(tmp_path / 'mnist')!r}, whose mnist files cannot be read "
        f"({tmp_path / 'mnist' / 'train-images-idx3-ubyte.gz'} is not a uint8 IDX file "
        "(magic bytes b'garb')); give the folder holding the data set's intact files"
    ]
    good = b"\x00\x00\x08\x03" + b"".join(d.to_bytes(4, "big") for d in (100, 28, 28))
    (tmp_path / "mnist2").mkdir()
    _mnist(tmp_path / "mnist3", good + bytes(100 * 28 * 28))
    data["fl"]["data_dir"] = str(tmp_path / "mnist3")
    assert problems(data) == []


def test_a_damaged_cifar_batch_is_refused(tmp_path):
    for i in range(1, 6):
        (tmp_path / f"data_batch_{i}").write_bytes(b"not a pickle")
    data = {"fl": {"dataset": "cifar10", "data_dir": str(tmp_path), "clients": 5,
                   "contribution": SIZE_ONLY}}  # fmt: skip
    found = problems(data)
    assert len(found) == 1
    assert found[0].startswith(
        f"fl.data_dir: got {str(tmp_path)!r}, whose cifar10 files cannot be read (cifar10: "
        f"{tmp_path / 'data_batch_1'} is not a CIFAR-10 python batch ("
    )


def test_digits_labels_are_scikit_learns_without_importing_it():
    from sklearn.datasets import load_digits

    labels = digits_labels()
    assert labels.dtype == np.int64
    assert np.array_equal(labels, load_digits().target)
