"""Hostile files (issue 26): every reader fuzzed with real files damaged at random (``hostile.py``),
and each row of the issue's table pinned through the command line.

The fuzz runs under Hypothesis's profile: "fast" (seeded, a few dozen cases a reader) in the suite,
"long" on demand (``python -m pytest tests/test_hostile_files.py --hypothesis-profile long``, or
``python -m bench.fuzz``, which also writes what was found).
"""

import copy
import json
import math
import os
import struct
import zlib
from collections import Counter
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import hostile
from conftest import ASSETS, ROOT
from inr import api

CHECKPOINTS = ROOT / "checkpoints"
COUNTS: dict[str, Counter] = {}  # kind -> outcome -> cases, for bench/fuzz.py's report
PROBLEMS: dict[str, dict[str, str]] = {}  # kind -> one example of each distinct problem


def _use_field(path: Path):
    run = api.load(path, "cpu")
    info = run.clips[0]
    api.render_frame(run, (info.frames, min(info.height, 16), min(info.width, 16)), 0)


def _use_space(path: Path):
    space = api.inr_v.load(path)
    api.inr_v.interpolate_frame(space, 0, len(space.clips) - 1, 0.5, scale=0.25)


def _decode_latent(path: Path):
    frames, meta = api.latent_inr.decompress(path)
    assert frames.shape == (meta.frames, meta.height, meta.width, 3)


def _decode_codec(path: Path):
    frames, meta = api.codec.decompress(path)
    assert frames.shape == (meta.frames, meta.height, meta.width, 3)


def _read_clip(path: Path):
    api.load_clips([path], device="cpu")


@pytest.fixture(scope="module")
def tiny_codec(tmp_path_factory, plant):
    """A real codec file small enough that any mutation of it decodes in a blink: 6 frames of 48x36."""
    folder = tmp_path_factory.mktemp("codec")
    run = api.codec.prepare(api.Clip(plant.frames[:6], plant.fps, "plant"), bpp=3.0, steps=20)
    for _ in api.codec.fit(run):
        pass
    return Path(api.codec.compress(run, folder / "tiny.inr", baselines=False)["out"])


@pytest.fixture(scope="module")
def kinds(tiny_codec) -> dict:
    """kind -> (reader, real files, format of its header or None)."""
    return {
        "field checkpoint": (_use_field, [CHECKPOINTS / n for n in ("sigma_10.safetensors", "jelly_small.safetensors",
                                                                   "jelly_every4.safetensors")], hostile.SAFETENSORS),
        "INR-V space": (_use_space, [CHECKPOINTS / "space.safetensors"], hostile.SAFETENSORS),
        "Latent-INR .inr": (_decode_latent, [CHECKPOINTS / "compress_jelly_small.inr"], hostile.LATENT),
        "codec .inr": (_decode_codec, [tiny_codec, CHECKPOINTS / "codec_jelly_small.inr"], hostile.CODEC),
        "clip": (_read_clip, [ASSETS / "carphone.gif", ASSETS / "office_plant.mp4"], None),
    }


@pytest.mark.slow
@pytest.mark.parametrize("kind", ["field checkpoint", "INR-V space", "Latent-INR .inr", "codec .inr", "clip"])
def test_every_reader_loads_or_refuses_a_damaged_file_in_one_line(kind, kinds, tmp_path_factory):
    read, files, fmt = kinds[kind]
    originals = [f.read_bytes() for f in files]
    folder = tmp_path_factory.mktemp("fuzz")
    counts, problems = COUNTS.setdefault(kind, Counter()), PROBLEMS.setdefault(kind, {})
    for original, file in zip(originals, files):  # each real file reads as it is
        assert hostile.read_case(read, folder / f"real{file.suffix}", original).result == "loaded", file

    @settings(database=None)
    @given(data=st.data())
    def case(data):
        index = data.draw(st.integers(0, len(files) - 1), label="file")
        damaged = data.draw(hostile.mutation(originals[index], fmt), label="mutation")
        path = folder / f"case{files[index].suffix}"
        outcome = hostile.read_case(read, path, damaged.payload)
        counts[outcome.result] += 1
        counts["cases"] += 1
        counts["slowest_ms"] = max(counts["slowest_ms"], round(1000 * outcome.seconds))
        found = hostile.problem(outcome, path)
        if found:  # one example of each distinct problem, by the last line of its message
            problems.setdefault(found.strip().splitlines()[-1][:160], f"{files[index].name}, {damaged}: {found}")

    case()
    report = os.environ.get("INR_FUZZ_REPORT")
    if report:
        Path(report).write_text(json.dumps({"counts": COUNTS, "problems": PROBLEMS}, indent=1))
    assert not problems, "\n\n".join(problems.values())


def _edit(fmt, path: Path, change) -> bytes:
    """A real file with `change(header)` applied to its JSON header (lengths and checksums recomputed)."""
    header, body = fmt.split(path.read_bytes())
    original = copy.deepcopy(header)
    change(header)
    return fmt.join(header, body, {k for k in header if header[k] != original.get(k)})  # a lie about a length stays


def _meta(key: str, change):
    """A change to one JSON document inside a safetensors file's metadata."""
    return lambda header: change(header["__metadata__"][key]["__json__"])


def _lzma_bomb(tmp: Path) -> bytes:
    """The shipped Latent-INR file whose body inflates to 1 GB of zeros (an lzma stream of ~150 KB)."""
    import lzma

    header, _ = hostile.LATENT.split((CHECKPOINTS / "compress_jelly_small.inr").read_bytes())
    bomb = lzma.compress(b"\0" * 2**30, preset=1)
    header.update(body_bytes=len(bomb), crc32=zlib.crc32(bomb))
    text = json.dumps(header).encode()
    return hostile.LATENT_MAGIC + struct.pack("<BI", 1, len(text)) + text + bomb


def _tall_gif(tmp: Path) -> bytes:
    """carphone.gif's 48 frames on a canvas of 176x65,424 (bytes 8-9 of the screen descriptor)."""
    payload = bytearray((ASSETS / "carphone.gif").read_bytes())
    payload[9:21] = b"\xff" * 12
    return bytes(payload)


SPACE, FIELD, LATENT_FILE = CHECKPOINTS / "space.safetensors", CHECKPOINTS / "jelly_small.safetensors", \
    CHECKPOINTS / "compress_jelly_small.inr"
# (kind, what the fuzzer did, the damaged file's bytes (from a scratch folder), the fragment the refusal says)
FOUND = [
    ("field checkpoint", "extra is a number", lambda tmp: _edit(hostile.SAFETENSORS, FIELD,
                                                                lambda h: h["__metadata__"].update(extra="2147483648")),
     "extra must be a JSON object"),
    ("field checkpoint", "an inf in the fit history", lambda tmp: _edit(
        hostile.SAFETENSORS, FIELD, _meta("extra", lambda e: e["history"][0].__setitem__(0, math.inf))),
     "unreadable fit config or history"),
    ("field checkpoint", "a grid span of four values", lambda tmp: _edit(
        hostile.SAFETENSORS, FIELD, _meta("model", lambda m: m["encoding"]["span"].__setitem__(1, [-1, 1, -1, 1]))),
     "span must be 3 finite"),
    ("field checkpoint", "coarsest 0 nodes", lambda tmp: _edit(
        hostile.SAFETENSORS, FIELD, _meta("model", lambda m: m["encoding"]["coarsest"].__setitem__(0, 0))),
     "coarsest must be 3 node counts >= 1"),
    ("field checkpoint", "a span repeated 10,000 times", lambda tmp: _edit(
        hostile.SAFETENSORS, FIELD, _meta("model", lambda m: m["encoding"].update(span=m["encoding"]["span"] * 10**4))),
     "span must be 3 finite"),
    ("INR-V space", "an inf in the history", lambda tmp: _edit(
        hostile.SAFETENSORS, SPACE, _meta("extra", lambda e: e["history"][0].__setitem__(0, -math.inf))),
     "unreadable history"),
    ("INR-V space", "height 10^18", lambda tmp: _edit(
        hostile.SAFETENSORS, SPACE, _meta("config", lambda c: c.update(height=10**18))), "height must be a whole number"),
    ("INR-V space", "clips of 4,096x4,096", lambda tmp: _edit(
        hostile.SAFETENSORS, SPACE, _meta("config", lambda c: c.update(height=2**12, width=2**12))),
     "pixels a space's clip may have"),
    ("Latent-INR .inr", "a tensor of 2^63 values", lambda tmp: _edit(
        hostile.LATENT, LATENT_FILE, lambda h: h["tensors"][3]["shape"].__setitem__(1, 2**63 - 1)),
     "tensor 3's size must be a whole number"),
    ("Latent-INR .inr", "a tensor of 0 values", lambda tmp: _edit(
        hostile.LATENT, LATENT_FILE, lambda h: h["tensors"][7]["shape"].__setitem__(0, 0)), "corrupt .inr body"),
    ("Latent-INR .inr", "body_bytes inf", lambda tmp: _edit(hostile.LATENT, LATENT_FILE,
                                                            lambda h: h.update(body_bytes=math.inf)), "body_bytes"),
    ("Latent-INR .inr", "a clip 16 times taller than its model", lambda tmp: _edit(
        hostile.LATENT, LATENT_FILE, lambda h: h["clip"].update(height=16 * h["clip"]["height"])),
     "the model's 100 of 160x90"),
    ("Latent-INR .inr", "a body that inflates to 1 GB", _lzma_bomb, "does not inflate to the"),
    ("clip", "a GIF on a 176x65,424 canvas", _tall_gif, "more than the limit of 268,435,456"),
]


@pytest.mark.slow
@pytest.mark.parametrize("kind, what, make, says", FOUND, ids=[f"{k}: {w}" for k, w, _, _ in FOUND])
def test_each_bug_the_fuzzer_found_stays_fixed(kind, what, make, says, kinds, tmp_path):
    read, files, _ = kinds[kind]
    path = tmp_path / f"found{files[0].suffix}"
    outcome = hostile.read_case(read, path, make(tmp_path))
    assert outcome.result == "refused" and hostile.problem(outcome, path) is None, outcome
    assert says in outcome.message, outcome.message


@pytest.mark.parametrize("kind, fmt, path", [
    ("field checkpoint", hostile.SAFETENSORS, CHECKPOINTS / "sigma_10.safetensors"),
    ("INR-V space", hostile.SAFETENSORS, CHECKPOINTS / "space.safetensors"),
    ("codec .inr", hostile.CODEC, CHECKPOINTS / "codec_jelly_small.inr"),
    ("Latent-INR .inr", hostile.LATENT, CHECKPOINTS / "compress_jelly_small.inr")], ids=["field", "space", "codec", "latent"])
def test_the_fuzzer_rejoins_an_untouched_real_file_into_one_its_reader_loads(kind, fmt, path, tmp_path):
    """The fuzzer edits a header and rejoins the file with fresh lengths and checksums. Untouched, the
    rejoined file must hold the same header and body and load, or every header case would test a
    different damage than it says."""
    header, body = fmt.split(path.read_bytes())
    rejoined = fmt.join(header, body, set())
    assert fmt.split(rejoined) == (header, body)
    read = {"field checkpoint": _use_field, "INR-V space": _use_space, "codec .inr": _decode_codec,
            "Latent-INR .inr": _decode_latent}[kind]
    copy_ = tmp_path / path.name
    copy_.write_bytes(rejoined)
    read(copy_)
