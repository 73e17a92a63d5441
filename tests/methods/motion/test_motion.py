"""The motion field: content moved along flow between key frames, set from DIS flow on training pixels."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import ASSETS, ROOT, drain
from inr.core.evaluate.baselines import rebuild
from inr.core.field.coords import frame_times, pixel_centres
from inr.core.field.render import render_frames
from inr.methods.motion.arch import visible_frames
from inr.methods.motion.flow import gap_flows
from inr import api


def texture(height: int, width: int, seed: int = 0) -> np.ndarray:
    """A smooth random texture, float (H, W, 3) in [0, 1]: something flow can lock onto."""
    rng = np.random.default_rng(seed)
    small = torch.from_numpy(rng.random((1, 3, height // 6 + 2, width // 6 + 2))).float()
    big = torch.nn.functional.interpolate(small, size=(height, width), mode="bicubic", align_corners=False)
    return big[0].permute(1, 2, 0).clamp(0, 1).numpy()


def panning(frames: int = 9, height: int = 40, width: int = 48, speed: float = 1.5) -> api.Clip:
    """A texture sliding left by `speed` pixels a frame (cut from a wider one): uint8 (T, H, W, 3)."""
    wide = texture(height, width + int(speed * frames) + 4)
    out = []
    for k in range(frames):
        shift = speed * k
        whole, part = int(shift), shift - int(shift)
        crop = (1 - part) * wide[:, whole:whole + width] + part * wide[:, whole + 1:whole + 1 + width]
        out.append((crop * 255).round().astype(np.uint8))
    return api.Clip(np.stack(out), 10.0, "panning", ())


@pytest.mark.slow
def test_between_frames_move_content_and_beat_blending():
    clip = panning(frames=13)
    study = api.superres.prepare_study(clip, 1.0, 2, device="cpu", steps=300, seconds=None)
    assert study.run.arch == "motion" and study.run.notes[0].startswith("network: motion, the default")
    assert study.run.notes[1].startswith("optical flow for 6 frame gaps took")
    drain(api.fit(study.run))
    row = api.superres.score(study).row
    assert row["arch"] == "motion"
    # Blending two shifted textures ghosts; moving them does not (measured: about 36 vs 27 dB).
    assert row["inr_psnr_new_frames"] > row["blend_psnr_new_frames"] + 4


def test_lattice_and_scattered_reads_are_one_function():
    run = api.prepare([panning()], arch="motion", holdout="none", device="cpu", steps=30, seconds=None)
    drain(api.fit(run))
    model = run.model
    t = torch.tensor([-1.0, -0.4, 0.1, 0.25])  # keys and in-between instants
    y, x = pixel_centres(40), pixel_centres(48)
    with torch.no_grad():
        lattice = model.lattice(t, y, x)
        points = torch.stack(torch.meshgrid(t, y, x, indexing="ij"), -1).view(-1, 3)
        scattered = model(points).view(lattice.shape)
    assert torch.allclose(lattice, scattered, atol=1e-5)


def test_without_flow_a_between_frame_is_the_blend_of_its_keys():
    run = api.prepare([panning()], arch="motion", holdout="none", device="cpu", steps=20, seconds=None)
    drain(api.fit(run))
    model = run.model
    with torch.no_grad():
        model.encoding.flows.zero_()
        keys = frame_times(9)
        y, x = pixel_centres(40), pixel_centres(48)
        a, b = model.lattice(keys[2:4], y, x)
        middle = model.lattice(torch.lerp(keys[2], keys[3], 0.25)[None], y, x)[0]
    assert torch.allclose(middle, 0.75 * a + 0.25 * b, atol=1e-5)


def test_flow_sees_training_pixels_only():
    clip = panning().frames
    mask = api.prepare([api.Clip(clip, 10.0, "p", ())], arch="motion", device="cpu").data.masks[0]
    changed = clip.copy()
    changed[:, 1::2] = 0  # held-out rows of every2: the flow must not notice
    assert np.array_equal(visible_frames(clip, mask), visible_frames(changed, mask))
    assert visible_frames(clip, mask).shape == (9, 20, 24, 3)


def test_flow_follows_a_pan_and_a_cut_falls_back_to_blending():
    clip = panning(speed=2.0).frames
    flows, still = gap_flows(clip, (10, 12))
    assert still == []
    dx = flows[:, 0, 0].mean() * 48 / 2  # forward flow, x, in pixels
    assert -2.4 < float(dx) < -1.6  # the texture moves left 2 px a frame
    cut = np.concatenate([clip[:4], 255 - clip[4:]])
    assert 3 in gap_flows(cut, (10, 12))[1]


def cut() -> api.Clip:
    frames = panning().frames
    return api.Clip(np.concatenate([frames[:4], 255 - frames[4:]]), 10.0, "cut", ())


@pytest.mark.slow
@pytest.mark.parametrize("make, expected", [
    (lambda: panning(frames=1), "one frame: no motion to learn"),
    (lambda: api.Clip(np.repeat(panning().frames[:1], 6, 0), 10.0, "still", ()), "no coherent motion between any"),
    (cut, "1 of 8 frame gaps show no coherent motion"),
    (lambda: panning(height=12, width=14), "too small for optical flow"),
])
def test_clips_without_motion_fit_render_and_say_so(make, expected):
    clip = make()
    run = api.prepare([clip], arch="motion", device="cpu", steps=20, seconds=None)
    assert any(expected in note for note in run.notes)
    drain(api.fit(run))
    frames_iter, shape, _ = api.render(run, temporal_scale=3)
    out = np.stack(list(frames_iter))
    assert out.shape[0] == shape[0] and np.isfinite(out).all()


def test_one_clip_at_a_time(plant):
    with pytest.raises(ValueError, match="one clip at a time"):
        api.prepare([plant, plant], arch="motion", device="cpu")


def test_checkpoint_round_trip_renders_the_same_between_frames(tmp_path):
    run = api.prepare([panning()], arch="motion", device="cpu", steps=20, seconds=None)
    drain(api.fit(run))
    path = api.save(run, tmp_path / "m.safetensors")
    loaded = api.load(path, "cpu")
    assert loaded.arch == "motion" and api.motion.gaps(loaded) == 8
    a = np.stack(list(api.render(run, temporal_scale=2.5)[0]))
    b = np.stack(list(api.render(loaded, temporal_scale=2.5)[0]))
    assert np.array_equal(a, b)
    pictures = api.motion.learned(loaded, 3)
    assert list(pictures) == list(api.motion.PANEL_TITLES) and all(p.shape == (40, 48, 3) for p in pictures.values())
    with pytest.raises(ValueError, match="gap must be in 0..7"):
        api.motion.learned(loaded, 8)


@pytest.mark.slow
def test_cli_fits_the_motion_arch_and_draws_what_it_learned(tmp_path):
    done = subprocess.run([sys.executable, "-m", "inr", "fit", ASSETS / "jelly_small.mp4", "--arch", "motion",
                           "--out", tmp_path, "--steps", "20", "--max-frames", "6", "--max-size", "48",
                           "--device", "cpu", "--json"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["arch"] == "motion" and (tmp_path / "motion.png").is_file()


def fine_pan(frames: int = 10, height: int = 32, width: int = 40) -> api.Clip:
    """A fine random texture (a new value every 2 px) sliding 1 px a frame to the left: each frame's
    training pixels (even columns of every2) show its neighbours' held-out ones (odd columns)."""
    rng = np.random.default_rng(0)
    small = torch.from_numpy(rng.random((1, 3, height // 2 + 2, (width + frames) // 2 + 2))).float()
    wide = torch.nn.functional.interpolate(small, size=(height, width + frames + 2), mode="bicubic",
                                           align_corners=False)[0].permute(1, 2, 0).clamp(0, 1).numpy()
    out = [(wide[:, k:k + width] * 255).round().astype(np.uint8) for k in range(frames)]
    return api.Clip(np.stack(out), 10.0, "fine pan", ())


@pytest.mark.slow
def test_neighbours_rebuild_the_held_out_pixels_their_motion_shows():
    clip = fine_pan()
    truth = torch.from_numpy(clip.frames).float() / 255
    shown = torch.zeros(clip.frames.shape[1:3], dtype=torch.bool)
    shown[0::2, 1::2] = True  # held-out pixels that sit on a neighbour's training pixels
    bicubic = rebuild(truth, api.prepare([clip], arch="grid", device="cpu").data.masks[0], "every2")
    scores = {}
    for weight in (0.0, None):  # every frame on its own, then with its neighbours (the arch's default)
        run = api.prepare([clip], arch="motion", device="cpu", steps=300, seconds=None, temporal=weight)
        drain(api.fit(run))
        field = torch.stack(list(render_frames(run.model, clip.frames.shape[:3])))
        scores[weight] = float(-10 * torch.log10(((field - truth)[:, shown] ** 2).mean()))
        heldout = api.summary(run)["heldout_psnr"]
    classical = float(-10 * torch.log10(((bicubic.clamp(0, 1) - truth)[:, shown] ** 2).mean()))
    # Measured: 28.4 dB where the neighbours show the pixel, against about 17 on its own and bicubic.
    assert scores[None] > classical + 8 and scores[None] > scores[0.0] + 8
    assert heldout > run.baseline["bicubic"] + 1  # over all held-out pixels too (measured +1.9 dB)


def test_neighbours_skip_gaps_without_motion():
    from inr.methods.motion.trainer import moving_gaps

    run = api.prepare([cut()], arch="motion", device="cpu")
    assert moving_gaps(run.model) == [0, 1, 2, 4, 5, 6, 7]  # the cut (gap 3) blends and is left alone


@pytest.mark.slow
def test_the_held_out_gain_splits_moving_from_still_pixels():
    frames = fine_pan().frames.copy()
    frames[:, 16:] = frames[:1, 16:]  # the bottom half stands still
    run = api.prepare([api.Clip(frames, 10.0, "half", ())], arch="motion", device="cpu", steps=300, seconds=None)
    drain(api.fit(run))
    split = api.motion.heldout_split(run)
    assert 0.3 < split["moving_share"] < 0.7
    gain = {part: split[part]["inr_psnr"] - split[part]["bicubic_psnr"] for part in ("moving", "still")}
    assert gain["moving"] > 0.5 and gain["moving"] > gain["still"] + 0.5, gain  # moving: measured +1.05 dB
    assert "moving pixels" in api.motion.describe_split(split) and "still pixels" in api.motion.describe_split(split)
    assert api.motion.heldout_split(api.prepare([panning()], arch="grid", device="cpu")) is None


def test_an_architecture_name_is_registered_once():
    from inr.core.train import presets

    presets.register("motion", api.motion.ARCH)  # the same row again: a no-op
    with pytest.raises(ValueError, match="exists already"):
        presets.register("grid", presets.Arch(lambda shapes, holdout, sigma: None, {}))
    with pytest.raises(ValueError, match="exists already"):
        presets.register("motion", presets.Arch(lambda shapes, holdout, sigma: None, {}))


def fresh_process(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@pytest.mark.slow
def test_a_motion_checkpoint_loads_in_a_fresh_process_through_the_facade_loader_alone(tmp_path):
    run = api.prepare([panning()], arch="motion", device="cpu", steps=2, seconds=None)
    drain(api.fit(run))
    path = api.save(run, tmp_path / "m.safetensors")
    assert fresh_process(f"from inr.api import load; print(load({str(path)!r}, 'cpu').arch)") == "motion"


@pytest.mark.slow
def test_importing_a_method_registers_nothing():
    names = fresh_process("import inr.methods.motion; from inr.core.train import presets; "
                          "print(' '.join(presets.arch_names()))")
    assert names.split() == ["grid", "hash", "fourier", "siren", "relu"]
    names = fresh_process("from inr import archs; print(' '.join(archs.install()))")
    assert names.split()[0] == "motion" and set(names.split()) == {"motion", "grid", "hash", "fourier", "siren", "relu"}
