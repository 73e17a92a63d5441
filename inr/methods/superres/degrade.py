"""Space-time super-resolution, measured: degrade a clip, rebuild it, score against the original.

VideoINR's claim is that a continuous (t, y, x) model renders a clip at any size and frame rate.
We test it the only honest way: make a smaller, slower clip from a real one (area averaging in
space, every n-th frame in time), fit the INR to that, render back at the original size and rate,
and compare with what classical interpolation of the same small clip gives: the textbook kind
(bicubic, linear frame blending) and what a user would pick instead (ffmpeg's Lanczos and its
motion-compensated minterpolate).
"""

import math
from dataclasses import dataclass

import numpy as np
import torch

from inr.core.evaluate.baselines import upscale_space, upscale_space_lanczos, upscale_time, upscale_time_minterpolate
from inr.core.evaluate.metrics import psnr, ssim
from inr.core.media.io import resize


@dataclass(frozen=True)
class Degraded:
    low: np.ndarray  # uint8 (t, h, w, 3): what the INR and the classical methods are given
    target: np.ndarray  # uint8 (T, H, W, 3): the original frames they must rebuild
    space: float  # spatial factor: H / h, about
    time: int  # every `time`-th frame was kept


def degrade(frames: np.ndarray, space: float = 1.0, time: int = 1) -> Degraded:
    """Downscale uint8 (T, H, W, 3) by `space` (area averaging) and keep every `time`-th frame.

    The original is cut to a whole number of frame gaps, so its first and last frames are kept
    frames: a render at `time`x then lands exactly on them (see coords: time is instant-aligned).
    """
    if not (math.isfinite(space) and space >= 1):
        raise ValueError(f"spatial factor must be a finite number >= 1, got {space!r}")
    if not (isinstance(time, int) and time >= 1):
        raise ValueError(f"temporal factor must be a whole number >= 1, got {time!r}")
    total, height, width = frames.shape[:3]
    gaps = (total - 1) // time
    if gaps < 1 and time > 1:
        raise ValueError(f"keeping every {time}th frame of a {total}-frame clip leaves one frame: "
                         f"nothing to interpolate")
    target = frames[: gaps * time + 1]
    small = (max(1, round(height / space)), max(1, round(width / space)))
    if min(small) < 4:
        raise ValueError(f"a {width}x{height} clip downscaled {space:g}x is under 4 pixels a side")
    low = np.stack([resize(f, *small) for f in target[::time]])
    return Degraded(low, target, space, time)


# Each classical rebuild by name: (its spatial mode, its temporal mode). A mode is used only where
# the size (or the frame count) changes; "lanczos" and "minterpolate" are ffmpeg's.
METHODS = {
    "bilinear": ("bilinear", None), "bicubic": ("bicubic", None), "lanczos": ("lanczos", None),
    "linear blending": (None, "linear"), "minterpolate": (None, "minterpolate"),
    "trilinear": ("bilinear", "linear"), "bicubic + linear blending": ("bicubic", "linear"),
    "lanczos + minterpolate": ("lanczos", "minterpolate"),
}
# The rebuilds of each kind of scale, keyed by (size changes, frame count changes): the plain one
# first (what classical_frame draws), then the one a user would pick instead, then the rest.
KINDS = {
    (False, False): ("bicubic", "lanczos", "bilinear"),  # nothing to rebuild: every one is the input
    (True, False): ("bicubic", "lanczos", "bilinear"),
    (False, True): ("linear blending", "minterpolate"),
    (True, True): ("bicubic + linear blending", "lanczos + minterpolate", "trilinear"),
}


def methods(low_shape: tuple[int, int, int], shape: tuple[int, int, int]) -> tuple[str, ...]:
    """The classical rebuilds of a (t, h, w) clip at (T, H, W): the plain one, the strong one, the rest."""
    return KINDS[(tuple(low_shape[1:3]) != tuple(shape[1:3]), low_shape[0] != shape[0])]


def rebuild(low: np.ndarray, shape: tuple[int, int, int], name: str) -> torch.Tensor:
    """The classical rebuild `name` (a key of METHODS) of uint8 `low` (t, h, w, 3) at (T, H, W):
    float (T, H, W, 3) in [0, 1]. Space first, then time: motion is estimated at full size, the
    stronger order (docs/superres.md, "Why the defaults")."""
    if name not in METHODS:
        raise ValueError(f"classical method must be one of {', '.join(METHODS)}; got {name!r}")
    frames, height, width = shape
    space, time = METHODS[name]
    x = torch.from_numpy(low).float() / 255  # (t, h, w, 3)
    if x.shape[1:3] != (height, width):
        if space is None:
            raise ValueError(f"{name} does not resize: {tuple(x.shape[1:3])} -> {(height, width)} needs a "
                             f"spatial method")
        x = upscale_space_lanczos(x, height, width) if space == "lanczos" else upscale_space(x, height, width, space)
    if len(x) != frames:
        if time is None:
            raise ValueError(f"{name} keeps the frame count: {len(x)} -> {frames} frames needs a temporal method")
        x = upscale_time_minterpolate(x, frames) if time == "minterpolate" else upscale_time(x, frames)
    return x


def classical(low: np.ndarray, shape: tuple[int, int, int]) -> dict[str, torch.Tensor]:
    """Every classical rebuild of `low` at (T, H, W) for its kind of scale: float (T, H, W, 3) in
    [0, 1] by name.

    Space: bicubic, Lanczos, bilinear. Time: linear frame blending and ffmpeg's motion-compensated
    minterpolate. Both: bicubic + linear blending, Lanczos + minterpolate and trilinear.
    """
    return {name: rebuild(low, shape, name) for name in methods(low.shape[:3], shape)}


def quality(pred: torch.Tensor, target: np.ndarray, time: int, structure: bool = True) -> dict[str, float]:
    """PSNR and SSIM of pred (T, H, W, 3) in [0, 1] against the uint8 original; with time > 1, also
    PSNR on the new frames only (the ones between kept frames). SSIM, the slow one, only if
    `structure`."""
    truth = torch.from_numpy(target).float() / 255
    out = {"psnr": psnr(pred, truth)}
    if structure:
        out["ssim"] = ssim(pred, truth)
    if time > 1:
        new = torch.ones(len(truth), dtype=torch.bool)
        new[::time] = False
        out["psnr_new_frames"] = psnr(pred[new], truth[new])
    return out


def classical_frame(low: np.ndarray, shape: tuple[int, int, int], index: int) -> torch.Tensor:
    """Frame `index` of the classical rebuild of uint8 `low` at (T, H, W): linear blending of the
    two nearest frames, then bicubic. float (H, W, 3) in [0, 1]; cheap enough for a slider."""
    frames, height, width = shape
    if not 0 <= index < frames:
        raise ValueError(f"frame must be in 0..{frames - 1}, got {index}")
    position = (len(low) - 1) * (index / (frames - 1) if frames > 1 else 0.5)  # in input frames
    lower = min(int(position), max(len(low) - 2, 0))
    pair = torch.from_numpy(low[lower : lower + 2]).float() / 255
    blend = torch.lerp(pair[0], pair[-1], position - lower)[None]  # (1, h, w, 3)
    if blend.shape[1:3] == (height, width):
        return blend[0]
    return upscale_space(blend, height, width, "bicubic")[0]


def classical_name(low_shape: tuple[int, int, int], shape: tuple[int, int, int]) -> str:
    """What classical_frame does for this pair of sizes, in words."""
    space = low_shape[1:] != shape[1:]
    time = low_shape[0] != shape[0]
    return {(True, True): "bicubic + linear blending", (True, False): "bicubic",
            (False, True): "linear blending", (False, False): "the input frames"}[(space, time)]
