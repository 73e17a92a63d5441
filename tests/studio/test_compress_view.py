"""The Compress view's handlers called directly: fit and compress, search by image, interpolate."""

import gradio as gr
import numpy as np
import pytest

from inr import api
from views import compress_latent as view
from views.common import Session


def _first_and_last(gen):
    outputs = list(gen)
    return outputs[0], outputs[-1]


def test_fit_writes_an_inr_file_beside_gif_and_h264_then_search_and_interpolate(tmp_path, plant):
    clip = tmp_path / "plant.mp4"
    api.export(clip, plant.frames[:8], plant.fps)  # 8 frames of 48x36: a quick fit
    session = Session(folder=tmp_path / "s")
    first, final = _first_and_last(view.on_fit_latents(session, "office_plant.mp4", str(clip), 5, 48))
    assert "training pixels" in first[0] and first[-1] is session
    headline, figure, table, file, frame_a, frame_b, _ = final
    assert ".inr file" in headline and "H.264 at the same size" in headline and "GIF" in headline
    assert "| GIF |" in table and "8-bit per-channel + lzma" in table
    assert len(figure.data) == 3  # H.264 sweep, GIF, ours
    assert file.endswith(".inr") and str(session.folder) in file
    state = session.views["compress"]
    assert state["summary"]["bytes"] == (tmp_path / "s" / "plant.inr").stat().st_size

    decoded = api.latent_inr.decompress(file)[0]
    gallery, found = view.on_search(session, decoded[5], "aligned")
    assert len(gallery) == 5 and "frame **5**" in found
    frame = view.on_interpolate(session, 0, 7, 0.0)
    assert frame.dtype == np.uint8 and frame.shape == (36, 48, 3)
    assert np.array_equal(frame, view.on_interpolate(session, 3, 0, 1.0))
    with pytest.raises(gr.Error, match="upload an image"):
        view.on_search(session, None, "aligned")
    with pytest.raises(gr.Error, match="alpha"):
        view.on_interpolate(session, 0, 1, 2.0)


def test_first_launch_shows_the_shipped_file(tmp_path):
    if not view.SHIPPED.is_file():
        pytest.skip("no shipped .inr (scripts/make_compress.py makes it)")
    headline, figure, table, file, last = view._initial()
    assert "Pretrained" in headline and "H.264" in headline and file.endswith(".inr")
    assert figure is not None and "| GIF |" in table and last >= 1
    session = Session(folder=tmp_path / "s")
    frame = view.on_interpolate(session, 0, last, 0.5)  # works before any fit: the shipped model
    assert frame.ndim == 3 and frame.dtype == np.uint8
