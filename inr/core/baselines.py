"""Classical rebuilds: what plain interpolation gets without any learning.

An INR is worth rendering between pixels only where it beats these, so every held-out PSNR the
package reports is shown beside them.
"""

import numpy as np
import torch
import torch.nn.functional as F

from inr.core.metrics import psnr


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
    _, height, width, _ = frames.shape
    heldout = ~mask
    if holdout == "every2":
        train = frames[:, ::2, ::2]
        rebuilds = {name: upsample_every2(train, height, width, name) for name in ("bilinear", "bicubic")}
    else:
        rebuilds = {"bilinear": scattered_rebuild(frames, mask[0], "linear"),
                    "bicubic": scattered_rebuild(frames, mask[0], "cubic")}
    return {name: psnr(image[heldout], frames[heldout]) for name, image in rebuilds.items()}


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
