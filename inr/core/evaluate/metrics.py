"""Image-quality metrics on rgb in [0, 1] (data range 1)."""

import math

import torch
import torch.nn.functional as F


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


def _gaussian_window(size: int, sigma: float, device) -> torch.Tensor:
    x = torch.arange(size, device=device, dtype=torch.float32) - (size - 1) / 2
    g = torch.exp(-(x**2) / (2 * sigma**2))
    g = g / g.sum()
    return (g[:, None] * g[None, :])[None, None]  # (1, 1, k, k)


def ssim(pred: torch.Tensor, target: torch.Tensor, window: int = 11, sigma: float = 1.5) -> float:
    """Mean SSIM (Wang et al. 2004: Gaussian window 11, sigma 1.5) of clips (T, H, W, 3) in [0, 1].

    Frames smaller than the window use a window as large as the frame allows.
    """
    if pred.shape != target.shape or pred.ndim != 4 or pred.shape[-1] != 3:
        raise ValueError(f"ssim needs two (T, H, W, 3) clips, got {tuple(pred.shape)} and {tuple(target.shape)}")
    c1, c2 = 0.01**2, 0.03**2
    size = min(window, pred.shape[1], pred.shape[2])
    size = size if size % 2 == 1 else size - 1
    w = _gaussian_window(size, sigma, pred.device).expand(3, 1, size, size)
    total, count = 0.0, 0
    for a, b in zip(pred.split(16), target.split(16)):  # chunks bound the memory of long clips
        x = a.float().permute(0, 3, 1, 2)  # (t, 3, H, W)
        y = b.float().permute(0, 3, 1, 2)
        blur = lambda v: F.conv2d(v, w, groups=3)  # noqa: E731 - valid-region Gaussian filter
        mx, my = blur(x), blur(y)
        vx, vy, cov = blur(x * x) - mx**2, blur(y * y) - my**2, blur(x * y) - mx * my
        s = ((2 * mx * my + c1) * (2 * cov + c2)) / ((mx**2 + my**2 + c1) * (vx + vy + c2))
        total += s.mean(dim=(1, 2, 3)).sum().item()
        count += s.shape[0]
    return total / count
