"""Hostile files (issue 26): every reader fuzzed with real files damaged at random (``hostile.py``),
and each row of the issue's table pinned through the command line.

The fuzz runs under Hypothesis's profile: "fast" (seeded, a few dozen cases a reader) in the suite,
"long" on demand (``python -m pytest tests/test_hostile_files.py --hypothesis-profile long``, or
``python -m bench.fuzz``, which also writes what was found).
"""

import json
import os
import time
from collections import Counter
from pathlib import Path

import numpy as np
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
