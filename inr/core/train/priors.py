"""Smoothness priors a fit can add to its loss: they shape the model between the training pixels.

Both read the model on a small random lattice (random instants x random rows x random columns),
so grids use their fast separable path and other encodings are evaluated point by point.

* ``curvature``: squared second differences along y and x at a spacing of one pixel. A spline
  minimises this between its knots, which is what plain interpolation assumes of an image.
* ``temporal``: squared change along t over a fraction of a frame, weighted up to 3x midway
  between frames, where nothing was observed (VideoINR's frame interpolation sits there).
"""

import torch

from inr.core.field.coords import pixel_centres
from inr.core.train.loop import to_device


def _random_lattice(frames: int, height: int, width: int, rows: int, generator: torch.Generator,
                    device) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """A few random instants in [-1, 1] and `rows` random pixel rows and columns of one clip.

    Drawn with a host generator, so a fit on the GPU does not sync for them.
    """
    t = torch.rand(min(4, frames), generator=generator) * 2 - 1 if frames > 1 else torch.zeros(1)
    y = pixel_centres(height)[torch.randint(height, (rows,), generator=generator)]
    x = pixel_centres(width)[torch.randint(width, (rows,), generator=generator)]
    return to_device(t, device), to_device(y, device), to_device(x, device)


def curvature(model, code: torch.Tensor, shape: tuple[int, int, int], generator: torch.Generator,
              rows: int = 24) -> torch.Tensor:
    """Mean squared second difference of rgb along y and along x, one pixel apart (scalar)."""
    frames, height, width = shape
    t, y, x = _random_lattice(frames, height, width, rows, generator, _device(model))
    dy, dx = 2 / height, 2 / width
    along_y = model.lattice(t, torch.cat([y - dy, y, y + dy]), x, code)  # (n, 3r, r, 3)
    along_x = model.lattice(t, y, torch.cat([x - dx, x, x + dx]), code)  # (n, r, 3r, 3)
    a, b, c = along_y.split(rows, dim=1)
    d, e, f = along_x.split(rows, dim=2)
    return ((a - 2 * b + c) ** 2).mean() + ((d - 2 * e + f) ** 2).mean()


def temporal(model, code: torch.Tensor, shape: tuple[int, int, int], generator: torch.Generator,
             rows: int = 24) -> torch.Tensor:
    """Weighted mean squared change of rgb over a quarter frame along t (scalar); 0 for one frame."""
    frames, height, width = shape
    device = _device(model)
    if frames < 2:
        return torch.zeros((), device=device)
    t, y, x = _random_lattice(frames, height, width, rows, generator, device)
    step = 2 / (frames - 1)  # one frame in time units
    t = t.clamp(-1, 1 - step / 4)
    both = model.lattice(torch.cat([t, t + step / 4]), y, x, code)  # (2n, r, r, 3)
    now, later = both.split(len(t), dim=0)
    units = (t + 1) / step  # position in frames
    away = (units - units.round()).abs()  # 0 on a frame, 0.5 midway
    weight = 1 + 4 * away  # (n,)
    return (((later - now) ** 2).mean(dim=(1, 2, 3)) * weight).mean()


def _device(model) -> torch.device:
    return next(model.parameters()).device
