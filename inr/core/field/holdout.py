"""Which pixels a fit trains on and which it holds out to measure generalisation.

* ``every2`` (the default): the Latent Coordinate Networks protocol. Train on the even rows and
  even columns of every frame (a quarter of the pixels), score on the other three quarters.
  Held-out pixels sit exactly between training pixels, so the classical rebuild is plain
  bilinear / bicubic upsampling of the training grid: an honest reference.
* ``random``: a fixed, seeded 25% of the pixel positions is held out, the same positions in every
  frame (so, as with ``every2``, the model never sees them at any time, and the classical
  rebuild needs one triangulation for the whole clip).
* ``none``: train on every pixel; nothing is held out, so no held-out PSNR exists.
"""

import torch

MODES = ("every2", "random", "none")
RANDOM_HELDOUT_SHARE = 0.25  # a quarter: enough pixels for a stable score, most left to learn from


def train_mask(shape: tuple[int, int, int], mode: str, seed: int = 0) -> torch.Tensor:
    """Boolean (T, H, W): True where a pixel is used for training."""
    if mode not in MODES:
        raise ValueError(f"holdout must be one of {', '.join(MODES)}, got {mode!r}")
    frames, height, width = shape
    if mode == "none":
        return torch.ones(shape, dtype=torch.bool)
    if mode == "every2":
        rows = torch.arange(height) % 2 == 0
        cols = torch.arange(width) % 2 == 0
        return (rows[:, None] & cols[None, :]).expand(frames, height, width).clone()
    generator = torch.Generator().manual_seed(seed)
    positions = torch.rand(height, width, generator=generator) >= RANDOM_HELDOUT_SHARE
    positions.view(-1)[0] = True  # every frame keeps at least one training pixel
    return positions.expand(frames, height, width).clone()
