"""Fitting a Latent-INR model to a clip on the engine's one loop (``core/train/loop.py``): whole
frames a step, since the planes are read once for the whole lattice.
"""

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from inr.core.evaluate.metrics import mse_to_psnr
from inr.core.field.coords import pixel_centres
from inr.core.train import loop
from inr.core.train.loop import Record
from inr.methods.latent_inr.model import FrameLatents, LatentConfig, interpolate


@dataclass(frozen=True)
class LatentFitConfig:
    steps: int | None = None  # stop after this many steps ...
    seconds: float | None = 60.0  # ... or this much wall time: ~1 min is a useful fit on 2 CPU cores
    frames_per_step: int = 4  # whole frames a step; they share one read of the planes
    lr: float = 1e-2  # MLP and hypernetwork
    plane_lr: float = 2e-2  # planes learn fastest at ~10x the network's rate (as grids do)
    latent_lr: float = 1e-2  # codes see one frame's gradient each: a higher rate than the weights
    final_lr_ratio: float = 0.1  # exponential decay to this share of each rate by the end ...
    decay_from: float = 0.5  # ... starting at this share of the budget: codes and planes first need full rates
    seed: int = 0  # frame order
    log_seconds: float = 0.5  # a Record at most this often
    preview_seconds: float | None = None  # a preview frame at most this often (None: never)

    def __post_init__(self):
        loop.check_budget(self.steps, self.seconds, "a fit")
        if not (0 <= self.decay_from < 1):
            raise ValueError(f"decay_from must be in [0, 1), got {self.decay_from}")
        if self.frames_per_step < 1:
            raise ValueError(f"frames_per_step must be >= 1, got {self.frames_per_step}")


def make_model(frames: np.ndarray, **overrides) -> FrameLatents:
    """A fresh model sized for uint8 frames (T, H, W, 3); config fields may be overridden."""
    if not (isinstance(frames, np.ndarray) and frames.ndim == 4 and frames.shape[3] == 3 and frames.dtype == np.uint8):
        raise ValueError(f"frames must be a uint8 array (T, H, W, 3), got {getattr(frames, 'shape', type(frames))}")
    count, height, width = frames.shape[:3]
    torch.manual_seed(overrides.pop("seed", 0))  # the linear layers' init
    return FrameLatents(LatentConfig(frames=count, height=height, width=width, **overrides))


def _optimizer(model: FrameLatents, cfg: LatentFitConfig) -> torch.optim.Optimizer:
    weights = [p for n, p in model.named_parameters() if not n.startswith(("planes", "latents"))]
    return torch.optim.Adam([{"params": weights, "lr": cfg.lr},
                             {"params": list(model.planes.parameters()), "lr": cfg.plane_lr},
                             {"params": [model.latents], "lr": cfg.latent_lr}], betas=(0.9, 0.99), eps=1e-15)


@torch.no_grad()
def clip_psnr(model: FrameLatents, target: torch.Tensor, which: torch.Tensor | None = None) -> float:
    """PSNR (dB) of the model's frames against uint8 target (T, H, W, 3), on the frames `which`."""
    which = torch.arange(len(target)) if which is None else which
    height, width = target.shape[1:3]
    features = model.spatial_features(pixel_centres(height, target.device), pixel_centres(width, target.device))
    total = 0.0
    for group in which.split(8):
        pred = model.decode(model.latents[group], features).clamp(0, 1).view(len(group), height, width, 3)
        total += ((pred - target[group].float() / 255) ** 2).sum().item()
    return mse_to_psnr(total / (len(which) * height * width * 3))


def fit(model: FrameLatents, frames: np.ndarray, cfg: LatentFitConfig) -> Iterator[Record]:
    """Train `model` on uint8 frames (T, H, W, 3), whole frames at a time; yields ``loop.Record``s.

    Every pixel is a training pixel (a codec memorises its clip), so heldout_psnr is None. Live
    records score 4 probe frames; the last (final=True) scores every frame. Stop by not asking.
    """
    device = model.latents.device
    target = torch.from_numpy(np.ascontiguousarray(frames)).to(device)  # uint8 (T, H, W, 3)
    if tuple(target.shape[:3]) != (model.cfg.frames, model.cfg.height, model.cfg.width):
        raise ValueError(f"frames of shape {tuple(target.shape[:3])} do not match the model's "
                         f"{(model.cfg.frames, model.cfg.height, model.cfg.width)}")
    budget = loop.LoopConfig(cfg.steps, cfg.seconds, cfg.final_lr_ratio, cfg.decay_from,
                             log_seconds=cfg.log_seconds, preview_seconds=cfg.preview_seconds)
    model.train()
    yield from loop.train(_frames_trainer(model, target, cfg), _optimizer(model, cfg), budget)


def _frames_trainer(model: FrameLatents, target: torch.Tensor, cfg: LatentFitConfig) -> loop.Trainer:
    """The step (a few whole frames, one read of the planes) and the scoring, on uint8 target (T, H, W, 3)."""
    count, height, width = target.shape[:3]
    device = target.device
    probes = torch.linspace(0, count - 1, min(4, count)).round().long().unique()
    batches = _epochs(count, min(cfg.frames_per_step, count), torch.Generator().manual_seed(cfg.seed))
    ys, xs = pixel_centres(height, device), pixel_centres(width, device)

    def step(progress: float) -> torch.Tensor:
        which = loop.to_device(next(batches), device)  # drawn on the host: copied without a sync
        features = model.spatial_features(ys, xs)  # (H * W, F): one read for all frames of the step
        pred = model.decode(model.latents[which], features)  # (n, H * W, 3)
        return F.mse_loss(pred, target[which].view(len(which), -1, 3).float() / 255)

    def score(final: bool, preview: bool) -> loop.Scores:
        model.eval()
        train = clip_psnr(model, target, None if final else probes)
        frame = interpolate(model, count // 2, count // 2, 0.0) if preview else None
        model.train()
        return loop.Scores(train, None, frame)

    return loop.Trainer(step, score)


def _epochs(count: int, per_step: int, generator: torch.Generator) -> Iterator[torch.Tensor]:
    """Frame indices (per_step,), batch after batch: each epoch visits every frame once, in a fresh order."""
    queue = torch.empty(0, dtype=torch.long)
    while True:
        if len(queue) < per_step:  # an epoch's last frames go with the next epoch's first
            queue = torch.cat([queue, torch.randperm(count, generator=generator)])
        which, queue = queue[:per_step], queue[per_step:]
        yield which
