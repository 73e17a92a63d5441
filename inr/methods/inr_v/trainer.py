"""Training the INR-V space on the engine's one loop (``core/train/loop.py``): ``train`` fits the
meta-network and the codes together (progressive training, a code regulariser, DDP under torchrun);
``invert`` fits one code to a new clip with the meta-network frozen, on its visible pixels only
when a mask is given (that is inpainting).
"""

import math
from collections.abc import Iterator
from dataclasses import dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.parallel import DistributedDataParallel

from inr.core.evaluate.metrics import mse_to_psnr
from inr.core.field.coords import frame_times, pixel_centres
from inr.core.train import distributed, loop
from inr.core.train.loop import Record
from inr.methods.inr_v.data import Batches, Windows
from inr.methods.inr_v.model import HyperINR, clip_errors, render_frame

PROBE_CLIPS = 32  # windows whose middle frame the live curve scores: all of a small set, a sample of a large one
STEP_SEEDS = 1_000_003  # a step's pixel draws are seeded seed * STEP_SEEDS + step: resumable, rank-independent


@dataclass(frozen=True)
class TrainConfig:
    steps: int | None = None  # stop after this many steps ...
    seconds: float | None = 60.0  # ... or after this much wall time, whichever comes first
    clips_per_step: int = 8  # clips in one step, each with its own predicted INR (one bmm)
    pixels_per_clip: int = 1024  # random pixels of each clip per step
    lr: float = 3e-3  # meta-network: 1e-3 learns slower at equal budget, 1e-2 diverges (docs/latent-space.md)
    latent_lr: float = 3e-2  # codes: each sees only its own clip's steps, so it learns faster
    final_lr_ratio: float = 0.1  # exponential decay to this share of both rates by the end
    latent_reg: float = 1e-3  # weight of mean ||z||^2, the codes' Gaussian prior (0: off)
    progressive: bool = True  # grow the clip set and the resolution (INR-V's progressive training)
    grow_until: float = 0.5  # share of the budget over which the clip set grows from a quarter to all
    low_res_until: float = 0.25  # share of the budget trained on half-size frames
    seed: int = 0  # clip order, pixel draws
    log_seconds: float = 0.5  # a record at most this often
    preview_seconds: float | None = None  # a preview frame (middle frame of clip 0) at most this often

    def __post_init__(self):
        loop.check_budget(self.steps, self.seconds, "training")
        for name in ("clips_per_step", "pixels_per_clip"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1, got {getattr(self, name)}")
        if not (math.isfinite(self.latent_reg) and self.latent_reg >= 0):
            raise ValueError(f"latent_reg must be a finite number >= 0, got {self.latent_reg}")
        for name in ("grow_until", "low_res_until"):
            if not 0 <= getattr(self, name) <= 1:
                raise ValueError(f"{name} must be in [0, 1], got {getattr(self, name)}")


def schedule(cfg: TrainConfig, progress: float, clips: int) -> tuple[int, int]:
    """(clips in play, resolution level: 1 = half size, 0 = full) at this share of the budget.

    The clips in play grow from a quarter to all, in whole batches (a multiple of clips_per_step),
    so that processes sharing a batch share every window in play evenly (``data.Batches``).
    """
    if not cfg.progressive:
        return clips, 0
    first = min(clips, max(2, math.ceil(clips / 4)))
    grow = 1.0 if cfg.grow_until == 0 else min(1.0, progress / cfg.grow_until)
    active = first + round((clips - first) * grow)
    return min(clips, math.ceil(active / cfg.clips_per_step) * cfg.clips_per_step), int(progress < cfg.low_res_until)


def half_size(clips: torch.Tensor) -> torch.Tensor:
    """uint8 (N, T, H, W, 3) -> float (N, T, H//2, W//2, 3) by 2x2 area averaging.

    The half-size pixels are sampled at their own centres (``coords.pixel_centres`` of the half
    size), which cover the same square: the low-resolution stage trains the same function.
    """
    n, t, h, w, _ = clips.shape
    x = clips.float().div(255).permute(0, 1, 4, 2, 3).reshape(n * t, 3, h, w)
    x = F.avg_pool2d(x, 2)
    return x.reshape(n, t, 3, h // 2, w // 2).permute(0, 1, 3, 4, 2).contiguous()


def _draw(targets: torch.Tensor, batch: int, pixels: int, g: torch.Generator, rows: slice = slice(None)):
    """Random pixels of the windows `targets` (b, T, H, W, 3): coordinates (b, P, 3) and colours (b, P, 3).

    The draws are made for the whole step's `batch` windows and `rows` picks this process's: every
    rank draws the same numbers, so the pixels of a window do not depend on which rank trains it.
    """
    _, frames, height, width, _ = targets.shape
    ti, yi, xi = (torch.randint(size, (batch, pixels), generator=g)[rows] for size in (frames, height, width))
    coords = torch.stack([frame_times(frames)[ti], pixel_centres(height)[yi], pixel_centres(width)[xi]], dim=-1)
    k = torch.arange(len(ti))[:, None]
    ti, yi, xi, k = (loop.to_device(v, targets.device) for v in (ti, yi, xi, k))
    return loop.to_device(coords, targets.device), targets[k, ti, yi, xi]


@torch.no_grad()
def _probe_psnr(model: HyperINR, clips: torch.Tensor) -> float:
    """PSNR (dB) of the middle frame of the first len(clips) windows (uint8 (N, T, H, W, 3)): the live curve."""
    n, frames, height, width = clips.shape[:4]
    mid = frames // 2
    t, y, x = torch.meshgrid(frame_times(frames)[mid : mid + 1], pixel_centres(height), pixel_centres(width),
                             indexing="ij")
    points = torch.stack([t, y, x], dim=-1).reshape(1, -1, 3).expand(n, -1, -1).to(clips.device)
    rgb = model(model.latents[:n], points).clamp(0, 1)
    target = clips[:, mid].reshape(n, -1, 3).float() / 255
    return mse_to_psnr(F.mse_loss(rgb, target).item())


@torch.no_grad()
def windows_psnr(model: HyperINR, data: Windows) -> float:
    """PSNR (dB) over every pixel of every window, each rank scoring its share (then summed)."""
    device = model.latents.device
    error, values = torch.zeros((), dtype=torch.float64, device=device), 0  # summed on the device: one sync
    for i in distributed.share(range(len(data)), distributed.current()):
        err = clip_errors(model, model.latents[i : i + 1], data.batch([i]).to(device))
        error += err.sum(dtype=torch.float64)
        values += err.numel() * 3
    error, values = distributed.total(torch.tensor([error.item(), values], dtype=torch.float64)).tolist()
    return mse_to_psnr(error / values)


def make_optimizer(model: HyperINR, cfg: TrainConfig) -> torch.optim.Adam:
    """Adam with two rates: the meta-network's and the codes' (each code sees only its own clip's steps)."""
    net = [p for name, p in model.named_parameters() if name != "latents"]
    return torch.optim.Adam([{"params": net, "lr": cfg.lr}, {"params": [model.latents], "lr": cfg.latent_lr}])


class _Batch(nn.Module):
    """The model as DistributedDataParallel wraps it: window indices and points in, colours and codes out.

    Looking the codes up inside the forward pass keeps every parameter DDP synchronises in one graph.
    """

    def __init__(self, model: HyperINR):
        super().__init__()
        self.model = model

    def forward(self, pick: torch.Tensor, coords: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        codes = self.model.latents[pick]  # (b, D)
        return self.model(codes, coords), codes


def train(model: HyperINR, data: Windows, cfg: TrainConfig, optimizer: torch.optim.Optimizer | None = None,
          start: tuple[int, float] = (0, 0.0)) -> Iterator[Record]:
    """Fit the meta-network and one code per window of `data`; yield Records.

    Each step takes a few windows (from those in play: progressive training starts with a quarter
    of them and grows) and random pixels of each (of half-size frames early on), predicts each
    window's INR weights from its code and scores them in one batched pass. `train_psnr` is on
    training pixels: the middle frame of the first PROBE_CLIPS windows while training, every pixel
    of every window in the last (final) record. Nothing is held out here: a clip's generalisation
    is measured by inverting clips that are not in the set (``invert``).

    Under torchrun (inside ``distributed.group``) the model is wrapped in DistributedDataParallel:
    each rank trains on its part of the step's windows and the gradients are averaged, so N
    processes take the steps one process would. `start` is where a resumed training stood in
    the budget (steps, seconds); `optimizer` carries its state.
    """
    n = len(data)
    if tuple(data.shape) != model.cfg.shape or n != model.cfg.clips:
        raise ValueError(f"{n} windows of T, H, W = {tuple(data.shape)} do not match the space's "
                         f"{model.cfg.clips} clips of T, H, W = {model.cfg.shape}")
    optimizer = optimizer or make_optimizer(model, cfg)
    main = distributed.current().main  # only rank 0's records are shown: the others score only the final one
    budget = loop.LoopConfig(cfg.steps, cfg.seconds, cfg.final_lr_ratio,
                             log_seconds=cfg.log_seconds if main else math.inf,
                             preview_seconds=cfg.preview_seconds if main else None, score_end=main,
                             start_step=start[0], start_seconds=start[1],
                             agree=distributed.active() and cfg.seconds is not None)
    model.train()
    batch = _Batch(model)
    if distributed.active():
        device = model.latents.device
        batch = DistributedDataParallel(batch, device_ids=[device] if device.type == "cuda" else None,
                                        forward_sync_buffers=False)  # the only buffer, the Fourier matrix, is fixed
    yield from loop.train(_space_trainer(model, batch, data, cfg, start[0]), optimizer, budget)


def _space_trainer(model: HyperINR, batch: nn.Module, data: Windows, cfg: TrainConfig, start_step: int) -> loop.Trainer:
    """The step (this rank's windows of the step, random pixels of each, at the schedule's resolution)
    and the scoring."""
    n, where, device = len(data), distributed.current(), model.latents.device
    order = torch.randperm(n, generator=torch.Generator().manual_seed(cfg.seed))  # the clips in play first
    batches = Batches(order, cfg.clips_per_step, cfg.seed, epoch=start_step)
    probe = data.batch(range(min(n, PROBE_CLIPS))).to(device)
    taken = start_step  # the training's step: it seeds the step's pixel draws, the same on every rank
    rows = slice(where.rank, None, where.world)

    def step(progress: float) -> torch.Tensor | tuple[torch.Tensor, torch.Tensor]:
        nonlocal taken
        active, level = schedule(cfg, progress, n)
        pick = batches.next(active)
        frames = data.batch(pick).to(device)  # uint8 (b, T, H, W, 3)
        targets = half_size(frames) if level else frames.float() / 255
        g = torch.Generator().manual_seed(cfg.seed * STEP_SEEDS + taken)
        taken += 1
        coords, colours = _draw(targets, cfg.clips_per_step, cfg.pixels_per_clip, g, rows)
        rgb, codes = batch(loop.to_device(torch.tensor(pick), device), coords)
        mse = F.mse_loss(rgb, colours)
        if not cfg.latent_reg:
            return mse
        return mse + cfg.latent_reg * codes.pow(2).sum(-1).mean(), mse  # the curve shows the error alone

    def score(final: bool, preview: bool) -> loop.Scores:
        train_psnr = windows_psnr(model, data) if final else _probe_psnr(model, probe)
        frame = render_frame(model, model.latents[0].detach(), model.cfg.frames // 2) if preview else None
        return loop.Scores(train_psnr, None, frame)

    return loop.Trainer(step, score)


# ---------------------------------------------------------------- inversion and inpainting

@dataclass(frozen=True)
class InvertConfig:
    steps: int | None = None  # stop after this many steps ...
    seconds: float | None = 10.0  # ... or after this much wall time
    lr: float = 0.05  # the one code: few numbers, large steps
    pixels: int = 8192  # random visible pixels a step
    final_lr_ratio: float = 0.1  # exponential decay to this share of lr by the end
    seed: int = 0
    log_seconds: float = 0.25  # a record at most this often (each scores the whole clip)

    def __post_init__(self):
        loop.check_budget(self.steps, self.seconds, "an inversion")
        if self.pixels < 1:
            raise ValueError(f"pixels must be >= 1, got {self.pixels}")
        if not (math.isfinite(self.lr) and self.lr > 0):
            raise ValueError(f"lr must be a finite number > 0, got {self.lr}")


def masked_psnrs(err: torch.Tensor, mask: torch.Tensor) -> tuple[float, float | None]:
    """(PSNR on the visible pixels, PSNR on the masked ones or None) of a per-pixel error (T, H, W)."""
    visible = mse_to_psnr(err[mask].mean().item() / 3)
    hidden = mse_to_psnr(err[~mask].mean().item() / 3) if (~mask).any() else None
    return visible, hidden


def invert(model: HyperINR, clip: torch.Tensor, code: torch.Tensor, cfg: InvertConfig,
           mask: torch.Tensor | None = None) -> Iterator[Record]:
    """Fit `code` (D,), in place, so that the frozen meta-network renders uint8 `clip` (T, H, W, 3).

    Only the pixels where `mask` (T, H, W) is True are used (all of them without a mask).
    `train_psnr` is on those visible pixels and `heldout_psnr` on the masked-out ones (None
    without a mask), both over the whole clip at every record. The first record is at step 0:
    the starting code, usually the mean of the training codes.
    """
    if tuple(clip.shape[:3]) != model.cfg.shape:
        raise ValueError(f"clip of T, H, W = {tuple(clip.shape[:3])} does not match the space's {model.cfg.shape}")
    mask = torch.ones(clip.shape[:3], dtype=torch.bool) if mask is None else mask.bool()
    if mask.shape != clip.shape[:3]:
        raise ValueError(f"mask of shape {tuple(mask.shape)} does not match the clip's {tuple(clip.shape[:3])}")
    if not mask.any():
        raise ValueError("the mask hides every pixel: nothing is left to invert on")
    budget = loop.LoopConfig(cfg.steps, cfg.seconds, cfg.final_lr_ratio, log_seconds=cfg.log_seconds,
                             score_start=True, score_end=False)  # live records score the whole clip already
    for p in model.parameters():
        p.requires_grad_(False)
    code.requires_grad_(True)
    try:
        optimizer = torch.optim.Adam([code], lr=cfg.lr)
        yield from loop.train(_code_trainer(model, clip, code, cfg, mask), optimizer, budget)
    finally:
        code.requires_grad_(False)
        for p in model.parameters():
            p.requires_grad_(True)


def _code_trainer(model: HyperINR, clip: torch.Tensor, code: torch.Tensor, cfg: InvertConfig,
                  mask: torch.Tensor) -> loop.Trainer:
    """The step (random visible pixels, the code alone learning) and the scoring (the whole clip)."""
    frames, height, width = model.cfg.shape
    where = mask.nonzero()  # (V, 3) visible (t, y, x) indices
    target = clip.float() / 255  # (T, H, W, 3)
    g = torch.Generator().manual_seed(cfg.seed)

    def step(progress: float) -> torch.Tensor:
        pick = where[torch.randint(len(where), (min(cfg.pixels, len(where)),), generator=g)]
        ti, yi, xi = pick.unbind(-1)
        coords = torch.stack([frame_times(frames)[ti], pixel_centres(height)[yi], pixel_centres(width)[xi]], -1)
        return F.mse_loss(model(code[None], coords[None])[0], target[ti, yi, xi])

    def score(final: bool, preview: bool) -> loop.Scores:
        err = clip_errors(model, code.detach()[None], clip[None])[0]
        return loop.Scores(*masked_psnrs(err, mask))

    return loop.Trainer(step, score)
