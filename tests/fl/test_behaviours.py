"""Client behaviours: what each kind submits and how it edits its labels."""

import numpy as np
import torch

from simfl.fl.behaviours import SubmitContext, make_behaviour
from simfl.fl.settings import BehaviourSettings

TRAINED = torch.tensor([3.0, 4.0])


def _ctx(round=1, last=None):
    return SubmitContext(round, torch.zeros(2), last, torch.Generator().manual_seed(0))


def _b(kind, **kw):
    return make_behaviour(BehaviourSettings(kind=kind, **kw))


def test_plain_free_rider_never_trains_and_returns_the_global_model():
    b = _b("free_rider")
    assert not b.trains(1) and torch.equal(b.submit(None, _ctx()), torch.zeros(2))


def test_disguised_free_rider_scales_noise_to_the_last_global_change_it_saw():
    """|w_t - w_{t-1}| = |(3, 4)| = 5, so noise_multiplier 2 gives norm 10; the noise is
    not the change itself; before any change it sends a zero update."""
    b = _b("free_rider_disguised", noise_multiplier=2.0)
    out = b.submit(None, _ctx(2, torch.tensor([3.0, 4.0])))
    assert abs(float(out.norm()) - 10.0) < 1e-5
    assert not torch.allclose(out / 2, torch.tensor([3.0, 4.0]))
    assert torch.equal(b.submit(None, _ctx(1)), torch.zeros(2))


def test_delta_free_rider_replays_the_last_global_change():
    last = torch.tensor([0.5, -0.5])
    assert torch.equal(_b("free_rider_delta").submit(None, _ctx(2, last)), last)
    assert torch.equal(_b("free_rider_delta").submit(None, _ctx(1)), torch.zeros(2))


def test_dynamic_free_rider_is_honest_until_its_start_round():
    b = _b("free_rider_dynamic", start_round=3)
    assert b.trains(2) and not b.trains(3)
    assert torch.equal(b.submit(TRAINED, _ctx(2)), TRAINED)
    assert torch.equal(b.submit(None, _ctx(3)), torch.zeros(2))


def test_sign_flipper_and_scaled_clients_rescale_their_update():
    assert torch.equal(_b("sign_flip", scale=2.0).submit(TRAINED, _ctx()), -2 * TRAINED)
    assert torch.equal(_b("scaled", scale=3.0).submit(TRAINED, _ctx()), 3 * TRAINED)


def test_label_flipper_maps_each_label_to_its_mirror():
    y = np.array([0, 1, 9])
    assert _b("label_flip").labels(y, 10, np.random.default_rng(0)).tolist() == [9, 8, 0]


def test_noisy_labels_redraws_about_the_given_fraction():
    y = np.zeros(10000, dtype=np.int64)
    noisy = _b("noisy_labels", fraction=0.5).labels(y, 10, np.random.default_rng(0))
    assert abs((noisy != 0).mean() - 0.45) < 0.03  # 1/10 of redraws land on 0 again


def test_behaviour_kinds_are_the_registrys_keys_and_an_unknown_one_is_refused():
    from typing import get_args

    import pytest

    from simfl.errors import UserError
    from simfl.fl.behaviours import BEHAVIOURS
    from simfl.fl.settings import BehaviourKind

    assert set(get_args(BehaviourKind)) == set(BEHAVIOURS)
    with pytest.raises(UserError, match="unknown behaviour 'lazy'; expected one of honest,"):
        make_behaviour(BehaviourSettings(kind="lazy"))
