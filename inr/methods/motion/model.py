"""A field that moves content between frames instead of blending it.

Content lives on the engine's multiresolution grid whose time nodes are the clip's frames (the key
frames): at a key instant the field *is* that grid, so fitting the frames costs what the ``grid``
arch costs. Between two keys k and k+1, at a share a of the gap, a point p is found where it was in
key k and where it will be in key k+1 by following the gap's forward and backward flow:

    p_k + a · F_k→k+1(p_k) = p,        p_k+1 + (1 − a) · F_k+1→k(p_k+1) = p,

(a few fixed-point steps each), and the field is (1 − a) · content_k(p_k) + a · content_k+1(p_k+1).
A point is thus one set of content parameters across the gap it is seen in, and content that is
hidden in one key (an occlusion, something entering the frame) comes from the other with its share
of the weight: each key frame is a canonical of its own ("several canonicals over time"). Flows
are smooth (a coarse grid, read bilinearly), saved with the weights, and set from optical flow
when a fit starts (see flow.py); a gap with no coherent motion (a cut) has zero flow and blends.
"""

import math
from dataclasses import dataclass, fields

import torch
from torch import nn

from inr.core.field.coords import frame_times
from inr.core.field.encodings import GridConfig, SeparableGrid
from inr.methods.motion.flow import origin

KEY_TOLERANCE = 1e-4  # in key units: times this close to a key frame read the key itself


@dataclass(frozen=True)
class MotionConfig:
    """The content grid's settings (as GridConfig: presets size them from the clip) and the flow grid."""

    finest: tuple[int, int, int] = (32, 64, 64)  # time nodes = key frames (the clip's frames)
    coarsest: tuple[int, int, int] = (4, 4, 4)
    levels: int = 4
    features: int = 3
    kernel: str = "cubic"
    span: tuple[tuple[float, float], ...] = ((-1.0, 1.0), (-1.0, 1.0), (-1.0, 1.0))
    init_scale: float = 0.0
    # Flow nodes per axis (y, x): a quarter of the clip's pixels a side, as good as full-size flow
    # for in-between frames at a sixteenth of the nodes (docs/motion.md, bench/motion_ablations.py).
    flow_height: int = 16
    flow_width: int = 16
    kind: str = "motion"

    def content(self) -> GridConfig:
        return GridConfig(**{f.name: getattr(self, f.name) for f in fields(GridConfig) if f.name != "kind"})


class MotionGrid(nn.Module):
    """An encoding (t, y, x) -> features: the content grid at key instants, moved along the flows between."""

    def __init__(self, cfg: MotionConfig):
        super().__init__()
        if cfg.flow_height < 2 or cfg.flow_width < 2:
            raise ValueError(f"the flow grid needs at least 2x2 nodes, got {cfg.flow_height}x{cfg.flow_width}")
        self.content = SeparableGrid(cfg.content())
        self.keys = cfg.finest[0]
        # (gaps, direction: 0 forward k->k+1, 1 backward k+1->k, (dx, dy), h, w), normalised units
        self.flows = nn.Parameter(torch.zeros(max(self.keys - 1, 0), 2, 2, cfg.flow_height, cfg.flow_width),
                                  requires_grad=False)
        self.out_dim = self.content.out_dim
        # Set by the motion trainer around each step, which reads key instants only: the check below
        # would otherwise wait for the GPU every step (it compares times on the device).
        self.at_keys = False

    def _place(self, t: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """For times t (N,): the gap k (N,) they fall in, the share a (N,) of it, and whether each is a key."""
        u = (t + 1) / 2 * max(self.keys - 1, 0)  # key units
        key = ((u - u.round()).abs() < KEY_TOLERANCE) | (self.keys < 2)
        k = u.floor().clamp(0, max(self.keys - 2, 0)).long()
        return k, (u - k).clamp(0, 1), key

    def _moved(self, k: int, a: float, points: torch.Tensor) -> torch.Tensor:
        """Features at points (..., 2) = (x, y) at share a of gap k: content of both keys read where the
        point is in each, weighted by nearness in time. (..., out_dim)."""
        times = frame_times(self.keys, points.device)
        out = 0
        for side, (share, weight, key) in enumerate(((a, 1 - a, k), (1 - a, a, k + 1))):
            if weight == 0:
                continue
            start = origin(self.flows[k, side], points, share)  # (..., 2) as (x, y)
            out = out + weight * self.content.instant(times[key], start.flip(-1))
        return out

    def lattice(self, t: torch.Tensor, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Features at every point of the lattice t x y x x: (T, H, W, out_dim). Key instants take the
        grid's separable fast path (every training step); others move content (renders between frames)."""
        if self.at_keys:
            return self.content.lattice(t, y, x)
        k, a, key = self._place(t)
        if bool(key.all()):
            return self.content.lattice(t, y, x)
        points = torch.stack(torch.meshgrid(x, y, indexing="xy"), -1)  # (H, W, 2) as (x, y)
        out = []
        for i, (gap, share, at_key) in enumerate(zip(k.tolist(), a.tolist(), key.tolist())):  # one host read
            out.append(self.content.lattice(t[i:i + 1], y, x)[0] if at_key else self._moved(gap, share, points))
        return torch.stack(out)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        """Features at scattered points (N, 3) = (t, y, x): (N, out_dim). Same function as ``lattice``."""
        k, a, key = self._place(coords[:, 0])
        if bool(key.all()):
            return self.content(coords)
        out = torch.zeros(len(coords), self.out_dim, device=coords.device)
        out[key] = self.content(coords[key])
        moving = ~key
        for gap in k[moving].unique().tolist():
            for share in a[moving & (k == gap)].unique().tolist():
                chosen = moving & (k == gap) & (a == share)
                out[chosen] = self._moved(gap, share, coords[chosen][:, [2, 1]])
        return out


def flow_grid_size(height: int, width: int) -> tuple[int, int]:
    """Flow nodes (y, x) for a clip of this size: a quarter of its pixels a side, at least 2."""
    return max(2, math.ceil(height / 4)), max(2, math.ceil(width / 4))
