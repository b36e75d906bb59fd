"""How a client turns the global model into the update it submits.

Each behaviour is two small functions behind one protocol: `labels` edits the client's
labels once at setup (label flippers, noisy clients), `submit` maps the honestly trained
update (or None when the behaviour skips training this round) to the update sent.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np
import torch

from simfl.errors import UserError
from simfl.fl.settings import BehaviourSettings


@dataclass(frozen=True, slots=True)
class SubmitContext:
    """What a client may see when it forms its update."""

    round: int  # 1-based
    n_params: int
    last_global_change: torch.Tensor | None  # w_t - w_{t-1}; None before any round changed it
    honest_norm: float  # mean L2 norm of this round's honestly trained updates (0 if none)
    generator: torch.Generator


class Behaviour(Protocol):
    settings: BehaviourSettings

    def trains(self, round: int) -> bool:
        """Whether the client runs local training this round."""
        ...

    def labels(self, y: np.ndarray, num_classes: int, rng: np.random.Generator) -> np.ndarray:
        """The client's training labels (called once, at setup)."""
        ...

    def submit(self, trained: torch.Tensor | None, ctx: SubmitContext) -> torch.Tensor:
        """The update the client sends to the server."""
        ...


@dataclass(frozen=True)
class Honest:
    """Trains on its own data and sends the result."""

    settings: BehaviourSettings

    def trains(self, round: int) -> bool:
        return True

    def labels(self, y, num_classes, rng):
        return y

    def submit(self, trained, ctx):
        return trained


class FreeRider(Honest):
    """Plain free rider: sends the global model back unchanged (Δ = 0), never trains."""

    def trains(self, round: int) -> bool:
        return False

    def submit(self, trained, ctx):
        return torch.zeros(ctx.n_params)


class DisguisedFreeRider(FreeRider):
    """Sends Gaussian noise whose norm is `noise_multiplier` x the honest updates' mean norm
    (Lin et al. 2019, free-rider attacks)."""

    def submit(self, trained, ctx):
        noise = torch.randn(ctx.n_params, generator=ctx.generator)
        norm = float(noise.norm())
        return noise * (self.settings.noise_multiplier * ctx.honest_norm / norm) if norm else noise


class DeltaFreeRider(FreeRider):
    """Replays the last global change w_t - w_{t-1} as its own update (Fraboni et al. 2021)."""

    def submit(self, trained, ctx):
        if ctx.last_global_change is None:
            return torch.zeros(ctx.n_params)
        return ctx.last_global_change.clone()


class DynamicFreeRider(Honest):
    """Honest before round `start_round`, a plain free rider from then on."""

    def trains(self, round: int) -> bool:
        return round < self.settings.start_round

    def submit(self, trained, ctx):
        return trained if trained is not None else torch.zeros(ctx.n_params)


class LabelFlipper(Honest):
    """Trains honestly on labels mapped y -> C - 1 - y."""

    def labels(self, y, num_classes, rng):
        return (num_classes - 1 - y).astype(y.dtype)


class NoisyLabels(Honest):
    """Trains honestly after a `fraction` of its labels were redrawn uniformly at setup."""

    def labels(self, y, num_classes, rng):
        fraction = self.settings.fraction
        if not 0.0 <= fraction <= 1.0:
            raise UserError(f"noisy_labels fraction={fraction} must be in [0, 1]")
        noisy = y.copy()
        hit = rng.random(len(y)) < fraction
        noisy[hit] = rng.integers(num_classes, size=int(hit.sum()))
        return noisy


class SignFlipper(Honest):
    """Sends -scale x its honest update."""

    def submit(self, trained, ctx):
        return -self.settings.scale * trained


class Scaled(Honest):
    """Sends +scale x its honest update (boosting)."""

    def submit(self, trained, ctx):
        return self.settings.scale * trained


BEHAVIOURS: dict[str, type[Honest]] = {
    "honest": Honest,
    "free_rider": FreeRider,
    "free_rider_disguised": DisguisedFreeRider,
    "free_rider_delta": DeltaFreeRider,
    "free_rider_dynamic": DynamicFreeRider,
    "label_flip": LabelFlipper,
    "sign_flip": SignFlipper,
    "scaled": Scaled,
    "noisy_labels": NoisyLabels,
}


def make_behaviour(settings: BehaviourSettings) -> Behaviour:
    """The behaviour object for `settings.kind`."""
    try:
        return BEHAVIOURS[settings.kind](settings)
    except KeyError:
        raise UserError(
            f"unknown behaviour {settings.kind!r}; expected one of {', '.join(BEHAVIOURS)}"
        ) from None
