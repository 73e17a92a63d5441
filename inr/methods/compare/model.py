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

import numpy as np
import torch
from torch import nn

from inr.core.evaluate.metrics import mse_to_psnr, psnr_to_mse
from inr.core.field.encodings import build_encoding
from inr.core.field.model import Field, ModelConfig
from inr.core.field.networks import NetworkConfig
from inr.core.field.pixels import PixelSet
from inr.core.train.fit import FitConfig, field_trainer, full_psnr, preview_frame, probe_psnr
from inr.core.train.loop import Record, Scores, Trainer
from inr.core.train.run import Run


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
        return torch.sin(self.omegas * h if first else self.network.hidden_omega * h)


def stackable(a: NetworkConfig, b: NetworkConfig) -> bool:
    """Whether fields with these networks train as one stack: one shape, ReLU or SIREN (ω₀ may differ)."""
    if a.kind not in ("relu", "siren"):
        return False
    return dataclasses.replace(a, omega0=0.0) == dataclasses.replace(b, omega0=0.0) if a.kind == "siren" else a == b


def _linears(field: Field) -> list[nn.Linear]:
    return [m for m in field.network.net if isinstance(m, nn.Linear)]


# ---------------------------------------------------------------- training a stack on the one loop

def stack_trainer(stack: FieldStack, data: PixelSet, cfg: FitConfig,
                  clips: list[np.ndarray] | None = None) -> Trainer:
    """The stack's step (the field fit's own: its loss is the mean over members) and its scoring:
    each member as the ordinary Field it hands back, on 1/K of the probe frames while live, then
    pooled into one curve point (the PSNR of the members' mean squared error)."""
    step = field_trainer(stack, data, cfg, clips).step

    def score(final: bool, preview: bool) -> Scores:
        fields = stack.members()
        scores = tuple(full_psnr(f, data, clips) if final else probe_psnr(f, data, len(fields)) for f in fields)
        train, heldout = pooled(scores)
        return Scores(train, heldout, preview_frame(fields[0], data) if preview else None, scores)

    return Trainer(step, score)


def pooled(scores: tuple[tuple[float, float | None], ...]) -> tuple[float, float | None]:
    """One (train, held-out) PSNR for several members: the PSNR of their mean squared error."""
    if len(scores) == 1:
        return scores[0]
    pools = []
    for column in zip(*scores):
        pools.append(None if None in column else mse_to_psnr(sum(psnr_to_mse(v) for v in column) / len(column)))
    return pools[0], pools[1]


def member_histories(run: Run) -> list[list[Record]]:
    """Each member's curve of a stacked run (the run's own curve otherwise): its scores; its share of
    the time (1/K of the stack's seconds, so steps a second K times the stack's); and for a loss, the
    mean squared error of its training-pixel score (the stack's step loss is the members' mean)."""
    if not isinstance(run.model, FieldStack):
        return [run.history]
    count = len(run.model.configs)
    return [[dataclasses.replace(r, train_psnr=r.members[k][0], heldout_psnr=r.members[k][1], members=(),
                                 loss=psnr_to_mse(r.members[k][0]), seconds=r.seconds / count,
                                 steps_per_second=r.steps_per_second * count)
             for r in run.history] for k in range(count)]


def members(run: Run) -> list[Run]:
    """A stacked run as one ordinary Run per member: its weights now, its curve."""
    if not isinstance(run.model, FieldStack):
        return [run]
    return [dataclasses.replace(run, model=f, history=h, optimizer=None, make_trainer=None)
            for f, h in zip(run.model.members(), member_histories(run))]
