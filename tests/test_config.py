"""The scenario schema: defaults, shorthands, overrides, exact amounts, error text."""

import pytest

from simfl.config import (
    apply_overrides,
    load_scenario,
    parse_override,
    to_base_units,
)
from simfl.errors import ScenarioError


def test_defaults_make_a_valid_scenario() -> None:
    scenario = load_scenario({})
    assert scenario.fl.contribution.pay_by in scenario.fl.contribution.methods


def test_behaviour_and_strategy_shorthands_expand() -> None:
    scenario = load_scenario({"fl": {"behaviours": {2: "label_flip"}, "strategy": "fedprox"}})
    assert scenario.fl.behaviours[2].kind == "label_flip"
    assert scenario.fl.strategy.name == "fedprox"
    settings = scenario.fl.to_settings()
    assert settings.behaviours[2].kind == "label_flip"
    assert settings.contribution.methods == scenario.fl.contribution.methods


def test_fl_section_maps_onto_every_engine_setting() -> None:
    from dataclasses import fields

    from simfl.config import FL
    from simfl.fl.settings import FLSettings

    assert {f.name for f in fields(FLSettings)} == set(FL.model_fields)


def test_token_amounts_become_exact_base_units() -> None:
    assert to_base_units(0.1) == 10**17
    assert to_base_units(10_000) == 10**22
    assert to_base_units(1e-18) == 1


def test_unknown_scenario_key_is_an_error_with_a_suggestion() -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario({"market": {"reward": {"mdoe": "mint"}}})
    assert "market.reward.mdoe: unknown key — did you mean 'mode'?" in str(err.value)


def test_every_problem_is_reported_at_once_by_dotted_path() -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(
            {"rounds": 0, "fl": {"partition": {"alpha": -1}}, "market": {"substeps": "x"}}
        )
    lines = str(err.value).splitlines()
    assert lines[0] == "scenario: 3 problem(s)"
    assert "rounds: got 0; input should be greater than or equal to 1" in lines
    assert "fl.partition.alpha: got -1; input should be greater than 0" in lines
    assert any(line.startswith("market.substeps: got 'x'") for line in lines)


def test_literal_errors_list_the_allowed_values() -> None:
    with pytest.raises(ScenarioError, match="fl.dataset: got 'cifar'; must be one of 'digits'"):
        load_scenario({"fl": {"dataset": "cifar"}})


def test_pay_by_must_be_computed() -> None:
    with pytest.raises(ScenarioError, match="fl.contribution.pay_by: 'cgsv' is not among methods"):
        load_scenario({"fl": {"contribution": {"methods": ["size"], "pay_by": "cgsv"}}})


def test_compare_needs_its_methods_computed_and_no_participation_feedback() -> None:
    with pytest.raises(ScenarioError, match="compare: lists"):
        load_scenario({"compare": ["gtg_shapley"]})
    with pytest.raises(ScenarioError, match="opt_out"):
        load_scenario({"compare": ["size"], "market": {"clients": {"opt_out": True}}})


def test_exact_shapley_is_refused_beyond_fourteen_clients() -> None:
    with pytest.raises(ScenarioError, match="fl.clients: exact_shapley needs clients <= 14"):
        load_scenario({"fl": {"clients": 15}})


def test_overrides_set_dotted_keys_including_list_items_and_int_keys() -> None:
    data = {
        "fl": {"behaviours": {8: "free_rider"}},
        "market": {"investors": [{"strategy": "noise"}]},
    }
    result = apply_overrides(
        data,
        dict(
            parse_override(text)
            for text in ["market.investors.0.count=5", "fl.behaviours.8=label_flip", "rounds=3"]
        ),
    )
    assert result["market"]["investors"][0]["count"] == 5
    assert result["fl"]["behaviours"] == {8: "label_flip"}
    assert result["rounds"] == 3
    assert "rounds" not in data  # the input is not modified


def test_override_values_are_read_as_yaml() -> None:
    assert parse_override("fl.contribution.methods=[size, loo]") == (
        "fl.contribution.methods",
        ["size", "loo"],
    )
    with pytest.raises(ScenarioError, match="key.path=value"):
        parse_override("no-equals-sign")


def test_override_into_a_missing_list_item_is_an_error() -> None:
    with pytest.raises(ScenarioError, match="not an index"):
        apply_overrides({"market": {"investors": []}}, {"market.investors.3.count": 1})


def test_readme_scenario_reference_matches_the_schema() -> None:
    from pathlib import Path

    from simfl.config import reference_markdown

    readme = Path(__file__).resolve().parent.parent / "README.md"
    assert reference_markdown() in readme.read_text(encoding="utf-8"), "run `make docs`"


def test_every_float_must_be_finite() -> None:
    with pytest.raises(ScenarioError) as err:
        load_scenario(
            {
                "fl": {"local": {"lr": float("nan")}},
                "market": {"pool": {"fee_bps": 30, "seed_tokens": float("inf")}},
            }
        )
    lines = str(err.value).splitlines()
    assert "fl.local.lr: got nan; input should be a finite number" in lines
    assert "market.pool.seed_tokens: got inf; input should be a finite number" in lines


def test_a_token_amount_is_zero_or_at_least_one_base_unit() -> None:
    assert load_scenario({"market": {"treasury": {"initial": 1e-18}}}).market.treasury.initial
    with pytest.raises(ScenarioError) as err:
        load_scenario({"market": {"treasury": {"initial": 4e-19}}})
    assert str(err.value).splitlines()[1] == (
        "market.treasury.initial: got 4e-19: below one base unit (1e-18 whole tokens), it "
        "would round to 0; give 0 or at least 1e-18"
    )


def test_an_override_reaching_into_a_shorthand_keeps_it() -> None:
    scenario = load_scenario({"fl": {"strategy": "krum", "clients": 8}},
                             {"fl.strategy.krum_byzantine": 2})  # fmt: skip
    assert (scenario.fl.strategy.name, scenario.fl.strategy.krum_byzantine) == ("krum", 2)
    scenario = load_scenario({"market": {"reward": {"emission": 50}}},
                             {"market.reward.emission.kind": "decaying"})  # fmt: skip
    assert (scenario.market.reward.emission.kind, scenario.market.reward.emission.amount) == (
        "decaying",
        50,
    )
    with pytest.raises(ScenarioError, match=r"--set rounds\.x: rounds is 5, not a mapping"):
        apply_overrides({"rounds": 5}, {"rounds.x": 1})


def test_a_key_given_twice_is_an_error_naming_both_lines(tmp_path) -> None:
    path = tmp_path / "twice.yaml"
    path.write_text("name: a\nfl:\n  clients: 4\n  clients: 5\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value) == (
        f"{path}: not valid YAML at line 4, column 3: key 'clients' appears twice in one "
        "mapping (first at line 3); keep one: the second would silently replace the first"
    )


def test_merge_keys_may_be_overridden_by_explicit_keys(tmp_path) -> None:
    path = tmp_path / "merge.yaml"
    path.write_text(
        "defaults: &g {strategy: noise, count: 2, budget: 10}\n"
        "market:\n  investors:\n    - {<<: *g, count: 3}\n"
    )
    from simfl.config import load_yaml

    assert load_yaml(path)["market"]["investors"] == [
        {"strategy": "noise", "count": 3, "budget": 10}
    ]


def _problems(data: dict) -> list[str]:
    try:
        load_scenario(data)
    except ScenarioError as err:
        return str(err).splitlines()[1:]
    return []


def test_a_boolean_is_not_taken_for_a_number_anywhere() -> None:
    """pydantic's lax mode reads `true` as 1: `rounds: true` ran one round."""
    data = {
        "rounds": True,
        "fl": {
            "local": {"lr": True},
            "partition": {"kind": "inner_dirichlet", "partition_sizes": [True, 5]},
            "contribution": {"methods": ["mc_shapley"], "pay_by": "mc_shapley",
                             "permutations": False},
        },
        "market": {"pool": {"seed_base": True}},
    }  # fmt: skip
    assert _problems(data) == [
        "rounds: got True; a boolean is not a number: give an integer",
        "fl.partition.partition_sizes: got [True, 5]; a boolean is not a number: give an integer",
        "fl.local.lr: got True; a boolean is not a number: give a number",
        "fl.contribution.permutations: got False; a boolean is not a number: give an integer",
        "market.pool.seed_base: got True; a boolean is not a number: give a number",
    ]
    # booleans where booleans go, and numbers where numbers go, still pass
    fine = {"rounds": 1, "fl": {"local": {"lr": 1}, "contribution": {"antithetic": True}},
            "market": {"clients": {"opt_out": True}}}  # fmt: skip
    assert _problems(fine) == []


def test_binary_data_is_not_text(tmp_path) -> None:
    """`!!binary aGVsbG8=` is the bytes b'hello', which pydantic's lax str took as a name."""
    path = tmp_path / "s.yaml"
    path.write_text("name: !!binary aGVsbG8=\n")
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert str(err.value).splitlines()[1:] == [
        "name: got b'hello', binary data (a !!binary tag?); give plain text"
    ]
