"""``fit-many``: one fit per clip of a folder, in one process or shared among torchrun's ranks; the
manifest, resuming after a crash, a bad clip among good ones, and bad input."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import imageio.v3 as iio
import pytest

from conftest import ASSETS, ROOT
from inr.cli import main

TINY = ["--steps", "5", "--max-size", "32", "--max-frames", "4", "--device", "cpu"]  # a fraction of a second a fit


def clips(folder, bad=False):
    """A folder of real clips in sub-folders: two videos, a GIF, a folder of PNG frames (and garbage
    bytes named bad.mp4 when `bad`); returns their names as the manifest gives them."""
    (folder / "sub" / "deeper").mkdir(parents=True)
    shutil.copy(ASSETS / "jelly_every4.mp4", folder / "sub" / "jelly.mp4")
    shutil.copy(ASSETS / "carphone.gif", folder / "sub" / "deeper" / "carphone.gif")
    shutil.copy(ASSETS / "office_plant.mp4", folder / "plant10.mp4")
    frames = iio.imread(ASSETS / "jelly_small.mp4", plugin="FFMPEG", index=None)[:3, ::4, ::4]  # (3, 23, 40, 3)
    (folder / "frames").mkdir()
    for i, frame in enumerate(frames):
        iio.imwrite(folder / "frames" / f"f{i}.png", frame)
    names = ["frames", "plant10.mp4", "sub/deeper/carphone.gif", "sub/jelly.mp4"]
    if bad:
        (folder / "bad.mp4").write_bytes(os.urandom(4000))
        names.insert(0, "bad.mp4")
    return names


def manifest(out) -> list[dict]:
    return [json.loads(line) for line in (out / "manifest.jsonl").read_text().splitlines()]


def fit_many(*args, capsys):
    code = main(["fit-many", *map(str, args)])
    out, err = capsys.readouterr()
    return code, out, err


def torchrun(*args, nproc=2, timeout=180):
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    return subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node",
                           str(nproc), "-m", "inr", "fit-many", *map(str, args)], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, env=env)


@pytest.mark.slow
def test_one_process_fits_the_good_clips_and_reports_the_bad_one_then_a_rerun_resumes(tmp_path, capsys):
    names = clips(tmp_path / "in", bad=True)
    out = tmp_path / "out"
    code, stdout, stderr = fit_many(tmp_path / "in", "--out", out, *TINY, "--json", capsys=capsys)
    assert code == 1, stderr  # a clip failed
    totals = json.loads(stdout.splitlines()[-1])
    assert (totals["clips"], totals["ok"], totals["failed"], totals["skipped"], totals["world"]) == (5, 4, 1, 0, 1)
    assert "4 ok, 1 failed" in stdout and str(out / "manifest.jsonl") in stdout
    rows = manifest(out)
    assert [r["name"] for r in rows] == names == [r["name"] for r in totals["rows"]]
    bad, *good = rows
    assert bad["status"] == "failed" and "not a video or image file" in bad["reason"] and bad["train_psnr"] is None
    assert "bad.mp4  failed: not a video or image file" in stderr
    for row in good:
        assert row["status"] == "ok" and row["reason"] is None and (row["rank"], row["device"]) == (0, "cpu")
        assert row["steps"] == 5 and row["model_bytes"] > 0 and row["seconds"] > 0
        assert all(5 < row[k] < 60 for k in ("train_psnr", "heldout_psnr", "bilinear_psnr", "bicubic_psnr"))
        folder = out / row["name"]  # the clip's path below DIR, suffix kept
        assert {"model.safetensors", "run.json", "curves.html", "comparison.png", "row.json"} <= {
            p.name for p in folder.iterdir()}
        assert json.loads((folder / "run.json").read_text())["fit_config"]["seed"] == 0
        assert not (folder / "plotly.min.js").exists()  # one copy for all, read by a relative path
        assert f'src="{os.path.relpath(out / "plotly.min.js", folder)}"' in (folder / "curves.html").read_text()
    assert (out / "plotly.min.js").stat().st_size > 1_000_000
    assert len(stderr.splitlines()) == 1 + 5 + 1  # what is to do, a line a clip (no fit progress), the rank's sum

    done = {r["name"]: (out / r["name"] / "row.json").stat().st_mtime_ns for r in good}
    code, stdout, stderr = fit_many(tmp_path / "in", "--out", out, *TINY, "--json", capsys=capsys)
    assert code == 1 and "4 done already (skipped), 1 to fit" in stderr
    assert "bad.mp4  failed" in stderr and "sub/jelly.mp4" not in stderr  # the failed clip tried again, the ok ones not
    assert json.loads(stdout.splitlines()[-1])["skipped"] == 4
    assert {n: (out / n / "row.json").stat().st_mtime_ns for n in done} == done

    shutil.copy(ASSETS / "jelly_every4.mp4", tmp_path / "in" / "bad.mp4")  # mended: the retry succeeds
    code, stdout, _ = fit_many(tmp_path / "in", "--out", out, *TINY, capsys=capsys)
    assert code == 0 and "1 ok, 0 failed, 4 skipped" in stdout
    assert [r["status"] for r in manifest(out)] == ["ok"] * 5


@pytest.mark.slow
def test_two_processes_share_the_clips_and_one_manifest(tmp_path):
    names = clips(tmp_path / "in", bad=True)
    out = tmp_path / "out"
    result = torchrun(tmp_path / "in", "--out", out, *TINY, "--json")
    assert result.returncode != 0 and "exitcode  : 1" in result.stderr  # rank 0 said a clip failed; torchrun says so
    assert "rank 0/2" in result.stderr and "rank 1/2" in result.stderr
    objects = [line for line in result.stdout.splitlines() if line.startswith("{")]
    assert len(objects) == 1  # rank 0's totals only
    totals = json.loads(objects[0])
    assert (totals["world"], totals["ok"], totals["failed"]) == (2, 4, 1)
    rows = manifest(out)
    assert [r["name"] for r in rows] == names  # complete, each clip once
    assert {r["rank"] for r in rows} == {0, 1}
    by_rank = {rank: [r["name"] for r in rows if r["rank"] == rank] for rank in (0, 1)}
    assert not set(by_rank[0]) & set(by_rank[1]) and len(by_rank[0]) == 3 and len(by_rank[1]) == 2


@pytest.mark.slow
def test_a_rank_with_nothing_to_do_says_so_and_exits_0(tmp_path):
    (tmp_path / "in").mkdir()
    shutil.copy(ASSETS / "jelly_every4.mp4", tmp_path / "in" / "jelly.mp4")
    result = torchrun(tmp_path / "in", "--out", tmp_path / "out", *TINY)
    assert result.returncode == 0, result.stderr
    assert "rank 1/2: nothing to do" in result.stderr
    assert [(r["name"], r["rank"], r["status"]) for r in manifest(tmp_path / "out")] == [("jelly.mp4", 0, "ok")]


@pytest.mark.slow
def test_a_killed_run_resumes_without_refitting_what_was_done(tmp_path, capsys):
    names = clips(tmp_path / "in")
    out = tmp_path / "out"
    first = out / names[0] / "row.json"
    args = [sys.executable, "-m", "inr", "fit-many", str(tmp_path / "in"), "--out", str(out), *TINY[2:],
            "--steps", "100000", "--seconds", "2"]  # each clip 2 s, long enough to be killed in the middle of one
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while not first.exists() and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        assert first.exists()
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    assert not (out / names[1] / "row.json").exists()  # killed in the middle of the second clip
    done = first.stat().st_mtime_ns, (out / names[0] / "model.safetensors").stat().st_mtime_ns

    code, stdout, stderr = fit_many(tmp_path / "in", "--out", out, *TINY, capsys=capsys)
    assert code == 0 and "1 done already (skipped), 3 to fit" in stderr, stderr
    assert [(r["name"], r["status"]) for r in manifest(out)] == [(n, "ok") for n in names]
    assert (first.stat().st_mtime_ns, (out / names[0] / "model.safetensors").stat().st_mtime_ns) == done


def workers(pid) -> dict[int, int]:
    """RANK -> pid of the worker processes a torchrun process `pid` started (read from /proc)."""
    found = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rpartition(")")[2].split()[1]) == pid:
                env = dict(v.split("=", 1) for v in (stat.parent / "environ").read_text().split("\0") if "=" in v)
                found[int(env["RANK"])] = int(stat.parent.name)
        except (OSError, ValueError, KeyError):  # gone meanwhile, or not a worker
            pass
    return found


@pytest.mark.slow
def test_under_torchrun_a_killed_rank_restarts_the_group_which_skips_finished_clips(tmp_path):
    names = clips(tmp_path / "in")
    out = tmp_path / "out"
    args = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc-per-node", "2", "--max-restarts",
            "1", "-m", "inr", "fit-many", str(tmp_path / "in"), "--out", str(out), *TINY[2:], "--steps", "100000",
            "--seconds", "2", "--json"]
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, "OMP_NUM_THREADS": "1"}, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while not list(out.glob("**/row.json")) and time.monotonic() < deadline and proc.poll() is None:
            time.sleep(0.05)
        done = {row: row.stat().st_mtime_ns for row in out.glob("**/row.json")}  # one, or one a rank
        assert done
        os.kill(workers(proc.pid)[1], signal.SIGKILL)  # in the middle of a clip: rank 1's first, or its second
        stdout, stderr = proc.communicate(timeout=120)
    finally:
        proc.kill()
    assert proc.returncode == 0, stderr
    assert stderr.count("0 done already (skipped)") == 1 and stderr.count("done already (skipped)") == 2
    totals = json.loads(stdout.strip().splitlines()[-1])
    assert totals["skipped"] >= 1 and totals["ok"] + totals["skipped"] == 4 and totals["failed"] == 0
    assert [(r["name"], r["status"]) for r in manifest(out)] == [(n, "ok") for n in names]
    assert {row: row.stat().st_mtime_ns for row in done} == done  # not fitted again


@pytest.mark.parametrize("case, says", [
    ("empty", "no clips found in it or its sub-folders (looked for .mp4"),
    ("missing", "no such folder"),
    ("out is a file", "is a file, expected a folder"),
    ("out is the clips' folder", "is the clips' folder itself"),
])
def test_bad_folders_are_one_line_and_exit_2(tmp_path, capsys, case, says):
    folder, out = tmp_path / "in", tmp_path / "out"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a clip")
    (folder / ".hidden.mp4").write_bytes(b"hidden: passed over")
    if case != "empty":
        shutil.copy(ASSETS / "jelly_every4.mp4", folder / "jelly.mp4")
    if case == "missing":
        folder = tmp_path / "nowhere"
    elif case == "out is a file":
        out.write_text("a file")
    elif case == "out is the clips' folder":
        out = folder
    code, stdout, stderr = fit_many(folder, "--out", out, *TINY, capsys=capsys)
    assert code == 2 and stdout == ""
    assert stderr.startswith("error: ") and says in stderr and len(stderr.strip().splitlines()) == 1
    if case == "empty":
        assert str(folder) in stderr and ".gif" in stderr and "png" in stderr
