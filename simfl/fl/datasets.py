"""Offline datasets for the FL engine, as float32 numpy arrays.

Every loader returns a `Dataset`: a training pool (partitioned among clients later), a
server validation set (what the coalition game and the payouts see) and a held-out test
set (reported only), both split off the pool with the run's generator. Nothing is
downloaded:

- ``digits``: scikit-learn's bundled 8x8 digits (1,797 images), scaled to [0, 1]. Fast.
- ``fashion-mnist``: the Debian package ``dataset-fashion-mnist`` (IDX gzip files under
  ``/usr/share/datasets/fashion-mnist``); parsed once per process and cached.
- ``mnist``: the standard IDX gzip files (``train-images-idx3-ubyte.gz``,
  ``train-labels-idx1-ubyte.gz``) in ``data_dir``.
- ``cifar10``: CIFAR-10's python pickle batches ``data_batch_1`` .. ``data_batch_5`` in
  ``data_dir`` or its ``cifar-10-batches-py`` subfolder.
- ``synthetic``: FedProx's Synthetic(alpha, beta) (Li et al., MLSys 2020), generated per
  client from the generator; it comes with its natural partition (`client_of`).

For the file datasets only the training files are read: the validation and test sets are
split off that pool, so the files' own test split is never needed.
"""

from __future__ import annotations

import functools
import gzip
import importlib.util
import pickle
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simfl.errors import DatasetError
from simfl.fl.settings import FLSettings, SyntheticSettings

FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
IDX_TRAIN_IMAGES = "train-images-idx3-ubyte.gz"
IDX_TRAIN_LABELS = "train-labels-idx1-ubyte.gz"
CIFAR_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))


@dataclass(frozen=True)
class Dataset:
    """A training pool, a server validation set (the coalition game's) and a test set.

    `x_*` are float32 arrays of shape (n, *input_shape) with values in [0, 1] for images;
    `y_*` are int64 class labels. `client_of` is set only for datasets with a natural
    partition (synthetic): the client index of every training sample.
    """

    x_train: np.ndarray
    y_train: np.ndarray
    x_val: np.ndarray
    y_val: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    num_classes: int
    input_shape: tuple[int, ...]
    client_of: np.ndarray | None = None


# ---------------------------------------------------------------------------- file parsers


def read_idx(path: Path) -> np.ndarray:
    """Parse one gzip IDX file (uint8 payload) into an array of its declared shape."""
    try:
        with gzip.open(path, "rb") as fh:
            raw = fh.read()
    except OSError as exc:
        raise DatasetError(f"cannot read IDX file {path}: {exc}") from exc
    if len(raw) < 4 or raw[0] != 0 or raw[1] != 0 or raw[2] != 0x08:
        raise DatasetError(f"{path} is not a uint8 IDX file (magic bytes {raw[:4]!r})")
    ndim = raw[3]
    header = 4 + 4 * ndim
    dims = tuple(int.from_bytes(raw[4 + 4 * k : 8 + 4 * k], "big") for k in range(ndim))
    expected = int(np.prod(dims))
    if len(raw) - header != expected:
        raise DatasetError(
            f"{path} declares shape {dims} ({expected} bytes) but holds {len(raw) - header}"
        )
    return np.frombuffer(raw, dtype=np.uint8, offset=header).reshape(dims)


def _load_idx_pair(folder: Path, what: str) -> tuple[np.ndarray, np.ndarray]:
    images = read_idx(folder / IDX_TRAIN_IMAGES)
    labels = read_idx(folder / IDX_TRAIN_LABELS)
    if images.shape[0] != labels.shape[0]:
        raise DatasetError(
            f"{what}: {images.shape[0]} images but {labels.shape[0]} labels in {folder}"
        )
    x = (images.astype(np.float32) / 255.0)[:, None, :, :]
    return x, labels.astype(np.int64)


@functools.lru_cache(maxsize=4)
def _fashion_mnist_cached(folder: str) -> tuple[np.ndarray, np.ndarray]:
    return _load_idx_pair(Path(folder), "fashion-mnist")


def load_fashion_mnist(folder: Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST's 60,000 training images (n, 1, 28, 28) in [0, 1] and labels; cached."""
    folder = FASHION_MNIST_DIR if folder is None else folder
    missing = [f for f in (IDX_TRAIN_IMAGES, IDX_TRAIN_LABELS) if not (folder / f).is_file()]
    if missing:
        raise DatasetError(
            f"fashion-mnist: {folder / missing[0]} not found; it comes from the Debian package "
            "dataset-fashion-mnist (sudo apt-get install dataset-fashion-mnist)"
        )
    return _fashion_mnist_cached(str(folder))


def load_mnist(data_dir: str | None) -> tuple[np.ndarray, np.ndarray]:
    """MNIST's training IDX gzip files from `data_dir`: images (n, 1, 28, 28) and labels."""
    folder = _require_dir(data_dir, "mnist")
    for name in (IDX_TRAIN_IMAGES, IDX_TRAIN_LABELS):
        if not (folder / name).is_file():
            raise DatasetError(f"mnist: expected {name} in data_dir={folder}")
    return _load_idx_pair(folder, "mnist")


def load_cifar10(data_dir: str | None) -> tuple[np.ndarray, np.ndarray]:
    """CIFAR-10's python batches: images (n, 3, 32, 32) in [0, 1] and labels."""
    folder = _require_dir(data_dir, "cifar10")
    if not (folder / CIFAR_BATCHES[0]).is_file() and (folder / "cifar-10-batches-py").is_dir():
        folder = folder / "cifar-10-batches-py"
    xs, ys = [], []
    for name in CIFAR_BATCHES:
        path = folder / name
        if not path.is_file():
            raise DatasetError(f"cifar10: expected {name} in data_dir={folder}")
        try:
            with path.open("rb") as fh:
                batch = pickle.load(fh, encoding="bytes")
            data = np.asarray(batch[b"data"], dtype=np.uint8)
            labels = np.asarray(batch[b"labels"], dtype=np.int64)
        except (pickle.UnpicklingError, KeyError, EOFError, TypeError) as exc:
            raise DatasetError(f"cifar10: {path} is not a CIFAR-10 python batch ({exc})") from exc
        if data.ndim != 2 or data.shape[1] != 3072 or data.shape[0] != labels.shape[0]:
            raise DatasetError(
                f"cifar10: {path} has data {data.shape} and {labels.shape[0]} labels; "
                "expected (n, 3072) and n labels"
            )
        xs.append(data)
        ys.append(labels)
    x = np.concatenate(xs).reshape(-1, 3, 32, 32).astype(np.float32) / 255.0
    return x, np.concatenate(ys)


def _require_dir(data_dir: str | None, name: str) -> Path:
    if data_dir is None:
        raise DatasetError(f"{name}: set fl.data_dir to the folder holding its local files")
    folder = Path(data_dir)
    if not folder.is_dir():
        raise DatasetError(f"{name}: data_dir={folder} is not a folder")
    return folder


def load_digits_arrays() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 1,797 digits as (n, 64) floats in [0, 1] and labels."""
    from sklearn.datasets import load_digits

    bunch = load_digits()
    return (bunch.data / 16.0).astype(np.float32), bunch.target.astype(np.int64)


def synthetic_fedprox(
    settings: SyntheticSettings, n_clients: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """FedProx's Synthetic(alpha, beta): returns x, y and the client of every sample.

    Client k draws u_k ~ N(0, alpha), B_k ~ N(0, beta), W_k, b_k ~ N(u_k, 1), a feature mean
    v_k ~ N(B_k, 1) and x ~ N(v_k, diag(j^-1.2)); y = argmax(W_k x + b_k). Client sizes follow
    a lognormal(4, 2) law as in the paper, rescaled so they sum to `settings.samples`.
    """
    if settings.samples < n_clients:
        raise DatasetError(
            f"synthetic: samples={settings.samples} is fewer than clients={n_clients}"
        )
    raw = rng.lognormal(4.0, 2.0, size=n_clients) + 50.0
    sizes = np.maximum(1, np.floor(raw / raw.sum() * settings.samples).astype(np.int64))
    sizes[np.argmax(sizes)] += settings.samples - int(sizes.sum())
    d, c = settings.features, settings.classes
    cov_diag = np.arange(1, d + 1, dtype=np.float64) ** -1.2
    xs, ys, owner = [], [], []
    for k in range(n_clients):
        u_k = rng.normal(0.0, np.sqrt(settings.alpha)) if settings.alpha > 0 else 0.0
        b_k = rng.normal(0.0, np.sqrt(settings.beta)) if settings.beta > 0 else 0.0
        w = rng.normal(u_k, 1.0, size=(c, d))
        b = rng.normal(u_k, 1.0, size=c)
        v = rng.normal(b_k, 1.0, size=d)
        x = rng.normal(v, np.sqrt(cov_diag), size=(int(sizes[k]), d))
        xs.append(x)
        ys.append(np.argmax(x @ w.T + b, axis=1))
        owner.append(np.full(int(sizes[k]), k, dtype=np.int64))
    return (
        np.concatenate(xs).astype(np.float32),
        np.concatenate(ys).astype(np.int64),
        np.concatenate(owner),
    )


# ---------------------------------------------------------------------------- entry point


def load_dataset(settings: FLSettings, rng: np.random.Generator) -> Dataset:
    """Load `settings.dataset`, split off `validation_size` then `test_size` samples,
    subsample the rest (the training pool).

    One permutation drawn from `rng` orders the samples: the first `validation_size` are
    the validation set, the next `test_size` the test set, the rest the training pool
    (cut to `max_train_samples`). The three are disjoint.
    """
    name = settings.dataset
    x, y, client_of = _load_arrays(settings, rng)
    num_classes = settings.synthetic.classes if name == "synthetic" else int(y.max()) + 1
    val_idx, test_idx, train_idx = _split(x.shape[0], settings, rng)
    return Dataset(
        x_train=np.ascontiguousarray(x[train_idx]),
        y_train=y[train_idx],
        x_val=np.ascontiguousarray(x[val_idx]),
        y_val=y[val_idx],
        x_test=np.ascontiguousarray(x[test_idx]),
        y_test=y[test_idx],
        num_classes=num_classes,
        input_shape=tuple(x.shape[1:]),
        client_of=None if client_of is None else client_of[train_idx],
    )


def training_labels(
    settings: FLSettings, rng: np.random.Generator, labels: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """`load_dataset(settings, rng)`'s `y_train` and `client_of`, from the same draws of
    `rng`, without keeping the inputs: what a validator needs to run the partition a run
    would run. `labels`: a file data set's labels read earlier (`dataset_labels`; a
    validator caches them); synthetic data is generated either way."""
    client_of = None
    if settings.dataset == "synthetic":
        _, labels, client_of = _load_arrays(settings, rng)
    elif labels is None:
        labels = dataset_labels(settings)
    _, _, train_idx = _split(len(labels), settings, rng)
    return labels[train_idx], None if client_of is None else client_of[train_idx]


def dataset_labels(settings: FLSettings) -> np.ndarray:
    """A file data set's labels, in file order: digits' from their CSV, fashion-mnist's
    label file alone (the Debian package's files), mnist and cifar10 read in full, images
    too, so a damaged file is found before a run starts. `DatasetError` as `load_dataset`."""
    if settings.dataset == "digits":
        return digits_labels()
    if settings.dataset == "fashion-mnist":
        path = FASHION_MNIST_DIR / IDX_TRAIN_LABELS
        if not path.is_file():
            load_fashion_mnist()  # raises the missing-package error
        return read_idx(path).astype(np.int64)
    if settings.dataset == "synthetic":
        raise DatasetError("synthetic: its labels are drawn with its inputs; use training_labels")
    return _load_arrays(settings, None)[1]


def digits_labels() -> np.ndarray:
    """The digits' 1,797 labels: the last column of the `digits.csv.gz` that
    `sklearn.datasets.load_digits` reads, found without importing scikit-learn (about
    0.9 s); tests pin them equal to `load_digits().target`."""
    spec = importlib.util.find_spec("sklearn")
    if spec is None or spec.origin is None:
        return load_digits_arrays()[1]
    path = Path(spec.origin).parent / "datasets" / "data" / "digits.csv.gz"
    return np.loadtxt(path, delimiter=",", usecols=(64,), dtype=np.float64).astype(np.int64)


def _load_arrays(
    settings: FLSettings, rng: np.random.Generator | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Inputs, labels and (synthetic only) each sample's client, before any split; only
    synthetic data draws from `rng`."""
    name = settings.dataset
    if name == "digits":
        return (*load_digits_arrays(), None)
    if name == "fashion-mnist":
        return (*load_fashion_mnist(), None)
    if name == "mnist":
        return (*load_mnist(settings.data_dir), None)
    if name == "cifar10":
        return (*load_cifar10(settings.data_dir), None)
    if name == "synthetic":
        syn = settings.synthetic
        total = SyntheticSettings(
            syn.alpha,
            syn.beta,
            syn.samples + settings.validation_size + settings.test_size,
            syn.features,
            syn.classes,
        )
        return synthetic_fedprox(total, settings.clients, rng)  # type: ignore[arg-type]
    raise DatasetError(
        f"unknown dataset {name!r}; expected digits, fashion-mnist, mnist, cifar10, synthetic"
    )


def _split(
    n: int, settings: FLSettings, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorted validation, test and training-pool indices of `n` samples: one permutation
    drawn from `rng`, cut at validation_size, then test_size; the pool cut to
    max_train_samples."""
    held_out = settings.validation_size + settings.test_size
    if settings.validation_size < 1 or settings.test_size < 1 or held_out >= n:
        raise DatasetError(
            f"{settings.dataset}: validation_size={settings.validation_size} + test_size="
            f"{settings.test_size} must each be >= 1 and together below the dataset's {n} "
            "samples (the rest is the training pool)"
        )
    order = rng.permutation(n)
    val_idx = order[: settings.validation_size]
    test_idx = order[settings.validation_size : held_out]
    train_idx = order[held_out:]
    if settings.max_train_samples is not None and settings.max_train_samples < len(train_idx):
        if settings.max_train_samples < 1:
            raise DatasetError(f"max_train_samples={settings.max_train_samples} must be >= 1")
        train_idx = train_idx[: settings.max_train_samples]
    return np.sort(val_idx), np.sort(test_idx), np.sort(train_idx)
