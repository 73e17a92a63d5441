"""Frame retrieval through per-frame latents: a frame finds itself, encoders plug in, bad input is named."""

import numpy as np
import pytest
import torch
from PIL import Image

from bench import latent_experiments
from inr.methods.latent_inr import fileformat, retrieval
from inr.methods.latent_inr import workflow as latent_run
from inr.methods.latent_inr import model as fl, trainer


@pytest.fixture(scope="module")
def fitted(jelly_latents):
    """12 frames of jelly at 64x36 (frames that differ from each other), fitted (conftest)."""
    return jelly_latents[0]


def test_each_frame_retrieves_itself_first(fitted, jelly):
    index = retrieval.build_index(fitted, fps=jelly.fps)
    decoded = fl.render_clip(fitted)
    for mode in ("aligned", "features"):
        for t in range(len(decoded)):
            assert retrieval.search(index, decoded[t], top=1, mode=mode)[0]["frame"] == t, (mode, t)
            assert retrieval.search(index, jelly.frames[t], top=1, mode=mode)[0]["frame"] == t, (mode, t)
    for t in (0, 5, 11):  # inversion into a latent: slower, a few frames
        assert retrieval.search(index, decoded[t], top=1, mode="latent")[0]["frame"] == t
    results = retrieval.search(index, decoded[4], top=5)
    assert [r["frame"] for r in results][0] == 4 and len(results) == 5
    assert results[0]["seconds"] == pytest.approx(4 / jelly.fps)
    assert all(a["score"] >= b["score"] for a, b in zip(results, results[1:]))


def test_index_from_an_inr_file_and_a_plugged_encoder(fitted, jelly, tmp_path):
    run = latent_run.LatentRun(fitted, jelly, "cpu", trainer.LatentFitConfig(steps=0))
    path = fileformat.write(tmp_path / "jelly.inr", fitted, run.meta())

    class MeanColour:  # the whole protocol: a name and encode(uint8 (N, H, W, 3)) -> (N, E)
        name = "mean-colour"

        def encode(self, images):
            return images.reshape(len(images), -1, 3).mean(axis=1).astype(np.float32)

    for encoder in ("histogram-thumbnail", "random-conv", MeanColour()):
        index = retrieval.index_file(path, encoder)
        assert index.frames == 12 and index.fps == pytest.approx(jelly.fps)
        assert index.alignment.shape == (fitted.cfg.latent_dim + 1, index.features.shape[1])
        decoded = fl.render_clip(index.model)
        assert retrieval.search(index, decoded[7], top=1, mode="features")[0]["frame"] == 7


def test_perturbed_queries_and_the_evaluation(fitted, jelly):
    rng = np.random.default_rng(0)
    frame = jelly.frames[3]
    for kind in ("crop", "colour", "noise"):
        copy = latent_experiments.perturb(frame, kind, rng)
        assert copy.shape == frame.shape and copy.dtype == np.uint8 and not np.array_equal(copy, frame)
    index = retrieval.build_index(fitted)
    result = latent_experiments.evaluate(index, jelly.frames, modes=("aligned", "features"), every=3)
    assert result["queries"] == 4 * 3
    for mode in ("aligned", "features"):
        assert 0.5 <= result[mode]["top5"] <= 1.0 and result[mode]["top1"] <= result[mode]["top5"]


def test_bad_inputs_are_value_errors(fitted, jelly):
    index = retrieval.build_index(fitted)
    with pytest.raises(ValueError, match="mode"):
        retrieval.search(index, jelly.frames[0], mode="nearest")
    with pytest.raises(ValueError, match="top"):
        retrieval.search(index, jelly.frames[0], top=0)
    with pytest.raises(ValueError, match="encoder"):
        retrieval.make_encoder("clip-vit")
    with pytest.raises(ValueError, match="uint8"):
        retrieval.search(index, jelly.frames[0].astype(np.float32))
    with pytest.raises(ValueError, match="perturbation"):
        latent_experiments.perturb(jelly.frames[0], "blur", np.random.default_rng(0))
    with pytest.raises(ValueError, match="frames given"):
        retrieval.build_index(fitted, jelly.frames[:5])


def test_inversion_returns_the_code_of_a_plain_loop(fitted, jelly):
    # The starts are the 3 dictionary codes whose frames are closest; each is refined 10 Adam
    # steps at a constant rate, with the decoder frozen, and the best fit wins.
    query = jelly.frames[7]
    weights = [p.detach().clone() for p in fitted.parameters()]
    for p in fitted.parameters():
        p.grad = None
    ours = retrieval.invert(fitted, query, steps=10, lr=0.02, size=24, starts=3)
    assert all(torch.equal(a, b) for a, b in zip(fitted.parameters(), weights))  # the decoder stayed frozen
    assert all(p.grad is None and p.requires_grad for p in fitted.parameters())  # no backward into it, trainable after
    height, width = 14, 24  # 36x64 scaled to 24 on the longer side
    small = np.array(Image.fromarray(query).resize((width, height), Image.BOX))
    target = (torch.from_numpy(small).float() / 255).view(1, -1, 3)
    features = fitted.spatial_features(fl.pixel_centres(height), fl.pixel_centres(width)).detach()
    latents = fitted.latents.detach()
    with torch.no_grad():
        first = ((fitted.decode(latents, features) - target) ** 2).mean(dim=(1, 2)).argsort()[:3]
    codes = latents[first].clone().requires_grad_(True)
    optimizer = torch.optim.Adam([codes], lr=0.02)
    for _ in range(10):
        loss = ((fitted.decode(codes, features) - target) ** 2).mean(dim=(1, 2))  # (starts,)
        optimizer.zero_grad(set_to_none=True)
        loss.sum().backward()
        optimizer.step()
    with torch.no_grad():
        best = ((fitted.decode(codes, features) - target) ** 2).mean(dim=(1, 2)).argmin()
    assert np.array_equal(ours, codes.detach()[best].numpy().astype(np.float64))
