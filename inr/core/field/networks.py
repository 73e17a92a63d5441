"""Coordinate networks: features (N, in_dim) -> rgb (N, 3)."""

import math
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class NetworkConfig:
    kind: str = "relu"  # "relu" (MLP) or "siren" (sine activations)
    width: int = 64  # hidden units; grids carry the detail, so the MLP can stay small
    depth: int = 2  # hidden layers
    omega0: float = 30.0  # SIREN's frequency of the first layer (the paper's default)
    # SIREN's frequency in every later sine (the paper's hidden ω, 30). Hidden weights start at
    # U(±√(6/n)/ω), so sin(ω·Wx) sees pre-activations of std ~1 at any depth. Files saved before
    # this field held 1.0 in effect (weights 30x too small: nearly linear hidden layers) and load so.
    hidden_omega: float = 30.0
    output: str = "linear"  # "linear" (clamped when rendered) or "sigmoid" (the papers' recipe)


class Sine(nn.Module):
    def __init__(self, omega: float):
        super().__init__()
        self.omega = omega

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sin(self.omega * x)


def _siren_init(layer: nn.Linear, first: bool, hidden_omega: float) -> None:
    # SIREN (Sitzmann et al. 2020, sec. 3.2 and supplement 1.5): a layer read through sin(ω·) starts
    # at U(±√(6/n)/ω), so ω·Wx has std ~1 and the sines' outputs stay arcsine-distributed at any
    # depth; the first layer spans [-1, 1] periods over the input, scaled by ω₀.
    fan_in = layer.in_features
    bound = 1 / fan_in if first else math.sqrt(6 / fan_in) / hidden_omega
    with torch.no_grad():
        layer.weight.uniform_(-bound, bound)
        layer.bias.uniform_(-1 / math.sqrt(fan_in), 1 / math.sqrt(fan_in))


class CoordinateNetwork(nn.Module):
    """An MLP with ReLU or sine activations and a linear or sigmoid output."""

    def __init__(self, in_dim: int, cfg: NetworkConfig):
        super().__init__()
        if cfg.kind not in ("relu", "siren"):
            raise ValueError(f"network kind must be relu or siren, got {cfg.kind!r}")
        if cfg.output not in ("linear", "sigmoid"):
            raise ValueError(f"network output must be linear or sigmoid, got {cfg.output!r}")
        if cfg.width < 1 or cfg.depth < 0:
            raise ValueError(f"network needs width >= 1 and depth >= 0, got {cfg.width} and {cfg.depth}")
        layers, dim = [], in_dim
        for i in range(cfg.depth):
            linear = nn.Linear(dim, cfg.width)
            if cfg.kind == "siren":
                _siren_init(linear, first=i == 0, hidden_omega=cfg.hidden_omega)
                layers += [linear, Sine(cfg.omega0 if i == 0 else cfg.hidden_omega)]
            else:
                layers += [linear, nn.ReLU()]
            dim = cfg.width
        head = nn.Linear(dim, 3)
        if cfg.kind == "siren":
            _siren_init(head, first=cfg.depth == 0, hidden_omega=cfg.hidden_omega)
        layers.append(head)
        if cfg.output == "sigmoid":
            layers.append(nn.Sigmoid())
        self.net = nn.Sequential(*layers)
        # A linear head predicts rgb around mid-grey from the first step, not around 0.
        self.offset = 0.5 if cfg.output == "linear" else 0.0

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x) + self.offset
