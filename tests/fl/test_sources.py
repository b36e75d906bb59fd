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
