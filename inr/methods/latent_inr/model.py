"""Latent-INR: a dictionary of per-frame latents and a hypernetwork over one shared spatial INR.

Space and time are decoupled. The spatial part is a function of (y, x) only: multiresolution
feature planes read bilinearly, then a small MLP. The temporal part is the dictionary: one latent
code per frame. A small hypernetwork maps a frame's code to that frame's FiLM modulations (a
scale per input feature, a scale and a shift per hidden unit), so each frame gets its own spatial
INR while all frames share the planes and weights. Because the planes do not depend on time, a
training step reads them once for the whole lattice and predicts several whole frames from it:
cheap on a CPU.

Interpolating two codes renders a frame "between" them (``interpolate``); the dictionary is what
``codec`` quantises and stores and what ``retrieval`` searches.
"""

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from inr.core.train import loop
from inr.core.field.coords import pixel_centres
from inr.core.train.loop import Record
from inr.core.media.images import to_uint8
from inr.core.evaluate.metrics import mse_to_psnr


MAX_SIZE = 2**16  # any count or side of a config: far above what a fit makes, far below a machine's memory


@dataclass(frozen=True)
class LatentConfig:
    frames: int  # T: one latent code per frame of the clip
    height: int  # the clip's size: the planes are sized from it (renders may be any size)
    width: int
    latent_dim: int = 32  # per-frame code; 32 floats a frame is ~1% of a 96x54 frame's values
    levels: int = 4  # feature planes from coarse to fine
    channels: int = 4  # features per plane
    coarsest: int = 8  # nodes along the longer side of the coarsest plane
    finest_scale: float = 0.5  # nodes per pixel of the finest plane: half the pixels keeps it small
    hidden: int = 48  # width of the spatial MLP
    hyper_hidden: int = 64  # width of the hypernetwork's one hidden layer

    def __post_init__(self):
        for name in ("frames", "height", "width", "latent_dim", "levels", "channels", "coarsest", "hidden",
                     "hyper_hidden"):
            value = getattr(self, name)
            if isinstance(value, bool) or not (isinstance(value, int) and 1 <= value <= MAX_SIZE):
                raise ValueError(f"{name} must be a whole number in 1..{MAX_SIZE:,}, got {str(value)[:40]}")
        if isinstance(self.finest_scale, bool) or not isinstance(self.finest_scale, (int, float)) or not (
                math.isfinite(self.finest_scale) and 0 < self.finest_scale <= 2):
            raise ValueError(f"finest_scale must be in (0, 2], got {self.finest_scale}")

    @property
    def features(self) -> int:
        return self.levels * self.channels

    @property
    def modulations(self) -> int:
        """Values the hypernetwork predicts per frame: input scales, then scale and shift of 2 layers."""
        return self.features + 4 * self.hidden

    def plane_sizes(self) -> list[tuple[int, int]]:
        """(rows, cols) of each plane, geometric from `coarsest` nodes to `finest_scale` x the pixels."""
        longest = max(self.height, self.width)
        finest = max(self.coarsest, round(longest * self.finest_scale))
        sizes = []
        for level in range(self.levels):
            share = level / (self.levels - 1) if self.levels > 1 else 1.0
            nodes = self.coarsest * (finest / self.coarsest) ** share  # along the longer side
            sizes.append((max(2, round(nodes * self.height / longest)), max(2, round(nodes * self.width / longest))))
        return sizes


class FrameLatents(nn.Module):
    """Per-frame codes -> per-frame modulated spatial INR. rgb is in [0, 1] after clamping."""

    def __init__(self, cfg: LatentConfig):
        super().__init__()
        self.cfg = cfg
        g = torch.Generator().manual_seed(0)  # plane init: small, so early frames are the mean colour
        self.planes = nn.ParameterList(
            nn.Parameter(torch.randn(cfg.channels, rows, cols, generator=g) * 0.1) for rows, cols in cfg.plane_sizes())
        # Unit-scale codes: codes that start nearly equal make every frame the clip's mean frame, and
        # the fit sits on that plateau (~18 dB on jelly) until they drift apart; distinct codes skip it.
        self.latents = nn.Parameter(torch.randn(cfg.frames, cfg.latent_dim, generator=g))  # (T, D)
        self.first = nn.Linear(cfg.features, cfg.hidden)
        self.second = nn.Linear(cfg.hidden, cfg.hidden)
        self.head = nn.Linear(cfg.hidden, 3)
        self.hyper = nn.Sequential(nn.Linear(cfg.latent_dim, cfg.hyper_hidden), nn.ReLU(),
                                   nn.Linear(cfg.hyper_hidden, cfg.modulations))
        # The hypernetwork starts at "no modulation" (scales 1, shifts 0): every frame begins as the
        # shared INR, and frames drift apart only as their codes learn to.
        nn.init.zeros_(self.hyper[2].weight)
        nn.init.zeros_(self.hyper[2].bias)
        nn.init.constant_(self.head.bias, 0.5)

    def spatial_features(self, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """(h,), (w,) coordinates in [-1, 1] -> plane features on their lattice: (h * w, levels * channels)."""
        gy, gx = torch.meshgrid(y, x, indexing="ij")
        grid = torch.stack([gx, gy], dim=-1)[None]  # (1, h, w, 2): grid_sample wants (x, y)
        feats = [F.grid_sample(p[None], grid, mode="bilinear", padding_mode="border", align_corners=True)[0]
                 for p in self.planes]  # each (C, h, w)
        return torch.cat(feats).flatten(1).T  # (h * w, F)

    def modulations(self, codes: torch.Tensor) -> tuple[torch.Tensor, ...]:
        """(n, D) codes -> input scale (n, F), then scale and shift of each hidden layer (n, hidden)."""
        cfg = self.cfg
        m = self.hyper(codes)  # (n, F + 4 * hidden)
        scale0, rest = m.split([cfg.features, 4 * cfg.hidden], dim=1)
        scale1, shift1, scale2, shift2 = rest.chunk(4, dim=1)
        return 1 + scale0, 1 + scale1, shift1, 1 + scale2, shift2

    def decode(self, codes: torch.Tensor, features: torch.Tensor) -> torch.Tensor:
        """(n, D) codes and (P, F) spatial features -> rgb (n, P, 3), unclamped."""
        assert codes.ndim == 2 and codes.shape[1] == self.cfg.latent_dim, codes.shape
        s0, s1, b1, s2, b2 = (v[:, None] for v in self.modulations(codes))  # each (n, 1, .)
        h = F.relu(self.first(features[None] * s0) * s1 + b1)  # (n, P, hidden)
        h = F.relu(self.second(h) * s2 + b2)
        return self.head(h)  # (n, P, 3)

    def frames_at(self, codes: torch.Tensor, height: int, width: int) -> torch.Tensor:
        """(n, D) codes -> frames (n, height, width, 3) sampled at the pixel centres of that size."""
        device = codes.device
        features = self.spatial_features(pixel_centres(height, device), pixel_centres(width, device))
        return self.decode(codes, features).view(len(codes), height, width, 3)


# ---------------------------------------------------------------- latent arithmetic

def latent_at(latents: torch.Tensor, position: float) -> torch.Tensor:
    """The code at a fractional frame index: linear between the two neighbouring codes. (D,)"""
    last = len(latents) - 1
    if not (math.isfinite(position) and 0 <= position <= last):
        raise ValueError(f"frame position must be in [0, {last}], got {position}")
    low = min(int(math.floor(position)), max(last - 1, 0))
    share = position - low
    if last == 0:
        return latents[0]
    return (1 - share) * latents[low] + share * latents[low + 1]


def mix_codes(latents: torch.Tensor, a: int, b: int, alpha: float) -> torch.Tensor:
    """(1 - alpha) * code a + alpha * code b: alpha 0 is frame a exactly, 1 is frame b. (D,)"""
    count = len(latents)
    for name, value in (("frame a", a), ("frame b", b)):
        if not (isinstance(value, (int, np.integer)) and 0 <= value < count):
            raise ValueError(f"{name} must be a frame index in 0..{count - 1}, got {value!r}")
    if not (math.isfinite(alpha) and 0 <= alpha <= 1):
        raise ValueError(f"alpha must be in [0, 1], got {alpha}")
    return (1 - alpha) * latents[a] + alpha * latents[b]


# ---------------------------------------------------------------- rendering


@torch.no_grad()
def render_codes(model: FrameLatents, codes: torch.Tensor, height: int | None = None,
                 width: int | None = None, batch: int = 8) -> Iterator[np.ndarray]:
    """uint8 frames (H, W, 3), one per code (n, D), at the clip's size unless another is given."""
    height = height or model.cfg.height
    width = width or model.cfg.width
    features = model.spatial_features(pixel_centres(height, codes.device), pixel_centres(width, codes.device))
    for group in codes.split(batch):
        yield from to_uint8(model.decode(group, features).view(len(group), height, width, 3))


def render_clip(model: FrameLatents, frames: int | None = None, height: int | None = None,
                width: int | None = None) -> np.ndarray:
    """The clip (T', H, W, 3) uint8; T' other than T walks the dictionary by latent interpolation."""
    count = frames or model.cfg.frames
    if not (isinstance(count, int) and count >= 1):
        raise ValueError(f"frames must be a whole number >= 1, got {frames!r}")
    latents = model.latents.detach()
    if count == model.cfg.frames:
        codes = latents
    else:
        last = model.cfg.frames - 1
        positions = np.linspace(0, last, count) if count > 1 else [last / 2]
        codes = torch.stack([latent_at(latents, float(p)) for p in positions])
    return np.stack(list(render_codes(model, codes, height, width)))


def interpolate(model: FrameLatents, a: int, b: int, alpha: float) -> np.ndarray:
    """The frame whose code is between frame a's and frame b's: uint8 (H, W, 3)."""
    code = mix_codes(model.latents.detach(), a, b, alpha)
    return next(render_codes(model, code[None]))


# ---------------------------------------------------------------- training

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


def config_dict(cfg: LatentConfig) -> dict:
    return asdict(cfg)


def config_from_dict(data: dict) -> LatentConfig:
    """The config back from its JSON; ValueError naming what is wrong."""
    try:
        return LatentConfig(**data)
    except TypeError as err:
        raise ValueError(f"unreadable model config ({err})") from err
