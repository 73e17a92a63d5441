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

from inr.core.field.coords import pixel_centres
from inr.core.media.images import to_uint8


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
        # the fit sits on that plateau until they drift apart; distinct codes skip it (docs/latent-inr.md).
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


def config_dict(cfg: LatentConfig) -> dict:
    return asdict(cfg)


def config_from_dict(data: dict) -> LatentConfig:
    """The config back from its JSON; ValueError naming what is wrong."""
    try:
        return LatentConfig(**data)
    except TypeError as err:
        raise ValueError(f"unreadable model config ({err})") from err
