"""How big a model is beside the clip it encodes: the clip raw and as an H.264 MP4, in one sentence.

A fitted field is a lossy codec whether it means to be or not: its file is worth having only if
it is smaller than what a person could download instead. The H.264 reference is what ffmpeg
makes by default (libx264, CRF 23, preset medium, yuv420p), measured by ``video_baselines`` (its x264-420 codec).
"""

import numpy as np

from inr.core.evaluate.metrics import mse_to_psnr, psnr_to_mse
from inr.core.evaluate.video_baselines import sweep

H264_CRF = 23  # libx264's default: the MP4 a person gets without choosing anything


def clip_sizes(frames: np.ndarray, fps: float) -> dict:
    """{"raw_bytes", "h264_bytes", "h264_psnr"} of uint8 frames (T, H, W, 3): stored as RGB, and
    as H.264 at CRF 23 (its PSNR in dB against the frames, every pixel)."""
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[3] != 3:
        raise ValueError(f"frames must be uint8 (T, H, W, 3), got {frames.dtype} {tuple(frames.shape)}")
    h264 = sweep(frames, fps, "x264-420", [H264_CRF])[0]
    return {"raw_bytes": int(frames.size), "h264_bytes": int(h264["bytes"]), "h264_psnr": float(h264["psnr"])}


def total(sizes: list[dict]) -> dict:
    """Several clips' ``clip_sizes`` as one: bytes add up, the PSNR pools their MSE by pixel count
    (raw bytes are 3 per pixel)."""
    if not sizes:
        raise ValueError("sizes must name at least one clip, got none")
    raw = sum(s["raw_bytes"] for s in sizes)
    mse = sum(psnr_to_mse(s["h264_psnr"]) * s["raw_bytes"] for s in sizes) / raw
    return {"raw_bytes": raw, "h264_bytes": sum(s["h264_bytes"] for s in sizes), "h264_psnr": mse_to_psnr(mse)}


def human_bytes(count: int) -> str:
    """A byte count as people read it (decimal units): 812 bytes, 84 KB, 4.9 MB, 1.2 GB."""
    if count < 1000:
        return f"{count} bytes"
    value, unit = count / 1e3, "KB"
    for larger in ("MB", "GB"):
        if value < 999.5:  # what rounds to 1000 KB is written 1.0 MB
            break
        value, unit = value / 1e3, larger
    return f"{value:.0f} {unit}" if value >= 9.95 else f"{value:.1f} {unit}"


def ratio(a: float, b: float) -> str:
    """a / b in two significant figures, written as a multiple: 58x, 3.1x, 0.72x, 0.041x."""
    r = a / b
    return f"{r:.0f}x" if r >= 9.95 else f"{r:.2g}x"


def size_verdict(model_bytes: int, raw_bytes: int, h264_bytes: int | None = None,
                 h264_psnr: float | None = None) -> str:
    """One plain sentence: the model's file beside the raw clip and its H.264 (when known), each
    called larger or smaller."""
    comparisons = [_beside(model_bytes, raw_bytes, "the raw clip", human_bytes(raw_bytes))]
    if h264_bytes is not None:
        at = f"{human_bytes(h264_bytes)} at CRF {H264_CRF}"
        if h264_psnr is not None:
            at += f", {h264_psnr:.1f} dB"
        comparisons.append(_beside(model_bytes, h264_bytes, "the clip's H.264 MP4", at))
    join = " and " if len({word for word, _ in comparisons}) == 1 else " but "
    return f"the model is {human_bytes(model_bytes)}: {join.join(text for _, text in comparisons)}"


def _beside(size: int, reference: int, name: str, detail: str) -> tuple[str, str]:
    """(larger | smaller | same, the phrase comparing `size` with `reference`)."""
    if size == reference:
        return "same", f"as large as {name} ({detail})"
    word = "larger" if size > reference else "smaller"
    return word, f"{word} than {name} ({ratio(size, reference)} its {detail})"
