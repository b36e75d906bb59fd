"""Local training and the server aggregators on flat vectors."""

import torch

from simfl.fl.aggregators import FedAvg, Krum, Median, TrimmedMean
from simfl.fl.models import build_model
from simfl.fl.rules import make_aggregator
from simfl.fl.settings import LocalSettings, StrategySettings
from simfl.fl.training import local_train

fedavg, median = FedAvg(), Median()

G = torch.zeros(3)


def _data():
    gen = torch.Generator().manual_seed(0)
    x = torch.rand(40, 64, generator=gen)
    y = torch.randint(0, 10, (40,), generator=gen)
    model = build_model("mlp", (64,), 10, 8, torch.Generator().manual_seed(1))
    return model, x, y


def test_local_training_returns_an_update_and_leaves_the_global_vector_alone():
    model, x, y = _data()
    w = torch.nn.utils.parameters_to_vector(model.parameters()).detach().clone()
    before = w.clone()
    delta = local_train(model, w, x, y, LocalSettings(), torch.Generator().manual_seed(2))
    assert torch.equal(w, before) and delta.shape == w.shape and delta.norm() > 0


def test_local_training_is_reproducible_from_its_generator():
    model, x, y = _data()
    w = torch.nn.utils.parameters_to_vector(model.parameters()).detach().clone()
    a = local_train(model, w, x, y, LocalSettings(), torch.Generator().manual_seed(3))
    b = local_train(model, w, x, y, LocalSettings(), torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_fedprox_proximal_term_shrinks_the_update():
    model, x, y = _data()
    w = torch.nn.utils.parameters_to_vector(model.parameters()).detach().clone()
    local = LocalSettings(epochs=5, lr=0.5)
    free = local_train(model, w, x, y, local, torch.Generator().manual_seed(4))
    prox = local_train(model, w, x, y, local, torch.Generator().manual_seed(4), proximal_mu=1.0)
    assert prox.norm() < free.norm()


def test_fedavg_weights_updates_by_sample_size():
    updates = torch.tensor([[1.0, 0, 0], [0, 1.0, 0]])
    out = fedavg(G, updates, torch.tensor([3.0, 1.0]))
    assert torch.allclose(out, torch.tensor([0.75, 0.25, 0.0]))


def test_median_and_trimmed_mean_ignore_one_outlier():
    updates = torch.tensor([[1.0], [1.1], [0.9], [1000.0]])
    assert float(median(torch.zeros(1), updates, torch.ones(4))) < 1.2
    assert float(TrimmedMean(0.25)(torch.zeros(1), updates, torch.ones(4))) < 1.2


def test_krum_selects_an_update_from_the_honest_cluster():
    updates = torch.tensor([[1.0, 1.0], [1.1, 0.9], [0.9, 1.1], [-50.0, 80.0]])
    out = Krum(1)(torch.zeros(2), updates, torch.ones(4))
    assert out.norm() < 2


def test_fedavgm_without_momentum_is_fedavg_and_with_momentum_accumulates():
    updates, sizes = torch.tensor([[1.0, 2.0]]), torch.ones(1)
    plain = make_aggregator(StrategySettings(name="fedavgm", server_momentum=0.0))
    assert torch.equal(
        plain(torch.zeros(2), updates, sizes), fedavg(torch.zeros(2), updates, sizes)
    )
    mom = make_aggregator(StrategySettings(name="fedavgm", server_momentum=0.5))
    mom(torch.zeros(2), updates, sizes)
    assert torch.allclose(mom(torch.zeros(2), updates, sizes), torch.tensor([1.5, 3.0]))


def test_fedadam_moves_each_coordinate_by_about_the_server_lr_at_first():
    agg = make_aggregator(StrategySettings(name="fedadam", server_lr=0.1, beta1=0.0, beta2=0.0))
    out = agg(torch.zeros(2), torch.tensor([[4.0, -0.5]]), torch.ones(1))
    assert torch.allclose(out, torch.tensor([0.1, -0.1]), atol=1e-3)
