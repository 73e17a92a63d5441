"""Input encodings: (N, 3) coordinates (t, y, x) in [-1, 1] -> (N, out_dim) features.

Every encoding exposes ``out_dim`` so a network is sized without a dry run.
"""

import math
from dataclasses import dataclass

import torch
from torch import nn


@dataclass(frozen=True)
class IdentityConfig:
    kind: str = "none"  # raw coordinates: the spectral-bias baseline of the Fourier-feature papers


@dataclass(frozen=True)
class FourierConfig:
    sigma: float = 10.0  # std of B; 10 is the best row of the Latent Coordinate Networks table
    features: int = 256  # rows of B, as in that paper; out_dim is twice this (sin and cos)
    seed: int = 0  # B is drawn from this seed, so a config alone rebuilds the same mapping
    kind: str = "fourier"


@dataclass(frozen=True)
class GridConfig:
    """A multiresolution grid: one feature volume per level, read through a separable kernel.

    Level resolutions grow geometrically from ``coarsest`` to ``finest`` nodes per axis (t, y, x);
    nodes span [-1, 1] with the end nodes on the domain's edges. Features of all levels are
    concatenated. On a lattice of points (every render, every training step) the lookup is three
    small matrix products per level; at scattered points it gathers the kernel's support.
    """

    finest: tuple[int, int, int] = (32, 64, 64)  # presets set this from the clip's size
    coarsest: tuple[int, int, int] = (4, 4, 4)  # a few nodes carry the smooth, global colour
    levels: int = 4  # octaves between coarsest and finest
    features: int = 3  # per level; 3 lets a linear head read rgb straight from the grids
    # "linear" (tent, C0), "cubic" (B-spline, C2), "quintic" (B-spline, C4) or "catmull-rom"
    # (Keys' interpolating cubic, C1: a node's value is the field's value there).
    kernel: str = "cubic"
    # Where the end nodes sit on each axis (t, y, x). Presets put them on the first and last
    # training pixels, so the finest level's nodes coincide with training pixels.
    span: tuple[tuple[float, float], ...] = ((-1.0, 1.0), (-1.0, 1.0), (-1.0, 1.0))
    init_scale: float = 0.0  # zero start: the linear head's offset is the first guess
    kind: str = "grid"


@dataclass(frozen=True)
class HashConfig:
    """An instant-ngp style hash grid: levels of hashed feature tables (pure PyTorch)."""

    finest: tuple[int, int, int] = (64, 256, 256)
    coarsest: tuple[int, int, int] = (4, 8, 8)
    levels: int = 12
    features: int = 2  # instant-ngp's choice: 2 features x many levels
    table: int = 2**17  # entries a level (instant-ngp's 2^14..2^24); coarse levels that fit are indexed densely
    init_scale: float = 1e-4  # instant-ngp's U(-1e-4, 1e-4)
    kind: str = "hash"


EncodingConfig = IdentityConfig | FourierConfig | GridConfig | HashConfig
ENCODING_CONFIGS = {c.kind: c for c in (IdentityConfig(), FourierConfig(), GridConfig(), HashConfig())}


def level_resolutions(coarsest, finest, levels: int) -> list[tuple[int, int, int]]:
    """Per-level nodes per axis, geometric from coarsest to finest: [(t, y, x)] * levels."""
    if levels < 1:
        raise ValueError(f"levels must be >= 1, got {levels}")
    out = []
    for level in range(levels):
        f = level / (levels - 1) if levels > 1 else 1.0
        out.append(tuple(max(2, round(c * (m / c) ** f)) for c, m in zip(coarsest, finest)))
    return out


class Identity(nn.Module):
    def __init__(self, cfg: IdentityConfig):
        super().__init__()
        self.out_dim = 3

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        return coords


class FourierFeatures(nn.Module):
    """gamma(v) = [sin 2 pi B v, cos 2 pi B v], B ~ N(0, sigma^2), with v mapped to [0, 1]^3.

    Mapping v to [0, 1] (the domain of the Latent Coordinate Networks paper) keeps sigma
    comparable with its table.
    """

    def __init__(self, cfg: FourierConfig):
        super().__init__()
        if not (math.isfinite(cfg.sigma) and cfg.sigma > 0):
            raise ValueError(f"fourier sigma must be a finite number > 0, got {cfg.sigma!r}")
        generator = torch.Generator().manual_seed(cfg.seed)
        self.register_buffer("B", torch.randn(cfg.features, 3, generator=generator) * cfg.sigma)
        self.out_dim = 2 * cfg.features

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        angles = (2 * math.pi) * ((coords + 1) / 2) @ self.B.T  # (N, features)
        return torch.cat([angles.sin(), angles.cos()], dim=-1)


KERNEL_SUPPORT = {"linear": 2, "cubic": 4, "quintic": 6, "catmull-rom": 4}


def _kernel(name: str, d: torch.Tensor) -> torch.Tensor:
    """Weight of a node at signed distance d (in node spacings)."""
    d = d.abs()
    if name == "linear":
        return (1 - d).clamp(min=0)
    if name == "catmull-rom":
        # Keys' cubic convolution with a = -0.5: 1 at its node, 0 at every other node, so a grid
        # interpolates its node values; bicubic image resizing uses the same family.
        return torch.where(d < 1, 1.5 * d**3 - 2.5 * d**2 + 1,
                           (-0.5 * d**3 + 2.5 * d**2 - 4 * d + 2) * (d < 2))
    if name == "cubic":
        # Cubic B-spline: partition of unity, twice differentiable, support (-2, 2).
        return torch.where(d < 1, (4 - 6 * d**2 + 3 * d**3) / 6, ((2 - d).clamp(min=0) ** 3) / 6)
    # Quintic B-spline: four times differentiable, support (-3, 3); closer to band-limited.
    outer = (3 - d).clamp(min=0) ** 5 / 120
    middle = (51 + 75 * d - 210 * d**2 + 150 * d**3 - 45 * d**4 + 5 * d**5) / 120
    inner = (66 - 60 * d**2 + 30 * d**4 - 10 * d**5) / 120
    return torch.where(d < 1, inner, torch.where(d < 2, middle, outer))


def _node_units(p: torch.Tensor, nodes: int, span: tuple[float, float]) -> torch.Tensor:
    """Positions p in units of node spacing, node 0 at span[0] and the last node at span[1]."""
    lo, hi = span
    if nodes == 1 or hi <= lo:
        return torch.zeros_like(p)
    return (p - lo) * ((nodes - 1) / (hi - lo))


def _support(p: torch.Tensor, nodes: int, kernel: str,
             span: tuple[float, float] = (-1.0, 1.0)) -> tuple[torch.Tensor, torch.Tensor]:
    """Node indices (N, s) and weights (N, s) that a kernel reads for positions p (N,).

    Nodes past the ends are clamped onto the end nodes (the grid extends as a constant border).
    """
    s = KERNEL_SUPPORT[kernel]
    u = _node_units(p, nodes, span)
    first = u.floor().long() - (s // 2 - 1)  # the s nodes around u: floor(u) - s/2 + 1 ...
    index = first[:, None] + torch.arange(s, device=p.device)  # (N, s)
    weight = _kernel(kernel, u[:, None] - index)
    return index.clamp(0, nodes - 1), weight


def interpolation_matrix(p: torch.Tensor, nodes: int, kernel: str,
                         span: tuple[float, float] = (-1.0, 1.0)) -> torch.Tensor:
    """Dense (N, nodes) matrix whose rows read a 1-D grid at positions p (N,)."""
    index, weight = _support(p, nodes, kernel, span)
    return torch.zeros(len(p), nodes, device=p.device).scatter_add_(1, index, weight)


class SeparableGrid(nn.Module):
    """Multiresolution feature grids read through a separable kernel (see GridConfig)."""

    def __init__(self, cfg: GridConfig):
        super().__init__()
        if cfg.kernel not in KERNEL_SUPPORT:
            raise ValueError(f"grid kernel must be one of {', '.join(KERNEL_SUPPORT)}, got {cfg.kernel!r}")
        self.kernel = cfg.kernel
        self.span = tuple(tuple(float(v) for v in s) for s in cfg.span)
        self.resolutions = level_resolutions(cfg.coarsest, cfg.finest, cfg.levels)
        generator = torch.Generator().manual_seed(0)
        self.grids = nn.ParameterList(
            nn.Parameter(torch.randn(*res, cfg.features, generator=generator) * cfg.init_scale)
            for res in self.resolutions
        )  # each (Rt, Ry, Rx, F)
        self.out_dim = cfg.levels * cfg.features

    def lattice(self, t: torch.Tensor, y: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
        """Features at every point of the lattice t x y x x (each 1-D, in [-1, 1]): (T, H, W, out_dim)."""
        out = []
        st, sy, sx = self.span
        for grid, (rt, ry, rx) in zip(self.grids, self.resolutions):
            g = torch.einsum("ta,abcf->tbcf", interpolation_matrix(t, rt, self.kernel, st), grid)
            g = torch.einsum("yb,tbcf->tycf", interpolation_matrix(y, ry, self.kernel, sy), g)
            out.append(torch.einsum("xc,tycf->tyxf", interpolation_matrix(x, rx, self.kernel, sx), g))
        return torch.cat(out, dim=-1)

    def instant(self, t: torch.Tensor, points: torch.Tensor) -> torch.Tensor:
        """Features at one instant t (a 0-d tensor) and scattered points (..., 2) = (y, x): (..., out_dim).

        Same function as ``forward``; the time axis is read once for all points, so each point
        gathers s^2 nodes instead of s^3 (what moving a whole frame of points costs).
        """
        flat = points.reshape(-1, 2)
        out = []
        for grid, res in zip(self.grids, self.resolutions):
            plane = torch.einsum("a,abcf->bcf", interpolation_matrix(t.reshape(1), res[0], self.kernel,
                                                                     self.span[0])[0], grid)  # (Ry, Rx, F)
            (iy, wy), (ix, wx) = (_support(flat[:, a], res[a + 1], self.kernel, self.span[a + 1]) for a in range(2))
            index = (iy[:, :, None] * res[2] + ix[:, None, :]).reshape(-1)
            values = plane.reshape(-1, plane.shape[-1]).index_select(0, index).view(*iy.shape, ix.shape[1], -1)  # (N, s, s, F)
            out.append(torch.einsum("nyxf,ny,nx->nf", values, wy, wx))
        return torch.cat(out, dim=-1).view(*points.shape[:-1], -1)

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        """Features at scattered points (N, 3): (N, out_dim). Same function as ``lattice``."""
        out = []
        for grid, res in zip(self.grids, self.resolutions):
            (it, wt), (iy, wy), (ix, wx) = (_support(coords[:, a], res[a], self.kernel, self.span[a])
                                            for a in range(3))
            flat = ((it[:, :, None, None] * res[1] + iy[:, None, :, None]) * res[2] + ix[:, None, None, :])
            weight = wt[:, :, None, None] * wy[:, None, :, None] * wx[:, None, None, :]  # (N, s, s, s)
            values = grid.reshape(-1, grid.shape[-1])[flat.reshape(len(coords), -1)]  # (N, s^3, F)
            out.append((values * weight.reshape(len(coords), -1, 1)).sum(1))
        return torch.cat(out, dim=-1)


_PRIMES = (1, 2654435761, 805459861)  # instant-ngp's hash primes


class HashGrid(nn.Module):
    """Multiresolution hash encoding (Mueller et al. 2022) in plain PyTorch."""

    def __init__(self, cfg: HashConfig):
        super().__init__()
        self.table_size = cfg.table
        self.resolutions = level_resolutions(cfg.coarsest, cfg.finest, cfg.levels)
        sizes = [min(self.table_size, math.prod(r)) for r in self.resolutions]
        generator = torch.Generator().manual_seed(0)
        self.tables = nn.ParameterList(
            nn.Parameter((torch.rand(n, cfg.features, generator=generator) * 2 - 1) * cfg.init_scale)
            for n in sizes
        )
        self.register_buffer("corners", torch.tensor(
            [[(c >> 2) & 1, (c >> 1) & 1, c & 1] for c in range(8)]), persistent=False)  # (8, 3)
        self.out_dim = cfg.levels * cfg.features

    def _index(self, nodes: torch.Tensor, res: tuple[int, int, int], size: int) -> torch.Tensor:
        if math.prod(res) <= size:  # the level fits: a dense index, no collisions
            return (nodes[..., 0] * res[1] + nodes[..., 1]) * res[2] + nodes[..., 2]
        h = nodes[..., 0] * _PRIMES[0] ^ nodes[..., 1] * _PRIMES[1] ^ nodes[..., 2] * _PRIMES[2]
        return h % size

    def forward(self, coords: torch.Tensor) -> torch.Tensor:
        unit = (coords + 1) / 2  # (N, 3) in [0, 1]
        feats = []
        for table, res in zip(self.tables, self.resolutions):
            scale = torch.tensor(res, device=coords.device, dtype=coords.dtype) - 1
            pos = unit * scale
            base = pos.floor().clamp(max=scale - 1).long()  # (N, 3) lower corner
            frac = pos - base  # (N, 3) in [0, 1]
            nodes = base[:, None, :] + self.corners  # (N, 8, 3)
            w = torch.where(self.corners.bool(), frac[:, None, :], 1 - frac[:, None, :]).prod(-1)
            values = table[self._index(nodes, res, table.shape[0])]  # (N, 8, F)
            feats.append((values * w[..., None]).sum(1))
        return torch.cat(feats, dim=-1)


_ENCODINGS = {"none": Identity, "fourier": FourierFeatures, "grid": SeparableGrid, "hash": HashGrid}


def register(config, module: type[nn.Module]) -> None:
    """Add an encoding a method defines: its default config (whose ``kind`` names it) and its module,
    so that fields build it and checkpoints of it load."""
    ENCODING_CONFIGS[config.kind] = config
    _ENCODINGS[config.kind] = module


def build_encoding(cfg: EncodingConfig) -> nn.Module:
    return _ENCODINGS[cfg.kind](cfg)
