import numpy as np
import pytest
import torch

from inr.core.field.render import render_frames
from inr import api


@pytest.fixture(scope="module")
def run(plant):
    run = api.prepare([plant], arch="grid", device="cpu", steps=150, seconds=None)
    list(api.fit(run))
    return run


def _render(run, **kw):
    frames, shape, fps = api.render(run, **kw)
    return np.stack(list(frames)), shape, fps


def test_2x_render_has_twice_the_size_and_keeps_the_duration(run, plant):
    frames, shape, fps = _render(run, spatial_scale=2.0)
    t, h, w = plant.frames.shape[:3]
    assert frames.shape == (t, 2 * h, 2 * w, 3) and shape == (t, 2 * h, 2 * w)
    _, shape, fps = _render(run, temporal_scale=2.5, frames=None)
    assert shape[0] == round((t - 1) * 2.5) + 1
    assert fps == pytest.approx(plant.fps * (shape[0] - 1) / (t - 1))


def test_3x_render_equals_1x_where_pixel_centres_coincide(run):
    one, _, _ = _render(run)
    three, _, _ = _render(run, spatial_scale=3.0, temporal_scale=3.0)
    assert np.abs(three[::3, 1::3, 1::3].astype(int) - one.astype(int)).max() <= 1  # uint8 rounding


def test_1x_render_reconstructs_the_clip(run, plant):
    one, _, _ = _render(run)
    err = np.abs(one.astype(float) - plant.frames.astype(float)).mean()
    assert err < 12


def test_non_integer_and_custom_sizes(run):
    frames, shape, _ = _render(run, width=17, height=9, frames=3)
    assert frames.shape == (3, 9, 17, 3)
    frames, shape, _ = _render(run, spatial_scale=0.37)
    assert frames.shape[1:3] == shape[1:3] and shape[1] >= 1


def test_bad_render_requests_are_refused(run):
    with pytest.raises(ValueError, match="scale"):
        api.render(run, spatial_scale=-1)
    with pytest.raises(ValueError, match="limit"):
        api.render(run, width=7680, height=4320, frames=1000)
    with pytest.raises(ValueError, match="clip"):
        api.render(run, clip=3)


def test_mix_alpha_0_equals_clip_a_and_1_equals_clip_b(plant):
    a = api.Clip(plant.frames[:3], plant.fps, "a", ())
    b = api.Clip(plant.frames[3:6, ::-1].copy(), plant.fps, "b", ())
    run = api.prepare([a, b], arch="fourier", sigma=10.0, device="cpu", steps=5, seconds=None)
    list(api.fit(run))
    pure_a, _, _ = _render(run, clip=0)
    pure_b, _, _ = _render(run, clip=1)
    assert np.array_equal(_render(run, clip=0, mix_with=1, mix=0.0)[0], pure_a)
    assert np.array_equal(_render(run, clip=0, mix_with=1, mix=1.0)[0], pure_b)
    half, _, _ = _render(run, clip=0, mix_with=1, mix=0.5)
    assert not np.array_equal(half, pure_a)


def test_renders_several_frames_a_pass_match_renders_in_bands(run):
    shape = (7, 30, 40)
    whole = torch.stack(list(render_frames(run.model, shape, chunk=2**16)))  # 2 frames and more a pass
    banded = torch.stack(list(render_frames(run.model, shape, chunk=200)))  # 5 rows a pass
    assert torch.allclose(whole, banded, atol=1e-5)
