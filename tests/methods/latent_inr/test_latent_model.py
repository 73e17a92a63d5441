"""Latent-INR: the per-frame latent model, its fit loop, and interpolation through latents."""

import numpy as np
import pytest
import torch

from inr.core.train.loop import Record
from inr.methods.latent_inr import model as fl, trainer


@pytest.fixture(scope="module")
def fitted(jelly_latents):
    """12 frames of jelly at 64x36, fitted for 150 steps with a fixed seed (conftest)."""
    return jelly_latents


def test_fit_yields_records_and_reaches_a_quality_floor(fitted, jelly):
    model, records = fitted
    assert all(isinstance(r, Record) for r in records)
    assert records[-1].final and records[-1].step == 150 and not any(r.final for r in records[:-1])
    assert all(r.heldout_psnr is None for r in records)  # a codec trains on every pixel
    assert records[-1].train_psnr > records[0].train_psnr + 5
    assert records[-1].train_psnr > 20.0  # every pixel of every frame
    assert all(np.isfinite(r.loss) and r.loss > 0 for r in records)  # the final record's loss included
    decoded = fl.render_clip(model)
    assert decoded.shape == jelly.frames.shape and decoded.dtype == np.uint8


def test_interpolation_at_the_ends_equals_the_end_frames(fitted):
    model, _ = fitted
    frames = fl.render_clip(model)
    assert np.array_equal(fl.interpolate(model, 2, 9, 0.0), frames[2])
    assert np.array_equal(fl.interpolate(model, 2, 9, 1.0), frames[9])
    middle = fl.interpolate(model, 2, 9, 0.5)
    assert not np.array_equal(middle, frames[2]) and not np.array_equal(middle, frames[9])


def test_latent_walk_hits_the_dictionary_at_whole_positions(fitted):
    model, _ = fitted
    latents = model.latents.detach()
    assert torch.equal(fl.latent_at(latents, 3.0), latents[3])
    assert torch.equal(fl.latent_at(latents, 11.0), latents[11])
    assert torch.allclose(fl.latent_at(latents, 3.5), (latents[3] + latents[4]) / 2)
    upsampled = fl.render_clip(model, frames=23)  # 2x in time: even outputs are the frames
    assert np.array_equal(upsampled[::2], fl.render_clip(model))


def test_render_at_another_size_samples_the_same_function(fitted):
    model, _ = fitted
    big = fl.render_clip(model, height=36 * 3, width=64 * 3)
    assert big.shape == (12, 108, 192, 3)
    small = fl.render_clip(model)
    # Odd factors hit the 1x pixel centres: the centre sample of each 3x3 block is the 1x pixel.
    assert np.abs(big[:, 1::3, 1::3].astype(int) - small.astype(int)).max() <= 1


def test_bad_inputs_are_value_errors(fitted):
    model, _ = fitted
    with pytest.raises(ValueError, match="alpha"):
        fl.interpolate(model, 0, 1, 1.5)
    with pytest.raises(ValueError, match="frame b"):
        fl.interpolate(model, 0, 12, 0.5)
    with pytest.raises(ValueError, match="latent_dim"):
        fl.LatentConfig(frames=4, height=8, width=8, latent_dim=0)
    with pytest.raises(ValueError, match="budget"):
        trainer.LatentFitConfig(steps=None, seconds=None)
    with pytest.raises(ValueError, match="uint8"):
        trainer.make_model(np.zeros((4, 8, 8, 3), dtype=np.float32))


def test_fit_leaves_the_weights_of_a_plain_loop(jelly):
    # 5 frames, 2 a step: epochs end mid-step; the rates decay over the second half only.
    frames = jelly.frames[:5]
    cfg = trainer.LatentFitConfig(steps=10, seconds=None, frames_per_step=2, decay_from=0.5, seed=1, log_seconds=0.0)
    ours, model = trainer.make_model(frames, hidden=16, hyper_hidden=16), trainer.make_model(frames, hidden=16, hyper_hidden=16)
    records = list(trainer.fit(ours, frames, cfg))
    assert records[-1].final and records[-1].step == cfg.steps
    target = torch.from_numpy(frames).float() / 255  # (T, H, W, 3)
    weights = [p for n, p in model.named_parameters() if not n.startswith(("planes", "latents"))]
    optimizer = torch.optim.Adam([{"params": weights, "lr": cfg.lr},
                                  {"params": list(model.planes.parameters()), "lr": cfg.plane_lr},
                                  {"params": [model.latents], "lr": cfg.latent_lr}], betas=(0.9, 0.99), eps=1e-15)
    base = [cfg.lr, cfg.plane_lr, cfg.latent_lr]
    order = torch.Generator().manual_seed(cfg.seed)
    queue = torch.empty(0, dtype=torch.long)
    ys, xs = fl.pixel_centres(frames.shape[1]), fl.pixel_centres(frames.shape[2])
    for step in range(cfg.steps):
        share = max(0.0, step / cfg.steps - cfg.decay_from) / (1 - cfg.decay_from)
        for group, lr in zip(optimizer.param_groups, base):
            group["lr"] = lr * cfg.final_lr_ratio ** share
        if len(queue) < cfg.frames_per_step:
            queue = torch.cat([queue, torch.randperm(len(frames), generator=order)])
        which, queue = queue[: cfg.frames_per_step], queue[cfg.frames_per_step:]
        pred = model.decode(model.latents[which], model.spatial_features(ys, xs))  # (n, H * W, 3)
        loss = torch.nn.functional.mse_loss(pred, target[which].view(len(which), -1, 3))
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    for (name, a), b in zip(ours.named_parameters(), model.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)
