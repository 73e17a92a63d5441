"""The pixels of one or more clips, split into training and held-out sets, on one device.

Colours stay uint8 and coordinates are computed per batch from flat indices, so a fit holds
one byte per channel per pixel on the device and samples a batch with no host sync.
"""

from dataclasses import dataclass

import numpy as np
import torch

from inr.core.field.holdout import train_mask

PROBE_PIXELS = 2**16  # pixels per clip behind the live curves: cheap to score
MIN_PROBE_FRAMES = 4  # spread over the clip, even past PROBE_PIXELS: one frame can be far easier than the rest


def spread(n: int, count: int) -> torch.Tensor:
    """`count` indices of 0..n-1 evenly spread from the first to the last (fewer if they coincide)."""
    return torch.linspace(0, n - 1, count).round().long().unique()


@dataclass
class PixelSet:
    colors: torch.Tensor  # (P, 3) uint8, every pixel of every clip, clip after clip
    shapes: torch.Tensor  # (K, 3) int64, (T, H, W) of each clip
    offsets: torch.Tensor  # (K + 1,) int64, where each clip starts in `colors`
    train: torch.Tensor  # (Ntrain,) int64 flat indices of training pixels
    heldout: torch.Tensor  # (Nheld,) int64 flat indices of held-out pixels (may be empty)
    masks: list[torch.Tensor]  # per clip (T, H, W) bool on the CPU: True = training pixel
    probes: list[torch.Tensor]  # per clip: indices of the evenly spaced frames behind the live curves
    lattices: list["TrainLattice"]  # per clip: the training pixels as a product lattice

    def clip_frames(self, k: int) -> torch.Tensor:
        """uint8 (T, H, W, 3) of clip k, a view into `colors` (host-side sizes: no device sync)."""
        frames, height, width = (int(v) for v in self.masks[k].shape)
        start = sum(m.numel() for m in self.masks[:k])
        return self.colors[start:start + frames * height * width].view(frames, height, width, 3)

    @property
    def clip_count(self) -> int:
        return len(self.shapes)

    def coords(self, index: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Coordinates (N, 3) in [-1, 1] and clip ids (N,) of flat pixel indices (N,)."""
        clip = torch.searchsorted(self.offsets, index, right=True) - 1
        local = index - self.offsets[clip]
        frames, height, width = self.shapes[clip].unbind(-1)
        x = local % width
        y = (local // width) % height
        t = local // (width * height)
        # Same arithmetic as coords.frame_times: (2t - (T-1)) / (T-1), and 0 for one frame.
        tt = (t * 2 - (frames - 1)).double() / (frames - 1).clamp(min=1)
        yy = (y * 2 + 1) / height - 1
        xx = (x * 2 + 1) / width - 1
        return torch.stack([tt, yy, xx], dim=-1).float(), clip

    def targets(self, index: torch.Tensor) -> torch.Tensor:
        """rgb (N, 3) in [0, 1] of flat pixel indices."""
        return self.colors[index].float() / 255.0


@dataclass
class TrainLattice:
    """The training pixels of one clip as rows x columns of every frame, with an optional mask.

    ``every2`` trains on a true product lattice (even rows, even columns); ``random`` on the full
    lattice with a mask; ``none`` on the full lattice.
    """

    rows: torch.Tensor  # (h,) int64
    cols: torch.Tensor  # (w,) int64
    mask: torch.Tensor | None  # (h, w) bool, the same for every frame; None when all are used


def _lattice(mask: torch.Tensor, device) -> TrainLattice:
    """mask: (T, H, W), the same pattern in every frame (as every holdout mode makes it)."""
    pattern = mask[0]
    rows = torch.nonzero(pattern.any(1)).view(-1)
    cols = torch.nonzero(pattern.any(0)).view(-1)
    sub = pattern[rows][:, cols]
    return TrainLattice(rows.to(device), cols.to(device), None if bool(sub.all()) else sub.to(device))


def make_pixel_set(clips: list[np.ndarray], holdout: str, seed: int, device) -> PixelSet:
    """Gather clips (each uint8 (T, H, W, 3)) into one PixelSet with a fixed train/held-out split."""
    if not clips:
        raise ValueError("a fit needs at least one clip")
    for i, clip in enumerate(clips):
        if clip.dtype != np.uint8 or clip.ndim != 4 or clip.shape[-1] != 3:
            raise ValueError(f"clip {i} must be uint8 (T, H, W, 3), got {clip.dtype} {clip.shape}")
    masks = [train_mask(clip.shape[:3], holdout, seed) for clip in clips]
    sizes = [clip.shape[0] * clip.shape[1] * clip.shape[2] for clip in clips]
    offsets = torch.tensor([0] + list(np.cumsum(sizes)), dtype=torch.int64)
    flat_mask = torch.cat([m.reshape(-1) for m in masks])
    all_index = torch.arange(int(offsets[-1]))
    train, heldout = all_index[flat_mask], all_index[~flat_mask]

    def probe(frames: int, height: int, width: int) -> torch.Tensor:
        count = min(frames, max(MIN_PROBE_FRAMES, PROBE_PIXELS // (height * width)))
        return spread(frames, count)

    colors = torch.cat([torch.from_numpy(np.ascontiguousarray(c)).reshape(-1, 3) for c in clips])
    return PixelSet(
        colors=colors.to(device),
        shapes=torch.tensor([c.shape[:3] for c in clips], dtype=torch.int64, device=device),
        offsets=offsets.to(device),
        train=train.to(device),
        heldout=heldout.to(device),
        masks=masks,
        probes=[probe(*c.shape[:3]) for c in clips],
        lattices=[_lattice(m, device) for m in masks],
    )
