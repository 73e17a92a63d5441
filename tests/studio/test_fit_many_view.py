"""The Fit tab's "One model per clip" section: each clip its own fit, a bad one reported, the downloads."""

import json
from pathlib import Path

import pytest

from conftest import drain
from inr import api
from views import fit_many as view
from views.common import Session


@pytest.mark.slow
def test_each_clip_gets_a_model_a_row_and_a_bad_one_its_reason(tmp_path):
    bad = tmp_path / "broken.mp4"
    bad.write_bytes(b"not a video")
    session = Session(folder=tmp_path / "s")
    updates = list(view.on_fit_many(session, ["carphone.gif", "office_plant.mp4"], [str(bad)], "grid", "10", "every2",
                                    2, 48))
    assert any("fitting…" in u["table"] for u in updates[:-1])  # the clip at hand is in the live table
    status, table, files = updates[-1]["status"], updates[-1]["table"], updates[-1]["downloads"]
    assert "**2 of 3 clips fitted, 1 failed**" in status
    assert "| carphone.gif | ok |" in table and "| broken.mp4 | failed: not a video or image file" in table
    rows = [json.loads(line) for line in open(files[0])]
    assert files[0].endswith("manifest.jsonl") and [r["name"] for r in rows] == ["broken.mp4", "carphone.gif",
                                                                                   "office_plant.mp4"]
    for row in rows[1:]:
        assert row["status"] == "ok" and row["heldout_psnr"] > 10 and row["bicubic_psnr"] > 10 and row["model_bytes"] > 0
        # the held-out figure stands beside the bicubic rebuild of the same pixels, with their difference
        assert f"{row['heldout_psnr'] - row['bicubic_psnr']:+.2f} dB" in table
    assert sorted(f.rsplit("/", 1)[1] for f in files[1:]) == ["00_carphone.safetensors", "00_carphone_run.json",
                                                              "01_office_plant.safetensors", "01_office_plant_run.json"]
    assert api.load(files[1]).arch == "grid"
    # the download is the weights-only checkpoint whose bytes the table states
    assert Path(files[1]).stat().st_size == rows[1]["model_bytes"]


def test_odd_upload_names_make_tame_file_names_and_table_cells():
    assert view.file_stem(3, "a|b\\c d.mp4") == "03_a_b_c_d"
    assert view.file_stem(0, "x" * 300 + ".gif") == "00_" + "x" * 60
    assert view.cell("a|b") == "a\\|b"


def test_stop_keeps_what_was_fitted_and_bad_requests_are_messages(tmp_path):
    session = Session(folder=tmp_path / "s")
    run = view.on_fit_many(session, ["carphone.gif", "office_plant.mp4"], None, "grid", "10", "every2", 30, 48)
    next(run)
    view.on_stop(session)  # Stop during the first clip: it ends there, its model is kept, the second never starts
    final = drain(run)
    status, table, files = final["status"], final["table"], final["downloads"]
    assert "1 of 2 clips fitted" in status and "stopped" in status and "office_plant" not in table
    assert "| carphone.gif | stopped (probe frames) |" in table
    assert len(files) == 3
    with pytest.warns(UserWarning, match="tick examples or upload"):
        drain(view.on_fit_many(session, [], None, "grid", "10", "every2", 2, 48))
    with pytest.warns(UserWarning, match="at most 12"):
        drain(view.on_fit_many(session, ["carphone.gif"] * 13, None, "grid", "10", "every2", 2, 48))
