"""Chunked rendering: any output size in bounded memory, one frame at a time."""

from collections.abc import Iterator

import numpy as np
import torch

from inr.core.field.coords import frame_times, pixel_centres
from inr.core.field.model import Field
from inr.core.media.images import to_uint8

# Points per forward pass. CPU: ~100 MB of activations for the largest presets. GPU: whole
# previews in one call (a 256x256x32 preview is 2M points), ~2 GB a layer for a 256-wide MLP.
CHUNK = {"cpu": 2**17, "cuda": 2**21}


@torch.no_grad()
def render_frames(model: Field, shape: tuple[int, int, int], clip: int = 0,
                  mix_with: int | None = None, mix: float = 0.0,
                  chunk: int | None = None) -> Iterator[torch.Tensor]:
    """Yield the T frames of a render of size shape = (T, H, W): each (H, W, 3) float in [0, 1], CPU.

    The model is sampled at the package's coordinate convention (see ``coords``), so any size
    samples the same continuous function. Small frames go several to a forward pass; large ones
    in bands of rows, so memory stays bounded whatever the size.
    """
    frames, height, width = shape
    if min(shape) < 1:
        raise ValueError(f"render size must be at least 1x1x1, got T, H, W = {shape}")
    device = model.latents.device
    chunk = chunk or CHUNK["cuda" if device.type == "cuda" else "cpu"]
    code = model.code(clip, mix_with, mix)
    was_training = model.training
    model.eval()
    try:
        x = pixel_centres(width, device)
        y = pixel_centres(height, device)
        times = frame_times(frames, device)
        if height * width * 2 <= chunk:  # several whole frames a pass: one call and one copy each
            for group in times.split(chunk // (height * width)):
                yield from model.lattice(group, y, x, code).clamp(0, 1).float().cpu()
            return
        rows = max(1, chunk // width)  # bands of rows bound the memory of any frame size
        for time in times:
            bands = [model.lattice(time[None], band, x, code)[0] for band in y.split(rows)]
            yield torch.cat(bands).clamp(0, 1).float().cpu()
    finally:
        model.train(was_training)



def render_uint8(model: Field, shape: tuple[int, int, int], **kwargs) -> Iterator[np.ndarray]:
    """Like ``render_frames`` but yields uint8 (H, W, 3) numpy frames, ready to encode."""
    for frame in render_frames(model, shape, **kwargs):
        yield to_uint8(frame)
