import json
import subprocess
import sys

import imageio.v3 as iio
import pytest

from conftest import ASSETS, ROOT
from test_progress import LINE


def run_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "inr", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    out = tmp_path_factory.mktemp("fit")
    result = run_cli("fit", ASSETS / "office_plant.mp4", "--out", out, "--steps", "60", "--max-frames", "8",
                     "--max-size", "48", "--holdout", "every2", "--device", "cpu", "--json")
    assert result.returncode == 0, result.stderr
    return out, json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


@pytest.mark.slow
def test_fit_json_has_the_contract_keys_and_writes_its_files(fitted):
    out, summary, _ = fitted
    for key in ("train_psnr", "heldout_psnr", "bilinear_psnr", "bicubic_psnr", "steps", "seconds", "params",
                "checkpoint"):
        assert key in summary, key
    assert summary["steps"] == 60 and summary["train_psnr"] > 20
    assert 0.3 < summary["ssim"] <= 1
    assert (out / "model.safetensors").is_file() and (out / "curves.html").is_file()
    assert (out / "comparison.png").is_file() and json.loads((out / "run.json").read_text())["fit_config"]["seed"] == 0


def test_fit_json_and_run_card_state_the_size_beside_the_clip(fitted):
    out, summary, _ = fitted
    for key in ("model_bytes", "bits_per_pixel", "raw_bytes", "h264_bytes", "h264_psnr", "size_verdict"):
        assert key in summary, key
    pixels = 8 * 36 * 48  # 8 frames of 48x36
    assert summary["raw_bytes"] == 3 * pixels and summary["bits_per_pixel"] == 8 * summary["model_bytes"] / pixels
    # model.safetensors keeps Adam's moments for --resume: the shipped, weights-only file is a third of it
    assert 2 * summary["model_bytes"] < (out / "model.safetensors").stat().st_size < 4 * summary["model_bytes"]
    assert summary["size_verdict"].startswith("the model is ")
    assert "than the clip's H.264 MP4" in summary["size_verdict"]
    assert json.loads((out / "run.json").read_text())["summary"]["size_verdict"] == summary["size_verdict"]


def test_fit_prints_progress_in_the_shared_format(fitted):
    _, summary, stderr = fitted
    progress = [m for m in map(LINE.fullmatch, stderr.splitlines()) if m]
    assert progress and all(m["label"] == "fit" and (m["a"], m["b"]) == ("train", "held-out") for m in progress)
    assert int(progress[-1]["step"]) == summary["steps"]  # the final record is always printed


@pytest.mark.slow
def test_render_writes_a_scaled_gif_and_mp4(fitted, tmp_path):
    _, summary, _ = fitted
    gif = tmp_path / "x.gif"
    result = run_cli("render", summary["checkpoint"], "--out", gif, "--spatial-scale", "2", "--temporal-scale", "1.5")
    assert result.returncode == 0, result.stderr
    frames = iio.imread(gif, index=None)
    assert frames.shape[:3] == (round(7 * 1.5) + 1, 72, 96)
    mp4 = tmp_path / "x.mp4"
    assert run_cli("render", summary["checkpoint"], "--out", mp4, "--width", "33", "--height", "21",
                   "--frames", "4").returncode == 0
    assert iio.imread(mp4, plugin="FFMPEG").shape[:3] == (4, 22, 34)  # padded to even sizes


@pytest.mark.slow
def test_compare_reports_one_run_per_sigma(tmp_path):
    result = run_cli("compare", ASSETS / "jelly_small.mp4", "--sigmas", "none,10", "--out", tmp_path,
                     "--steps", "20", "--max-frames", "2", "--json")
    assert result.returncode == 0, result.stderr
    runs = json.loads(result.stdout.strip().splitlines()[-1])["runs"]
    assert [r["config"] for r in runs] == ["fourier:sigma=none", "fourier"]
    assert all(r["heldout_psnr"] is not None and r["trained"].startswith("batched") for r in runs)
    progress = [m for m in map(LINE.fullmatch, result.stderr.splitlines()) if m]
    assert progress and all(m["label"] == "compare" and m["bv"].count(" / ") == 1 for m in progress)
    assert (tmp_path / "fourier_sigma-none.gif").is_file() and (tmp_path / "fourier_sigma-10.gif").is_file()


@pytest.mark.slow
def test_compare_any_configurations_at_equal_size(tmp_path):
    result = run_cli("compare", ASSETS / "jelly_small.mp4", "--configs", "siren:omega0=20;grid;hash", "--equal", "size",
                     "--bytes", "50000", "--out", tmp_path, "--steps", "3", "--max-frames", "4", "--max-size", "64",
                     "--json")
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert [r["label"].split()[0] for r in summary["runs"]] == ["siren", "grid", "hash"]
    assert all(abs(r["bytes"] - 50000) <= 5000 for r in summary["runs"])
    assert "one after another" in summary["schedule"] and summary["bicubic_psnr"] is not None
    assert "bicubic" in result.stdout and "of the target" in result.stdout
    for name in ("side_by_side.png", "curves.html", "compare.json"):
        assert (tmp_path / name).is_file()
    assert len(list(tmp_path.glob("*.gif"))) == 3


@pytest.mark.slow
@pytest.mark.parametrize("args, message", [
    (["--configs", "fourier;transformer"], "unknown architecture 'transformer'"),
    (["--configs", ";".join(f"relu:width={w}" for w in range(10, 17))], "at most 6"),
    (["--configs", "grid", "--bytes", "1000"], "add --equal size"),
    (["--configs", "grid", "--equal", "size", "--bytes", "10"], "grid cannot be sized to 10 bytes"),
])
def test_compare_refuses_bad_configurations_in_one_line(args, message, tmp_path):
    result = run_cli("compare", ASSETS / "jelly_small.mp4", *args, "--out", tmp_path, "--steps", "1",
                     "--max-frames", "2")
    assert result.returncode == 2 and message in result.stderr and len(result.stderr.strip().splitlines()) <= 4


@pytest.mark.slow
@pytest.mark.parametrize("make, reason", [
    (lambda p: p.write_text("hello, not a video"), "not a video or image"),
    (lambda p: p.write_bytes(b""), "empty"),
    (lambda p: p.write_bytes((ASSETS / "office_plant.mp4").read_bytes()[:3000]), ""),
])
def test_bad_clips_give_one_line_and_exit_code_2(tmp_path, make, reason):
    bad = tmp_path / "clip with space.mp4"
    make(bad)
    result = run_cli("fit", bad, "--out", tmp_path / "o", "--steps", "1")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "clip with space.mp4" in lines[0] and reason in lines[0]
    assert "Traceback" not in result.stderr


@pytest.mark.slow
def test_bad_checkpoint_and_bad_scale_give_one_line(tmp_path):
    fake = tmp_path / "model.safetensors"
    fake.write_bytes(b"\x80\x04K\x01.")  # a pickle
    result = run_cli("render", fake, "--out", tmp_path / "x.gif")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    result = run_cli("render", fake, "--out", tmp_path / "x.gif", "--spatial-scale", "-2")
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "spatial-scale" in result.stderr
