"""The studio in a real browser: Debian's chromium driven by Playwright (never `playwright install`).

Screenshots land in runs/screenshots/ for a person to look at.
"""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from urllib.parse import urlparse

import imageio.v3 as iio
import pytest

import hostile
from conftest import ROOT, free_port

CHROMIUM = "/usr/bin/chromium"
SHOTS = ROOT / "runs" / "screenshots"

playwright = pytest.importorskip("playwright.sync_api")
if not Path(CHROMIUM).exists() and not os.environ.get("CI"):
    pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)


@pytest.fixture(scope="module")
def server():
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_PORT": str(port), "PYTHONUNBUFFERED": "1"}
    env.pop("GRADIO_SERVER_NAME", None)
    proc = subprocess.Popen([sys.executable, "app.py"], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    while time.time() < deadline:
        try:
            urllib.request.urlopen(url, timeout=2)
            break
        except OSError:
            if proc.poll() is not None:
                raise RuntimeError(f"app exited: {proc.stdout.read()}")
            time.sleep(0.5)
    else:
        proc.kill()
        raise RuntimeError("app did not start in 120 s")
    yield url
    proc.terminate()
    proc.wait(timeout=20)


def _reachable_beyond_loopback(port: int) -> bool:
    """Whether the server answers on this machine's own network address (it must not by default)."""
    try:  # a UDP connect sends nothing; it only picks the interface a route would use
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            probe.connect(("192.0.2.1", 9))
            address = probe.getsockname()[0]
    except OSError:
        return False
    if address.startswith("127."):
        return False
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((address, port)) == 0


def _curve_points(page) -> int:
    return page.evaluate(
        "() => { const p = document.querySelector('#fit-curves .js-plotly-plot');"
        " return p && p.data && p.data.length ? p.data[0].x.length : 0; }")


@pytest.mark.slow
def test_studio_in_a_browser(server, tmp_path):
    SHOTS.mkdir(parents=True, exist_ok=True)
    port = urlparse(server).port
    assert not _reachable_beyond_loopback(port)
    outside = []
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        page = browser.new_page(viewport={"width": 1400, "height": 1100}, accept_downloads=True)

        def note(request):
            host = urlparse(request.url).hostname
            if request.url.startswith(("http:", "https:", "ws:", "wss:")) and host not in ("127.0.0.1", "localhost"):
                outside.append(request.url)

        page.on("request", note)
        page.goto(server)
        page.locator("#fit-stats").get_by_text("pretrained").wait_for(timeout=90_000)
        page.wait_for_function("() => document.querySelector('#fit-curves .js-plotly-plot') !== null",
                               timeout=30_000)
        page.screenshot(path=str(SHOTS / "1_fit_first_launch.png"), full_page=True)

        # A bad upload is refused in one sentence at the upload; the shipped results stay, unbadged.
        bad = tmp_path / "notes.mp4"
        bad.write_text("not a video")
        page.locator("#fit-upload input[type=file]").set_input_files(str(bad))
        page.locator("#fit-notice").get_by_text("notes.mp4 was not loaded").wait_for(timeout=30_000)
        notice = page.locator("#fit-notice").inner_text()
        assert "/tmp" not in notice and "ffmpeg" not in notice.lower() and "Invalid data" not in notice
        page.locator("#fit-clip-text").get_by_text("Start fits jelly_small.mp4").wait_for(timeout=30_000)
        # Start with a refused setting: one toast, and the previous results are still on the page.
        page.get_by_role("radio", name="fourier").check()
        sigma = page.get_by_label("σ for fourier ('none' for raw coordinates)")
        sigma.fill("-3")
        page.click("#fit-start")
        page.get_by_text("sigma must be a number > 0").first.wait_for(timeout=30_000)
        page.screenshot(path=str(SHOTS / "1_fit_refused.png"), full_page=True)
        assert "pretrained" in page.locator("#fit-stats").inner_text()
        assert page.locator("#fit-curves .js-plotly-plot").count() == 1
        assert page.get_by_text("Error", exact=True).count() == 0  # no component turned into an error badge
        sigma.fill("10")
        page.get_by_role("radio", name="motion").check()

        # An upload is the current clip: the card names it, the example choice is emptied.
        mine = tmp_path / "my_clip.mp4"
        mine.write_bytes((ROOT / "assets" / "jelly_small.mp4").read_bytes())
        page.locator("#fit-upload input[type=file]").set_input_files(str(mine))
        page.locator("#fit-clip-text").get_by_text("Start fits my_clip.mp4").wait_for(timeout=30_000)
        assert "your upload" in page.locator("#fit-clip-text").inner_text()
        assert page.locator("#fit-example input").input_value() == ""

        # Fit it for a few seconds and watch the curve gain points.
        seconds = page.locator("#fit-seconds input[type=number]")
        seconds.fill("10")
        seconds.press("Enter")
        page.click("#fit-start")
        page.locator("#fit-stats").get_by_text("steps/s").wait_for(timeout=60_000)
        page.wait_for_function(
            "() => { const p = document.querySelector('#fit-curves .js-plotly-plot');"
            " return p && p.data && p.data.length && p.data[0].x.length >= 2; }", timeout=30_000)
        first = _curve_points(page)
        page.locator("#fit-downloads").get_by_text(re.compile(r"\.gif")).wait_for(timeout=120_000)
        assert _curve_points(page) > first
        assert "Results for my_clip.mp4" in page.locator("#fit-stats").inner_text()
        page.locator("#fit-advice").get_by_text("Try next").wait_for(timeout=10_000)
        page.screenshot(path=str(SHOTS / "2_fit_done.png"), full_page=True)

        # A reload mid-fit finds the session: its clip, the model so far, and what the reload stopped.
        seconds.fill("60")
        seconds.press("Enter")
        page.click("#fit-start")
        page.locator("#fit-stats").get_by_text("(fitting)").wait_for(timeout=60_000)
        page.locator("#fit-stats").get_by_text("steps/s").wait_for(timeout=60_000)
        page.reload()
        page.locator("#fit-stats").get_by_text("The page was left while my_clip.mp4 was fitting").wait_for(
            timeout=90_000)
        assert "Results for my_clip.mp4" in page.locator("#fit-stats").inner_text()
        page.locator("#fit-clip-text").get_by_text("Start fits my_clip.mp4").wait_for(timeout=30_000)
        page.locator("#fit-downloads").get_by_text(re.compile(r"\.gif")).wait_for(timeout=60_000)
        assert "my_clip" in page.locator("#fit-downloads").inner_text()
        page.screenshot(path=str(SHOTS / "2_fit_reloaded.png"), full_page=True)

        # One model per clip: two examples, a couple of seconds each, a table row for each.
        page.get_by_text("One model per clip").click()
        many = page.locator("#many-examples")
        for name in ("carphone.gif", "office_plant.mp4"):
            many.get_by_label(name).check()
        many_seconds = page.locator("#many-seconds input[type=number]")
        many_seconds.fill("2")
        many_seconds.press("Enter")
        page.click("#many-start")
        page.locator("#many-status").get_by_text("2 of 2 clips fitted").wait_for(timeout=90_000)
        assert page.locator("#many-table tr").count() == 3  # the header and a row a clip
        page.screenshot(path=str(SHOTS / "7_fit_many.png"), full_page=True)

        # Blend: drag the alpha slider; a preview appears while dragging, the GIF on release.
        page.get_by_role("tab", name="Blend").click()
        slider = page.locator("#blend-alpha input[type=range]")
        slider.wait_for()
        box = slider.bounding_box()
        y = box["y"] + box["height"] / 2
        page.mouse.move(box["x"] + box["width"] * 0.2, y)
        page.mouse.down()
        for f in (0.3, 0.5, 0.7):
            page.mouse.move(box["x"] + box["width"] * f, y, steps=4)
        page.mouse.up()
        page.locator("#blend-preview img").wait_for(timeout=60_000)
        page.locator("#blend-gif img").wait_for(timeout=60_000)
        page.screenshot(path=str(SHOTS / "3_blend.png"), full_page=True)

        # Render at the default scales and download the GIF.
        page.get_by_role("tab", name="Render").click()
        page.locator("#render-info").get_by_text("frames of").wait_for(timeout=60_000)
        # Temporal first: the info showing the new spatial size then also reflects the new rate.
        for elem, value in (("#render-temporal", "2"), ("#render-spatial", "1.5")):
            box = page.locator(f"{elem} input[type=number]")
            box.fill(value)
            box.press("Enter")
        page.locator("#render-info").get_by_text("240×135").wait_for(timeout=60_000)
        info = page.locator("#render-info").inner_text()
        frames = int(re.search(r"(\d+) frames of", info).group(1))
        page.click("#render-go")
        row = page.locator("#render-files tr").filter(has_text=re.compile(r"\.gif"))
        row.first.wait_for(timeout=240_000)
        link = row.first.locator("a")
        with page.expect_download() as download:
            link.first.click()
        saved = tmp_path / "render.gif"
        download.value.save_as(saved)
        assert iio.imread(saved, index=None).shape[0] == frames
        page.screenshot(path=str(SHOTS / "4_render.png"), full_page=True)

        # Compare shows the shipped σ sweep at once; then a preset of three architectures runs to its table.
        page.get_by_role("tab", name="Compare").click()
        page.locator("#compare-status").get_by_text("Shipped").wait_for(timeout=60_000)
        page.locator("#compare-table").get_by_text("bicubic rebuild").wait_for(timeout=60_000)
        page.locator("#compare-panel img").wait_for(timeout=60_000)
        page.screenshot(path=str(SHOTS / "5_compare_shipped.png"), full_page=True)
        configs = page.locator("#compare-configs textarea")
        configs.fill("relu;fourier:sigma=10;siren:omega0=3")
        configs.type("0")  # typed by hand: the preset menu now says custom
        page.wait_for_function("() => [...document.querySelectorAll('input')].some(i => i.value.startsWith('custom'))",
                               timeout=10_000)
        seconds = page.get_by_role("spinbutton", name="number input for Seconds each")
        seconds.fill("2")
        seconds.press("Enter")
        page.click("#compare-go")
        page.locator("#compare-table").get_by_text("siren ω₀=30").wait_for(timeout=120_000)
        page.locator("#compare-gifs img").nth(2).wait_for(timeout=60_000)
        page.evaluate("window.scrollTo(0, 0)")
        page.screenshot(path=str(SHOTS / "5_compare_fitted.png"), full_page=True)

        # Compress shows the shipped neural-codec file at once: its chart, table and frames.
        page.get_by_role("tab", name="Compress").click()
        page.locator("#codec-status").get_by_text("Shipped file").wait_for(timeout=60_000)
        page.locator("#codec-ours img").wait_for(timeout=60_000)
        page.locator("#codec-table").get_by_text("x265").wait_for(timeout=10_000)
        page.wait_for_function("() => { const p = document.querySelector('#codec-chart .js-plotly-plot');"
                               " return p && p.data && p.data.length >= 6; }", timeout=30_000)
        page.screenshot(path=str(SHOTS / "6_compress.png"), full_page=True)

        # Open an .inr: a forged one gets one sentence and leaves nothing broken; the real one its frames.
        page.get_by_text("Open an .inr file").click()
        forged = tmp_path / "forged.inr"
        header, body = hostile.CODEC.split((ROOT / "checkpoints" / "codec_jelly_small.inr").read_bytes())
        header["levels"] = header["levels"] * 200_000
        forged.write_bytes(hostile.CODEC.join(header, body, set()))
        page.locator("#open-file input[type=file]").set_input_files(str(forged))
        page.locator("#open-status").get_by_text("Cannot open forged.inr").wait_for(timeout=30_000)
        page.screenshot(path=str(SHOTS / "6_open_forged.png"), full_page=True)
        page.locator("#open-file button[aria-label='Clear']").click()
        page.locator("#open-file input[type=file]").set_input_files(str(ROOT / "checkpoints" / "codec_jelly_small.inr"))
        page.locator("#open-status").get_by_text("a neural-codec .inr file").wait_for(timeout=60_000)
        page.locator("#open-ours img").wait_for(timeout=30_000)
        assert page.locator("#open-clip img").count() == 1  # the example is its clip: shown beside, with PSNR
        assert "error" not in page.locator("#open-status").inner_text().lower()
        page.screenshot(path=str(SHOTS / "6_open_real.png"), full_page=True)
        browser.close()
    assert not outside, f"the page reached outside this machine: {outside[:5]}"
