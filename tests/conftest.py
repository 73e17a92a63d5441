import contextlib
import os
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


def plain_point_fit(model, data, cfg, steps: int, decay: bool = True) -> None:
    """The reference the pin tests hold the one loop to: `steps` plain PyTorch steps of the
    point-sampled field fit (a σ stack too), with the loop's decay of each group's rate unless
    `decay` is off, drawing pixels with the fit's seed."""
    from inr.core.train.fit import make_optimizer

    optimizer = make_optimizer(model, cfg)
    base = [g["lr"] for g in optimizer.param_groups]
    draws = torch.Generator().manual_seed(cfg.seed)
    for step in range(steps):
        if decay:
            for group, lr in zip(optimizer.param_groups, base):
                group["lr"] = lr * cfg.final_lr_ratio ** (step / cfg.steps)
        index = data.train[torch.randint(len(data.train), (cfg.batch,), generator=draws)]
        coords, k = data.coords(index)
        loss = ((model(coords, model.latents[k]) - data.targets(index)) ** 2).mean()  # a stack's: over (K, N, 3)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()


@contextlib.contextmanager
def studio():
    """The studio (app.build) served on a free loopback port for a test: yields its URL."""
    import app

    demo = app.build()
    port = free_port()
    demo.queue().launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, ssr_mode=False,
                        quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


def free_port() -> int:
    """A loopback port nobody listens on right now, for a test server."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def plant():
    """A real clip, small enough for CPU tests: 12 frames of office_plant.mp4 at 48x36."""
    from inr.core.media.io import load_clip

    return load_clip(ASSETS / "office_plant.mp4", max_frames=12, max_size=48)


@pytest.fixture(scope="session")
def jelly():
    """12 frames of the shipped jelly clip at 64x36."""
    from inr.core.media.io import load_clip

    return load_clip(ASSETS / "jelly_small.mp4", max_frames=12, max_size=64)


@pytest.fixture(scope="session")
def jelly_latents(jelly):
    """(per-frame latent model, its Records): the 12 jelly frames fitted 150 steps, shared by the
    Latent-INR tests (test_latent_model, test_retrieval) so the fit runs once."""
    from inr.methods.latent_inr import trainer

    model = trainer.make_model(jelly.frames)
    records = list(trainer.fit(model, jelly.frames, trainer.LatentFitConfig(steps=150, seconds=None)))
    return model.eval(), records


# Hypothesis (the hostile-file fuzzing): "fast" is the suite's, seeded so CI sees the same cases each
# run; "long" is for thousands of cases on demand (--hypothesis-profile long, or python -m bench.fuzz).
from hypothesis import HealthCheck, settings  # noqa: E402 - beside the profiles it sets

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
settings.register_profile("fast", max_examples=40, derandomize=True, deadline=None, suppress_health_check=_QUIET,
                          print_blob=True)
settings.register_profile("long", max_examples=int(os.environ.get("INR_FUZZ_CASES", 2000)), deadline=None, suppress_health_check=_QUIET, print_blob=True)
settings.load_profile("fast")
