"""The INR-V meta-network's two loops, pinned against plain PyTorch: training and inversion."""

import torch
import torch.nn.functional as F

from inr.methods.inr_v import model as hypernet, trainer
from inr.methods.inr_v.data import Stacked


def _clips(plant) -> torch.Tensor:
    """Three 4-frame clips of office_plant at 48x36: uint8 (3, 4, 36, 48, 3)."""
    return torch.from_numpy(plant.frames.copy()).reshape(3, 4, *plant.frames.shape[1:])


def _space_config(clips: torch.Tensor) -> hypernet.HyperConfig:
    n, frames, height, width = clips.shape[:4]
    return hypernet.HyperConfig(clips=n, frames=frames, height=height, width=width, latent_dim=8, features=8,
                                inr_width=16, inr_depth=1, hyper_width=16)  # small: a test of the loop


def _decayed(optimizer, base_lrs, final_ratio, progress):
    for group, lr in zip(optimizer.param_groups, base_lrs):
        group["lr"] = lr * final_ratio ** progress


def _plain_batches(n: int, cfg: trainer.TrainConfig):
    """The windows of each step as one process takes them, written plainly: a fixed random order of
    the windows, the ones in play reshuffled each epoch from seed + epoch (DistributedSampler's
    rule), a new epoch whenever the set grows; then the step's pixels, seeded by the step."""
    order = torch.randperm(n, generator=torch.Generator().manual_seed(cfg.seed))
    stream, epoch, in_play = [], -1, 0
    for step in range(cfg.steps):
        progress = step / cfg.steps
        active, level = trainer.schedule(cfg, progress, n)
        if active != in_play:
            in_play, epoch, stream = active, epoch + 1, []
            stream = torch.randperm(active, generator=torch.Generator().manual_seed(cfg.seed + epoch)).tolist()
        pick = []
        while len(pick) < cfg.clips_per_step:
            if not stream:
                epoch += 1
                stream = torch.randperm(active, generator=torch.Generator().manual_seed(cfg.seed + epoch)).tolist()
            pick.append(stream.pop(0))
        yield step, progress, level, order[pick], torch.Generator().manual_seed(cfg.seed * trainer.STEP_SEEDS + step)


def test_training_leaves_the_weights_of_a_plain_loop(plant):
    # Progressive: the clip set grows from 2 to 3 and the first quarter is at half size.
    clips = _clips(plant)
    cfg = trainer.TrainConfig(steps=16, seconds=None, clips_per_step=2, pixels_per_clip=256, log_seconds=0.0)
    ours, model = hypernet.HyperINR(_space_config(clips)), hypernet.HyperINR(_space_config(clips))
    records = list(trainer.train(ours, Stacked.of(clips), cfg))
    assert records[-1].final and records[-1].step == cfg.steps
    frames, height, width = clips.shape[1:4]
    net = [p for name, p in model.named_parameters() if name != "latents"]
    optimizer = torch.optim.Adam([{"params": net, "lr": cfg.lr}, {"params": [model.latents], "lr": cfg.latent_lr}])
    for step, progress, level, pick, draws in _plain_batches(len(clips), cfg):
        _decayed(optimizer, [cfg.lr, cfg.latent_lr], cfg.final_lr_ratio, progress)
        targets = trainer.half_size(clips[pick]) if level else clips[pick].float() / 255
        size = targets.shape[1:4]
        ti, yi, xi = (torch.randint(n, (len(pick), cfg.pixels_per_clip), generator=draws) for n in size)
        coords = torch.stack([hypernet.frame_times(size[0])[ti], hypernet.pixel_centres(size[1])[yi],
                              hypernet.pixel_centres(size[2])[xi]], -1)
        colours = targets[torch.arange(len(pick))[:, None], ti, yi, xi]
        codes = model.latents[pick]
        loss = F.mse_loss(model(codes, coords), colours) + cfg.latent_reg * codes.pow(2).sum(-1).mean()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    for (name, a), b in zip(ours.named_parameters(), model.parameters()):
        torch.testing.assert_close(a, b, rtol=0, atol=0, msg=name)


def test_inversion_leaves_the_code_of_a_plain_loop_and_the_network_as_it_was(plant):
    clips = _clips(plant)
    model = hypernet.HyperINR(_space_config(clips))
    weights = [p.detach().clone() for p in model.parameters()]
    clip = clips[1]  # (T, H, W, 3)
    mask = torch.ones(clip.shape[:3], dtype=torch.bool)
    mask[:, 8:20, 10:30] = False  # a hidden box: the code is fitted to the other pixels only
    cfg = trainer.InvertConfig(steps=12, seconds=None, pixels=512, log_seconds=0.0)
    ours = model.latents.detach().mean(0).clone()
    records = list(trainer.invert(model, clip, ours, cfg, mask))
    assert records[0].step == 0 and records[-1].final and records[-1].step == cfg.steps
    assert records[-1].heldout_psnr is not None
    # the network is frozen during the inversion and trainable again after it
    assert all(p.requires_grad for p in model.parameters()) and not ours.requires_grad
    for a, b in zip(model.parameters(), weights):
        assert torch.equal(a, b)
    frames, height, width = model.cfg.shape
    code = model.latents.detach().mean(0).clone().requires_grad_(True)
    where = mask.nonzero()  # (V, 3)
    target = clip.float() / 255
    draws = torch.Generator().manual_seed(cfg.seed)
    optimizer = torch.optim.Adam([code], lr=cfg.lr)
    for step in range(cfg.steps):
        _decayed(optimizer, [cfg.lr], cfg.final_lr_ratio, step / cfg.steps)
        ti, yi, xi = where[torch.randint(len(where), (cfg.pixels,), generator=draws)].unbind(-1)
        coords = torch.stack([hypernet.frame_times(frames)[ti], hypernet.pixel_centres(height)[yi],
                              hypernet.pixel_centres(width)[xi]], -1)
        loss = F.mse_loss(model(code[None], coords[None])[0], target[ti, yi, xi])
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
    torch.testing.assert_close(ours, code.detach(), rtol=0, atol=0)
