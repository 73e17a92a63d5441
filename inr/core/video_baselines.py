"""The classical codecs an .inr file is measured against: H.264 (CRF swept) and GIF.

H.264 uses the ffmpeg that ships inside imageio-ffmpeg (run by ``inr.core.ffmpeg``; libx264,
yuv420p, preset medium), fed and read back as raw RGB through pipes, so what is scored is exactly
what a player would show. Each result is (bytes of the file, PSNR and SSIM of its decoded frames
against the clip, all pixels); ``inr.core.rate_distortion`` reads quality at a size off a sweep.
"""

import tempfile
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch

from inr.core import ffmpeg
from inr.core.export import pad_to_even, write_gif
from inr.core.metrics import psnr, ssim

CRFS = tuple(range(0, 52, 3))  # libx264's whole range: 0 is lossless, 51 its smallest


def quality(decoded: np.ndarray, frames: np.ndarray) -> tuple[float, float]:
    """(PSNR dB, SSIM) of decoded uint8 frames against the clip's, over every pixel."""
    a = torch.from_numpy(decoded).float() / 255
    b = torch.from_numpy(frames).float() / 255
    return psnr(a, b), ssim(a, b)


def h264(frames: np.ndarray, fps: float, crf: int, folder: Path) -> dict:
    """Encode uint8 frames (T, H, W, 3) at this CRF; {"crf", "bytes", "psnr", "ssim"}."""
    count, height, width = frames.shape[:3]
    padded = np.stack([pad_to_even(f) for f in frames])  # yuv420p needs even sides
    ph, pw = padded.shape[1:3]
    path = folder / f"h264_crf{crf}.mp4"
    ffmpeg.run(["-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{pw}x{ph}",
                "-r", f"{fps:g}", "-i", "-", "-c:v", "libx264", "-preset", "medium", "-crf", str(crf),
                "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path)], padded.tobytes())
    raw = ffmpeg.run(["-loglevel", "error", "-i", str(path), "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    decoded = np.frombuffer(raw, dtype=np.uint8).copy()
    if decoded.size != count * ph * pw * 3:
        raise ValueError(f"ffmpeg decoded {decoded.size} bytes, expected {count * ph * pw * 3}")
    decoded = decoded.reshape(count, ph, pw, 3)[:, :height, :width]
    value, structure = quality(np.ascontiguousarray(decoded), frames)
    return {"crf": crf, "bytes": path.stat().st_size, "psnr": value, "ssim": structure}


def h264_sweep(frames: np.ndarray, fps: float, crfs=CRFS) -> list[dict]:
    """One H.264 result per CRF, smallest CRF (largest file) first."""
    with tempfile.TemporaryDirectory(prefix="inr-h264-") as folder:
        return [h264(frames, fps, crf, Path(folder)) for crf in crfs]


def gif(frames: np.ndarray, fps: float) -> dict:
    """The clip as a GIF (Pillow's palette per frame); {"bytes", "psnr", "ssim"}."""
    with tempfile.TemporaryDirectory(prefix="inr-gif-") as folder:
        path = write_gif(Path(folder) / "clip.gif", frames, fps)
        decoded = iio.imread(path, index=None, mode="RGB")
        size = path.stat().st_size
    decoded = decoded.reshape(frames.shape) if decoded.ndim == 4 else decoded[None]
    value, structure = quality(np.ascontiguousarray(decoded[..., :3]), frames)
    return {"bytes": size, "psnr": value, "ssim": structure}
