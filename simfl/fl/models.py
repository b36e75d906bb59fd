"""Small classifiers by name, initialised from an explicit torch generator.

Modules are built on the meta device and initialised with `generator`, so building a model
never touches torch's global RNG. `mlp` and `logreg` start with a `Linear` layer named
`fc1` (logreg: its only layer); the batched coalition evaluator in `contribution` relies on
that layout.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from simfl.errors import UserError


class LogReg(nn.Module):
    """Multinomial logistic regression: one Linear layer on the flattened input."""

    def __init__(self, in_features: int, num_classes: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc1(x.flatten(1))


class MLP(nn.Module):
    """Linear(in, hidden) -> ReLU -> Linear(hidden, classes) on the flattened input."""

    def __init__(self, in_features: int, hidden: int, num_classes: int) -> None:
        super().__init__()
        self.fc1 = nn.Linear(in_features, hidden)
        self.fc2 = nn.Linear(hidden, num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc2(torch.relu(self.fc1(x.flatten(1))))


class CNN(nn.Module):
    """Two 3x3 conv blocks (c, 2c channels, ReLU, 2x2 max-pool) and a Linear classifier."""

    def __init__(self, image_shape: tuple[int, int, int], channels: int, num_classes: int):
        super().__init__()
        c_in, h, w = image_shape
        self.image_shape = image_shape
        self.conv1 = nn.Conv2d(c_in, channels, 3, padding=1)
        self.conv2 = nn.Conv2d(channels, 2 * channels, 3, padding=1)
        self.fc = nn.Linear(2 * channels * (h // 4) * (w // 4), num_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.reshape(-1, *self.image_shape)
        x = nn.functional.max_pool2d(torch.relu(self.conv1(x)), 2)
        x = nn.functional.max_pool2d(torch.relu(self.conv2(x)), 2)
        return self.fc(x.flatten(1))


def image_shape_of(input_shape: tuple[int, ...]) -> tuple[int, int, int]:
    """(C, H, W) of an input: images as they are, flat square inputs (digits: 64) as 1xSxS."""
    if len(input_shape) == 3:
        return (int(input_shape[0]), int(input_shape[1]), int(input_shape[2]))
    if len(input_shape) == 1:
        side = math.isqrt(int(input_shape[0]))
        if side * side == input_shape[0] and side >= 4:
            return (1, side, side)
    raise UserError(f"model cnn needs image inputs; got input shape {input_shape}")


def build_model(
    name: str,
    input_shape: tuple[int, ...],
    num_classes: int,
    hidden: int,
    generator: torch.Generator,
) -> nn.Module:
    """A fresh `logreg`, `mlp` or `cnn`, initialised like torch's defaults from `generator`.

    Every weight and bias is uniform in +-1/sqrt(fan_in) (torch's default bounds for Linear
    and Conv2d), drawn from `generator` in parameter order.
    """
    in_features = int(math.prod(input_shape))
    with torch.device("meta"):
        if name == "logreg":
            model: nn.Module = LogReg(in_features, num_classes)
        elif name == "mlp":
            model = MLP(in_features, hidden, num_classes)
        elif name == "cnn":
            model = CNN(image_shape_of(input_shape), hidden, num_classes)
        else:
            raise UserError(f"unknown model {name!r}; expected logreg, mlp or cnn")
    model = model.to_empty(device="cpu")
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, nn.Linear | nn.Conv2d):
                fan_in = module.weight[0].numel()
                bound = 1.0 / math.sqrt(fan_in)
                module.weight.uniform_(-bound, bound, generator=generator)
                module.bias.uniform_(-bound, bound, generator=generator)
    return model
