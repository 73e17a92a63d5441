"""The pixel set a fit samples from: coordinates, colours and the train/held-out split of real clips."""

import numpy as np
import pytest
import torch

from inr.core.field.coords import grid
from inr.core.field.pixels import MIN_PROBE_FRAMES, make_pixel_set, spread


@pytest.fixture(scope="module")
def two_clips(plant, jelly):
    """Two real clips of different sizes: 12x36x48 and 6 frames of 36x64."""
    return [plant.frames, jelly.frames[:6]]


def test_coordinates_and_colours_of_flat_indices_are_the_clips_own(two_clips):
    data = make_pixel_set(two_clips, "none", seed=0, device="cpu")
    everything = torch.arange(int(data.offsets[-1]))
    coords, clip = data.coords(everything)
    for k, frames in enumerate(two_clips):
        mine = clip == k
        expected = grid(*frames.shape[:3]).reshape(-1, 3)
        torch.testing.assert_close(coords[mine], expected, rtol=0, atol=1e-6)
        colours = data.targets(everything[mine])
        torch.testing.assert_close(colours, torch.from_numpy(frames).reshape(-1, 3).float() / 255)
        assert torch.equal(data.clip_frames(k), torch.from_numpy(frames))


@pytest.mark.parametrize("holdout", ["every2", "random", "none"])
def test_training_and_held_out_pixels_split_every_pixel_once(two_clips, holdout):
    data = make_pixel_set(two_clips, holdout, seed=3, device="cpu")
    total = sum(f.shape[0] * f.shape[1] * f.shape[2] for f in two_clips)
    both = torch.cat([data.train, data.heldout])
    assert len(both) == total and len(torch.unique(both)) == total
    flat = torch.cat([m.reshape(-1) for m in data.masks])
    assert flat[data.train].all() and not flat[data.heldout].any()
    if holdout == "none":
        assert len(data.heldout) == 0
    if holdout == "every2":  # even rows and even columns train: about a quarter of the pixels
        assert len(data.train) == sum(f.shape[0] * ((f.shape[1] + 1) // 2) * ((f.shape[2] + 1) // 2)
                                      for f in two_clips)


def test_lattices_hold_exactly_the_training_pixels_of_each_frame(two_clips):
    for holdout in ("every2", "random"):
        data = make_pixel_set(two_clips, holdout, seed=1, device="cpu")
        for k, mask in enumerate(data.masks):
            lattice = data.lattices[k]
            rebuilt = torch.zeros(mask.shape[1:], dtype=torch.bool)
            sub = torch.ones(len(lattice.rows), len(lattice.cols), dtype=torch.bool)
            if lattice.mask is not None:
                sub = lattice.mask
            rebuilt[lattice.rows[:, None], lattice.cols[None, :]] = sub
            assert torch.equal(rebuilt, mask[0])
            assert (lattice.mask is None) == (holdout == "every2")


def test_probe_frames_span_the_clip():
    frames = np.zeros((30, 16, 16, 3), np.uint8)
    data = make_pixel_set([frames], "every2", seed=0, device="cpu")
    probes = data.probes[0]
    assert len(probes) >= MIN_PROBE_FRAMES and probes[0] == 0 and probes[-1] == 29
    assert spread(5, 10).tolist() == [0, 1, 2, 3, 4]  # never more indices than frames


def test_a_clip_that_is_not_uint8_rgb_is_refused_by_index():
    good = np.zeros((2, 4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match="clip 1 must be uint8"):
        make_pixel_set([good, good.astype(np.float32)], "every2", seed=0, device="cpu")
    with pytest.raises(ValueError, match="at least one clip"):
        make_pixel_set([], "every2", seed=0, device="cpu")
