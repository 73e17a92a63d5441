"""The field fit: a Field (or a model of its interface, as Compare's stack of MLPs) trained on a PixelSet, on the one loop.

``train_field`` yields ``loop.Record``s; this module supplies the loop its step (random pixels, or
whole frames for grids, plus the smoothness priors) and its scoring (probe frames live, every
pixel at the end).
"""

import math
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

from inr.core.evaluate.metrics import mse_to_psnr
from inr.core.field.coords import frame_times, pixel_centres
from inr.core.field.model import Field
from inr.core.field.pixels import MIN_PROBE_FRAMES, PixelSet, spread
from inr.core.field.render import render_frames
from inr.core.media.images import to_uint8
from inr.core.train import loop, priors
from inr.core.train.loop import PRECISIONS, Record


@dataclass(frozen=True)
class FitConfig:
    steps: int | None = None  # stop after this many steps ...
    seconds: float | None = 30.0  # ... or after this much wall time, whichever comes first
    batch: int = 2**15  # pixels a step; presets pick it per device
    lr: float = 1e-3  # network and latent codes
    encoding_lr: float | None = 1e-2  # grids learn fastest at ~10x the network's rate (instant-ngp)
    final_lr_ratio: float = 0.05  # exponential decay to this share of lr by the end of the budget
    seed: int = 0  # weights init, batch order and held-out split
    holdout: str = "every2"  # see holdout.py
    curvature: float = 0.0  # weight of the spatial smoothness prior (priors.curvature); 0: off
    temporal: float = 0.0  # weight of the temporal-consistency prior (priors.temporal); 0: off
    # Matmul precision on a GPU: "fp32"; "tf32" (tensor cores, 10-bit mantissa); "bf16" (autocast
    # of the forward pass, fp32 weights and optimizer). Ignored on the CPU.
    precision: str = "fp32"
    log_seconds: float = 0.5  # a curve point at most this often (each costs a host sync)
    preview_seconds: float | None = None  # a preview frame at most this often (None: never)

    def __post_init__(self):
        loop.check_budget(self.steps, self.seconds, "a fit")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if self.batch < 1:
            raise ValueError(f"batch must be >= 1, got {self.batch}")
        for name in ("curvature", "temporal"):
            if not (math.isfinite(getattr(self, name)) and getattr(self, name) >= 0):
                raise ValueError(f"{name} must be a finite number >= 0, got {getattr(self, name)}")
        for name in ("lr", "encoding_lr"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value}")


def make_optimizer(model: Field, cfg: FitConfig) -> torch.optim.Optimizer:
    encoding = list(model.encoding.parameters())
    rest = [p for n, p in model.named_parameters() if not n.startswith("encoding.")]
    groups = [{"params": rest, "lr": cfg.lr}]
    if encoding:
        groups.append({"params": encoding, "lr": cfg.encoding_lr or cfg.lr})
    # eps 1e-15 and beta2 0.99: instant-ngp's settings; grid entries see rare, sparse gradients.
    return torch.optim.Adam(groups, betas=(0.9, 0.99), eps=1e-15)


def _psnr_pair(sums: list[float], counts: list[int]) -> tuple[float, float | None]:
    train = mse_to_psnr(sums[0] / (3 * counts[0]))
    heldout = mse_to_psnr(sums[1] / (3 * counts[1])) if counts[1] else None
    return train, heldout


def thin_probes(which: torch.Tensor, share: int) -> torch.Tensor:
    """An evenly spread 1/share of the probe frames `which`, but at least MIN_PROBE_FRAMES of them.

    A stack of K members scores each on the same 1/K of the probe frames, so one curve point
    costs about what a single fit's does, and the live curves of a batched comparison get more points.
    """
    keep = min(len(which), max(MIN_PROBE_FRAMES, math.ceil(len(which) / share)))
    return which[spread(len(which), keep)]


@torch.no_grad()
def probe_psnr(model: Field, data: PixelSet, share: int = 1) -> tuple[float, float | None]:
    """(train PSNR, held-out PSNR) on the probe frames of every clip (thinned by `share`): the live curves."""
    sums, counts = [0.0, 0.0], [0, 0]
    model.eval()
    for k, which in enumerate(data.probes):
        which = thin_probes(which, share)
        frames = data.clip_frames(k)
        device = frames.device
        height, width = frames.shape[1:3]
        t = frame_times(len(frames))[which].to(device)
        pred = model.lattice(t, pixel_centres(height, device), pixel_centres(width, device),
                             model.latents[k]).clamp(0, 1)
        err = ((pred - frames[which.to(device)].float() / 255) ** 2).sum(-1)  # (n, H, W)
        mask = data.masks[k][which].to(device)
        sums[0] += err[mask].sum().item()
        sums[1] += err[~mask].sum().item()
        counts[0] += int(mask.sum())
        counts[1] += int((~mask).sum())
    model.train()
    return _psnr_pair(sums, counts)


@torch.no_grad()
def full_psnr(model: Field, data: PixelSet, clips: list[np.ndarray]) -> tuple[float, float | None]:
    """(train PSNR, held-out PSNR) on every pixel of every clip, rendered frame by frame."""
    sums, counts = [0.0, 0.0], [0, 0]
    for k, clip in enumerate(clips):
        for t, frame in enumerate(render_frames(model, clip.shape[:3], clip=k)):
            err = ((frame - torch.from_numpy(clip[t]).float() / 255) ** 2).sum(-1)  # (H, W)
            mask = data.masks[k][t]
            sums[0] += err[mask].sum().item()
            sums[1] += err[~mask].sum().item()
            counts[0] += int(mask.sum())
            counts[1] += int((~mask).sum())
    return _psnr_pair(sums, counts)


def train_field(model: Field, data: PixelSet, cfg: FitConfig, clips: list[np.ndarray] | None = None,
                optimizer: torch.optim.Optimizer | None = None,
                make_trainer: Callable[..., loop.Trainer] | None = None) -> Iterator[Record]:
    """Train `model` on `data`, yielding a Record at most every cfg.log_seconds.

    With `clips` (the uint8 arrays behind `data`), a last Record scores every pixel (final=True).
    Pass an `optimizer` to resume a fit with its state, and `make_trainer` (called as
    ``field_trainer`` is) where a method scores its model its own way (a σ stack, per member).
    """
    optimizer = optimizer or make_optimizer(model, cfg)
    model.train()
    trainer = (make_trainer or field_trainer)(model, data, cfg, clips)
    yield from loop.train(trainer, optimizer, loop_config(cfg, final=clips is not None))


def loop_config(cfg: FitConfig, **overrides) -> loop.LoopConfig:
    """The loop's share of a FitConfig (budget, decay, record cadence, precision), with fields overridden."""
    settings = dict(steps=cfg.steps, seconds=cfg.seconds, final_ratio=cfg.final_lr_ratio,
                    log_seconds=cfg.log_seconds, preview_seconds=cfg.preview_seconds, precision=cfg.precision)
    return loop.LoopConfig(**{**settings, **overrides})


def field_trainer(model: Field, data: PixelSet, cfg: FitConfig,
                  clips: list[np.ndarray] | None = None) -> loop.Trainer:
    """The field fit's step and scoring; `clips` (the uint8 arrays behind `data`) for the final score."""
    generator = torch.Generator(device=data.colors.device).manual_seed(cfg.seed)
    host_random = torch.Generator().manual_seed(cfg.seed)  # host-side choices: no device sync

    def step(progress: float) -> torch.Tensor:
        loss = step_loss(model, data, cfg.batch, generator, host_random)
        if cfg.curvature or cfg.temporal:
            loss = loss + prior_loss(model, data, cfg, host_random)
        return loss

    def score(final: bool, preview: bool) -> loop.Scores:
        train, heldout = full_psnr(model, data, clips) if final else probe_psnr(model, data)
        return loop.Scores(train, heldout, preview_frame(model, data) if preview else None)

    return loop.Trainer(step, score)


def step_loss(model: Field, data: PixelSet, batch: int, generator: torch.Generator,
              host_random: torch.Generator) -> torch.Tensor:
    """The loss of one training step: whole frames for grids, random pixels for the rest."""
    step = _lattice_step if hasattr(model.encoding, "lattice") else _point_step
    return step(model, data, batch, generator, host_random)


def prior_loss(model: Field, data: PixelSet, cfg: FitConfig, host_random: torch.Generator) -> torch.Tensor:
    """The weighted smoothness priors of the config, on one random clip (see priors.py)."""
    k = int(torch.randint(data.clip_count, (1,), generator=host_random))
    shape = tuple(int(v) for v in data.masks[k].shape)  # host-side: no device sync
    loss = torch.zeros((), device=data.colors.device)
    if cfg.curvature:
        loss = loss + cfg.curvature * priors.curvature(model, model.latents[k], shape, host_random)
    if cfg.temporal:
        loss = loss + cfg.temporal * priors.temporal(model, model.latents[k], shape, host_random)
    return loss


def _point_step(model: Field, data: PixelSet, batch: int, generator: torch.Generator,
                host_random: torch.Generator) -> torch.Tensor:
    """Loss on `batch` training pixels drawn at random from all clips."""
    draw = torch.randint(len(data.train), (batch,), device=data.train.device, generator=generator)
    index = data.train[draw]
    coords, clip = data.coords(index)
    pred = model(coords, model.latents[clip])  # (N, 3), or (K, N, 3) from a FieldStack
    return ((pred - data.targets(index)) ** 2).mean()  # broadcast over a stack's members


def _lattice_step(model: Field, data: PixelSet, batch: int, generator: torch.Generator,
                  host_random: torch.Generator) -> torch.Tensor:
    """Loss on the training lattice of a random set of frames of one random clip.

    Grids read a lattice with matrix products, so whole frames cost far less than the same
    number of scattered pixels. About `batch` pixels a step, at least one frame.
    """
    k = int(torch.randint(data.clip_count, (1,), generator=host_random))
    lattice = data.lattices[k]
    frames = data.clip_frames(k)
    count = min(len(frames), max(1, batch // (len(lattice.rows) * len(lattice.cols))))
    which = torch.randperm(len(frames), generator=host_random)[:count].sort().values
    height, width = frames.shape[1:3]
    which = loop.to_device(which, frames.device)  # drawn on the host: copied without a sync
    t = frame_times(len(frames), frames.device)[which]
    y = pixel_centres(height, frames.device)[lattice.rows]
    x = pixel_centres(width, frames.device)[lattice.cols]
    pred = model.lattice(t, y, x, model.latents[k])  # (n, h, w, 3)
    target = frames[which][:, lattice.rows][:, :, lattice.cols].float() / 255
    if lattice.mask is None:
        return F.mse_loss(pred, target)
    err = ((pred - target) ** 2).sum(-1) * lattice.mask
    return err.sum() / (lattice.mask.sum() * 3 * count)


def preview_frame(model: Field, data: PixelSet) -> np.ndarray:
    """uint8 (H, W, 3): the middle instant of clip 0, the frame the studio shows while a fit runs."""
    frames, height, width = (int(v) for v in data.shapes[0])
    # A one-frame render at the middle instant of clip 0: render_frames of a 1-frame clip sits at t=0.
    return to_uint8(next(render_frames(model, (1, height, width), clip=0)))
