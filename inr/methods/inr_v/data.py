"""The clips a space learns from, as a dataset of windows: held in memory, or decoded from a folder on demand.

A space learns one code per *window*: a fixed number of frames cut from a source clip, centre-cropped
and area-averaged to the space's (T, H, W), and optionally mirrored. ``Stacked`` holds a few dozen
windows as one uint8 tensor (the shipped examples, an upload); ``Folder`` stands for every window of
every clip in a folder and decodes a source clip only when one of its windows is asked for, keeping
the last few decoded, so a dataset of thousands of clips never sits in memory at once.

``Batches`` says which windows each step trains on: PyTorch's ``DistributedSampler`` shuffles the
windows in play once an epoch and gives every rank its disjoint part, so N processes of B/N windows
a step see the same windows as one process of B.
"""

from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, DistributedSampler

from inr.core import distributed
from inr.core.checkpoints import ClipInfo
from inr.core.io import Clip, load_clip

DECODED = 8  # source clips a Folder keeps decoded: a step draws a few windows, often of the same clips
GIF_FPS = 10.0  # a window's playback rate when its source was not decoded yet (the space plays at this rate)


def window_starts(available: int, frames: int, count: int) -> tuple[list[int], int]:
    """(first frames, stride) of up to `count` evenly spaced windows of `frames` frames in a clip of
    `available` frames: every 2nd frame when the clip is long enough, so 16 frames span about a
    second of a 30 fps clip; one window from frame 0 when the clip is too short for more."""
    stride = 2 if available >= 2 * frames else 1
    span = (frames - 1) * stride + 1
    last = max(0, available - span)
    starts = sorted({round(v) for v in np.linspace(0, last, max(1, count))}) if last else [0]
    return starts, stride


class Windows(Dataset):
    """uint8 windows (T, H, W, 3) of one size, by index; ``infos`` names them as a checkpoint does."""

    shape: tuple[int, int, int]

    def infos(self) -> list[ClipInfo]:
        raise NotImplementedError

    def batch(self, indices: Sequence[int]) -> torch.Tensor:
        """uint8 (B, T, H, W, 3): the windows at `indices`."""
        return torch.stack([self[int(i)] for i in indices])


class Stacked(Windows):
    """Windows already conformed to one size (``space.conform``), held as one tensor."""

    def __init__(self, clips: list[Clip]):
        if not clips:
            raise ValueError("a space needs clips to learn from, got none")
        self.shape = clips[0].shape
        for c in clips:
            if c.shape != self.shape:
                raise ValueError(f"clip {c.name!r} is T, H, W = {c.shape}, but {clips[0].name!r} is {self.shape}: "
                                 "conform them")
        self.frames = torch.from_numpy(np.stack([c.frames for c in clips]))  # (N, T, H, W, 3)
        self._infos = [ClipInfo(c.name, *c.shape, fps=c.fps) for c in clips]

    @classmethod
    def of(cls, frames: torch.Tensor, fps: float = GIF_FPS) -> "Stacked":
        """Windows from uint8 frames (N, T, H, W, 3), named by their index."""
        return cls([Clip(np.ascontiguousarray(f.numpy()), fps, f"window {k}") for k, f in enumerate(frames)])

    def __len__(self) -> int:
        return len(self.frames)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.frames[i]

    def batch(self, indices: Sequence[int]) -> torch.Tensor:
        return self.frames[torch.as_tensor(list(indices), dtype=torch.long)]

    def infos(self) -> list[ClipInfo]:
        return list(self._infos)


class Folder(Windows):
    """`count` windows of each clip file (and each mirrored, with `flips`), decoded when first asked for.

    Window k of a file is its k-th evenly spaced start (``window_starts``); a clip too short for
    `count` distinct windows repeats its last one. `conform` is ``space.conform`` (passed in, so
    this module needs nothing of the space's).
    """

    def __init__(self, files: list[Path], root: Path, shape: tuple[int, int, int], count: int, flips: bool,
                 conform, max_size: int):
        if not files:
            raise ValueError(f"{root}: no clips to learn from")
        if count < 1:
            raise ValueError(f"windows per clip must be >= 1, got {count}")
        self.files, self.root, self.shape = list(files), Path(root), tuple(shape)
        self.count, self.flips, self.conform, self.max_size = count, flips, conform, max_size
        self.per_file = count * (2 if flips else 1)
        self._decoded: OrderedDict[int, Clip] = OrderedDict()

    def __len__(self) -> int:
        return len(self.files) * self.per_file

    def _where(self, i: int) -> tuple[int, int, bool]:
        """(file, window, mirrored) of window index i."""
        if not 0 <= i < len(self):
            raise IndexError(f"window {i} of {len(self)}")
        file, rest = divmod(i, self.per_file)
        window, flip = divmod(rest, 2) if self.flips else (rest, 0)
        return file, window, bool(flip)

    def source(self, file: int) -> Clip:
        """The file decoded at a small size (the space is smaller still), from the cache if there."""
        if file in self._decoded:
            self._decoded.move_to_end(file)
            return self._decoded[file]
        clip = load_clip(self.files[file], max_size=self.max_size)
        self._decoded[file] = clip
        if len(self._decoded) > DECODED:
            self._decoded.popitem(last=False)
        return clip

    def __getitem__(self, i: int) -> torch.Tensor:
        file, window, flip = self._where(i)
        clip = self.source(file)
        starts, stride = window_starts(clip.frames.shape[0], self.shape[0], self.count)
        start = starts[min(window, len(starts) - 1)]
        return torch.from_numpy(self.conform(clip, self.shape, start, stride, flip=flip).frames)

    def name(self, i: int) -> str:
        file, window, flip = self._where(i)
        return f"{self.files[file].relative_to(self.root).as_posix()}#{window}" + (" flipped" if flip else "")

    def infos(self) -> list[ClipInfo]:
        return [ClipInfo(self.name(i), *self.shape, fps=GIF_FPS) for i in range(len(self))]


def readable(files: list[Path], max_size: int) -> tuple[list[Path], list[tuple[Path, str]]]:
    """(files that decode, [(file, one-line reason)] for those that do not), each rank trying its share
    of the files' first frames, so a folder of thousands is checked N times faster."""
    where = distributed.current()
    bad = torch.zeros(len(files), dtype=torch.float64)
    reasons = {}
    for k in range(where.rank, len(files), where.world):
        try:
            load_clip(files[k], max_frames=1, max_size=max_size)
        except ValueError as err:  # ClipError included
            bad[k] = 1
            reasons[k] = str(err)
    bad = distributed.total(bad)
    good = [f for f, b in zip(files, bad) if not b]
    return good, [(f, reasons.get(k, "unreadable (found by another rank)")) for k, f in enumerate(files) if bad[k]]


class Batches:
    """This rank's windows for each step: its part of a global batch of `per_step` windows.

    The windows in play are the first `active` of `order` (a fixed random order: progressive training
    grows the set); a ``DistributedSampler`` over them draws a new permutation each epoch (from
    `seed` and the epoch) and gives rank r every world-th window of it from r. Each rank takes
    per_step/world windows a step from its part, so with an even number of windows in play the
    ranks' windows of a step are exactly the ones one process would take.
    """

    def __init__(self, order: torch.Tensor, per_step: int, seed: int, epoch: int = 0,
                 where: distributed.Place | None = None):
        self.where = where or distributed.current()
        if per_step % self.where.world:
            raise ValueError(f"{per_step} clips a step cannot be shared by {self.where.world} processes: "
                             f"make it a multiple of {self.where.world}")
        self.order, self.per_rank, self.seed = order, per_step // self.where.world, seed
        self.epoch, self.active, self.items, self.pos = epoch - 1, 0, [], 0

    def _next_epoch(self) -> None:
        self.epoch += 1
        sampler = DistributedSampler(range(self.active), num_replicas=self.where.world, rank=self.where.rank,
                                     shuffle=True, seed=self.seed)
        sampler.set_epoch(self.epoch)
        self.items, self.pos = list(sampler), 0

    def next(self, active: int) -> list[int]:
        """This rank's window indices for one step, with `active` windows in play."""
        if active != self.active:  # the set grew: a new epoch over the larger set
            self.active = active
            self._next_epoch()
        out = []
        while len(out) < self.per_rank:
            if self.pos == len(self.items):
                self._next_epoch()
            take = min(self.per_rank - len(out), len(self.items) - self.pos)
            out += self.items[self.pos : self.pos + take]
            self.pos += take
        return [int(self.order[i]) for i in out]

