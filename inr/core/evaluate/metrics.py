"""Image-quality metrics on rgb in [0, 1] (data range 1)."""

import math

import torch
import torch.nn.functional as F
from pytorch_msssim import ssim as structural_similarity


def mse_to_psnr(mse: float) -> float:
    """PSNR in dB of a mean squared error on data of range 1 (capped at 100 dB for exact fits)."""
    return 100.0 if mse <= 1e-10 else -10.0 * math.log10(mse)


def psnr_to_mse(db: float) -> float:
    """The mean squared error (data range 1) that a PSNR in dB stands for."""
    return 10.0 ** (-db / 10.0)


def psnr(pred: torch.Tensor, target: torch.Tensor) -> float:
    """PSNR in dB over all elements of two same-shaped tensors in [0, 1]."""
    if pred.shape != target.shape:
        raise ValueError(f"psnr needs equal shapes, got {tuple(pred.shape)} and {tuple(target.shape)}")
    if pred.numel() == 0:
        raise ValueError("psnr of an empty set of pixels is undefined")
    return mse_to_psnr(F.mse_loss(pred.float(), target.float()).item())


def ssim(pred: torch.Tensor, target: torch.Tensor, window: int = 11, sigma: float = 1.5) -> float:
    """Mean SSIM (Wang et al. 2004: Gaussian window 11, sigma 1.5) of clips (T, H, W, 3) in [0, 1],
    from ``pytorch_msssim`` (separable Gaussian, valid region, averaged over channels and frames).

    Frames smaller than the window use a window as large as the frame allows.
    """
    if pred.shape != target.shape or pred.ndim != 4 or pred.shape[-1] != 3:
        raise ValueError(f"ssim needs two (T, H, W, 3) clips, got {tuple(pred.shape)} and {tuple(target.shape)}")
    size = min(window, pred.shape[1], pred.shape[2])
    size = size if size % 2 == 1 else size - 1
    if size == 1:  # a one-pixel window (pytorch_msssim refuses it): no variance, only the luminance term
        x, y, c1 = pred.float(), target.float(), 0.01**2
        return ((2 * x * y + c1) / (x * x + y * y + c1)).mean().item()
    scores = [structural_similarity(a.float().permute(0, 3, 1, 2), b.float().permute(0, 3, 1, 2), data_range=1.0,
                                    size_average=False, win_size=size, win_sigma=sigma)
              for a, b in zip(pred.split(16), target.split(16))]  # chunks bound the memory of long clips
    return torch.cat(scores).mean().item()
