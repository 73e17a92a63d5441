"""The space trained by several processes under torchrun: the same weights as one process, lazily
decoded folders, resuming from rank 0's checkpoint, and the windows each rank takes."""

import os
import subprocess
import sys

import numpy as np
import pytest
import torch
from safetensors.torch import load_file

from conftest import ASSETS, ROOT
from inr.cli import main
from inr.core.train import distributed
from inr.methods.inr_v.data import Batches
from inr import api

SMALL = ["--frames", "8", "--height", "18", "--width", "24"]  # 12 windows of two clips: both counts even


def _env() -> dict:
    return {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONWARNINGS": "ignore"}


def _train(out, *extra, processes: int = 1, timeout: int = 240) -> subprocess.CompletedProcess:
    launcher = ["-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}"] if processes > 1 else []
    cmd = [sys.executable, *launcher, "-m", "inr", "space", "train", str(ASSETS / "office_plant.mp4"),
           str(ASSETS / "carphone.gif"), "--out", str(out), *SMALL, *map(str, extra)]
    done = subprocess.run(cmd, cwd=ROOT, env=_env(), capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, done.stderr[-3000:]
    return done


@pytest.mark.slow
def test_two_processes_train_the_weights_one_process_trains(tmp_path):
    _train(tmp_path / "one", "--steps", 20)
    two = _train(tmp_path / "two", "--steps", 20, processes=2)
    assert "2 processes (DistributedDataParallel, gloo), 4 windows each a step" in two.stderr
    assert two.stdout.count("wrote") == 1  # rank 0 alone reports and writes
    one = load_file(tmp_path / "one" / "space.safetensors")
    both = load_file(tmp_path / "two" / "space.safetensors")
    assert one.keys() == both.keys()
    for name in one:
        # Adam divides by the gradient's running size, so a summation order's last bits move a
        # weight by a small share of one step (lr 3e-3): far below what a different draw moves it.
        torch.testing.assert_close(both[name], one[name], rtol=0, atol=1e-3, msg=name)
    a = api.inr_v.load(tmp_path / "one" / "space.safetensors")
    b = api.inr_v.load(tmp_path / "two" / "space.safetensors")
    assert np.abs(api.inr_v.sample(a, 1).astype(int) - api.inr_v.sample(b, 1).astype(int)).max() <= 2


@pytest.mark.slow
def test_a_time_budget_ends_every_rank_on_the_same_step(tmp_path):
    # Were the ranks' clocks not agreed, one would stop first and the other wait for its gradients forever.
    done = _train(tmp_path / "t", "--seconds", 1.5, "--json", processes=2, timeout=120)
    assert '"processes": 2' in done.stdout.splitlines()[-1]


def test_ranks_take_disjoint_parts_of_the_windows_one_process_takes():
    order = torch.randperm(12, generator=torch.Generator().manual_seed(5))
    one = Batches(order, 8, seed=0)
    ranks = [Batches(order, 8, seed=0, where=distributed.Place(r, 2, r)) for r in range(2)]
    for active in (4, 4, 8, 8, 8, 12, 12, 12, 12):  # a set that grows, epochs that end mid-step
        whole = one.next(active)
        parts = [b.next(active) for b in ranks]
        assert sorted(parts[0] + parts[1]) == sorted(whole) and len(parts[0]) == len(parts[1]) == 4
    with pytest.raises(ValueError, match="multiple of 3"):
        Batches(order, 8, seed=0, where=distributed.Place(0, 3, 0))


def test_a_folder_is_decoded_once_into_a_cache_its_bad_files_skipped_and_a_training_resumes(tmp_path):
    data = tmp_path / "data"
    (data / "sub").mkdir(parents=True)
    for name, where in (("office_plant.mp4", data), ("carphone.gif", data / "sub")):
        (where / name).write_bytes((ASSETS / name).read_bytes())
    (data / "broken.mp4").write_bytes(b"not a video")
    out = tmp_path / "out"
    first = main(["space", "train", "--data", str(data), "--out", str(out), *SMALL, "--steps", "10"])
    assert first == 0
    space = api.inr_v.load(out / "space.safetensors")
    assert space.steps == 10 and space.saved_optimizer is not None
    cached = {p: p.stat().st_mtime_ns for p in (out / "windows").glob("*.npy")}
    assert len(cached) == 2  # each readable clip's windows decoded once, into one file
    assert space.names() == [f"{name}#{k}{flip}" for name in ("office_plant.mp4", "sub/carphone.gif")
                             for k in range(3) for flip in ("", " flipped")]  # broken.mp4 skipped
    # the same command with --resume and a larger budget goes on from step 10
    assert main(["space", "train", "--data", str(data), "--out", str(out), *SMALL, "--steps", "15",
                         "--resume"]) == 0
    again = api.inr_v.load(out / "space.safetensors")
    assert again.steps == 15 and [r.step for r in again.history][0] == 1
    assert {p: p.stat().st_mtime_ns for p in (out / "windows").glob("*.npy")} == cached  # read, not decoded again
    # a spent budget trains nothing and leaves the file as it is
    before = (out / "space.safetensors").read_bytes()
    assert main(["space", "train", "--data", str(data), "--out", str(out), *SMALL, "--resume"]) == 0
    assert (out / "space.safetensors").read_bytes() == before
    # other windows than the checkpoint's are refused, nothing written
    before = (out / "space.safetensors").read_bytes()
    assert main(["space", "train", "--data", str(data), "--out", str(out), *SMALL, "--steps", "20",
                         "--resume", "--no-flips"]) == 2
    assert (out / "space.safetensors").read_bytes() == before


def test_a_resumed_training_keeps_its_settings_and_a_new_budget_is_a_total(tmp_path, capsys):
    out = tmp_path / "out"
    clips = [str(ASSETS / "office_plant.mp4"), str(ASSETS / "carphone.gif")]
    settings = ["--no-progressive", "--latent-reg", "0", "--clips-per-step", "4", "--seed", "3"]
    assert main(["space", "train", *clips, "--out", str(out), *SMALL, *settings, "--steps", "6"]) == 0
    assert main(["space", "train", *clips, "--out", str(out), *SMALL, "--steps", "9", "--resume"]) == 0
    assert "with the settings it was started with" in capsys.readouterr().err
    space = api.inr_v.load(out / "space.safetensors")
    assert space.steps == 9 and space.train_cfg.steps == 9
    cfg = space.train_cfg
    assert (cfg.progressive, cfg.latent_reg, cfg.clips_per_step, cfg.seed) == (False, 0.0, 4, 3)


@pytest.mark.parametrize("cache", [False, True])
def test_folder_windows_are_the_windows_of_the_decoded_clips(tmp_path, cache):
    (tmp_path / "a.gif").write_bytes((ASSETS / "carphone.gif").read_bytes())
    shape = (8, 18, 24)
    lazy = api.inr_v.folder([tmp_path / "a.gif"], tmp_path, shape, count=3, flips=True,
                            cache=tmp_path / "cache" if cache else None)
    clip = api.load_clips([tmp_path / "a.gif"], max_frames=0, max_size=api.inr_v.decode_size(shape), device="cpu")[0]
    eager = api.inr_v.windows(clip, shape, 3, True)
    assert len(lazy) == len(eager) == 6
    for k, window in enumerate(eager):
        assert np.array_equal(lazy[k].numpy(), window.frames), k
    if cache:  # a fresh Folder reads the windows back from the disk, mapped
        again = api.inr_v.folder([tmp_path / "a.gif"], tmp_path, shape, count=3, flips=True, cache=tmp_path / "cache")
        assert isinstance(again.windows_of(0), np.memmap) and np.array_equal(again[5].numpy(), eager[5].frames)
