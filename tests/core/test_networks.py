"""Coordinate networks: the output offset, SIREN's initialisation bounds, and refused settings."""

import math

import pytest
import torch

from inr.core.field.networks import CoordinateNetwork, NetworkConfig, Sine


def test_a_linear_head_starts_around_mid_grey_and_a_sigmoid_one_in_range():
    torch.manual_seed(0)
    x = torch.rand(4096, 8) * 2 - 1
    for output in ("linear", "sigmoid"):
        net = CoordinateNetwork(8, NetworkConfig(kind="relu", width=32, depth=2, output=output))
        with torch.no_grad():
            for p in net.parameters():
                p.zero_()
            assert torch.equal(net(x), torch.full((4096, 3), 0.5))  # no weights: exactly mid-grey
    net = CoordinateNetwork(8, NetworkConfig(kind="relu", width=32, depth=2, output="sigmoid"))
    y = net(x)
    assert y.shape == (4096, 3) and y.min() >= 0 and y.max() <= 1


def test_siren_layers_follow_the_papers_initialisation():
    torch.manual_seed(0)
    cfg = NetworkConfig(kind="siren", width=64, depth=3, omega0=30.0)
    net = CoordinateNetwork(3, cfg)
    linears = [m for m in net.net if isinstance(m, torch.nn.Linear)]
    sines = [m for m in net.net if isinstance(m, Sine)]
    assert [s.omega for s in sines] == [30.0, 30.0, 30.0]  # ω₀ first, the hidden ω (30) after
    assert linears[0].weight.abs().max() <= 1 / 3
    for layer in linears[1:]:
        bound = math.sqrt(6 / layer.in_features) / 30.0
        assert layer.weight.abs().max() <= bound
        assert layer.weight.abs().max() > 0.9 * bound  # uniform over the whole range, not a narrower one
    # What the initialisation is for: every hidden sine reads ω·Wx of std about 1, at any depth (the
    # biases, U(±1/√n) as in the official code, come on top). With sin(x) after the first layer, as
    # before, it was about 0.03 to 0.05: nearly linear hidden layers.
    h = torch.rand(20_000, 3) * 2 - 1
    for linear, sine in zip(linears, sines):
        if linear is not linears[0]:
            assert 0.5 < float((sine.omega * h @ linear.weight.T).std()) < 1.5
        h = torch.sin(sine.omega * linear(h))


def test_siren_files_saved_before_the_hidden_omega_load_as_they_were_trained():
    from inr.core.field.model import ModelConfig
    old = {"encoding": {"kind": "none"}, "network": {"kind": "siren", "width": 8, "depth": 2, "omega0": 30.0,
                                                     "output": "linear"}, "clips": 1, "latent_dim": 32}
    assert ModelConfig.from_dict(old).network.hidden_omega == 1.0
    relu = {**old, "network": {"kind": "relu", "width": 8, "depth": 2}}
    assert ModelConfig.from_dict(relu).network.hidden_omega == 30.0  # unused by ReLU networks


def test_a_network_with_no_hidden_layer_is_a_linear_map():
    net = CoordinateNetwork(5, NetworkConfig(depth=0))
    assert [type(m).__name__ for m in net.net] == ["Linear"]
    assert net(torch.zeros(2, 5)).shape == (2, 3)


@pytest.mark.parametrize("cfg, message", [
    (NetworkConfig(kind="tanh"), "kind must be relu or siren"),
    (NetworkConfig(output="softmax"), "output must be linear or sigmoid"),
    (NetworkConfig(width=0), "width >= 1"),
    (NetworkConfig(depth=-1), "depth >= 0"),
])
def test_bad_settings_name_what_was_expected(cfg, message):
    with pytest.raises(ValueError, match=message):
        CoordinateNetwork(3, cfg)
