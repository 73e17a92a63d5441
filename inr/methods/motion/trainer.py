"""How the motion field fits: the grid's step on each frame's own training pixels, plus its neighbours'.

``FitConfig.temporal`` weighs the neighbours' pixels moved along the flow (neighbours.py) against
the frames' own; the motion arch's fit settings set it (arch.py) and ``--temporal W`` changes it
(0: every frame on its own, as the grid). ``FitConfig.curvature`` adds the engine's smoothness prior
(priors.py). Both apply where the content holds positions the training pixels leave open (held-out
pixels, nodes finer than the training lattice); otherwise the fit is the grid's.
"""

import dataclasses

import numpy as np
import torch

from inr.core.field.model import Field
from inr.core.field.pixels import PixelSet
from inr.core.train import loop
from inr.core.train.fit import FitConfig, field_trainer
from inr.methods.motion import neighbours

# Key/neighbour pairs a step: each renders a key frame on the pixel lattice, the step's main cost.
PAIRS = 3


def moving_gaps(model: Field) -> list[int]:
    """Gaps whose flow is not zero (the others blend: a cut, or no motion)."""
    flows = model.encoding.flows
    return torch.nonzero(flows.flatten(1).abs().amax(1) > 0).view(-1).tolist()


def motion_trainer(model: Field, data: PixelSet, cfg: FitConfig, clips: list[np.ndarray] | None = None) -> loop.Trainer:
    """The field's own step and scoring, plus ``cfg.temporal`` times the neighbours' pixels of PAIRS random keys."""
    frames, lattice = data.clip_frames(0), data.lattices[0]
    # The neighbours fill what a frame's own pixels do not pin; fitted on every pixel with nodes no
    # finer (holdout none, as for new frames between them), each frame pins them all, and the
    # neighbours and the curvature that keeps their fill smooth have nothing to add but cost.
    shared = _fills(model, lattice)
    base = field_trainer(model, data, dataclasses.replace(cfg, temporal=0.0, curvature=cfg.curvature if shared else 0.0), clips)
    gaps = moving_gaps(model) if cfg.temporal and shared else []
    draw = torch.Generator().manual_seed(cfg.seed + 1)
    grid = model.encoding

    def step(progress: float) -> torch.Tensor:
        grid.at_keys = True  # every read of a step is at key instants: no device check needed
        try:
            loss = base.step(progress)
            if gaps:
                keys, others = neighbours.pairs(PAIRS, gaps, draw)
                loss = loss + cfg.temporal * neighbours.loss(model, frames, lattice, keys, others)
            return loss
        finally:
            grid.at_keys = False

    return loop.Trainer(step, base.score)


def _fills(model: Field, lattice) -> bool:
    """Whether the content holds positions its frames' training pixels leave open: held-out pixels
    (a masked lattice), or content nodes finer than the training lattice (every2; a shrunk clip)."""
    _, rows, cols = model.encoding.content.resolutions[-1]
    return lattice.mask is not None or rows > len(lattice.rows) or cols > len(lattice.cols)
