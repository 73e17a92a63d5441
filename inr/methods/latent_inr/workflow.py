"""Compression with Latent-INR: fit a clip, write it as .inr, and measure it against GIF and H.264.

The pieces are ``model`` (the model and its fit loop), ``codec`` (quantisation and the
file) and ``video_baselines`` (the classical codecs) with ``rate_distortion`` (their quality at a size); this module is the workflow the CLI, the
app and the benchmark share. Every PSNR here is over every pixel of the clip: a codec has no
held-out pixels, and the baselines are scored on the same pixels.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from inr.core.evaluate import rate_distortion, video_baselines
from inr.core.media.io import Clip
from inr.core.train.checkpoints import ClipInfo
from inr.core.train.loop import Record
from inr.core.train.run import check_device
from inr.methods.latent_inr import fileformat
from inr.methods.latent_inr.model import FrameLatents, interpolate, render_clip
from inr.methods.latent_inr.trainer import LatentFitConfig, fit as fit_loop, make_model

# (label, bits, per_channel, compression): the size/quality ladder of one fitted model.
VARIANTS = (
    ("ours fp32", 32, False, "none"),
    ("ours fp16", 16, False, "none"),
    ("ours 8-bit per-tensor", 8, False, "none"),
    ("ours 8-bit per-channel", 8, True, "none"),
    ("ours 8-bit per-channel + lzma", 8, True, "lzma"),
)
DEFAULT_SECONDS = {"cpu": 60.0, "cuda": 20.0}  # a useful fit on 2 CPU cores / a GPU


@dataclass
class LatentRun:
    """One Latent-INR model and the clip it is fitted to."""

    model: FrameLatents
    clip: Clip
    device: str
    fit_cfg: LatentFitConfig
    history: list[Record] = field(default_factory=list)

    @property
    def params(self) -> int:
        return sum(p.numel() for p in self.model.parameters())

    @property
    def pixels(self) -> int:
        return int(np.prod(self.clip.frames.shape[:3]))

    def meta(self) -> ClipInfo:
        count, height, width = self.clip.frames.shape[:3]
        return ClipInfo(self.clip.name, count, height, width, float(self.clip.fps))


def prepare(clip: Clip, device: str | None = None, seconds: float | None = None, steps: int | None = None,
            seed: int = 0, **model_overrides) -> LatentRun:
    """A fresh Latent-INR for this clip with its fit budget (default: per device)."""
    device = check_device(device)
    if seconds is None and steps is None:
        seconds = DEFAULT_SECONDS["cuda" if device.startswith("cuda") else "cpu"]
    cfg = LatentFitConfig(steps=steps, seconds=seconds, seed=seed)
    model = make_model(clip.frames, seed=seed, **model_overrides).to(device)
    return LatentRun(model, clip, device, cfg)


def fit(run: LatentRun) -> Iterator[Record]:
    """Train the run's model, yielding Records (see ``model.fit``); stop iterating to stop."""
    for rec in fit_loop(run.model, run.clip.frames, run.fit_cfg):
        run.history.append(rec)
        yield rec


def interpolate_frame(run: LatentRun, a: int, b: int, alpha: float) -> np.ndarray:
    """The frame rendered from (1 - alpha) * code a + alpha * code b: uint8 (H, W, 3)."""
    return interpolate(run.model, a, b, alpha)


def measure(model: FrameLatents, frames: np.ndarray) -> dict:
    """PSNR and SSIM of the model's decoded clip against uint8 frames (T, H, W, 3), every pixel."""
    decoded = render_clip(model.eval(), frames.shape[0], frames.shape[1], frames.shape[2])
    value, structure = video_baselines.quality(decoded, frames)
    return {"psnr": value, "ssim": structure}


def variant_rows(run: LatentRun) -> list[dict]:
    """One row per quantisation variant: the bytes of its .inr file, bpp, PSNR, SSIM."""
    rows = []
    for label, bits, per_channel, compression in VARIANTS:
        payload = fileformat.encode(run.model, run.meta(), bits, per_channel, compression)
        model, _, _ = fileformat.decode(payload)
        rows.append({"method": label, "bits": bits, "per_channel": per_channel, "compression": compression,
                     "bytes": len(payload), "bpp": 8 * len(payload) / run.pixels,
                     **measure(model, run.clip.frames)})
    return rows


def baseline_rows(clip: Clip) -> dict:
    """{"h264": one row per CRF, "gif": one row}, with bits per pixel. H.264 is x264 in 4:2:0: the
    file a player plays, as an .inr file is meant to be shared."""
    sweep = [{"method": f"H.264 CRF {r['crf']}", **r}
             for r in video_baselines.sweep(clip.frames, clip.fps, "x264-420")]
    return {"h264": sweep, "gif": {"method": "GIF", **video_baselines.gif(clip.frames, clip.fps)}}


def size_quality(run: LatentRun, base: dict | None = None) -> dict:
    """The whole table: our variants, the H.264 sweep, GIF, and H.264 at each variant's size.

    `base` is ``baseline_rows`` of the same clip when already measured (the sweep costs seconds).
    """
    ours = variant_rows(run)
    base = base or baseline_rows(run.clip)
    for row in ours:
        match = rate_distortion.at_size(base["h264"], row["bytes"])
        row["h264_psnr_at_size"], row["h264_ssim_at_size"] = match["psnr"], match["ssim"]
        row["h264_nearest_crf"], row["h264_nearest_bytes"] = match["nearest_crf"], match["nearest_bytes"]
    count, height, width = run.clip.frames.shape[:3]
    return {"clip": run.clip.name, "frames": count, "height": height, "width": width, "params": run.params,
            "ours": ours, **base}


def compress(run: LatentRun, path: str | Path, bits: int = 8, per_channel: bool = True,
             compression: str = "lzma", baselines: bool | dict = True) -> dict:
    """Write the .inr file, decode it back from disk, and score it beside GIF and H.264 at its size.

    `baselines`: True measures GIF and the H.264 sweep, False skips them, a dict is ``baseline_rows``
    of this clip measured already. The summary's last keys are the CLI's contract: bytes (the
    file's size), bpp, psnr, ssim, h264_psnr_at_size, gif_bytes.
    """
    path = fileformat.write(path, run.model, run.meta(), bits, per_channel, compression)
    model, _, _ = fileformat.read(path)
    size = path.stat().st_size
    scores = measure(model, run.clip.frames)
    out = {"out": str(path), "clip": run.clip.name, "frames": run.clip.frames.shape[0],
           "height": run.clip.frames.shape[1], "width": run.clip.frames.shape[2], "params": run.params,
           "steps": run.history[-1].step if run.history else 0,
           "seconds": round(run.history[-1].seconds, 2) if run.history else 0.0,
           "bits": bits, "per_channel": per_channel, "compression": compression, "scored_on": "every pixel"}
    h264_at, gif = {"psnr": None, "ssim": None, "nearest_crf": None, "nearest_bytes": None}, {}  # skipped
    if baselines:
        base = baselines if isinstance(baselines, dict) else baseline_rows(run.clip)
        h264_at, gif = rate_distortion.at_size(base["h264"], size), base["gif"]
    out.update({"bytes": size, "bpp": 8 * size / run.pixels, "psnr": scores["psnr"], "ssim": scores["ssim"],
                "h264_ssim_at_size": h264_at["ssim"], "h264_nearest_crf": h264_at["nearest_crf"],
                "h264_nearest_bytes": h264_at["nearest_bytes"], "h264_interpolated": h264_at.get("interpolated"),
                "gif_psnr": gif.get("psnr"),
                "h264_psnr_at_size": h264_at["psnr"], "gif_bytes": gif.get("bytes")})
    return out


def decompress(path: str | Path) -> tuple[np.ndarray, ClipInfo]:
    """The decoded clip (T, H, W, 3) uint8 of an .inr file and its metadata."""
    model, meta, _ = fileformat.read(path)
    return render_clip(model, meta.frames, meta.height, meta.width), meta


def load(path: str | Path, frames: np.ndarray | None = None, name: str | None = None) -> LatentRun:
    """A LatentRun from an .inr file; `frames` (the original clip) when known, else its decoding."""
    model, meta, _ = fileformat.read(path)
    if frames is None:
        frames = render_clip(model, meta.frames, meta.height, meta.width)
    if frames.shape[:3] != (meta.frames, meta.height, meta.width):
        raise ValueError(f"frames of shape {frames.shape[:3]} do not match the file's clip "
                         f"{(meta.frames, meta.height, meta.width)}")
    return LatentRun(model, Clip(frames, meta.fps, name or meta.name), "cpu", LatentFitConfig(steps=0))


def size_quality_figure(table: dict):
    """PSNR against bytes: our variants, the H.264 CRF sweep and GIF (plotly Figure, log-x)."""
    import plotly.graph_objects as go

    fig = go.Figure()
    h264 = sorted(table["h264"], key=lambda r: r["bytes"])
    fig.add_trace(go.Scatter(x=[r["bytes"] for r in h264], y=[r["psnr"] for r in h264], mode="lines+markers",
                             name="H.264 (CRF swept)", text=[r["method"] for r in h264]))
    gif = table["gif"]
    fig.add_trace(go.Scatter(x=[gif["bytes"]], y=[gif["psnr"]], mode="markers", name="GIF",
                             marker={"symbol": "square", "size": 10}))
    ours = sorted(table["ours"], key=lambda r: r["bytes"])
    # The 8-bit variants lie within ~10% of each other in bytes and PSNR: their labels take turns
    # above-left, below and above-right so that they do not print over one another.
    turns = ("top left", "bottom center", "top right", "bottom center")
    fig.add_trace(go.Scatter(x=[r["bytes"] for r in ours], y=[r["psnr"] for r in ours], mode="markers+text",
                             name="Latent-INR (.inr)", text=[r["method"].replace("ours ", "") for r in ours],
                             textposition=[turns[k % len(turns)] for k in range(len(ours))],
                             marker={"size": 10, "symbol": "diamond"}))
    fig.update_layout(title=f"{table['clip']}: quality against size (every pixel)", height=380,
                      xaxis_title="bytes (log)", yaxis_title="PSNR (dB)", margin={"l": 50, "r": 10, "t": 50, "b": 40},
                      legend={"orientation": "h"})
    fig.update_xaxes(type="log")
    return fig


def table_markdown(table: dict) -> str:
    """The size/quality table as Markdown: ours with H.264 at the same size, then GIF."""
    lines = ["| method | bytes | bits/pixel | PSNR (dB) | SSIM | H.264 at this size: PSNR / SSIM |",
             "|---|---:|---:|---:|---:|---:|"]
    for r in table["ours"]:
        lines.append(f"| {r['method']} | {r['bytes']:,} | {r['bpp']:.3f} | {r['psnr']:.2f} | {r['ssim']:.4f} | "
                     f"{r['h264_psnr_at_size']:.2f} / {r['h264_ssim_at_size']:.4f} |")
    g = table["gif"]
    lines.append(f"| GIF | {g['bytes']:,} | {g['bpp']:.3f} | {g['psnr']:.2f} | {g['ssim']:.4f} | |")
    return "\n".join(lines)
