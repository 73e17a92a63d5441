"""The estimate beside a fit: its trial steps are the fit's own, and the model is left as it was."""

import math

import torch
from torch.optim.optimizer import register_optimizer_step_post_hook

from conftest import plain_point_fit
from inr import api


def test_estimate_times_the_steps_of_a_plain_loop_and_restores_the_model(plant):
    clip = api.Clip(plant.frames[:4], plant.fps, "plant", ())
    run = api.prepare([clip], arch="fourier", sigma=10.0, device="cpu", steps=10, seconds=None, batch=256)
    before = {k: v.clone() for k, v in run.model.state_dict().items()}
    stepped = []  # the weights after each optimizer step of the trial
    hook = register_optimizer_step_post_hook(
        lambda optimizer, args, kwargs: stepped.append([p.detach().clone() for p in run.model.parameters()]))
    try:
        estimate = api.estimate(run, trial_steps=3, trial_seconds=0)  # exactly the three, none for time
    finally:
        hook.remove()
    assert len(stepped) == 4  # a warm-up step, then the three timed ones
    assert estimate["seconds_per_1000_steps"] > 0 and math.isfinite(estimate["seconds_per_1000_steps"])
    for name, value in run.model.state_dict().items():
        assert torch.equal(value, before[name]), name
    # The trial is four steps of the fit at its first rates (nothing decays in a trial).
    plain_point_fit(run.model, run.data, run.fit_cfg, steps=4, decay=False)
    for a, b in zip(stepped[-1], run.model.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
