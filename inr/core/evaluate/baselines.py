"""Classical rebuilds: what plain interpolation gets without any learning.

An INR is worth rendering between pixels only where it beats these, so every held-out PSNR the
package reports is shown beside them. Besides the textbook ones (bilinear, bicubic, linear frame
blending, in PyTorch), what a user would reach for instead, from ffmpeg: Lanczos scaling and
motion-compensated frame interpolation (``minterpolate``).
"""

from fractions import Fraction

import numpy as np
import torch
import torch.nn.functional as F

from inr.core.evaluate.metrics import psnr
from inr.core.media import ffmpeg
from inr.core.media.images import to_uint8

# ffmpeg's motion-compensated interpolation as its documentation recommends for quality:
# overlapped-block compensation, bidirectional search, variable-size blocks.
MINTERPOLATE = "minterpolate=fps={rate}:mi_mode=mci:mc_mode=aobmc:me_mode=bidir:vsbmc=1"
# Frames under this many pixels a side are edge-padded to it (and cropped back): under 32 the
# filter outputs no frame at all, and under about 48 its motion search finds nothing (a square
# moving across 32x24 frames came back as plain blending). Larger frames go in as they are.
MINTERPOLATE_MIN_SIDE = 64


def upsample_every2(train: torch.Tensor, height: int, width: int, mode: str) -> torch.Tensor:
    """Rebuild full frames from the even-row, even-column pixels of an ``every2`` split.

    train: (T, h, w, 3) in [0, 1], the pixels at rows 0, 2, 4, ... and columns 0, 2, 4, ...
    Returns (T, height, width, 3). Training pixel (i, j) sits exactly at full-resolution pixel
    (2i, 2j), so the sample positions are i/2 in training-grid units (align_corners=True).
    Positions past the last training row or column (even sizes) clamp to the border.
    """
    if mode not in ("bilinear", "bicubic"):
        raise ValueError(f"mode must be bilinear or bicubic, got {mode!r}")
    _, h, w, _ = train.shape

    def axis(n_out: int, n_in: int) -> torch.Tensor:
        if n_in == 1:
            return torch.zeros(n_out, device=train.device)
        return (torch.arange(n_out, device=train.device) / 2.0) * (2.0 / (n_in - 1)) - 1.0

    gy, gx = torch.meshgrid(axis(height, h), axis(width, w), indexing="ij")
    sample_at = torch.stack([gx, gy], dim=-1)[None]  # (1, H, W, 2), grid_sample wants (x, y)
    out = []
    for chunk in train.split(8):  # chunks bound memory on long clips
        image = chunk.permute(0, 3, 1, 2).float()  # (t, 3, h, w)
        up = F.grid_sample(image, sample_at.expand(len(chunk), -1, -1, -1), mode=mode,
                           padding_mode="border", align_corners=True)
        out.append(up.permute(0, 2, 3, 1).clamp(0, 1))
    return torch.cat(out)


def scattered_rebuild(frames: torch.Tensor, known: torch.Tensor, method: str) -> torch.Tensor:
    """Rebuild every pixel of each frame from training pixels at scattered positions.

    frames: (T, H, W, 3) in [0, 1]; known: (H, W) True for training positions, the same in every
    frame. ``linear`` is barycentric interpolation on a Delaunay triangulation (the scattered
    analogue of bilinear), ``cubic`` is Clough-Tocher (of bicubic); positions outside the hull
    take the nearest training value.
    """
    from scipy.interpolate import CloughTocher2DInterpolator, LinearNDInterpolator, NearestNDInterpolator
    from scipy.spatial import Delaunay

    if method not in ("linear", "cubic"):
        raise ValueError(f"method must be linear or cubic, got {method!r}")
    count, height, width, _ = frames.shape
    known = known.cpu().numpy()
    if known.all() or known.sum() < 4:
        return frames.clone()
    yy, xx = np.mgrid[0:height, 0:width]
    points = np.stack([yy[known], xx[known]], -1).astype(np.float64)
    queries = np.stack([yy[~known], xx[~known]], -1).astype(np.float64)
    data = frames.detach().cpu().numpy().astype(np.float64)  # (T, H, W, 3)
    values = data[:, known].transpose(1, 0, 2).reshape(len(points), -1)  # (N, T*3): one triangulation
    interpolator = LinearNDInterpolator if method == "linear" else CloughTocher2DInterpolator
    filled = interpolator(Delaunay(points), values)(queries)
    missing = np.isnan(filled).any(-1)
    if missing.any():
        filled[missing] = NearestNDInterpolator(points, values)(queries[missing])
    data[:, ~known] = filled.reshape(len(queries), count, 3).transpose(1, 0, 2)
    return torch.from_numpy(data).float().clamp(0, 1)


def classical_rebuild(frames: torch.Tensor, mask: torch.Tensor, holdout: str) -> dict[str, float] | None:
    """PSNR of the bilinear and bicubic rebuilds on the held-out pixels, or None with no holdout.

    frames: (T, H, W, 3) in [0, 1]; mask: (T, H, W) True for training pixels.
    """
    if holdout == "none" or bool(mask.all()):
        return None
    frames = frames.float()
    heldout = ~mask
    return {name: psnr(rebuild(frames, mask, holdout, name)[heldout], frames[heldout])
            for name in ("bilinear", "bicubic")}


def rebuild(frames: torch.Tensor, mask: torch.Tensor, holdout: str, mode: str = "bicubic") -> torch.Tensor:
    """Every pixel of (T, H, W, 3) frames in [0, 1] rebuilt from the training pixels (mask True) alone,
    bilinear or bicubic: the picture a person would make instead of fitting a model."""
    if mode not in ("bilinear", "bicubic"):
        raise ValueError(f"mode must be bilinear or bicubic, got {mode!r}")
    frames = frames.float()
    if holdout == "every2":
        return upsample_every2(frames[:, ::2, ::2], *frames.shape[1:3], mode)
    return scattered_rebuild(frames, mask[0], "linear" if mode == "bilinear" else "cubic")


def upscale_space(frames: torch.Tensor, height: int, width: int, mode: str) -> torch.Tensor:
    """Resize frames (T, h, w, 3) in [0, 1] to (T, height, width, 3), bilinear or bicubic.

    Pixel centres are area-aligned (align_corners=False), the convention of ``coords``, so the
    classical upscale and an INR render sample the same positions.
    """
    if mode not in ("bilinear", "bicubic"):
        raise ValueError(f"mode must be bilinear or bicubic, got {mode!r}")
    out = []
    for chunk in frames.split(8):  # chunks bound memory on long clips
        up = F.interpolate(chunk.permute(0, 3, 1, 2).float(), size=(height, width), mode=mode,
                           align_corners=False)
        out.append(up.permute(0, 2, 3, 1).clamp(0, 1))
    return torch.cat(out)


def upscale_time(frames: torch.Tensor, count: int) -> torch.Tensor:
    """Linear frame blending of (T, H, W, 3) to `count` frames, instant-aligned like ``coords``:
    the first and last frames are kept, the others are blends of their two neighbours."""
    total = len(frames)
    if count < 1:
        raise ValueError(f"frame count must be >= 1, got {count}")
    if total == 1:
        return frames.expand(count, -1, -1, -1)
    # (count,) positions in input frames; one output frame sits in the middle, as in coords.
    position = torch.linspace(0, total - 1, count, dtype=torch.float64) if count > 1 else \
        torch.tensor([(total - 1) / 2], dtype=torch.float64)
    lower = position.floor().long().clamp(max=total - 2)
    weight = (position - lower).float().view(-1, 1, 1, 1)
    return torch.lerp(frames[lower], frames[lower + 1], weight)


def upscale_space_lanczos(frames: torch.Tensor, height: int, width: int) -> torch.Tensor:
    """Resize frames (T, h, w, 3) in [0, 1] to (T, height, width, 3) with ffmpeg's Lanczos.

    swscale puts pixel centres where ``coords`` does (area-aligned: a 2x upscale's pixel i sits at
    (i + 0.5) / 2 - 0.5 of the input), so this scores like ``upscale_space``. The result is whole
    8-bit levels, as ffmpeg outputs it.
    """
    small = to_uint8(frames)  # (T, h, w, 3) uint8
    if small.shape[1:3] == (height, width):
        return frames.clone()
    out = ffmpeg.filter_frames(small, f"scale={width}:{height}:flags=lanczos", size=(height, width))
    return torch.from_numpy(out).float().div(255)


def upscale_time_minterpolate(frames: torch.Tensor, count: int) -> torch.Tensor:
    """Motion-compensated interpolation of (T, H, W, 3) in [0, 1] to `count` frames with ffmpeg's
    minterpolate, instant-aligned like ``upscale_time``: output frame i is at input position
    i (T - 1) / (count - 1), so the first and last frames are kept ones.

    Frames go in at 1 fps and come out at (count - 1) / (T - 1) fps, an exact fraction, so output
    i lands on that instant (the filter's result depends only on the ratio of the rates). With no
    motion to estimate (one frame in or out) it is linear frame blending.
    """
    total = len(frames)
    if count < 1:
        raise ValueError(f"frame count must be >= 1, got {count}")
    if count == total:
        return frames.clone()
    if total == 1 or count == 1:
        return upscale_time(frames, count)
    rate = Fraction(count - 1, total - 1)
    small = to_uint8(frames)  # (T, H, W, 3) uint8
    height, width = small.shape[1:3]
    # minterpolate emits only the frames before its newest input, so it stops one input interval
    # short of the last frame; a copy of the last frame appended lets it reach that frame.
    grow = (max(0, MINTERPOLATE_MIN_SIDE - height), max(0, MINTERPOLATE_MIN_SIDE - width))
    padded = np.pad(np.concatenate([small, small[-1:]]), ((0, 0), (0, grow[0]), (0, grow[1]), (0, 0)), mode="edge")
    out = ffmpeg.filter_frames(padded, MINTERPOLATE.format(rate=f"{rate.numerator}/{rate.denominator}"))
    out = out[:, :height, :width]
    # Should a build stop a frame short all the same, the tail repeats its last frame (the clip's
    # last frame, or one step before it); extra frames past the last instant are dropped.
    if len(out) < count:
        out = np.concatenate([out, np.repeat(out[-1:], count - len(out), axis=0)])
    return torch.from_numpy(out[:count]).float().div(255)
