"""The INR-V meta-network: a hypernetwork maps a clip's latent code to the weights of a small INR.

The INR is a Gaussian Fourier-feature ReLU MLP of (t, y, x) in the package's coordinates (see
``coords``). Its weights are not parameters: the hypernetwork predicts all of them from a latent
code, as base + delta, where the base is the bias of the hypernetwork's last layer (a shared INR
that every code modulates). Latent codes are learned jointly with it, one per training clip, with
no encoder (an auto-decoder, as in DeepSDF and INR-V).

Two trainings live here, each a step and a scoring run by the engine's one loop (``core.loop``),
which yields the Records the CLI, the app and the tests share: ``train`` (meta-network and codes
together, with progressive training and a code regulariser), ``invert`` (meta-network frozen, one
code fitted to a new clip, optionally on its visible pixels only: that is inpainting). Rendering
is batched over clips with ``bmm``.
"""

import json
import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import save as save_bytes
from torch.nn.parallel import DistributedDataParallel

from inr.core.train import checkpoints, distributed, loop
from inr.core.train.checkpoints import ClipInfo
from inr.core.media.files import atomic_write_bytes
from inr.core.field.coords import frame_times, grid, pixel_centres
from inr.core.train.loop import Record
from inr.core.media.images import to_uint8
from inr.core.evaluate.metrics import mse_to_psnr
from inr.methods.inr_v.data import Batches, Windows

FORMAT = "inr-space"
VERSION = "1"
RENDER_CHUNK = 2**16  # points per forward pass of a render: ~12 MB of activations at width 48
PROBE_CLIPS = 32  # windows whose middle frame the live curve scores: all of a small set, a sample of a large one
STEP_SEEDS = 1_000_003  # a step's pixel draws are seeded seed * STEP_SEEDS + step: resumable, rank-independent


MAX_COUNT = 2**16  # any count or side of a config: far above a trained space, far below a machine's memory
MAX_CLIP_PIXELS = 2**27  # frames x height x width of the space's clips (36x48x16 by default)


@dataclass(frozen=True)
class HyperConfig:
    clips: int = 1  # latent codes learned with the meta-network (the training set)
    frames: int = 16  # every clip of the space is brought to this length ...
    height: int = 36  # ... and this size (centre crop to the aspect, then area averaging)
    width: int = 48
    latent_dim: int = 32  # per-clip code: a few dozen numbers suffice for a few dozen clips
    features: int = 32  # Gaussian Fourier frequencies; the INR input is sin and cos of each (2x wide)
    # Low spreads on purpose: at 36x48 px the hypernetwork learns coarse structure first, and in a
    # few minutes of CPU sigma 4 scored 13 dB on the training clips where 1.5 scored 23 dB.
    sigma_space: float = 1.5  # frequency spread along y and x, cycles per unit of [-1, 1]
    sigma_time: float = 0.5  # along t: 16 frames change slower than 48 px do
    inr_width: int = 48  # hidden units of the INR: small, as the hypernetwork predicts every weight
    inr_depth: int = 2  # hidden layers of the INR
    hyper_width: int = 128  # the hypernetwork's one hidden layer: the rank of the per-clip deltas
    seed: int = 0  # Fourier matrix, base INR, hypernetwork and codes

    def __post_init__(self):
        for name in ("clips", "frames", "height", "width", "latent_dim", "features", "inr_width", "inr_depth",
                     "hyper_width"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_COUNT:
                raise ValueError(f"{name} must be a whole number in 1..{MAX_COUNT:,}, got {str(value)[:40]}")
        if self.frames * self.height * self.width > MAX_CLIP_PIXELS:
            raise ValueError(f"a clip of {self.frames} frames of {self.width}x{self.height} is more than the "
                             f"{MAX_CLIP_PIXELS:,} pixels a space's clip may have")
        for name in ("sigma_space", "sigma_time"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value!r}")

    @property
    def shape(self) -> tuple[int, int, int]:
        """(T, H, W) of every clip in the space."""
        return self.frames, self.height, self.width

    @property
    def weight_count(self) -> int:
        """Numbers in one INR's weights and biases, in closed form (a file's check needs no loop)."""
        first, hidden, last = 2 * self.features * self.inr_width, self.inr_width ** 2, self.inr_width * 3
        return first + self.inr_width + (self.inr_depth - 1) * (hidden + self.inr_width) + last + 3

    def layers(self) -> list[tuple[int, int]]:
        """(fan in, fan out) of each INR layer, input to output."""
        sizes = [2 * self.features] + [self.inr_width] * self.inr_depth + [3]
        return list(zip(sizes[:-1], sizes[1:]))

    @classmethod
    def from_dict(cls, d: dict) -> "HyperConfig":
        return cls(**d)


class HyperINR(nn.Module):
    """Latent code (B, D) -> INR weights (B, n) -> rgb of (B, P, 3) points."""

    def __init__(self, cfg: HyperConfig):
        super().__init__()
        self.cfg = cfg
        g = torch.Generator().manual_seed(cfg.seed)
        scale = torch.tensor([cfg.sigma_time, cfg.sigma_space, cfg.sigma_space])[:, None]
        self.register_buffer("frequencies", torch.randn(3, cfg.features, generator=g) * scale)  # (3, F)
        # DeepSDF's code init: N(0, 0.01^2), so every clip starts at the shared base INR.
        self.latents = nn.Parameter(torch.randn(cfg.clips, cfg.latent_dim, generator=g) * 0.01)
        self.hidden = nn.Linear(cfg.latent_dim, cfg.hyper_width)
        self.head = nn.Linear(cfg.hyper_width, self.weight_count)
        with torch.no_grad():
            for layer in (self.hidden, self.head):
                bound = 1 / math.sqrt(layer.in_features)
                layer.weight.uniform_(-bound, bound, generator=g)
                layer.bias.uniform_(-bound, bound, generator=g)
            self.head.weight.mul_(0.1)  # deltas start small beside the base
            self.head.bias.copy_(self._base_init(g))

    @property
    def weight_count(self) -> int:
        return self.cfg.weight_count

    def _base_init(self, g: torch.Generator) -> torch.Tensor:
        """The shared base INR: He-uniform weights (ReLU layers), zero biases; flat (n,)."""
        parts = []
        for fan_in, fan_out in self.cfg.layers():
            bound = math.sqrt(6 / fan_in) if fan_out != 3 else math.sqrt(1 / fan_in)
            parts += [torch.empty(fan_in * fan_out).uniform_(-bound, bound, generator=g), torch.zeros(fan_out)]
        return torch.cat(parts)

    def weights(self, codes: torch.Tensor) -> torch.Tensor:
        """(B, D) codes -> (B, n) flat INR weights."""
        return self.head(F.relu(self.hidden(codes)))

    def encode(self, coords: torch.Tensor) -> torch.Tensor:
        """(..., 3) coordinates in [-1, 1] -> (..., 2F) Fourier features [sin 2πvB, cos 2πvB]."""
        phase = 2 * math.pi * coords @ self.frequencies
        return torch.cat([phase.sin(), phase.cos()], dim=-1)

    def apply(self, flat: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
        """Run B INRs with flat weights (B, n) on their own points (B, P, 3): rgb (B, P, 3), ~[0, 1]."""
        assert flat.ndim == 2 and coords.ndim == 3 and coords.shape[0] == flat.shape[0], (flat.shape, coords.shape)
        h = self.encode(coords)  # (B, P, 2F)
        layers = self.cfg.layers()
        offset = 0
        for k, (fan_in, fan_out) in enumerate(layers):
            w = flat[:, offset : offset + fan_in * fan_out].view(-1, fan_in, fan_out)
            offset += fan_in * fan_out
            b = flat[:, offset : offset + fan_out].unsqueeze(1)  # (B, 1, out)
            offset += fan_out
            h = torch.baddbmm(b, h, w)
            if k < len(layers) - 1:
                h = F.relu(h)
        return h + 0.5  # outputs centred on mid-grey: the base INR starts near the mean colour

    def forward(self, codes: torch.Tensor, coords: torch.Tensor) -> torch.Tensor:
        return self.apply(self.weights(codes), coords)


# ---------------------------------------------------------------- rendering

@torch.no_grad()
def render(model: HyperINR, code: torch.Tensor, shape: tuple[int, int, int] | None = None) -> np.ndarray:
    """uint8 (T, H, W, 3): the INR of one code (D,) at any size (default: the space's clip size)."""
    frames, height, width = shape or model.cfg.shape
    if min(frames, height, width) < 1:
        raise ValueError(f"render size must be at least 1x1x1, got T, H, W = {(frames, height, width)}")
    flat = model.weights(code.reshape(1, -1).to(model.latents.device))
    points = grid(frames, height, width, model.latents.device).reshape(1, -1, 3)
    rgb = torch.cat([model.apply(flat, chunk) for chunk in points.split(RENDER_CHUNK, dim=1)], dim=1)
    return to_uint8(rgb.reshape(frames, height, width, 3))


@torch.no_grad()
def render_frame(model: HyperINR, code: torch.Tensor, frame: int, size: tuple[int, int] | None = None) -> np.ndarray:
    """uint8 (H, W, 3): frame `frame` (of the space's T) of one code, at `size` (H, W) if given."""
    frames = model.cfg.frames
    if not 0 <= frame < frames:
        raise ValueError(f"frame must be in 0..{frames - 1}, got {frame}")
    height, width = size or (model.cfg.height, model.cfg.width)
    t, y, x = torch.meshgrid(frame_times(frames)[frame : frame + 1], pixel_centres(height), pixel_centres(width),
                             indexing="ij")
    points = torch.stack([t, y, x], dim=-1).reshape(1, -1, 3).to(model.latents.device)
    rgb = model(code.reshape(1, -1).to(model.latents.device), points)
    return to_uint8(rgb.reshape(height, width, 3))



@torch.no_grad()
def clip_errors(model: HyperINR, codes: torch.Tensor, clips: torch.Tensor) -> torch.Tensor:
    """Squared error per pixel, summed over rgb, of codes (N, D) against uint8 clips (N, T, H, W, 3): (N, T, H, W)."""
    n, frames, height, width = clips.shape[:4]
    points = grid(frames, height, width, codes.device).reshape(1, -1, 3)
    out = []
    for k in range(n):
        flat = model.weights(codes[k : k + 1])
        rgb = torch.cat([model.apply(flat, c) for c in points.split(RENDER_CHUNK, dim=1)], dim=1)
        target = clips[k].reshape(1, -1, 3).float() / 255
        out.append(((rgb.clamp(0, 1) - target) ** 2).sum(-1).reshape(frames, height, width))
    return torch.stack(out)


# ---------------------------------------------------------------- training the space

@dataclass(frozen=True)
class TrainConfig:
    steps: int | None = None  # stop after this many steps ...
    seconds: float | None = 60.0  # ... or after this much wall time, whichever comes first
    clips_per_step: int = 8  # clips in one step, each with its own predicted INR (one bmm)
    pixels_per_clip: int = 1024  # random pixels of each clip per step
    lr: float = 3e-3  # meta-network (1e-3 learned slower at equal budget, 1e-2 diverged to 13 dB)
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


# ---------------------------------------------------------------- checkpoints

def save(path: str | Path, model: HyperINR, clips: list[ClipInfo], extra: dict | None = None,
         optimizer: torch.optim.Optimizer | None = None):
    """Weights, codes and the JSON config in one safetensors file, written atomically; with the
    optimizer's state when given (what a resumed training needs)."""
    path = Path(path)
    if len(clips) != model.cfg.clips:
        raise ValueError(f"the space holds {model.cfg.clips} clips but {len(clips)} clip infos were given")
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    metadata = {"format": FORMAT, "version": VERSION, "config": json.dumps(asdict(model.cfg)),
                "clips": json.dumps([asdict(c) for c in clips]), "extra": json.dumps(extra or {})}
    if optimizer is not None:
        state, groups = checkpoints.optimizer_state(model, optimizer)
        tensors.update(state)
        metadata["optimizer"] = json.dumps(groups)
    atomic_write_bytes(path, save_bytes(tensors, metadata=metadata))
    return path


def load(path: str | Path, device: str = "cpu") -> tuple[HyperINR, list[ClipInfo], dict, dict | None]:
    """(meta-network, clip infos, extra, optimizer state or None); ValueError naming the file if it is
    not a space checkpoint.

    Read through the engine's checked reader: every config number finite, clip infos in range,
    and the network's shapes compared on the meta device before any memory is given to it.
    """
    path = Path(path)
    tensors, metadata = checkpoints.read(path, FORMAT, VERSION, "latent-space checkpoint",
                                         hints={checkpoints.FORMAT: "a single-model checkpoint: use it with fit/render"})
    tensors, state = checkpoints.split_optimizer(path, tensors, metadata)
    try:
        config = json.loads(metadata["config"])
        clip_data = json.loads(metadata["clips"])
        checkpoints.check_finite(config, "config")
        checkpoints.check_finite(clip_data, "clips")
        cfg = HyperConfig.from_dict(config)
        # The INR's layers live inside the head's bias (one number each), not as tensors of their
        # own: a depth the file cannot hold is refused before building anything of that depth.
        held = tensors["head.bias"].numel() if "head.bias" in tensors else 0
        if cfg.weight_count != held:
            raise ValueError(f"the config makes INRs of {cfg.weight_count:,} weights, the file holds {held:,}")
        clips = [checkpoints.clip_info(c) for c in clip_data]
        extra = checkpoints.extra_of(metadata)
        model = checkpoints.build(lambda: HyperINR(cfg), tensors)
    except (KeyError, TypeError, ValueError, RuntimeError, OverflowError) as err:
        raise ValueError(f"{path}: latent-space checkpoint config does not match its weights "
                         f"({checkpoints.reason(err)})") from err
    if len(clips) != cfg.clips:
        raise ValueError(f"{path}: latent-space checkpoint lists {len(clips)} clips but holds {cfg.clips} codes")
    return model.to(device), clips, extra, state
