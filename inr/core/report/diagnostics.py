"""What the studio shows beside a fit: frame previews with error maps, per-frame PSNR, estimates."""

import math
import time
from dataclasses import replace

import numpy as np
import torch

from inr.core.evaluate.metrics import mse_to_psnr, psnr
from inr.core.field.coords import frame_times, pixel_centres
from inr.core.media.images import to_uint8
from inr.core.train.fit import field_trainer, loop_config, make_optimizer
from inr.core.train.loop import Scores, train

ERROR_GAIN = 5  # error maps are |prediction - truth| x 5: small errors stay visible


@torch.no_grad()
def predict_frame(run, frame: int, clip: int = 0, mix_with: int | None = None, mix: float = 0.0,
                  size: tuple[int, int] | None = None) -> np.ndarray:
    """uint8 (H, W, 3): the model's frame `frame` of `clip` (at the clip's size unless `size`)."""
    info = run.clips[clip]
    if not 0 <= frame < info.frames:
        raise ValueError(f"frame must be in 0..{info.frames - 1}, got {frame}")
    height, width = size or (info.height, info.width)
    t = frame_times(info.frames, run.device)[frame : frame + 1]
    rgb = run.model.lattice(t, pixel_centres(height, run.device), pixel_centres(width, run.device),
                            run.model.code(clip, mix_with, mix))
    return to_uint8(rgb[0].clamp(0, 1).float().cpu())


def preview_triplet(run, frame: int, clip: int = 0) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(INR frame, ground truth, error map x ERROR_GAIN); the last two are None without the clip."""
    pred = predict_frame(run, frame, clip)
    if run.frames is None:
        return pred, None, None
    truth = run.frames[clip][frame]
    return pred, truth, error_map(pred, truth)


def error_map(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """uint8 |pred - truth| x ERROR_GAIN of two uint8 pictures (or clips) of one shape."""
    if pred.shape != truth.shape:
        raise ValueError(f"an error map needs equal shapes, got {pred.shape} and {truth.shape}")
    error = np.abs(pred.astype(np.int16) - truth.astype(np.int16)) * ERROR_GAIN
    return np.clip(error, 0, 255).astype(np.uint8)


def uint8_psnr(pred: np.ndarray, truth: np.ndarray) -> float:
    """PSNR (dB) of two uint8 pictures (or clips) of one shape, over every pixel."""
    return psnr(torch.from_numpy(pred).float() / 255, torch.from_numpy(truth).float() / 255)


@torch.no_grad()
def render_frame(run, shape: tuple[int, int, int], index: int, clip: int = 0) -> np.ndarray:
    """uint8 (H, W, 3): frame `index` of a render of size shape = (T, H, W), alone (for previews)."""
    frames, height, width = shape
    if not 0 <= index < frames:
        raise ValueError(f"frame must be in 0..{frames - 1}, got {index}")
    t = frame_times(frames, run.device)[index : index + 1]
    rgb = run.model.lattice(t, pixel_centres(height, run.device), pixel_centres(width, run.device),
                            run.model.code(clip))
    return to_uint8(rgb[0].clamp(0, 1).float().cpu())




@torch.no_grad()
def frame_psnrs(run, clip: int = 0) -> tuple[list[float], list[float | None]]:
    """Per-frame PSNR (dB) on training and on held-out pixels of one clip."""
    truth = run.frames[clip]
    mask = run.data.masks[clip]
    train, heldout = [], []
    for t in range(len(truth)):
        err = ((predict_frame(run, t, clip).astype(np.float32) - truth[t]) / 255.0) ** 2
        err = torch.from_numpy(err.sum(-1))
        train.append(mse_to_psnr(err[mask[t]].mean().item() / 3))
        held = ~mask[t]
        heldout.append(mse_to_psnr(err[held].mean().item() / 3) if held.any() else None)
    return train, heldout


def _seconds(fn) -> float:
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def estimate(run, trial_steps: int = 3, trial_seconds: float = 0.5) -> dict:
    """Memory (bytes) of the fit and the time per 1,000 steps, timed on a copy: at least `trial_steps`
    steps and as many as `trial_seconds` allow, plus the share the fit's own scoring takes (the loop
    scores at most every log_seconds, and gives scoring at most a fifth of its time)."""
    params = sum(p.numel() for p in run.model.parameters())
    data_bytes = run.data.colors.numel() + 8 * (len(run.data.train) + len(run.data.heldout))
    model_bytes = params * 4 * 4  # weights, gradients and Adam's two moments
    batch = run.fit_cfg.batch
    width = max(run.model.encoding.out_dim, getattr(run.model.cfg.network, "width", 0))
    activation_bytes = batch * width * 4 * (run.model.cfg.network.depth + 2) * 3
    state = {k: v.clone() for k, v in run.model.state_dict().items()}
    make = run.make_trainer or field_trainer  # the arch's own step (the motion field's reads its neighbours too)
    trainer = make(run.model, run.data, run.fit_cfg)
    scoring = min(_seconds(lambda: trainer.score(False, False)) for _ in range(2))  # the first warms up
    # The fit's own step at its first rates, unscored: a record here only syncs and reads the clock.
    unscored = Scores(math.nan)
    timed = replace(trainer, score=lambda final, preview: unscored)
    optimizer = make_optimizer(run.model, run.fit_cfg)
    first = list(train(timed, optimizer, loop_config(run.fit_cfg, steps=trial_steps + 1, seconds=None, final_ratio=1.0,
                                                      log_seconds=math.inf, preview_seconds=None, final=False)))
    # The first step warms up allocators and caches: the steps after it are timed, for trial_seconds.
    per_step = (first[-1].seconds - first[0].seconds) / max(first[-1].step - first[0].step, 1)
    more = int(min(1000, max(0, trial_seconds / max(per_step, 1e-6) - trial_steps)))
    if more:
        records = list(train(timed, optimizer, loop_config(run.fit_cfg, steps=more + 1, seconds=None, final_ratio=1.0,
                                                             log_seconds=math.inf, preview_seconds=None, final=False)))
        per_step = (records[-1].seconds - records[0].seconds) / max(records[-1].step - records[0].step, 1)
    run.model.load_state_dict(state)  # the trial leaves the model as it was
    per_step *= 1 + scoring / max(run.fit_cfg.log_seconds, 4 * scoring, 1e-9)
    return {
        "params": params,
        "memory_bytes": data_bytes + model_bytes + activation_bytes,
        "seconds_per_1000_steps": 1000 * per_step,
    }
