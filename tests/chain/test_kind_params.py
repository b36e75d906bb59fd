"""A pool kind's parameters are declared once, in its registry entry (simfl/chain/kinds.py
`PoolKind.params`): the `market.pool` schema keys, their bounds, defaults and meanings
come from there, and `pool_params` turns a scenario's pool section into the exact
`PoolParams` the entry builds with."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from simfl.chain.kinds import (
    POOL_KINDS,
    KindParam,
    PoolParams,
    kind_params,
    pool_kind,
    pool_params,
)
from simfl.config import load_scenario
from simfl.config.market import Pool as PoolSection
from simfl.errors import ScenarioError

SYNTHETIC = {"scores": {"source": "synthetic"}}


def loaded(pool: dict[str, Any]) -> PoolSection:
    return load_scenario({"market": {"pool": pool}, **SYNTHETIC}).market.pool


def test_token_weight_is_declared_by_the_weighted_entry_and_is_a_schema_key():
    param, readers = kind_params()["token_weight"]
    assert readers == ("weighted",)
    assert pool_kind("weighted").params == (param,)
    assert (param.default, param.bounds()) == (0.5, {"ge": 0.01, "le": 0.99})
    field = PoolSection.model_fields["token_weight"]
    assert field.default is None  # unset until the kind is known
    assert field.description == (
        "weighted: the CST's weight (BASE gets the rest; 0.2 = an 80/20 pool holding 80% of "
        "its value in BASE); unset means 0.5; an error with other kinds"
    )
    assert "ge=0.01" in str(field.annotation) and "le=0.99" in str(field.annotation)


def test_every_declared_key_is_a_schema_key_and_a_pool_params_field():
    carried = {f.name for f in dataclasses.fields(PoolParams)}
    for name in kind_params():
        assert name in PoolSection.model_fields and name in carried, name


def test_an_unset_key_takes_the_chosen_kinds_declared_default():
    assert loaded({"kind": "weighted"}).token_weight == 0.5
    assert loaded({}).token_weight is None  # constant product reads none


@pytest.mark.parametrize(
    ("pool", "expected"),
    [
        ({"kind": "weighted", "token_weight": 0.2, "fee_bps": 25}, PoolParams(25, 2 * 10**17)),
        ({"kind": "weighted", "token_weight": 0.35}, PoolParams(30, 35 * 10**16)),
        ({"kind": "weighted"}, PoolParams(30, 5 * 10**17)),
        ({"fee_bps": 5}, PoolParams(5, None)),
    ],
)
def test_pool_params_are_the_sections_values_in_exact_units(pool, expected):
    section = loaded(pool)
    assert pool_params(section.model_dump()) == expected
    assert pool_params(section.model_dump(), fee_to="treasury").fee_to == "treasury"


def test_pool_params_of_an_unresolved_mapping_use_the_declared_default():
    # a manifest written before the key existed
    assert pool_params({"kind": "weighted"}) == PoolParams(30, 5 * 10**17)


def test_an_unknown_pool_key_is_still_refused():
    with pytest.raises(ScenarioError) as err:
        loaded({"token_weigth": 0.2})
    line = str(err.value).splitlines()[1]
    assert line.startswith(
        "market.pool.token_weigth: unknown key — did you mean 'token_weight'? "
        "(allowed here: kind, token_weight, "
    )  # the kinds' keys follow `kind`, then the common ones
    assert line.endswith("fee_bps, seed_base, seed_tokens, protocol_fee, source)")


def test_a_declared_key_without_a_pool_params_field_is_an_error(monkeypatch):
    stray = KindParam("amplification", "A", 100, int, type=int, ge=1)
    other = dataclasses.replace(POOL_KINDS["weighted"], name="stable", params=(stray,))
    monkeypatch.setitem(POOL_KINDS, "stable", other)
    with pytest.raises(ValueError, match="pool kind 'stable': PoolParams has no 'amplification'"):
        kind_params()


def test_two_kinds_declaring_one_key_differently_is_an_error(monkeypatch):
    other_weight = dataclasses.replace(kind_params()["token_weight"][0], default=0.2)
    other = dataclasses.replace(POOL_KINDS["weighted"], name="weighted_b", params=(other_weight,))
    monkeypatch.setitem(POOL_KINDS, "weighted_b", other)
    with pytest.raises(ValueError, match="token_weight is declared twice, differently"):
        kind_params()
