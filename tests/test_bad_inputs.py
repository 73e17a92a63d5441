"""The bad-input corpus (scripts/make_bad_inputs.py) through the CLI and the studio's handlers.

Every case gets one clear message (CLI: exit code 2 and one line on stderr; app: one toast, every output kept) or is
accepted with a note saying what was changed; nothing crashes, hangs or runs code from a file, and
the same process goes on serving. The CLI runs in-process (one import for 40-odd cases); a few
cases also run as real processes, under a timeout, to check what a shell user sees.
"""

import contextlib
import io
import subprocess
import sys
import traceback
import warnings

import gradio as gr
import pytest

from conftest import ROOT
from inr import cli
from scripts import make_bad_inputs as corpus_script
from views import fit, render
from views.common import Session

REQUIRED = ("truncated MP4", "truncated GIF", "zero-byte file", "text file renamed .mp4", "PNG with a .mp4 name",
            "one-frame video", "clip of 2,000 frames", "10,000x10,000 image header", "grey image",
            "image with alpha", "16-bit image", "1x1 image", "odd sizes (37x23)",
            "video with no video stream (audio only)", "unsupported codec (fourcc QQQQ)",
            "GIF with zero frame delay", "folder with mixed frame sizes", "non-ASCII file name",
            "file name with spaces", "checkpoint from another program (safetensors)", "pickle with code in it",
            "truncated checkpoint", "config names a shape that does not match its weights",
            "NaN in the model config", "negative spatial scale", "zero temporal scale",
            "render of 8K x 1,000 frames")


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bad_inputs")
    return folder, corpus_script.make_corpus(folder)


def _cli(args: list[str]) -> tuple[int, str, str]:
    """(exit code, stderr, stdout) of ``python -m inr ARGS`` run in this process."""
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        try:
            code = cli.main(args)
        except SystemExit as stop:  # argparse's usage errors
            code = stop.code
        except BaseException:  # noqa: BLE001 - a crash is what this test looks for: record it
            code = "crashed"
            traceback.print_exc(file=err)
    return code, err.getvalue(), out.getvalue()


def _cli_problem(case: dict, code, err: str, out: str) -> str | None:
    lines = err.strip().splitlines()
    if "Traceback" in err:
        return f"traceback: {err[-300:]}"
    if case["expect"] == "refused":
        if code != 2 or len(lines) != 1:
            return f"exit {code} with {len(lines)} lines: {lines[:3]}"
        if case["says"].lower() not in lines[0].lower():
            return f"message does not say {case['says']!r}: {lines[0]}"
        return None
    if code != 0:
        return f"exit {code}: {lines[-1:]}"
    if case["says"] not in err + out:
        return f"notes do not say {case['says']!r}: {lines[:2]}"
    return None


def test_corpus_covers_the_issue(corpus):
    folder, cases = corpus
    names = {c["name"] for c in cases}
    assert len(cases) >= 25 and not [n for n in REQUIRED if n not in names]
    assert all((folder / c["path"]).exists() for c in cases)


@pytest.mark.slow
def test_every_case_through_the_cli(corpus, tmp_path):
    folder, cases = corpus
    problems = {}
    for i, case in enumerate(cases):
        out = tmp_path / f"out{i}"
        code, err, stdout = _cli(corpus_script.cli_args(case, folder, out))
        problem = _cli_problem(case, code, err, stdout)
        if problem:
            problems[case["name"]] = problem
        elif case["expect"] == "accepted":
            assert (out / "model.safetensors").is_file(), case["name"]
    assert not problems, problems
    assert not (folder / corpus_script.MARKER).exists(), "a checkpoint's pickle ran code"
    # The same process goes on serving: a good render after 45 bad inputs.
    code, err, _ = _cli(["render", str(folder / "good.safetensors"), "--out", str(tmp_path / "ok.gif")])
    assert code == 0 and (tmp_path / "ok.gif").is_file(), err


@pytest.mark.slow
def test_a_few_cases_as_real_processes(corpus, tmp_path):
    """What a shell user sees: one line, exit code 2, no traceback, within the timeout."""
    folder, cases = corpus
    picked = [c for c in cases if c["name"] in ("pickle with code in it", "10,000x10,000 image header")]
    procs = [subprocess.Popen([sys.executable, "-m", "inr", *corpus_script.cli_args(c, folder, tmp_path / str(i))],
                              cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for i, c in enumerate(picked)]
    for case, proc in zip(picked, procs):
        try:
            stdout, stderr = proc.communicate(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            pytest.fail(f"{case['name']}: the CLI hung")
        assert _cli_problem(case, proc.returncode, stderr, stdout) is None, (case["name"], stderr)
    assert len(picked) == 2 and not (folder / corpus_script.MARKER).exists()


def _app_call(case: dict, folder, session: Session) -> tuple[str | None, str]:
    """Feed the case to the handler the studio gives it: upload (then the clip card), checkpoint,
    render. Returns (what the page said in refusing it, or None; what it showed)."""
    path = str(folder / case["path"])
    if case["kind"] == "clip":
        shown = fit.on_upload(session, path, 32)
        notice, text = shown["notice"], shown.get("clip_text")  # a refused upload leaves the card as it is
        return (notice or None), (notice or text + fit.on_estimate(None, None, path, "grid", "10", "every2", 32))
    with warnings.catch_warnings(record=True) as said:  # a handler's refusal: one toast, outputs kept
        warnings.simplefilter("always")
        if case["kind"] == "checkpoint":
            result = fit.on_load_checkpoint(session, path)
        else:
            fit.on_load_checkpoint(session, str(folder / "good.safetensors"))
            r = case["render"]
            result = render.on_render(session, r.get("spatial_scale", 1.0), r.get("temporal_scale", 1.0),
                                      r.get("width", 0), r.get("height", 0), r.get("frames", 0))
    toasts = [str(w.message) for w in said if issubclass(w.category, UserWarning)]
    if toasts:
        assert result == gr.skip() and len(toasts) == 1, (result, toasts)  # said once, nothing replaced
        return toasts[0], ""
    return None, str(result) if case["kind"] == "checkpoint" else result["info"]


@pytest.mark.slow
def test_every_case_through_the_app(corpus, tmp_path):
    folder, cases = corpus
    problems, tried = {}, 0
    for i, case in enumerate(c for c in cases if c["app"]):
        tried += 1
        session = Session(folder=tmp_path / f"s{i}")
        try:
            refusal, result = _app_call(case, folder, session)
        except Exception as err:  # noqa: BLE001 - an exception out of a handler is a crash in the page
            problems[case["name"]] = f"crashed: {type(err).__name__}: {err}"
            continue
        if refusal is not None:
            if case["expect"] != "refused" or case["says"].lower() not in refusal.lower():
                problems[case["name"]] = f"refused: {refusal}"
            elif str(folder) in refusal:
                problems[case["name"]] = f"names a server path: {refusal}"
            continue
        if case["expect"] == "refused":
            problems[case["name"]] = f"accepted: {str(result)[:200]}"
        elif case["says"] not in result.replace("×", "x"):  # the page writes sizes as 32×24
            problems[case["name"]] = f"message does not say {case['says']!r}: {result[:200]}"
    assert not problems, problems
    assert tried >= 25 and not (folder / corpus_script.MARKER).exists()
    # An upload that fails to load is refused by the Start button the same way.
    with pytest.warns(UserWarning, match="no video stream"):
        next(fit.on_fit(Session(folder=tmp_path / "f"), None, str(folder / "audio_only.mp4"), "grid", "10",
                        "every2", 1, 32))
    # And the same process goes on serving.
    assert "per 1,000 steps" in fit.on_estimate(None, "carphone.gif", None, "grid", "10", "every2", 32)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["one_pixel.png", "Ünïcödé клип 🎞.gif"])
def test_accepted_uploads_fit_and_save_in_the_session_folder(corpus, tmp_path, name):
    """A still image (one frame: the frame slider once refused it) and a non-ASCII name fit, and
    every file lands in the session's folder."""
    folder, _ = corpus
    session = Session(folder=tmp_path / "s")
    out = None
    for out in fit.on_fit(session, None, str(folder / name), "grid", "10", "every2", 0.5, 32):
        pass
    files = out["downloads"]
    assert len(files) == 4 and all(str(f).startswith(str(session.folder)) for f in files)
    assert session.run.steps >= 1


def test_session_files_stay_in_the_session_folder(tmp_path):
    session = Session(folder=tmp_path / "s")
    assert session.path("my clip (copy) 2.gif").parent == session.folder
    for bad in ("../escape.gif", "/etc/passwd", "..", "a/b.gif", ""):
        with pytest.raises(ValueError, match="plain file name"):
            session.path(bad)
