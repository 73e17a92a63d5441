"""Reading clips: the only module that decodes video and images.

Whatever the input (a video through ffmpeg; a GIF or other image through Pillow, all its frames; a
folder of still frames; one still image), it becomes a ``Clip`` of uint8 RGB frames (T, H, W, 3).
Every change made on the way (frame cap, size cap, grey, alpha, bit depth) is one sentence in
``Clip.notes``. The decoder is chosen by content, not by name: Pillow is tried first, as it knows an
image by its header, then ffmpeg. Sizes in messages are width x height.
"""

import math
import re
import warnings
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from itertools import islice
from pathlib import Path

import imageio.v2 as iio2
import imageio.v3 as iio
import numpy as np
from PIL import Image

# What file pickers should offer; load_clip itself goes by content, not by name.
VIDEO_SUFFIXES = (".mp4", ".webm", ".mov", ".mkv", ".avi", ".m4v")
FRAME_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".webp", ".tif", ".tiff")
SUFFIXES = VIDEO_SUFFIXES + (".gif",) + FRAME_SUFFIXES

DEFAULT_FPS = 10.0  # inputs without timing (image, folder, GIF with no delay): the rate browsers give such GIFs
VIDEO_FPS = 30.0  # for a video whose rate ffmpeg cannot tell: the most common rate
# Frames larger than this are refused from their header, before any pixel is decoded: one such
# frame is 200 MB as RGB, and any clip is downscaled far below it anyway.
MAX_FRAME_PIXELS = 8192 * 8192
# Pillow decodes every frame of an animated image as the whole canvas its header claims: a GIF of
# tiny frames on a 176x65,000 canvas takes as long as one of that size (48 such frames: 7.5 s).
# The frames read times the canvas is refused above this (about 4 s of decoding on one core).
MAX_IMAGE_DECODE = 2**28


class ClipError(ValueError):
    """An input that cannot be read as a clip; its message is one line, "{path}: {reason}". `brief` is
    the reason in our words alone; `reason` adds the decoder's own line, when there is one, in brackets."""

    def __init__(self, path: str | Path, reason: str, detail: str | None = None):
        self.path = Path(path)
        self.brief = " ".join(str(reason).split())  # decoder messages span lines; ours never do
        self.reason = self.brief + (f" ({' '.join(str(detail).split())})" if detail else "")
        super().__init__(f"{self.path}: {self.reason}")


@dataclass(frozen=True)
class Clip:
    """Decoded frames, uint8 RGB (T, H, W, 3), with their rate and what was changed to get them."""

    frames: np.ndarray
    fps: float
    name: str  # the file or folder name without its suffix
    notes: tuple[str, ...] = ()

    def __post_init__(self):
        assert self.frames.dtype == np.uint8, self.frames.dtype
        assert self.frames.ndim == 4 and self.frames.shape[3] == 3, self.frames.shape

    @property
    def shape(self) -> tuple[int, int, int]:
        """(T, H, W)."""
        return tuple(self.frames.shape[:3])


def fit_size(height: int, width: int, max_size: int | None) -> tuple[int, int]:
    """(height, width) with the longest side at most `max_size`, aspect kept, each side >= 1 px."""
    longest = max(height, width)
    if max_size is None or longest <= max_size:
        return height, width
    return max(1, round(height * max_size / longest)), max(1, round(width * max_size / longest))


def to_uint8(image: np.ndarray) -> tuple[np.ndarray, str | None]:
    """`image` of any depth scaled to uint8 (black stays 0, full scale becomes 255), and a note."""
    if image.dtype == np.uint8:
        return image, None
    if image.dtype == np.bool_:
        return image.astype(np.uint8) * 255, "converted 1-bit to 8-bit"
    if np.issubdtype(image.dtype, np.floating):
        # Float pixels carry no range of their own: take the usual 0 to 1 and clip the rest.
        unit = np.clip(np.nan_to_num(image.astype(np.float64)), 0.0, 1.0)
        return np.rint(unit * 255).astype(np.uint8), "converted floating-point (0 to 1) to 8-bit"
    if not np.issubdtype(image.dtype, np.integer):
        raise ValueError(f"pixels of type {image.dtype} are not supported")
    top = int(np.iinfo(image.dtype).max)
    if top > 65535 and image.max() <= 65535:
        top = 65535  # Pillow hands over 16-bit images as int32 ("I" mode)
    scaled = np.clip(image, 0, top).astype(np.float64) * (255 / top)
    return np.rint(scaled).astype(np.uint8), f"converted {8 * math.ceil(top.bit_length() / 8)}-bit to 8-bit"


def to_rgb(image: np.ndarray) -> tuple[np.ndarray, tuple[str, ...]]:
    """uint8 grey, grey+alpha, RGB or RGBA, (H, W) or (H, W, 1-4), as RGB (H, W, 3), and notes."""
    notes = []
    image = image[..., None] if image.ndim == 2 else image
    if image.ndim != 3 or image.shape[2] not in (1, 2, 3, 4):
        raise ValueError(f"images of shape {image.shape} are not supported (expected grey, RGB or RGBA)")
    if image.shape[2] in (2, 4):
        colour, alpha = image[..., :-1].astype(np.uint16), image[..., -1:].astype(np.uint16)
        image = ((colour * alpha + 255 * (255 - alpha) + 127) // 255).astype(np.uint8)
        notes.append("dropped the alpha channel (composited over white)")
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
        notes.append("converted grey to RGB")
    return image, tuple(notes)


def resize(frame: np.ndarray, height: int, width: int) -> np.ndarray:
    """uint8 (H, W, 3) -> (height, width, 3) by area averaging, which does not alias when shrinking."""
    if frame.shape[:2] == (height, width):
        return frame
    return np.asarray(Image.fromarray(frame).resize((width, height), Image.BOX))


def _natural_key(path: Path) -> list:
    """Sort key putting frame2 before frame10."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def _last_line(error: Exception) -> str:
    """The telling line of a decoder error: ffmpeg puts its verdict last, under pages of banner."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return lines[-1] if lines else type(error).__name__


def _check_frame_size(path: Path, width: int, height: int, label: str = "") -> None:
    if width * height > MAX_FRAME_PIXELS:
        raise ClipError(path, f"{label}frames of {width}x{height} are larger than the limit of "
                              f"{MAX_FRAME_PIXELS:,} pixels a frame (8192x8192)")


def _ffmpeg_reason(error: Exception) -> tuple[str, str | None]:
    """Why ffmpeg could not open a file, in words (its banner lists the streams it found), and its own
    line where ours is only a guess."""
    text = str(error)
    streams = re.findall(r"Stream #\S+: (\w+): (.*)", text)
    if streams and not any(kind == "Video" for kind, _ in streams):
        kinds = sorted({kind.lower() for kind, _ in streams})
        return f"has no video stream (only {' and '.join(kinds)})", None
    unknown = re.search(r"Video: none \((\S+) /", text)
    if unknown or "no decoder found" in text:
        tag = f" ({unknown.group(1)})" if unknown else ""
        return f"its video codec{tag} is not one this ffmpeg can decode", None
    return "not a video or image file", f"could not decode: {_last_line(error)}"


def _folder_frames(folder: Path, files: list[Path]) -> Iterator[tuple[str, np.ndarray]]:
    for file in files:
        try:
            with Image.open(file) as header:  # the size, before decoding any pixels
                _check_frame_size(folder, *header.size, label=f"{file.name}: ")
            yield file.name, iio.imread(file, plugin="pillow", index=0, rotate=True)
        except ClipError:
            raise
        except Exception as error:  # Pillow fails in its own way on each damaged format
            raise ClipError(folder, f"{file.name} is not a readable image", _last_line(error)) from error


@contextmanager
def _open(path: Path, max_frames: int | None):
    """(frames labelled for messages, fps, frame count in words or None, notes) of a file or folder,
    of which at most `max_frames` will be read."""
    if path.is_dir():
        files = sorted((p for p in path.iterdir() if p.suffix.lower() in FRAME_SUFFIXES), key=_natural_key)
        yield _folder_frames(path, files), DEFAULT_FPS, str(len(files)), ()
        return
    try:
        with warnings.catch_warnings():  # our own size limit below speaks instead of Pillow's warning
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as header:  # reads the header only: size and format
                size, kind = header.size, header.format
            image = iio.imopen(path, "r", plugin="pillow")
    except Image.DecompressionBombError as error:  # beyond twice Pillow's own limit: never decoded
        raise ClipError(path, f"is larger than the limit of {MAX_FRAME_PIXELS:,} pixels a frame",
                        _last_line(error)) from error
    except OSError:  # not an image Pillow knows: try it as a video below
        image = None
    if image is not None:
        with image:
            notes = []
            _check_frame_size(path, *size)
            if kind and path.suffix and path.suffix.lower().lstrip(".") not in _names(kind):
                notes.append(f"read as a {kind} image (by its content; the name ends in {path.suffix})")
            delay_ms = image.metadata(index=0).get("duration") or 0  # per frame, in animated images
            fps = 1000 / delay_ms if delay_ms > 0 else DEFAULT_FPS
            count = str(image.properties(index=...).n_images)
            read = int(count) if max_frames is None else min(int(count), max_frames)
            if read * size[0] * size[1] > MAX_IMAGE_DECODE:
                raise ClipError(path, f"has {count} frames on a canvas of {size[0]}x{size[1]}: reading {read} means "
                                      f"decoding {read * size[0] * size[1]:,} pixels, more than the limit of "
                                      f"{MAX_IMAGE_DECODE:,} (keep fewer frames: --max-frames)")
            if delay_ms <= 0 and int(count) > 1:
                notes.append(f"the file gives no frame delay: played at {DEFAULT_FPS:g} fps")
            yield ((f"frame {i}", f) for i, f in enumerate(image.iter(rotate=True))), fps, count, tuple(notes)
        return
    try:
        # One ffmpeg process both probes and decodes; closing the reader stops it mid-file.
        video = iio2.get_reader(path, format="FFMPEG")
    except Exception as error:  # ffmpeg's failures reach us as assorted exception types
        raise ClipError(path, *_ffmpeg_reason(error)) from error
    with closing(video):  # not `with video`: imageio's readers stay open when the block raises
        meta = video.get_meta_data()
        if meta.get("size"):
            _check_frame_size(path, *meta["size"])
        fps = float(meta.get("fps") or VIDEO_FPS)
        notes = () if math.isfinite(fps) and fps > 0 else (f"the file gives no frame rate: played at {VIDEO_FPS:g} fps",)
        fps = fps if math.isfinite(fps) and fps > 0 else VIDEO_FPS
        estimate = float(meta.get("duration") or 0) * fps  # ffmpeg knows the count only by decoding
        count = f"about {round(estimate)}" if math.isfinite(estimate) and estimate >= 1 else None
        yield ((f"frame {i}", f) for i, f in enumerate(video)), fps, count, notes


def _names(format_name: str) -> set[str]:
    """The suffixes a Pillow format goes by (PNG -> png; JPEG -> jpg, jpeg, ...)."""
    return {ext.lstrip(".") for ext, fmt in Image.registered_extensions().items() if fmt == format_name}


def _collect(path: Path, frames: Iterator[tuple[str, np.ndarray]], count: str | None,
             max_frames: int | None, max_size: int | None) -> tuple[np.ndarray, tuple[str, ...]]:
    """Decoded frames as uint8 RGB (T, H, W, 3), capped in number and size, and what was changed."""
    kept, notes, first, size = [], {}, None, None  # notes: a dict keeps each once, in order
    for label, raw in islice(frames, None if max_frames is None else max_frames + 1):
        if len(kept) == max_frames:  # the extra frame read only to learn that there was one
            notes[f"kept the first {max_frames} of {count or 'more'} frames (--max-frames {max_frames})"] = None
            break
        try:
            frame, depth_note = to_uint8(np.asarray(raw))
            frame, channel_notes = to_rgb(frame)
        except ValueError as error:
            raise ClipError(path, f"{label}: {error}") from error
        notes.update(dict.fromkeys(((depth_note,) if depth_note else ()) + channel_notes))
        if first is None:
            first, size = (label, frame.shape), fit_size(*frame.shape[:2], max_size)
        elif frame.shape != first[1]:
            (h0, w0), (h, w) = first[1][:2], frame.shape[:2]
            raise ClipError(path, f"has frames of different sizes: {first[0]} is {w0}x{h0}, {label} is {w}x{h}")
        kept.append(resize(frame, *size))
    if not kept:
        raise ClipError(path, "contains no frames")
    (height, width), (new_h, new_w) = first[1][:2], size
    if size != (height, width):
        notes[f"downscaled {width}x{height} -> {new_w}x{new_h} by area averaging (--max-size {max_size})"] = None
    return np.stack(kept), tuple(notes)  # (T, H, W, 3)


def _check_cap(name: str, value) -> None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int) or value < 1):
        raise ValueError(f"{name} must be a whole number >= 1 or None, got {value!r}")


def load_clip(path: str | Path, max_frames: int | None = None, max_size: int | None = None) -> Clip:
    """The clip in a video, GIF, image folder or image: its first `max_frames` frames, the longest
    side shrunk to `max_size` px. Anything that cannot be read raises ClipError naming `path`."""
    _check_cap("max_frames", max_frames)
    _check_cap("max_size", max_size)
    path = Path(path)
    if not path.exists():
        raise ClipError(path, "no such file or folder")
    if path.is_file() and path.stat().st_size == 0:
        raise ClipError(path, "file is empty")
    try:
        with _open(path, max_frames) as (frames, fps, count, open_notes):
            frames, notes = _collect(path, frames, count, max_frames, max_size)
            notes = open_notes + notes
    except ClipError:
        raise
    except Exception as error:  # decoders fail in their own ways on damaged data
        raise ClipError(path, "could not decode", _last_line(error)) from error
    return Clip(frames, fps, path.stem if path.is_file() else path.resolve().name, notes)
