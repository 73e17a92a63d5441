"""The issue's table of hostile codec files, each pinned: copies of the shipped .inr whose header was
edited (checksums recomputed, as anyone can) are refused by ``decompress`` with exit code 2 and one
line naming the file and the field, in under 5 s, under the memory cap, writing nothing."""

import contextlib
import copy
import io
import subprocess
import sys
import time
import zlib

import pytest

import hostile
from conftest import ROOT
from inr.methods.codec import header as checks
from inr import cli

SHIPPED = ROOT / "checkpoints" / "codec_jelly_small.inr"


def _forged(edit) -> bytes:
    """The shipped file with `edit(header)` applied to its header, or `edit(header, body)` returning a new body."""
    header, body = hostile.CODEC.split(SHIPPED.read_bytes())
    original = copy.deepcopy(header)
    new_body = edit(header, body)
    touched = {k for k in header if header[k] != original.get(k)}  # a lie about words or crc stays a lie
    return hostile.CODEC.join(header, new_body if new_body is not None else body, touched)


def _shape(header, body):
    header["shape"] = [100, 3000, 3000]
    header["levels"][0] = [1, 2, 2]


def _flip(header, body):
    damaged = bytearray(body)
    damaged[len(damaged) // 2] ^= 0xFF
    return bytes(damaged)


# (what the issue did, the edit, what the one line must say)
ROWS = [
    ("shape a few thousand a side", _shape, "header field 'shape' is 100 frames of 3,000x3,000: decoding it needs"),
    ("hidden widths 100,000", lambda h, b: h.update(hidden=[100_000, 100_000]), "header field 'hidden[0]' must be"),
    ("levels repeated 200,000 times", lambda h, b: h.update(levels=h["levels"] * 200_000),
     "header field 'levels' must be a list of 1..8 grids, got a list of 1,000,000 entries"),
    ("steps 10^6", lambda h, b: h.update(steps={k: 10**6 for k in h["steps"]}), "header field 'steps.layers.0.weight'"),
    ("arm_hidden 10^6", lambda h, b: h.update(arm_hidden=10**6), "header field 'arm_hidden' must be"),
    ("arm_hidden 32 (in range, not what the body holds)", lambda h, b: h.update(arm_hidden=32),
     "damaged body: it does not decode"),
    ("one body byte flipped under a valid checksum", _flip, "damaged body: it does not decode"),
    ("fps 'nan'", lambda h, b: h.update(fps="nan"), "header field 'fps' must be a finite number"),
    ("one frame fewer than the body holds", lambda h, b: h["shape"].__setitem__(0, 99), "damaged body"),
    ("a body's words claimed twice", lambda h, b: h.update(words=2 * h["words"]), "truncated or padded"),
]


def _cli(args: list[str]) -> tuple[int, list[str]]:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        code = cli.main(args)
    return code, err.getvalue().strip().splitlines()


@pytest.mark.slow
@pytest.mark.parametrize("name, edit, says", ROWS, ids=[r[0] for r in ROWS])
def test_each_row_of_the_table_is_refused_in_one_line(name, edit, says, tmp_path):
    path = tmp_path / "forged.inr"
    path.write_bytes(_forged(edit))
    out = tmp_path / "frames"
    started = time.perf_counter()
    with hostile.memory_cap(hostile.MEMORY):
        code, lines = _cli(["decompress", str(path), "--out", f"{out}/"])
    assert time.perf_counter() - started < hostile.SECONDS
    assert code == 2 and len(lines) == 1, lines
    assert lines[0].startswith(f"error: {path}: ") and says in lines[0], lines[0]
    assert not out.exists()  # nothing written


@pytest.mark.slow
def test_a_forged_file_as_a_real_process(tmp_path):
    """What a shell user sees for the 40 GB one: exit 2, one line, no traceback, in seconds."""
    path = tmp_path / "wide.inr"
    path.write_bytes(_forged(lambda h, b: h.update(hidden=[100_000, 100_000])))
    done = subprocess.run([sys.executable, "-m", "inr", "decompress", str(path), "--out", str(tmp_path / "x.mp4")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "hidden[0]" in done.stderr and not (tmp_path / "x.mp4").exists()


def test_the_budget_is_named_and_can_be_raised(tmp_path):
    """A clip larger than the decode limit is refused naming it; raising the limit lets it through."""
    header, body = hostile.CODEC.split(SHIPPED.read_bytes())
    cfg = checks.config(header)
    need = checks.decode_bytes(cfg, 8)
    assert 0 < need < checks.DECODE_LIMIT  # the shipped file decodes in about 50 MB
    path = tmp_path / "shipped.inr"
    path.write_bytes(SHIPPED.read_bytes())
    code, lines = _cli(["decompress", str(path), "--out", str(tmp_path / "a.mp4"), "--max-memory", "0.01"])
    assert code == 2 and "above the limit of 0.01 GiB" in lines[0]
    code, _ = _cli(["decompress", str(path), "--out", str(tmp_path / "b.mp4"), "--max-memory", "0.5"])
    assert code == 0 and (tmp_path / "b.mp4").is_file()


def test_an_honest_file_passes_every_check(tmp_path):
    """The shipped file's own header: within every limit, its body long enough for what it claims."""
    header, body = hostile.CODEC.split(SHIPPED.read_bytes())
    cfg = checks.config(header)
    shapes = checks.network_shapes(cfg)
    _, scales = checks.steps_and_scales(header, shapes)
    floor = checks.body_floor_bits(cfg, shapes, scales)
    assert floor < 8 * len(body)  # the bound is a bound ...
    assert floor > 0.01 * 8 * len(body)  # ... and not a vacuous one: the networks cost what their scales say
    assert zlib.crc32(body) == header["crc"]
