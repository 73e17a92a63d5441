"""Reading clips: real assets, odd inputs made on the spot, and every way a read can fail."""

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from conftest import ASSETS
from inr.core.media import io
from inr.core.media.io import DEFAULT_FPS, Clip, ClipError, fit_size, load_clip


PLANT = ASSETS / "office_plant.mp4"  # 36 frames, 320x240, 30 fps
CARPHONE = ASSETS / "carphone.gif"  # 48 frames, 176x144, 30 ms per frame
JELLY = ASSETS / "jelly_small.mp4"  # 100 frames, 160x90


def save_png(path: Path, array: np.ndarray, mode: str | None = None) -> Path:
    (Image.fromarray(array, mode) if mode else Image.fromarray(array)).save(path)
    return path


def assert_clip_error(path: Path, **caps) -> ClipError:
    with pytest.raises(ClipError) as caught:
        load_clip(path, **caps)
    message = str(caught.value)
    assert path.name in message
    assert "\n" not in message and message.startswith(f"{path}: ")
    return caught.value


@pytest.mark.parametrize("path, shape", [
    (PLANT, (36, 240, 320)), (CARPHONE, (48, 144, 176)), (JELLY, (100, 90, 160)),
])
def test_assets_load_whole(path, shape):
    clip = load_clip(path)
    assert clip.shape == shape
    assert clip.frames.shape == (*shape, 3) and clip.frames.dtype == np.uint8
    assert clip.fps > 0 and clip.name == path.stem and clip.notes == ()
    assert clip.frames.std() > 10  # real pictures, not a blank decode


def test_fps_comes_from_the_file():
    assert load_clip(PLANT).fps == pytest.approx(30, abs=0.1)
    assert load_clip(CARPHONE).fps == pytest.approx(1000 / 30)  # the GIF's 30 ms frame delay


def test_max_frames_keeps_the_first_frames_and_says_so():
    whole = load_clip(JELLY)
    clip = load_clip(JELLY, max_frames=10)
    assert clip.shape == (10, 90, 160)
    np.testing.assert_array_equal(clip.frames, whole.frames[:10])
    assert any("first 10" in note and "--max-frames 10" in note for note in clip.notes)


def test_max_frames_on_a_gif_names_the_total():
    clip = load_clip(CARPHONE, max_frames=5)
    assert clip.shape[0] == 5
    assert "kept the first 5 of 48 frames (--max-frames 5)" in clip.notes


def test_max_frames_above_the_length_changes_nothing():
    clip = load_clip(PLANT, max_frames=36)
    assert clip.shape[0] == 36 and clip.notes == ()


def test_video_is_decoded_only_as_far_as_needed(monkeypatch):
    pulled = []
    real_get_reader = io.iio2.get_reader

    class CountingReader:
        def __init__(self, reader):
            self.reader = reader

        def close(self):
            self.reader.close()

        def get_meta_data(self):
            return self.reader.get_meta_data()

        def __iter__(self):
            for frame in self.reader:
                pulled.append(frame)
                yield frame

    monkeypatch.setattr(io.iio2, "get_reader", lambda *a, **k: CountingReader(real_get_reader(*a, **k)))
    assert load_clip(JELLY, max_frames=3).shape[0] == 3
    assert len(pulled) <= 4  # the cap, plus one read to learn that more exist


def test_max_size_downscales_by_area_averaging():
    whole = load_clip(PLANT, max_frames=2)
    clip = load_clip(PLANT, max_frames=2, max_size=80)
    assert clip.shape == (2, 60, 80)
    # 320x240 -> 80x60 is exactly 4x4 blocks, so area averaging is the block mean.
    blocks = whole.frames.reshape(2, 60, 4, 80, 4, 3).astype(float).mean(axis=(2, 4))
    assert np.abs(clip.frames - blocks).max() <= 1
    assert "downscaled 320x240 -> 80x60 by area averaging (--max-size 80)" in clip.notes


def test_max_size_keeps_the_aspect_ratio():
    clip = load_clip(CARPHONE, max_frames=1, max_size=50)
    height, width = clip.shape[1:]
    assert width == 50 and height == round(144 * 50 / 176)
    assert any("--max-size 50" in note for note in clip.notes)


def test_max_size_above_the_size_changes_nothing():
    clip = load_clip(CARPHONE, max_size=500)
    assert clip.shape == (48, 144, 176) and clip.notes == ()


def test_fit_size_keeps_sides_at_least_one_pixel():
    assert fit_size(1, 1000, 10) == (1, 10)
    assert fit_size(1000, 3, 10) == (10, 1)
    assert fit_size(90, 160, None) == (90, 160)


@pytest.mark.parametrize("value", [0, -1, 1.5, "3", True])
@pytest.mark.parametrize("cap", ["max_frames", "max_size"])
def test_caps_must_be_positive_whole_numbers(cap, value):
    with pytest.raises(ValueError, match=cap) as caught:
        load_clip(PLANT, **{cap: value})
    assert repr(value) in str(caught.value)


def test_grey_png_becomes_rgb(tmp_path):
    grey = np.arange(7 * 13, dtype=np.uint8).reshape(7, 13)
    clip = load_clip(save_png(tmp_path / "grey.png", grey))
    assert clip.frames.shape == (1, 7, 13, 3) and clip.frames.dtype == np.uint8
    np.testing.assert_array_equal(clip.frames[0], np.repeat(grey[..., None], 3, axis=2))
    assert "converted grey to RGB" in clip.notes
    assert clip.fps == DEFAULT_FPS


def test_rgba_png_is_composited_over_white(tmp_path):
    rgba = np.zeros((4, 6, 4), np.uint8)
    rgba[..., 0] = 200
    rgba[0, :, 3], rgba[1, :, 3], rgba[2:, :, 3] = 0, 255, 128
    clip = load_clip(save_png(tmp_path / "rgba.png", rgba, "RGBA"))
    frame = clip.frames[0].astype(int)
    assert (frame[0] == 255).all()  # transparent: the white behind
    assert (frame[1] == [200, 0, 0]).all()  # opaque: the colour itself
    assert np.abs(frame[2] - [228, 127, 127]).max() <= 1  # half: the mix
    assert "dropped the alpha channel (composited over white)" in clip.notes


def test_grey_alpha_png_becomes_rgb(tmp_path):
    la = np.stack([np.full((5, 5), 60, np.uint8), np.full((5, 5), 255, np.uint8)], axis=-1)
    clip = load_clip(save_png(tmp_path / "la.png", la, "LA"))
    assert (clip.frames == 60).all() and len(clip.notes) == 2


def test_16_bit_png_is_scaled_to_8_bit(tmp_path):
    levels = np.array([[0, 257 * 100, 65535]], np.uint16)
    clip = load_clip(save_png(tmp_path / "deep.png", levels))
    np.testing.assert_array_equal(clip.frames[0, 0, :, 0], [0, 100, 255])
    assert "converted 16-bit to 8-bit" in clip.notes


def test_float_tiff_is_scaled_from_0_to_1(tmp_path):
    path = tmp_path / "float.tiff"
    Image.fromarray(np.array([[0.0, 0.5, 1.0, 2.0]], np.float32)).save(path)
    clip = load_clip(path)
    np.testing.assert_array_equal(clip.frames[0, 0, :, 1], [0, 128, 255, 255])
    assert any("floating-point" in note for note in clip.notes)


def test_odd_sized_image_loads_exactly(tmp_path):
    rgb = np.random.default_rng(0).integers(0, 256, (7, 13, 3), dtype=np.uint8)
    clip = load_clip(save_png(tmp_path / "odd.png", rgb))
    assert clip.shape == (1, 7, 13) and clip.notes == () and clip.name == "odd"
    np.testing.assert_array_equal(clip.frames[0], rgb)


def test_png_named_mp4_loads_as_an_image(tmp_path):
    rgb = np.full((5, 9, 3), 77, np.uint8)
    clip = load_clip(save_png(tmp_path / "still.png", rgb).rename(tmp_path / "still.mp4"))
    assert clip.shape == (1, 5, 9) and (clip.frames == 77).all()


def test_folder_of_frames_loads_in_name_order(tmp_path):
    folder = tmp_path / "shots"
    folder.mkdir()
    for number in (10, 2, 1, 0):  # written out of order; frame10 must come last, not after frame1
        save_png(folder / f"frame{number}.png", np.full((6, 8, 3), number * 20, np.uint8))
    (folder / "notes.txt").write_text("not a frame")
    clip = load_clip(folder)
    assert clip.shape == (4, 6, 8) and clip.name == "shots" and clip.fps == DEFAULT_FPS
    assert clip.frames[:, 0, 0, 0].tolist() == [0, 20, 40, 200]


def test_folder_caps_apply(tmp_path):
    for number in range(5):
        save_png(tmp_path / f"{number:03d}.png", np.full((40, 20, 3), number, np.uint8))
    clip = load_clip(tmp_path, max_frames=3, max_size=10)
    assert clip.shape == (3, 10, 5)
    assert "kept the first 3 of 5 frames (--max-frames 3)" in clip.notes


def test_folder_of_mixed_sizes_names_two_frames(tmp_path):
    save_png(tmp_path / "a.png", np.zeros((12, 10, 3), np.uint8))
    save_png(tmp_path / "b.png", np.zeros((12, 20, 3), np.uint8))
    error = assert_clip_error(tmp_path)
    assert "a.png is 10x12" in str(error) and "b.png is 20x12" in str(error)


def test_empty_folder_has_no_frames(tmp_path):
    assert "contains no frames" in str(assert_clip_error(tmp_path))


def test_text_named_mp4_is_refused(tmp_path):
    path = tmp_path / "notes.mp4"
    path.write_text("this is not a video\n" * 20)
    error = assert_clip_error(path)
    assert "not a video or image file" in str(error) and error.__cause__ is not None


def test_empty_file_is_refused(tmp_path):
    path = tmp_path / "nothing.mp4"
    path.touch()
    assert "file is empty" in str(assert_clip_error(path))


def test_truncated_mp4_is_refused(tmp_path):
    path = tmp_path / "cut.mp4"
    path.write_bytes(PLANT.read_bytes()[:2000])
    assert_clip_error(path)


def test_missing_path_is_refused(tmp_path):
    assert "no such file or folder" in str(assert_clip_error(tmp_path / "gone.mp4"))


def test_clip_error_is_a_value_error_with_one_line(tmp_path):
    error = ClipError(tmp_path / "x.gif", "first line\nsecond line")
    assert isinstance(error, ValueError) and str(error) == f"{tmp_path / 'x.gif'}: first line second line"


def test_clip_refuses_wrong_frames():
    with pytest.raises(AssertionError):
        Clip(np.zeros((1, 4, 4, 3), np.float32), 10.0, "x")
    with pytest.raises(AssertionError):
        Clip(np.zeros((4, 4, 3), np.uint8), 10.0, "x")
