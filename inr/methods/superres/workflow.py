"""Space-time super-resolution: shrink a clip, fit the small one, render it back, score both ways."""

from dataclasses import dataclass

import numpy as np
import torch

from inr.core.evaluate import rife
from inr.core.field.render import render_uint8
from inr.core.media.images import to_uint8
from inr.core.media.io import Clip
from inr.core.train.presets import BASE_ARCH, upscale_config, upscalers
from inr.core.train.run import Run, fit, prepare
from inr.methods.superres import degrade


@dataclass
class SuperResolution:
    """One row of the super-resolution evaluation, with the frames behind it (uint8 (T, H, W, 3))."""

    row: dict
    inr: np.ndarray
    classical: np.ndarray
    target: np.ndarray
    low: np.ndarray
    rebuilds: dict[str, np.ndarray]  # every classical rebuild by name (``classical`` is the best of them), and RIFE


@dataclass
class Study:
    """A clip shrunk for the check (``degraded``) and the field that fits the small version (``run``)."""

    name: str
    degraded: degrade.Degraded
    run: Run


def best_arch(space: float, time: int) -> str:
    """The field to fit for these factors: the motion field moves content into new frames (it beat
    blending and minterpolate on every shared clip); in space it is the grid it holds at key frames."""
    return "motion" if time > 1 else BASE_ARCH


def prepare_study(clip: Clip, space: float = 1.0, time: int = 1, arch: str | None = None,
                  device: str | None = None, seed: int = 0, multiframe: bool = False, **fit_overrides) -> Study:
    """Shrink a clip (space x smaller, every time-th frame) and prepare a field for the small one.

    `multiframe`: the field's content at the original's size, filled by the other frames' pixels
    moved along the flow (an architecture with multi-frame upscaling, the first of them unless
    `arch` names one). It beat Lanczos where the flow holds and lost where it does not
    (docs/motion.md), so it is asked for, never the default.

    Train it with ``fit(study.run)`` (a generator of Records, so a caller can show progress), then
    ``score(study)``; ``evaluate`` does all three.
    """
    degraded = degrade.degrade(clip.frames, space, time)
    low = Clip(degraded.low, clip.fps / time, clip.name, ())
    model_cfg = None
    if multiframe:
        if degraded.low.shape[1:3] == clip.frames.shape[1:3]:
            raise ValueError("multi-frame upscaling needs a spatial factor that shrinks the clip")
        arch = arch or upscalers()[0]
        model_cfg = upscale_config(arch, degraded.low.shape[:3], clip.frames.shape[:3])
    arch = arch or best_arch(space, time)
    return Study(clip.name, degraded, prepare([low], arch, holdout="none", device=device, seed=seed,
                                              model_cfg=model_cfg, **fit_overrides))


def _classical_half(degraded: degrade.Degraded) -> tuple[dict, dict[str, np.ndarray]]:
    """The classical half of a row (see ``score``) and each rebuild's uint8 frames (T, H, W, 3) by name.

    Rebuilds are scored as 8-bit frames, as the INR's render is: what a player would show.
    """
    shape, time = degraded.target.shape[:3], degraded.time
    rebuilds = {name: to_uint8(v) for name, v in degrade.classical(degraded.low, shape).items()}
    # SSIM, the slow part, only for the one the row reports: the best by PSNR.
    theirs = {name: degrade.quality(torch.from_numpy(v).float() / 255, degraded.target, time, structure=False)
              for name, v in rebuilds.items()}
    best = max(theirs, key=lambda name: theirs[name]["psnr"])
    theirs[best] = degrade.quality(torch.from_numpy(rebuilds[best]).float() / 255, degraded.target, time)
    plain, strong = degrade.methods(degraded.low.shape[:3], shape)[:2]
    row = {"space": degraded.space, "time": time, "input": list(degraded.low.shape[:3]), "output": list(shape),
           "classical_psnr": theirs[best]["psnr"], "classical_ssim": theirs[best]["ssim"], "classical": best,
           "classical_all": {name: v["psnr"] for name, v in theirs.items()}}
    if degraded.low.shape[1:3] != shape[1:] or time == 1:
        row["bicubic_psnr"] = theirs[plain]["psnr"]
        row["lanczos_psnr"] = theirs[strong]["psnr"]
    if time > 1:
        row["classical_psnr_new_frames"] = theirs[best]["psnr_new_frames"]
        row["classical_all_new_frames"] = {name: v["psnr_new_frames"] for name, v in theirs.items()}
        row["blend_psnr_new_frames"] = theirs[plain]["psnr_new_frames"]
        row["mci_psnr_new_frames"] = theirs[strong]["psnr_new_frames"]
    learned = learned_rebuild(degraded)
    if learned is not None:
        rebuilds["RIFE"] = learned
        row["rife_psnr_new_frames"] = degrade.quality(torch.from_numpy(learned).float() / 255, degraded.target,
                                                     time, structure=False)["psnr_new_frames"]
    return row, rebuilds


def learned_rebuild(degraded: degrade.Degraded) -> np.ndarray | None:
    """RIFE's uint8 frames (T, H, W, 3) for a time-only scale by a power of 2, where RIFE is installed
    (core/evaluate/rife.py); None otherwise. Kept apart from the classical rebuilds: it is a learned model."""
    time = degraded.time
    if not rife.available() or time < 2 or time & (time - 1) or degraded.low.shape[1:3] != degraded.target.shape[1:3]:
        return None
    return to_uint8(rife.interpolate(torch.from_numpy(degraded.low).float() / 255, time))


def classical_scores(clip: Clip, space: float = 1.0, time: int = 1) -> dict:
    """The classical half of ``evaluate``'s row for this clip and scale, with nothing fitted: a
    second or two a row (``bench/classical.py``)."""
    row, _ = _classical_half(degrade.degrade(clip.frames, space, time))
    return {"clip": clip.name, **row}


def score(study: Study) -> SuperResolution:
    """Render the fitted small clip back at the original's size and score it beside every classical
    rebuild of its kind of scale (degrade.classical) on the original frames, which none of them
    saw: PSNR and SSIM over every pixel of every frame (and on the new frames alone).

    The row names the best classical rebuild over all frames (``classical``, ``classical_psnr``)
    and keeps the plain and the strong one apart under stable keys: ``bicubic_psnr`` and
    ``lanczos_psnr`` where the size changes or nothing does (all frames), ``blend_psnr_new_frames``
    and ``mci_psnr_new_frames`` where the frame count does (new frames only). A row that changes
    both has all four, from bicubic + linear blending and Lanczos + minterpolate.
    """
    degraded, run, time = study.degraded, study.run, study.degraded.time
    shape = degraded.target.shape[:3]
    inr = np.stack(list(render_uint8(run.model, shape)))
    ours = degrade.quality(torch.from_numpy(inr).float() / 255, degraded.target, time)
    theirs, rebuilds = _classical_half(degraded)
    row = {"clip": study.name, "arch": run.arch, **theirs, "inr_psnr": ours["psnr"], "inr_ssim": ours["ssim"],
           "curvature": run.fit_cfg.curvature, "temporal": run.fit_cfg.temporal,
           "steps": run.steps, "seconds": round(run.seconds, 2)}
    if time > 1:
        row["inr_psnr_new_frames"] = ours["psnr_new_frames"]
    return SuperResolution(row, inr, rebuilds[theirs["classical"]], degraded.target, degraded.low, rebuilds)


def evaluate(clip: Clip, space: float = 1.0, time: int = 1, arch: str | None = None,
             device: str | None = None, seed: int = 0, multiframe: bool = False, **fit_overrides) -> SuperResolution:
    """Shrink a clip, fit the small version to its budget, render it back and score both ways."""
    study = prepare_study(clip, space, time, arch, device, seed, multiframe, **fit_overrides)
    for _ in fit(study.run):
        pass
    return score(study)


def _low(run: Run, clip: int) -> np.ndarray:
    if run.frames is None:
        raise ValueError("the classical comparison needs the clip the model was fitted to: fit it, or load "
                         "an example")
    return run.frames[clip]


def classical_methods(run: Run, shape: tuple[int, int, int], clip: int = 0) -> tuple[str, ...]:
    """What a side-by-side view compares the model's render at `shape` with: the plain classical
    upscale (``classical_preview`` draws it frame by frame), then the one a user would pick
    instead (Lanczos, minterpolate or both; ``classical_render(..., method=)`` makes the whole
    clip, which minterpolate needs). Only the first when the render keeps the clip's size and rate."""
    low = _low(run, clip)
    if tuple(low.shape[:3]) == tuple(shape):
        return (degrade.classical_name(low.shape[:3], shape),)
    return degrade.methods(low.shape[:3], shape)[:2]


def classical_preview(run: Run, shape: tuple[int, int, int], index: int, clip: int = 0) -> tuple[str, np.ndarray]:
    """(method, uint8 (H, W, 3)): frame `index` of the plain classical upscale of the model's clip
    to `shape`, for the side-by-side view. Needs the clip (a fitted run, or a loaded one with clips)."""
    low = _low(run, clip)
    return (degrade.classical_name(low.shape[:3], shape),
            to_uint8(degrade.classical_frame(low, shape, index)))


def classical_render(run: Run, shape: tuple[int, int, int], clip: int = 0, method: str | None = None) -> np.ndarray:
    """uint8 (T, H, W, 3): the whole classical upscale of the model's clip to `shape`, the plain
    one (``classical_preview``'s frames) or the named `method` (see ``classical_methods``)."""
    if method is None:
        return np.stack([classical_preview(run, shape, k, clip)[1] for k in range(shape[0])])
    return to_uint8(degrade.rebuild(_low(run, clip), shape, method))
