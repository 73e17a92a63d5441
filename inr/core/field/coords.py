"""The one coordinate convention of the package.

Every clip, whatever its size, lives in the cube [-1, 1]^3 with axes (t, y, x):

* **Space is area-aligned.** A frame of width W covers x in [-1, 1]; pixel j is the cell
  [-1 + 2j/W, -1 + 2(j+1)/W] and is sampled at its centre x_j = -1 + (2j + 1)/W (the same for
  y with H). A render at any scale s covers the same square with s times as many cells, so
  rendering at 2.5x samples the same function the model was trained on with no half-pixel shift
  at the borders. Odd integer factors hit the 1x centres; even factors never do.
* **Time is instant-aligned.** Frames are instants, not intervals: of T frames, frame i sits at
  t_i = -1 + 2i/(T-1), so the first frame is at -1 and the last at +1. A temporal render with
  scale s has round((T-1)s) + 1 frames, and its first and last frames fall on the original
  first and last frames. A one-frame clip sits at t = 0.

Coordinates are float32 tensors of shape (..., 3), ordered (t, y, x).
"""

import math

import torch

DOMAIN = (-1.0, 1.0)  # every axis of every clip


def pixel_centres(n: int, device=None) -> torch.Tensor:
    """Centres of n equal cells tiling [-1, 1]: (n,)."""
    if n < 1:
        raise ValueError(f"pixel count must be >= 1, got {n}")
    return (torch.arange(n, device=device, dtype=torch.float32) * 2 + 1) / n - 1


def frame_times(n: int, device=None) -> torch.Tensor:
    """Instants of n frames from -1 to +1 inclusive: (n,). One frame sits at 0."""
    if n < 1:
        raise ValueError(f"frame count must be >= 1, got {n}")
    if n == 1:
        return torch.zeros(1, device=device)
    # (2i - (n-1)) / (n-1) in integers first: the middle frame is exactly 0 and ends exactly +-1.
    return (torch.arange(n, device=device, dtype=torch.float64) * 2 - (n - 1)).div(n - 1).float()


def grid(frames: int, height: int, width: int, device=None) -> torch.Tensor:
    """All (t, y, x) sample points of a clip of this size: (T, H, W, 3)."""
    t, y, x = torch.meshgrid(
        frame_times(frames, device), pixel_centres(height, device), pixel_centres(width, device),
        indexing="ij",
    )
    return torch.stack([t, y, x], dim=-1)


def scaled_size(shape: tuple[int, int, int], spatial: float = 1.0,
                temporal: float = 1.0) -> tuple[int, int, int]:
    """Output (T, H, W) of a render at these scales, following the convention above."""
    for name, value in (("spatial scale", spatial), ("temporal scale", temporal)):
        if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
            raise ValueError(f"{name} must be a finite number > 0, got {value!r}")
    frames, height, width = shape
    out_frames = round((frames - 1) * temporal) + 1
    return out_frames, max(1, round(height * spatial)), max(1, round(width * spatial))
