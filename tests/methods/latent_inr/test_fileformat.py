"""The .inr file: quantisation, round trips, sizes, and clear errors for files that are not ours."""

import json

import pytest

from inr.cli import main
from inr.methods.latent_inr import fileformat
from inr.methods.latent_inr import workflow as latent_run


@pytest.fixture(scope="module")
def run(plant):
    """12 frames of office_plant at 48x36, fitted for 60 steps: a trained model, not a good one."""
    run = latent_run.prepare(plant, device="cpu", steps=60, seed=0)
    for _ in latent_run.fit(run):
        pass
    return run


@pytest.mark.parametrize("bits,per_channel,compression", [(32, False, "none"), (16, False, "zlib"),
                                                          (8, False, "none"), (8, True, "lzma")])
def test_round_trip_matches_the_in_memory_quantised_model(run, tmp_path, bits, per_channel, compression):
    path = fileformat.write(tmp_path / "clip.inr", run.model, run.meta(), bits, per_channel, compression)
    model, meta, header = fileformat.read(path)
    expected = latent_run.measure(fileformat.quantised(run.model, bits, per_channel), run.clip.frames)["psnr"]
    decoded = latent_run.measure(model, run.clip.frames)["psnr"]
    assert abs(decoded - expected) < 0.1
    assert meta == run.meta() and header["bits"] == bits
    fp32 = latent_run.measure(run.model, run.clip.frames)["psnr"]
    assert decoded > fp32 - 0.5  # 8-bit costs little on a fitted model
    assert not [p for p in tmp_path.iterdir() if p.name != "clip.inr"]  # the atomic write left no temp file


def test_smaller_settings_give_smaller_files(run):
    sizes = {(b, c): len(fileformat.encode(run.model, run.meta(), b, True, c)) for b in (32, 16, 8)
             for c in ("none", "lzma")}
    assert sizes[(32, "none")] > sizes[(16, "none")] > sizes[(8, "none")] > sizes[(8, "lzma")]
    params = run.params
    assert sizes[(8, "none")] < params * 1.2  # one byte a weight, plus scales and the header


def test_reported_size_is_the_file_size(run, tmp_path):
    summary = latent_run.compress(run, tmp_path / "plant.inr", baselines=False)
    assert summary["bytes"] == (tmp_path / "plant.inr").stat().st_size
    assert summary["bpp"] == pytest.approx(8 * summary["bytes"] / run.clip.frames[..., 0].size)


def test_truncated_foreign_and_corrupt_files_get_clear_errors(run, tmp_path):
    payload = fileformat.encode(run.model, run.meta())
    for cut in (4, 20, len(payload) // 2, len(payload) - 1):
        with pytest.raises(ValueError, match="truncated"):
            fileformat.decode(payload[:cut], "cut.inr")
    with pytest.raises(ValueError, match="not an .inr file"):
        fileformat.read("assets/carphone.gif")
    flipped = bytearray(payload)
    flipped[-10] ^= 0xFF
    with pytest.raises(ValueError, match="CRC"):
        fileformat.decode(bytes(flipped))
    with pytest.raises(ValueError, match="after the end"):
        fileformat.decode(payload + b"x")
    with pytest.raises(ValueError, match="end in .inr"):
        fileformat.write(tmp_path / "clip.bin", run.model, run.meta())
    with pytest.raises(ValueError, match="bits"):
        fileformat.encode(run.model, run.meta(), bits=4)


@pytest.mark.slow
def test_cli_compress_decompress_and_errors(tmp_path, capsys):
    out = tmp_path / "plant.inr"
    assert main(["compress", "assets/office_plant.mp4", "--out", str(out), "--model", "latent", "--max-frames", "8", "--max-size", "48",
                 "--steps", "40", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    assert summary["bytes"] == out.stat().st_size
    for key in ("bpp", "psnr", "ssim", "h264_psnr_at_size", "gif_bytes"):
        assert isinstance(summary[key], (int, float))
    assert summary["h264_psnr_at_size"] > 20 and summary["gif_bytes"] > 0
    assert main(["decompress", str(out), "--out", str(tmp_path / "plant.gif")]) == 0
    import imageio.v3 as iio

    assert iio.imread(tmp_path / "plant.gif", index=None).shape[:3] == (8, 36, 48)
    capsys.readouterr()
    assert main(["decompress", "assets/carphone.gif", "--out", str(tmp_path / "x.mp4")]) == 2
    assert "not an .inr file" in capsys.readouterr().err
    (tmp_path / "half.inr").write_bytes(out.read_bytes()[:300])
    assert main(["retrieve", str(tmp_path / "half.inr"), "assets/carphone.gif"]) == 2
    assert "truncated" in capsys.readouterr().err


def test_a_header_naming_a_huge_model_is_refused_before_anything_is_built(run, tmp_path):
    """5 million feature planes in the header of a real file: more than the tensors it holds."""
    import json
    import struct
    import time

    payload = fileformat.encode(run.model, run.meta(), 8, True, "lzma")
    fixed = len(fileformat.MAGIC) + 5
    length = struct.unpack("<BI", payload[len(fileformat.MAGIC):fixed])[1]
    header = json.loads(payload[fixed:fixed + length])
    header["model"]["levels"] = 5_000_000
    text = json.dumps(header, separators=(",", ":")).encode()
    forged = fileformat.MAGIC + struct.pack("<BI", fileformat.VERSION, len(text)) + text + payload[fixed + length:]
    start = time.perf_counter()
    with pytest.raises(ValueError, match="levels must be a whole number in 1..65,536, got 5000000"):
        fileformat.decode(forged, "forged.inr")
    assert time.perf_counter() - start < 5

