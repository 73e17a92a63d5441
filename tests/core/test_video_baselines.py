"""The classical codecs: each round-trips a real clip at odd sizes, quality and bytes move the right
way with the CRF, a sweep reaches the rates asked of it, and the files carry no encoder text."""

import numpy as np
import pytest

from conftest import ASSETS
from inr.core.evaluate import video_baselines
from inr.core.media import ffmpeg
from inr.core.media.io import load_clip


@pytest.fixture(scope="module")
def small():
    """6 frames of office_plant.mp4 at 47x35: odd both ways, so 4:2:0 pads and crops."""
    return load_clip(ASSETS / "office_plant.mp4", max_frames=6, max_size=47)


def test_the_shipped_ffmpeg_has_every_codec_in_the_table():
    assert {c.encoder for c in video_baselines.CODECS.values()} <= ffmpeg.encoders()


@pytest.mark.parametrize("name", sorted(video_baselines.CODECS))
def test_each_codec_round_trips_a_real_clip(small, name):
    spec = video_baselines.CODECS[name]
    low, high = spec.crf_range
    points = video_baselines.sweep(small.frames, small.fps, name, [low + 9, (low + high) // 2, high])
    assert [p["codec"] for p in points] == [name] * 3
    psnrs, sizes = [p["psnr"] for p in points], [p["bytes"] for p in points]
    assert psnrs[0] > psnrs[1] > psnrs[2] and sizes[0] > sizes[1] > sizes[2], points
    assert psnrs[0] > 34  # a near-best CRF on a real clip, scored on RGB through the YUV conversion
    pixels = np.prod(small.frames.shape[:3])
    for p in points:
        assert p["bpp"] == pytest.approx(8 * p["bytes"] / pixels)
        assert 0 < p["stream_bytes"] < p["bytes"] and p["seconds"] > 0 and 0 < p["ssim"] <= 1


def test_the_files_carry_no_encoder_settings_text(small, tmp_path):
    # x264 and x265 would write ~0.7 and ~2.3 KB of text: a third of a small file
    for name, text in (("x264", b"x264 - core"), ("x265", b"x265 (build")):
        video_baselines.encode(small.frames, small.fps, name, 30, tmp_path)
        data = (tmp_path / f"{name}_crf30.mp4").read_bytes()
        assert text not in data and b"Lavf" not in data


@pytest.mark.slow
def test_the_sweep_is_extended_until_it_brackets_the_targets(small):
    spec = video_baselines.CODECS["x264"]
    middle = video_baselines.sweep(small.frames, small.fps, spec, [30])[0]["bpp"]
    targets = (0.9 * middle, 2.5 * middle)
    points = video_baselines.sweep_to(small.frames, small.fps, spec, targets, crfs=[30])
    crfs, bpps = [p["crf"] for p in points], [p["bpp"] for p in points]
    assert crfs == sorted(crfs) and len(crfs) > 2 and all(c % 3 == 0 for c in crfs)
    assert min(bpps) <= min(targets) and max(bpps) >= max(targets)
    # a target below what the worst CRF makes (files have a floor) ends the curve at the range's end
    floor = video_baselines.sweep_to(small.frames, small.fps, spec, (1e-4,), crfs=[45])
    assert [p["crf"] for p in floor] == [45, 48, 51]


def test_bad_codec_and_crf_are_value_errors(small, tmp_path):
    with pytest.raises(ValueError, match=r"codec must be one of \['av1', .*got 'vp9'"):
        video_baselines.encode(small.frames, small.fps, "vp9", 30, tmp_path)
    with pytest.raises(ValueError, match="crf for av1 must be in 1..63, got 0"):
        video_baselines.encode(small.frames, small.fps, "av1", 0, tmp_path)
    with pytest.raises(ValueError, match=r"bpps must be one or more rates > 0, got \(\)"):
        video_baselines.sweep_to(small.frames, small.fps, "x264", ())
    with pytest.raises(ValueError, match=r"uint8 frames \(T, H, W, 3\)"):
        video_baselines.encode(small.frames.astype(np.float32), small.fps, "x264", 30, tmp_path)


def test_gif_scores_the_clip(small):
    out = video_baselines.gif(small.frames, small.fps)
    assert out["codec"] == "gif" and out["psnr"] > 25 and out["bpp"] == pytest.approx(
        8 * out["bytes"] / np.prod(small.frames.shape[:3]))


@pytest.mark.slow
def test_decoded_at_size_is_the_crf_whose_file_is_closest(small):
    points = video_baselines.sweep(small.frames, small.fps, "x264", [24, 27, 30])
    sizes = {p["crf"]: p["bytes"] for p in points}
    assert sizes[24] > sizes[27] > sizes[30]
    for crf, size in ((27, sizes[27]), (27, sizes[27] + 1), (24, sizes[24] - 1), (30, sizes[30] + 1)):
        frames, row = video_baselines.decoded_at_size(small.frames, small.fps, "x264", int(size))
        assert row["crf"] == crf and row["bytes"] == sizes[crf], (size, row)
    # the frames are the ones the row scored, the clip's shape, and a size beyond the range ends it
    assert frames.shape == small.frames.shape and frames.dtype == np.uint8
    assert video_baselines.quality(frames, small.frames)[0] == pytest.approx(row["psnr"])
    assert video_baselines.decoded_at_size(small.frames, small.fps, "x264", 1)[1]["crf"] == 51
    with pytest.raises(ValueError, match="size must be a whole number of bytes > 0, got 0"):
        video_baselines.decoded_at_size(small.frames, small.fps, "x264", 0)
