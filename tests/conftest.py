import socket
import sys
from pathlib import Path

import pytest
import torch

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
sys.path.insert(0, str(ROOT))

torch.set_num_threads(2)  # the CI machine's cores; also keeps timings of local runs comparable


def drain(gen):
    """The last thing a generator yields (a handler's final outputs), after running it to its end."""
    out = None
    for out in gen:
        pass
    return out


def free_port() -> int:
    """A loopback port nobody listens on right now, for a test server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def plant():
    """A real clip, small enough for CPU tests: 12 frames of office_plant.mp4 at 48x36."""
    from inr.core.io import load_clip

    return load_clip(ASSETS / "office_plant.mp4", max_frames=12, max_size=48)


@pytest.fixture(scope="session")
def jelly():
    """12 frames of the shipped jelly clip at 64x36."""
    from inr.core.io import load_clip

    return load_clip(ASSETS / "jelly_small.mp4", max_frames=12, max_size=64)


@pytest.fixture(scope="session")
def jelly_latents(jelly):
    """(per-frame latent model, its Records): the 12 jelly frames fitted 150 steps, shared by the
    Latent-INR tests (test_latent_model, test_retrieval) so the fit runs once."""
    from inr.methods.latent_inr import model as fl

    model = fl.make_model(jelly.frames)
    records = list(fl.fit(model, jelly.frames, fl.LatentFitConfig(steps=150, seconds=None)))
    return model.eval(), records
