"""The table of architectures and their per-device settings."""

import pytest
import torch

from inr.core.field.coords import pixel_centres
from inr.core.field.model import Field
from inr.core.train.presets import BASE_ARCH, BUILTIN_ARCHS as ARCHS, caps, default_arch, fit_config, model_config, training_span


@pytest.mark.parametrize("device", ["cpu", "cuda"])
@pytest.mark.parametrize("arch", ARCHS)
def test_every_arch_has_settings_for_every_device_and_builds(arch, device):
    cfg = fit_config(arch, device)
    assert cfg.batch >= 1 and cfg.seconds and cfg.lr > 0
    field = Field(model_config(arch, [(3, 10, 14)], sigma=10.0))
    assert field(torch.zeros(7, 3)).shape == (7, 3)


def test_an_unknown_arch_names_the_known_ones():
    with pytest.raises(ValueError, match="arch must be one of grid, hash, fourier, siren, relu"):
        fit_config("nerf", "cpu")
    with pytest.raises(ValueError, match="arch must be one of"):
        model_config("nerf", [(1, 2, 2)])
    assert BASE_ARCH in ARCHS


def test_one_clip_fits_the_offered_default_and_several_the_grid():
    from inr.methods.motion import arch  # registers the motion arch, which offers itself

    (one, why), (several, why_several) = default_arch(1), default_arch(3)
    assert (one, several) == (arch.NAME, "grid")
    assert "neighbours" in why and "one clip at a time" in why_several


def test_a_step_budget_replaces_the_default_time_budget_unless_both_are_given():
    assert fit_config("grid", "cpu", steps=10).seconds is None
    both = fit_config("grid", "cpu", steps=10, seconds=5.0)
    assert (both.steps, both.seconds) == (10, 5.0)
    assert fit_config("grid", "cpu", seconds=None).seconds == fit_config("grid", "cpu").seconds  # None: keep


def test_the_default_grid_has_one_finest_node_per_training_pixel_spanning_them():
    cfg = model_config("grid", [(9, 35, 48)], "every2")
    assert cfg.encoding.finest == (9, 18, 24)
    low, high = training_span(35, 2)
    centres = pixel_centres(35)
    assert (low, high) == pytest.approx((float(centres[0]), float(centres[34])))
    assert training_span(48, 2) == pytest.approx((float(pixel_centres(48)[0]), float(pixel_centres(48)[46])))
    assert model_config("grid", [(9, 35, 48)], "none").encoding.finest == (9, 35, 48)


def test_caps_are_per_device_and_a_copy():
    cpu = caps("cpu")
    cpu["max_size"] = 1
    assert caps("cpu")["max_size"] == 160 and caps("cuda:0")["max_size"] == 512
