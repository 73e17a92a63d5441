"""Crash safety: a writer killed (SIGKILL) at random moments while it saves checkpoints and exports.

The previous checkpoint must still load, no partial file may sit under the final name, and the
temporary files a killed writer leaves are removed by the next save once stale. One process does
the imports and forks a fresh writer per round, so 20 kills cost seconds, not 20 torch imports.
"""

import os
import random
import signal
import subprocess
import sys
import threading
import time

import imageio.v3 as iio
import numpy as np
import pytest

from conftest import ROOT
from inr.core.media import files
from inr import api

KILLS = 20

# The fork server: prepares a small fitted run once, then per line on stdin forks a writer that
# saves the checkpoint (its step count is the version) and exports a GIF, over and over.
WRITER = r"""
import os, sys, time
import numpy as np, torch
torch.set_num_threads(1)
_fsync = os.fsync
def slow_fsync(fd):  # a slow disk: a kill at a random moment often lands inside a write
    time.sleep(0.03)
    _fsync(fd)
os.fsync = slow_fsync
def say(line):  # one write(2) per line: print() under PYTHONUNBUFFERED writes the newline apart,
    os.write(1, (line + "\n").encode())  # and a kill between the two would glue two lines together
from inr.core.media.io import Clip
from inr import api
folder = sys.argv[1]
frames = (np.random.default_rng(0).random((8, 48, 64, 3)) * 255).astype(np.uint8)
run = api.prepare([Clip(frames, 10.0, "noise")], arch="grid", device="cpu", steps=2, seconds=None)
for _ in api.fit(run):
    pass
say("ready")
for round_ in range(1, 1000):
    if not sys.stdin.readline():
        break
    pid = os.fork()
    if pid == 0:
        step = round_ * 1000
        while True:
            run.steps = step
            api.save(run, os.path.join(folder, "model.safetensors"))
            say(f"saved {step}")
            if step % 10 == 5:  # mostly checkpoints (and none first): the kills are meant for them
                api.export(os.path.join(folder, "clip.gif"), frames[:4, :24, :32], 10.0)
            step += 1
    say(f"writer {pid}")
    os.waitpid(pid, 0)
    say("reaped")
"""


def _read_until(proc, prefix: str, seen: list[str]) -> str:
    while True:
        line = proc.stdout.readline()
        assert line, f"the writer process ended: {proc.stderr.read()[-2000:]}"
        seen.append(line.strip())
        if line.startswith(prefix):
            return line.strip()


@pytest.mark.slow
def test_sigkill_during_saves_never_loses_the_previous_checkpoint(tmp_path):
    rng = random.Random(0)
    path, gif = tmp_path / "model.safetensors", tmp_path / "clip.gif"
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path)], cwd=ROOT, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    survived, mid_write, mid_export, last_saved = 0, 0, 0, None
    before, before_export = set(), set()
    watchdog = threading.Timer(300, proc.kill)  # a hang fails the test (the reads see the end) instead
    watchdog.start()
    try:
        _read_until(proc, "ready", [])
        for round_ in range(1, KILLS + 1):
            proc.stdin.write("go\n")
            proc.stdin.flush()
            seen = []
            pid = int(_read_until(proc, "writer", seen).split()[1])
            if last_saved is None:
                last_saved = int(_read_until(proc, "saved", seen).split()[1])
            time.sleep(rng.uniform(0.0, 0.15))  # a save takes ~50 ms on this slow disk
            os.kill(pid, signal.SIGKILL)
            _read_until(proc, "reaped", seen)
            saves = [int(s.split()[1]) for s in seen if s.startswith("saved")]
            # The file under the final name is a whole checkpoint: the last reported save, or the
            # one renamed just before the kill, before it could print (the next step, or this
            # round's first); if this writer finished none, what was there before.
            if saves:
                allowed = (saves[-1], saves[-1] + 1)
            else:
                allowed = (last_saved, round_ * 1000)
            run = api.load(path)
            assert run.steps in allowed and run.optimizer is not None
            last_saved = run.steps
            if gif.exists():
                assert iio.imread(gif, index=None).shape == (4, 24, 32, 3)
            left = set(files.temp_files(path))
            mid_write += bool(left - before)  # this kill cut a checkpoint write short
            before = left
            left = set(files.temp_files(gif))
            mid_export += bool(left - before_export)
            before_export = left
            survived += 1
    finally:
        watchdog.cancel()
        proc.stdin.close()
        proc.kill()
        proc.wait(timeout=30)
    assert survived == KILLS
    assert mid_write >= 3, f"only {mid_write} of {KILLS} kills landed during a checkpoint write"
    # Leftovers of killed writers: the next save or export removes them once stale (as if 11
    # minutes old).
    leftovers = files.temp_files(path) + files.temp_files(gif)
    old = time.time() - files.STALE_TMP_SECONDS - 60
    for tmp in leftovers:
        os.utime(tmp, (old, old))
    api.save(run, path)
    api.export(gif, np.zeros((2, 8, 8, 3), np.uint8), 10.0)
    assert not files.temp_files(path) and not files.temp_files(gif)
    assert api.load(path).steps == run.steps
    print(f"\n{survived} kills survived: {mid_write} during a checkpoint write, {mid_export} during a GIF export; "
          f"{len(leftovers)} temp files cleaned")


def test_a_fresh_temp_file_of_a_live_writer_is_left_alone(tmp_path):
    """Another process may be writing the same checkpoint right now: only stale leftovers go."""
    path = tmp_path / "model.safetensors"
    live = tmp_path / ".model.safetensors.abc12345.tmp.safetensors"
    live.write_bytes(b"half a checkpoint")
    files.atomic_write_bytes(path, b"whole")
    assert live.exists() and path.read_bytes() == b"whole"
    assert files.remove_stale_temp_files(path, older_than=0) == [live] and not live.exists()
    assert files.temp_files(path) == []
