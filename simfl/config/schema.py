"""The whole scenario: one YAML file → a validated, typed, frozen `Scenario`."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from simfl.config.base import NonNegInt, PositiveInt, Section
from simfl.config.fl import FL
from simfl.config.market import Market, PayoutModeName, Scores
from simfl.fl import settings as fls


class Collect(Section):
    """What a run records beyond the model rows (those are every step)."""

    agents_every: PositiveInt = Field(
        1,
        description="agent rows every k steps (and at step 0 and the final round); "
        "k > 1 keeps agents.parquet small on long runs",
    )


class Scenario(Section):
    """One simfl experiment: FL engine, score source and market, run for `rounds` steps."""

    name: Annotated[str, Field(min_length=1, pattern=r"^[A-Za-z0-9_.-]+$")] = Field(
        "scenario", description="run-id prefix: letters, digits, _ . -"
    )
    description: str = Field("", description="one line shown by `simfl list`")
    seed: NonNegInt = Field(
        42, description="seeds everything: FL stream and market (Mesa's model.rng)"
    )
    fl_seed: NonNegInt | None = Field(
        None,
        description="seed of the FL engine's stream; default: `seed`. Sweeps give each run "
        "its own seed and the points of one replication a common fl_seed",
    )
    rounds: Annotated[int, Field(ge=1, le=10_000)] = Field(
        10, description="FL rounds = model steps"
    )
    # payout methods to compare: one market per method on the run's one FL trajectory
    compare: tuple[fls.ContributionMethod, ...] = Field(
        (),
        description=(
            "payout methods to compare: one market per method on the run's one FL "
            "trajectory (comparison.parquet)"
        ),
    )
    compare_modes: tuple[PayoutModeName, ...] = Field(
        (),
        description=(
            "payout modes to compare at the run's nominal budget per round: one market per "
            "mode on the run's one FL trajectory, paid by pay_by (comparison.parquet)"
        ),
    )
    fl: FL = FL()
    scores: Scores = Scores()
    market: Market = Market()
    collect: Collect = Collect()

    @property
    def fl_stream_seed(self) -> int:
        """The seed of the FL engine's stream: `fl_seed` when set, else `seed`."""
        return self.fl_seed if self.fl_seed is not None else self.seed

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        synthetic = self.scores.synthetic
        if synthetic.quality is not None and len(synthetic.quality) != self.fl.clients:
            raise ValueError(
                f"scores.synthetic.quality: lists {len(synthetic.quality)} values "
                f"but fl.clients={self.fl.clients}"
            )
        missing = [m for m in self.compare if m not in self.fl.contribution.methods]
        if missing:
            raise ValueError(
                f"compare: lists {missing}, which fl.contribution.methods does not compute; "
                "add them there"
            )
        if self.compare and self.market.clients.opt_out:
            raise ValueError(
                "compare: replays one FL trajectory per payout method, which participation "
                "feedback would change: set market.clients.opt_out=false or drop compare"
            )
        if self.compare_modes and self.market.clients.opt_out:
            raise ValueError(
                "compare_modes: replays one FL trajectory per payout mode, which participation "
                "feedback would change: set market.clients.opt_out=false or drop compare_modes"
            )
        if self.scores.source == "replay" and self.market.clients.opt_out:
            raise ValueError(
                "scores.source: 'replay' cannot be combined with market.clients.opt_out=true: "
                "participation feedback would change the replayed trajectory"
            )
        return self
