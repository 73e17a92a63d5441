"""Stop and resume: a stopped fit keeps its model; a saved fit resumes with its optimizer state and
goes on improving, from the API and from ``python -m inr fit --resume``."""

import contextlib
import io
import json

import pytest
import torch

from conftest import ASSETS
from inr import api, cli

STEPS = 30


@pytest.fixture(scope="module")
def stopped(plant, tmp_path_factory):
    """A fit stopped after STEPS of its 10,000 steps (the caller stopped asking), then saved."""
    run = api.prepare([plant], arch="grid", device="cpu", steps=10_000, seconds=None)
    for rec in api.fit(run):
        if rec.step >= STEPS:
            break
    path = api.save(run, tmp_path_factory.mktemp("resume") / "stopped.safetensors")
    return run, path


def test_stopping_keeps_the_model_and_saving_keeps_the_optimizer(stopped):
    run, path = stopped
    assert STEPS <= run.steps < 10_000 and run.history[-1].step == run.steps
    loaded = api.load(path)
    assert loaded.steps == run.steps
    for a, b in zip(run.model.parameters(), loaded.model.parameters()):
        assert torch.equal(a.detach(), b.detach())
    saved, back = run.optimizer.state_dict(), loaded.optimizer.state_dict()
    assert len(back["state"]) == len(saved["state"]) > 0
    for k, state in saved["state"].items():
        for key in ("step", "exp_avg", "exp_avg_sq"):
            assert torch.equal(state[key], back["state"][k][key]), (k, key)
    for live, restored in zip(saved["param_groups"], back["param_groups"]):
        assert restored["initial_lr"] == live["initial_lr"] and restored["lr"] == live["lr"]


def test_resumed_fit_continues_to_improve(stopped, plant):
    run, path = stopped
    before = api.summary(run)["train_psnr"]
    resumed = api.resume(path, [plant], "cpu", steps=STEPS)
    assert resumed.optimizer is not None and resumed.steps == run.steps
    records = list(api.fit(resumed))
    assert records[-1].final and resumed.steps == run.steps + STEPS
    after = api.summary(resumed)
    # The learning-rate decay restarts from the configured rate, not from the decayed one saved.
    assert [g["initial_lr"] for g in resumed.optimizer.param_groups] == [
        g["initial_lr"] for g in run.optimizer.param_groups]
    assert after["train_psnr"] > before + 1.0, (before, after["train_psnr"])
    assert after["heldout_psnr"] > after["bilinear_psnr"] - 3  # still a fit of this clip, held out alike


def _cli(*args) -> tuple[int, str, dict | None]:
    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = cli.main([str(a) for a in args])
    lines = out.getvalue().strip().splitlines()
    return code, err.getvalue(), json.loads(lines[-1]) if code == 0 and lines else None


def test_cli_fit_resume(tmp_path):
    clip = ASSETS / "office_plant.mp4"
    common = ["--max-frames", 6, "--max-size", 24, "--device", "cpu", "--json"]
    code, err, first = _cli("fit", clip, "--out", tmp_path / "a", "--steps", STEPS, *common)
    assert code == 0, err
    code, err, second = _cli("fit", clip, "--out", tmp_path / "b", "--resume", first["checkpoint"], "--steps", STEPS,
                             "--device", "cpu", "--json")
    assert code == 0, err
    assert "with its optimizer state" in err and f"from step {STEPS}" in err
    assert second["steps"] == 2 * STEPS and second["train_psnr"] > first["train_psnr"]
    # A resume on a different clip is refused with one line, not a traceback.
    code, err, _ = _cli("fit", ASSETS / "carphone.gif", "--out", tmp_path / "c", "--resume", first["checkpoint"],
                        "--steps", 1, "--device", "cpu")
    assert code == 2 and len(err.strip().splitlines()) == 1, err
