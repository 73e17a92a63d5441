import pytest
import torch

from inr.core.field.coords import frame_times, grid, pixel_centres, scaled_size
from inr.core.field.pixels import make_pixel_set


def test_pixel_centres_tile_the_domain_symmetrically():
    c = pixel_centres(4)
    assert torch.allclose(c, torch.tensor([-0.75, -0.25, 0.25, 0.75]))
    assert torch.allclose(pixel_centres(5), -pixel_centres(5).flip(0))


def test_odd_factor_hits_the_1x_centres_and_even_never_does():
    one = pixel_centres(7)
    assert torch.allclose(pixel_centres(21)[1::3], one, atol=1e-6)
    two = pixel_centres(14)
    assert (torch.cdist(two[:, None], one[:, None]).min(dim=1).values > 1e-3).all()


def test_frame_times_hit_the_ends_and_a_single_frame_sits_at_zero():
    assert frame_times(5)[0] == -1 and frame_times(5)[-1] == 1
    assert frame_times(1).tolist() == [0.0]
    assert torch.allclose(frame_times(13)[::3], frame_times(5))  # 3x temporal keeps the originals


def test_scaled_size_follows_the_convention():
    assert scaled_size((10, 36, 48), 2.0, 1.0) == (10, 72, 96)
    assert scaled_size((10, 36, 48), 2.5, 3.0) == (28, 90, 120)
    assert scaled_size((1, 5, 5), 1.0, 4.0) == (1, 5, 5)


def test_training_coordinates_equal_a_1x_render_grid():
    clip = torch.randint(0, 255, (3, 5, 7, 3), dtype=torch.uint8).numpy()
    data = make_pixel_set([clip], "none", 0, "cpu")
    coords, ids = data.coords(data.train)
    assert torch.equal(ids, torch.zeros_like(ids))
    assert torch.allclose(coords, grid(3, 5, 7).view(-1, 3), atol=1e-6)


def test_ssim_is_one_for_identical_clips_and_drops_with_noise():
    from inr.core.evaluate.metrics import psnr, ssim

    clip = torch.rand(2, 24, 32, 3, generator=torch.Generator().manual_seed(0))
    assert abs(ssim(clip, clip) - 1) < 1e-6
    noisy = (clip + 0.1 * torch.randn(clip.shape, generator=torch.Generator().manual_seed(1))).clamp(0, 1)
    assert ssim(noisy, clip) < 0.95 and 15 < psnr(noisy, clip) < 25


def test_ssim_keeps_the_figures_of_the_code_it_replaced():
    """pytorch_msssim replaced our own Gaussian-window SSIM: on the same clips it gives what ours
    gave (0.945682144 on 40x48, 0.952452024 on 9x7 with the window shrunk to 7), to 1e-6."""
    from inr.core.evaluate.metrics import ssim

    g = torch.Generator().manual_seed(0)
    a = torch.rand(5, 40, 48, 3, generator=g)
    b = (a + 0.1 * torch.randn(5, 40, 48, 3, generator=g)).clamp(0, 1)
    assert ssim(a, b) == pytest.approx(0.945682144165039, abs=1e-6)
    a = torch.rand(3, 9, 7, 3, generator=g)
    b = (a + 0.1 * torch.randn(3, 9, 7, 3, generator=g)).clamp(0, 1)
    assert ssim(a, b) == pytest.approx(0.952452023824056, abs=1e-6)


def test_ssim_of_frames_one_pixel_wide_is_its_luminance_term():
    from inr.core.evaluate.metrics import ssim

    g = torch.Generator().manual_seed(0)
    a, b = torch.rand(2, 1, 5, 3, generator=g), torch.rand(2, 1, 5, 3, generator=g)
    assert ssim(a, a) == pytest.approx(1.0)
    assert ssim(a, b) == pytest.approx(((2 * a * b + 1e-4) / (a * a + b * b + 1e-4)).mean().item(), abs=1e-6)
