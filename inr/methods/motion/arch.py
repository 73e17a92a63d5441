"""The ``motion`` architecture: its model for a clip, its fit settings, and its flows set from the clip."""

import dataclasses
import math
import time

import cv2
import numpy as np
import torch
from torch import nn

from inr.core.field.model import ModelConfig
from inr.core.train import presets
from inr.methods.motion.flow import MIN_SIDE, gap_flows
from inr.methods.motion.model import MotionConfig, MotionGrid, flow_grid_size
from inr.methods.motion.trainer import motion_trainer

NAME = "motion"


def model_config(shapes: list[tuple[int, int, int]], holdout: str, sigma: float | None = None) -> ModelConfig:
    """The grid arch's content model for this clip, with its finest nodes on every pixel, plus a flow
    grid a quarter of its size a side.

    Where the grid trains on a lattice sparser than the pixels (``every2``), its nodes sit on that
    lattice; the motion field adds one level on every pixel, which the neighbours' pixels moved
    along the flow fill (neighbours.py), so the levels below stay where the grid has them.
    """
    if len(shapes) != 1:
        raise ValueError("the motion field fits one clip at a time (its flows belong to that clip): "
                         "blend several clips with another arch")
    grid = presets.model_config("grid", shapes, holdout)
    content = dataclasses.asdict(grid.encoding)
    content.pop("kind")
    frames, height, width = shapes[0]
    if tuple(content["finest"]) != (frames, height, width):
        content.update(finest=(frames, height, width), levels=content["levels"] + 1,
                       span=((-1.0, 1.0), presets.training_span(height, 1), presets.training_span(width, 1)))
    flow_height, flow_width = flow_grid_size(height, width)
    return ModelConfig(MotionConfig(**content, flow_height=flow_height, flow_width=flow_width), grid.network)


def upscale_config(low_shape: tuple[int, int, int], shape: tuple[int, int, int]) -> ModelConfig:
    """The motion field of a clip shrunk from `shape` to `low_shape`, its content nodes on every pixel
    of the original size (levels added on top): each frame's neighbours, moved along the flow, land
    at sub-pixel positions of it and fill detail the shrunk frames lack (multi-frame upscaling)."""
    cfg = model_config([low_shape], "none")
    height, width = shape[1:]
    extra = math.ceil(math.log2(max(height / low_shape[1], width / low_shape[2], 1)))
    return dataclasses.replace(cfg, encoding=dataclasses.replace(
        cfg.encoding, finest=(low_shape[0], height, width), levels=cfg.encoding.levels + extra,
        span=((-1.0, 1.0), presets.training_span(height, 1), presets.training_span(width, 1))))


def visible_frames(frames: np.ndarray, mask: torch.Tensor) -> np.ndarray:
    """uint8 frames made only of training pixels, for the flow: held-out pixels must not inform it.

    ``none``: the frames. ``every2``: the training lattice (half size). ``random``: held-out pixels
    filled from their neighbours by OpenCV's inpainting (Telea).
    """
    pattern = mask[0].numpy()
    if pattern.all():
        return frames
    rows, cols = pattern.any(1), pattern.any(0)
    if pattern[rows][:, cols].all():
        return np.ascontiguousarray(frames[:, rows][:, :, cols])
    hole = (~pattern).astype(np.uint8)
    return np.stack([cv2.inpaint(np.ascontiguousarray(f), hole, 2, cv2.INPAINT_TELEA) for f in frames])


def initialise(model: nn.Module, frames: list[np.ndarray], masks: list[torch.Tensor]) -> list[str]:
    """Set the model's flows from DIS optical flow on the clip's training pixels; notes for the person."""
    flows = model.encoding.flows
    clip = visible_frames(frames[0], masks[0])
    count = len(clip)
    if count < 2:
        return ["one frame: no motion to learn, so the motion field is the plain grid here"]
    if min(clip.shape[1:3]) < MIN_SIDE:
        return [f"frames under {MIN_SIDE} training pixels a side are too small for optical flow: "
                f"the motion field blends between frames like the grid"]
    start = time.perf_counter()
    found, still = gap_flows(clip, tuple(flows.shape[-2:]))
    with torch.no_grad():
        flows.copy_(found.to(flows.device))
    took = f"optical flow for {count - 1} frame gaps took {time.perf_counter() - start:.1f} s (before the fit)"
    if len(still) == count - 1:
        return [took, "no coherent motion between any two frames (a still clip, or cuts): the motion field "
                       "blends between frames like the grid"]
    if still:
        return [took, f"{len(still)} of {count - 1} frame gaps show no coherent motion (a cut or a still "
                      f"stretch): the field blends across those"]
    return [took]


# The grid's fit settings, but the learning rate decays to 2% (not 20%) by the end: new frames are
# read from the key frames, and with the grid's decay the last steps leave the keys wherever the
# seed puts them (docs/motion.md).
FINAL_LR_RATIO = 0.02


# Weight of the neighbours' pixels against each frame's own (FitConfig.temporal, neighbours.py), and
# of the curvature prior that keeps the nodes between pixels smooth where no neighbour lands: without
# it, held-out pixels fell under bicubic the longer jelly and carphone trained (the finest nodes
# memorise misplaced samples); see bench/multiframe.py and docs/motion.md.
NEIGHBOURS = 0.5
CURVATURE = 0.01


WHY = ("each frame is also fitted to its neighbours' pixels moved along the optical flow, so a point that moves "
       "is seen at more positions than one frame shows; it rebuilt held-out pixels best across the shared clips "
       "(bench/multiframe.py)")


# The motion field's row of the architecture table (inr/archs.py registers it): the grid's fit
# settings with its own learning-rate tail, neighbours and curvature.
ARCH = presets.Arch(
    model_config,
    {kind: {**presets.BUILTIN["grid"].fit[kind], "final_lr_ratio": FINAL_LR_RATIO, "temporal": NEIGHBOURS,
            "curvature": CURVATURE} for kind in ("cpu", "cuda")},
    initialise, motion_trainer, default_reason=WHY, encoding=(MotionConfig(), MotionGrid), upscale=upscale_config)
