"""Named architectures and their default settings per device, in one table.

``grid`` is the default: a multiresolution grid read through a cubic B-spline with a linear
head. On a 2-core CPU it trains whole frames per step with matrix products (see encodings.py),
which is what makes a 60 s fit reach high PSNR. The others are the published recipes.
"""

import math

from inr.core.encodings import FourierConfig, GridConfig, HashConfig, IdentityConfig
from inr.core.fit import FitConfig
from inr.core.field import ModelConfig
from inr.core.networks import NetworkConfig

ARCHS = ("grid", "hash", "fourier", "siren", "relu")
DEFAULT_ARCH = "grid"

# Clip caps per device: longest side and frames. A CPU fit of 100 frames at 160 px takes ~1 min.
CAPS = {"cpu": {"max_size": 160, "max_frames": 100}, "cuda": {"max_size": 512, "max_frames": 300}}

# Fit settings per (arch, device): batch in pixels a step, learning rates, default budget.
FIT = {
    ("grid", "cpu"): dict(batch=2**15, lr=1e-2, encoding_lr=3e-2, final_lr_ratio=0.2, seconds=60.0),
    ("grid", "cuda"): dict(batch=2**21, lr=1e-2, encoding_lr=3e-2, seconds=20.0),
    ("hash", "cpu"): dict(batch=2**14, lr=1e-2, encoding_lr=1e-2, seconds=60.0),
    ("hash", "cuda"): dict(batch=2**18, lr=1e-2, encoding_lr=1e-2, seconds=20.0),
    ("fourier", "cpu"): dict(batch=2**11, lr=3e-3, encoding_lr=None, seconds=60.0),
    ("fourier", "cuda"): dict(batch=2**16, lr=1e-3, encoding_lr=None, seconds=30.0),
    ("siren", "cpu"): dict(batch=2**12, lr=1e-4, encoding_lr=None, seconds=60.0),
    ("siren", "cuda"): dict(batch=2**16, lr=1e-4, encoding_lr=None, seconds=30.0),
    ("relu", "cpu"): dict(batch=2**12, lr=1e-3, encoding_lr=None, seconds=60.0),
    ("relu", "cuda"): dict(batch=2**16, lr=1e-3, encoding_lr=None, seconds=30.0),
}


def _check_arch(arch: str) -> None:
    if arch not in ARCHS:
        raise ValueError(f"arch must be one of {', '.join(ARCHS)}, got {arch!r}")


def model_config(arch: str, shapes: list[tuple[int, int, int]], holdout: str = "every2",
                 sigma: float | None = None) -> ModelConfig:
    """The model of `arch` sized for clips of these (T, H, W) shapes and this holdout mode."""
    _check_arch(arch)
    clips = len(shapes)
    frames = max(s[0] for s in shapes)
    height = max(s[1] for s in shapes)
    width = max(s[2] for s in shapes)
    if arch == "grid":
        # The finest level has one node per training pixel along each axis: enough to memorise
        # the training pixels, while coarser levels and the spline carry the values between them.
        step = 2 if holdout == "every2" else 1
        finest = (frames, math.ceil(height / step), math.ceil(width / step))
        span = ((-1.0, 1.0), training_span(height, step), training_span(width, step))
        encoding = GridConfig(finest=finest, coarsest=tuple(min(4, n) for n in finest), span=span)
        network = NetworkConfig(kind="relu", depth=0 if clips == 1 else 2, width=64)
        return ModelConfig(encoding, network, clips=clips)
    if arch == "hash":
        encoding = HashConfig(finest=(frames, height, width), coarsest=(min(4, frames), 8, 8))
        return ModelConfig(encoding, NetworkConfig(kind="relu", width=64, depth=2), clips=clips)
    if arch == "fourier":
        # sigma None means "no encoding", the first column of the Latent Coordinate Networks table.
        encoding = IdentityConfig() if sigma is None else FourierConfig(sigma=sigma)
        return ModelConfig(encoding, NetworkConfig(kind="relu", width=256, depth=3, output="sigmoid"), clips=clips)
    if arch == "siren":
        return ModelConfig(IdentityConfig(), NetworkConfig(kind="siren", width=256, depth=3, omega0=30.0), clips=clips)
    return ModelConfig(IdentityConfig(), NetworkConfig(kind="relu", width=256, depth=3, output="sigmoid"), clips=clips)


def training_span(pixels: int, step: int) -> tuple[float, float]:
    """Centres of the first and last training pixel along an axis of `pixels` pixels (every `step`-th)."""
    last = (math.ceil(pixels / step) - 1) * step
    return (-1 + 1 / pixels, -1 + (2 * last + 1) / pixels)


def fit_config(arch: str, device: str, **overrides) -> FitConfig:
    """The FitConfig of `arch` on this device ("cpu" or "cuda"), with any field overridden."""
    _check_arch(arch)
    settings = dict(FIT[(arch, "cuda" if device.startswith("cuda") else "cpu")])
    settings.update({k: v for k, v in overrides.items() if v is not None})
    if "steps" in overrides and overrides["steps"] is not None and overrides.get("seconds") is None:
        settings["seconds"] = None  # a step budget alone replaces the default time budget
    return FitConfig(**settings)


def caps(device: str) -> dict:
    return dict(CAPS["cuda" if device.startswith("cuda") else "cpu"])
