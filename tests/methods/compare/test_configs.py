"""Compare's configurations: parsing, the messages for bad ones, defaults, presets and equal size."""

import dataclasses

import pytest

from inr.core.train import presets
from inr.methods.compare.configs import model_config
from inr import api

SHAPES = [(8, 54, 96)]


def test_configurations_parse_in_order_with_defaults_left_out():
    configs = api.compare.parse(" fourier:sigma=10 ; siren:omega0=20,width=128;hash; grid:levels=6;codec:bpp=0.1;")
    assert [c.text for c in configs] == ["fourier", "siren:omega0=20,width=128", "hash", "grid:levels=6",
                                         "codec:bpp=0.1"]
    assert [c.label for c in configs] == ["fourier σ=10", "siren ω₀=20 width=128", "hash", "grid levels=6",
                                          "codec bpp=0.1"]
    assert configs[0].ascii_label == "fourier sigma=10"
    assert api.compare.parse("fourier:sigma=none")[0].get("sigma") is None


@pytest.mark.parametrize("text, message", [
    ("wavelet", "unknown architecture 'wavelet'.*valid: grid, hash, fourier, relu, siren, motion, codec"),
    ("siren:sigma=3", "siren has no setting 'sigma'; valid: omega0 .*width .*depth"),
    ("fourier:sigma", "expected key=value"),
    ("relu:width=wide", "relu:width must be hidden units \\(a whole number\\)"),
    ("siren:omega0=-3", "siren:omega0 must be first layer's frequency"),
    ("grid:levels=99", "grid:levels must be in \\[1, 12\\]"),
    ("", "at least one configuration"),
])
def test_a_bad_configuration_names_what_is_valid(text, message):
    with pytest.raises(ValueError, match=message):
        api.compare.parse(text)


def test_a_repeat_is_fitted_once_and_more_than_six_are_refused():
    kept, notes = api.compare.unique(api.compare.parse("siren;siren:omega0=30;hash;siren"))
    assert [c.label for c in kept] == ["siren ω₀=30", "hash"] and len(notes) == 2
    clip = api.Clip(__import__("numpy").zeros((2, 8, 8, 3), "uint8"), 10.0, "x", ())
    with pytest.raises(ValueError, match="at most 6"):
        api.compare.plan(clip, api.compare.parse(";".join(f"relu:width={w}" for w in range(8, 15))))
    with pytest.raises(ValueError, match="print alike \\(fourier σ=10\\)"):
        api.compare.plan(clip, api.compare.parse("fourier:sigma=10.000001;fourier:sigma=10.000002"))
    with pytest.raises(ValueError, match="under equal size, width is what sizing chooses"):
        api.compare.plan(clip, api.compare.parse("relu:width=32;grid"), equal="size")


def test_the_defaults_are_the_engine_presets():
    # A setting at its default is left out of a config, so the defaults must be what the arch builds.
    for arch in ("grid", "hash", "fourier", "relu", "siren", "motion"):
        built = presets.model_config(arch, SHAPES, "every2", 10.0 if arch == "fourier" else None)
        for key, setting in api.compare.SETTINGS[arch].items():
            if key in ("width", "depth", "omega0"):
                assert getattr(built.network, key) == setting.default, (arch, key)
            elif key in ("levels", "features", "table"):
                assert getattr(built.encoding, key) == setting.default, (arch, key)
            elif key == "sigma":
                assert built.encoding.sigma == setting.default
        assert model_config(api.compare.make(arch, {}), SHAPES, "every2") == built


def test_settings_reach_the_model():
    cfg = model_config(api.compare.parse("grid:levels=6,features=2,scale=0.5")[0], SHAPES, "every2")
    assert (cfg.encoding.levels, cfg.encoding.features, cfg.encoding.finest) == (6, 2, (8, 14, 24))
    cfg = model_config(api.compare.parse("siren:omega0=12,width=32,depth=2")[0], SHAPES, "every2")
    assert dataclasses.astuple(cfg.network)[:4] == ("siren", 32, 2, 12.0)
    assert model_config(api.compare.parse("hash:table=1000")[0], SHAPES, "every2").encoding.table == 1000


def test_the_presets_parse_to_the_papers_configurations():
    labels = {key: [c.label for c in api.compare.parse(p.configs)] for key, p in api.compare.PRESETS.items()}
    assert labels == {"sigma": ["fourier σ=none", "fourier σ=1", "fourier σ=10", "fourier σ=100"],
                      "siren": ["relu", "fourier σ=10", "siren ω₀=30"],
                      "encodings": ["fourier σ=10", "grid", "hash"]}


def test_sizing_lands_small_targets_on_the_real_files():
    from inr.methods.compare.sizing import size_to
    for text, target in (("relu", 1403), ("grid", 2916), ("hash:depth=1", 20_000), ("siren", 150_000)):
        config = api.compare.parse(text)[0]
        sized = size_to(config, target, SHAPES, "every2")
        assert abs(api.compare.file_bytes(sized, SHAPES, "every2") / target - 1) < 0.03, (text, sized.label)


def test_an_unreachable_size_names_the_range():
    clip = api.Clip(__import__("numpy").zeros((8, 54, 96, 3), "uint8"), 10.0, "x", ())
    with pytest.raises(ValueError, match="codec cannot be sized to 150,000 bytes: with bpp from 0.2.* to 1 its"):
        api.compare.plan(clip, api.compare.parse("grid;codec"), equal="size", target_bytes=150_000, steps=1)
    with pytest.raises(ValueError, match="grid cannot be sized to 100 bytes"):
        api.compare.plan(clip, api.compare.parse("grid"), equal="size", target_bytes=100, steps=1)
    with pytest.raises(ValueError, match="codec: bpp must be in .*; set it as codec:bpp="):
        api.compare.plan(clip, api.compare.parse("codec"), steps=1)  # its default is under this clip's floor
    with pytest.raises(ValueError, match="codec cannot be sized to 300 bytes"):  # under its networks' floor
        api.compare.plan(clip, api.compare.parse("codec"), equal="size", target_bytes=300, steps=1)
    # Between two sizes 30% apart (a grid of 2x3 or 3x3 nodes a frame): the nearest says how far it lands.
    with pytest.raises(ValueError, match=r"sized to 3,700 bytes: the nearest, grid .*, takes 4,188 \(\+13%\)"):
        api.compare.plan(clip, api.compare.parse("grid:levels=1,features=16"), equal="size", target_bytes=3700,
                         steps=1)
    with pytest.raises(ValueError, match="target size is for equal size"):
        api.compare.plan(clip, api.compare.parse("grid"), target_bytes=1000, steps=1)
