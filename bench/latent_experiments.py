"""Experiments on Latent-INR that only benchmarks and their tests run: perturbed retrieval queries
and the temporal-interpolation study. Not part of the library (``inr``)."""

import numpy as np
from PIL import Image

from inr.core.evaluate import video_baselines
from inr.core.media.io import Clip
from inr.methods.latent_inr import retrieval
from inr.methods.latent_inr import workflow as latent_run
from inr.methods.latent_inr.model import render_codes
from inr.methods.latent_inr.retrieval import FrameIndex
from inr import api


# ---------------------------------------------------------------- perturbed queries (for measuring)

def perturb(image: np.ndarray, kind: str, rng: np.random.Generator) -> np.ndarray:
    """A perturbed copy of uint8 (H, W, 3): "crop" (random 80% crop, resized back), "colour" (gain and
    offset per channel), "noise" (Gaussian, sigma 10 levels)."""
    height, width = image.shape[:2]
    if kind == "crop":
        h, w = max(1, round(height * 0.8)), max(1, round(width * 0.8))
        top, left = rng.integers(0, height - h + 1), rng.integers(0, width - w + 1)
        crop = image[top:top + h, left:left + w]
        return np.asarray(Image.fromarray(crop).resize((width, height), Image.BICUBIC))
    if kind == "colour":
        gain = rng.uniform(0.85, 1.15, size=3)
        offset = rng.uniform(-20, 20, size=3)
        return np.clip(image * gain + offset, 0, 255).round().astype(np.uint8)
    if kind == "noise":
        return np.clip(image + rng.normal(0, 10, size=image.shape), 0, 255).round().astype(np.uint8)
    raise ValueError(f"perturbation must be crop, colour or noise, got {kind!r}")


def evaluate(index: FrameIndex, frames: np.ndarray, kinds=("crop", "colour", "noise"),
             modes=retrieval.MODES, seed: int = 0, every: int = 1) -> dict:
    """Top-1 / top-5 hit rates of each mode, querying every `every`-th frame with each perturbation."""
    rng = np.random.default_rng(seed)
    hits = {m: {"top1": 0, "top5": 0, "top1_within_1": 0} for m in modes}
    total = 0
    for t in range(0, len(frames), every):
        for kind in kinds:
            query = perturb(frames[t], kind, rng)
            total += 1
            for mode in modes:
                ranked = np.argsort(-retrieval.scores(index, query, mode), kind="stable")
                hits[mode]["top1"] += int(ranked[0] == t)
                hits[mode]["top5"] += int(t in ranked[:5])
                hits[mode]["top1_within_1"] += int(abs(int(ranked[0]) - t) <= 1)
    return {"queries": total, **{m: {k: v / total for k, v in h.items()} for m, h in hits.items()}}


# ---------------------------------------------------------------- temporal interpolation

def _psnr_frames(pred: np.ndarray, truth: np.ndarray) -> float:
    return video_baselines.quality(pred, truth)[0]


def interpolation_study(clip: Clip, seconds: float = 20.0, device: str = "cpu", seed: int = 0) -> dict:
    """PSNR on held-out odd frames of three ways to fill them from the even frames.

    (a) a Latent-INR fitted to the even frames, each odd frame rendered from the mean of its two
    neighbours' codes; (b) the mean of the two neighbouring frames (linear blending); (c) the
    time-conditioned grid model of ``inr.api`` fitted to the even frames (holdout "none") and
    rendered at temporal scale 2, whose odd outputs fall on the odd instants. (a) and (c) get the
    same wall-clock budget. Scored on every pixel of the odd frames only.
    """
    count = clip.frames.shape[0]
    count -= 1 - count % 2  # an odd count: the first and last frames are both training frames
    if count < 3:
        raise ValueError(f"interpolation needs at least 3 frames, got {clip.frames.shape[0]}")
    even, odd = clip.frames[0:count:2], clip.frames[1:count:2]
    run = latent_run.prepare(Clip(even, clip.fps / 2, clip.name), device, seconds=seconds, seed=seed)
    for _ in latent_run.fit(run):
        pass
    latents = run.model.latents.detach()
    mids = (latents[:-1] + latents[1:]) / 2
    latent = np.stack(list(render_codes(run.model.eval(), mids)))
    blend = ((even[:-1].astype(np.uint16) + even[1:]) / 2 + 0.5).astype(np.uint8)  # round half up
    grid = api.prepare([Clip(even, clip.fps / 2, clip.name)], holdout="none", device=device, seed=seed,
                       seconds=seconds)
    for _ in api.fit(grid):
        pass
    frames, _, _ = api.render(grid, frames=2 * len(even) - 1)
    time_coord = np.stack(list(frames))[1::2]
    return {"clip": clip.name, "frames": count, "height": clip.frames.shape[1], "width": clip.frames.shape[2],
            "seconds": seconds, "heldout_frames": len(odd), "scored_on": "every pixel of the held-out odd frames",
            "latent_interpolation_psnr": _psnr_frames(latent, odd),
            "frame_blend_psnr": _psnr_frames(blend, odd),
            "time_coordinate_psnr": _psnr_frames(time_coord, odd),
            "latent_train_psnr": run.history[-1].train_psnr,
            "time_coordinate_train_psnr": api.summary(grid, sizes=False)["train_psnr"]}
