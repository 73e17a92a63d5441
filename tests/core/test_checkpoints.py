import json
import pickle

import numpy as np
import pytest
import torch
from safetensors.torch import save_file

from inr import api


@pytest.fixture(scope="module")
def run(plant):
    run = api.prepare([plant], arch="grid", device="cpu", steps=10, seconds=None)
    list(api.fit(run))
    return run


def test_save_load_round_trips_bit_exactly(run, tmp_path):
    path = api.save(run, tmp_path / "m.safetensors")
    loaded = api.load(path, "cpu")
    for (name, a), (_, b) in zip(run.model.state_dict().items(), loaded.model.state_dict().items()):
        assert torch.equal(a, b), name
    assert loaded.clips == run.clips
    before = np.stack(list(api.render(run)[0]))
    after = np.stack(list(api.render(loaded)[0]))
    assert np.array_equal(before, after)
    assert not list(tmp_path.glob(".*.tmp*"))  # the atomic write left no temporary file


@pytest.mark.slow
@pytest.mark.parametrize("arch", ["fourier", "siren", "hash", "relu"])
def test_every_arch_round_trips(plant, arch, tmp_path):
    run = api.prepare([plant], arch=arch, sigma=10.0, device="cpu", steps=2, seconds=None)
    list(api.fit(run))
    loaded = api.load(api.save(run, tmp_path / "m.safetensors"))
    assert np.array_equal(np.stack(list(api.render(run)[0])), np.stack(list(api.render(loaded)[0])))


def test_foreign_files_get_a_clear_error(run, tmp_path):
    foreign = tmp_path / "other.safetensors"
    save_file({"w": torch.zeros(3)}, str(foreign))
    pickled = tmp_path / "evil.safetensors"
    pickled.write_bytes(pickle.dumps({"a": 1}))
    truncated = tmp_path / "cut.safetensors"
    truncated.write_bytes(api.save(run, tmp_path / "ok.safetensors").read_bytes()[:500])
    for path, reason in ((foreign, "another program"), (pickled, "not an inr checkpoint"),
                         (truncated, "not an inr checkpoint"), (tmp_path / "missing.safetensors", "no such")):
        with pytest.raises(ValueError, match=reason) as err:
            api.load(path)
        assert path.name in str(err.value) and "\n" not in str(err.value)


def test_config_that_does_not_match_the_weights_is_refused(run, tmp_path):
    from safetensors import safe_open

    path = api.save(run, tmp_path / "m.safetensors")
    with safe_open(str(path), framework="pt") as f:
        meta, tensors = f.metadata(), {k: f.get_tensor(k) for k in f.keys()}
    model = json.loads(meta["model"])
    model["encoding"]["levels"] = 2
    meta["model"] = json.dumps(model)
    bad = tmp_path / "bad.safetensors"
    save_file(tensors, str(bad), metadata=meta)
    with pytest.raises(ValueError, match="does not match"):
        api.load(bad)
