"""Shared pieces of the scenario schema: the section base class, constrained types,
and the whole-token → base-unit conversion."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

TOKEN_DECIMALS = 18  # every simfl token has 18 decimals, like most ERC-20 tokens
BASE_UNIT = 10**TOKEN_DECIMALS  # base units in one whole token

PositiveInt = Annotated[int, Field(ge=1)]
NonNegInt = Annotated[int, Field(ge=0)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
TokenAmount = Annotated[float, Field(ge=0.0, allow_inf_nan=False)]


class Section(BaseModel):
    """Base of every scenario section: frozen, unknown keys refused, defaults validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


def to_base_units(whole_tokens: float | int) -> int:
    """Exact integer base units for an amount in whole tokens.

    Goes through the decimal text of the number, so `0.1` becomes exactly
    10**17 rather than the binary float's neighbour. Rounds half-even at the 18th decimal.

    >>> to_base_units(0.1)
    100000000000000000
    """
    return int((Decimal(str(whole_tokens)) * BASE_UNIT).to_integral_value())
