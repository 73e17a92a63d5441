"""Every frame helps its neighbours: a key frame is also fitted to its neighbours' pixels, moved along the flow.

A point that moves is seen at a different sub-pixel position in every frame. For a key frame k
and a neighbour j = k ± 1, each training pixel p of frame j sits, by the flow between them, at
q = p + flow_j→k(p) in frame k, and the field's frame k is asked to show that pixel's colour at q.
Frame k's held-out pixels thus get real samples from its neighbours, the way classical multi-frame
super-resolution fills a finer grid from shifted low-resolution frames (Irani & Peleg 1991; Farsiu
et al. 2004), with the fit as the solver. Pixels that the forward and backward flows disagree on
(occlusions, mistracking) or that leave the frame weigh less (a Gaussian of the disagreement), so
each key keeps its own pixels as the answer where its neighbours cannot give one.

The field's key frames are rendered on the pixel lattice (the grid's fast separable path) and read
at q bicubically, rather than read at every q as scattered points, which costs each point a gather
of its own nodes.
"""

import torch

from inr.core.field.coords import frame_times, pixel_centres
from inr.core.field.model import Field
from inr.core.field.pixels import TrainLattice
from inr.methods.motion.flow import disagreement, sample

AGREEMENT_PIXELS = 0.5  # σ of the forward-backward weight, in pixels
READ = "bicubic"  # how a rendered key frame is read where a neighbour's pixel lands (grid_sample's mode)


def pairs(count: int, moving: list[int], draw: torch.Generator) -> tuple[list[int], list[int]]:
    """`count` random (key, neighbour) frame pairs across the gaps that move: keys, neighbours."""
    gaps = torch.tensor(moving)[torch.randint(len(moving), (count,), generator=draw)]
    later = torch.rand(count, generator=draw) < 0.5  # the key is the later frame of its gap
    return (gaps + later.long()).tolist(), (gaps + (~later).long()).tolist()


def loss(model: Field, frames: torch.Tensor, lattice: TrainLattice, keys: list[int], others: list[int],
         code: torch.Tensor | None = None) -> torch.Tensor:
    """Mean weighted squared error of the field's key frames against their neighbours' training pixels.

    frames: uint8 (T, H, W, 3) of the clip; keys, others: frame indices with |key - other| = 1.
    """
    count, height, width = (int(v) for v in frames.shape[:3])
    device = frames.device
    key, other = torch.tensor(keys, device=device), torch.tensor(others, device=device)
    y, x = pixel_centres(height, device), pixel_centres(width, device)
    points = torch.stack(torch.meshgrid(x[lattice.cols], y[lattice.rows], indexing="xy"), -1)
    points = points.expand(len(keys), -1, -1, -1)  # (n, h, w, 2): the neighbours' training pixels
    flows, gap = model.encoding.flows, torch.minimum(key, other)
    ahead = (other > key).long()  # 1: the neighbour is the later frame: its pixels go back along the gap
    moved, miss = disagreement(flows[gap, ahead], flows[gap, 1 - ahead], points, (height, width))
    trust = torch.exp(-(miss / AGREEMENT_PIXELS) ** 2) * (moved.abs() <= 1).all(-1)
    if lattice.mask is not None:
        trust = trust * lattice.mask
    # Rendered as finely as the content holds detail (its finest nodes, one per pixel, or more where
    # the field is fitted to a shrunk clip to be rendered larger), then read where each pixel lands.
    fine_height, fine_width = model.encoding.content.resolutions[-1][1:]
    rendered = model.lattice(frame_times(count, device)[key], pixel_centres(max(fine_height, height), device),
                             pixel_centres(max(fine_width, width), device), code)  # (n, H', W', 3)
    pred = sample(rendered.permute(0, 3, 1, 2), moved, READ)
    target = frames[other][:, lattice.rows][:, :, lattice.cols].float() / 255
    return (trust.detach()[..., None] * (pred - target) ** 2).mean()
