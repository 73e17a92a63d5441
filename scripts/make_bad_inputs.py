"""Write the corpus of bad inputs (clips, checkpoints, render requests) into a folder.

``python scripts/make_bad_inputs.py DIR`` writes every case and ``DIR/cases.json``, the list the
tests run through the CLI and the app's upload handlers. Everything is generated here, from
numpy, Pillow, the ffmpeg of imageio-ffmpeg and a tiny fit: nothing is downloaded, and the same
folder comes out every time (apart from the tiny fit's timings in its metadata).

Each case is a dict:
- ``name``: what it is; ``kind``: "clip" (``fit PATH``), "checkpoint" (``render PATH``) or
  "render" (``render GOOD_CHECKPOINT`` with ``render`` options);
- ``path``: the file or folder, relative to DIR;
- ``expect``: "refused" (exit 2, one line naming the problem) or "accepted" (exit 0, and the
  notes say what was changed);
- ``says``: a fragment the error line (refused) or the notes (accepted) must contain;
- ``app``: False when the studio has no widget that can send this input.
"""

import json
import pickle
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parent.parent
MARKER = "pickle_ran.txt"  # the evil pickle would create this file in the corpus folder


def _frames(count: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """A moving square over a colour gradient: uint8 (T, H, W, 3), smooth enough to encode well."""
    t, y, x = np.meshgrid(np.arange(count), np.arange(height), np.arange(width), indexing="ij")
    rgb = np.stack([x * 255 // max(1, width - 1), y * 255 // max(1, height - 1),
                    (t * 37 + seed * 50) % 256 + 0 * x], axis=-1).astype(np.uint8)
    for i in range(count):
        s = (2 * i) % max(1, width - 4)
        rgb[i, 1:5, s:s + 4] = 255
    return rgb


def _gif(path: Path, frames: np.ndarray, duration_ms: int = 100) -> Path:
    images = [Image.fromarray(f) for f in frames]
    images[0].save(path, format="GIF", save_all=True, append_images=images[1:], duration=duration_ms, loop=0)
    return path


def _ffmpeg(*args: str) -> bool:
    """Run the ffmpeg of imageio-ffmpeg; False if it could not make the file."""
    import imageio_ffmpeg

    cmd = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", *args]
    if subprocess.run(cmd, capture_output=True, timeout=60).returncode == 0:
        return True
    Path(args[-1]).unlink(missing_ok=True)  # ffmpeg may leave an empty file behind
    return False


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _huge_png_header(path: Path) -> Path:
    """A PNG whose header says 10,000x10,000 RGB, followed by a few bytes of pixel data."""
    header = struct.pack(">IIBBBBB", 10_000, 10_000, 8, 2, 0, 0, 0)
    data = zlib.compress(b"\x00" * 30_001)  # the first row, then the file ends
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", data)
                     + _png_chunk(b"IEND", b""))
    return path


def _zero_delay_gif(path: Path) -> Path:
    """A GIF whose every frame has a delay of 0 (no timing at all)."""
    _gif(path, _frames(4, 16, 20), duration_ms=100)
    raw = bytearray(path.read_bytes())
    at = raw.find(b"\x21\xf9\x04")
    while at >= 0:  # graphic control extension: 21 F9 04 <flags> <delay lo> <delay hi> ...
        raw[at + 4:at + 6] = b"\x00\x00"
        at = raw.find(b"\x21\xf9\x04", at + 1)
    path.write_bytes(bytes(raw))
    return path


class _Payload:
    """Unpickling this runs code: it writes the marker file."""

    def __init__(self, marker: Path):
        self.marker = str(marker)

    def __reduce__(self):
        return exec, (f"open({self.marker!r}, 'w').write('unpickled')",)


def _good_checkpoint(path: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    from inr import api

    clip = api.Clip(_frames(4, 12, 16), 10.0, "tiny")
    run = api.prepare([clip], arch="grid", device="cpu", steps=3, seconds=None)
    list(api.fit(run))
    return api.save(run, path)


def _edited_checkpoint(good: Path, path: Path, edit_model=None, edit_clips=None) -> Path:
    """A copy of `good` whose JSON model config or clip infos were changed by the edit functions."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    with safe_open(str(good), framework="pt") as f:
        meta, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    if edit_model:
        model = json.loads(meta["model"])
        edit_model(model)
        meta["model"] = json.dumps(model)  # json writes NaN and Infinity as bare words
    if edit_clips:
        clips = json.loads(meta["clips"])
        edit_clips(clips[0])
        meta["clips"] = json.dumps(clips)
    save_file(tensors, str(path), metadata=meta)
    return path


def _set(path: list[str], value):
    def edit(d: dict):
        for key in path[:-1]:
            d = d[key]
        d[path[-1]] = value
    return edit


def make_clips(folder: Path) -> list[dict]:
    cases = []

    def add(name, path, expect, says, **extra):
        cases.append({"name": name, "kind": "clip", "path": str(Path(path).relative_to(folder)), "expect": expect,
                      "says": says, "app": True, **extra})

    asset = (ROOT / "assets" / "office_plant.mp4").read_bytes()
    (folder / "truncated.mp4").write_bytes(asset[:3000])
    add("truncated MP4", folder / "truncated.mp4", "refused", "truncated.mp4")
    gif = _gif(folder / "whole.gif", _frames(6, 24, 32)).read_bytes()
    (folder / "whole.gif").unlink()
    (folder / "truncated.gif").write_bytes(gif[:len(gif) // 3])
    add("truncated GIF", folder / "truncated.gif", "refused", "truncated.gif")
    (folder / "empty.mp4").write_bytes(b"")
    add("zero-byte file", folder / "empty.mp4", "refused", "empty")
    (folder / "notes.mp4").write_text("these are my notes, not a video\n")
    add("text file renamed .mp4", folder / "notes.mp4", "refused", "not a video or image")
    Image.fromarray(_frames(1, 20, 24)[0]).save(folder / "picture.mp4", format="PNG")
    add("PNG with a .mp4 name", folder / "picture.mp4", "accepted", "read as a PNG image")
    if _ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x24:rate=10", "-frames:v", "1", "-pix_fmt", "yuv420p",
               str(folder / "one_frame.mp4")):
        add("one-frame video", folder / "one_frame.mp4", "accepted", "1 frames")
    if _ffmpeg("-f", "lavfi", "-i", "testsrc=size=16x16:rate=100", "-frames:v", "2000", "-pix_fmt", "yuv420p",
               str(folder / "long.mp4")):
        add("clip of 2,000 frames", folder / "long.mp4", "accepted", "kept the first")
    _huge_png_header(folder / "huge_header.png")
    add("10,000x10,000 image header", folder / "huge_header.png", "refused", "10000x10000")
    Image.fromarray(_frames(1, 20, 24)[0, :, :, 0]).save(folder / "grey.png")
    add("grey image", folder / "grey.png", "accepted", "converted grey to RGB")
    rgba = np.concatenate([_frames(1, 20, 24)[0], np.full((20, 24, 1), 128, np.uint8)], axis=2)
    Image.fromarray(rgba).save(folder / "alpha.png")
    add("image with alpha", folder / "alpha.png", "accepted", "dropped the alpha channel")
    deep = (np.arange(20 * 24).reshape(20, 24) * 130).astype(np.uint16)
    Image.fromarray(deep).save(folder / "deep16.png")
    add("16-bit image", folder / "deep16.png", "accepted", "16-bit to 8-bit")
    Image.fromarray(np.full((1, 1, 3), 200, np.uint8)).save(folder / "one_pixel.png")
    add("1x1 image", folder / "one_pixel.png", "accepted", "1 frames of 1x1")
    _gif(folder / "odd_size.gif", _frames(5, 23, 37))
    add("odd sizes (37x23)", folder / "odd_size.gif", "accepted", "37x23")
    if _ffmpeg("-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", str(folder / "audio_only.mp4")):
        add("video with no video stream (audio only)", folder / "audio_only.mp4", "refused", "audio_only.mp4")
    # A real MPEG-4 stream in an AVI whose codec tag (fourcc) is patched to one no decoder knows
    # (ffmpeg will not write an unknown tag itself).
    avi = folder / "unknown_codec.avi"
    if _ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x24:rate=10", "-frames:v", "5", "-c:v", "mpeg4", str(avi)):
        avi.write_bytes(avi.read_bytes().replace(b"FMP4", b"QQQQ"))
        add("unsupported codec (fourcc QQQQ)", avi, "refused", "unknown_codec.avi")
    _zero_delay_gif(folder / "zero_delay.gif")
    add("GIF with zero frame delay", folder / "zero_delay.gif", "accepted", "gives no frame delay")
    mixed = folder / "mixed_sizes"
    mixed.mkdir()
    Image.fromarray(_frames(1, 16, 16)[0]).save(mixed / "frame_001.png")
    Image.fromarray(_frames(1, 16, 20)[0]).save(mixed / "frame_002.png")
    add("folder with mixed frame sizes", mixed, "refused", "different sizes")
    no_frames = folder / "no_frames"
    no_frames.mkdir()
    (no_frames / "readme.txt").write_text("no images here")
    add("folder with no frames", no_frames, "refused", "no frames")
    _gif(folder / "Ünïcödé клип 🎞.gif", _frames(4, 16, 20))
    add("non-ASCII file name", folder / "Ünïcödé клип 🎞.gif", "accepted", "Ünïcödé клип 🎞")
    _gif(folder / "my clip (copy) 2.gif", _frames(4, 16, 20, seed=1))
    add("file name with spaces", folder / "my clip (copy) 2.gif", "accepted", "my clip (copy) 2")
    _gif(folder / "..gif", _frames(4, 16, 20, seed=2))
    add("file name that is only dots", folder / "..gif", "accepted", "4 frames")
    return cases


def make_checkpoints(folder: Path) -> tuple[Path, list[dict]]:
    import torch
    from safetensors.torch import save_file

    cases = []

    def add(name, path, says):
        cases.append({"name": name, "kind": "checkpoint", "path": str(path.relative_to(folder)),
                      "expect": "refused", "says": says, "app": True})

    good = _good_checkpoint(folder / "good.safetensors")
    save_file({"weight": torch.zeros(3, 3)}, str(folder / "other_program.safetensors"), metadata={"framework": "x"})
    add("checkpoint from another program (safetensors)", folder / "other_program.safetensors", "another program")
    torch.save({"weight": torch.zeros(3, 3)}, folder / "torch_state.pt")
    add("checkpoint from another program (torch.save)", folder / "torch_state.pt", "not an inr checkpoint")
    (folder / "evil.pt").write_bytes(pickle.dumps({"model": _Payload(folder / MARKER)}))
    add("pickle with code in it", folder / "evil.pt", "not an inr checkpoint")
    torch.save({"model": _Payload(folder / MARKER)}, folder / "evil_zip.pt")
    add("torch.save zip with code in its pickle", folder / "evil_zip.pt", "not an inr checkpoint")
    (folder / "truncated.safetensors").write_bytes(good.read_bytes()[:400])
    add("truncated checkpoint", folder / "truncated.safetensors", "not an inr checkpoint")
    _edited_checkpoint(good, folder / "wrong_shape.safetensors", edit_model=_set(["encoding", "levels"], 2))
    add("config names a shape that does not match its weights", folder / "wrong_shape.safetensors", "does not match")
    _edited_checkpoint(good, folder / "nan_config.safetensors", edit_model=_set(["encoding", "init_scale"], float("nan")))
    add("NaN in the model config", folder / "nan_config.safetensors", "NaN")
    _edited_checkpoint(good, folder / "huge_config.safetensors",
                       edit_model=_set(["encoding", "finest"], [10**6, 10**6, 10**6]))
    add("huge grid in the model config", folder / "huge_config.safetensors", "does not match")
    _edited_checkpoint(good, folder / "huge_features.safetensors", edit_model=_set(["encoding", "features"], 10**9))
    add("huge feature count in the config", folder / "huge_features.safetensors", "does not match")
    _edited_checkpoint(good, folder / "huge_levels.safetensors", edit_model=_set(["encoding", "levels"], 10**9))
    add("huge level count in the config", folder / "huge_levels.safetensors", "more than the")
    _edited_checkpoint(good, folder / "nan_fps.safetensors", edit_clips=_set(["fps"], float("nan")))
    add("NaN frame rate in the clip info", folder / "nan_fps.safetensors", "fps")
    _edited_checkpoint(good, folder / "negative_frames.safetensors", edit_clips=_set(["frames"], -4))
    add("negative frame count in the clip info", folder / "negative_frames.safetensors", "frames")
    _edited_checkpoint(good, folder / "inf_scale.safetensors",
                       edit_model=_set(["encoding", "span"], [[-1, 1], [-1e309, 1], [-1, 1]]))
    add("infinite span in the config", folder / "inf_scale.safetensors", "Infinity")
    return good, cases


def make_renders(folder: Path, good: Path) -> list[dict]:
    cases = []

    def add(name, render, says, out="render.gif", app=True):
        cases.append({"name": name, "kind": "render", "path": str(good.relative_to(folder)), "render": render,
                      "out": out, "expect": "refused", "says": says, "app": app})

    add("render of 8K x 1,000 frames", {"width": 7680, "height": 4320, "frames": 1000}, "limit", out="render.mp4")
    add("negative spatial scale", {"spatial_scale": -2.0}, "spatial")
    add("zero spatial scale", {"spatial_scale": 0.0}, "spatial")
    add("zero temporal scale", {"temporal_scale": 0.0}, "temporal")
    add("NaN temporal scale", {"temporal_scale": float("nan")}, "temporal")
    add("huge spatial scale", {"spatial_scale": 1e6}, "limit", out="render.mp4")
    add("negative width", {"width": -16}, "width", app=False)
    add("GIF larger than the GIF limit", {"width": 4000, "height": 4000, "frames": 12}, "GIF")
    add("clip index out of range", {"clip": 7}, "clip", app=False)
    add("NaN blend weight", {"mix": float("nan")}, "mix", app=False)
    add("unsupported output format", {}, "output must end in", out="render.avi", app=False)
    return cases


def make_corpus(folder: str | Path) -> list[dict]:
    """Write every case into `folder` (created) and return the list (also in folder/cases.json)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    cases = make_clips(folder)
    good, ckpts = make_checkpoints(folder)
    cases += ckpts + make_renders(folder, good)
    (folder / "cases.json").write_text(json.dumps(cases, indent=1, ensure_ascii=False))
    return cases


def cli_args(case: dict, folder: Path, out: Path) -> list[str]:
    """The ``python -m inr`` arguments that feed this case to the CLI."""
    path = str(folder / case["path"])
    if case["kind"] == "clip":
        return ["fit", path, "--out", str(out), "--steps", "1", "--max-frames", "4", "--max-size", "40",
                "--device", "cpu"]
    args = ["render", path, "--out", str(out / case.get("out", "render.gif")), "--device", "cpu"]
    for key, value in case.get("render", {}).items():
        args += [f"--{key.replace('_', '-')}", str(value)]
    return args


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python scripts/make_bad_inputs.py DIR")
    made = make_corpus(sys.argv[1])
    for c in made:
        print(f"{c['kind']:10s} {c['expect']:8s} {c['name']}")
    print(f"{len(made)} cases in {sys.argv[1]}")
