"""Model size beside the clip: the summary's bytes are the shipped file's, exactly; the verdict
calls a model larger or smaller than the raw clip and its H.264 MP4, with the ratio."""

import numpy as np
import pytest

from conftest import ASSETS
from inr.core.evaluate import sizes
from inr.core.media.io import load_clip
from inr import api


@pytest.fixture(scope="module")
def small_grid():
    """The default grid on 8 frames of the jelly clip at 48 px, fitted a few steps."""
    clip = load_clip(ASSETS / "jelly_small.mp4", max_frames=8, max_size=48)
    run = api.prepare([clip], device="cpu", steps=5, seconds=None)
    for _ in api.fit(run):
        pass
    return run


def test_model_bytes_are_the_bytes_of_the_shipped_file(small_grid, tmp_path):
    s = api.summary(small_grid)
    path = api.save(small_grid, tmp_path / "shipped.safetensors", optimizer=False)
    assert s["model_bytes"] == path.stat().st_size
    assert s["bits_per_pixel"] == 8 * path.stat().st_size / (8 * 27 * 48)
    with_adam = api.save(small_grid, tmp_path / "resumable.safetensors")  # what the CLI keeps for --resume
    assert with_adam.stat().st_size > 2 * s["model_bytes"]
    assert api.summary(small_grid)["model_bytes"] == s["model_bytes"]  # the file holds no size of its own


def test_a_loaded_checkpoint_reports_its_file_and_the_saved_h264_figures(small_grid, tmp_path):
    s = api.summary(small_grid)
    path = api.save(small_grid, tmp_path / "shipped.safetensors", optimizer=False)
    loaded = api.summary(api.load(path))  # no clip attached: the H.264 figures are the saved ones
    assert loaded["model_bytes"] == path.stat().st_size
    for key in ("raw_bytes", "h264_bytes", "h264_psnr", "size_verdict", "train_psnr"):
        assert loaded[key] == s[key], key


def test_the_default_grid_is_called_larger_than_a_small_clip(small_grid):
    s = api.summary(small_grid)
    assert s["raw_bytes"] == 8 * 27 * 48 * 3
    assert 0 < s["h264_bytes"] < s["raw_bytes"] and 25 < s["h264_psnr"] < 45  # measured 2.1 KB, 29.5 dB
    assert s["model_bytes"] > s["raw_bytes"]  # measured 46 KB against 31 KB raw
    raw_ratio = sizes.ratio(s["model_bytes"], s["raw_bytes"])
    h264_ratio = sizes.ratio(s["model_bytes"], s["h264_bytes"])
    assert s["size_verdict"] == (
        f"the model is {sizes.human_bytes(s['model_bytes'])}: larger than the raw clip ({raw_ratio} its "
        f"{sizes.human_bytes(s['raw_bytes'])}) and larger than the clip's H.264 MP4 ({h264_ratio} its "
        f"{sizes.human_bytes(s['h264_bytes'])} at CRF 23, {s['h264_psnr']:.1f} dB)")


def test_a_fourier_mlp_on_a_longer_clip_is_called_smaller_than_the_raw_clip():
    clip = load_clip(ASSETS / "jelly_small.mp4", max_frames=30, max_size=160)  # 30 frames of 160x90
    s = api.summary(api.prepare([clip], arch="fourier", device="cpu"))
    assert s["model_bytes"] < s["raw_bytes"]  # measured 535 KB against 1.3 MB
    assert f"smaller than the raw clip ({sizes.ratio(s['model_bytes'], s['raw_bytes'])} its" in s["size_verdict"]
    assert "but larger than the clip's H.264 MP4" in s["size_verdict"]  # 55x its 9.7 KB


def test_the_verdict_names_each_side_and_joins_them_plainly():
    assert sizes.size_verdict(60_000, 1_500_000, 84_000, 38.24) == (
        "the model is 60 KB: smaller than the raw clip (0.04x its 1.5 MB) and smaller than the clip's H.264 MP4 "
        "(0.71x its 84 KB at CRF 23, 38.2 dB)")
    assert sizes.size_verdict(4_900_000, 1_600_000) == "the model is 4.9 MB: larger than the raw clip (3.1x its 1.6 MB)"


@pytest.mark.parametrize("count, text", [(999, "999 bytes"), (1000, "1.0 KB"), (9_949, "9.9 KB"), (84_321, "84 KB"),
                                         (999_499, "999 KB"), (999_500, "1.0 MB"), (4_572_436, "4.6 MB"),
                                         (12_000_000_000, "12 GB")])
def test_byte_counts_read_as_people_write_them(count, text):
    assert sizes.human_bytes(count) == text


def test_several_clips_add_their_bytes_and_pool_their_error():
    a = {"raw_bytes": 300, "h264_bytes": 10, "h264_psnr": 30.0}
    b = {"raw_bytes": 600, "h264_bytes": 20, "h264_psnr": 40.0}
    both = sizes.total([a, b])
    assert both["raw_bytes"] == 900 and both["h264_bytes"] == 30
    assert both["h264_psnr"] == pytest.approx(-10 * np.log10((1e-3 * 300 + 1e-4 * 600) / 900))


def test_frames_that_are_not_rgb_uint8_are_refused():
    with pytest.raises(ValueError, match="uint8"):
        sizes.clip_sizes(np.zeros((2, 8, 8, 3), np.float32), 30.0)


def test_the_engine_encodes_h264_only_when_a_summary_asks(tmp_path, monkeypatch):
    clip = load_clip(ASSETS / "jelly_small.mp4", max_frames=4, max_size=32)
    run = api.prepare([clip], arch="grid", device="cpu", steps=2, seconds=None)
    for _ in api.fit(run):
        pass
    encodes = []
    monkeypatch.setattr(sizes, "clip_sizes", lambda frames, fps: encodes.append(fps) or
                        {"raw_bytes": frames.size, "h264_bytes": 1000, "h264_psnr": 30.0})
    api.save(run, tmp_path / "a.safetensors")
    quick = api.summary(run, sizes=False)
    assert not encodes and quick["h264_bytes"] is None and quick["raw_bytes"] == 4 * 18 * 32 * 3
    assert "H.264" not in quick["size_verdict"]
    assert api.summary(run)["h264_bytes"] == 1000 and len(encodes) == 1
    api.summary(run)
    assert len(encodes) == 1  # measured once per run
    saved = api.load(api.save(run, tmp_path / "b.safetensors"), "cpu")
    assert api.summary(saved)["h264_bytes"] == 1000 and len(encodes) == 1  # the checkpoint kept it
