import torch

from inr.core.evaluate.baselines import (classical_rebuild, scattered_rebuild, upsample_every2, upscale_space,
                                         upscale_space_lanczos, upscale_time, upscale_time_minterpolate)
from inr.core.evaluate.metrics import psnr
from inr.core.field.holdout import train_mask
from inr.core.media.images import to_uint8


def test_every2_rebuild_keeps_training_pixels_and_is_exact_on_a_ramp():
    y, x = torch.meshgrid(torch.linspace(0, 1, 9), torch.linspace(0, 1, 11), indexing="ij")
    ramp = torch.stack([0.3 * y + 0.5 * x] * 3, -1)[None]  # (1, 9, 11, 3), linear: exactly rebuilt
    for mode in ("bilinear", "bicubic"):
        rebuilt = upsample_every2(ramp[:, ::2, ::2], 9, 11, mode)
        assert torch.allclose(rebuilt[:, ::2, ::2], ramp[:, ::2, ::2], atol=1e-5)
        inner = (slice(None), slice(2, -2), slice(2, -2))  # bicubic replicates the border there
        assert torch.allclose(rebuilt[inner], ramp[inner], atol=1e-4)
    assert torch.allclose(upsample_every2(ramp[:, ::2, ::2], 9, 11, "bilinear"), ramp, atol=1e-5)


def test_classical_rebuild_of_a_real_clip(jelly):
    frames = torch.from_numpy(jelly.frames).float() / 255
    mask = train_mask(frames.shape[:3], "every2")
    scores = classical_rebuild(frames, mask, "every2")
    assert 20 < scores["bilinear"] < 45 and 20 < scores["bicubic"] < 45
    assert classical_rebuild(frames, train_mask(frames.shape[:3], "none"), "none") is None


def test_scattered_rebuild_keeps_known_pixels(jelly):
    frames = torch.from_numpy(jelly.frames[:2]).float() / 255
    mask = train_mask(frames.shape[:3], "random", seed=3)
    rebuilt = scattered_rebuild(frames, mask[0], "linear")
    assert torch.allclose(rebuilt[mask], frames[mask], atol=1e-6)
    assert classical_rebuild(frames, mask, "random")["bicubic"] > 20


def moving_square(frames: int = 12, height: int = 24, width: int = 32, step: int = 2) -> torch.Tensor:
    """(T, H, W, 3) in [0, 1]: an orange 8x8 square moving `step` pixels right each frame."""
    clip = torch.full((frames, height, width, 3), 40 / 255)
    for t in range(frames):
        clip[t, 8:16, 2 + step * t : 10 + step * t] = torch.tensor([230, 180, 60]) / 255
    return clip


def test_minterpolate_keeps_the_kept_frames_and_follows_motion_blending_smears():
    truth = moving_square()[:11]  # 11 frames: every 2nd kept is frames 0, 2, ..., 10
    kept = truth[::2]
    mci = upscale_time_minterpolate(kept, 11)
    assert mci.shape == truth.shape
    # Aligned: output frame 2k is kept frame k (ffmpeg's trip through yuv444p rounds a level at most).
    assert (mci[::2] - kept).abs().max() <= 2 / 255 and psnr(mci[::2], kept) > 50
    new = torch.ones(11, dtype=torch.bool)
    new[::2] = False
    blended = upscale_time(kept, 11)
    assert psnr(mci[new], truth[new]) > psnr(blended[new], truth[new]) + 3  # a square, not two ghosts


def test_minterpolate_lands_non_integer_rates_on_the_kept_instants_at_odd_sizes():
    kept = moving_square(frames=5, height=23, width=31)  # odd sides
    out = upscale_time_minterpolate(kept, 11)  # 2.5x: output 5k is input 2k
    assert out.shape == (11, 23, 31, 3)
    assert (out[::5] - kept[::2]).abs().max() <= 2 / 255
    assert torch.equal(upscale_time_minterpolate(kept, 5), kept)


def test_lanczos_is_area_aligned_and_at_least_bicubic_on_a_smooth_pattern():
    y, x = torch.meshgrid(torch.arange(48.0), torch.arange(64.0), indexing="ij")
    smooth = 0.5 + 0.3 * torch.sin(x / 5) * torch.cos(y / 7)  # (48, 64)
    truth = torch.stack([smooth, 1 - smooth, smooth.roll(5, 1)], -1)[None]  # (1, 48, 64, 3)
    truth = torch.from_numpy(to_uint8(truth)).float() / 255
    small = truth.view(1, 24, 2, 32, 2, 3).mean((2, 4))  # area averaging, as degrade does
    lanczos = upscale_space_lanczos(small, 48, 64)
    assert lanczos.shape == truth.shape
    assert psnr(lanczos, truth) >= psnr(upscale_space(small, 48, 64, "bicubic"), truth) - 0.1
    # A ramp in x comes back in the interior, which it would not with a half-pixel shift.
    ramp = torch.arange(64.0).mul(4 / 255).view(1, 1, 64, 1).expand(1, 8, 64, 3)
    up = upscale_space_lanczos(ramp.reshape(1, 8, 32, 2, 3).mean(3), 8, 64)
    assert (up[:, :, 4:-4] - ramp[:, :, 4:-4]).abs().max() <= 1 / 255
