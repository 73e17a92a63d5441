"""Writing clips: round trips through real decoders, streaming, atomic writes, bad arguments."""


import imageio.v3 as iio
import numpy as np
from PIL import Image
import pytest

from conftest import ASSETS

from inr.core.media import export
from inr.core.media.export import gif_delay_ms, pad_to_even, write_clip, write_gif, write_mp4
from inr.core.media.io import load_clip

PLANT = ASSETS / "office_plant.mp4"
WRITERS = [write_gif, write_mp4]


@pytest.fixture(scope="module")
def frames() -> np.ndarray:
    """Five real frames of an odd size, 47x33: (5, 33, 47, 3) uint8."""
    return np.ascontiguousarray(load_clip(PLANT, max_frames=5).frames[:, 100:133, 150:197])


def failing(frames: np.ndarray, after: int):
    """Yield `after` frames, then fail as a render might."""
    yield from frames[:after]
    raise RuntimeError("render failed")


def test_mp4_round_trip_pads_odd_sides(tmp_path, frames):
    path = write_mp4(tmp_path / "clip.mp4", frames, fps=12.0)
    assert path == tmp_path / "clip.mp4"
    back = iio.imread(path, plugin="FFMPEG")
    assert back.shape == (5, 34, 48, 3)
    assert np.abs(back[:, :33, :47].astype(int) - frames).mean() < 8
    # The padding repeats the last row and column rather than adding black.
    assert np.abs(back[:, 33].astype(int) - back[:, 32]).mean() < 8
    assert np.abs(back[:, :, 47].astype(int) - back[:, :, 46]).mean() < 8
    meta = iio.immeta(path, plugin="FFMPEG")
    assert meta["codec"] == "h264" and meta["pix_fmt"].startswith("yuv420p")
    assert meta["fps"] == pytest.approx(12.0)


def test_gif_round_trip_loops_at_the_asked_rate(tmp_path, frames):
    path = write_gif(tmp_path / "clip.gif", frames, fps=10.0)
    back = iio.imread(path, index=None)
    assert back.shape[:3] == (5, 33, 47)
    assert np.abs(back[..., :3].astype(int) - frames).mean() < 8
    meta = iio.immeta(path, index=0)
    assert meta["duration"] == 100 and meta["loop"] == 0


@pytest.mark.parametrize("fps, ms", [
    (10, 100), (30, 30), (24, 40), (25, 40), (40, 30), (12.5, 80), (0.5, 2000),  # the first frame's
    (100, 20),  # 10 ms would play at 100 ms in browsers
    (1e-6, 655_350),  # the longest delay GIF can store
])
def test_gif_delay_is_the_nearest_whole_10_ms(fps, ms):
    assert gif_delay_ms(fps) == ms


def test_gif_stores_the_delay_it_was_given(tmp_path, frames):
    path = write_gif(tmp_path / "fast.gif", frames, fps=30.0)
    assert iio.immeta(path, index=0)["duration"] == gif_delay_ms(30.0) == 30


@pytest.mark.parametrize("fps", [40.0, 24.0, 30.0, 29.97, 12.5])
def test_gif_frame_delays_average_the_clip_rate(tmp_path, fps):
    rng = np.random.default_rng(0)
    clip = rng.integers(0, 256, size=(48, 8, 10, 3), dtype=np.uint8)  # no two frames alike: none merged
    path = write_gif(tmp_path / "clip.gif", clip, fps=fps)
    with Image.open(path) as gif:
        delays = []
        for i in range(gif.n_frames):
            gif.seek(i)
            delays.append(gif.info["duration"])
    assert len(delays) == 48 and all(d % 10 == 0 and d >= 20 for d in delays)
    assert abs(sum(delays) - 48 * 1000 / fps) <= 5  # the clip plays as long as it lasts, to GIF's 10 ms
    assert max(delays) - min(delays) <= 10  # alternating neighbours of 1000 / fps, never a drift


def test_pad_to_even_repeats_the_edge():
    frame = np.arange(3 * 5 * 3, dtype=np.uint8).reshape(3, 5, 3)
    padded = pad_to_even(frame)
    assert padded.shape == (4, 6, 3)
    np.testing.assert_array_equal(padded[:3, :5], frame)
    np.testing.assert_array_equal(padded[3, :5], frame[2])
    np.testing.assert_array_equal(padded[:3, 5], frame[:, 4])
    assert pad_to_even(frame[:2, :4]).shape == (2, 4, 3)


@pytest.mark.parametrize("suffix", [".gif", ".mp4"])
def test_exports_load_back_as_clips(tmp_path, frames, suffix):
    clip = load_clip(write_clip(tmp_path / f"clip{suffix}", frames, fps=10.0))
    assert clip.shape[0] == 5 and clip.fps == pytest.approx(10.0)


@pytest.mark.parametrize("writer", WRITERS)
def test_frames_stream_from_a_generator(tmp_path, frames, writer):
    suffix = ".gif" if writer is write_gif else ".mp4"
    path = writer(tmp_path / f"stream{suffix}", (frame for frame in frames), fps=10.0)
    assert load_clip(path).shape == ((5, 33, 47) if suffix == ".gif" else (5, 34, 48))


def test_mp4_encodes_each_frame_before_the_next_is_made(tmp_path, frames, monkeypatch):
    events = []
    real_get_writer = export.iio2.get_writer

    def logging_get_writer(*args, **kwargs):
        writer = real_get_writer(*args, **kwargs)
        append = writer.append_data
        writer.append_data = lambda frame: (events.append("encode"), append(frame))
        return writer

    def render():
        for frame in frames:
            events.append("render")
            yield frame

    monkeypatch.setattr(export.iio2, "get_writer", logging_get_writer)
    write_mp4(tmp_path / "stream.mp4", render(), fps=10.0)
    assert events == ["render", "encode"] * 5


@pytest.mark.parametrize("writer", WRITERS)
def test_failed_write_leaves_no_file(tmp_path, frames, writer):
    path = tmp_path / "out" / ("clip.gif" if writer is write_gif else "clip.mp4")
    with pytest.raises(RuntimeError, match="render failed"):
        writer(path, failing(frames, after=2), fps=10.0)
    assert not path.exists()
    assert list(path.parent.iterdir()) == []  # no temporary file left behind either


@pytest.mark.parametrize("writer", WRITERS)
def test_failed_write_keeps_the_previous_file(tmp_path, frames, writer):
    path = writer(tmp_path / ("clip.gif" if writer is write_gif else "clip.mp4"), frames, fps=10.0)
    before = path.read_bytes()
    with pytest.raises(RuntimeError):
        writer(path, failing(frames[::-1], after=3), fps=10.0)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == [path.name]


def test_missing_folders_are_created(tmp_path, frames):
    path = write_clip(tmp_path / "a" / "b" / "clip.mp4", frames, fps=10.0)
    assert path.is_file() and path.stat().st_size > 0


def test_numpy_fps_is_accepted(tmp_path, frames):
    path = write_mp4(tmp_path / "clip.mp4", frames, fps=np.float32(12.5))
    assert iio.immeta(path, plugin="FFMPEG")["fps"] == pytest.approx(12.5)


@pytest.mark.parametrize("fps", [0, -1.0, float("nan"), float("inf"), "10", None, True])
@pytest.mark.parametrize("writer", WRITERS)
def test_fps_must_be_finite_and_positive(tmp_path, frames, writer, fps):
    with pytest.raises(ValueError, match="fps") as caught:
        writer(tmp_path / "clip.out", frames, fps=fps)
    assert repr(fps) in str(caught.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("bad, expected", [
    (np.zeros((2, 8, 8, 3), np.float32), "float32"),
    (np.zeros((2, 8, 8), np.uint8), "(2, 8, 8)"),
    (np.zeros((2, 8, 8, 4), np.uint8), "(2, 8, 8, 4)"),
    (np.zeros((0, 8, 8, 3), np.uint8), "none"),
    (iter([]), "none"),
    ([np.zeros((8, 8, 3), np.uint8), np.zeros((8, 8, 3), np.uint16)], "frame 1"),
    ([np.zeros((8, 8, 3), np.uint8), np.zeros((8, 10, 3), np.uint8)], "frame 1 is 10x8"),
    (42, "int"),
])
@pytest.mark.parametrize("writer", WRITERS)
def test_frames_must_be_uint8_rgb(tmp_path, writer, bad, expected):
    with pytest.raises(ValueError, match="frame") as caught:
        writer(tmp_path / "clip.out", bad, fps=10.0)
    assert expected in str(caught.value)
    assert list(tmp_path.iterdir()) == []


def test_write_clip_picks_the_format_by_suffix(tmp_path, frames):
    assert iio.immeta(write_clip(tmp_path / "a.GIF", frames, 10.0), index=0)["version"] == b"GIF89a"
    assert iio.immeta(write_clip(tmp_path / "a.mp4", frames, 10.0), plugin="FFMPEG")["codec"] == "h264"
    with pytest.raises(ValueError, match=r"\.gif or \.mp4") as caught:
        write_clip(tmp_path / "a.avi", frames, 10.0)
    assert "a.avi" in str(caught.value)
