"""The ffmpeg binary, in one place: where it is, which filters and encoders it has, and running it on frames.

The binary is the one imageio-ffmpeg ships (or the one its ``IMAGEIO_FFMPEG_EXE`` names). Frames
go in and come back as raw rgb24 through pipes: no temporary files, no codec between us and the
filter, so what is scored is exactly what the filter made. Every failure is a ``ValueError`` that
says what went wrong, like any other bad input.
"""

import functools
import re
import subprocess

import numpy as np

TIMEOUT = 120  # seconds per ffmpeg run on a capped clip; a hung filter must not hang the caller


def binary() -> str:
    """Path of the ffmpeg executable."""
    import imageio_ffmpeg

    try:
        return imageio_ffmpeg.get_ffmpeg_exe()
    except RuntimeError as err:  # no bundled binary for this platform and none on the PATH
        raise ValueError(f"no ffmpeg found: {err}") from err


def run(args: list[str], data: bytes | None = None) -> bytes:
    """Run ffmpeg with these arguments (without the binary) and `data` on stdin; its stdout."""
    try:
        done = subprocess.run([binary(), *args], input=data, capture_output=True, timeout=TIMEOUT, check=False)
    except subprocess.TimeoutExpired as err:
        raise ValueError(f"ffmpeg took longer than {TIMEOUT} s") from err
    except OSError as err:
        raise ValueError(f"could not run ffmpeg: {err}") from err
    if done.returncode != 0:
        tail = done.stderr.decode(errors="replace").strip().splitlines()[-1:] or ["no message"]
        raise ValueError(f"ffmpeg failed: {tail[0]}")
    return done.stdout


@functools.lru_cache(maxsize=1)
def filters() -> frozenset[str]:
    """Names of the video filters this ffmpeg has (asked once: the binary does not change)."""
    listing = run(["-hide_banner", "-filters"]).decode(errors="replace")
    # Lines look like " TSC minterpolate  V->V  Frame rate conversion ...": flags, name, pads.
    return frozenset(m.group(1) for m in re.finditer(r"^\s*[A-Z.|]{2,3}\s+(\w+)\s+\S+->\S+", listing, re.M))


def require_filter(name: str) -> None:
    """Raise a ValueError naming the filter when this ffmpeg lacks it."""
    if name not in filters():
        raise ValueError(f"the ffmpeg that imageio-ffmpeg ships ({binary()}) has no {name} filter: set "
                         f"IMAGEIO_FFMPEG_EXE to an ffmpeg build that has it")


@functools.lru_cache(maxsize=1)
def encoders() -> frozenset[str]:
    """Names of the video encoders this ffmpeg has (asked once)."""
    listing = run(["-hide_banner", "-encoders"]).decode(errors="replace")
    # Lines look like " V....D libx264   libx264 H.264 / AVC ...": flags starting with V, name.
    return frozenset(m.group(1) for m in re.finditer(r"^\s*V[A-Z.]{5}\s+(\w\S*)", listing, re.M))


def require_encoder(name: str) -> None:
    """Raise a ValueError naming the encoder when this ffmpeg lacks it."""
    if name not in encoders():
        raise ValueError(f"the ffmpeg that imageio-ffmpeg ships ({binary()}) has no {name} encoder: set "
                         f"IMAGEIO_FFMPEG_EXE to an ffmpeg build that has it")


def filter_frames(frames: np.ndarray, vf: str, size: tuple[int, int] | None = None, rate: str = "1") -> np.ndarray:
    """Run uint8 frames (T, H, W, 3) through the filter graph `vf`; uint8 (T', H', W', 3).

    `size` is the (height, width) the graph outputs (default: the input's); `rate` the input frame
    rate, which matters only to filters that change it. T' is whatever ffmpeg made: a filter that
    changes the frame rate decides its own count, and aligning it is the caller's business.
    """
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[-1] != 3 or len(frames) == 0:
        raise ValueError(f"filter_frames needs uint8 frames (T, H, W, 3), got {frames.dtype} {frames.shape}")
    for name in re.findall(r"(?:^|,)\s*(\w+)", vf):  # each filter of a plain chain "a=...,b=..."
        require_filter(name)
    height, width = frames.shape[1:3]
    out_h, out_w = size or (height, width)
    raw = run(["-loglevel", "error", "-f", "rawvideo", "-pix_fmt", "rgb24", "-s", f"{width}x{height}", "-r", rate,
               "-i", "-", "-vf", vf, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
              np.ascontiguousarray(frames).tobytes())
    frame_bytes = out_h * out_w * 3
    if len(raw) == 0 or len(raw) % frame_bytes:
        raise ValueError(f"ffmpeg's {vf.split('=')[0]} returned {len(raw)} bytes, not whole {out_w}x{out_h} frames")
    return np.frombuffer(raw, dtype=np.uint8).reshape(-1, out_h, out_w, 3).copy()
