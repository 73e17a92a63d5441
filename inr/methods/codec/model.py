"""The neural codec's model: quantised latent grids, read through a spline, and a small synthesis.

A clip (T, H, W) is described by a few latent grids, one channel each, at coarser and coarser
resolutions in (t, y, x) (C3, Cool-chic). Each grid is read at every pixel through the separable
cubic B-spline of ``inr.core.field.encodings`` (three small matrix products per level: whole frames at a
time), and a per-pixel network turns the L values into RGB; an optional 3x3 convolution then
refines each frame. Only integers are stored: each latent is rounded to a whole number, which the
entropy model (``entropy.py``) prices and the range coder writes.

While training, rounding is replaced by uniform noise (a differentiable stand-in with the same
error statistics), then by rounding with a straight-through gradient, then latents are frozen at
their rounded values while the networks adapt (``QUANTISERS``).
"""

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from inr.core.field.encodings import interpolation_matrix

# Latent values are integers in [-LATENT_MAX, LATENT_MAX]: what the range coder's alphabet covers.
LATENT_MAX = 255
QUANTISERS = ("noise", "round", "frozen")  # training's three stages, in order


@dataclass(frozen=True)
class CodecConfig:
    """A codec model for a clip of `shape` (T, H, W); saved in every file's header."""

    shape: tuple[int, int, int]
    # Down-sampling factors (t, y, x) of each latent grid against the clip; one channel each. The
    # finest is half the clip's size per side: the B-spline and the 3x3 refinement carry detail
    # between its nodes. A grid on the clip's own lattice (C3's and Cool-chic's finest) costs 4x
    # the latents and the time of all the others together, and on a CPU budget dropping it gained
    # more than it cost (docs/codec.md, ablations). Coarse time factors let a still background be
    # sent once for several frames.
    levels: tuple[tuple[int, int, int], ...] = ((1, 2, 2), (1, 4, 4), (2, 8, 8), (4, 16, 16), (8, 32, 32))
    hidden: tuple[int, ...] = (16, 16)  # synthesis widths: Cool-chic's networks are this small
    refine: bool = True  # a residual 3x3 convolution over each synthesised frame
    arm_hidden: int = 16  # the entropy model's one hidden layer
    context: bool = True  # the entropy model reads each latent's neighbours (off: one Laplace per grid)

    def __post_init__(self):
        if len(self.shape) != 3 or min(self.shape) < 1:
            raise ValueError(f"shape must be (frames, height, width) >= 1, got {self.shape}")
        if not self.levels or any(len(f) != 3 or min(f) < 1 for f in self.levels):
            raise ValueError(f"levels must be (t, y, x) factors >= 1, got {self.levels}")

    def grid_shapes(self) -> list[tuple[int, int, int]]:
        return [tuple(math.ceil(n / f) for n, f in zip(self.shape, factors)) for factors in self.levels]

    @property
    def latents(self) -> int:
        return sum(math.prod(s) for s in self.grid_shapes())


# From this target size up, the codec also keeps a grid on the clip's own lattice: without it the
# model cannot spend much more than ~0.2 bpp (jelly at 0.4 bpp: 0.25), with it the rate can grow.
FULL_GRID_BPP = 0.3


def levels_for(bpp: float | None) -> tuple[tuple[int, int, int], ...]:
    """The latent grids for a target size: the default, plus a full-resolution grid from FULL_GRID_BPP."""
    levels = CodecConfig.__dataclass_fields__["levels"].default
    return ((1, 1, 1), *levels) if bpp is not None and bpp >= FULL_GRID_BPP else levels


def centres(n: int) -> torch.Tensor:
    """Centres of n equal cells over [-1, 1]: pixel centres, or a coarse grid's node positions (n,)."""
    return (torch.arange(n, dtype=torch.float32) * 2 + 1) / n - 1


def upsampler(pixels: int, nodes: int) -> torch.Tensor | None:
    """(pixels, nodes) B-spline read of a grid of `nodes` cells at `pixels` pixel centres; None for identity."""
    if nodes == pixels:
        return None
    span = (-1 + 1 / nodes, 1 - 1 / nodes)  # node j sits at the centre of coarse cell j
    return interpolation_matrix(centres(pixels), nodes, "cubic", span)


def quantise(latent: torch.Tensor, mode: str, generator: torch.Generator | None = None) -> torch.Tensor:
    """The latent as training sees it in `mode` (see QUANTISERS); integers when rounded."""
    latent = latent.clamp(-LATENT_MAX, LATENT_MAX)
    if mode == "noise":
        noise = torch.rand(latent.shape, generator=generator, device=latent.device) - 0.5
        return latent + noise
    if mode == "round":
        return latent + (latent.round() - latent).detach()
    if mode == "frozen":
        return latent.detach().round()
    raise ValueError(f"quantiser must be one of {', '.join(QUANTISERS)}, got {mode!r}")


class Synthesis(nn.Module):
    """Per-pixel network from L latent values to RGB, then an optional residual 3x3 convolution."""

    def __init__(self, inputs: int, hidden: tuple[int, ...], refine: bool):
        super().__init__()
        widths = (inputs, *hidden, 3)
        self.layers = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths, widths[1:]))
        self.refine = nn.Conv2d(3, 3, 3, padding=1, padding_mode="replicate") if refine else None
        if self.refine is not None:
            nn.init.zeros_(self.refine.weight)  # starts as the identity
            nn.init.zeros_(self.refine.bias)

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        """features (k, H, W, L) -> rgb (k, H, W, 3), about [0, 1] (not clamped: the loss sees it raw)."""
        h = features
        for i, layer in enumerate(self.layers):
            h = layer(h)
            if i < len(self.layers) - 1:
                h = F.gelu(h)
        rgb = h + 0.5
        if self.refine is not None:
            x = rgb.permute(0, 3, 1, 2)
            rgb = (x + self.refine(x)).permute(0, 2, 3, 1)
        return rgb


class CodecModel(nn.Module):
    """Latent grids (one parameter per level, in integer units) and the synthesis that reads them."""

    def __init__(self, cfg: CodecConfig):
        super().__init__()
        self.cfg = cfg
        self.latents = nn.ParameterList(nn.Parameter(torch.zeros(s)) for s in cfg.grid_shapes())  # each (Tl, Hl, Wl)
        self.synthesis = Synthesis(len(cfg.levels), cfg.hidden, cfg.refine)
        self._readers = [tuple(upsampler(n, m) for n, m in zip(cfg.shape, s)) for s in cfg.grid_shapes()]

    def start_from(self, frames: torch.Tensor) -> None:
        """Start the synthesis at the clip's mean colour (frames (T, H, W, 3) in [0, 1]), so the first
        steps go to detail instead of to finding the average."""
        with torch.no_grad():
            self.synthesis.layers[-1].bias.copy_(frames.mean(dim=(0, 1, 2)) - 0.5)

    def read(self, grids: list[torch.Tensor], frames: torch.Tensor) -> torch.Tensor:
        """Every level's value at every pixel of `frames` (k,): (k, H, W, L).

        Each axis is one plain matrix product (a batched einsum is several times slower on a CPU).
        """
        k, (_, height, width) = len(frames), self.cfg.shape
        out = []
        for grid, (mt, my, mx) in zip(grids, self._readers):
            rt, ry, rx = grid.shape
            g = grid[frames] if mt is None else (mt.to(grid.device)[frames] @ grid.reshape(rt, -1)).view(k, ry, rx)
            if mx is not None:
                g = (g.reshape(-1, rx) @ mx.to(grid.device).T).view(k, ry, width)
            if my is not None:
                g = (my.to(grid.device) @ g.transpose(0, 1).reshape(ry, -1)).view(height, k, width).transpose(0, 1)
            out.append(g)
        return torch.stack(out, dim=-1)

    def decode(self, grids: list[torch.Tensor], frames: torch.Tensor) -> torch.Tensor:
        """RGB of `frames` (k,) from these (quantised) grids: (k, H, W, 3)."""
        return self.synthesis(self.read(grids, frames))

    def rounded(self) -> list[torch.Tensor]:
        """The latents as the file stores them: integers (as floats), clamped to the alphabet."""
        return [quantise(g, "frozen") for g in self.latents]
