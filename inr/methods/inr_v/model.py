"""The INR-V meta-network: a hypernetwork maps a clip's latent code to the weights of a small INR.

The INR is a Gaussian Fourier-feature ReLU MLP of (t, y, x) in the package's coordinates (see
``coords``). Its weights are not parameters: the hypernetwork predicts all of them from a latent
code, as base + delta, where the base is the bias of the hypernetwork's last layer (a shared INR
that every code modulates). Latent codes are learned jointly with it, one per training clip, with
no encoder (an auto-decoder, as in DeepSDF and INR-V).

Rendering is batched over clips with ``bmm``. Its trainings (``train``, ``invert``) are in
``trainer.py``, its file in ``fileformat.py``.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from inr.core.field.coords import frame_times, grid, pixel_centres
from inr.core.media.images import to_uint8

RENDER_CHUNK = 2**16  # points per forward pass of a render: ~12 MB of activations at width 48


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
    # Low spreads on purpose: at 36x48 px the hypernetwork learns coarse structure first, and a
    # wider spread learns far less in a CPU budget (docs/latent-space.md, "Why the defaults").
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
