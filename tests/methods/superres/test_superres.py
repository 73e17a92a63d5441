"""Space-time super-resolution: degradation, classical rebuilds, priors, and the evaluation."""

import json
import re
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import ASSETS, ROOT
from inr.core.evaluate.baselines import upscale_space, upscale_time
from inr.methods.superres import degrade
from inr import api
from views import fit, render


def test_degrade_area_averages_and_keeps_whole_frame_gaps():
    frames = np.random.default_rng(0).integers(0, 256, (10, 8, 12, 3), dtype=np.uint8)
    d = degrade.degrade(frames, space=2, time=4)
    assert d.target.shape == (9, 8, 12, 3)  # 10 frames hold two whole gaps of 4: frames 0..8
    assert d.low.shape == (3, 4, 6, 3)
    block = frames[4, 2:4, 6:8].reshape(-1, 3).astype(float).mean(0)  # area average of one 2x2 block
    assert np.abs(d.low[1, 1, 3] - block).max() <= 1
    big = np.zeros((4, 20, 30, 3), np.uint8)
    assert degrade.degrade(big, space=2.5).low.shape == (4, 8, 12, 3)  # non-integer factors too


@pytest.mark.parametrize("space, time, match", [(0.5, 1, "spatial"), (float("nan"), 1, "spatial"),
                                                (1, 0, "temporal"), (1, 2.5, "temporal"),
                                                (1, 20, "one frame"), (10, 1, "under 4 pixels")])
def test_degrade_refuses_bad_factors(space, time, match):
    with pytest.raises(ValueError, match=match):
        degrade.degrade(np.zeros((10, 24, 24, 3), np.uint8), space, time)


def test_classical_upscale_keeps_kept_frames_and_has_no_half_pixel_shift():
    low = torch.rand(3, 5, 6, 3)
    blended = upscale_time(low, 7)  # 3x: kept frames land on 0, 3, 6
    assert torch.equal(blended[::3], low)
    assert torch.allclose(blended[1], low[0] * 2 / 3 + low[1] / 3)
    # A ramp in x, area-averaged 2x, upscaled bilinearly: the interior comes back exactly, which it
    # would not if the upscale sampled pixel corners instead of centres.
    ramp = torch.arange(16.0).div(16).view(1, 1, 16, 1).expand(1, 4, 16, 3)
    small = ramp.view(1, 4, 8, 2, 3).mean(3)
    up = upscale_space(small, 4, 16, "bilinear")
    assert torch.allclose(up[..., 1:-1, :], ramp[..., 1:-1, :], atol=1e-6)


def test_classical_names_the_rebuild_for_each_kind_of_scale():
    low = np.zeros((3, 4, 6, 3), np.uint8)
    assert set(degrade.classical(low, (3, 8, 12))) == {"bilinear", "bicubic", "lanczos"}
    assert set(degrade.classical(low, (5, 4, 6))) == {"linear blending", "minterpolate"}
    assert set(degrade.classical(low, (5, 8, 12))) == {"trilinear", "bicubic + linear blending",
                                                        "lanczos + minterpolate"}
    assert degrade.methods(low.shape[:3], (5, 8, 12))[:2] == ("bicubic + linear blending", "lanczos + minterpolate")
    assert degrade.classical_name(low.shape[:3], (5, 8, 12)) == "bicubic + linear blending"
    frame = degrade.classical_frame(np.stack([low[0], low[0] + 90, low[0]]), (5, 8, 12), 1)
    assert frame.shape == (8, 12, 3) and torch.allclose(frame, torch.full_like(frame, 45 / 255))


def test_minterpolate_rebuilds_a_real_clip_aligned_and_beats_blending_where_things_move(jelly):
    d = degrade.degrade(jelly.frames, 1, 2)  # 11 frames of 64x36: 6 kept
    shape = d.target.shape[:3]
    mci, blend = degrade.rebuild(d.low, shape, "minterpolate"), degrade.rebuild(d.low, shape, "linear blending")
    low = torch.from_numpy(d.low).float() / 255
    assert mci.shape == blend.shape == (*shape, 3)
    assert (mci[::2] - low).abs().max() <= 2 / 255  # output 2k is kept frame k: aligned
    assert degrade.quality(mci, d.target, 2)["psnr_new_frames"] > degrade.quality(blend, d.target, 2)["psnr_new_frames"]
    with pytest.raises(ValueError, match="needs a spatial method"):
        degrade.rebuild(d.low, (shape[0], 72, 128), "minterpolate")


def test_evaluate_sr_scores_inr_and_classical_on_the_same_original_frames(plant):
    result = api.superres.evaluate(plant, space=2.0, time=2, device="cpu", steps=200, seconds=None, temporal=0.3)
    r = result.row
    assert r["input"] == [6, 18, 24] and r["output"] == [11, 36, 48]
    assert result.inr.shape == result.classical.shape == result.target.shape == (11, 36, 48, 3)
    names = {"trilinear", "bicubic + linear blending", "lanczos + minterpolate"}
    assert r["classical"] in names and set(r["classical_all"]) == set(r["classical_all_new_frames"]) == names
    assert r["temporal"] == 0.3 and r["steps"] == 200
    for key in ("inr_psnr", "classical_psnr", "inr_psnr_new_frames", "classical_psnr_new_frames", "bicubic_psnr",
                "lanczos_psnr", "blend_psnr_new_frames", "mci_psnr_new_frames"):
        assert 15 < r[key] < 60, (key, r[key])
    assert r["classical_psnr"] == max(r["classical_all"].values())  # the best includes Lanczos + minterpolate
    assert r["blend_psnr_new_frames"] == r["classical_all_new_frames"]["bicubic + linear blending"]
    assert r["mci_psnr_new_frames"] == r["classical_all_new_frames"]["lanczos + minterpolate"]
    assert r["inr_psnr"] > r["classical_psnr"] - 3  # a quality floor: close to the classical rebuild
    assert 0 < r["inr_ssim"] <= 1 and 0 < r["classical_ssim"] <= 1


def test_multi_frame_upscaling_puts_the_content_on_the_originals_pixels(plant):
    study = api.superres.prepare_study(plant, space=2.0, time=1, device="cpu", multiframe=True, steps=3, seconds=None)
    frames, height, width = plant.frames.shape[:3]
    encoding = study.run.model.cfg.encoding
    assert study.run.arch == "motion" and tuple(encoding.finest) == (frames, height, width)
    assert (study.run.fit_cfg.temporal, study.run.fit_cfg.curvature) == (0.5, 0.01)  # its neighbours fill it
    for _ in api.fit(study.run):
        pass
    assert api.superres.score(study).inr.shape == plant.frames.shape
    with pytest.raises(ValueError, match="spatial factor that shrinks"):
        api.superres.prepare_study(plant, space=1.0, time=2, device="cpu", multiframe=True)
    with pytest.raises(ValueError, match="no multi-frame upscaling"):
        api.superres.prepare_study(plant, space=2.0, time=1, arch="grid", device="cpu", multiframe=True)


def test_a_study_fitted_step_by_step_scores_what_evaluate_scores(plant):
    """prepare_study -> fit -> score (how the CLI shows progress) is evaluate, split open."""
    whole = api.superres.evaluate(plant, space=2.0, time=2, device="cpu", steps=30, seconds=None)
    study = api.superres.prepare_study(plant, space=2.0, time=2, device="cpu", steps=30, seconds=None)
    records = list(api.fit(study.run))
    parts = api.superres.score(study)
    assert records[-1].final and records[-1].step == 30
    assert parts.row["inr_psnr"] == whole.row["inr_psnr"] and np.array_equal(parts.inr, whole.inr)
    assert parts.row["classical_psnr"] == whole.row["classical_psnr"]


@pytest.mark.slow
def test_cli_evaluate_sr_prints_the_rows_as_json(tmp_path):
    out = subprocess.run([sys.executable, "-m", "inr", "evaluate-sr", str(ASSETS / "office_plant.mp4"),
                          "--space", "2.5", "--time", "2", "--both", "--max-frames", "9", "--max-size", "40",
                          "--steps", "40", "--device", "cpu", "--json"],
                         cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout.strip().splitlines()[-1])["rows"]
    assert [(r["space"], r["time"]) for r in rows] == [(2.5, 1), (1.0, 2), (2.5, 2)]
    for r in rows:
        assert {"inr_psnr", "classical_psnr", "inr_ssim", "classical_ssim", "classical", "classical_all"} <= set(r)
    space, time, both = rows
    assert {"bicubic_psnr", "lanczos_psnr"} <= set(space) and "mci_psnr_new_frames" not in space
    assert set(time["classical_all"]) == {"linear blending", "minterpolate"} and "lanczos_psnr" not in time
    assert {"inr_psnr_new_frames", "blend_psnr_new_frames", "mci_psnr_new_frames", "classical_psnr_new_frames",
            "classical_all_new_frames"} <= set(time) - {"rife_psnr_new_frames"} <= set(both)  # RIFE: where installed
    assert "lanczos_psnr" in both and time["classical_psnr"] == max(time["classical_all"].values())
    table = out.stdout.splitlines()[:3]  # the rows, printed as the fits end: the INR beside each method
    assert table[0].split()[5:8] == [f"{space['bicubic_psnr']:.2f}", f"{space['lanczos_psnr']:.2f}", "-"]
    assert table[1].split()[5:10] == ["-", "-", f"{time['inr_psnr_new_frames']:.2f}",
                                      f"{time['blend_psnr_new_frames']:.2f}", f"{time['mci_psnr_new_frames']:.2f}"]
    progress = [line for line in out.stderr.splitlines() if "  step " in line]
    for label in ("2.5x space, 1x time", "1x space, 2x time", "2.5x space, 2x time"):  # each fit shows its curve
        assert any(line.startswith(label) and line.endswith(" dB") for line in progress), out.stderr
    bad = subprocess.run([sys.executable, "-m", "inr", "evaluate-sr", str(ASSETS / "office_plant.mp4"),
                          "--space", "0.5"], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 2 and len(bad.stderr.strip().splitlines()) == 1 and ">= 1" in bad.stderr


@pytest.mark.slow
def test_app_compares_with_classical_upscaling_and_checks_against_the_original(tmp_path):
    session = fit.on_load(None)["session"]
    session.folder = tmp_path / "s"
    t, h, w = session.run.clips[0].shape
    shown = render.on_render_preview(session, 1.0, 2.0, 0, 0, 0, True)
    image, info = shown["preview"], shown["info"]
    assert image.shape[:2] == (h + 14, 3 * w + 8) and "**INR** | **linear blending** | **minterpolate**" in info
    shown = render.on_render_preview(session, 2.0, 1.0, 0, 0, 0, True)
    image, info = shown["preview"], shown["info"]
    assert image.shape[:2] == (2 * h + 14, 3 * 2 * w + 8) and "**bicubic** | **lanczos**" in info
    rendered = render.on_render(session, 0.5, 1.0, 0, 0, 4, True)
    video, files, info = rendered["video"], rendered["files"], rendered["info"]
    assert video.endswith("_inr_vs_classical.mp4") and len(files) == 3
    assert "INR | bicubic + linear blending | lanczos + minterpolate" in info
    checked = render.on_sr_check(session, 2.0, 2, 2, True)
    image, table, path = checked["image"], checked["table"], checked["video"]
    assert "| INR" in table and "dB" in table and path.endswith(".mp4")
    panels = 2 + 3  # the original, the INR, bicubic + blending, Lanczos + minterpolate, trilinear
    assert image.shape[:2] == (h + 14, panels * w + (panels - 1) * 4)
    zoomed = checked["zoomed"]
    assert checked["zoom"] == 4 and 0 <= checked["zoom_x"] <= 100 and zoomed.shape[:2] == (h // 4 * 4 + 14, image.shape[1])
    again = render.on_sr_zoom(session, 2, 0, 100)  # bottom-left, 2x: the crop stays inside the frame
    assert again.shape[:2] == (h // 2 * 2 + 14, image.shape[1])
    assert np.array_equal(again[:h // 2 * 2, :w // 2 * 2], api.enlarge(checked_original(session)[h - h // 2:, :w // 2], 2))
    with pytest.warns(UserWarning, match="spatial factor"):
        render.on_sr_check(session, 0.5, 1, 2, False)


def checked_original(session) -> np.ndarray:
    return dict(session.views["render_sr"])["original"]


@pytest.mark.slow
def test_the_low_frame_rate_example_renders_at_4x_beside_blending_scored_on_its_original(tmp_path):
    session = fit.on_load(None)["session"]
    session.folder = tmp_path / "s"
    fit.on_example(session, "jelly_every4.mp4", None)
    assert session.name == "jelly_every4.mp4" and session.run.clips[0].frames == 25
    info = render.on_render_preview(session, 1.0, 4.0, 0, 0, 0, True)["info"]
    assert "97 frames of 160×90" in info and re.search(r"against the original frame \d+, a new frame \(", info)
    assert len(re.findall(r"[\d.]+ dB", info)) == 3  # INR, linear blending, minterpolate
    cached = session.views["render"]["frames"]
    info = render.on_render(session, 1.0, 4.0, 0, 0, 0, True)["info"]
    assert session.views["render"]["frames"] is cached  # minterpolate ran once for the preview and the render
    ours, blending, mci = (float(v) for v in re.findall(r"([\d.]+) dB", info))
    assert "the 72 new frames" in info and "linear blending" in info and "minterpolate" in info
    assert 20 < blending < mci < 45  # the jelly moves: motion compensation beats blending
    assert session.run.arch == "motion" and ours > mci + 0.5  # and the shipped motion field beats both
    info = render.on_render_preview(session, 2.0, 4.0, 0, 0, 0, True)["info"]  # not the original's size: no score
    assert "against the original" not in info


@pytest.mark.slow
def test_the_render_tab_shows_what_a_motion_field_learned(tmp_path):
    session = fit.on_load(None)["session"]  # the default example's grid: nothing moves
    shown = render.on_motion_view(session, 0)
    image, caption = shown["image"], shown["info"]
    assert image is None and "has no motion" in caption
    fit.on_example(session, "jelly_every4.mp4", None)
    t, h, w = session.run.clips[0].shape
    shown = render.on_motion_view(session, 30)  # past the end: the last gap
    image, caption, update = shown["image"], shown["info"], shown["gap"]
    assert f"gap {t - 2} → {t - 1} of {t - 1}" in caption and update["maximum"] == t - 2
    assert image.shape[0] == 2 * h and image.shape[1] > 3 * 2 * w and image.dtype == np.uint8
