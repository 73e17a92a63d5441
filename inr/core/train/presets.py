"""Every architecture a fit can name, as rows of one table: its model for given clips, its fit
settings per device, and the hooks a method adds (how a fresh model is set up, how it steps).

``grid`` is the built-in default: a multiresolution grid read through a cubic B-spline with a
linear head. On a 2-core CPU it trains whole frames per step with matrix products (see
encodings.py). The others built in are the published recipes. A method's rows are added by
``register``, called for every method in one place (``inr/archs.py``), never by importing the
method; a method may offer its row as the default for one clip (``default_arch`` says which a fit
uses, and why).
"""

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from inr.core.field import encodings
from inr.core.field.encodings import EncodingConfig, FourierConfig, GridConfig, HashConfig, IdentityConfig
from inr.core.field.model import ModelConfig
from inr.core.field.networks import NetworkConfig
from inr.core.train.fit import FitConfig

BASE_ARCH = "grid"  # the default for several clips, and for one when no method offers itself
BASE_REASON = "the grid: one multiresolution grid for every clip, the fastest field to a given quality here"


@dataclass(frozen=True)
class Arch:
    """One architecture: its model for clips of given (T, H, W) shapes, holdout and σ (read by those
    with a frequency scale), its fit settings per device ("cpu", "cuda"), and the hooks a method may add."""

    model_config: Callable[[list[tuple[int, int, int]], str, float | None], ModelConfig]
    fit: dict[str, dict]
    # How a fresh model is set up from the clips it will fit (frames and their training masks); notes to show.
    initialise: Callable[[nn.Module, list[np.ndarray], list[torch.Tensor]], list[str]] | None = None
    # How its fits step and score, called as fit.field_trainer is (None: fit.field_trainer itself).
    make_trainer: Callable | None = None
    # Why a fit of one clip should use it when none is named (None: it is not offered as the default).
    default_reason: str | None = None
    # An encoding of its own, (default config, module), that fields build and checkpoints name.
    encoding: tuple[EncodingConfig, type[nn.Module]] | None = None
    # Multi-frame upscaling: its model for a clip shrunk from (T, H, W) to a (t, h, w), with content
    # at the original's size for the other frames' pixels to fill (None: it has none).
    upscale: Callable[[tuple[int, int, int], tuple[int, int, int]], ModelConfig] | None = None


def _grid(shapes: list[tuple[int, int, int]], holdout: str, sigma: float | None = None) -> ModelConfig:
    """The finest level has one node per training pixel along each axis: enough to memorise the
    training pixels, while coarser levels and the spline carry the values between them."""
    frames, height, width = (max(s[i] for s in shapes) for i in range(3))
    step = 2 if holdout == "every2" else 1
    finest = (frames, math.ceil(height / step), math.ceil(width / step))
    span = ((-1.0, 1.0), training_span(height, step), training_span(width, step))
    encoding = GridConfig(finest=finest, coarsest=tuple(min(4, n) for n in finest), span=span)
    network = NetworkConfig(kind="relu", depth=0 if len(shapes) == 1 else 2, width=64)
    return ModelConfig(encoding, network, clips=len(shapes))


def _hash(shapes: list[tuple[int, int, int]], holdout: str, sigma: float | None = None) -> ModelConfig:
    frames, height, width = (max(s[i] for s in shapes) for i in range(3))
    encoding = HashConfig(finest=(frames, height, width), coarsest=(min(4, frames), 8, 8))
    return ModelConfig(encoding, NetworkConfig(kind="relu", width=64, depth=2), clips=len(shapes))


def _fourier(shapes: list[tuple[int, int, int]], holdout: str, sigma: float | None = None) -> ModelConfig:
    # sigma None means "no encoding", the first column of the Latent Coordinate Networks table.
    encoding = IdentityConfig() if sigma is None else FourierConfig(sigma=sigma)
    return ModelConfig(encoding, NetworkConfig(kind="relu", width=256, depth=3, output="sigmoid"), clips=len(shapes))


def _siren(shapes: list[tuple[int, int, int]], holdout: str, sigma: float | None = None) -> ModelConfig:
    return ModelConfig(IdentityConfig(), NetworkConfig(kind="siren", width=256, depth=3, omega0=30.0), clips=len(shapes))


def _relu(shapes: list[tuple[int, int, int]], holdout: str, sigma: float | None = None) -> ModelConfig:
    return ModelConfig(IdentityConfig(), NetworkConfig(kind="relu", width=256, depth=3, output="sigmoid"),
                       clips=len(shapes))


# Fit settings per device: batch in pixels a step, learning rates, default budget.
BUILTIN: dict[str, Arch] = {
    "grid": Arch(_grid, {"cpu": dict(batch=2**15, lr=1e-2, encoding_lr=3e-2, final_lr_ratio=0.2, seconds=60.0),
                         "cuda": dict(batch=2**21, lr=1e-2, encoding_lr=3e-2, seconds=20.0)}),
    "hash": Arch(_hash, {"cpu": dict(batch=2**14, lr=1e-2, encoding_lr=1e-2, seconds=60.0),
                         "cuda": dict(batch=2**18, lr=1e-2, encoding_lr=1e-2, seconds=20.0)}),
    "fourier": Arch(_fourier, {"cpu": dict(batch=2**11, lr=3e-3, encoding_lr=None, seconds=60.0),
                               "cuda": dict(batch=2**16, lr=1e-3, encoding_lr=None, seconds=30.0)}),
    "siren": Arch(_siren, {"cpu": dict(batch=2**12, lr=1e-4, encoding_lr=None, seconds=60.0),
                           "cuda": dict(batch=2**16, lr=1e-4, encoding_lr=None, seconds=30.0)}),
    "relu": Arch(_relu, {"cpu": dict(batch=2**12, lr=1e-3, encoding_lr=None, seconds=60.0),
                         "cuda": dict(batch=2**16, lr=1e-3, encoding_lr=None, seconds=30.0)}),
}
BUILTIN_ARCHS = tuple(BUILTIN)
_ARCHS: dict[str, Arch] = dict(BUILTIN)  # the table: the built-in rows, then each method's as registered


def register(name: str, arch: Arch) -> None:
    """Add a method's row under `name`, with its encoding if it has one. Registering the same row
    again does nothing; another row under a taken name is refused."""
    if _ARCHS.get(name, arch) is not arch:
        raise ValueError(f"an architecture named {name!r} exists already")
    if arch.encoding:
        encodings.register(*arch.encoding)
    _ARCHS[name] = arch


def arch_names() -> tuple[str, ...]:
    """Every architecture: the default for one clip first, then the table's rows in order."""
    first = default_arch(1)[0]
    return (first,) + tuple(a for a in _ARCHS if a != first)


def default_arch(clips: int = 1) -> tuple[str, str]:
    """The architecture a fit of this many clips uses when none is named, and why (a sentence).

    One clip: the first row that offers itself as the default; several: the grid.
    """
    offered = [(name, a.default_reason) for name, a in _ARCHS.items() if a.default_reason]
    if clips == 1 and offered:
        return offered[0]
    if clips > 1 and offered:
        return BASE_ARCH, f"{BASE_REASON} ({offered[0][0]}, the default for one clip, fits one clip at a time)"
    return BASE_ARCH, BASE_REASON


# Clip caps per device: longest side and frames. A CPU fit of 100 frames at 160 px takes ~1 min.
CAPS = {"cpu": {"max_size": 160, "max_frames": 100}, "cuda": {"max_size": 512, "max_frames": 300}}

def _row(arch: str) -> Arch:
    if arch not in _ARCHS:
        raise ValueError(f"arch must be one of {', '.join(_ARCHS)}, got {arch!r}")
    return _ARCHS[arch]


def model_config(arch: str, shapes: list[tuple[int, int, int]], holdout: str = "every2",
                 sigma: float | None = None) -> ModelConfig:
    """The model of `arch` sized for clips of these (T, H, W) shapes and this holdout mode."""
    return _row(arch).model_config(shapes, holdout, sigma)


def upscalers() -> tuple[str, ...]:
    """The architectures with multi-frame upscaling."""
    return tuple(name for name, arch in _ARCHS.items() if arch.upscale)


def upscale_config(arch: str, low_shape: tuple[int, int, int], shape: tuple[int, int, int]) -> ModelConfig:
    """The model of `arch` that fits a clip of `low_shape` shrunk from `shape` and renders it back with
    content at the original's size; ValueError when `arch` has no multi-frame upscaling."""
    hook = _row(arch).upscale
    if hook is None:
        raise ValueError(f"the {arch} field has no multi-frame upscaling (these do: {', '.join(upscalers())})")
    return hook(low_shape, shape)


def training_span(pixels: int, step: int) -> tuple[float, float]:
    """Centres of the first and last training pixel along an axis of `pixels` pixels (every `step`-th)."""
    last = (math.ceil(pixels / step) - 1) * step
    return (-1 + 1 / pixels, -1 + (2 * last + 1) / pixels)


def fit_config(arch: str, device: str, **overrides) -> FitConfig:
    """The FitConfig of `arch` on this device ("cpu" or "cuda"), with any field overridden."""
    settings = dict(_row(arch).fit["cuda" if device.startswith("cuda") else "cpu"])
    settings.update({k: v for k, v in overrides.items() if v is not None})
    if "steps" in overrides and overrides["steps"] is not None and overrides.get("seconds") is None:
        settings["seconds"] = None  # a step budget alone replaces the default time budget
    return FitConfig(**settings)


def initialise(arch: str, model: nn.Module, frames: list[np.ndarray], masks: list[torch.Tensor]) -> list[str]:
    """Set up a fresh model of `arch` from the clips it will fit (most need nothing); notes to show."""
    hook = _row(arch).initialise
    return hook(model, frames, masks) if hook else []


def trainer(arch: str) -> Callable | None:
    """The trainer factory fits of `arch` use (None: the field's own, fit.field_trainer)."""
    return _row(arch).make_trainer


def caps(device: str) -> dict:
    return dict(CAPS["cuda" if device.startswith("cuda") else "cpu"])
