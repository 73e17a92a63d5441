import torch

from inr.core.baselines import classical_rebuild, scattered_rebuild, upsample_every2
from inr.core.holdout import train_mask


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
