"""The studio's event functions called directly, and the running app through gradio_client."""


import gradio as gr
import imageio.v3 as iio
import numpy as np
import pytest

from conftest import drain, studio
from inr import api
from views import blend, compare, fit, render
from views.common import DEFAULT_EXAMPLE, Session


def test_first_launch_has_a_pretrained_model_in_every_view():
    outputs = fit.on_load(None)
    stats, session = outputs[0], outputs[-1]
    assert "pretrained" in stats and "bicubic" in stats and "held-out" in stats
    assert "bytes as shipped" in stats and "**The model is " in stats and "than the clip's H.264 MP4" in stats
    assert session.run is not None and outputs[2].shape[2] == 3  # an INR preview frame
    pick = compare.load_pretrained(session)
    assert session.sigma_runs and pick[1].endswith(".gif")
    status, a, b = blend.load_pretrained(session)
    assert session.blend is not None and len(session.blend.clips) >= 2
    frame = blend.on_blend_preview(session, 0, 1, 0.5)
    assert frame.dtype == np.uint8 and frame.ndim == 3


def test_fit_streams_progress_and_stop_keeps_the_model(tmp_path):
    session = Session(folder=tmp_path / "s")
    gen = fit.on_fit(session, "office_plant.mp4", None, "grid", "10", "every2", 30, 48)
    first = next(gen)
    assert first[-1] is session and session.run is not None
    live = next(gen)
    assert "steps/s" in live[0] and "**The model is " in live[0]
    session.stop = True  # what the Stop button does
    final = drain(gen)
    assert "stopped at step" in final[0]
    assert session.run.steps < 10_000 and session.run.history
    files = final[7]
    assert {p.rsplit(".", 1)[1] for p in files} == {"gif", "mp4", "safetensors", "json"}
    gif = next(p for p in files if p.endswith(".gif"))
    assert iio.imread(gif, index=None).shape[0] == session.run.clips[0].frames


def test_compare_sigma_fits_every_sigma_together_and_grows_every_curve(tmp_path):
    session = Session(folder=tmp_path / "s")
    outputs = list(compare.on_sigma_fit(session, "jelly_small.mp4", None, ["none", "10"], "10", 3))
    assert "2 σ together" in outputs[0][4]  # the repeated custom 10 is fitted once
    curves, pick, gif, text, table, _ = outputs[-1]
    assert list(session.sigma_runs) == ["none", "10"] and pick.choices[1][0] == "10"
    assert gif.endswith(".gif") and "held-out pixels" in text and table.count("\n| ") == 2
    for run in session.sigma_runs.values():  # each σ has its own weights and curve, past step 1
        assert run.history[-1].final and run.history[-1].step > 1
        assert api.summary(run)["heldout_psnr"] > 8
    assert session.sigma_runs["none"].model is not session.sigma_runs["10"].model


def test_page_load_keeps_what_was_started_while_it_ran(tmp_path):
    # A Compare σ fit or a model set before the slow pretrained loads ended: they must not replace it.
    session = Session(folder=tmp_path / "s")
    list(compare.on_sigma_fit(session, "jelly_small.mp4", None, ["none"], "", 2))
    fitted = session.sigma_runs["none"]
    assert all(o == gr.skip() for o in compare.load_pretrained(session))
    assert list(session.sigma_runs) == ["none"] and session.sigma_runs["none"] is fitted
    session.run = mine = fit.load_pretrained(session, DEFAULT_EXAMPLE)  # as a started fit does
    assert fit.on_load(session)[-1] is session and session.run is mine


def test_estimate_names_memory_and_time_per_1000_steps():
    text = fit.on_estimate("office_plant.mp4", None, "grid", "10", "every2", 64)
    assert "MB" in text and "per 1,000 steps" in text and "downscaled" in text
    assert "bits per pixel); the model is " in text and "than the raw clip" in text


def test_bad_upload_is_a_message_not_a_crash(tmp_path):
    bad = tmp_path / "notes.mp4"
    bad.write_text("not a video")
    with pytest.raises(gr.Error, match="notes.mp4"):
        next(fit.on_fit(Session(folder=tmp_path / "s"), None, str(bad), "grid", "10", "every2", 5, 64))
    with pytest.raises(gr.Error, match="sigma"):
        fit.on_estimate("office_plant.mp4", None, "fourier", "-3", "every2", 64)


def test_render_preview_and_full_render(tmp_path):
    session = fit.on_load(None)[-1]
    session.folder = tmp_path / "s"
    image, info = render.on_render_preview(session, 2.0, 3.0, 0, 0, 0)
    t, h, w = session.run.clips[0].shape
    assert image.shape == (2 * h, 2 * w, 3) and f"{3 * (t - 1) + 1} frames" in info
    video, files, info = render.on_render(session, 1.0, 1.0, 40, 30, 5)
    assert "5 frames of 40×30" in info
    gif = next(f for f in files if f.endswith(".gif"))
    assert iio.imread(gif, index=None).shape[:3] == (5, 30, 40)
    with pytest.raises(gr.Error, match="limit"):
        render.on_render_preview(session, 1.0, 1.0, 7680, 4320, 1000)


def test_sessions_do_not_share_models(tmp_path):
    a = fit.on_load(None)[-1]
    b = fit.on_load(None)[-1]
    assert a is not b and a.run is not b.run and a.folder != b.folder


def test_running_app_through_gradio_client():
    from gradio_client import Client

    with studio() as url:
        client = Client(url, verbose=False)
        text = client.predict("carphone.gif", None, "grid", "10", "every2", 48, api_name="/estimate")
        assert "per 1,000 steps" in text
        result = client.predict("carphone.gif", None, "grid", "10", "every2", 3, 48, api_name="/fit")
        stats, files = result[0], result[7]
        assert "training pixels" in stats
        gif = next(f for f in files if str(f).endswith(".gif"))
        assert iio.imread(gif, index=None).shape[0] == 48
