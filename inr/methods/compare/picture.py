"""The side-by-side picture of a comparison: one frame of the clip, its classical rebuild and each
fitted configuration, cropped alike, each over its error map."""

import math

import numpy as np
import torch

from inr.core.evaluate.baselines import rebuild
from inr.core.media.images import caption, enlarge, side_by_side, to_uint8
from inr.core.report.diagnostics import ERROR_GAIN, error_map, uint8_psnr
from inr.core.train.run import Run
from inr.methods.compare.workflow import Comparison, results

PANEL_COLUMNS = 4  # tiles a row: the clip, the rebuild, then the models


def crop_box(shape: tuple[int, int], centre: tuple[float, float], zoom: float) -> tuple[slice, slice]:
    """Rows and columns of a (H, W) frame seen at `zoom` (>= 1) around `centre` ((y, x) in [0, 1])."""
    if not (math.isfinite(zoom) and zoom >= 1):
        raise ValueError(f"zoom must be a number >= 1, got {zoom!r}")
    out = []
    for n, c in zip(shape, centre):
        if not 0 <= c <= 1:
            raise ValueError(f"the crop's centre must be in [0, 1], got {centre}")
        size = max(1, round(n / zoom))
        start = min(max(0, round(c * n - size / 2)), n - size)
        out.append(slice(start, start + size))
    return out[0], out[1]


def panel(comparison: Comparison, frame: int, centre: tuple[float, float] = (0.5, 0.5), zoom: float = 1.0,
          width: int = 300) -> np.ndarray:
    """uint8 picture: the clip's frame, its bicubic rebuild from the training pixels (when pixels are
    held out) and each fitted configuration's frame, cropped alike, each over its error map x ERROR_GAIN.
    Each tile is enlarged by pixel repeat to about `width` columns, PANEL_COLUMNS tiles a row."""
    truth_clip = comparison.clip.frames
    if not 0 <= frame < len(truth_clip):
        raise ValueError(f"frame must be in 0..{len(truth_clip) - 1}, got {frame}")
    rows, cols = crop_box(truth_clip.shape[1:3], centre, zoom)
    scale = max(1, width // (cols.stop - cols.start))

    def tile(picture: np.ndarray, top: str, under: np.ndarray, bottom: str) -> np.ndarray:
        return np.concatenate([caption(enlarge(picture[rows, cols], scale), top),
                               caption(enlarge(under[rows, cols], scale), bottom)])

    truth = truth_clip[frame]
    field_group = next((g for g in comparison.groups if isinstance(g.run, Run)), None)
    mask = field_group.run.data.masks[0][frame] if field_group else None  # (H, W), True: training pixel
    held = np.zeros_like(truth) if mask is None else np.repeat((~mask).numpy()[..., None], 3, -1).astype(np.uint8) * 255
    columns = []
    if mask is not None and comparison.baseline:
        built = rebuild(torch.from_numpy(truth[None]).float() / 255, mask[None], field_group.run.holdout)
        columns.append(("bicubic rebuild", to_uint8(built[0])))
    columns += [(r.config.ascii_label, r.frames[frame]) for r in results(comparison)]
    # Under the clip: where its held-out pixels are (white); under the rest, their errors.
    tiles = [tile(truth, "clip", held, "held out")]
    tiles += [tile(picture, f"{name} {uint8_psnr(picture, truth):.1f} dB", error_map(picture, truth),
                   f"error x{ERROR_GAIN}") for name, picture in columns]
    return grid_of(tiles, PANEL_COLUMNS)


def grid_of(tiles: list[np.ndarray], columns: int) -> np.ndarray:
    """Tiles of one size in rows of at most `columns`, the last row padded with light grey."""
    blank = np.full_like(tiles[0], 235)  # light grey: a white crop still reads as a picture
    rows = [tiles[i:i + columns] for i in range(0, len(tiles), columns)]
    if len(rows) > 1:
        rows[-1] = rows[-1] + [blank] * (columns - len(rows[-1]))
    strips = [side_by_side(r) for r in rows]
    gap = np.full((8, strips[0].shape[1], 3), 255, np.uint8)
    return np.concatenate([part for strip in strips for part in (strip, gap)][:-1])
