"""The classical codecs a neural codec is measured against: x264, x265 and AV1 (CRF swept), and GIF.

Every codec runs in the ffmpeg that ships inside imageio-ffmpeg (``inr.core.media.ffmpeg``), fed and read
back as raw rgb24 through pipes, so what is scored is exactly what a player would show. Each point is
the bytes of the whole file (container included: that is what a neural codec's file competes with),
the bytes of its bare elementary stream beside them, and PSNR (RGB, every pixel) and SSIM of the
decoded frames against the clip. The curve maths (quality at a size, BD-rate) is in
``inr.core.evaluate.rate_distortion``.
"""

import math
import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch

from inr.core.evaluate.metrics import psnr, ssim
from inr.core.media import ffmpeg
from inr.core.media.export import write_gif


@dataclass(frozen=True)
class Codec:
    """One encoder setting as ffmpeg runs it, and the CRFs worth sweeping with it."""

    name: str
    encoder: str  # ffmpeg's encoder
    preset: str
    pix_fmt: str  # what it codes; 4:4:4 keeps the chroma that RGB PSNR scores, 4:2:0 is what players play
    crf_range: tuple[int, int]  # (best, worst) the encoder accepts
    crfs: tuple[int, ...]  # the default sweep: about 0.03 to 2 bpp on 160 px clips, best quality first
    container: str  # file suffix; ffmpeg picks the muxer from it
    params: tuple[str, ...] = ()  # further ffmpeg arguments

    def args(self, crf: int) -> list[str]:
        """ffmpeg's output arguments for this CRF."""
        return ["-c:v", self.encoder, "-preset", self.preset, "-crf", str(crf), "-pix_fmt", self.pix_fmt,
                *self.params]


# Every encoder runs on one thread: x264 and x265 split work by the machine's core count, so their
# bytes would change from one machine to the next; one thread makes them identical everywhere and
# the encode seconds comparable across codecs.
# x264 and x265 write their version and every option as text into the stream (x264 ~0.7 KB, x265
# ~2.3 KB per file): a third of a 7 KB file, and nothing a decoder reads. x265 has a switch for it
# (info=0); x264's goes with ffmpeg's filter_units, which drops SEI units (type 6), and only that
# one is there. Decoded frames are identical with and without.
_X264 = ("-threads", "1", "-bsf:v", "filter_units=remove_types=6")
# On the four shared clips at 160 px, CRF 1 makes 1.5-4 bpp and the worst CRF 0.02-0.035; a step of 3
# (x264/x265) or 4 (SVT-AV1) is a factor of about 1.3 in bytes, fine enough to read a rate off linearly.
X26_CRFS = (1, *range(3, 52, 3))
CODECS = {c.name: c for c in (
    Codec("x264", "libx264", "medium", "yuv444p", (0, 51), X26_CRFS, "mp4", _X264),
    Codec("x264-420", "libx264", "medium", "yuv420p", (0, 51), X26_CRFS, "mp4", _X264),
    Codec("x265", "libx265", "medium", "yuv444p", (0, 51), X26_CRFS, "mp4",
          ("-x265-params", "log-level=error:info=0:pools=1:frame-threads=1")),
    # SVT-AV1 codes 4:2:0 only. Its CRF 0 is not lossless but "unset" (its default, 35), so the range
    # starts at 1. Preset 4: 100 frames of 160x90 in 0.25-0.45 s on one core here; measured against
    # preset 8 (BD-rate on PSNR, the four shared clips) preset 4 saves 8-17 % of the bytes, preset 2
    # another 5-9 % for 3x the time, preset 10 costs 16-24 %. WebM: of the AV1 containers ffmpeg
    # writes, the one with the least overhead (per 100 frames about 0.15 KB below MP4, 0.25 KB below IVF).
    Codec("av1", "libsvtav1", "4", "yuv420p", (1, 63), (1, *range(3, 64, 4)), "webm",
          ("-svtav1-params", "lp=1")),
)}


# How the codecs are named to a person (the studio's chart and table, the CLI's lines).
CODEC_LABELS = {"x264": "x264 4:4:4", "x264-420": "x264 4:2:0", "x265": "x265 4:4:4", "av1": "AV1 (SVT) 4:2:0"}


def codec_named(name: str | Codec) -> Codec:
    """The codec of this name in ``CODECS`` (a ``Codec`` passes through)."""
    if isinstance(name, Codec):
        return name
    if name not in CODECS:
        raise ValueError(f"codec must be one of {sorted(CODECS)}, got {name!r}")
    return CODECS[name]


def quality(decoded: np.ndarray, frames: np.ndarray) -> tuple[float, float]:
    """(PSNR dB, SSIM) of decoded uint8 frames against the clip's, over every pixel."""
    a = torch.from_numpy(np.ascontiguousarray(decoded)).float() / 255  # a cropped decode is a strided view
    b = torch.from_numpy(np.ascontiguousarray(frames)).float() / 255
    return psnr(a, b), ssim(a, b)


def decode(path: Path, count: int, height: int, width: int) -> np.ndarray:
    """A video file's frames as uint8 (count, height, width, 3); a different frame count is an error."""
    # passthrough: never duplicate or drop a frame to fit a rate (WebM keeps time in whole ms)
    raw = ffmpeg.run(["-loglevel", "error", "-i", str(path), "-fps_mode", "passthrough",
                      "-f", "rawvideo", "-pix_fmt", "rgb24", "-"])
    if len(raw) != count * height * width * 3:
        raise ValueError(f"ffmpeg decoded {len(raw)} bytes from {path.name}, expected {count} frames of "
                         f"{width}x{height} ({count * height * width * 3} bytes)")
    return np.frombuffer(raw, dtype=np.uint8).reshape(count, height, width, 3).copy()  # writable, for torch


def stream_bytes(path: Path) -> int:
    """Bytes of the coded video alone: every packet and the decoder's setup (parameter sets, AV1's
    sequence header), without the container around them.

    Read from the demuxer's packet list, not by rewriting the stream as Annex B: ffmpeg's
    hevc_mp4toannexb drops the parameter sets of some x265 files, which would count too few bytes.
    """
    listing = ffmpeg.run(["-loglevel", "error", "-i", str(path), "-map", "0:v:0", "-c", "copy", "-f", "framecrc",
                          "-"]).decode()
    # "#extradata 0:     2441, 0x10c2443f" then one "stream, dts, pts, duration, size, crc" per packet
    setup = sum(int(n) for n in re.findall(r"^#extradata \d+:\s*(\d+),", listing, re.M))
    return setup + sum(int(line.split(",")[4]) for line in listing.splitlines() if line and line[0] != "#")


def pad_for(spec: Codec, frames: np.ndarray) -> np.ndarray:
    """Frames padded (edge repeated, cropped after decoding) to sides the encoder takes.

    4:2:0 halves the chroma both ways, so it needs even sides. libx265 also crashes ffmpeg ("free():
    invalid next size") below 32 rows or columns, or on odd sides, even in 4:4:4.
    """
    height, width = frames.shape[1:3]
    least = 32 if spec.encoder == "libx265" else 1
    even = spec.pix_fmt == "yuv420p" or spec.encoder == "libx265"
    th, tw = (max(least, n + (n % 2 if even else 0)) for n in (height, width))
    if (th, tw) == (height, width):
        return frames
    return np.pad(frames, ((0, 0), (0, th - height), (0, tw - width), (0, 0)), mode="edge")


def encode(frames: np.ndarray, fps: float, codec: str | Codec, crf: int, folder: Path) -> dict:
    """Encode uint8 frames (T, H, W, 3) with `codec` at `crf` into `folder`, decode and score them.

    Returns {"codec", "crf", "bytes", "stream_bytes", "bpp", "psnr", "ssim", "seconds"}: bpp counts
    the whole file over T*H*W pixels; seconds is the encode alone.
    """
    spec = codec_named(codec)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise ValueError(f"encode needs uint8 frames (T, H, W, 3), got {frames.dtype} {frames.shape}")
    lo, hi = spec.crf_range
    if not lo <= crf <= hi:
        raise ValueError(f"crf for {spec.name} must be in {lo}..{hi}, got {crf}")
    return _encode(frames, fps, spec, crf, Path(folder))[0]


def _encode(frames: np.ndarray, fps: float, spec: Codec, crf: int, folder: Path) -> tuple[dict, np.ndarray]:
    """``encode``'s row, and the decoded frames uint8 (T, H, W, 3) it scored."""
    ffmpeg.require_encoder(spec.encoder)
    count, height, width = frames.shape[:3]
    padded = pad_for(spec, frames)
    ph, pw = padded.shape[1:3]
    path = folder / f"{spec.name}_crf{crf}.{spec.container}"
    start = time.perf_counter()
    ffmpeg.run(["-y", "-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{pw}x{ph}",
                "-r", f"{fps:g}", "-i", "-", *spec.args(crf), "-fflags", "+bitexact", str(path)],
               np.ascontiguousarray(padded).tobytes())  # bitexact: no ffmpeg version string, 40-60 bytes less
    seconds = time.perf_counter() - start
    decoded = decode(path, count, ph, pw)[:, :height, :width]
    value, structure = quality(decoded, frames)
    size = path.stat().st_size
    return {"codec": spec.name, "crf": crf, "bytes": size, "stream_bytes": stream_bytes(path),
            "bpp": 8 * size / (count * height * width), "psnr": value, "ssim": structure,
            "seconds": seconds}, decoded


def decoded_at_size(frames: np.ndarray, fps: float, codec: str | Codec, size: int) -> tuple[np.ndarray, dict]:
    """What `codec` decodes to at the CRF whose file is closest to `size` bytes (on log bytes, as
    ``rate_distortion.at_size`` reads its nearest CRF): uint8 (T, H, W, 3) frames and that ``encode`` row.

    For pictures beside another codec's at equal size. The CRF is found by bisection (files shrink as
    the CRF rises): about log2 of the CRF range encodes, not a sweep. Outside what the range can make,
    the range's end.
    """
    spec = codec_named(codec)
    if not (isinstance(size, (int, np.integer)) and size > 0):
        raise ValueError(f"size must be a whole number of bytes > 0, got {size!r}")
    lo, hi = spec.crf_range
    tried = {}
    with tempfile.TemporaryDirectory(prefix=f"inr-{spec.name}-") as folder:
        def at(crf: int) -> tuple[dict, np.ndarray]:
            if crf not in tried:
                tried[crf] = _encode(frames, fps, spec, crf, Path(folder))
            return tried[crf]

        first, last = lo, hi  # the lowest CRF whose file is no larger than size lies in [first, last]
        while first < last:
            middle = (first + last) // 2
            if at(middle)[0]["bytes"] <= size:
                last = middle
            else:
                first = middle + 1
        row, decoded = min((at(c) for c in sorted({max(lo, first - 1), first})),
                           key=lambda found: abs(math.log(found[0]["bytes"] / size)))
    return decoded, row


def sweep(frames: np.ndarray, fps: float, codec: str | Codec, crfs=None) -> list[dict]:
    """One ``encode`` result per CRF (default: the codec's own list), in the order given."""
    spec = codec_named(codec)
    with tempfile.TemporaryDirectory(prefix=f"inr-{spec.name}-") as folder:
        return [encode(frames, fps, spec, crf, Path(folder)) for crf in (spec.crfs if crfs is None else crfs)]


def sweep_to(frames: np.ndarray, fps: float, codec: str | Codec, bpps, crfs=None, step: int = 3) -> list[dict]:
    """``sweep``, extended `step` CRFs at a time past either end until it brackets every target bpp.

    So ``at_bpp`` interpolates at each target instead of reading off the nearest end. Where the codec's
    whole CRF range cannot reach a target (even its worst CRF is above it: files have a floor), the
    curve stops at the range's end. Returns the points by rising CRF.
    """
    spec = codec_named(codec)
    if not len(bpps) or min(bpps) <= 0:
        raise ValueError(f"bpps must be one or more rates > 0, got {bpps!r}")
    lo, hi = spec.crf_range
    with tempfile.TemporaryDirectory(prefix=f"inr-{spec.name}-") as folder:
        points = [encode(frames, fps, spec, c, Path(folder)) for c in (spec.crfs if crfs is None else crfs)]
        while True:
            points.sort(key=lambda r: r["crf"])
            best, worst = points[0], points[-1]
            if min(bpps) < worst["bpp"] and worst["crf"] < hi:  # smaller files wanted: raise the CRF
                crf = min(hi, worst["crf"] + step)
            elif max(bpps) > best["bpp"] and best["crf"] > lo:  # larger files wanted: lower it
                crf = max(lo, best["crf"] - step)
            else:
                return points
            points.append(encode(frames, fps, spec, crf, Path(folder)))


def gif(frames: np.ndarray, fps: float) -> dict:
    """The clip as a GIF (Pillow's palette per frame); {"codec", "bytes", "bpp", "psnr", "ssim", "seconds"}."""
    with tempfile.TemporaryDirectory(prefix="inr-gif-") as folder:
        start = time.perf_counter()
        path = write_gif(Path(folder) / "clip.gif", frames, fps)
        seconds = time.perf_counter() - start
        decoded = iio.imread(path, index=None, mode="RGB")
        size = path.stat().st_size
    decoded = decoded.reshape(frames.shape) if decoded.ndim == 4 else decoded[None]
    value, structure = quality(decoded[..., :3], frames)
    return {"codec": "gif", "bytes": size, "bpp": 8 * size / int(np.prod(frames.shape[:3])), "psnr": value,
            "ssim": structure, "seconds": seconds}
