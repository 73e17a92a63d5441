"""The entropy model: what each latent integer costs, given what the decoder already has.

Each latent is priced by a Laplace distribution whose mean and scale a tiny network (the ARM,
after Cool-chic's auto-regressive model) predicts from a context the decoder knows before it reads
that latent:

- the 3x3 neighbourhood at the same place in the previous time slice of the same grid (a still
  background costs almost nothing the second time), and
- the 3x3 neighbourhood of the nearest node of the next coarser grid (decoded before this one).

Neither needs a neighbour in the same slice, so the decoder reads a whole slice at once: one
vectorised range-decoder call per slice instead of one per latent.

The file's probabilities must be computed bit for bit the same by the encoder and every decoder.
So the ARM that writes the file runs in integers: its weights are fixed-point (``ARM_BITS``
fractional bits), its inputs are the latent integers, and its outputs are rounded to a mean in
1/16 steps and a scale index into a fixed table. Integer sums do not depend on the order of
addition, so threads, processes and machines agree. Training uses the same network in floating
point.
"""

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

CONTEXT = 18  # 9 from the previous slice, 9 from the coarser grid
ARM_BITS = 8  # fractional bits of the ARM's fixed-point weights
WEIGHT_LIMIT = 2**15 - 1  # fixed-point weights are clamped to this: |w| < 128, far beyond what training gives
MEAN_STEPS = 16  # the coded mean is a multiple of 1/16
LOG_SCALE_RANGE = (-3.0, 4.0)  # Laplace scale b in [0.05, 55]: from "certainly this value" to "anything"
SCALE_STEPS = 16  # the coded log-scale is a multiple of 1/16
SCALE_TABLE = np.exp(np.arange(round(LOG_SCALE_RANGE[0] * SCALE_STEPS), round(LOG_SCALE_RANGE[1] * SCALE_STEPS) + 1)
                     / SCALE_STEPS)  # scale of each index, from the lowest


def neighbourhood(grid: torch.Tensor) -> torch.Tensor:
    """The 3x3 neighbourhood (zero outside) of every node of grid (T, H, W): (T, H, W, 9), row-major."""
    _, height, width = grid.shape
    padded = F.pad(grid, (1, 1, 1, 1))
    return torch.stack([padded[:, dy:dy + height, dx:dx + width] for dy in range(3) for dx in range(3)], dim=-1)


def previous(grid: torch.Tensor, slices: torch.Tensor) -> torch.Tensor:
    """The predecessor in time of each slice in `slices` (t,) (zeros before the first): (t, H, W)."""
    before = grid[(slices - 1).clamp(min=0)]
    return before * (slices > 0).to(grid.dtype)[:, None, None]


def as_slices(grid: torch.Tensor, slices) -> torch.Tensor:
    """Time slices as an index tensor: `slices` may be None (all), a list or a tensor."""
    if slices is None:
        return torch.arange(len(grid), device=grid.device)
    return torch.as_tensor(slices, device=grid.device)


def parent_index(n: int, m: int, device=None) -> torch.Tensor:
    """For each of n nodes of a fine axis, the nearest of m nodes of the coarse one (cell centres)."""
    return ((torch.arange(n, device=device) * 2 + 1) * m // (2 * n)).clamp(max=m - 1)


def context(grid: torch.Tensor, coarse: torch.Tensor | None, slices=None) -> torch.Tensor:
    """Context of the nodes of grid (T, H, W) in time slices `slices` (None: all): (t, H, W, CONTEXT).

    Only values the decoder has when it reads those slices are used: earlier slices of `grid`
    and the whole of `coarse` (the next coarser grid, or None for the coarsest).
    """
    slices = as_slices(grid, slices)
    before = neighbourhood(previous(grid, slices))
    if coarse is None:
        return torch.cat([before, torch.zeros_like(before)], dim=-1)
    t, y, x = (parent_index(n, m, coarse.device) for n, m in zip(grid.shape, coarse.shape))
    up = neighbourhood(coarse[t[slices]])[:, y][:, :, x]
    return torch.cat([before, up], dim=-1)


class ARM(nn.Module):
    """Context (..., CONTEXT) of a latent of grid `index` -> (mean, log-scale) of its Laplace distribution.

    One network serves every grid; each grid adds its own learned offset to the two outputs (grids
    of different resolutions have different spreads). With ``context`` off the network sees zeros:
    one Laplace per grid, the ablation that shows what the context buys.

    ``level`` computes the same function over whole slices with two 3x3 convolutions (one over the
    previous slice, one over the coarser grid) instead of materialising the context: several
    times faster, which is what makes pricing every latent at every training step affordable.
    """

    def __init__(self, hidden: int, levels: int, context: bool = True):
        super().__init__()
        self.context = context
        self.inner = nn.Linear(CONTEXT, hidden)
        self.outer = nn.Linear(hidden, 2)
        self.offsets = nn.Parameter(torch.zeros(levels, 2))  # per grid: (mean, log-scale)
        nn.init.zeros_(self.outer.weight)
        nn.init.zeros_(self.outer.bias)  # start as "zero, with scale 1": neither free nor ruinous

    def head(self, h: torch.Tensor, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        out = self.outer(F.relu(h)) + self.offsets[index]
        return out[..., 0], out[..., 1].clamp(*LOG_SCALE_RANGE)

    def forward(self, ctx: torch.Tensor, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.head(self.inner(ctx if self.context else torch.zeros_like(ctx)), index)

    def level(self, grid: torch.Tensor, coarse: torch.Tensor | None, slices=None,
              index: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
        """(mean, log-scale) of the nodes of grid `index` (T, H, W) in `slices`, each (t, H, W); = forward(context(...))."""
        hidden = self.inner.out_features
        slices = as_slices(grid, slices)
        if not self.context:
            h = self.inner.bias.expand(len(slices), *grid.shape[1:], hidden)
            return self.head(h, index)
        kernels = self.inner.weight.view(hidden, 2, 3, 3)
        h = F.conv2d(previous(grid, slices)[:, None], kernels[:, :1], padding=1).permute(0, 2, 3, 1)  # (t, H, W, hidden)
        if coarse is not None:
            t, y, x = (parent_index(n, m, coarse.device) for n, m in zip(grid.shape, coarse.shape))
            up = F.conv2d(coarse[t[slices]][:, None], kernels[:, 1:], padding=1)  # (t, hidden, Hc, Wc)
            up = up.permute(0, 2, 3, 1).reshape(len(up), -1, hidden)  # channels last: a gather copies rows
            near = (y[:, None] * coarse.shape[2] + x[None, :]).reshape(-1)
            h = h + up.index_select(1, near).view(h.shape)
        return self.head(h + self.inner.bias, index)


def make_arm(cfg) -> ARM:
    """The entropy model of a codec config (``model.CodecConfig``)."""
    return ARM(cfg.arm_hidden, len(cfg.levels), cfg.context)


def laplace_bits(values: torch.Tensor, mean: torch.Tensor, log_scale: torch.Tensor) -> torch.Tensor:
    """-log2 of the probability a Laplace(mean, exp(log_scale)) gives the unit bin around each value.

    Written for numerical safety: the mass of a bin in a tail is computed from its log, so far-off
    values cost many bits instead of infinitely many.
    """
    scale = log_scale.exp()
    d = (values - mean).abs()
    inside = d < 0.5  # the bin holds the mode
    tail_log = math.log(0.5) - (d - 0.5).clamp(min=0) / scale + torch.log1p(-torch.exp(-1 / scale).clamp(max=1 - 1e-7))
    # Exponents are kept above -50: far smaller values would be subnormal floats, which a CPU
    # computes tens of times slower (and whose contribution is nil anyway).
    centre = 1 - 0.5 * torch.exp(-((0.5 - d).clamp(min=0) / scale).clamp(max=50)) \
        - 0.5 * torch.exp(-((0.5 + d) / scale).clamp(max=50))
    nats = torch.where(inside, torch.log(centre.clamp(min=1e-9)), tail_log)
    return -nats / math.log(2)


def grid_bits(arm: ARM, grids: list[torch.Tensor], frames: torch.Tensor | None = None) -> torch.Tensor:
    """Estimated bits of all latent grids (finest first), each priced in its context: a 0-dim tensor.

    With `frames` (k,) of a clip of T frames, grids with one slice per frame are priced on those
    slices only and scaled by T / k: an unbiased estimate at k/T of the cost.
    """
    total = grids[0].new_zeros(())
    count = len(grids[0])
    for level, grid in enumerate(grids):
        coarse = grids[level + 1] if level + 1 < len(grids) else None
        sampled = frames is not None and len(grid) == count
        slices = frames if sampled else None
        mean, log_scale = arm.level(grid, coarse, slices, level)
        bits = laplace_bits(grid if slices is None else grid[slices], mean, log_scale).sum()
        total = total + (bits * (count / len(frames)) if sampled else bits)
    return total


# ---------------------------------------------------------------- the exact (integer) ARM of the file

def fixed_point(arm: ARM) -> dict[str, torch.Tensor]:
    """The ARM's weights as the file stores them: integers, ARM_BITS fractional bits (int64)."""
    unit = 2 ** ARM_BITS
    return {name: (p.detach().double().cpu() * unit).round().clamp(-WEIGHT_LIMIT, WEIGHT_LIMIT).long()
            for name, p in arm.state_dict().items()}


def integer_params(weights: dict[str, torch.Tensor], grid: torch.Tensor, coarse: torch.Tensor | None,
                   slices=None, index: int = 0, context: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean index, scale index) of the latents of integer grid (T, H, W) in `slices`, flattened (t, y, x).

    mean = index / MEAN_STEPS; scale = SCALE_TABLE[scale index]. The network runs on integers only:
    the products are done in float64, which is exact here because every operand and partial sum is
    an integer below 2^53 (latents <= 2^8, weights <= 2^15, 18 and `hidden` terms a sum), so the
    order in which a BLAS adds them cannot change a bit. As in ``ARM.level``, the coarser grid's
    part of the first layer is computed once per coarse node and then gathered.
    """
    unit = 2 ** ARM_BITS
    inner = weights["inner.weight"].double().T.contiguous() * context  # (CONTEXT, hidden), scale unit
    slices = as_slices(grid, slices)
    h = neighbourhood(previous(grid, slices).double()) @ inner[:9]  # (t, H, W, hidden)
    if coarse is not None:
        t, y, x = (parent_index(n, m, coarse.device) for n, m in zip(grid.shape, coarse.shape))
        up = neighbourhood(coarse[t[slices]].double()) @ inner[9:]  # (t, Hc, Wc, hidden)
        near = (y[:, None] * coarse.shape[2] + x[None, :]).reshape(-1)
        h = h + up.reshape(len(up), -1, up.shape[-1]).index_select(1, near).view(h.shape)
    h = (h + weights["inner.bias"].double()).clamp(min=0).reshape(-1, inner.shape[1])
    bias = (weights["outer.bias"] + weights["offsets"][index]).double() * unit
    out = (h @ weights["outer.weight"].double().T + bias).long()  # scale unit^2
    shift = 2 * ARM_BITS - 4  # unit^2 -> 1/16 steps (MEAN_STEPS = SCALE_STEPS = 16)
    rounded = (out + (1 << (shift - 1))) >> shift
    lo, hi = round(LOG_SCALE_RANGE[0] * SCALE_STEPS), round(LOG_SCALE_RANGE[1] * SCALE_STEPS)
    return rounded[:, 0], rounded[:, 1].clamp(lo, hi) - lo


def coding_params(weights: dict[str, torch.Tensor], grid: torch.Tensor, coarse: torch.Tensor | None,
                  slices=None, index: int = 0, context: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Means and scales (float64 arrays) the range coder uses for the latents of `slices`, flattened (t, y, x)."""
    mean, scale = integer_params(weights, grid, coarse, slices, index, context)
    return mean.numpy().astype(np.float64) / MEAN_STEPS, SCALE_TABLE[scale.numpy()]


def load_fixed_point(arm: ARM, weights: dict[str, torch.Tensor]) -> None:
    """Set a float ARM to exactly the fixed-point weights (what the file holds)."""
    unit = 2 ** ARM_BITS
    arm.load_state_dict({k: v.double().div(unit).float() for k, v in weights.items()})
