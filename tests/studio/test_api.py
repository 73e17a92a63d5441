"""The studio as an API, as a script sees it through gradio_client: one deliberate name per action,
nothing auto-numbered or internal, and the README's example (scripts/api_example.py) runs."""

import json
import os
import re
import subprocess
import sys
import time
import urllib.request

import imageio.v3 as iio
import pytest

from conftest import ROOT, studio

ENDPOINTS = {
    # Fit
    "/estimate", "/fit", "/stop", "/load_example", "/load_checkpoint", "/preview_frame", "/fit_many", "/fit_many_stop",
    # Compare
    "/compare", "/compare_stop", "/compare_view",
    # Blend
    "/blend", "/blend_preview", "/blend_render",
    # Render
    "/render_preview", "/render", "/sr_check", "/sr_zoom", "/motion_view",
    # Latent space
    "/space_preview", "/space_interpolate", "/space_sample", "/space_box_preview", "/space_invert",
    "/space_inpaint", "/space_train",
    # Compress: the neural codec, then Latent-INR
    "/codec", "/codec_stop", "/codec_frame", "/codec_open", "/codec_open_frame", "/compress", "/search_frames",
    "/compress_interpolate",
}
EXAMPLE = ROOT / "scripts" / "api_example.py"


@pytest.fixture(scope="module")
def url():
    with studio() as address:
        yield address


def test_every_action_has_one_name_and_nothing_else_shows(url):
    from gradio_client import Client

    client = Client(url, verbose=False)
    info = client.view_api(return_format="dict", print_info=False)
    named = set(info["named_endpoints"])
    assert not [n for n in named if re.search(r"_\d+$", n)], f"auto-numbered copies: {sorted(named)}"
    assert not named & {"/ensure", "/on_load", "/load_pretrained", "/render_source"}, sorted(named)
    assert named == ENDPOINTS, (sorted(named - ENDPOINTS), sorted(ENDPOINTS - named))
    assert not info["unnamed_endpoints"]
    # Nor are any callable but undocumented: the server's full list is the same set.
    with urllib.request.urlopen(f"{url}gradio_api/info?all_endpoints=true", timeout=30) as r:
        everything = json.load(r)
    assert set(everything["named_endpoints"]) == ENDPOINTS and not everything["unnamed_endpoints"]


def test_the_readme_shows_the_example_as_it_runs():
    script = EXAMPLE.read_text()
    code = script[script.index('"""', 3) + 3:].strip()  # after the docstring
    readme = (ROOT / "README.md").read_text()
    assert f"```python\n{code}\n```" in readme


@pytest.mark.slow
def test_the_readme_example_fits_then_renders_a_gif(url, tmp_path):
    env = {**os.environ, "GRADIO_TEMP_DIR": str(tmp_path)}  # where the client downloads the GIF
    done = subprocess.run([sys.executable, str(EXAMPLE), url], capture_output=True, text=True, timeout=240, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    *shown, gif = done.stdout.strip().splitlines()
    assert "training pixels" in "\n".join(shown) and "rendered 48 frames" in "\n".join(shown)
    with open(gif, "rb") as f:
        assert f.read(6) in (b"GIF87a", b"GIF89a")
    frames = iio.imread(gif, index=None)
    assert frames.shape[0] == 48  # carphone.gif's frames, at temporal scale 1


@pytest.mark.slow
def test_stop_ends_the_same_clients_fit(url):
    from gradio_client import Client

    client = Client(url, verbose=False)
    job = client.submit(example="carphone.gif", upload=None, seconds=120, api_name="/fit")
    deadline = time.time() + 60
    while not job.outputs() and time.time() < deadline:  # the fit has started and made the session
        time.sleep(0.1)
    client.predict(api_name="/stop")
    stats = job.result(timeout=60)[0]
    assert "stopped at step" in stats


@pytest.mark.slow
def test_a_hostile_inr_upload_gets_a_sentence_and_the_server_serves_on(url, tmp_path):
    """A forged codec file (40 GB of network in its header, checksums right) uploaded through the API:
    one sentence naming the file, in seconds; another session then opens a real file."""
    from gradio_client import Client, handle_file

    import hostile

    header, body = hostile.CODEC.split((ROOT / "checkpoints" / "codec_jelly_small.inr").read_bytes())
    header["hidden"] = [100_000, 100_000]
    forged = tmp_path / "present.inr"
    forged.write_bytes(hostile.CODEC.join(header, body, set()))
    started = time.time()
    status, *_ = Client(url, verbose=False).predict(file=handle_file(str(forged)), example="jelly_small.mp4",
                                                    upload=None, api_name="/codec_open")
    assert time.time() - started < 30
    assert "Cannot open present.inr" in status and "hidden[0]" in status and "gradio" not in status.lower(), status
    status, frame, ours, theirs, note, files = Client(url, verbose=False).predict(
        file=handle_file(str(ROOT / "checkpoints" / "codec_jelly_small.inr")), example="jelly_small.mp4", upload=None,
        api_name="/codec_open")
    shipped = json.loads((ROOT / "checkpoints" / "codec_jelly_small.json").read_text())
    assert "100 frames of 160×90" in status and f"PSNR **{shipped['psnr']:.2f} dB**" in status, status
    assert files and files[0].endswith(".mp4")
