"""The neural codec: its entropy model, its file (bit-exact, refusing damage), its size target and its quality."""

import json
import subprocess
import sys

import numpy as np
import pytest
import torch

from conftest import ASSETS, ROOT
from inr.cli import main
from inr.core.media.io import load_clip
from inr.methods.codec import entropy, fileformat
from inr.methods.codec import workflow as codec_run
from inr.methods.codec.model import CodecConfig, CodecModel, levels_for


@pytest.fixture(scope="module")
def clip():
    return load_clip(ASSETS / "jelly_small.mp4", max_frames=12, max_size=64)  # 12 frames of 64x36


@pytest.fixture(scope="module")
def fitted(clip):
    """A codec run fitted to 1 bpp for 300 steps (about 15 s on 2 cores), and its file's bytes."""
    run = codec_run.prepare(clip, bpp=1.0, steps=300, seed=0)
    for _ in codec_run.fit(run):
        pass
    payload, _ = codec_run.encode(run)
    return run, payload


def random_arm(hidden: int = 16, seed: int = 0) -> entropy.ARM:
    torch.manual_seed(seed)
    arm = entropy.ARM(hidden, levels=3)
    for p in arm.parameters():
        torch.nn.init.normal_(p, std=0.3)
    return arm


def random_grids(shapes, seed: int = 1) -> list[torch.Tensor]:
    generator = torch.Generator().manual_seed(seed)
    return [torch.randint(-6, 7, s, generator=generator).float() for s in shapes]


def test_the_convolutional_arm_is_the_arm_on_the_context():
    arm = random_arm()
    grids = random_grids([(5, 9, 14), (3, 5, 7)])
    with torch.no_grad():
        fast = arm.level(grids[0], grids[1], [0, 3, 4], index=1)
        plain = arm(entropy.context(grids[0], grids[1], [0, 3, 4]), index=1)
    for a, b in zip(fast, plain):
        torch.testing.assert_close(a, b, rtol=1e-5, atol=1e-5)


def test_the_integer_arm_follows_the_float_one_on_its_weights():
    """The file's integer network computes the trained one, to its 1/16 rounding of the outputs."""
    arm = random_arm()
    weights = entropy.fixed_point(arm)
    entropy.load_fixed_point(arm, weights)
    grids = random_grids([(4, 8, 12), (2, 4, 6)])
    mean_index, scale_index = entropy.integer_params(weights, grids[0].long(), grids[1].long(), index=2)
    with torch.no_grad():
        mean, log_scale = arm.level(grids[0], grids[1], index=2)
    assert (mean_index / entropy.MEAN_STEPS - mean.reshape(-1)).abs().max() <= 0.5 / entropy.MEAN_STEPS + 1e-6
    coded = np.log(entropy.SCALE_TABLE[scale_index.numpy()])
    assert np.abs(coded - log_scale.reshape(-1).numpy()).max() <= 0.5 / entropy.SCALE_STEPS + 1e-6


def test_laplace_bits_are_a_distribution_over_the_integers():
    values = torch.arange(-300, 301).double()
    for mean, log_scale in ((0.0, -3.0), (0.3, 0.0), (-2.7, 2.5)):
        bits = entropy.laplace_bits(values, torch.tensor(mean).double(), torch.tensor(log_scale).double())
        assert float((2 ** -bits).sum()) == pytest.approx(1.0, abs=1e-4)


@pytest.mark.slow
def test_the_file_holds_the_rounded_latents_and_quantised_networks(fitted):
    run, payload = fitted
    decoded = fileformat.decode(payload)
    for stored, trained in zip(decoded.model.latents, run.model.rounded()):
        assert torch.equal(stored.data, trained)
    steps = decoded.weight_steps
    expected = fileformat.synthesis_integers(run.model, steps)
    assert all(torch.equal(v, fileformat.synthesis_integers(decoded.model, steps)[k]) for k, v in expected.items())
    assert all(torch.equal(a, b) for a, b in zip(entropy.fixed_point(decoded.arm).values(),
                                                  entropy.fixed_point(run.arm).values()))
    assert decoded.meta.frames == run.meta.frames and decoded.meta.fps == pytest.approx(run.meta.fps, abs=1e-3)


DECODE = """
import hashlib, sys
sys.path.insert(0, sys.argv[1])
from inr.methods.codec import workflow
frames, _ = workflow.decompress(sys.argv[2])
print(hashlib.sha256(frames.tobytes()).hexdigest())
"""


@pytest.mark.slow
def test_decoding_is_bit_exact_across_processes(fitted, tmp_path):
    _, payload = fitted
    path = tmp_path / "clip.inr"
    path.write_bytes(payload)
    digests = {subprocess.run([sys.executable, "-c", DECODE, str(ROOT), str(path)], capture_output=True, text=True,
                              check=True).stdout.strip() for _ in range(2)}
    import hashlib

    frames, _ = codec_run.decompress(path)
    digests.add(hashlib.sha256(frames.tobytes()).hexdigest())
    assert len(digests) == 1


def test_the_size_target_and_a_quality_floor(fitted, clip):
    """Steered to 1 bpp, the file lands within 20% of it, above 28 dB (30.4 measured)."""
    run, payload = fitted
    bpp = 8 * len(payload) / run.pixels
    assert 0.8 <= bpp <= 1.2, bpp
    frames, _ = codec_run.decompress_bytes(payload)
    psnr = codec_run.measure(frames, clip.frames)["psnr"]
    assert psnr > 28.0, psnr


@pytest.mark.parametrize("damage, message", [
    (lambda p: p[:-7], "truncated"),
    (lambda p: p[:11], "truncated"),
    (lambda p: p[:-40] + bytes(b ^ 0xFF for b in p[-40:]), "damaged"),
    (lambda p: p[:8] + bytes([fileformat.VERSION + 1]) + p[9:], "newer version"),
    (lambda p: b"GIF89a" + p[6:], "not a neural-codec"),
])
def test_a_damaged_file_is_one_clear_error(fitted, damage, message):
    _, payload = fitted
    with pytest.raises(ValueError, match=message):
        fileformat.decode(damage(payload), "clip.inr")


def test_a_target_outside_what_a_file_can_be_names_the_range(clip):
    with pytest.raises(ValueError, match=r"bpp must be in \[.*, 24\]"):
        codec_run.prepare(clip, bpp=0.001, steps=1)
    with pytest.raises(ValueError, match=r"bpp must be in"):
        codec_run.prepare(clip, bpp=30, steps=1)
    with pytest.raises(ValueError, match="not both"):
        codec_run.prepare(clip, bpp=0.3, lam=1e-3, steps=1)
    with pytest.raises(ValueError, match="unknown codec settings: colour"):
        codec_run.prepare(clip, bpp=0.3, steps=1, colour=3)


def test_a_one_frame_clip_and_odd_sizes_round_trip(clip, tmp_path):
    from inr.core.media.io import Clip

    one = Clip(np.ascontiguousarray(clip.frames[:1, :35, :51]), 10.0, "still")
    run = codec_run.prepare(one, bpp=10.0, steps=60)  # 1,785 pixels: the networks alone take ~4 bpp
    for _ in codec_run.fit(run):
        pass
    summary = codec_run.compress(run, tmp_path / "still.inr", baselines=False)
    frames, meta = codec_run.decompress(tmp_path / "still.inr")
    assert frames.shape == (1, 35, 51, 3) and meta.fps == 10.0
    assert summary["psnr"] == pytest.approx(codec_run.measure(frames, one.frames)["psnr"])


def test_grid_shapes_cover_the_clip():
    cfg = CodecConfig(shape=(7, 35, 51), levels=levels_for(0.5))
    shapes = cfg.grid_shapes()
    assert shapes[0] == (7, 35, 51) and shapes[1] == (7, 18, 26) and shapes[-1] == (1, 2, 2)
    assert CodecConfig(shape=(7, 35, 51), levels=levels_for(0.1)).grid_shapes() == shapes[1:]
    model = CodecModel(cfg)
    assert model.decode(model.rounded(), torch.arange(3)).shape == (3, 35, 51, 3)


@pytest.mark.slow
def test_cli_compress_then_decompress_to_lossless_frames(tmp_path, capsys):
    out = tmp_path / "jelly.inr"
    assert main(["compress", str(ASSETS / "jelly_small.mp4"), "--out", str(out), "--max-frames", "6",
                 "--max-size", "48", "--bpp", "3", "--steps", "30", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["bytes"] == out.stat().st_size
    assert {"x264", "x264-420", "x265", "av1", "gif"} <= set(summary["codecs"])
    assert all(np.isfinite(summary["codecs"][k]["psnr"]) for k in summary["codecs"])
    assert main(["decompress", str(out), "--out", str(tmp_path / "frames") + "/"]) == 0
    from PIL import Image

    pngs = sorted((tmp_path / "frames").glob("frame_*.png"))
    frames, _ = codec_run.decompress(out)
    assert len(pngs) == 6 and np.array_equal(np.stack([np.asarray(Image.open(p)) for p in pngs]), frames)
    (tmp_path / "cut.inr").write_bytes(out.read_bytes()[:-5])
    capsys.readouterr()
    assert main(["decompress", str(tmp_path / "cut.inr"), "--out", str(tmp_path / "cut.mp4")]) == 2
    assert "truncated" in capsys.readouterr().err and not (tmp_path / "cut.mp4").exists()
    assert main(["retrieve", str(out), str(ASSETS / "carphone.gif")]) == 2
    assert "compress --model latent" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exit_code:
        main(["compress", str(ASSETS / "jelly_small.mp4"), "--out", str(out), "--bpp", "1", "--lambda", "0.01"])
    assert exit_code.value.code == 2 and "not allowed with" in capsys.readouterr().err
