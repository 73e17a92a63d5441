"""Where a motion field's held-out gain comes from: the pixels that move against those that stand still.

A held-out pixel gains from its neighbours only where the flow carries their pixels to a sub-pixel
position near it; where nothing moves, the neighbours show the same positions as the frame itself
and the field can do no better than a rebuild from the frame's own pixels. Splitting the held-out
pixels by the field's own flow says which of the two a figure is made of.
"""

import torch

from inr.core.evaluate.baselines import rebuild
from inr.core.evaluate.metrics import mse_to_psnr
from inr.core.field.coords import pixel_centres
from inr.core.field.render import render_frames
from inr.core.train.run import Run
from inr.methods.motion.flow import sample
from inr.methods.motion.model import MotionGrid

MOVING_PIXELS = 0.25  # a pixel whose flow to a neighbouring frame is at least this long "moves"


def speeds(grid: MotionGrid, height: int, width: int) -> torch.Tensor:
    """How far, in pixels, each pixel of every key frame moves to its next frame (the last frame: to
    the one before): (T, H, W)."""
    flows = grid.flows.detach()
    if not len(flows):
        return torch.zeros(grid.keys, height, width)
    toward = torch.cat([flows[:, 0], flows[-1:, 1]])  # (T, 2, h, w): forward flows, then the last one back
    y, x = pixel_centres(height, flows.device), pixel_centres(width, flows.device)
    points = torch.stack(torch.meshgrid(x, y, indexing="xy"), -1).expand(len(toward), -1, -1, -1)
    shift = sample(toward, points) * torch.tensor([width / 2, height / 2], device=flows.device)
    return shift.norm(dim=-1).cpu()


def heldout_split(run: Run) -> dict | None:
    """Held-out PSNR of the field and of the bicubic rebuild on moving and on still pixels, with the
    moving share; None where there is nothing to split (not a motion field, no held-out pixels or no clip)."""
    if not isinstance(run.model.encoding, MotionGrid) or run.frames is None or run.data is None:
        return None
    clip, mask = run.frames[0], run.data.masks[0]
    heldout = ~mask
    if not heldout.any():
        return None
    truth = torch.from_numpy(clip).float() / 255
    field = torch.stack(list(render_frames(run.model, clip.shape[:3])))
    bicubic = rebuild(truth, mask, run.holdout, "bicubic").clamp(0, 1)
    moving = speeds(run.model.encoding, *clip.shape[1:3]) >= MOVING_PIXELS
    out = {"moving_share": float((moving & heldout).sum() / heldout.sum())}
    for name, where in (("moving", moving & heldout), ("still", ~moving & heldout)):
        if where.any():
            out[name] = {"inr_psnr": _psnr(field[where], truth[where]), "bicubic_psnr": _psnr(bicubic[where], truth[where])}
    return out


def _psnr(pred: torch.Tensor, truth: torch.Tensor) -> float:
    return mse_to_psnr(float(((pred - truth) ** 2).mean()))


def describe(split: dict) -> str:
    """One line: the held-out figures of moving and still pixels beside bicubic."""
    parts = []
    for name in ("moving", "still"):
        if name in split:
            share = split["moving_share"] if name == "moving" else 1 - split["moving_share"]
            s = split[name]
            parts.append(f"{name} pixels ({share:.0%}): {s['inr_psnr']:.2f} dB, bicubic {s['bicubic_psnr']:.2f} "
                         f"({s['inr_psnr'] - s['bicubic_psnr']:+.2f})")
    return "held-out gain by motion: " + "; ".join(parts)

