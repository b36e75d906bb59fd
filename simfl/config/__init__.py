"""The scenario schema: one YAML file → a validated, typed, frozen `Scenario`.

Every key a scenario may hold is declared in this package, with its default, its
allowed values and its meaning; unknown keys are errors (a typo must not silently
change an experiment). `load_scenario` reports every problem at once, one line per
dotted path. Token amounts are given in whole tokens (floats allowed, for people) and
turned into exact integer base units by `to_base_units`.

Layout: `base` (section base, types, units), `fl` and `market` (the sections),
`schema` (`Scenario`), `loading` (YAML, overrides, errors), `reference` (README table).
"""

from simfl.config.base import BASE_UNIT, TOKEN_DECIMALS, Section, to_base_units
from simfl.config.fl import (
    FL,
    Behaviour,
    Contribution,
    LocalTraining,
    Partition,
    Sampling,
    Strategy,
    SyntheticData,
)
from simfl.config.loading import (
    apply_overrides,
    build_scenario,
    describe,
    format_error,
    load_scenario,
    load_yaml,
    parse_override,
)
from simfl.config.market import (
    Clients,
    InvestorGroup,
    LiquidityProviderGroup,
    Market,
    Pool,
    Reward,
    Schedule,
    Scores,
    SyntheticScores,
    Treasury,
)
from simfl.config.reference import reference_markdown, reference_rows, update_readme
from simfl.config.schema import Scenario

__all__ = [
    "BASE_UNIT",
    "FL",
    "TOKEN_DECIMALS",
    "Behaviour",
    "Clients",
    "Contribution",
    "InvestorGroup",
    "LiquidityProviderGroup",
    "LocalTraining",
    "Market",
    "Partition",
    "Pool",
    "Reward",
    "Sampling",
    "Scenario",
    "Schedule",
    "Scores",
    "Section",
    "Strategy",
    "SyntheticData",
    "SyntheticScores",
    "Treasury",
    "apply_overrides",
    "build_scenario",
    "describe",
    "format_error",
    "load_scenario",
    "load_yaml",
    "parse_override",
    "reference_markdown",
    "reference_rows",
    "to_base_units",
    "update_readme",
]
