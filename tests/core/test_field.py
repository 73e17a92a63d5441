"""A field built from its config alone: JSON round trips, the lattice fast path, latent codes."""

import pytest
import torch

from inr.core.field.coords import frame_times, pixel_centres
from inr.core.field.model import Field, ModelConfig
from inr.core.train.presets import BUILTIN_ARCHS as ARCHS, model_config


@pytest.mark.parametrize("arch", ARCHS)
def test_a_config_survives_its_json_and_rebuilds_the_same_field(arch):
    import json

    cfg = model_config(arch, [(6, 18, 24), (6, 18, 24)], "every2", sigma=10.0)
    again = ModelConfig.from_dict(json.loads(cfg.to_json()))
    assert again == cfg
    shapes = {k: v.shape for k, v in Field(cfg).state_dict().items()}
    assert shapes == {k: v.shape for k, v in Field(again).state_dict().items()}


def test_a_config_of_an_unknown_encoding_is_refused():
    data = {"encoding": {"kind": "wavelet"}, "network": {}, "clips": 1}
    with pytest.raises(ValueError, match="unknown encoding kind 'wavelet'"):
        ModelConfig.from_dict(data)
    with pytest.raises(ValueError, match="not a valid model config"):
        ModelConfig.from_dict({"network": {}})


@pytest.mark.parametrize("arch", ["grid", "hash", "fourier"])
def test_the_lattice_fast_path_equals_the_field_at_every_point(arch):
    torch.manual_seed(0)
    field = Field(model_config(arch, [(5, 12, 16)], "every2", sigma=10.0))
    with torch.no_grad():
        for p in field.encoding.parameters():  # grids start at zero: give them content to read
            p.normal_(0, 0.1)
    t, y, x = frame_times(5)[[0, 2, 3]], pixel_centres(24)[3:20], pixel_centres(32)[::3]
    fast = field.lattice(t, y, x)  # (3, 17, 11, 3)
    points = torch.stack(torch.meshgrid(t, y, x, indexing="ij"), dim=-1).reshape(-1, 3)
    torch.testing.assert_close(fast, field(points).view(fast.shape), rtol=1e-4, atol=1e-5)


def test_several_clips_need_codes_and_blend_them_linearly():
    field = Field(model_config("grid", [(4, 8, 8)] * 3))
    with torch.no_grad():
        field.latents.normal_()
    with pytest.raises(ValueError, match="pass their latent codes"):
        field(torch.zeros(2, 3))
    torch.testing.assert_close(field.code(0, mix_with=2, mix=0.0), field.latents[0])
    torch.testing.assert_close(field.code(0, mix_with=2, mix=1.0), field.latents[2])
    torch.testing.assert_close(field.code(0, 2, 0.25), 0.75 * field.latents[0] + 0.25 * field.latents[2])
    with pytest.raises(ValueError, match=r"clip index must be in 0..2"):
        field.code(3)
