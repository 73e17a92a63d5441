"""The engine of fit-many: a folder's clips, a folder per clip, rows as done-marks, the merged manifest."""

import json
import threading
import time

import pytest

from inr.core.many import manifest
from inr.core.media.io import ClipError, load_clip


def touch(path, payload=b"x"):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(payload)
    return path


def names(folder, **kw):
    return [manifest.clip_name(folder, c) for c in manifest.find_clips(folder, **kw)]


def test_find_clips_in_natural_order_a_frame_folder_as_one_clip_hidden_ones_passed_over(tmp_path):
    for name in ("clip10.mp4", "clip2.mp4", "Clip3.gif", "a.gif", "a.mp4", "notes.txt", ".hidden.mp4",
                 ".cache/x.mp4", "frames/f1.png", "frames/f2.png", "frames/f10.png", "frames/.thumbs/t.png",
                 "one/only.png", "mixed/a.png", "mixed/b.png", "mixed/c.mp4", "deep/er/x.webm", "empty/readme.md",
                 "shots/s1.png", "shots/s2.png", "shots/more/m.mp4"):
        touch(tmp_path / name)
    assert names(tmp_path) == ["a.gif", "a.mp4", "clip2.mp4", "Clip3.gif", "clip10.mp4", "deep/er/x.webm",
                               "frames",  # only frame images (the hidden folder in it does not count): one clip
                               "mixed/a.png", "mixed/b.png", "mixed/c.mp4",  # a video among them: each on its own
                               "one/only.png",  # a single image: a one-frame clip
                               "shots/more/m.mp4", "shots/s1.png", "shots/s2.png"]  # clips further down: not frames


def test_find_clips_passes_over_the_results_folder_inside_it(tmp_path):
    touch(tmp_path / "a.mp4")
    touch(tmp_path / "out" / "a.mp4" / "comparison.png")
    touch(tmp_path / "out" / "b.png")
    assert names(tmp_path, skip=tmp_path / "out") == ["a.mp4"]
    assert "out/b.png" in names(tmp_path)


def test_find_clips_does_not_follow_a_link_back_up(tmp_path):
    touch(tmp_path / "sub" / "a.mp4")
    (tmp_path / "sub" / "loop").symlink_to(tmp_path)
    assert names(tmp_path) == ["sub/a.mp4"]


def test_a_frame_folder_found_is_one_clip_load_clip_reads(tmp_path, jelly):
    from PIL import Image

    (tmp_path / "frames").mkdir()
    for i in (1, 2, 10):  # natural order, as load_clip reads them
        Image.fromarray(jelly.frames[i]).save(tmp_path / "frames" / f"f{i}.png")
    [clip] = manifest.find_clips(tmp_path)
    assert load_clip(clip).frames.shape == (3, *jelly.frames.shape[1:])


@pytest.mark.parametrize("make, says", [
    (lambda p: None, "no clips found"),
    (lambda p: touch(p / "x.txt"), "no clips found"),
    (lambda p: touch(p / ".x.mp4"), "no clips found"),
])
def test_find_clips_refuses_a_folder_without_clips(tmp_path, make, says):
    make(tmp_path)
    with pytest.raises(ValueError, match=says) as err:
        manifest.find_clips(tmp_path)
    assert str(tmp_path) in str(err.value) and ".mp4" in str(err.value) and ".gif" in str(err.value)


def test_find_clips_refuses_a_missing_folder_and_a_file(tmp_path):
    with pytest.raises(ValueError, match="no such folder"):
        manifest.find_clips(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="is a file"):
        manifest.find_clips(touch(tmp_path / "a.mp4"))


def test_clip_folder_keeps_the_suffix_so_names_never_collide(tmp_path):
    folders = {manifest.clip_folder("OUT", tmp_path, tmp_path / "sub" / n) for n in ("a.mp4", "a.gif")}
    assert {f.as_posix() for f in folders} == {"OUT/sub/a.mp4", "OUT/sub/a.gif"}


def test_rows_mark_clips_done_and_failed_ones_are_pending_again(tmp_path):
    clips = [touch(tmp_path / "in" / n) for n in ("a.mp4", "b.mp4", "c.mp4", "d.mp4")]
    out = tmp_path / "out"
    manifest.write_row(manifest.clip_folder(out, tmp_path / "in", clips[0]),
                    manifest.make_row("a.mp4", 0, "cpu", 1.0, summary={"train_psnr": 30.0, "steps": 5}))
    manifest.write_row(manifest.clip_folder(out, tmp_path / "in", clips[1]),
                    manifest.make_row("b.mp4", 1, "cpu", 0.1, error=ClipError(clips[1], "file is empty")))
    touch(out / "d.mp4" / "row.json", b"{not json")  # never written by write_row, but a reader must not trip
    assert manifest.pending(out, tmp_path / "in", clips) == clips[1:]
    rows = manifest.rebuild_manifest(out, tmp_path / "in", clips)
    assert [(r["name"], r["status"], r["reason"]) for r in rows] == [("a.mp4", "ok", None),
                                                                      ("b.mp4", "failed", "file is empty")]
    assert list(rows[0]) == list(manifest.COLUMNS) and rows[0]["train_psnr"] == 30.0
    assert manifest.read_manifest(out) == rows


def test_a_reason_is_one_short_line():
    error = RuntimeError("CUDA out of memory.\nTried to allocate 2.00 GiB " + "and so on " * 100)
    text = manifest.reason(error)
    assert text.startswith("RuntimeError: CUDA out of memory. Tried") and "\n" not in text
    assert len(text) == manifest.REASON_CHARS and text.endswith("...")
    assert manifest.reason(ValueError("bad size")) == "bad size"


def test_two_rebuilds_at_once_lose_no_row(tmp_path, monkeypatch):
    """Rank A reads the rows (only its own is there), then is slow to write the manifest; meanwhile rank B
    writes its row and rebuilds. Without the lock B's manifest would be overwritten by A's older one."""
    folder, out = tmp_path / "in", tmp_path / "out"
    clips = [touch(folder / "a.mp4"), touch(folder / "b.mp4")]
    write = manifest.atomic_write_bytes

    def slow_for_a(path, payload):
        if threading.current_thread().name == "A" and path.name == manifest.MANIFEST:
            time.sleep(0.5)
        return write(path, payload)

    monkeypatch.setattr(manifest, "atomic_write_bytes", slow_for_a)
    manifest.write_row(out / "a.mp4", manifest.make_row("a.mp4", 0, "cpu", 1.0))
    a = threading.Thread(target=manifest.rebuild_manifest, args=(out, folder, clips), name="A")
    a.start()
    time.sleep(0.2)  # A holds the lock and has read its rows
    manifest.write_row(out / "b.mp4", manifest.make_row("b.mp4", 1, "cpu", 1.0))
    manifest.rebuild_manifest(out, folder, clips)
    a.join()
    assert [r["name"] for r in manifest.read_manifest(out)] == ["a.mp4", "b.mp4"]
    assert json.loads((out / "b.mp4" / "row.json").read_text())["rank"] == 1
