"""One FL schema: every default the engine sees is the scenario schema's default."""

from dataclasses import fields, is_dataclass

import pytest
from pydantic import ValidationError

from simfl.config.fl import FL, Behaviour
from simfl.fl import settings as fls


def _walk(section, settings, path="fl"):
    """Yield (dotted path, schema default, engine default) for every nested field, and
    fail on a field that exists on one side only."""
    schema_names = set(type(section).model_fields)
    engine_names = {f.name for f in fields(settings)}
    assert schema_names == engine_names, (
        f"{path}: only in the schema {sorted(schema_names - engine_names)}, "
        f"only in the engine {sorted(engine_names - schema_names)}"
    )
    for name in sorted(engine_names):
        mine, theirs = getattr(section, name), getattr(settings, name)
        if is_dataclass(theirs):
            yield from _walk(mine, theirs, f"{path}.{name}")
        else:
            yield f"{path}.{name}", mine, theirs


def test_every_nested_fl_default_is_the_engines():
    pairs = list(_walk(FL(), fls.FLSettings())) + list(
        _walk(Behaviour(), fls.BehaviourSettings(), "fl.behaviours.<i>")
    )
    assert len(pairs) > 50  # every leaf of every section was compared
    drift = [(p, a, b) for p, a, b in pairs if a != b or type(a) is not type(b)]
    assert drift == []
    assert FL().to_settings() == fls.FLSettings()


def test_the_default_local_learning_rate_must_be_finite():
    for bad in (float("inf"), float("nan"), 0.0):
        with pytest.raises(ValidationError, match="local.lr"):
            FL(local={"lr": bad})


def test_strategy_names_are_the_rule_registrys_keys_and_an_unknown_one_is_refused():
    from typing import get_args

    from simfl.errors import UserError
    from simfl.fl.rules import RULES, make_aggregator

    assert set(get_args(fls.StrategyName)) == set(RULES)
    for name in RULES:  # every registered rule builds
        assert make_aggregator(fls.StrategySettings(name=name)) is not None
    with pytest.raises(ValidationError, match="strategy.name"):
        FL(strategy={"name": "fedsgd"})
    with pytest.raises(UserError, match="unknown strategy 'fedsgd'; expected one of fedavg,"):
        make_aggregator(fls.StrategySettings(name="fedsgd"))


def test_a_null_server_lr_resolves_to_the_rules_own_in_the_scenario():
    assert FL(strategy="fedadam").strategy.server_lr == 0.1  # Flower's η for FedAdam
    assert FL(strategy="fedavgm").strategy.server_lr == 1.0  # Hsu et al.'s plain momentum
    assert FL(strategy={"name": "fedadam", "server_lr": 0.03}).strategy.server_lr == 0.03
    assert FL(strategy="median").strategy.server_lr is None  # a rule that reads no server_lr
