"""A Run: one field with what it was fitted to, from clips or a checkpoint to renders and files.

``prepare`` (from clips) or ``load`` (from a checkpoint) makes one, ``fit`` trains it, ``render``
draws it at any size, ``save`` writes it. Every method that fits a ``Field`` builds on this.
"""

import dataclasses
import math
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch

from inr.core.evaluate import sizes
from inr.core.evaluate.baselines import classical_rebuild
from inr.core.evaluate.metrics import mse_to_psnr, psnr_to_mse, ssim
from inr.core.field.coords import scaled_size
from inr.core.field.model import Field, ModelConfig
from inr.core.field.pixels import PixelSet, make_pixel_set
from inr.core.field.render import render_uint8
from inr.core.media.export import write_clip
from inr.core.media.io import Clip, load_clip, resize
from inr.core.train import checkpoints
from inr.core.train.checkpoints import ClipInfo
from inr.core.train.fit import FitConfig, make_optimizer, train_field
from inr.core.train.history import thin
from inr.core.train.loop import Record, Trainer
from inr.core.train.presets import arch_names, caps, default_arch, fit_config, initialise, model_config, trainer

MAX_RENDER_PIXELS = 8192 * 8192 * 64  # a render larger than this is refused, whatever the device
# The figures of the checkpoint file itself. A file cannot hold its own size (writing the number
# changes it), so a checkpoint stores the rest of the summary and these are measured on the bytes.
FILE_FIGURES = ("model_bytes", "bits_per_pixel", "size_verdict")
SIZE_FIGURES = ("raw_bytes", "h264_bytes", "h264_psnr")  # the clips beside the model: raw, and as H.264 once measured


def default_device() -> str:
    return "cuda" if torch.cuda.is_available() else "cpu"


def device_name(device: str) -> str:
    if device.startswith("cuda"):
        return f"GPU: {torch.cuda.get_device_name(torch.device(device))}"
    return f"CPU ({torch.get_num_threads()} threads)"


def check_device(device: str | None) -> str:
    device = device or default_device()
    if device not in ("cpu", "cuda") and not device.startswith("cuda:"):
        raise ValueError(f"device must be cpu or cuda, got {device!r}")
    if device.startswith("cuda") and not torch.cuda.is_available():
        raise ValueError("device cuda was asked for, but PyTorch sees no CUDA GPU here")
    return device


@dataclass
class Run:
    model: Field
    clips: list[ClipInfo]
    arch: str
    device: str
    fit_cfg: FitConfig | None = None
    holdout: str = "every2"
    frames: list[np.ndarray] | None = None  # uint8 (T, H, W, 3) each, while the clips are known
    data: PixelSet | None = None
    baseline: dict[str, float] | None = None  # classical rebuild of the held-out pixels, dB
    history: list[Record] = field(default_factory=list)
    steps: int = 0
    seconds: float = 0.0
    optimizer: torch.optim.Optimizer | None = None
    saved_summary: dict | None = None  # the figures stored with a loaded checkpoint
    # How a fit of this run steps and scores (fit.field_trainer when None): a method whose model
    # is scored its own way sets it, as Compare does for its stack of members.
    make_trainer: Callable[..., Trainer] | None = None
    notes: list[str] = field(default_factory=list)  # what setting the model up did, for the person
    # The clips' raw and H.264 sizes (sizes.clip_sizes): an encode per clip, so measured once.
    clip_sizes: dict | None = None

    @property
    def params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())


def common_size(clips: list[Clip]) -> list[Clip]:
    """Clips cut to the shortest length and area-resized to the first clip's size (for blends)."""
    frames = min(c.frames.shape[0] for c in clips)
    height, width = clips[0].frames.shape[1:3]
    out = []
    for c in clips:
        data = c.frames[:frames]
        if data.shape[1:3] != (height, width):
            data = np.stack([resize(f, height, width) for f in data])
        out.append(Clip(data, c.fps, c.name, c.notes))
    return out


def load_clips(paths: list[str | Path], max_frames: int | None = None, max_size: int | None = None,
               device: str | None = None) -> list[Clip]:
    """Read clips, capped to the device's defaults unless caps are given (0 means no cap)."""
    limits = caps(check_device(device))
    max_frames = limits["max_frames"] if max_frames is None else (max_frames or None)
    max_size = limits["max_size"] if max_size is None else (max_size or None)
    return [load_clip(p, max_frames=max_frames, max_size=max_size) for p in paths]


def prepare(clips: list[Clip], arch: str | None = None, sigma: float | None = None,
            holdout: str = "every2", device: str | None = None, seed: int = 0,
            model_cfg: ModelConfig | None = None, **fit_overrides) -> Run:
    """A fresh model for these clips, its data on the device and the classical baseline.

    The model is the arch's for these clips (``presets.model_config``) unless `model_cfg` gives
    another of the arch (Compare sizes and sets them); the fit settings are the arch's either way.
    No arch: the default for this many clips (``presets.default_arch``); the default, named or not, says why in the notes.
    """
    device = check_device(device)
    if not clips:
        raise ValueError("a fit needs at least one clip")
    default, why = default_arch(len(clips))
    arch = arch or default
    chosen = [f"network: {arch}, the default for {'one clip' if len(clips) == 1 else 'several clips'}: {why}"] \
        if arch == default else []
    frames = [c.frames for c in clips]
    fit_cfg = fit_config(arch, device, holdout=holdout, seed=seed, **fit_overrides)
    if model_cfg is not None and (sigma is not None or model_cfg.clips != len(clips)):
        raise ValueError(f"a model config is for {model_cfg.clips} clip(s) and carries its own encoding: got "
                         f"{len(clips)} clip(s){' and a sigma' if sigma is not None else ''}")
    model_cfg = model_cfg or model_config(arch, [f.shape[:3] for f in frames], holdout, sigma)
    model = fresh_model(model_cfg, seed, device)
    data = make_pixel_set(frames, holdout, seed, device)
    infos = [ClipInfo(c.name, *c.frames.shape[:3], fps=c.fps) for c in clips]
    notes = chosen + initialise(arch, model, frames, data.masks)
    run = Run(model, infos, arch, device, fit_cfg, holdout, frames, data, make_trainer=trainer(arch), notes=notes)
    run.baseline = _baseline(frames, data, holdout)
    return run


def fresh_model(cfg: ModelConfig, seed: int, device: str) -> Field:
    torch.manual_seed(seed)  # network init; grids and Fourier matrices have their own seeds
    return Field(cfg).to(device)


def _baseline(frames: list[np.ndarray], data: PixelSet, holdout: str) -> dict[str, float] | None:
    """Classical rebuild PSNR over the held-out pixels of all clips (MSE pooled by pixel count)."""
    pooled: dict[str, list[float]] = {}
    for clip, mask in zip(frames, data.masks):
        scores = classical_rebuild(torch.from_numpy(clip).float() / 255, mask, holdout)
        if scores is None:
            return None
        weight = int((~mask).sum())
        for name, db in scores.items():
            pooled.setdefault(name, []).append(psnr_to_mse(db) * weight)
    total = sum(int((~m).sum()) for m in data.masks)
    return {name: mse_to_psnr(sum(v) / total) for name, v in pooled.items()}


def fit(run: Run, cfg: FitConfig | None = None) -> Iterator[Record]:
    """Train the run's model, yielding Records; stop iterating to stop (the model is kept).

    Calling it again continues the same model and optimizer (a resume).
    """
    if run.data is None:
        raise ValueError("this run has no clip data to fit (a loaded checkpoint): prepare one from clips")
    cfg = cfg or run.fit_cfg
    run.fit_cfg = cfg
    run.optimizer = run.optimizer or make_optimizer(run.model, cfg)
    base_steps, base_seconds = run.steps, run.seconds
    for rec in train_field(run.model, run.data, cfg, clips=run.frames, optimizer=run.optimizer,
                           make_trainer=run.make_trainer):
        rec = Record(**{**asdict(rec), "step": base_steps + rec.step, "seconds": base_seconds + rec.seconds})
        run.steps, run.seconds = rec.step, rec.seconds
        run.history.append(rec)
        yield rec


def clip_ssim(run: Run) -> float:
    """Mean SSIM of the model's 1x render against its clips, on every pixel (training and held-out)."""
    if run.frames is None:
        raise ValueError("SSIM needs the clips the model was fitted to")
    scores = []
    for k, clip in enumerate(run.frames):
        pred = torch.from_numpy(np.stack(list(render_uint8(run.model, clip.shape[:3], clip=k)))).float() / 255
        scores.append(ssim(pred, torch.from_numpy(clip).float() / 255))
    return float(np.mean(scores))


def summary(run: Run, sizes: bool = True) -> dict:
    """The figures a fit reports: PSNR on training and held-out pixels beside the classical rebuild,
    and the size of the checkpoint it would ship beside the clip raw and, with `sizes`, as H.264
    (an x264 encode of the clips, made once per run; without it only what is already known).

    A loaded checkpoint whose clips are not attached has no baseline to recompute: it reports the
    figures saved with it.
    """
    figures = _stored_figures(run, sizes)
    return {**figures, **_file_figures(run, figures)}


def _stored_figures(run: Run, measure_sizes: bool) -> dict:
    """What a checkpoint stores of the summary: the fit's figures, the clips' sizes (encoded now only
    when `measure_sizes`, else as far as known) and the verdict."""
    figures = {**_figures(run), **(_clip_sizes(run) if measure_sizes else _known_sizes(run))}
    return {**figures, "verdict": verdict(figures)}


def _figures(run: Run) -> dict:
    """The fit's own figures, without sizes: what every summary and checkpoint holds."""
    if run.baseline is None and run.saved_summary:
        return {k: v for k, v in run.saved_summary.items() if k not in FILE_FIGURES + SIZE_FIGURES}
    final = next((r for r in reversed(run.history) if r.final), None)
    last = final or (run.history[-1] if run.history else None)
    return {
        "arch": run.arch,
        "device": run.device,
        "holdout": run.holdout,
        "train_psnr": last.train_psnr if last else None,
        "heldout_psnr": last.heldout_psnr if last else None,
        "scored_on": "every pixel" if final else "probe frames",
        "bilinear_psnr": run.baseline["bilinear"] if run.baseline else None,
        "bicubic_psnr": run.baseline["bicubic"] if run.baseline else None,
        "steps": run.steps,
        "seconds": round(run.seconds, 3),
        "params": run.params,
    }


def _known_sizes(run: Run) -> dict:
    """The clips' sizes as far as they are known without an encode: raw always, H.264 once measured
    (or saved with a checkpoint)."""
    if run.clip_sizes is not None:
        return run.clip_sizes
    saved = run.saved_summary or {}
    return {"raw_bytes": sum(c.frames * c.height * c.width * 3 for c in run.clips),
            "h264_bytes": saved.get("h264_bytes"), "h264_psnr": saved.get("h264_psnr")}


def _clip_sizes(run: Run) -> dict:
    """The clips' raw and H.264 sizes, measured on the first call; a loaded checkpoint without its
    clips has the H.264 figures saved with it (none before they were saved)."""
    if run.clip_sizes is None:
        run.clip_sizes = _known_sizes(run) if run.frames is None else \
            sizes.total([sizes.clip_sizes(f, c.fps) for f, c in zip(run.frames, run.clips)])
    return run.clip_sizes


def _file_figures(run: Run, figures: dict) -> dict:
    """Bytes of the checkpoint ``save(run, path, optimizer=False)`` would write (as shipped), made
    by the same serialisation; bits per pixel over every clip; the size verdict."""
    size = len(checkpoints.serialise(run.model, run.clips, _extra(run, figures)))
    pixels = sum(c.frames * c.height * c.width for c in run.clips)
    return {"model_bytes": size, "bits_per_pixel": 8 * size / pixels,
            "size_verdict": sizes.size_verdict(size, figures["raw_bytes"], figures["h264_bytes"],
                                               figures["h264_psnr"])}


def verdict(s: dict) -> str:
    """One honest sentence: does the INR beat the classical rebuild on held-out pixels?"""
    if s["heldout_psnr"] is None or s["bicubic_psnr"] is None:
        return "no pixels were held out, so generalisation was not measured"
    best_name = "bicubic" if s["bicubic_psnr"] >= s["bilinear_psnr"] else "bilinear"
    best = s[f"{best_name}_psnr"]
    gap = s["heldout_psnr"] - best
    if gap >= 0:
        return f"beats the {best_name} rebuild on held-out pixels by {gap:.2f} dB"
    return f"loses to the {best_name} rebuild on held-out pixels by {-gap:.2f} dB"


def save(run: Run, path: str | Path, optimizer: bool = True) -> Path:
    """Save the run; with `optimizer`, Adam's moments too (twice the weights' size) so that a saved
    fit resumes where it stopped. Shipped models leave them out."""
    # Saving never encodes: the sizes go in once a summary has measured them.
    return checkpoints.save(path, run.model, run.clips, _extra(run, _stored_figures(run, measure_sizes=False)),
                            optimizer=run.optimizer if optimizer else None)


def _extra(run: Run, figures: dict) -> dict:
    """The JSON a checkpoint holds beside the weights; `figures` is the summary it stores."""
    return {"arch": run.arch, "holdout": run.holdout, "steps": run.steps, "seconds": run.seconds,
            "fit": asdict(run.fit_cfg) if run.fit_cfg else None,
            "summary": figures,
            "history": thin([_record_row(r) for r in run.history])}


def _record_row(r: Record) -> list:
    return [r.step, r.loss, r.train_psnr, r.heldout_psnr, r.seconds, r.steps_per_second, r.final]


def _records(rows: list) -> list[Record]:
    return [Record(int(a), float(b), float(c), None if d is None else float(d), float(e), float(f), None, bool(g))
            for a, b, c, d, e, f, g in rows]


def load(path: str | Path, device: str | None = None) -> Run:
    """A Run from a checkpoint: renders at once; fitting it needs clips (``attach``)."""
    device = check_device(device)
    model, clips, extra, optimizer_state = checkpoints.load_with_optimizer(path, device)
    model.eval()
    try:
        fit_cfg = FitConfig(**extra["fit"]) if extra.get("fit") else None
        arch, holdout = extra.get("arch", "grid"), extra.get("holdout", "every2")
        if arch not in arch_names() or not isinstance(holdout, str):
            raise ValueError(f"arch {str(arch)[:40]!r} or holdout {str(holdout)[:40]!r} is not one this program knows")
        steps, seconds = int(extra.get("steps", 0)), float(extra.get("seconds", 0.0))
        history = _records(extra.get("history") or [])
    except (AttributeError, TypeError, ValueError, OverflowError) as err:
        raise ValueError(f"{path}: checkpoint holds an unreadable fit config or history "
                         f"({checkpoints.reason(err)})") from err
    optimizer = None
    if optimizer_state is not None and fit_cfg is not None:
        optimizer = make_optimizer(model, fit_cfg)
        try:
            checkpoints.restore_optimizer(optimizer, model, optimizer_state)
        except ValueError as err:
            raise ValueError(f"{path}: checkpoint holds an optimizer state that does not fit its model "
                             f"({checkpoints.reason(err)})") from err
    return Run(model, clips, arch, device, fit_cfg=fit_cfg, make_trainer=trainer(arch), holdout=holdout,
               steps=steps, seconds=seconds, optimizer=optimizer, saved_summary=extra.get("summary"),
               history=history)


def resume(path: str | Path, clips: list[Clip], device: str | None = None, steps: int | None = None,
           seconds: float | None = None) -> Run:
    """A saved fit with its clips attached, ready for ``fit`` to continue it: the same model, the
    optimizer state saved with it (a checkpoint without one starts a fresh optimizer), the same
    held-out pixels, and a new budget of `steps` and/or `seconds`."""
    run = load(path, device)
    seed = run.fit_cfg.seed if run.fit_cfg else 0  # the held-out split of the first fit
    attach_clips(run, clips, seed=seed)
    if steps is not None or seconds is not None:
        run.fit_cfg = dataclasses.replace(run.fit_cfg, steps=steps, seconds=seconds)
    return run


def attach_clips(run: Run, clips: list[Clip], seed: int = 0) -> Run:
    """Give a loaded model its clips back: previews gain ground truth, and it can be fitted further."""
    shapes = [c.frames.shape[:3] for c in clips]
    expected = [c.shape for c in run.clips]
    if shapes != expected:
        raise ValueError(f"clips of shapes {shapes} do not match the model's clips {expected}")
    run.frames = [c.frames for c in clips]
    run.data = make_pixel_set(run.frames, run.holdout, seed, run.device)
    run.baseline = _baseline(run.frames, run.data, run.holdout)
    run.clip_sizes = None  # measured again on the frames themselves
    run.fit_cfg = run.fit_cfg or fit_config(run.arch, run.device, holdout=run.holdout, seed=seed)
    return run


def output_size(run: Run, clip: int = 0, spatial_scale: float = 1.0, temporal_scale: float = 1.0,
                width: int | None = None, height: int | None = None,
                frames: int | None = None) -> tuple[int, int, int]:
    """(T, H, W) of a render: the clip's size at these scales, or an explicit size."""
    if not 0 <= clip < len(run.clips):
        raise ValueError(f"clip must be in 0..{len(run.clips) - 1}, got {clip}")
    shape = scaled_size(run.clips[clip].shape, spatial_scale, temporal_scale)
    custom = (frames, height, width)
    for name, value in zip(("frames", "height", "width"), custom):
        if value is not None and not (isinstance(value, int) and value >= 1):
            raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    shape = tuple(v if v is not None else s for v, s in zip(custom, shape))
    if math.prod(shape) > MAX_RENDER_PIXELS:
        raise ValueError(f"render of {shape[0]} frames of {shape[2]}x{shape[1]} exceeds the limit of "
                         f"{MAX_RENDER_PIXELS:,} pixels")
    return shape


def output_fps(run: Run, frames: int, clip: int = 0) -> float:
    """Frame rate of a render with this many frames: the clip keeps its duration."""
    info = run.clips[clip]
    return info.fps * (frames - 1) / (info.frames - 1) if info.frames > 1 and frames > 1 else info.fps


def render(run: Run, clip: int = 0, spatial_scale: float = 1.0, temporal_scale: float = 1.0,
           width: int | None = None, height: int | None = None, frames: int | None = None,
           mix_with: int | None = None, mix: float = 0.0) -> tuple[Iterator[np.ndarray], tuple[int, int, int], float]:
    """(uint8 frame iterator, (T, H, W), fps). The clip keeps its duration: fps scales with frames."""
    shape = output_size(run, clip, spatial_scale, temporal_scale, width, height, frames)
    if not math.isfinite(mix):
        raise ValueError(f"mix must be a finite number, got {mix!r}")
    fps = output_fps(run, shape[0], clip)
    frames_iter = render_uint8(run.model, shape, clip=clip, mix_with=mix_with, mix=mix)
    return frames_iter, shape, fps


def export(path: str | Path, frames, fps: float) -> Path:
    """Write frames (uint8 array or iterator) to a .gif or .mp4, atomically."""
    return write_clip(path, frames, fps)
