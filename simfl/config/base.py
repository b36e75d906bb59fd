"""Shared pieces of the scenario schema: the section base class, constrained types,
and the whole-token → base-unit conversion."""

from __future__ import annotations

import functools
from decimal import Decimal
from typing import Annotated, Any, get_args, get_origin

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

TOKEN_DECIMALS = 18  # every simfl token has 18 decimals, like most ERC-20 tokens
BASE_UNIT = 10**TOKEN_DECIMALS  # base units in one whole token
SMALLEST_AMOUNT = 10.0**-TOKEN_DECIMALS  # whole tokens in one base unit
# whole tokens: results store amounts as exact decimal128(38) integers (< 1e20 whole
# tokens); 1e15 leaves room for 10,000 rounds of such an amount
MAX_WHOLE_TOKENS = 1e15


def _not_below_one_base_unit(value: float) -> float:
    """A token amount must be 0 or at least one base unit (anything between would round
    to 0 base units and silently vanish), and at most `MAX_WHOLE_TOKENS`."""
    if 0.0 < value < SMALLEST_AMOUNT / 2:
        raise ValueError(
            f"got {value!r}: below one base unit ({SMALLEST_AMOUNT:g} whole tokens), it would "
            f"round to 0; give 0 or at least {SMALLEST_AMOUNT:g}"
        )
    if value > MAX_WHOLE_TOKENS:
        raise ValueError(
            f"got {value!r}: at most {MAX_WHOLE_TOKENS:g} whole tokens (results store amounts "
            "as exact 38-digit integers of base units)"
        )
    return value


PositiveInt = Annotated[int, Field(ge=1)]
NonNegInt = Annotated[int, Field(ge=0)]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
TokenAmount = Annotated[
    float,
    Field(ge=0.0, allow_inf_nan=False),
    AfterValidator(_not_below_one_base_unit),
]


class Section(BaseModel):
    """Base of every scenario section: frozen, unknown keys refused, defaults validated,
    every float finite (`.inf` and `.nan` are refused wherever a number goes), and no
    boolean taken for a number nor binary data for text (`_plain_values`)."""

    model_config = ConfigDict(
        extra="forbid", frozen=True, validate_default=True, allow_inf_nan=False
    )

    @field_validator("*", mode="before")
    @classmethod
    def _plain_values(cls, value: Any, info: ValidationInfo) -> Any:
        """Refuse what pydantic's lax mode would convert silently: YAML's `true` where a
        number goes (`rounds: true` would be 1 round; items of a list of numbers too) and
        `!!binary` bytes anywhere (`name: !!binary aGVsbG8=` would be the name "hello")."""
        if isinstance(value, bytes | bytearray):
            raise ValueError(f"got {value!r}, binary data (a !!binary tag?); give plain text")
        if info.field_name is None or not isinstance(value, bool | list | tuple):
            return value
        types = _field_types(cls, info.field_name)
        if bool in types or not types & {int, float}:
            return value
        if isinstance(value, bool) or (
            not any(isinstance(t, type) and issubclass(t, BaseModel) for t in types)
            and any(isinstance(item, bool) for item in value)
        ):
            number = "a number" if float in types else "an integer"
            raise ValueError(f"got {value!r}; a boolean is not a number: give {number}")
        return value


@functools.cache
def _field_types(section: type[BaseModel], name: str) -> frozenset[Any]:
    """Every type named in a field's annotation, through unions and containers."""
    found: set[Any] = set()
    stack = [section.model_fields[name].annotation]
    while stack:
        annotation = stack.pop()
        args = get_args(annotation)
        found.add(get_origin(annotation) or annotation)
        stack.extend(args)
    return frozenset(found)


def to_base_units(whole_tokens: float | int) -> int:
    """Exact integer base units for an amount in whole tokens.

    Goes through the decimal text of the number, so `0.1` becomes exactly
    10**17 rather than the binary float's neighbour. Rounds half-even at the 18th decimal.

    >>> to_base_units(0.1)
    100000000000000000
    """
    return int((Decimal(str(whole_tokens)) * BASE_UNIT).to_integral_value())
