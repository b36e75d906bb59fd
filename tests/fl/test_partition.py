"""Partitioners: every sample at most once (exactly once unless Flower drops), sizes, skew."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simfl.errors import PartitionError
from simfl.fl.partition import partition
from simfl.fl.settings import PartitionSettings

LABELS = np.repeat(np.arange(10), 60)  # 600 samples, 10 balanced classes


def _run(kind: str, n_clients: int = 10, seed: int = 0, labels=LABELS, **kw):
    return partition(
        labels, n_clients, PartitionSettings(kind=kind, **kw), np.random.default_rng(seed)
    )


def _assert_disjoint_cover(parts, n, exact=True):
    allidx = np.concatenate(parts)
    assert len(np.unique(allidx)) == len(allidx), "a sample landed in two clients"
    assert allidx.min() >= 0 and allidx.max() < n
    if exact:
        assert len(allidx) == n


EXACT_KINDS = ["iid", "dirichlet", "inner_dirichlet", "linear", "exponential", "lognormal"]


@pytest.mark.parametrize("kind", EXACT_KINDS)
def test_every_sample_lands_in_exactly_one_client(kind):
    n_clients = 5 if kind == "exponential" else 10
    parts = _run(kind, n_clients)
    assert len(parts) == n_clients
    _assert_disjoint_cover(parts, len(LABELS))
    assert all(len(p) > 0 for p in parts)


@pytest.mark.parametrize("kind", [*EXACT_KINDS, "shard", "pathological"])
def test_partition_is_deterministic_for_a_seed(kind):
    n_clients = 5 if kind == "exponential" else 10
    a, b = _run(kind, n_clients, seed=7), _run(kind, n_clients, seed=7)
    c = _run(kind, n_clients, seed=8)
    assert all(np.array_equal(x, y) for x, y in zip(a, b))
    assert not all(np.array_equal(x, y) for x, y in zip(a, c))


@given(
    n=st.integers(20, 300),
    n_clients=st.integers(1, 20),
    n_classes=st.integers(2, 6),
    seed=st.integers(0, 2**32 - 1),
    kind=st.sampled_from(["iid", "dirichlet", "inner_dirichlet", "linear", "lognormal"]),
)
@settings(max_examples=60, deadline=None)
def test_property_partitions_cover_every_sample_once(n, n_clients, n_classes, seed, kind):
    labels = np.random.default_rng(seed).integers(n_classes, size=n)
    s = PartitionSettings(kind=kind, alpha=1.0, min_partition_size=1)
    try:
        parts = partition(labels, n_clients, s, np.random.default_rng(seed))
    except PartitionError:
        return  # an impossible request (e.g. an empty client) is refused, never mis-split
    assert len(parts) == n_clients
    _assert_disjoint_cover(parts, n)


@given(
    n=st.integers(50, 400),
    n_clients=st.integers(1, 10),
    k=st.integers(1, 4),
    seed=st.integers(0, 2**32 - 1),
)
@settings(max_examples=40, deadline=None)
def test_property_shards_are_equal_and_drop_only_the_remainder(n, n_clients, k, seed):
    labels = np.random.default_rng(seed).integers(10, size=n)
    parts = partition(
        labels,
        n_clients,
        PartitionSettings(kind="shard", num_shards_per_partition=k),
        np.random.default_rng(seed),
    )
    shard_size = n // (n_clients * k)
    assert all(len(p) == k * shard_size for p in parts)
    _assert_disjoint_cover(parts, n, exact=False)
    assert n - sum(len(p) for p in parts) == n % (n_clients * k)


def test_iid_sizes_differ_by_at_most_one():
    sizes = [len(p) for p in _run("iid", 7)]
    assert max(sizes) - min(sizes) <= 1


def test_small_dirichlet_alpha_skews_classes_more_than_large():
    def skew(alpha):
        parts = _run("dirichlet", 10, alpha=alpha, min_partition_size=5)
        # mean share of a client's most common class
        return np.mean([np.bincount(LABELS[p], minlength=10).max() / len(p) for p in parts])

    assert skew(0.1) > skew(100.0) + 0.3


def test_dirichlet_respects_min_partition_size():
    parts = _run("dirichlet", 10, alpha=0.5, min_partition_size=30)
    assert min(len(p) for p in parts) >= 30


def test_dirichlet_self_balancing_caps_client_sizes():
    free = _run("dirichlet", 10, alpha=0.2, min_partition_size=1, seed=3)
    balanced = _run("dirichlet", 10, alpha=0.2, min_partition_size=1, seed=3, self_balancing=True)
    assert max(len(p) for p in balanced) < max(len(p) for p in free)


def test_inner_dirichlet_honours_partition_sizes():
    sizes = (100, 200, 300)
    parts = _run("inner_dirichlet", 3, alpha=0.3, partition_sizes=sizes)
    assert tuple(len(p) for p in parts) == sizes


@pytest.mark.parametrize("mode", ["random", "first-deterministic", "deterministic"])
def test_pathological_clients_hold_exactly_k_classes(mode):
    parts = _run("pathological", 10, num_classes_per_partition=3, class_assignment_mode=mode)
    assert all(len(np.unique(LABELS[p])) == 3 for p in parts)
    _assert_disjoint_cover(parts, len(LABELS), exact=False)


def test_pathological_deterministic_mode_deals_consecutive_classes():
    """Flower's formula: client i holds classes (i + j) mod C, j < k; each class's 60
    samples are split evenly among its holders. By hand, 4 clients, k = 3: class 0 is held
    by client 0 only (60), class 1 by 0-1 (30 each), 2 by 0-2 (20), 3 by 1-3 (20), 4 by 2-3
    (30), 5 by 3 only (60); classes 6-9 by nobody (dropped)."""
    parts = _run(
        "pathological", 4, num_classes_per_partition=3, class_assignment_mode="deterministic"
    )
    held = [sorted(np.unique(LABELS[p]).tolist()) for p in parts]
    assert held == [[0, 1, 2], [1, 2, 3], [2, 3, 4], [3, 4, 5]]
    counts = [[int((LABELS[p] == c).sum()) for c in h] for p, h in zip(parts, held)]
    assert counts == [[60, 30, 20], [30, 20, 20], [20, 20, 30], [20, 30, 60]]


def test_pathological_first_deterministic_mode_fixes_each_clients_first_class():
    for seed in range(5):
        parts = _run(
            "pathological", 12, seed, num_classes_per_partition=2,
            class_assignment_mode="first-deterministic",
        )  # fmt: skip
        assert all(i % 10 in np.unique(LABELS[p]) for i, p in enumerate(parts))


def test_pathological_random_mode_rarely_gives_twin_clients():
    """10 clients, 2 of 10 classes each: uniformly drawn pairs coincide for a given pair of
    clients with probability 1/45, so 45 x 1/45 = 1 twin pair is expected per split (a
    round robin over a shuffled class order gave 5 in every seed)."""
    twins = []
    for seed in range(40):
        held = [frozenset(np.unique(LABELS[p]).tolist())
                for p in _run("pathological", 10, seed, num_classes_per_partition=2)]  # fmt: skip
        twins.append(sum(a == b for k, a in enumerate(held) for b in held[k + 1 :]))
    assert 0.5 < np.mean(twins) < 1.6 and max(twins) < 5


def test_unknown_class_assignment_mode_is_refused():
    with pytest.raises(PartitionError, match="class_assignment_mode='round-robin'; expected"):
        _run("pathological", 4, class_assignment_mode="round-robin")


def test_shard_clients_see_few_classes():
    parts = _run("shard", 10, num_shards_per_partition=2)
    assert all(len(np.unique(LABELS[p])) <= 4 for p in parts)


def test_quantity_skew_sizes_grow_with_client_id():
    linear = [len(p) for p in _run("linear", 10)]
    assert linear == sorted(linear) and linear[-1] > 5 * linear[0]
    expo = [len(p) for p in _run("exponential", 5)]
    assert expo == sorted(expo) and expo[-1] > 2 * expo[-2] - 2


def test_more_clients_than_samples_is_refused_with_numbers():
    with pytest.raises(PartitionError, match="20 clients but only 10 training samples"):
        partition(np.zeros(10, dtype=int), 20, PartitionSettings(), np.random.default_rng(0))


@pytest.mark.parametrize("kind", ["dirichlet", "inner_dirichlet"])
def test_non_positive_alpha_is_refused(kind):
    with pytest.raises(PartitionError, match=r"alpha=0\.0 must be > 0"):
        _run(kind, alpha=0.0)


def test_too_many_classes_per_client_is_refused():
    with pytest.raises(PartitionError, match=r"num_classes_per_partition=11 .* 10 classes"):
        _run("pathological", num_classes_per_partition=11)


def test_exponential_skew_leaving_a_client_empty_is_refused():
    with pytest.raises(PartitionError, match=r"without samples"):
        _run("exponential", 10)


def test_impossible_min_partition_size_is_refused_with_numbers():
    with pytest.raises(PartitionError, match="min_partition_size=100 x 10 clients exceeds the 600"):
        _run("dirichlet", alpha=0.5, min_partition_size=100)


def test_partition_kinds_are_the_registrys_keys_and_an_unknown_one_is_refused():
    from typing import get_args

    from simfl.fl.partition import PARTITIONERS
    from simfl.fl.settings import PartitionKind

    assert set(get_args(PartitionKind)) == set(PARTITIONERS)
    with pytest.raises(PartitionError, match="unknown partition kind 'zipf'; expected one of iid,"):
        _run("zipf", 4)
