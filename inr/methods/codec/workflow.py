"""Compressing a clip with the neural codec: fit, quantise, write, read back, and score beside the codecs.

The workflow the CLI, the studio and the benchmark share. Every figure is measured on frames
decoded from the file's bytes, over every pixel of the clip (a codec has no held-out pixels), and
the classical codecs (``inr.core.evaluate.video_baselines``) are scored on exactly the same frames.
"""

import math
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from inr.core.evaluate import rate_distortion, video_baselines
from inr.core.media.files import atomic_write_bytes
from inr.core.media.io import Clip
from inr.core.train import loop
from inr.core.train.loop import Record
from inr.core.train.run import check_device
from inr.methods.codec import fileformat, entropy
from inr.methods.codec.fileformat import CHUNK, ClipMeta
from inr.methods.codec.model import CodecConfig, CodecModel, levels_for
from inr.methods.codec.trainer import CodecFitConfig, Steering, make_optimizer, loop_config, meet_target, trainer

RAW_BPP = 24.0  # uncompressed RGB: no codec should be larger
DEFAULT_SECONDS = {"cpu": 120.0, "cuda": 30.0}
WEIGHT_STEPS = range(5, 13)  # synthesis weights are tried at steps 2^-5 .. 2^-12


@dataclass
class CodecRun:
    """One codec model, the clip it encodes, and how it is being fitted."""

    model: CodecModel
    arm: entropy.ARM
    clip: Clip
    device: str
    fit_cfg: CodecFitConfig
    steering: Steering
    state: dict = field(default_factory=dict)  # the latest step's bits, lambda and quantiser
    history: list[Record] = field(default_factory=list)
    optimizer: torch.optim.Optimizer | None = None

    @property
    def pixels(self) -> int:
        return int(np.prod(self.clip.frames.shape[:3]))

    @property
    def meta(self) -> ClipMeta:
        return ClipMeta(*self.clip.frames.shape[:3], float(self.clip.fps))


def floor_bytes(cfg: CodecConfig) -> int:
    """Bytes of the smallest file of this configuration: the header and the networks, latents all zero."""
    model = CodecModel(cfg)
    with torch.no_grad():
        for p in model.synthesis.parameters():
            p.zero_()
    return overhead_bytes(model, entropy.make_arm(cfg))


def check_target(bpp: float | None, cfg: CodecConfig) -> None:
    """ValueError naming the range a target size must fall in for this clip."""
    if bpp is None:
        return
    pixels = math.prod(cfg.shape)
    low = 8 * floor_bytes(cfg) / pixels
    # The networks alone cost the floor; below ~2x it nothing is left for the picture.
    lowest = 2 * low
    if not lowest <= bpp <= RAW_BPP:
        raise ValueError(f"bpp must be in [{lowest:.3f}, {RAW_BPP:g}] for this clip ({cfg.shape[0]} frames of "
                         f"{cfg.shape[2]}x{cfg.shape[1]}): the header and networks alone take {low:.3f} bpp, and "
                         f"{RAW_BPP:g} bpp is the raw clip; got {bpp:g}")


def prepare(clip: Clip, bpp: float | None = None, lam: float | None = None, seconds: float | None = None,
            steps: int | None = None, seed: int = 0, device: str | None = None, **overrides) -> CodecRun:
    """A fresh codec model for this clip, to be fitted to a target size (`bpp`) or trade-off (`lam`).

    `overrides` go to CodecConfig (levels, hidden, refine, arm_hidden, context) or CodecFitConfig (stages,
    lr, latent_lr, frames_per_step ...). With neither bpp nor lam, the target is 0.2 bpp.
    """
    device = check_device(device)
    if bpp is not None and lam is not None:
        raise ValueError("give a target size (bpp) or a trade-off (lambda), not both")
    if bpp is None and lam is None:
        bpp = CodecFitConfig.bpp
    if seconds is None and steps is None:
        seconds = DEFAULT_SECONDS["cuda" if device.startswith("cuda") else "cpu"]
    model_keys = set(CodecConfig.__dataclass_fields__) - {"shape"}
    settings = {"levels": levels_for(bpp), **{k: v for k, v in overrides.items() if k in model_keys}}
    cfg = CodecConfig(shape=clip.frames.shape[:3], **settings)
    fit_keys = set(CodecFitConfig.__dataclass_fields__)
    unknown = set(overrides) - model_keys - fit_keys
    if unknown:
        raise ValueError(f"unknown codec settings: {', '.join(sorted(unknown))}")
    fit_cfg = CodecFitConfig(steps=steps, seconds=seconds, bpp=bpp, lam=lam, seed=seed,
                             **{k: v for k, v in overrides.items() if k in fit_keys})
    check_target(bpp, cfg)
    torch.manual_seed(seed)
    model, arm = CodecModel(cfg), entropy.make_arm(cfg)
    model.start_from(torch.from_numpy(clip.frames).float() / 255)
    steering = Steering(fit_cfg, int(np.prod(cfg.shape)))
    steering.overhead_bits = 8 * overhead_bytes(model, arm)
    return CodecRun(model.to(device), arm.to(device), clip, device, fit_cfg, steering)


def overhead_bytes(model: CodecModel, arm: entropy.ARM) -> int:
    """Bytes of the file less its latents: the header and the networks as they stand (8-bit weight steps)."""
    steps = {k: 8 for k in model.synthesis.state_dict()}
    return len(fileformat.encode(model, arm, ClipMeta(*model.cfg.shape, 30.0), steps, latents=False))


def fit(run: CodecRun) -> Iterator[Record]:
    """Fit the run's model on distortion + lambda * rate, yielding Records; stop iterating to stop.

    The records' train_psnr is that of the rounded latents (what the file will hold) on every
    pixel; ``run.state`` has the estimated latent bits and lambda of the latest step.
    """
    frames = torch.from_numpy(run.clip.frames).to(run.device).float() / 255
    run.optimizer = run.optimizer or make_optimizer(run.model, run.arm, run.fit_cfg)
    steps = trainer(run.model, run.arm, frames, run.fit_cfg, run.steering, run.state)
    for rec in loop.train(steps, run.optimizer, loop_config(run.fit_cfg)):
        run.history.append(rec)
        run.steering.overhead_bits = 8 * overhead_bytes(run.model, run.arm)
        yield rec


# ---------------------------------------------------------------- quantising the networks

def decode_frames(model: CodecModel, grids: list[torch.Tensor] | None = None) -> np.ndarray:
    """The clip a model decodes to: uint8 (T, H, W, 3), as the decoder writes it."""
    grids = model.rounded() if grids is None else grids
    count = model.cfg.shape[0]
    out = []
    with torch.no_grad():
        for start in range(0, count, CHUNK):
            frames = torch.arange(start, min(start + CHUNK, count), device=grids[0].device)
            rgb = model.decode(grids, frames).clamp(0, 1)
            out.append((rgb * 255 + 0.5).to(torch.uint8).cpu().numpy())
    return np.concatenate(out)


def choose_weight_steps(run: CodecRun) -> dict[str, int]:
    """The synthesis weights' quantisation step (one for all tensors) that minimises D + lambda * R."""
    model = CodecModel(run.model.cfg)
    model.load_state_dict({k: v.cpu() for k, v in run.model.state_dict().items()})
    original = {k: v.clone() for k, v in model.synthesis.state_dict().items()}
    grids = model.rounded()
    target = torch.from_numpy(run.clip.frames).float() / 255
    best, best_cost = None, math.inf
    for step in WEIGHT_STEPS:
        steps = {k: step for k in original}
        ints = fileformat.synthesis_integers(model, steps)
        bits = sum(float(entropy.laplace_bits(v.double(), torch.zeros(()), torch.tensor(
            math.log(fileformat.weight_scale(v)))).sum()) for v in ints.values())
        fileformat.set_synthesis(model, ints, steps)
        decoded = torch.from_numpy(decode_frames(model, grids)).float() / 255
        cost = float(((decoded - target) ** 2).mean()) + run.steering.lam * bits / run.pixels
        model.synthesis.load_state_dict(original)
        if cost < best_cost:
            best, best_cost = steps, cost
    return best


# ---------------------------------------------------------------- the file

def encode(run: CodecRun) -> tuple[bytes, dict[str, int]]:
    """The file's bytes for the run's model, and the weight steps chosen for it.

    A file still too large for its target (the fit met it when its latents froze, unless it was
    stopped before) has its latents brought within reach first (``train.meet_target``).
    """
    run.state["deadzone"] = max(run.state.get("deadzone", 0.5), meet_target(run.model, run.arm, run.steering))
    steps = choose_weight_steps(run)
    return fileformat.encode(run.model, run.arm, run.meta, steps), steps


def measure(decoded: np.ndarray, frames: np.ndarray) -> dict:
    value, structure = video_baselines.quality(decoded, frames)
    return {"psnr": value, "ssim": structure}


def compress(run: CodecRun, path: str | Path, baselines: bool = True) -> dict:
    """Write the run's model to `path`, decode it back from the file, and score it beside the codecs.

    Returns the summary: bytes (of the file), bpp, psnr, ssim (decoded from the file, every pixel),
    seconds (fit + encode), and with baselines each classical codec's PSNR at the same size.
    """
    started = time.perf_counter()
    payload, steps = encode(run)
    path = Path(path)
    atomic_write_bytes(path, payload)
    encode_seconds = time.perf_counter() - started
    decoded, decode_seconds = timed_decode(payload, str(path))
    fitted = run.history[-1].seconds if run.history else 0.0
    out = {"out": str(path), "clip": run.clip.name, "frames": run.meta.frames, "height": run.meta.height,
           "width": run.meta.width, "bytes": len(payload), "bpp": 8 * len(payload) / run.pixels,
           "target_bpp": run.fit_cfg.bpp, "lambda": run.steering.lam, "steps": run.history[-1].step if run.history else 0,
           "seconds": round(fitted + encode_seconds, 2), "decode_seconds": round(decode_seconds, 3),
           "decode_fps": round(run.meta.frames / max(decode_seconds, 1e-9), 1), "weight_step": next(iter(steps.values())),
           "deadzone": run.state.get("deadzone", 0.5),
           "latents": run.model.cfg.latents, "scored_on": "every pixel, decoded from the file",
           **measure(decoded, run.clip.frames)}
    if baselines:
        out["codecs"] = codecs_at_size(run.clip, len(payload))
    return out


def timed_decode(payload: bytes, name: str) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    frames, _ = decompress_bytes(payload, name)
    return frames, time.perf_counter() - started


def decompress(path: str | Path, limit: int = fileformat.DECODE_LIMIT) -> tuple[np.ndarray, ClipMeta]:
    """The clip an .inr codec file holds: uint8 (T, H, W, 3), and its metadata. ValueError naming the
    file for anything damaged or hostile, or a decode needing more than `limit` bytes."""
    decoded = fileformat.read(path, limit)
    return decode_frames(decoded.model), decoded.meta


def decompress_bytes(payload: bytes, name: str = "file",
                     limit: int = fileformat.DECODE_LIMIT) -> tuple[np.ndarray, ClipMeta]:
    """``decompress`` of a file's bytes."""
    decoded = fileformat.decode(payload, name, limit)
    return decode_frames(decoded.model), decoded.meta


def codecs_at_size(clip: Clip, size: int) -> dict:
    """Each classical codec's PSNR/SSIM at `size` bytes on this clip, interpolated on its CRF sweep
    (which is extended until it brackets the size), with the sweep as "curve"; and GIF's figures."""
    out = {}
    bpp = 8 * size / int(np.prod(clip.frames.shape[:3]))
    for name in video_baselines.CODECS:
        sweep = video_baselines.sweep_to(clip.frames, clip.fps, name, [bpp])
        out[name] = {**rate_distortion.at_size(sweep, size), "curve": sweep}
    out["gif"] = video_baselines.gif(clip.frames, clip.fps)
    return out
