"""Split a labelled pool among clients, with the semantics and names of Flower's partitioners.

`partition(labels, n_clients, settings, rng)` returns one sorted index array per client.
Every function is pure and draws only from `rng`, so a seed fixes the split. Each sample
lands in at most one client; it lands in exactly one except where Flower itself drops
samples (documented on `shard` and `pathological`). Every client gets at least one sample:
an empty client would make FedAvg weights undefined, so it is a PartitionError.

Differences from Flower, on purpose: quantity skew hands out the rounding remainder by
largest fractional part; `lognormal` (not a Flower class) draws its size weights from
lognormal(0, sigma); `pathological` splits each class's samples in a random order (Flower
splits them in dataset order, then shuffles each partition).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from simfl.errors import PartitionError

if TYPE_CHECKING:  # settings takes the allowed kinds from PARTITIONERS
    from simfl.fl.settings import PartitionSettings

DIRICHLET_MAX_ATTEMPTS = 10  # resamples before giving up on min_partition_size (as Flower)


def partition(
    labels: np.ndarray, n_clients: int, settings: PartitionSettings, rng: np.random.Generator
) -> list[np.ndarray]:
    """Indices of `labels` for each of `n_clients` clients, per `settings.kind`."""
    labels = np.asarray(labels)
    n = labels.shape[0]
    if n_clients < 1:
        raise PartitionError(f"clients={n_clients} must be at least 1")
    if n_clients > n:
        raise PartitionError(f"{n_clients} clients but only {n} training samples")
    kind = settings.kind
    try:
        split = PARTITIONERS[kind]
    except KeyError:
        raise PartitionError(
            f"unknown partition kind {kind!r}; expected one of {', '.join(PARTITIONERS)}"
        ) from None
    parts = split(labels, n_clients, settings, rng)
    sizes = [len(p) for p in parts]
    if min(sizes) == 0:
        empty = [i for i, s in enumerate(sizes) if s == 0]
        raise PartitionError(
            f"{kind} partition leaves client(s) {empty} without samples "
            f"({n} samples over {n_clients} clients, sizes {sizes})"
        )
    return [np.sort(p).astype(np.int64) for p in parts]


def client_indices(
    labels: np.ndarray,
    client_of: np.ndarray | None,
    n_clients: int,
    settings: PartitionSettings,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Each client's training indices: the data set's natural split when it has one
    (`client_of`, synthetic; no draws), else `partition`. PartitionError if a client
    would hold no sample."""
    if client_of is None:
        return partition(labels, n_clients, settings, rng)
    parts = [np.flatnonzero(client_of == k) for k in range(n_clients)]
    empty = [k for k, p in enumerate(parts) if len(p) == 0]
    if empty:
        raise PartitionError(
            f"synthetic: client(s) {empty} hold no training samples after the "
            "validation split / max_train_samples; raise synthetic.samples"
        )
    return parts


def iid(n: int, n_clients: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Uniform random split; sizes differ by at most one (Flower's IidPartitioner)."""
    return list(np.array_split(rng.permutation(n), n_clients))


def dirichlet(
    labels: np.ndarray,
    n_clients: int,
    alpha: float,
    min_partition_size: int,
    self_balancing: bool,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Per class, client shares ~ Dirichlet(alpha); resample until every client has
    `min_partition_size` samples (Flower's DirichletPartitioner, after Yurochkin et al. 2019).

    With `self_balancing`, a client already above the even share N / n_clients gets no more
    samples of later classes. Gives up after DIRICHLET_MAX_ATTEMPTS draws.
    """
    if alpha <= 0:
        raise PartitionError(f"dirichlet alpha={alpha} must be > 0")
    n = labels.shape[0]
    if min_partition_size * n_clients > n:
        raise PartitionError(
            f"dirichlet min_partition_size={min_partition_size} x {n_clients} clients "
            f"exceeds the {n} samples"
        )
    classes = np.unique(labels)
    even_share = n / n_clients
    smallest = 0
    for _ in range(DIRICHLET_MAX_ATTEMPTS):
        parts: list[list[np.ndarray]] = [[] for _ in range(n_clients)]
        sizes = np.zeros(n_clients, dtype=np.int64)
        for c in classes:
            idx = rng.permutation(np.flatnonzero(labels == c))
            shares = rng.dirichlet(np.full(n_clients, float(alpha)))
            if self_balancing:
                shares = np.where(sizes < even_share, shares, 0.0)
                total = shares.sum()
                shares = shares / total if total > 0 else np.full(n_clients, 1.0 / n_clients)
            cuts = (np.cumsum(shares) * len(idx)).astype(np.int64)[:-1]
            for i, chunk in enumerate(np.split(idx, cuts)):
                parts[i].append(chunk)
                sizes[i] += len(chunk)
        smallest = int(sizes.min())
        if smallest >= max(min_partition_size, 1):
            return [np.concatenate(p) for p in parts]
    raise PartitionError(
        f"dirichlet alpha={alpha}: after {DIRICHLET_MAX_ATTEMPTS} draws the smallest client "
        f"still has {smallest} < min_partition_size={min_partition_size} samples; "
        "raise alpha or lower min_partition_size"
    )


def inner_dirichlet(
    labels: np.ndarray,
    n_clients: int,
    alpha: float,
    partition_sizes: tuple[int, ...] | None,
    rng: np.random.Generator,
) -> list[np.ndarray]:
    """Fixed client sizes, each client's class mix ~ Dirichlet(alpha) (Flower's
    InnerDirichletPartitioner, after Acar et al. 2021, FedDyn).

    Sample by sample: pick a client that still has room uniformly at random, then a class
    from that client's prior, renormalised over the classes not yet exhausted.
    """
    if alpha <= 0:
        raise PartitionError(f"inner_dirichlet alpha={alpha} must be > 0")
    n = labels.shape[0]
    if partition_sizes is None:
        sizes = np.array([len(a) for a in np.array_split(np.arange(n), n_clients)])
    else:
        sizes = np.asarray(partition_sizes, dtype=np.int64)
        if len(sizes) != n_clients or sizes.sum() != n or sizes.min() < 1:
            raise PartitionError(
                f"inner_dirichlet partition_sizes={tuple(partition_sizes)} must be "
                f"{n_clients} positive sizes summing to the {n} samples (sum {int(sizes.sum())})"
            )
    classes = np.unique(labels)
    pools = [list(rng.permutation(np.flatnonzero(labels == c))) for c in classes]
    left_in_class = np.array([len(p) for p in pools], dtype=np.float64)
    priors = rng.dirichlet(np.full(len(classes), float(alpha)), size=n_clients)
    room = sizes.copy()
    parts: list[list[int]] = [[] for _ in range(n_clients)]
    open_clients = list(np.flatnonzero(room > 0))
    for u_client, u_class in rng.random((n, 2)):
        client = open_clients[int(u_client * len(open_clients))]
        probs = priors[client] * (left_in_class > 0)
        total = probs.sum()
        if total <= 0:  # prior mass only on exhausted classes: fall back to uniform
            probs, total = (left_in_class > 0).astype(np.float64), float((left_in_class > 0).sum())
        k = min(int(np.searchsorted(np.cumsum(probs), u_class * total, side="right")),
                len(classes) - 1)  # fmt: skip
        while left_in_class[k] == 0:  # guard float edge cases at the top of the cumsum
            k -= 1
        parts[client].append(pools[k].pop())
        left_in_class[k] -= 1
        room[client] -= 1
        if room[client] == 0:
            open_clients.remove(client)
    return [np.asarray(p, dtype=np.int64) for p in parts]


def shard(
    labels: np.ndarray, n_clients: int, shards_per_client: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Sort by label, cut into n_clients x shards_per_client equal shards, deal them out at
    random (Flower's ShardPartitioner, McMahan et al. 2017).

    shard_size = N // (n_clients x shards_per_client); like Flower with its default
    keep_incomplete_shard=False, the N mod shards remainder samples are dropped.
    """
    if shards_per_client < 1:
        raise PartitionError(f"num_shards_per_partition={shards_per_client} must be >= 1")
    n = labels.shape[0]
    n_shards = n_clients * shards_per_client
    shard_size = n // n_shards
    if shard_size == 0:
        raise PartitionError(
            f"shard: {n_clients} clients x {shards_per_client} shards = {n_shards} shards "
            f"but only {n} samples"
        )
    shuffled = rng.permutation(n)
    by_label = shuffled[np.argsort(labels[shuffled], kind="stable")]
    shards = by_label[: n_shards * shard_size].reshape(n_shards, shard_size)
    order = rng.permutation(n_shards).reshape(n_clients, shards_per_client)
    return [shards[row].ravel() for row in order]


CLASS_ASSIGNMENT_MODES = ("random", "first-deterministic", "deterministic")


def class_assignment(
    classes: np.ndarray, n_clients: int, k: int, mode: str, rng: np.random.Generator
) -> list[list[int]]:
    """The k classes each client holds, as Flower's PathologicalPartitioner assigns them.

    - "random" (Flower's default): each client draws k distinct classes uniformly, so
      two clients hold the same pair only by chance and some classes may go unused;
    - "first-deterministic" (Li et al. 2022's setup): client i's first class is
      classes[i mod C], the other k - 1 are drawn uniformly from the rest;
    - "deterministic": client i holds classes[(i + j) mod C] for j < k.
    """
    c = len(classes)
    if mode == "random":
        return [rng.choice(classes, size=k, replace=False).tolist() for _ in range(n_clients)]
    if mode == "first-deterministic":
        held = []
        for i in range(n_clients):
            first = classes[i % c]
            rest = rng.choice(classes[classes != first], size=k - 1, replace=False).tolist()
            held.append([int(first), *rest])
        return held
    if mode == "deterministic":
        return [[int(classes[(i + j) % c]) for j in range(k)] for i in range(n_clients)]
    raise PartitionError(
        f"pathological class_assignment_mode={mode!r}; expected one of "
        f"{', '.join(CLASS_ASSIGNMENT_MODES)}"
    )


def pathological(
    labels: np.ndarray,
    n_clients: int,
    classes_per_client: int,
    rng: np.random.Generator,
    mode: str = "random",
) -> list[np.ndarray]:
    """Each client holds exactly `classes_per_client` classes (assigned per `mode`, see
    `class_assignment`); a class's samples are split evenly, in random order, among its
    holders (Flower's PathologicalPartitioner, Li et al. 2022). A class no client holds is
    dropped, as Flower drops it.
    """
    classes = np.unique(labels)
    if not 1 <= classes_per_client <= len(classes):
        raise PartitionError(
            f"pathological num_classes_per_partition={classes_per_client} must be between 1 "
            f"and the {len(classes)} classes present"
        )
    held = class_assignment(classes, n_clients, classes_per_client, mode, rng)
    parts: list[list[np.ndarray]] = [[] for _ in range(n_clients)]
    for c in classes:
        holders = [i for i in range(n_clients) if c in held[i]]
        if not holders:
            continue
        idx = rng.permutation(np.flatnonzero(labels == c))
        for i, chunk in zip(holders, np.array_split(idx, len(holders))):
            parts[i].append(chunk)
    return [np.concatenate(p) if p else np.zeros(0, dtype=np.int64) for p in parts]


def quantity_skew(
    n: int, n_clients: int, kind: str, sigma: float, rng: np.random.Generator
) -> list[np.ndarray]:
    """Client sizes proportional to i+1 (linear), exp(i) (exponential) or lognormal(0, sigma)
    draws; samples dealt at random (Flower's Linear/ExponentialPartitioner).

    Sizes are floor(N x share); the remainder goes one each to the largest fractional parts.
    """
    ids = np.arange(n_clients, dtype=np.float64)
    if kind == "linear":
        weights = ids + 1.0
    elif kind == "exponential":
        weights = np.exp(ids - ids.max())  # shifted: same shares, no overflow
    else:
        if sigma <= 0:
            raise PartitionError(f"lognormal sigma={sigma} must be > 0")
        weights = rng.lognormal(0.0, sigma, size=n_clients)
    exact = weights / weights.sum() * n
    sizes = np.floor(exact).astype(np.int64)
    remainder = n - int(sizes.sum())
    sizes[np.argsort(-(exact - sizes), kind="stable")[:remainder]] += 1
    return list(np.split(rng.permutation(n), np.cumsum(sizes)[:-1]))


Split = Callable[[np.ndarray, int, "PartitionSettings", np.random.Generator], list[np.ndarray]]

# the partitioner registry: `fl.partition.kind` names one of its keys (the schema takes
# them from here); each entry reads the PartitionSettings fields of its kind
PARTITIONERS: dict[str, Split] = {
    "iid": lambda y, k, s, rng: iid(len(y), k, rng),
    "dirichlet": lambda y, k, s, rng: dirichlet(
        y, k, s.alpha, s.min_partition_size, s.self_balancing, rng
    ),
    "inner_dirichlet": lambda y, k, s, rng: inner_dirichlet(y, k, s.alpha, s.partition_sizes, rng),
    "shard": lambda y, k, s, rng: shard(y, k, s.num_shards_per_partition, rng),
    "pathological": lambda y, k, s, rng: pathological(
        y, k, s.num_classes_per_partition, rng, s.class_assignment_mode
    ),
    "linear": lambda y, k, s, rng: quantity_skew(len(y), k, "linear", s.sigma, rng),
    "exponential": lambda y, k, s, rng: quantity_skew(len(y), k, "exponential", s.sigma, rng),
    "lognormal": lambda y, k, s, rng: quantity_skew(len(y), k, "lognormal", s.sigma, rng),
}
