"""The smoothness priors: zero on a constant field, positive on a fitted one, weights checked."""

import numpy as np
import pytest
import torch

from inr.core.train import priors
from inr.core.train.fit import FitConfig
from inr import api


@pytest.fixture(scope="module")
def run(plant):
    run = api.prepare([plant], arch="grid", device="cpu", holdout="none", steps=120, seconds=None)
    list(api.fit(run))
    return run


def test_priors_vanish_on_a_constant_field_and_not_on_a_fitted_one(run):
    generator = torch.Generator().manual_seed(0)
    code, shape = run.model.code(0), run.clips[0].shape
    with torch.no_grad():
        fitted = [float(prior(run.model, code, shape, generator)) for prior in (priors.curvature, priors.temporal)]
    assert all(np.isfinite(fitted)) and min(fitted) > 0
    constant = api.prepare([api.Clip(np.full((4, 16, 16, 3), 90, np.uint8), 10.0, "grey", ())], arch="grid",
                           device="cpu", steps=1).model
    with torch.no_grad():
        for p in constant.parameters():
            p.zero_()
    for prior in (priors.curvature, priors.temporal):
        with torch.no_grad():
            assert float(prior(constant, constant.code(0), (4, 16, 16), generator)) < 1e-10
    with pytest.raises(ValueError, match="temporal"):
        FitConfig(temporal=-1.0)
