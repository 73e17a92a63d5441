"""A continuous space of clips (INR-V) around the meta-network of ``model``.

What a user does with the space: bring clips to its one size (``conform``, ``windows``, or
``folder`` for a folder of many clips, decoded once into a disk cache), train it (``new``,
``train``, also under torchrun: see ``trainer.train``; ``save`` and ``load`` with the optimizer to
resume), move in it (``interpolate``, ``sample`` from a Gaussian prior fitted to the learned codes), and place new clips in it (``new_inversion`` + ``invert``: fit only a
code; with a box hidden, that is inpainting, scored against ``simple_fill``).

PSNRs here always name their pixels: "visible" are the pixels an inversion was fitted to (all of
the clip without a box), "masked" the hidden box, "training" every pixel of the training clips.
"""

import math
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

import numpy as np
import torch
from scipy import ndimage

from inr.core.evaluate.metrics import mse_to_psnr
from inr.core.media.images import side_by_side
from inr.core.media.io import Clip, load_clip, resize
from inr.core.train import checkpoints, loop
from inr.core.train.checkpoints import ClipInfo
from inr.core.train.history import thin
from inr.core.train.loop import Record
from inr.methods.inr_v import fileformat, trainer
from inr.methods.inr_v.data import Folder, Stacked, Windows, window_starts
from inr.methods.inr_v.model import HyperConfig, HyperINR, render, render_frame
from inr.methods.inr_v.trainer import InvertConfig, TrainConfig

SHRINK = 0.1  # share of the diagonal mixed into the prior's covariance: a few dozen codes in 32 dims


@dataclass
class Space:
    """The meta-network with its codes, the clips they stand for, and how it was trained."""

    model: HyperINR
    clips: list[ClipInfo]
    data: Windows | None = None  # the training windows, while known (``attach`` gives a loaded space its own)
    train_cfg: TrainConfig | None = None
    optimizer: torch.optim.Optimizer | None = None  # kept between trainings, saved for a resume
    saved_optimizer: dict | None = None  # a loaded checkpoint's optimizer state, until training restores it
    history: list[Record] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    saved_summary: dict | None = None

    @property
    def cfg(self) -> HyperConfig:
        return self.model.cfg

    @property
    def params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    def names(self) -> list[str]:
        return [c.name for c in self.clips]


# ---------------------------------------------------------------- clips of one size

def _crop_to_aspect(frames: np.ndarray, height: int, width: int) -> np.ndarray:
    """Centre crop (T, H, W, 3) to the aspect height:width, so resizing does not stretch."""
    h, w = frames.shape[1:3]
    if h * width > w * height:  # too tall
        keep = max(1, round(w * height / width))
        top = (h - keep) // 2
        return frames[:, top : top + keep]
    keep = max(1, round(h * width / height))
    left = (w - keep) // 2
    return frames[:, :, left : left + keep]


def conform(clip: Clip, shape: tuple[int, int, int], start: int = 0, stride: int = 1, flip: bool = False,
            name: str | None = None) -> Clip:
    """`clip` brought to the space's (T, H, W): T frames every `stride` from `start`, centre-cropped to
    the aspect, area-averaged to H x W, mirrored left-right if `flip`.

    A clip too short for the window is sampled evenly over all its frames instead (some repeat),
    and says so in its notes.
    """
    frames, height, width = shape
    if stride < 1 or start < 0:
        raise ValueError(f"window start must be >= 0 and stride >= 1, got start {start}, stride {stride}")
    available = clip.frames.shape[0]
    if start >= available:
        raise ValueError(f"{clip.name}: window start {start} is past its {available} frames")
    notes = list(clip.notes)
    index = start + stride * np.arange(frames)
    if index[-1] >= available:
        index = np.linspace(start, available - 1, frames).round().astype(int)
        notes.append(f"only {available - start} frames from frame {start}: sampled {frames} evenly")
    data = _crop_to_aspect(clip.frames[index], height, width)
    data = np.stack([resize(np.ascontiguousarray(f), height, width) for f in data])
    if flip:
        data = data[:, :, ::-1]
    label = name or f"{clip.name}[{start}:{index[-1] + 1}:{stride}]" + (" flipped" if flip else "")
    fps = clip.fps / stride
    return Clip(np.ascontiguousarray(data), fps, label, tuple(notes))  # (T, H, W, 3)


def windows(clip: Clip, shape: tuple[int, int, int], count: int = 3, flips: bool = True) -> list[Clip]:
    """Several space clips cut from one clip: up to `count` evenly spaced windows, each also mirrored.

    With only a handful of source clips this is how the space gets a set to learn from: the windows
    differ in motion, the mirrors in layout (``data.window_starts`` places them).
    """
    starts, stride = window_starts(clip.frames.shape[0], shape[0], count)
    out = []
    for s in starts:
        out.append(conform(clip, shape, s, stride))
        if flips:
            out.append(conform(clip, shape, s, stride, flip=True))
    return out


def folder(files: list[Path], root: str | Path, shape: tuple[int, int, int], count: int = 3,
           flips: bool = True, cache: str | Path | None = None) -> Folder:
    """`count` windows (and mirrors) of every file, decoded once and kept in `cache` (a folder; see
    ``data.Folder``), or held in memory for the last few files without one. ``data.decode_all``
    decodes them all at once, over every process, and leaves out the unreadable ones."""
    return Folder(files, Path(root), shape, count, flips, conform, decode_size(shape), cache)


def decode_size(shape: tuple[int, int, int]) -> int:
    """The longest side a source clip is decoded at: twice the space's, so area averaging has pixels to average."""
    return 2 * max(shape[1], shape[2])


def window_set(folder: str | Path, table, shape: tuple[int, int, int], flips: bool = True,
               max_size: int = 96) -> list[Clip]:
    """The clips of a (file, start, stride) table, conformed to `shape`, each also mirrored if `flips`."""
    sources: dict[str, Clip] = {}
    out = []
    for name, start, stride in table:
        if name not in sources:  # decoded once at a small size: the space is far smaller still
            sources[name] = load_clip(Path(folder) / name, max_size=max_size)
        out.append(conform(sources[name], shape, start, stride))
        if flips:
            out.append(conform(sources[name], shape, start, stride, flip=True))
    return out


# ---------------------------------------------------------------- the space

def stacked(clips: list[Clip]) -> Stacked:
    """Clips already conformed to one size, as the windows a space learns from (held in memory)."""
    return Stacked(list(clips))


def new(clips: list[Clip] | Windows, cfg: HyperConfig | None = None, seed: int = 0, device: str = "cpu") -> Space:
    """An untrained space for these windows (clips already conformed to one size, or a ``folder``), one code each."""
    data = clips if isinstance(clips, Windows) else stacked(clips)
    if len(data) < 2:
        raise ValueError(f"a space needs at least two clips, got {len(data)}")
    base = cfg or HyperConfig()
    frames, height, width = data.shape
    cfg = replace(base, clips=len(data), frames=frames, height=height, width=width, seed=seed)
    return Space(HyperINR(cfg).to(device), data.infos(), data)


def attach(space: Space, data: Windows) -> None:
    """Give a loaded space its training windows again (to resume training): the same windows, in the same order."""
    names = [c.name for c in data.infos()]
    if tuple(data.shape) != space.cfg.shape or names != space.names():
        differ = next((f"window {k}: {a!r} where the checkpoint has {b!r}" for k, (a, b)
                       in enumerate(zip(names, space.names())) if a != b), f"{len(names)} windows for its {len(space.clips)}")
        raise ValueError(f"these are not the windows the space was trained on ({differ}); give the same clips, "
                         f"--windows and clip size")
    space.data = data


def train(space: Space, cfg: TrainConfig | None = None) -> Iterator[Record]:
    """Train the space, yielding Records; stop iterating to stop (the model so far is kept).

    The budget is the whole training's: a space trained before (or loaded to resume) goes on from
    the steps and seconds it has, with its optimizer's state, until `cfg`'s budget is spent.
    """
    if space.data is None:
        raise ValueError("this space has no training clips attached (a loaded checkpoint): attach them or train a new one")
    cfg = cfg or space.train_cfg or TrainConfig()
    if space.optimizer is None:
        optimizer = trainer.make_optimizer(space.model, cfg)
        if space.saved_optimizer is not None:  # kept on the space until it is restored whole
            checkpoints.restore_optimizer(optimizer, space.model, space.saved_optimizer)
            space.saved_optimizer = None
        space.optimizer = optimizer
    space.train_cfg = cfg
    for rec in trainer.train(space.model, space.data, cfg, space.optimizer, (space.steps, space.seconds)):
        space.steps, space.seconds = rec.step, rec.seconds
        space.history.append(rec)
        yield rec


def spent(space: Space, cfg: TrainConfig) -> bool:
    """True when the space has already trained for all of `cfg`'s budget (a resumed run with nothing left)."""
    return loop.spent(space.steps, space.seconds, cfg.steps, cfg.seconds) >= 1


def trained_steps(space: Space) -> int:
    """Steps the space has taken: its optimizer's own count (exact, also when a training was stopped
    between two records), else the last record's."""
    state = space.optimizer.state.get(space.model.latents, {}) if space.optimizer is not None else {}
    return int(state["step"]) if "step" in state else space.steps


def checkpointed(records: Iterator[Record], space: Space, path: str | Path, every: float,
                 write: bool = True) -> Iterator[Record]:
    """A training's records, passed on; with `write` (rank 0 of several processes), the space saved
    with its optimizer to `path` every `every` seconds of training and when the training ends,
    stopped too (Ctrl-C), so a crashed or stopped run resumes from its last file."""
    last, ran = space.seconds, False
    try:
        for rec in records:
            ran = True
            if write and not rec.final and rec.seconds - last >= every:
                save(space, path, optimizer=True)
                last = rec.seconds
            yield rec
    finally:
        if write and ran:  # nothing to write when not one step ran (a spent budget, a refused resume)
            save(space, path, optimizer=True)


def summary(space: Space) -> dict:
    """Figures of the training: PSNR on the training pixels (every pixel of every training clip)."""
    if not space.history and space.saved_summary:
        return space.saved_summary
    final = next((r for r in reversed(space.history) if r.final), None)
    last = final or (space.history[-1] if space.history else None)
    if final:
        scored_on = "every pixel of the training clips"
    elif len(space.clips) <= trainer.PROBE_CLIPS:
        scored_on = "middle frame of each training clip"
    else:
        scored_on = f"middle frame of the first {trainer.PROBE_CLIPS} training clips"
    return {"clips": len(space.clips), "shape": list(space.cfg.shape),
            "train_psnr": last.train_psnr if last else None, "scored_on": scored_on,
            "steps": space.steps, "seconds": round(space.seconds, 3), "params": space.params,
            "train": asdict(space.train_cfg) if space.train_cfg else None}


def save(space: Space, path: str | Path, optimizer: bool = False) -> Path:
    """The space as a checkpoint; with `optimizer`, its optimizer's state too, so a training resumes from it.
    Its step count is the optimizer's (``trained_steps``): a training stopped between two records has
    moved the weights further than the last record says."""
    space.steps = trained_steps(space)
    rows = thin([[r.step, r.loss, r.train_psnr, r.seconds, r.final] for r in space.history])
    extra = {"summary": summary(space), "history": rows, "steps": space.steps, "seconds": space.seconds}
    return fileformat.save(path, space.model, space.clips, extra, space.optimizer if optimizer else None)


def load(path: str | Path, device: str = "cpu") -> Space:
    """A trained space from a checkpoint: it interpolates, samples and inverts at once, and resumes
    training once its windows are attached (``attach``)."""
    model, clips, extra, state = fileformat.load(path, device)
    model.eval()
    try:
        history = [Record(int(s), float(loss), float(p), None, float(sec), 0.0, None, bool(f))
                   for s, loss, p, sec, f in extra.get("history") or []]
        trained = (extra.get("summary") or {}).get("train")
        train_cfg = TrainConfig(**trained) if trained else None
        steps, seconds = int(extra.get("steps", 0)), float(extra.get("seconds", 0.0))
    except (AttributeError, TypeError, ValueError, OverflowError) as err:
        raise ValueError(f"{path}: latent-space checkpoint holds an unreadable history or training config "
                         f"({checkpoints.reason(err)})") from err
    return Space(model, clips, train_cfg=train_cfg, saved_optimizer=state, history=history,
                 steps=steps, seconds=seconds, saved_summary=extra.get("summary"))


def _scaled(space: Space, scale: float) -> tuple[int, int, int]:
    if not (isinstance(scale, (int, float)) and math.isfinite(scale) and 0 < scale <= 8):
        raise ValueError(f"scale must be a number in (0, 8], got {scale!r}")
    frames, height, width = space.cfg.shape
    return frames, max(1, round(height * scale)), max(1, round(width * scale))


def code_of(space: Space, clip: int) -> torch.Tensor:
    if not (isinstance(clip, (int, np.integer)) and 0 <= clip < len(space.clips)):
        raise ValueError(f"clip must be in 0..{len(space.clips) - 1}, got {clip!r}")
    return space.model.latents[int(clip)].detach()


def render_code(space: Space, code: torch.Tensor, scale: float = 1.0) -> np.ndarray:
    """uint8 (T, H, W, 3): the clip of one code, at `scale` times the space's size."""
    return render(space.model, code, _scaled(space, scale))


# ---------------------------------------------------------------- interpolation and sampling

def interpolate_code(space: Space, a: int, b: int, alpha: float) -> torch.Tensor:
    """(1 - α) z_a + α z_b: exactly z_a at α = 0 and exactly z_b at α = 1."""
    if not (isinstance(alpha, (int, float)) and math.isfinite(alpha)):
        raise ValueError(f"alpha must be a finite number, got {alpha!r}")
    return (1 - alpha) * code_of(space, a) + alpha * code_of(space, b)


def interpolate(space: Space, a: int, b: int, alpha: float, scale: float = 1.0) -> np.ndarray:
    """uint8 (T, H, W, 3): the clip at α between training clips a and b."""
    return render_code(space, interpolate_code(space, a, b, alpha), scale)


def interpolate_frame(space: Space, a: int, b: int, alpha: float, frame: int | None = None,
                      scale: float = 1.0) -> np.ndarray:
    """uint8 (H, W, 3): one frame (default the middle) of the clip at α: the instant preview."""
    _, height, width = _scaled(space, scale)
    frame = space.cfg.frames // 2 if frame is None else frame
    return render_frame(space.model, interpolate_code(space, a, b, alpha), frame, (height, width))


def latent_prior(space: Space) -> tuple[torch.Tensor, torch.Tensor]:
    """(mean (D,), Cholesky factor (D, D)) of a Gaussian fitted to the learned codes.

    The covariance is shrunk towards its diagonal (by SHRINK): with fewer codes than dimensions the
    sample covariance is singular, and draws would stay in the span of the training codes.
    """
    z = space.model.latents.detach().double()
    mean = z.mean(0)
    centred = z - mean
    cov = centred.T @ centred / max(1, len(z) - 1)
    cov = (1 - SHRINK) * cov + SHRINK * torch.diag(cov.diagonal())
    cov = cov + 1e-8 * torch.eye(len(mean), dtype=cov.dtype)
    return mean.float(), torch.linalg.cholesky(cov).float()


def sample_code(space: Space, seed: int) -> torch.Tensor:
    """One code drawn from the latent prior; the same seed gives the same code."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"seed must be a whole number, got {seed!r}")
    mean, chol = latent_prior(space)
    g = torch.Generator().manual_seed(int(seed))
    return mean + chol @ torch.randn(len(mean), generator=g)


def sample(space: Space, seed: int, scale: float = 1.0) -> np.ndarray:
    """uint8 (T, H, W, 3): a novel clip from the latent prior."""
    return render_code(space, sample_code(space, seed), scale)


# ---------------------------------------------------------------- inversion and inpainting

def parse_box(text: str) -> tuple[int, int, int, int, int, int]:
    """'t0,t1,y0,y1,x0,x1' -> six whole numbers (frames and pixels of the space's size, ends exclusive)."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        values = tuple(int(p) for p in parts)
    except ValueError:
        raise ValueError(f"box must be six whole numbers t0,t1,y0,y1,x0,x1, got {text!r}") from None
    if len(values) != 6:
        raise ValueError(f"box must be six whole numbers t0,t1,y0,y1,x0,x1, got {text!r}")
    return values


def box_mask(shape: tuple[int, int, int], box) -> torch.Tensor:
    """Bool (T, H, W): True where visible, False inside the box [t0, t1) x [y0, y1) x [x0, x1)."""
    t0, t1, y0, y1, x0, x1 = (int(v) for v in box)
    for (lo, hi), size, axis in zip(((t0, t1), (y0, y1), (x0, x1)), shape, ("t", "y", "x")):
        if not 0 <= lo < hi <= size:
            raise ValueError(f"box {axis} range {lo}..{hi} must satisfy 0 <= {axis}0 < {axis}1 <= {size}")
    mask = torch.ones(shape, dtype=torch.bool)
    mask[t0:t1, y0:y1, x0:x1] = False
    if not mask.any():
        raise ValueError("the box hides every pixel of the clip: nothing is left to invert on")
    return mask


def simple_fill(frames: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """The baseline inpainting of uint8 (T, H, W, 3) where bool `mask` (T, H, W) is False.

    Each hidden pixel gets the temporal median of the visible pixels at its location; a location
    hidden in every frame takes the median of its nearest location that is visible in some frame.
    """
    mask = np.asarray(mask, dtype=bool)
    values = np.where(mask[..., None], frames.astype(np.float32), np.nan)
    seen = mask.any(0)  # (H, W)
    if not seen.any():
        raise ValueError("the mask hides every pixel: there is nothing to fill from")
    median = np.zeros(frames.shape[1:], np.float32)  # (H, W, 3)
    median[seen] = np.nanmedian(values[:, seen], axis=0)
    if not seen.all():
        _, (iy, ix) = ndimage.distance_transform_edt(~seen, return_indices=True)
        median = median[iy, ix]
    out = frames.copy()
    out[~mask] = np.broadcast_to(np.rint(median), frames.shape)[~mask].astype(np.uint8)
    return out


@dataclass
class Inversion:
    """One clip being placed in the space: its frames, which pixels are visible, and its code."""

    name: str
    frames: torch.Tensor  # uint8 (T, H, W, 3) at the space's size
    mask: torch.Tensor  # bool (T, H, W): True where visible (fitted), False where masked
    code: torch.Tensor  # (D,), fitted in place
    history: list[Record] = field(default_factory=list)
    notes: tuple[str, ...] = ()

    @property
    def masked(self) -> bool:
        return not bool(self.mask.all())


def new_inversion(space: Space, clip: Clip, box=None) -> Inversion:
    """An inversion of `clip` (brought to the space's size if it is not), starting from the mean code.

    With a `box` (t0, t1, y0, y1, x0, x1 in the space's frames and pixels, ends exclusive) the
    box is hidden: the code is fitted to the other pixels only, and the render fills the box in.
    """
    if clip.shape != space.cfg.shape:
        clip = conform(clip, space.cfg.shape)
    mask = box_mask(space.cfg.shape, box) if box is not None else torch.ones(space.cfg.shape, dtype=torch.bool)
    code = space.model.latents.detach().mean(0).clone()
    return Inversion(clip.name, torch.from_numpy(clip.frames.copy()), mask, code, notes=clip.notes)


def invert(space: Space, inv: Inversion, cfg: InvertConfig | None = None) -> Iterator[Record]:
    """Fit the inversion's code (the meta-network frozen), yielding Records.

    `train_psnr` is on the visible pixels, `heldout_psnr` on the masked ones (None without a box);
    the first Record (step 0) scores the starting code, the mean of the training codes.
    """
    cfg = cfg or InvertConfig()
    for rec in trainer.invert(space.model, inv.frames, inv.code, cfg, inv.mask if inv.masked else None):
        inv.history.append(rec)
        yield rec


def inversion_summary(space: Space, inv: Inversion) -> dict:
    """The inversion's figures, each beside its baseline.

    psnr / visible_psnr: the fitted code on the visible pixels (every pixel without a box);
    mean_latent_psnr: the mean training code on the same pixels, the starting point;
    with a box, masked_psnr on the hidden pixels beside fill_masked_psnr, the simple fill there.
    """
    if not inv.history:
        raise ValueError("this inversion has not run yet")
    first, last = inv.history[0], inv.history[-1]
    out = {"clip": inv.name, "shape": list(space.cfg.shape), "steps": last.step, "seconds": round(last.seconds, 3),
           "curve": [[round(r.seconds, 3), r.train_psnr] for r in inv.history]}
    if not inv.masked:
        out.update(psnr=last.train_psnr, mean_latent_psnr=first.train_psnr, pixels="every pixel of the clip")
        return out
    frames = inv.frames.numpy()
    mask = inv.mask.numpy()
    fill = simple_fill(frames, mask)
    err = ((fill[~mask].astype(np.float64) - frames[~mask]) / 255) ** 2
    out.update(masked_psnr=last.heldout_psnr, fill_masked_psnr=mse_to_psnr(float(err.mean())),
               visible_psnr=last.train_psnr, mean_latent_masked_psnr=first.heldout_psnr,
               mean_latent_visible_psnr=first.train_psnr, masked_pixels=int((~mask).sum()),
               pixels="masked_psnr and fill_masked_psnr: the hidden box only; visible_psnr: the other pixels")
    return out


def inversion_render(space: Space, inv: Inversion, scale: float = 1.0) -> np.ndarray:
    """uint8 (T, H, W, 3): the whole clip rendered from the inversion's code (the box filled in)."""
    return render_code(space, inv.code, scale)


def inversion_panel(space: Space, inv: Inversion, scale: int = 2) -> np.ndarray:
    """uint8 (T, H * scale, ..., 3): what an inversion shows, enlarged by pixel repeat.

    An inversion: the clip | its inversion. An inpainting: the clip with the box greyed | the
    simple fill | the inpainted clip.
    """
    frames, mask = inv.frames.numpy(), inv.mask.numpy()
    rendered = inversion_render(space, inv)
    panels = [show_mask(frames, mask), simple_fill(frames, mask), rendered] if inv.masked else [frames, rendered]
    return side_by_side(panels, gap=2, scale=scale)


def show_mask(frames: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """uint8 (T, H, W, 3) for display: the hidden pixels painted mid-grey."""
    out = frames.copy()
    out[~np.asarray(mask, dtype=bool)] = 128
    return out
