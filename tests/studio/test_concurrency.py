"""Eight users at once: the studio as a real server (``app.main``, as an operator starts it) and eight
``gradio_client`` sessions, each uploading its own clip, fitting it for a couple of seconds and
downloading a render.

Each must get its own clip back (PSNR against its own input, far above the others'), no session may
read another's files, and once the sessions end their state and folders go and the server's
memory comes back near where it started.
"""

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from conftest import ROOT, free_port
from inr.core.evaluate.metrics import mse_to_psnr
from inr.core.media.io import load_clip

SESSIONS = 8
FIT_SECONDS = 3


def _clip(seed: int) -> np.ndarray:
    """uint8 (6, 24, 32, 3): a drifting wave over a colour of its own, per seed. The colours differ
    so much that even a fit starved of CPU by its seven neighbours is told apart by PSNR."""
    rng = np.random.default_rng(seed)
    t, y, x = np.meshgrid(np.arange(6), np.arange(24) / 24, np.arange(32) / 32, indexing="ij")
    base = rng.uniform(50, 205, size=3)
    channels = [b + 40 * np.sin(2 * np.pi * (rng.uniform(0.2, 0.8) * x + rng.uniform(0.2, 0.8) * y) + 0.2 * t
                                + rng.uniform(0, 2 * np.pi)) for b in base]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return mse_to_psnr(float(np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)) / 255**2)


def _wait(predicate, seconds: float, what: str):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if predicate():
            return
        time.sleep(0.25)
    raise AssertionError(f"timed out waiting for {what}")


def _status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as r:
            return r.status
    except urllib.error.HTTPError as err:
        return err.code
    except OSError:
        return 0


def _session(url: str, clip: Path, downloads: Path) -> dict:
    """One user: upload, fit, render, download; returns what came back."""
    from gradio_client import Client, handle_file

    client = Client(url, verbose=False, download_files=str(downloads))
    try:
        fit = client.predict(None, handle_file(str(clip)), "grid", "10", "every2", FIT_SECONDS, 32,
                             api_name="/fit")
        render = client.predict(1.0, 1.0, 0, 0, 0, False, api_name="/render")
        return {"stats": fit[0], "fit_files": [str(f) for f in fit[7]], "render_files": [str(f) for f in render[1]]}
    finally:
        client.close()  # the page closed: the server marks the session closed and later drops it


@pytest.mark.slow
def test_eight_sessions_each_get_their_own_clip_back(tmp_path):
    clips = []
    for i in range(SESSIONS + 1):  # the last one warms the server up
        path = tmp_path / f"user{i}.gif"
        iio.imwrite(path, _clip(i), duration=100, loop=0)
        clips.append(path)
    inputs = [load_clip(p).frames for p in clips]  # what the studio reads from each upload
    server_tmp = tmp_path / "server_tmp"
    server_tmp.mkdir()
    sessions_root = server_tmp / "inr-studio"
    port = free_port()
    url = f"http://127.0.0.1:{port}/"
    env = {**os.environ, "TMPDIR": str(server_tmp), "GRADIO_SERVER_PORT": str(port),
           # Gradio keeps a closed session's state an hour for a reconnecting tab; its test mode
           # (also a 0.25 s heartbeat) makes that one second, so the cleanup happens within the test.
           "GRADIO_IS_E2E_TEST": "1", "PYTHONPATH": str(ROOT)}
    server = subprocess.Popen([sys.executable, "-c", "import torch; torch.set_num_threads(2); import app; app.main()"],
                              cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        _wait(lambda: _status(url + "gradio_api/info") == 200 or server.poll() is not None, 180, "the server")
        assert server.poll() is None, server.stderr.read()[-3000:]
        launched = _rss_mb(server.pid)

        _session(url, clips[-1], tmp_path / "warm")
        _wait(lambda: not any(sessions_root.iterdir()), 60, "the warm-up session's folder to go")
        start = _rss_mb(server.pid)

        results, errors, peak = [None] * SESSIONS, [], [start]

        def user(i):
            try:
                results[i] = _session(url, clips[i], tmp_path / f"downloads{i}")
            except Exception as err:  # noqa: BLE001 - reported below with the session's number
                errors.append(f"session {i}: {type(err).__name__}: {err}")

        threads = [threading.Thread(target=user, args=(i,)) for i in range(SESSIONS)]
        for t in threads:
            t.start()
        folders = set()
        victim_status = None  # asked while the sessions live: their folders go soon after they end
        while any(t.is_alive() for t in threads):
            peak.append(_rss_mb(server.pid))
            folders |= set(sessions_root.iterdir())
            if victim_status is None:
                victim = next((f for folder in folders if folder.exists() for f in folder.glob("*.gif")), None)
                if victim is not None:
                    victim_status = _status(f"{url}gradio_api/file={victim}")
            time.sleep(0.2)
        for t in threads:
            t.join()
        assert not errors, errors

        psnr = np.zeros((SESSIONS, SESSIONS))
        for i, result in enumerate(results):
            files = result["fit_files"] + result["render_files"]
            # Only this session's own files came back: named after its own upload.
            assert all(Path(f).name.startswith(f"user{i}") for f in files), files
            gif = next(f for f in result["render_files"] if f.endswith(".gif"))
            rendered = iio.imread(gif, index=None)[..., :3]
            assert rendered.shape == inputs[i].shape
            psnr[i] = [_psnr(rendered, inputs[j]) for j in range(SESSIONS)]
        own, others = np.diag(psnr), psnr[~np.eye(SESSIONS, dtype=bool)].reshape(SESSIONS, -1)
        assert (own > 18).all(), own
        assert (own > others.max(axis=1) + 5).all(), (own, others.max(axis=1))

        # Each session wrote into its own folder only, and the server will not hand one
        # session's files to another (nor any file by its path on the server).
        folders |= set(sessions_root.iterdir())
        assert len(folders) >= SESSIONS
        for folder in folders:
            if folder.exists():
                stems = {p.name.split(".")[0].split("_")[0] for p in folder.iterdir()}
                assert len(stems) <= 1, stems
        assert victim_status == 403, victim_status  # another session's file, asked for by its path
        assert _status(f"{url}gradio_api/file={ROOT / 'app.py'}") == 403

        # The sessions ended: their state (models, clips) and folders are dropped.
        _wait(lambda: not any(sessions_root.iterdir()), 60, "the session folders to go")
        time.sleep(2)
        end = _rss_mb(server.pid)
        print(f"\nserver RSS: {launched:.0f} MB launched, {start:.0f} MB warmed up, {max(peak):.0f} MB peak with "
              f"{SESSIONS} sessions, {end:.0f} MB after they ended; own-clip PSNR {own.min():.1f}-{own.max():.1f} dB, "
              f"best other {others.max():.1f} dB")
        assert end < start + 64, (start, max(peak), end)
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=20)
