"""Separate streams: adding scorers changes no training number and no other method's scores."""

import functools

import numpy as np
import pandas as pd
import pytest

from simfl.fl.streams import substream
from simfl.model import run_model

CROWDED = (
    "gtg_shapley", "mc_shapley", "exact_shapley", "size", "tmc_shapley", "kernelshap", "loo",
)  # fmt: skip
TINY = {
    "name": "streams",
    "seed": 11,
    "rounds": 3,
    "fl": {
        "dataset": "digits",
        "clients": 4,
        "max_train_samples": 800,
        "partition": {"kind": "dirichlet", "alpha": 0.5, "min_partition_size": 20},
        "local": {"epochs": 2, "lr": 0.1},  # trains: 0.16 -> 0.35 (400 samples, 1 epoch: flat)
        "behaviours": {3: "free_rider"},
        "contribution": {"methods": ["exact_shapley"], "pay_by": "exact_shapley"},
    },
    "market": {"investors": [], "liquidity_providers": [], "substeps": 1},
}


@functools.cache
def _tables(
    methods: tuple[str, ...], utility: str = "accuracy"
) -> tuple[pd.DataFrame, pd.DataFrame]:
    scenario = {**TINY, "fl": {**TINY["fl"], "contribution": {
        "methods": list(methods), "pay_by": "exact_shapley", "permutations": 7,
        "utility": utility}}}  # fmt: skip
    tables = run_model(scenario).tables()
    return tables["model"], tables["scores"]


@pytest.mark.parametrize("utility", ["accuracy", "neg_loss"])
def test_adding_mc_and_tmc_leaves_accuracy_and_exact_scores_byte_identical(utility):
    """With neg_loss, too: a coalition's utility must not depend on which coalitions an
    earlier method batched it with (the shared cache keeps the first answer)."""
    model_a, scores_a = _tables(("exact_shapley",), utility)
    model_b, scores_b = _tables(CROWDED, utility)
    assert model_a["accuracy"].to_numpy().tobytes() == model_b["accuracy"].to_numpy().tobytes()
    exact_a = scores_a[scores_a["method"] == "exact_shapley"].reset_index(drop=True)
    exact_b = scores_b[scores_b["method"] == "exact_shapley"].reset_index(drop=True)
    assert exact_a["score"].to_numpy().tobytes() == exact_b["score"].to_numpy().tobytes()
    assert exact_a["client"].tolist() == exact_b["client"].tolist()
    assert len(set(model_a["accuracy"][1:])) > 1  # the model trains (step 0: initial model)
    assert exact_a["score"].abs().max() > 0  # the scores are not trivially all zero


def test_scores_table_records_each_methods_evaluations():
    _, scores = _tables(CROWDED)
    spent = scores.groupby("method")["evaluations"].unique()
    # 4 clients: exact asks all 2^4 = 16 coalitions, LOO N and the 4 N \ {i}: 5
    assert spent["exact_shapley"].tolist() == [16]
    assert spent["loo"].tolist() == [5]
    assert spent["size"].tolist() == [0]


def test_substream_depends_on_seed_and_name_only():
    rng = np.random.default_rng(5)
    first = substream(rng, "contribution/gtg_shapley").random(3)
    rng.random(100)  # drawing from the parent changes nothing
    again = substream(rng, "contribution/gtg_shapley").random(3)
    other = substream(np.random.default_rng(5), "contribution/tmc_shapley").random(3)
    assert first.tobytes() == again.tobytes()
    assert first.tobytes() != other.tobytes()
