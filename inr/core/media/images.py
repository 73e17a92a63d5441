"""uint8 pictures from the models' float colours, and panels of them side by side."""

import numpy as np
from PIL import Image, ImageDraw
import torch


def to_uint8(rgb: torch.Tensor) -> np.ndarray:
    """(..., 3) float colours, ideally in [0, 1] -> uint8 numpy of the same shape, clamped and rounded."""
    return (rgb.detach().float() * 255 + 0.5).clamp(0, 255).to(torch.uint8).cpu().numpy()


def enlarge(pictures: np.ndarray, scale: int) -> np.ndarray:
    """uint8 (..., H, W, 3) -> (..., H * scale, W * scale, 3) by pixel repeat: small renders stay crisp."""
    if scale == 1:
        return pictures
    return pictures.repeat(scale, axis=-3).repeat(scale, axis=-2)


def side_by_side(panels: list[np.ndarray], gap: int = 4, scale: int = 1) -> np.ndarray:
    """uint8 frames (H, W, 3) or clips (T, H, W, 3) of one height, left to right with white gaps.

    Each panel is enlarged `scale` times by pixel repeat first; the result is (..., H, sum W + gaps, 3).
    """
    if not panels or any(p.shape[:-2] != panels[0].shape[:-2] for p in panels):
        raise ValueError(f"side_by_side needs panels of one height (and length), got {[p.shape for p in panels]}")
    big = [enlarge(p, scale) for p in panels]
    spacer = np.full((*big[0].shape[:-2], gap, 3), 255, np.uint8)
    parts = [big[0]]
    for p in big[1:]:
        parts += [spacer, p]
    return np.concatenate(parts, axis=-2)


def label(image: np.ndarray, text: str) -> np.ndarray:
    """uint8 (H, W, 3): the image with `text` in white on black in its top-left corner."""
    pil = Image.fromarray(image)
    draw = ImageDraw.Draw(pil)
    draw.rectangle([0, 0, 8 + 6 * len(text), 13], fill=(0, 0, 0))
    draw.text((3, 1), text, fill=(255, 255, 255))
    return np.asarray(pil)


def caption(image: np.ndarray, text: str) -> np.ndarray:
    """uint8 (H + 14, W, 3): the image over a black strip holding `text` in white (nothing covered)."""
    strip = np.zeros((14, image.shape[1], 3), np.uint8)
    return np.concatenate([image, label(strip, text)[:, : image.shape[1]]])


def _crop_size(height: int, width: int, factor: int) -> tuple[int, int]:
    return max(1, height // factor), max(1, width // factor)


def zoom(image: np.ndarray, centre: tuple[float, float], factor: int) -> np.ndarray:
    """uint8 (H, W, 3): the part of `image` around `centre` ((y, x) as shares of its height and width,
    0 to 1) that, `factor` times enlarged by pixel repeat, fills about the image's own size. The crop
    stays inside the image; pixel repeat shows what each method drew, with no smoothing of ours."""
    if int(factor) < 1:
        raise ValueError(f"zoom factor must be a whole number >= 1, got {factor}")
    factor = int(factor)
    height, width = image.shape[:2]
    rows, cols = _crop_size(height, width, factor)
    top = min(max(round(centre[0] * height - rows / 2), 0), height - rows)
    left = min(max(round(centre[1] * width - cols / 2), 0), width - cols)
    return enlarge(image[top:top + rows, left:left + cols], factor)


def most_different(a: np.ndarray, b: np.ndarray, factor: int) -> tuple[float, float]:
    """The centre ((y, x) shares, for ``zoom``) of the crop `factor` times smaller than two uint8
    (H, W, 3) pictures where they differ most (summed squared difference over the crop)."""
    if a.shape != b.shape:
        raise ValueError(f"most_different needs two pictures of one shape, got {a.shape} and {b.shape}")
    height, width = a.shape[:2]
    rows, cols = _crop_size(height, width, int(factor))
    err = ((a.astype(np.float64) - b.astype(np.float64)) ** 2).sum(-1)
    sums = np.pad(err.cumsum(0).cumsum(1), ((1, 0), (1, 0)))  # summed-area table: any crop's sum in 4 reads
    windows = sums[rows:, cols:] - sums[:-rows, cols:] - sums[rows:, :-cols] + sums[:-rows, :-cols]
    top, left = np.unravel_index(int(np.argmax(windows)), windows.shape)
    return float((top + rows / 2) / height), float((left + cols / 2) / width)
