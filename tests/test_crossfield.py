"""Cross-field, data and replay checks (simfl/config/crossfield.py): each rule at its
boundary, with the expected line written by hand."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pandas as pd
import pytest

from simfl.config import load_scenario
from simfl.config.crossfield import per_round_clients, scenario_problems
from simfl.errors import ScenarioError

SYNTHETIC = {"scores": {"source": "synthetic"}}


def problems(data: dict) -> list[str]:
    try:
        load_scenario(data)
    except ScenarioError as err:
        return str(err).splitlines()[1:]
    return []


@pytest.mark.parametrize(("clients", "f", "ok"), [(5, 1, True), (4, 1, False), (7, 2, True),
                                                  (6, 2, False)])  # fmt: skip
def test_krum_needs_more_than_two_f_plus_two_clients_per_round(clients, f, ok):
    data = {"fl": {"clients": clients, "strategy": {"name": "krum", "krum_byzantine": f}}}
    found = problems(data)
    assert (found == []) is ok, found


def test_krum_counts_the_clients_sampled_per_round():
    data = {"fl": {"clients": 10, "strategy": "krum", "sampling": {"fraction": 0.3}}}
    assert (
        per_round_clients(load_scenario({"fl": {"clients": 10, "sampling": {"fraction": 0.3}}}))
        == 3
    )
    assert problems(data) == [
        "fl.strategy.krum_byzantine: got 1; Krum needs the clients aggregated per round (3) "
        "> 2·f + 2 = 4, so krum_byzantine at most 0"
    ]


def test_krum_is_not_checked_for_other_rules():
    assert (
        problems({"fl": {"clients": 3, "strategy": {"name": "fedavg", "krum_byzantine": 9}}}) == []
    )


def test_min_clients_may_equal_but_not_exceed_clients():
    assert problems({"fl": {"clients": 6, "sampling": {"min_clients": 6}}}) == []
    assert problems({"fl": {"clients": 6, "sampling": {"min_clients": 7}}}) == [
        "fl.sampling.min_clients: got 7; at most fl.clients=6"
    ]


def test_learning_rate_ceiling_depends_on_the_optimizer():
    assert problems({"fl": {"local": {"lr": 10}}}) == []
    assert problems({"fl": {"local": {"optimizer": "adam", "lr": 2}}}) == [
        "fl.local.lr: got 2.0; with optimizer='adam' give 0 < lr <= 1 (larger steps diverge "
        "or learn nothing)"
    ]


def test_validation_size_must_leave_training_samples():
    # digits: 1,797 samples; the default test split holds 360 more beside validation
    assert problems({"fl": {"clients": 5, "validation_size": 1432}}) == []  # 5 left, one each
    assert problems({"fl": {"clients": 5, "validation_size": 1433}}) == [
        "fl.validation_size: got 1433 (with fl.test_size 360); the digits set has 1,797 "
        "samples, so validation and test together at most 1,792 (leaving one per client "
        "for training)"
    ]
    assert problems({"fl": {"clients": 5, "validation_size": 1000, "test_size": 793}}) == [
        "fl.validation_size: got 1000 (with fl.test_size 793); the digits set has 1,797 "
        "samples, so validation and test together at most 1,792 (leaving one per client "
        "for training)"
    ]


def test_partition_feasibility_uses_the_training_pool():
    pool = 1797 - 360 - 360  # digits minus the default validation and test splits
    data = {"fl": {"clients": 10, "partition": {"kind": "dirichlet", "min_partition_size": 107}}}
    found = problems(data)  # within the bound: the split itself is drawn, and fails at 0.5
    assert len(found) == 1 and found[0].startswith("fl.partition: the split a run draws")
    data["fl"]["partition"]["min_partition_size"] = 108  # 10 × 108 = 1,080 > 1,077
    assert problems(data) == [
        f"fl.partition.min_partition_size: got 108; 10 clients × that exceeds the {pool:,} "
        f"training samples, so at most {pool // 10}"
    ]
    sizes = {"kind": "inner_dirichlet", "partition_sizes": [700, 376]}
    assert problems({"fl": {"clients": 2, "partition": sizes}}) == [
        "fl.partition.partition_sizes: got 2 sizes summing to 1,076; give 2 positive sizes "
        "summing to the 1,077 training samples, or leave it unset"
    ]


def test_synthetic_data_has_its_own_classes_and_samples():
    pathological = {"kind": "pathological", "num_classes_per_partition": 5}
    synthetic = {"classes": 4, "samples": 400}
    data = {"fl": {"dataset": "synthetic", "synthetic": synthetic, "partition": pathological}}
    assert problems(data) == [
        "fl.partition.num_classes_per_partition: got 5; the synthetic set has 4 classes, so at "
        "most 4"
    ]


def test_data_checks_apply_only_when_training():
    data = {"fl": {"dataset": "mnist", "data_dir": "/no/such/folder"}, **SYNTHETIC}
    assert problems(data) == []


def _idx(folder: Path, samples: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    with gzip.open(folder / "train-labels-idx1-ubyte.gz", "wb") as fh:
        fh.write(b"\x00\x00\x08\x01" + samples.to_bytes(4, "big") + bytes(samples))
    with gzip.open(folder / "train-images-idx3-ubyte.gz", "wb") as fh:
        fh.write(b"\x00\x00\x08\x03")  # refused on the labels' header, before a full read


def test_mnist_sample_count_comes_from_the_idx_header(tmp_path):
    _idx(tmp_path / "mnist", 500)
    data = {"fl": {"dataset": "mnist", "data_dir": str(tmp_path / "mnist"), "model": "mlp",
                   "validation_size": 500}}  # fmt: skip
    assert problems(data) == [
        "fl.validation_size: got 500 (with fl.test_size 360); the mnist set has 500 samples, "
        "so validation and test together at most 490 (leaving one per client for training)"
    ]


def test_fashion_mnist_missing_is_said_at_validation(tmp_path, monkeypatch):
    import simfl.fl.datasets

    monkeypatch.setattr(simfl.fl.datasets, "FASHION_MNIST_DIR", tmp_path)
    assert problems({"fl": {"dataset": "fashion-mnist"}}) == [
        f"fl.dataset: 'fashion-mnist' reads {tmp_path}, which lacks train-images-idx3-ubyte.gz "
        "and train-labels-idx1-ubyte.gz; install the Debian package dataset-fashion-mnist "
        "(`make data`)"
    ]


def _replay(folder: Path, clients: int, rounds: int, methods: list[str], status="complete"):
    folder.mkdir(parents=True)
    recorded = {"rounds": rounds, "fl": {"contribution": {"methods": methods}}}
    manifest = {"status": status, "clients": [{"index": i} for i in range(clients)]}
    manifest["scenario"] = recorded
    (folder / "manifest.json").write_text(json.dumps(manifest))
    scores = {"round": [1], "method": [methods[0]], "client": [0], "score": [0.5],
              "participated": [True]}  # fmt: skip
    model = {"round": [0, 1], "accuracy": [0.1, 0.5], "loss": [2.3, 1.2],
             "test_accuracy": [0.1, 0.5], "test_loss": [2.3, 1.2]}  # fmt: skip
    pd.DataFrame(scores).to_parquet(folder / "scores.parquet")
    pd.DataFrame(model).to_parquet(folder / "model.parquet")


def test_a_replay_must_hold_the_methods_and_rounds_asked_for(tmp_path):
    _replay(tmp_path / "run", clients=10, rounds=4, methods=["size", "loo"])
    data = {"rounds": 4, "fl": {"contribution": {"methods": ["size", "cgsv"], "pay_by": "size"}},
            "scores": {"source": "replay", "replay_dir": str(tmp_path / "run")}}  # fmt: skip
    assert problems(data) == [
        f"fl.contribution.methods: asks for ['cgsv'], which the replayed run "
        f"({tmp_path / 'run'}) did not record; it has ['loo', 'size']"
    ]
    data["fl"]["contribution"] = {"methods": ["loo"], "pay_by": "loo"}
    assert problems(data) == []


def test_a_replayed_table_that_cannot_be_read_is_refused(tmp_path):
    """pyarrow's "Parquet file size is 5 bytes" (ArrowInvalid) ended `run` with an
    internal error while `validate` passed."""
    _replay(tmp_path / "run", clients=10, rounds=4, methods=["size", "loo"])
    (tmp_path / "run" / "scores.parquet").write_text("junk\n")
    data = {"rounds": 4, "fl": {"contribution": {"methods": ["size"], "pay_by": "size"}},
            "scores": {"source": "replay", "replay_dir": str(tmp_path / "run")}}  # fmt: skip
    assert problems(data) == [
        f"scores.replay_dir: got {str(tmp_path / 'run')!r}: its scores.parquet is not a "
        "readable parquet table (Parquet file size is 5 bytes, smaller than the minimum file "
        "footer (8 bytes)); the run folder is damaged: run the scenario again"
    ]


def test_a_replayed_table_must_hold_the_columns_and_rows_the_replay_reads(tmp_path):
    _replay(tmp_path / "run", clients=10, rounds=4, methods=["size", "loo"])
    pd.DataFrame({"round": [0], "accuracy": [0.1]}).to_parquet(tmp_path / "run" / "model.parquet")
    scores = pd.read_parquet(tmp_path / "run" / "scores.parquet")
    scores.iloc[:0].to_parquet(tmp_path / "run" / "scores.parquet")
    data = {"rounds": 4, "fl": {"contribution": {"methods": ["size"], "pay_by": "size"}},
            "scores": {"source": "replay", "replay_dir": str(tmp_path / "run")}}  # fmt: skip
    lead = f"scores.replay_dir: got {str(tmp_path / 'run')!r}"
    assert problems(data) == [
        f"{lead}: its scores.parquet holds no rows; run that scenario again",
        f"{lead}: its model.parquet lacks loss, test_accuracy, test_loss (written by an "
        "older simfl); run that scenario again to replay it",
    ]


def test_an_unfinished_replay_is_refused(tmp_path):
    _replay(tmp_path / "run", clients=10, rounds=4, methods=["size"], status="failed")
    data = {"scores": {"source": "replay", "replay_dir": str(tmp_path / "run")}}
    assert problems(data) == [
        f"scores.replay_dir: got {str(tmp_path / 'run')!r}: the run there did not complete "
        "(status 'failed')"
    ]


def test_a_pool_too_shallow_for_the_locked_liquidity_is_refused():
    # √(1e-15 · 1e-15) whole = 1,000 base units, all of it locked: nothing left to mint
    data = {"market": {"pool": {"seed_base": 1e-15, "seed_tokens": 1e-15}}, **SYNTHETIC}
    assert problems(data) == [
        "market.pool: seed_base=1e-15 × seed_tokens=1e-15 is too shallow: a pool locks 1000 LP "
        "base units at genesis and needs √(seed_base · seed_tokens) above that, in base units"
    ]
    data["market"]["pool"]["seed_base"] = 2e-15
    assert problems(data) == []


def test_a_scenario_object_is_checked_too():
    from simfl.config import Scenario

    scenario = Scenario.model_validate({"fl": {"clients": 4, "sampling": {"min_clients": 5}}})
    assert scenario_problems(scenario) == ["fl.sampling.min_clients: got 5; at most fl.clients=4"]
    with pytest.raises(ScenarioError, match="min_clients: got 5"):
        load_scenario(scenario)


GAME_METHODS = ("loo", "mc_shapley", "tmc_shapley", "gtg_shapley", "kernelshap")


@pytest.mark.parametrize("method", GAME_METHODS)
def test_coalition_methods_hold_at_most_63_clients(method):
    """int64 masks: 63 players fit (2^63 - 1, run end to end by hand with every game
    method), 64 overflow."""
    fl = {"contribution": {"methods": ["size", method], "pay_by": method}}
    assert problems({"fl": {"clients": 63, **fl}}) == []
    assert problems({"fl": {"clients": 64, **fl}}) == [
        f"fl.clients: got 64; {method} codes coalitions as 64-bit masks, so at most 63 "
        "clients; for a larger federation use the size or cgsv methods (no coalitions), or "
        "scores: {source: synthetic}"
    ]


def test_coalition_limit_leaves_methods_without_coalitions_and_other_sources_alone():
    fl = {"clients": 200, "contribution": {"methods": ["size", "loo"], "pay_by": "loo"}}
    assert problems({"fl": {"clients": 200, "contribution": {"methods": ["size", "cgsv"],
                                                             "pay_by": "cgsv"}}}) == []  # fmt: skip
    assert problems({"fl": fl, **SYNTHETIC}) == []


def test_the_engine_refuses_a_federation_wider_than_a_mask_too():
    from simfl.errors import ContributionError
    from simfl.fl.contribution import check_methods
    from simfl.fl.settings import ContributionSettings

    settings = ContributionSettings(methods=("size", "loo"), pay_by="loo")
    check_methods(settings, 63)
    with pytest.raises(ContributionError, match="loo codes coalitions as 64-bit masks"):
        check_methods(settings, 64)
