"""Space-time super-resolution, measured: degrade a clip, rebuild it, score against the original.

VideoINR's claim is that a continuous (t, y, x) model renders a clip at any size and frame rate.
We test it the only honest way: make a smaller, slower clip from a real one (area averaging in
space, every n-th frame in time), fit the INR to that, render back at the original size and rate,
and compare with what classical interpolation of the same small clip gives.
"""

import math
from dataclasses import dataclass

import numpy as np
import torch

from inr.core.baselines import upscale_space, upscale_time
from inr.core.io import resize
from inr.core.metrics import psnr, ssim


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


def classical(low: np.ndarray, shape: tuple[int, int, int]) -> dict[str, torch.Tensor]:
    """The classical rebuilds of `low` at (T, H, W): float (T, H, W, 3) in [0, 1] by name.

    Space: bilinear and bicubic. Time: linear frame blending. Both: trilinear (bilinear, then
    linear in time) and bicubic + linear blending, the stronger of the two.
    """
    frames, height, width = shape
    x = torch.from_numpy(low).float() / 255
    same_size = x.shape[1:3] == (height, width)
    out = {}
    for mode in ("bilinear", "bicubic"):
        up = x if same_size else upscale_space(x, height, width, mode)
        out[mode] = upscale_time(up, frames) if len(x) != frames else up
    if len(x) != frames and same_size:
        return {"linear blending": out["bilinear"]}
    if len(x) != frames:
        return {"trilinear": out["bilinear"], "bicubic + linear blending": out["bicubic"]}
    return out


def score(pred: torch.Tensor, target: np.ndarray, time: int) -> dict[str, float]:
    """PSNR and SSIM of pred (T, H, W, 3) in [0, 1] against the uint8 original; with time > 1, also
    PSNR on the new frames only (the ones between kept frames)."""
    truth = torch.from_numpy(target).float() / 255
    out = {"psnr": psnr(pred, truth), "ssim": ssim(pred, truth)}
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
