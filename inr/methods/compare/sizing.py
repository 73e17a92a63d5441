"""Equal size: each configuration's sizing setting (``configs.SIZED_BY``) chosen so that its file
takes a target number of bytes.

A field's bytes are those of its weights and model config as a safetensors file (``weights_bytes``);
the studio's checkpoint download adds a few kilobytes of the fit's record (settings, figures, its
curve), which no size can be chosen for before the fit. While searching, models are built on the
meta device (shapes, no storage), so a candidate of a gigabyte costs nothing; the chosen one is then
built and measured, and the fitted model's bytes are measured again on its file. The codec's bytes
are its range-coded ``.inr``: it is fitted to the target's bits per pixel and steers its own rate
there.
"""

import math

import torch

from inr.core.field.model import Field
from inr.core.train import checkpoints
from inr.core.train.checkpoints import ClipInfo
from inr.methods.codec import workflow as codec
from inr.methods.codec.model import CodecConfig
from inr.methods.compare.configs import CODEC, SETTINGS, SIZED_BY, Config, model_config

TOLERANCE = 0.1  # a configuration lands within 10% of the target bytes, or sizing says it cannot
_SEARCH_STEPS = 40  # bisection steps over a float setting: far finer than the bytes can resolve
# The codec's rate stops growing near 1 bpp (its latents are one channel a grid): asked for 2 bpp,
# jelly's 8 frames at 96 px landed at 1.34 after 20 s; asked for 1, at 0.91. Sizing stays below.
CODEC_MAX_BPP = 1.0


def weights_bytes(model: Field, clips: list[ClipInfo]) -> int:
    """Bytes of the model's weights and config as a safetensors file (no fit record, no optimizer)."""
    return len(checkpoints.serialise(model, clips, {}))


def file_bytes(config: Config, shapes: list[tuple[int, int, int]], holdout: str) -> int:
    """The bytes of a configuration's file: a field's weights file, built for real; the codec's
    target (its bits per pixel over the clip)."""
    if config.arch == CODEC:
        return round(config.get("bpp") * math.prod(shapes[0]) / 8)
    return weights_bytes(Field(model_config(config, shapes, holdout)),
                         [ClipInfo("clip", *shape, fps=30.0) for shape in shapes])


def _tensor_bytes(config: Config, shapes: list[tuple[int, int, int]], holdout: str) -> int:
    """4 bytes per number of the configuration's tensors, counted on the meta device (no storage)."""
    with torch.device("meta"):
        state = Field(model_config(config, shapes, holdout)).state_dict()
    return 4 * sum(t.numel() for t in state.values())


def size_to(config: Config, target: int, shapes: list[tuple[int, int, int]], holdout: str) -> Config:
    """The configuration with its sizing setting chosen so its file takes `target` bytes.

    A field's candidates are counted on the meta device plus the header of its smallest candidate,
    built for real (the header changes by a few digits between candidates); the chosen one is built
    and measured. ValueError when no value comes within TOLERANCE of the target, naming the bytes
    the setting's range spans, or the nearest the real file comes.
    """
    key = SIZED_BY[config.arch]
    setting = SETTINGS[config.arch][key]
    whole = setting.read is int
    low, high = (max(setting.low, 1e-6), setting.high)
    if config.arch == CODEC:
        # Below twice its networks' and header's bytes nothing is left for the picture (codec.check_target).
        pixels = math.prod(shapes[0])
        low, high = 16 * codec.floor_bytes(CodecConfig(shape=tuple(shapes[0]))) / pixels, CODEC_MAX_BPP
        if low > high:
            raise ValueError(f"the clip is too small for the codec at equal size: its networks alone take "
                             f"{low / 2:.2f} bits a pixel")

        def size(value) -> int:
            return file_bytes(config.with_setting(key, value), shapes, holdout)
    else:
        least = config.with_setting(key, low)
        header = file_bytes(least, shapes, holdout) - _tensor_bytes(least, shapes, holdout)

        def size(value) -> int:
            return _tensor_bytes(config.with_setting(key, value), shapes, holdout) + header

    floor = low
    smallest, largest = size(low), size(high)
    if not smallest * (1 - TOLERANCE) <= target <= largest * (1 + TOLERANCE):
        span = f"{low:,}" + " to " + f"{high:,}" if whole else f"{low:.3g} to {high:.3g}"
        raise ValueError(f"{config.label} cannot be sized to {target:,} bytes: with {key} from {span} its file "
                         f"takes {smallest:,} to {largest:,} bytes")
    # The smallest value whose size reaches the target, then whichever of it and the one below is closer.
    for _ in range(_SEARCH_STEPS):
        if (whole and high - low <= 1) or (not whole and high - low <= 1e-4 * high):
            break
        middle = (low + high) // 2 if whole else (low + high) / 2
        low, high = (middle, high) if size(middle) < target else (low, middle)
    value = min((low, high), key=lambda v: abs(size(v) - target))
    if whole:
        value = int(value)
    else:  # the fewest digits (4 read well in a label) that keep its size, never below the range's floor
        value = next(v for v in (max(float(f"{value:.{d}g}"), floor) for d in range(4, 18)) if size(v) == size(value))
    chosen = config.with_setting(key, value)
    if config.arch != CODEC:
        found = file_bytes(chosen, shapes, holdout)
        if abs(found - target) > TOLERANCE * target:
            raise ValueError(f"{config.label} cannot be sized to {target:,} bytes: the nearest, {chosen.label}, "
                             f"takes {found:,} ({found / target - 1:+.0%})")
    return chosen
