"""The clips a space learns from, as a dataset of windows: held in memory, or a folder's, cached on disk.

A space learns one code per *window*: a fixed number of frames cut from a source clip, centre-cropped
and area-averaged to the space's (T, H, W), and optionally mirrored. ``Stacked`` holds a few dozen
windows as one uint8 tensor (the shipped examples, an upload); ``Folder`` stands for every window of
every clip in a folder, decoded once into a disk cache (``decode_all``: each process its share) and
read back through memory maps, so a dataset of thousands of clips never sits in memory at once.

``Batches`` says which windows each step trains on: PyTorch's ``DistributedSampler`` shuffles the
windows in play once an epoch and gives every rank its disjoint part, so N processes of B/N windows
a step see the same windows as one process of B.
"""

import hashlib
import io
from collections import OrderedDict
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset, DistributedSampler

from inr.core.many.manifest import CLIP_FAILURES, reason
from inr.core.media.files import atomic_write_bytes
from inr.core.media.io import Clip, load_clip
from inr.core.train import distributed
from inr.core.train.checkpoints import ClipInfo

DECODED = 64  # clips whose windows a Folder without a disk cache keeps in memory (0.5 MB each at 48x36)
SOURCE_FRAMES = 900  # a clip is read up to this many frames (30 s at 30 fps): an hour-long file costs no more
HELD_MAPS = 256  # cached files a Folder keeps mapped (each an open file; the OS pages their bytes)
GIF_FPS = 10.0  # the space's playback rate: its clips are 16 frames, a 1.6 s loop at 10 fps


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
    """`count` windows of each clip file (and each mirrored, with `flips`), decoded once, kept on disk.

    Window k of a file is its k-th evenly spaced start (``window_starts``); a clip too short for
    `count` distinct windows repeats its last one. A file's windows are made together, when the
    file is first decoded, and written to `cache` as one uint8 ``.npy`` (per_file, T, H, W, 3): at
    48x36 a window is 83 KB, a clip's six 0.5 MB. Later reads map that file (``np.load`` with
    ``mmap_mode``): a step costs microseconds, not the 0.1-0.3 s of decoding a clip, and the windows
    of thousands of clips stay on disk, not in memory. A cached file is named by the clip's path,
    size and modification time and by the window settings, so an edited clip or other settings
    are decoded afresh. Without `cache`, the last DECODED files' windows are kept in memory.
    `conform` is ``space.conform`` (passed in, so this module needs nothing of the space's).
    """

    def __init__(self, files: list[Path], root: Path, shape: tuple[int, int, int], count: int, flips: bool,
                 conform, max_size: int, cache: Path | None = None):
        if not files:
            raise ValueError(f"{root}: no clips to learn from")
        if count < 1:
            raise ValueError(f"windows per clip must be >= 1, got {count}")
        self.files, self.root, self.shape = list(files), Path(root), tuple(shape)
        self.count, self.flips, self.conform, self.max_size = count, flips, conform, max_size
        self.cache = None if cache is None else Path(cache)
        self.per_file = count * (2 if flips else 1)
        self._held: OrderedDict[int, np.ndarray] = OrderedDict()

    def __len__(self) -> int:
        return len(self.files) * self.per_file

    def _where(self, i: int) -> tuple[int, int]:
        """(file, its window) of window index i: a file's windows in order, each followed by its mirror."""
        if not 0 <= i < len(self):
            raise IndexError(f"window {i} of {len(self)}")
        return divmod(i, self.per_file)

    def _decode(self, file: int) -> np.ndarray:
        """uint8 (per_file, T, H, W, 3): every window of the file (read up to SOURCE_FRAMES frames, at a
        small size: the space is smaller still), cropped, area-averaged, each followed by its mirror."""
        clip = load_clip(self.files[file], max_frames=SOURCE_FRAMES, max_size=self.max_size)
        starts, stride = window_starts(clip.frames.shape[0], self.shape[0], self.count)
        out = []
        for k in range(self.count):
            start = starts[min(k, len(starts) - 1)]
            out += [self.conform(clip, self.shape, start, stride, flip=f).frames for f in (False, True)[: 1 + self.flips]]
        return np.stack(out)

    def cached_path(self, file: int) -> Path | None:
        """Where the file's windows are kept on disk: named by what makes them (None without a cache)."""
        if self.cache is None:
            return None
        path = self.files[file]
        stat = path.stat()
        key = "|".join(map(str, (path.resolve(), stat.st_size, stat.st_mtime_ns, self.shape, self.count, self.flips,
                                 self.max_size)))
        return self.cache / f"{hashlib.sha1(key.encode()).hexdigest()[:20]}.npy"

    def windows_of(self, file: int) -> np.ndarray:
        """uint8 (per_file, T, H, W, 3): the file's windows, from memory, the disk cache, or decoded (then kept)."""
        if file in self._held:
            self._held.move_to_end(file)
            return self._held[file]
        path = self.cached_path(file)
        if path is not None and path.is_file():
            windows = np.load(path, mmap_mode="r", allow_pickle=False)
        else:
            windows = self._decode(file)
            if path is not None:
                atomic_write_bytes(path, _npy_bytes(windows))
        self._held[file] = windows
        if len(self._held) > (HELD_MAPS if path is not None else DECODED):
            self._held.popitem(last=False)
        return windows

    def __getitem__(self, i: int) -> torch.Tensor:
        file, window = self._where(i)
        return torch.from_numpy(np.array(self.windows_of(file)[window]))  # (T, H, W, 3), a copy off the map

    def name(self, i: int) -> str:
        file, window = self._where(i)
        k, flip = divmod(window, 2) if self.flips else (window, 0)
        return f"{self.files[file].relative_to(self.root).as_posix()}#{k}" + (" flipped" if flip else "")

    def infos(self) -> list[ClipInfo]:
        return [ClipInfo(self.name(i), *self.shape, fps=GIF_FPS) for i in range(len(self))]

    def without(self, files: list[Path]) -> "Folder":
        """The same windows of the other files (those that decoded)."""
        drop = set(files)
        return Folder([f for f in self.files if f not in drop], self.root, self.shape, self.count, self.flips,
                      self.conform, self.max_size, self.cache)


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def decode_all(data: Folder) -> tuple[Folder, list[tuple[Path, str]]]:
    """(the folder without its unreadable clips, [(file, one-line reason)]): every process decodes its
    share of the clips into the disk cache at once (every world-th from its rank), so N processes
    prepare a dataset N times faster, and all agree on which clips could not be read."""
    where = distributed.current()
    bad = torch.zeros(len(data.files), dtype=torch.float64)
    reasons = {}
    for k in distributed.share(range(len(data.files)), where):
        try:
            data.windows_of(k)
        except CLIP_FAILURES as err:  # unreadable (ClipError), too large, a cache file not written
            bad[k] = 1
            reasons[k] = str(err) if isinstance(err, ValueError) else f"{data.files[k]}: {reason(err)}"
    bad = distributed.total(bad)
    failed = [(f, reasons.get(k, f"{f}: unreadable (found by another process)"))
              for k, f in enumerate(data.files) if bad[k]]
    distributed.barrier()  # every cached file is written before any process trains on it
    return data.without([f for f, _ in failed]), failed


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

