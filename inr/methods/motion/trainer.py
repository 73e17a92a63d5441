"""The motion field's temporal consistency: a point keeps its colour where the flow carries it.

For a random gap k that has motion, the field at every pixel of key frame k (held-out pixels
included) is asked to equal key frame k+1 where the forward flow moves that pixel, weighted by how
well the forward and backward flows agree there (a Gaussian of their disagreement, σ = half a
pixel: occluded and mistracked pixels drop out) and only inside the frame. A point seen at another
sub-pixel position in the next frame thus tells the field about pixels it never trained on.
``--temporal W`` sets its weight for the motion arch (the straight-in-time prior of priors.py is
what other fields get); bench/motion_ablations.py measures it.
"""

import dataclasses

import numpy as np
import torch

from inr.core import loop
from inr.core.coords import frame_times, pixel_centres
from inr.core.field import Field
from inr.core.fit import FitConfig, field_trainer
from inr.core.pixels import PixelSet
from inr.methods.motion.flow import disagreement, sample

AGREEMENT_PIXELS = 0.5  # σ of the forward-backward weight, in pixels


def moving_gaps(model: Field) -> list[int]:
    """Gaps whose flow is not zero (the others blend: a cut, or no motion)."""
    flows = model.encoding.flows
    return torch.nonzero(flows.flatten(1).abs().amax(1) > 0).view(-1).tolist()


def consistency(model: Field, gap: int, height: int, width: int) -> torch.Tensor:
    """The weighted squared difference between key frame `gap` and key frame gap+1 moved back along the flow."""
    grid = model.encoding
    device = grid.flows.device
    y, x = pixel_centres(height, device), pixel_centres(width, device)
    points = torch.stack(torch.meshgrid(x, y, indexing="xy"), -1)  # (H, W, 2) as (x, y)
    moved, miss = disagreement(grid.flows[gap, 0], grid.flows[gap, 1], points, (height, width))
    trust = torch.exp(-(miss / AGREEMENT_PIXELS) ** 2) * (moved.abs() <= 1).all(-1)
    both = model.lattice(frame_times(grid.keys, device)[[gap, gap + 1]], y, x, model.latents[0])  # (2, H, W, 3)
    later = sample(both[1].permute(2, 0, 1), moved)
    return (trust[..., None] * (both[0] - later) ** 2).mean()


def motion_trainer(model: Field, data: PixelSet, cfg: FitConfig, clips: list[np.ndarray] | None = None) -> loop.Trainer:
    """The field's own step and scoring, plus ``cfg.temporal`` times the consistency of one random moving gap."""
    base = field_trainer(model, data, dataclasses.replace(cfg, temporal=0.0), clips)
    gaps = moving_gaps(model) if cfg.temporal else []
    _, height, width = (int(v) for v in data.masks[0].shape)
    draw = torch.Generator().manual_seed(cfg.seed)
    grid = model.encoding

    def step(progress: float) -> torch.Tensor:
        grid.at_keys = True  # every read of a step is at key instants: no device check needed
        try:
            loss = base.step(progress)
            if gaps:
                gap = gaps[int(torch.randint(len(gaps), (1,), generator=draw))]
                loss = loss + cfg.temporal * consistency(model, gap, height, width)
            return loss
        finally:
            grid.at_keys = False

    return loop.Trainer(step, base.score)
