"""Coalition utilities (batched paths agree with one-by-one) and CGSV."""

import numpy as np
import pytest
import torch
from torch.nn.utils import parameters_to_vector

from simfl.errors import ContributionError
from simfl.fl.contribution import ContributionScorer
from simfl.fl.game import UtilityEvaluator
from simfl.fl.models import build_model
from simfl.fl.settings import ContributionSettings


def _evaluator(model_name, path, utility="accuracy", m=5):
    gen = torch.Generator().manual_seed(0)
    model = build_model(model_name, (64,), 10, 8, torch.Generator().manual_seed(1))
    base = parameters_to_vector(model.parameters()).detach().clone()
    updates = 0.3 * torch.randn(m, base.numel(), generator=gen)
    sizes = torch.arange(1, m + 1, dtype=torch.float32) * 10
    x = torch.rand(50, 64, generator=gen)
    y = torch.randint(0, 10, (50,), generator=gen)
    return UtilityEvaluator(model, base, updates, sizes, x, y, utility, path)


@pytest.mark.parametrize("model_name", ["mlp", "logreg", "cnn"])
@pytest.mark.parametrize("utility", ["accuracy", "neg_loss"])
def test_batched_coalition_utilities_equal_one_by_one(model_name, utility):
    masks = np.arange(32, dtype=np.int64)
    loop = _evaluator(model_name, "loop", utility)(masks)
    paths = ["vmap"] if model_name == "cnn" else ["fast", "vmap"]
    for path in paths:
        assert np.allclose(_evaluator(model_name, path, utility)(masks), loop, atol=1e-5), path


def test_empty_coalition_is_the_starting_model():
    ev = _evaluator("mlp", "fast")
    base_only = UtilityEvaluator(
        ev.model, ev.base, torch.zeros_like(ev.updates), ev.sizes, ev.x, ev.y, "accuracy", "loop"
    )
    assert ev(np.array([0]))[0] == base_only(np.array([31]))[0]


def test_exact_shapley_is_refused_above_fourteen_clients():
    with pytest.raises(ContributionError, match="refused above 14 clients"):
        ContributionScorer(ContributionSettings(), 15)


def test_pay_by_must_be_a_computed_method():
    with pytest.raises(ContributionError, match="pay_by='cgsv' is not among methods"):
        ContributionScorer(ContributionSettings(methods=("size",), pay_by="cgsv"), 4)


def test_cgsv_gives_aligned_updates_more_than_opposed_or_empty_ones():
    scorer = ContributionScorer(ContributionSettings(methods=("cgsv",), pay_by="cgsv"), 4)
    updates = torch.tensor([[1.0, 0.1], [1.0, -0.1], [-1.0, 0.0], [0.0, 0.0]])
    scores, spent = scorer.score((0, 1, 2, 3), np.ones(4), updates, None, np.random.default_rng(0))
    s = scores["cgsv"]
    assert s[0] > s[3] > s[2] and s[1] > s[3] and spent["cgsv"] == 0
