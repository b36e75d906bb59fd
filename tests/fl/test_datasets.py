"""Offline datasets: digits, local MNIST/CIFAR-10 files, Fashion-MNIST, synthetic."""

import gzip
import pickle
import struct
from collections import Counter

import numpy as np
import pytest

from simfl.errors import DatasetError
from simfl.fl import datasets
from simfl.fl.datasets import load_dataset, load_digits_arrays
from simfl.fl.settings import FLSettings, SyntheticSettings


def _write_idx(path, array):
    header = struct.pack(">BBBB", 0, 0, 8, array.ndim) + b"".join(
        struct.pack(">I", d) for d in array.shape
    )
    with gzip.open(path, "wb") as fh:
        fh.write(header + array.astype(np.uint8).tobytes())


def _mnist_miniature(folder, n=50):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(n, 28, 28))
    labels = np.arange(n) % 10
    _write_idx(folder / "train-images-idx3-ubyte.gz", images)
    _write_idx(folder / "train-labels-idx1-ubyte.gz", labels)
    return images, labels


def test_digits_are_scaled_to_unit_interval_and_split_off_validation_and_test():
    data = load_dataset(FLSettings(validation_size=300, test_size=200), np.random.default_rng(0))
    assert data.x_train.shape == (1797 - 500, 64) and data.x_val.shape == (300, 64)
    assert data.x_test.shape == (200, 64) and data.y_test.shape == (200,)
    assert data.x_train.min() >= 0.0 and data.x_train.max() <= 1.0
    assert data.num_classes == 10 and data.input_shape == (64,)


def test_validation_split_depends_on_the_seed_only():
    a = load_dataset(FLSettings(), np.random.default_rng(5))
    b = load_dataset(FLSettings(), np.random.default_rng(5))
    c = load_dataset(FLSettings(), np.random.default_rng(6))
    assert np.array_equal(a.y_val, b.y_val) and np.array_equal(a.x_val, b.x_val)
    assert not np.array_equal(a.x_val, c.x_val)


def test_max_train_samples_subsamples_the_pool():
    data = load_dataset(FLSettings(max_train_samples=200), np.random.default_rng(0))
    assert data.x_train.shape[0] == 200 and data.x_val.shape[0] == 360


def test_oversized_validation_split_is_a_dataset_error():
    with pytest.raises(
        DatasetError,
        match=r"validation_size=1500 \+ test_size=360 must each be >= 1 and together below "
        "the dataset's 1797 samples",
    ):
        load_dataset(FLSettings(validation_size=1500), np.random.default_rng(0))


def test_mnist_loader_reads_local_idx_gzip_files(tmp_path):
    images, labels = _mnist_miniature(tmp_path)
    data = load_dataset(
        FLSettings(dataset="mnist", data_dir=str(tmp_path), validation_size=10, test_size=5),
        np.random.default_rng(0),
    )
    assert data.input_shape == (1, 28, 28) and data.x_train.shape[0] == 35
    pool_x = np.concatenate([data.x_train, data.x_val, data.x_test])
    assert np.isclose(
        np.sort(pool_x.sum(axis=(1, 2, 3))), np.sort(images.sum(axis=(1, 2)) / 255)
    ).all()
    pool_y = np.concatenate([data.y_train, data.y_val, data.y_test])
    assert sorted(pool_y.tolist()) == sorted(labels.tolist())


def test_mnist_without_files_names_the_missing_file(tmp_path):
    with pytest.raises(DatasetError, match=r"expected train-images-idx3-ubyte\.gz"):
        load_dataset(FLSettings(dataset="mnist", data_dir=str(tmp_path)), np.random.default_rng(0))


def test_mnist_without_data_dir_says_to_set_it():
    with pytest.raises(DatasetError, match=r"set fl\.data_dir"):
        load_dataset(FLSettings(dataset="mnist"), np.random.default_rng(0))


def test_truncated_idx_file_is_a_dataset_error(tmp_path):
    _mnist_miniature(tmp_path)
    with gzip.open(tmp_path / "train-labels-idx1-ubyte.gz", "wb") as fh:
        fh.write(struct.pack(">BBBBI", 0, 0, 8, 1, 50) + b"\x00" * 10)
    with pytest.raises(DatasetError, match=r"declares shape \(50,\)"):
        datasets.load_mnist(str(tmp_path))


def _cifar_miniature(folder, per_batch=8):
    rng = np.random.default_rng(1)
    for i in range(1, 6):
        batch = {
            b"data": rng.integers(0, 256, size=(per_batch, 3072), dtype=np.uint8),
            b"labels": [int(v) for v in rng.integers(0, 10, size=per_batch)],
        }
        with open(folder / f"data_batch_{i}", "wb") as fh:
            pickle.dump(batch, fh)


@pytest.mark.parametrize("subfolder", [False, True])
def test_cifar10_loader_reads_python_batches(tmp_path, subfolder):
    folder = tmp_path / "cifar-10-batches-py" if subfolder else tmp_path
    folder.mkdir(exist_ok=True)
    _cifar_miniature(folder)
    data = load_dataset(
        FLSettings(dataset="cifar10", data_dir=str(tmp_path), validation_size=5, test_size=5),
        np.random.default_rng(0),
    )
    assert data.input_shape == (3, 32, 32) and data.x_train.shape[0] == 30
    assert data.x_train.min() >= 0.0 and data.x_train.max() <= 1.0


def test_missing_fashion_mnist_names_the_debian_package(tmp_path, monkeypatch):
    monkeypatch.setattr(datasets, "FASHION_MNIST_DIR", tmp_path)
    with pytest.raises(DatasetError, match="apt-get install dataset-fashion-mnist") as info:
        load_dataset(FLSettings(dataset="fashion-mnist"), np.random.default_rng(0))
    assert "\n" not in str(info.value)


@pytest.mark.skipif(
    not (datasets.FASHION_MNIST_DIR / datasets.IDX_TRAIN_IMAGES).is_file(),
    reason="dataset-fashion-mnist not installed",
)
def test_fashion_mnist_loads_sixty_thousand_images_once():
    x, y = datasets.load_fashion_mnist()
    assert x.shape == (60000, 1, 28, 28) and y.shape == (60000,)
    assert datasets.load_fashion_mnist()[0] is x  # cached per process


def test_synthetic_comes_with_its_natural_partition():
    s = FLSettings(
        dataset="synthetic",
        clients=5,
        validation_size=100,
        test_size=50,
        synthetic=SyntheticSettings(samples=1000, features=20),
    )
    data = load_dataset(s, np.random.default_rng(0))
    assert data.x_train.shape == (1000, 20) and data.x_val.shape == (100, 20)
    assert data.x_test.shape == (50, 20)
    assert set(np.unique(data.client_of)) <= set(range(5))
    assert data.y_train.max() < 10


def test_validation_test_and_training_sets_are_disjoint_and_cover_the_pool():
    """Every digits image lands in exactly one of the three sets (as a multiset of rows:
    the file holds a few duplicate images)."""
    data = load_dataset(FLSettings(validation_size=300, test_size=250), np.random.default_rng(4))
    x_all, _ = load_digits_arrays()
    parts = [Counter(r.tobytes() for r in p) for p in (data.x_train, data.x_val, data.x_test)]
    assert sum(parts, Counter()) == Counter(r.tobytes() for r in x_all)
    assert [sum(p.values()) for p in parts] == [1797 - 550, 300, 250]
