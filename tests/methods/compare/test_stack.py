"""A batched stack of Fourier MLPs (or SIRENs) trains each member exactly as a solo fit would."""

import pytest
import torch

from conftest import plain_point_fit
from inr.core.field.encodings import FourierConfig, IdentityConfig
from inr.core.field.model import Field, ModelConfig
from inr.core.field.networks import NetworkConfig
from inr.core.train.fit import thin_probes
from inr.methods.compare.model import FieldStack
from inr import api

SIGMAS = [None, 10.0]


def stacked(clip, sigmas=SIGMAS, **kw):
    """The one batched group of the Fourier MLP at these σ, as Compare plans it."""
    configs = [api.compare.make("fourier", {"sigma": s}) for s in sigmas]
    comparison = api.compare.plan(clip[0], configs, **kw)
    assert len(comparison.groups) == 1
    return comparison.groups[0].run


@pytest.fixture(scope="module")
def clip(jelly):
    return [jelly]


def test_stack_then_member_gives_back_each_field_exactly():
    network = NetworkConfig(kind="relu", width=32, depth=2, output="sigmoid")
    torch.manual_seed(1)
    fields = [Field(ModelConfig(IdentityConfig(), network)), Field(ModelConfig(FourierConfig(sigma=3.0), network))]
    stack = FieldStack.stack(fields)
    coords = torch.rand(100, 3) * 2 - 1
    out = stack(coords)  # (K, N, 3)
    assert out.shape == (2, 100, 3)
    for k, field in enumerate(fields):
        torch.testing.assert_close(out[k], field(coords), rtol=1e-5, atol=1e-6)
        torch.testing.assert_close(stack.member(k)(coords), field(coords), rtol=0, atol=0)


@pytest.mark.slow
def test_each_member_of_a_fitted_stack_matches_its_solo_fit(clip):
    run = stacked(clip, device="cpu", steps=25, batch=512)
    records = list(api.fit(run))
    assert records[-1].final and len(records[-1].members) == len(SIGMAS)
    for sigma, member in zip(SIGMAS, api.compare.members(run)):
        solo = api.prepare(clip, arch="fourier", sigma=sigma, device="cpu", steps=25, seconds=None, batch=512)
        list(api.fit(solo))
        ours, theirs = api.summary(member), api.summary(solo)
        assert ours["train_psnr"] == pytest.approx(theirs["train_psnr"], abs=0.01)
        assert ours["heldout_psnr"] == pytest.approx(theirs["heldout_psnr"], abs=0.01)
        for (name, a), b in zip(member.model.named_parameters(), solo.model.parameters()):
            torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-4, msg=f"sigma {sigma}: {name}")
    # The stack learned: every member is past its first step, and the curves are split per member.
    histories = api.compare.member_histories(run)
    assert all(h[-1].train_psnr > h[0].train_psnr + 1 for h in histories)


def test_the_stack_pools_its_members_scores(clip):
    rec = list(api.fit(stacked(clip, device="cpu", steps=3, batch=256)))[-1]
    trains = [t for t, _ in rec.members]
    assert min(trains) <= rec.train_psnr <= max(trains)


def test_stack_members_share_the_probe_frames_of_one_fit():
    # K members each score 1/K of the probe frames (at least 4), so a live point of a batched comparison
    # costs about what a single fit's does; the final record still scores every pixel.
    probes = torch.arange(0, 48, 2)  # 24 probe frames
    assert thin_probes(probes, 1).tolist() == probes.tolist()
    assert thin_probes(probes, 4).tolist() == [0, 10, 18, 28, 36, 46]
    assert thin_probes(probes, 24).tolist() == [0, 16, 30, 46]
    assert thin_probes(torch.arange(3), 4).tolist() == [0, 1, 2]


def test_compare_refuses_priors_on_a_stack_and_fits_a_repeated_sigma_once(clip):
    with pytest.raises(ValueError, match="priors"):
        stacked(clip, device="cpu", steps=1, curvature=0.1)
    configs = [api.compare.make("fourier", {"sigma": s}) for s in (10.0, None, 10, 1e1)]
    kept, notes = api.compare.unique(configs)
    assert [c.label for c in kept] == ["fourier σ=10", "fourier σ=none"] and len(notes) == 2


def test_a_stack_refuses_members_it_cannot_batch():
    relu = NetworkConfig(kind="relu", width=32, depth=2)
    with pytest.raises(ValueError, match="network shape"):
        FieldStack([ModelConfig(IdentityConfig(), relu), ModelConfig(IdentityConfig(), NetworkConfig(width=16))])
    with pytest.raises(ValueError, match="network shape"):
        FieldStack([ModelConfig(IdentityConfig(), relu), ModelConfig(IdentityConfig(), NetworkConfig(kind="siren"))])
    with pytest.raises(ValueError, match="one clip"):
        FieldStack([ModelConfig(IdentityConfig(), relu, clips=2)])
    with pytest.raises(ValueError, match="at least one member"):
        FieldStack([])


def test_a_stack_fit_leaves_the_weights_of_a_plain_loop(jelly):
    # Pins the fit loop's arithmetic for a stack: decayed rate, the same draws, one step for all.
    clip = [api.Clip(jelly.frames[:4], jelly.fps, "jelly", ())]
    kw = dict(device="cpu", steps=8, batch=256, log_seconds=0.0)
    run, reference = stacked(clip, **kw), stacked(clip, **kw)
    list(api.fit(run))
    plain_point_fit(reference.model, reference.data, reference.fit_cfg, reference.fit_cfg.steps)
    for (name, a), b in zip(run.model.named_parameters(), reference.model.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)


def test_siren_members_at_several_omega0_end_where_their_solo_fits_end(clip):
    configs = [api.compare.make("siren", {"omega0": w, "width": 64}) for w in (30.0, 10.0)]
    comparison = api.compare.plan(clip[0], configs, device="cpu", steps=20, batch=512)
    assert len(comparison.groups) == 1 and comparison.groups[0].batched
    run = comparison.groups[0].run
    list(api.fit(run))
    for config, member in zip(configs, api.compare.members(run)):
        solo = api.compare.plan(clip[0], [config], device="cpu", steps=20, batch=512).groups[0].run
        list(api.fit(solo))
        assert api.summary(member)["heldout_psnr"] == pytest.approx(api.summary(solo)["heldout_psnr"], abs=0.01)
        for (name, a), b in zip(member.model.named_parameters(), solo.model.parameters()):
            torch.testing.assert_close(a, b, rtol=1e-3, atol=1e-4, msg=f"{config.label}: {name}")
    # ω₀ changed what each learned: the two members differ.
    first, second = api.compare.members(run)
    assert not torch.allclose(first.model.network.net[0].weight, second.model.network.net[0].weight)
