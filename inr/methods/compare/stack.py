"""Several coordinate MLPs trained as one batched model: Compare fits every σ (or every ω₀) at once.

The members share one network shape and differ in their input encoding (Gaussian Fourier
features of some σ, or raw coordinates) or, for SIREN, in the first layer's frequency ω₀. Their
weights are stacked, (K, in, out) per layer, and
every layer after the first is one batched matrix product (``baddbmm``) for all K networks: one
loop, one backward pass and one optimizer step train them all, on the same random pixels.

A member trained here is the network that fitting it alone would give: ``stack`` starts from the
members' own initial weights, every member's loss reaches only its own weights, and Adam's
update does not depend on the 1/K with which the mean over members scales each gradient. (The
tests check this against a solo fit.) ``member(k)`` hands back an ordinary ``Field``, so
rendering, scoring and saving a member need nothing new.
"""

import dataclasses

import torch
from torch import nn

from inr.core.encodings import build_encoding
from inr.core.field import Field, ModelConfig
from inr.core.networks import NetworkConfig


class FieldStack(nn.Module):
    """K single-clip MLPs of one shape (ReLU, or SIREN with ω₀ each its own), each with its own
    encoding: (N, 3) -> rgb (K, N, 3)."""

    def __init__(self, configs: list[ModelConfig]):
        super().__init__()
        if not configs:
            raise ValueError("a stack needs at least one member")
        network = configs[0].network
        for cfg in configs:
            if cfg.clips != 1:
                raise ValueError(f"stack members hold one clip each, got clips={cfg.clips}")
            if not stackable(cfg.network, network):
                raise ValueError("stack members need one network shape (ReLU, or SIREN whose ω₀ may differ); got "
                                 f"{network} and {cfg.network}")
        self.configs = list(configs)
        self.network = network
        # SIREN's first activation is sin(ω₀ x), each member's own ω₀; the later ones are sin(x).
        self.register_buffer("omegas", torch.tensor([c.network.omega0 for c in configs]).view(-1, 1, 1),
                             persistent=False)
        self.encoding = nn.ModuleList(build_encoding(cfg.encoding) for cfg in configs)
        self.latents = nn.Parameter(torch.zeros(1, 0))  # one clip, no code: the fit loop's interface
        dims = [max(e.out_dim for e in self.encoding)] + [network.width] * network.depth + [3]
        count = len(configs)
        self.weights = nn.ParameterList(nn.Parameter(torch.zeros(count, i, o)) for i, o in zip(dims, dims[1:]))
        self.biases = nn.ParameterList(nn.Parameter(torch.zeros(count, 1, o)) for o in dims[1:])
        self.offset = 0.5 if network.output == "linear" else 0.0

    @staticmethod
    def stack(fields: list[Field]) -> "FieldStack":
        """A stack starting from these fields' weights (copied; the fields are left as they are)."""
        stack = FieldStack([f.cfg for f in fields])
        stack.to(next(fields[0].parameters()).device)
        with torch.no_grad():
            for k, field in enumerate(fields):
                for layer, weight, bias in zip(_linears(field), stack.weights, stack.biases):
                    weight[k, :layer.in_features] = layer.weight.T  # rows past a narrow encoding stay 0
                    bias[k, 0] = layer.bias
        return stack

    def member(self, k: int) -> Field:
        """Member k as an ordinary Field, holding a copy of its weights now."""
        if not 0 <= k < len(self.configs):
            raise ValueError(f"member index must be in 0..{len(self.configs) - 1}, got {k}")
        field = Field(self.configs[k]).to(self.latents.device)
        with torch.no_grad():
            for layer, weight, bias in zip(_linears(field), self.weights, self.biases):
                layer.weight.copy_(weight[k, :layer.in_features].T)
                layer.bias.copy_(bias[k, 0])
        return field

    def members(self) -> list[Field]:
        return [self.member(k) for k in range(len(self.configs))]

    def forward(self, coords: torch.Tensor, codes: torch.Tensor | None = None) -> torch.Tensor:
        """coords (N, 3) in [-1, 1] -> rgb (K, N, 3). `codes` is accepted for the fit loop and unused."""
        # The first layer member by member: each reads only the rows of its own encoding's width
        # (raw coordinates need 3 of the 512), so a narrow member costs what it costs alone.
        weight, bias = self.weights[0], self.biases[0]
        h = torch.stack([torch.addmm(bias[k, 0], enc(coords), weight[k, :enc.out_dim])
                         for k, enc in enumerate(self.encoding)])  # (K, N, width)
        for layer, (weight, bias) in enumerate(zip(self.weights[1:], self.biases[1:])):
            h = torch.baddbmm(bias, self._activation(h, layer == 0), weight)  # (K, N, out): all members at once
        return torch.sigmoid(h) if self.network.output == "sigmoid" else h + self.offset

    def _activation(self, h: torch.Tensor, first: bool) -> torch.Tensor:
        if self.network.kind == "relu":
            return torch.relu(h)
        return torch.sin(self.omegas * h if first else h)


def stackable(a: NetworkConfig, b: NetworkConfig) -> bool:
    """Whether fields with these networks train as one stack: one shape, ReLU or SIREN (ω₀ may differ)."""
    if a.kind not in ("relu", "siren"):
        return False
    return dataclasses.replace(a, omega0=0.0) == dataclasses.replace(b, omega0=0.0) if a.kind == "siren" else a == b


def _linears(field: Field) -> list[nn.Linear]:
    return [m for m in field.network.net if isinstance(m, nn.Linear)]
