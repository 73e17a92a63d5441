"""Writing clips: GIF and browser-playable MP4, streamed frame by frame and written atomically.

Frames are uint8 RGB: a whole clip (T, H, W, 3) or any iterable of (H, W, 3) frames, so a long
render can be encoded as it is produced. A file appears at its name only once complete; a failed
write leaves whatever was there before.
"""

import math
import numbers
from collections.abc import Iterable, Iterator
from contextlib import closing
from pathlib import Path

import imageio.v2 as iio2
import numpy as np
from PIL import Image

from inr.core.media.files import atomic_path

MP4_QUALITY = 8  # imageio's 0-10 scale; for libx264 it becomes CRF 10, visually lossless
GIF_MIN_DELAY_MS = 20  # browsers play shorter GIF delays at 100 ms, far slower than asked
GIF_MAX_DELAY_MS = 655_350  # GIF stores the delay as 16 bits of 10 ms
# Pillow keeps every GIF frame in memory until the file is closed (3 bytes a pixel): a GIF of more
# pixels than this (e.g. 1,000 frames of 256x256) is refused; MP4 streams and has no such cap.
MAX_GIF_PIXELS = 2**26


def check_export_size(path: str | Path, shape: tuple[int, int, int]) -> None:
    """ValueError, naming the limit, if a (T, H, W) clip is too large for the format of `path`."""
    frames, height, width = shape
    if Path(path).suffix.lower() == ".gif" and frames * height * width > MAX_GIF_PIXELS:
        raise ValueError(f"a GIF of {frames} frames of {width}x{height} exceeds the GIF limit of "
                         f"{MAX_GIF_PIXELS:,} pixels (GIF frames are held in memory): write an .mp4 instead")


def gif_delay_ms(fps: float, frame: int = 0) -> int:
    """The delay of GIF frame `frame` at `fps`, in the 10 ms steps GIF stores: each frame ends at the
    whole 10 ms nearest its true end, so delays alternate (40 fps: 30, 20, 30, ...) and average
    1000 / fps ms over the clip (never under GIF_MIN_DELAY_MS)."""
    def end(i: int) -> int:  # in hundredths of a second; rounded here, for Pillow would truncate
        return math.floor(i * 100 / fps + 0.5)
    return min(GIF_MAX_DELAY_MS, max(GIF_MIN_DELAY_MS, 10 * (end(frame + 1) - end(frame))))


def pad_to_even(frame: np.ndarray) -> np.ndarray:
    """(H, W, 3) -> (H + H % 2, W + W % 2, 3), repeating the last row/column: yuv420p needs even sides."""
    height, width = frame.shape[:2]
    return np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")


def _check_fps(fps: float) -> float:
    if isinstance(fps, bool) or not isinstance(fps, numbers.Real) or not (math.isfinite(fps) and fps > 0):
        raise ValueError(f"fps must be a finite number > 0, got {fps!r}")
    return float(fps)


def _checked(frames) -> Iterator[np.ndarray]:
    """`frames` as an iterator of checked frames; the container is checked now, each frame as it comes."""
    if isinstance(frames, np.ndarray) and (frames.ndim != 4 or frames.shape[3] != 3 or frames.dtype != np.uint8):
        raise ValueError(f"frames must be a uint8 array (T, H, W, 3), got {frames.dtype} {frames.shape}")
    if not isinstance(frames, Iterable):
        raise ValueError(f"frames must be a uint8 array or an iterable of frames, got {type(frames).__name__}")
    return _each_checked(frames)


def _each_checked(frames: Iterable) -> Iterator[np.ndarray]:
    """Each frame, checked to be uint8 (H, W, 3) and of one size; ValueError if there are none."""
    size = None
    for i, frame in enumerate(frames):
        if not isinstance(frame, np.ndarray) or frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            got = f"{frame.dtype} {frame.shape}" if isinstance(frame, np.ndarray) else type(frame).__name__
            raise ValueError(f"frame {i} must be a uint8 array (H, W, 3), got {got}")
        if size is None:
            size = frame.shape
        elif frame.shape != size:
            raise ValueError(f"frame {i} is {frame.shape[1]}x{frame.shape[0]}, but frame 0 is {size[1]}x{size[0]}")
        yield frame
    if size is None:
        raise ValueError("frames must hold at least one frame, got none")


def write_gif(path: str | Path, frames, fps: float) -> Path:
    """Write uint8 RGB `frames` as a GIF that loops forever at `fps` (see gif_delay_ms); returns `path`."""
    path, fps = Path(path), _check_fps(fps)
    if isinstance(frames, np.ndarray) and frames.ndim == 4:
        check_export_size(path, frames.shape[:3])
    with atomic_path(path, ".gif") as tmp:
        images = []
        # Not a stream: Pillow saves a GIF's frames in one call, with a delay each (imageio's writer
        # keeps one delay for all). GIF suits short clips; long renders go to MP4.
        for count, frame in enumerate(_checked(frames), start=1):
            check_export_size(path, (count, *frame.shape[:2]))  # an iterator's length is known only at its end
            images.append(Image.fromarray(frame))
        images[0].save(tmp, format="GIF", save_all=True, append_images=images[1:], loop=0,
                       duration=[gif_delay_ms(fps, i) for i in range(len(images))])
    return path


def write_mp4(path: str | Path, frames, fps: float) -> Path:
    """Write uint8 RGB `frames` as H.264 MP4 (yuv420p, plays in browsers), streaming; returns `path`.

    Odd sides are padded by one repeated row/column, never resized."""
    path, fps = Path(path), _check_fps(fps)
    frames = _checked(frames)
    with atomic_path(path, ".mp4") as tmp:
        # macro_block_size=1: imageio would otherwise resize to multiples of 16 and blur every frame.
        writer = iio2.get_writer(tmp, format="FFMPEG", mode="I", fps=fps, codec="libx264", pixelformat="yuv420p",
                                 quality=MP4_QUALITY, macro_block_size=1)
        with closing(writer):  # not `with writer`: imageio leaves ffmpeg running when the block raises
            for frame in frames:
                writer.append_data(pad_to_even(frame))
    return path


WRITERS = {".gif": write_gif, ".mp4": write_mp4}


def write_clip(path: str | Path, frames, fps: float) -> Path:
    """Write `frames` as the format its suffix names (.gif or .mp4); returns `path`."""
    path = Path(path)
    writer = WRITERS.get(path.suffix.lower())
    if writer is None:
        raise ValueError(f"output must end in {' or '.join(WRITERS)}, got {path.name!r}")
    return writer(path, frames, fps)


def write_frames(folder: str | Path, frames) -> Path:
    """Write uint8 RGB `frames` as lossless PNGs frame_00000.png ... into `folder` (made if missing).

    Every frame is written beside under a temporary name and renamed once all are done, so a
    failure leaves no partial clip under the real names."""
    folder = Path(folder)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"{folder} is a file; frames go into a folder")
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    try:
        for index, frame in enumerate(_checked(frames)):
            tmp = folder / f".frame_{index:05d}.png.tmp"
            Image.fromarray(frame).save(tmp, format="PNG")
            written.append(tmp)
    except BaseException:
        for tmp in written:
            tmp.unlink(missing_ok=True)
        raise
    for tmp in written:
        tmp.replace(folder / tmp.name[1:-4])
    return folder
