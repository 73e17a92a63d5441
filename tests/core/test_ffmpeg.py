"""The one owner of the ffmpeg binary: filters it has, frames through pipes, clear errors."""

import numpy as np
import pytest

from inr.core.media import ffmpeg


def test_the_shipped_ffmpeg_has_the_filters_the_baselines_use():
    assert {"minterpolate", "scale"} <= ffmpeg.filters()


def test_frames_go_through_a_filter_and_come_back_raw_at_odd_sizes():
    frames = np.random.default_rng(0).integers(0, 256, (3, 23, 31, 3), dtype=np.uint8)
    assert np.array_equal(ffmpeg.filter_frames(frames, "null"), frames)  # rgb24 in and out: lossless
    out = ffmpeg.filter_frames(frames, "scale=47:15:flags=lanczos", size=(15, 47))
    assert out.shape == (3, 15, 47, 3) and out.dtype == np.uint8


def test_a_missing_filter_is_a_clear_value_error(monkeypatch):
    monkeypatch.setattr(ffmpeg, "filters", lambda: frozenset({"scale", "null"}))
    frames = np.zeros((2, 32, 32, 3), np.uint8)
    with pytest.raises(ValueError, match="ffmpeg that imageio-ffmpeg ships .* has no minterpolate filter"):
        ffmpeg.filter_frames(frames, "minterpolate=fps=2:mi_mode=mci")
    with pytest.raises(ValueError, match="no minterpolate filter"):  # the first filter of a chain passes, not the next
        ffmpeg.filter_frames(frames, "scale=64:64,minterpolate=fps=2")


def test_bad_frames_and_failed_runs_are_value_errors():
    with pytest.raises(ValueError, match=r"uint8 frames \(T, H, W, 3\)"):
        ffmpeg.filter_frames(np.zeros((2, 8, 8, 3), np.float32), "null")
    with pytest.raises(ValueError, match="ffmpeg failed"):
        ffmpeg.filter_frames(np.zeros((2, 8, 8, 3), np.uint8), "scale=w=-7:h=nonsense")
