"""Score sources are a registry: the schema accepts its keys, an unknown name is an error."""

from types import SimpleNamespace
from typing import get_args

import numpy as np
import pytest

from simfl.config.market import Scores
from simfl.errors import ScenarioError
from simfl.sources import SCORE_SOURCES, make_source


def test_the_schemas_score_sources_are_the_registrys_keys():
    allowed = get_args(Scores.model_fields["source"].annotation)
    assert set(allowed) == set(SCORE_SOURCES) == {"fl", "replay", "synthetic"}


def test_an_unknown_score_source_is_an_error_not_a_fallback_to_training():
    scenario = SimpleNamespace(scores=SimpleNamespace(source="flower"))
    with pytest.raises(ScenarioError, match="scores.source: got 'flower'; expected one of fl,"):
        make_source(scenario, np.random.default_rng(0))


def test_every_source_gives_step_0_its_initial_model():
    """Synthetic: one step before round 1 on its curve, 0.9 - (0.9 - 0.3) / 0.7 = 3/70
    (defaults start 0.3, final 0.9), loss -ln(3/70). (Replay: test_replay_columns.py.)"""
    from simfl.model import run_model
    from tests.market.scenarios import synthetic

    model = run_model(synthetic()).tables()["model"].set_index("step")
    assert model.loc[0, "accuracy"] == pytest.approx(3 / 70, abs=1e-12)
    assert model.loc[0, "loss"] == pytest.approx(-np.log(3 / 70), abs=1e-12)
    assert model.loc[0, "test_accuracy"] == pytest.approx(3 / 70, abs=1e-12)
    assert model.loc[1, "accuracy"] == pytest.approx(0.3, abs=1e-12)
