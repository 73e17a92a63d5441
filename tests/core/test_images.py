"""uint8 pictures from float colours, panels side by side, and curves thinned for files."""

import numpy as np
import pytest
import torch

from inr.core.media.images import enlarge, most_different, side_by_side, to_uint8, zoom
from inr.core.train.history import thin


def test_to_uint8_rounds_to_nearest_and_clamps_out_of_range_colours():
    rgb = torch.tensor([[-0.2, 0.0, 0.5 / 255], [0.5, 254.6 / 255, 1.3]])
    assert to_uint8(rgb).tolist() == [[0, 0, 1], [128, 255, 255]]
    assert to_uint8(rgb.requires_grad_()).dtype == np.uint8  # a tensor that needs grad converts too


def test_side_by_side_puts_frames_or_clips_in_a_row_with_white_gaps(jelly):
    a, b = jelly.frames[0], jelly.frames[1]
    row = side_by_side([a, b], gap=3)
    height, width = a.shape[:2]
    assert row.shape == (height, 2 * width + 3, 3)
    assert np.array_equal(row[:, :width], a) and np.array_equal(row[:, width + 3:], b)
    assert (row[:, width:width + 3] == 255).all()
    clips = side_by_side([jelly.frames[:4], jelly.frames[4:8]], gap=2, scale=2)  # (T, H, W, 3) panels
    assert clips.shape == (4, 2 * height, 4 * width + 2, 3)
    assert np.array_equal(clips[2], side_by_side([enlarge(jelly.frames[2], 2), enlarge(jelly.frames[6], 2)], gap=2))
    with pytest.raises(ValueError, match="one height"):
        side_by_side([a, a[:10]])


def test_enlarge_repeats_each_pixel():
    picture = np.arange(12, dtype=np.uint8).reshape(2, 2, 3)
    big = enlarge(picture, 3)
    assert big.shape == (6, 6, 3) and np.array_equal(big[::3, ::3], picture) and np.array_equal(big[2, 2], picture[0, 0])


def test_thin_keeps_the_first_and_last_and_at_most_the_count_asked():
    rows = list(range(1000))
    kept = thin(rows, 7)
    assert kept[0] == 0 and kept[-1] == 999 and len(kept) == 7 and kept == sorted(kept)
    assert thin(rows[:5], 7) == rows[:5]
    assert len(thin(rows)) == 400  # what a checkpoint keeps
    with pytest.raises(ValueError, match="points must be >= 2"):
        thin(rows, 1)


def test_a_caption_sits_under_the_image_and_covers_none_of_it():
    from inr.core.media.images import caption

    image = np.full((20, 30, 3), 7, np.uint8)
    out = caption(image, "a long caption wider than the image")
    assert out.shape == (34, 30, 3) and np.array_equal(out[:20], image) and out[20:].max() > 200  # white text on black


def test_zoom_crops_around_a_centre_inside_the_picture_and_enlarges_by_repeat():
    picture = np.arange(12 * 16 * 3, dtype=np.int64).reshape(12, 16, 3).astype(np.uint8)
    middle = zoom(picture, (0.5, 0.5), 4)
    assert middle.shape == (12, 16, 3) and np.array_equal(middle, enlarge(picture[4:7, 6:10], 4))
    corner = zoom(picture, (1.0, 0.0), 2)  # past the edge: the crop stays inside
    assert np.array_equal(corner, enlarge(picture[6:, :8], 2))
    assert np.array_equal(zoom(picture, (0.3, 0.7), 1), picture)
    with pytest.raises(ValueError, match="whole number >= 1"):
        zoom(picture, (0.5, 0.5), 0)


def test_most_different_finds_the_crop_where_two_pictures_differ():
    a = np.zeros((40, 64, 3), np.uint8)
    b = a.copy()
    b[28:36, 4:12] = 200
    y, x = most_different(a, b, 4)  # crops of 10 x 16
    assert 28 <= y * 40 <= 36 and 4 <= x * 64 <= 12
    assert np.array_equal(zoom(b, (y, x), 4)[::4, ::4].sum(), b.sum())  # the whole difference is in the crop
