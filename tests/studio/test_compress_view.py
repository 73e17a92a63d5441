"""The Compress tab's handlers called directly: the neural codec's encode (beside every classical
codec at its size), its first-launch state; Latent-INR's fit and compress, search by image, interpolate."""

import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from inr import api
from views import compress as codec_view
from views import compress_latent as view
from views import compress_open
from views.common import PICTURE_WIDTH, Session

CODEC_TRACES = ["x264 4:4:4", "x264 4:2:0", "x265 4:4:4", "AV1 (SVT) 4:2:0", "GIF"]


def _captioned(picture, frame_width: int) -> bool:
    """A frame enlarged to the caption's width, over a black strip with white text."""
    strip = picture[-14:]
    return (picture.shape[1] >= PICTURE_WIDTH and picture.shape[1] % frame_width == 0
            and strip.max() > 200 and np.median(strip) == 0)


@pytest.mark.slow
def test_encode_writes_a_file_and_stands_it_beside_every_codec_at_its_size(tmp_path, plant):
    clip = tmp_path / "plant.mp4"
    api.export(clip, plant.frames[:6], plant.fps)  # 6 frames of 48x36: the networks alone are ~1 KB, so 3 bpp
    session = Session(folder=tmp_path / "s")
    outputs = list(codec_view.on_encode(session, "jelly_small.mp4", str(clip), 3.0, 60, steps=30))
    assert "encoding plant" in outputs[0]["status"] and all(o["session"] is session for o in outputs)
    live = [o["status"] for o in outputs if o["status"].startswith("step ")]
    assert live and "dB** (what the file would decode to" in live[-1] and "bpp** estimated" in live[-1]
    names = ("status", "chart", "table", "frame", "ours", "theirs", "note", "files")
    status, figure, table, frame, ours, theirs, note, files = (outputs[-1][name] for name in names)
    assert "Your file" in status and "x264 4:4:4 makes" in status
    assert [t.name for t in figure.data] == [*CODEC_TRACES, "neural codec: this file"]
    assert figure.layout.xaxis.title.text and figure.layout.yaxis.title.text
    for label in ("**neural codec**", "x264 4:4:4", "x264 4:2:0", "x265", "AV1", "| GIF |"):
        assert label in table, label
    assert _captioned(ours, 48) and _captioned(theirs, 48) and ours.shape == theirs.shape
    assert frame.maximum == 5 and "against the original" in note
    result = session.views["codec"]["result"]
    summary = result["summary"]
    inr, mp4 = files
    assert inr.endswith(".inr") and str(session.folder) in inr
    assert Path(inr).stat().st_size == summary["bytes"] and f"**.inr file: {summary['bytes']:,} bytes**" in status
    assert np.array_equal(api.codec.decompress(inr)[0], result["ours"])
    assert iio.imread(mp4, index=None).shape[:3] == (6, 36, 48)
    # x264's picture is its file closest to ours in size, captioned with its real bytes
    assert result["row"]["codec"] == "x264" and result["theirs"].shape == result["ours"].shape
    pictures = codec_view.on_frame(session, 2)
    assert np.array_equal(pictures["ours"][:-14], api.enlarge(result["ours"][2], 10))
    assert "Frame 2 of 6" in pictures["note"]
    assert np.array_equal(pictures["theirs"][:-14], api.enlarge(result["theirs"][2], 10))

    # a second file of the same clip in the session: the chart draws the codec's own curve through both
    session.views["codec"]["points"][result["key"]].append({"bytes": 2 * summary["bytes"],
                                                             "bpp": 2 * summary["bpp"], "psnr": summary["psnr"] + 3})
    names = [t.name for t in codec_view.chart(result, session).data]
    assert names[-2:] == ["neural codec: every file of this clip (this session)", "neural codec: this file"]


@pytest.mark.slow
def test_stop_writes_the_file_of_the_model_so_far(tmp_path, plant):
    clip = tmp_path / "plant.mp4"
    api.export(clip, plant.frames[:6], plant.fps)
    session = Session(folder=tmp_path / "s")
    encode = codec_view.on_encode(session, "jelly_small.mp4", str(clip), 3.0, 60, steps=10_000)
    next(encode)  # encoding has started
    codec_view.on_stop(session)
    final = list(encode)[-1]
    assert final["status"].startswith("stopped at step") and "the model so far is written" in final["status"]
    summary = session.views["codec"]["result"]["summary"]
    assert summary["steps"] < 10_000 and Path(final["files"][0]).stat().st_size == summary["bytes"]


def test_a_bad_size_is_the_codecs_message(tmp_path, plant):
    clip = tmp_path / "plant.mp4"
    api.export(clip, plant.frames[:6], plant.fps)
    with pytest.warns(UserWarning, match=r"bpp must be in \["):
        list(codec_view.on_encode(Session(folder=tmp_path / "s"), None, str(clip), 0.05, 60, steps=5))


@pytest.mark.slow
def test_first_launch_shows_the_shipped_codec_file(tmp_path):
    if not codec_view.SHIPPED.is_file():
        pytest.skip("no shipped codec file (scripts/make_codec.py makes it)")
    session = Session(folder=tmp_path / "s")
    loaded = codec_view.on_load(session)
    names = ("status", "chart", "table", "frame", "ours", "theirs", "note", "files", "session")
    status, figure, table, frame, ours, theirs, note, files, returned = (loaded[name] for name in names)
    summary = codec_view._shipped_summary()
    assert returned is session and "Shipped file" in status and f"{summary['bytes']:,} bytes" in status
    names = [t.name for t in figure.data]
    assert names[:5] == CODEC_TRACES and "neural codec: this file" in names
    assert "| GIF |" in table and "x265" in table
    assert _captioned(ours, summary["width"]) and _captioned(theirs, summary["width"])
    assert frame.maximum == summary["frames"] - 1
    assert Path(files[0]).read_bytes() == codec_view.SHIPPED.read_bytes() and files[1].endswith(".mp4")
    # a second load (or one after an encode) leaves what the section shows alone
    assert codec_view.on_load(session) == {"session": session}


def _first_and_last(gen):
    outputs = list(gen)
    return outputs[0], outputs[-1]


@pytest.mark.slow
def test_fit_writes_an_inr_file_beside_gif_and_h264_then_search_and_interpolate(tmp_path, plant):
    clip = tmp_path / "plant.mp4"
    api.export(clip, plant.frames[:8], plant.fps)  # 8 frames of 48x36: a quick fit
    session = Session(folder=tmp_path / "s")
    first, final = _first_and_last(view.on_fit_latents(session, "office_plant.mp4", str(clip), 5, 48))
    assert "training pixels" in first["status"] and first["session"] is session
    names = ("status", "chart", "table", "download", "frame_a", "frame_b")
    headline, figure, table, file, frame_a, frame_b = (final[name] for name in names)
    assert ".inr file" in headline and "H.264 at the same size" in headline and "GIF" in headline
    assert "| GIF |" in table and "8-bit per-channel + lzma" in table
    assert len(figure.data) == 3  # H.264 sweep, GIF, ours
    assert file.endswith(".inr") and str(session.folder) in file
    state = session.views["compress"]
    assert state["summary"]["bytes"] == (tmp_path / "s" / "plant.inr").stat().st_size

    decoded = api.latent_inr.decompress(file)[0]
    found = view.on_search(session, decoded[5], "aligned")
    assert len(found["gallery"]) == 5 and "frame **5**" in found["found"]
    frame = view.on_interpolate(session, 0, 7, 0.0)
    assert frame.dtype == np.uint8 and frame.shape == (36, 48, 3)
    assert np.array_equal(frame, view.on_interpolate(session, 3, 0, 1.0))
    with pytest.warns(UserWarning, match="upload an image"):
        view.on_search(session, None, "aligned")
    with pytest.warns(UserWarning, match="alpha"):
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


def test_the_headline_says_when_a_file_missed_the_size_asked_for():
    summary = {"clip": "jelly_small", "frames": 100, "width": 160, "height": 90, "steps": 593, "seconds": 122.0,
               "decode_fps": 144.0, "bytes": 13152, "bpp": 0.0731, "target_bpp": 0.2, "psnr": 21.26, "ssim": 0.77}
    assert "0.37× the size asked for (0.073 bpp against 0.2)" in codec_view.describe(summary, "Shipped")
    assert "size asked for" not in codec_view.describe(summary | {"bpp": 0.21}, "Shipped")


@pytest.mark.slow
def test_open_reads_either_kind_of_inr_and_refuses_a_forged_one_in_a_sentence(tmp_path):
    import hostile

    session = Session(folder=tmp_path / "s")
    codec_file = str(codec_view.SHIPPED)
    opened = compress_open.on_open(session, codec_file, "jelly_small.mp4", None)
    names = ("status", "frame", "ours", "theirs", "note", "files")
    status, slider, ours, theirs, note, files = (opened[name] for name in names)
    summary = json.loads(codec_view.SHIPPED_SUMMARY.read_text())
    assert f"a neural-codec .inr file, **{summary['bytes']:,} bytes** ({summary['bpp']:.3f} bits per pixel)" in status
    assert f"PSNR **{summary['psnr']:.2f} dB**" in status and slider.maximum == 99  # the encoder's own figure
    assert ours.shape[1] >= PICTURE_WIDTH and theirs.shape == ours.shape and "PSNR" in note
    assert iio.imread(files[0], index=None).shape[:3] == (100, 90, 160)
    pictures = compress_open.on_frame(session, 7)
    assert "Frame 7 of 100" in pictures["note"] and pictures["theirs"] is not None

    # the other kind, and a clip that is not the one it holds: no PSNR, and a sentence saying why
    status = compress_open.on_open(session, str(view.SHIPPED), "office_plant.mp4", None)["status"]
    assert "a Latent-INR .inr file" in status and "office_plant.mp4 read at this size is 36 frames" in status

    # a forged file: one sentence naming it by its own name; what the section showed stays
    header, body = hostile.CODEC.split(codec_view.SHIPPED.read_bytes())
    header["fps"] = "nan"
    forged = tmp_path / "upload_dir_7f3a" / "gift.inr"
    forged.parent.mkdir()
    forged.write_bytes(hostile.CODEC.join(header, body, set()))
    refused = compress_open.on_open(session, str(forged), "jelly_small.mp4", None)
    status = refused["status"]
    assert status.startswith("⚠ **Cannot open gift.inr**: header field 'fps'") and "upload_dir" not in status
    assert set(refused) == {"status", "session"}  # every other output left as it is: nothing replaced
    assert "Frame 3 of 100" in compress_open.on_frame(session, 3)["note"]  # the last good file is still there
