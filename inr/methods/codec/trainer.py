"""Training a codec model on distortion + lambda * rate, on the one loop (``inr.core.train.loop``).

The objective per step is MSE(frames) + lambda * bits / pixel, where the bits are the entropy
model's estimate for every latent (``entropy.grid_bits``). Two ways to choose the size:

- a fixed ``lam`` (the classical rate-distortion trade-off), or
- a target ``bpp``: lambda is then steered while training, multiplicatively, so that the estimated
  size (latents + networks + header) meets the target; it stops moving once the latents freeze.

The quantiser goes noise -> rounding (straight-through) -> frozen latents (``model.QUANTISERS``)
at the shares of the budget in ``CodecFitConfig.stages``.
"""

import math
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from inr.core.evaluate.metrics import mse_to_psnr
from inr.core.media.images import to_uint8
from inr.core.train import loop
from inr.methods.codec.entropy import ARM, grid_bits
from inr.methods.codec.model import LATENT_MAX, CodecModel, quantise


@dataclass(frozen=True)
class CodecFitConfig:
    steps: int | None = None  # stop after this many steps ...
    seconds: float | None = 120.0  # ... or after this much wall time, whichever comes first
    bpp: float | None = 0.2  # target size in bits per pixel (lambda is steered to it) ...
    lam: float | None = None  # ... or a fixed rate-distortion trade-off (one of the two)
    lr: float = 1e-2  # networks (Cool-chic's rate)
    latent_lr: float = 3e-2  # latents move in integer units: faster than the networks
    final_lr_ratio: float = 0.05  # exponential decay to this share by the end
    stages: tuple[float, float] = (0.6, 0.9)  # noise until the first share, rounding until the second, then frozen
    # Frames a step decodes and prices (None: all). A few frames a step buy many more steps in the
    # same time; each frame's latents still get their share of updates.
    frames_per_step: int | None = 8
    seed: int = 0
    log_seconds: float = 0.5

    def __post_init__(self):
        loop.check_budget(self.steps, self.seconds, "a codec fit")
        if (self.bpp is None) == (self.lam is None):
            raise ValueError("give exactly one of bpp (a target size) and lam (a fixed trade-off)")
        for name in ("bpp", "lam"):
            value = getattr(self, name)
            if value is not None and not (math.isfinite(value) and value > 0):
                raise ValueError(f"{name} must be a finite number > 0, got {value}")
        if not 0 <= self.stages[0] <= self.stages[1] <= 1:
            raise ValueError(f"stages must be two shares 0 <= a <= b <= 1, got {self.stages}")


def stage(progress: float, stages: tuple[float, float]) -> str:
    """The quantiser at this share of the budget."""
    return "noise" if progress < stages[0] else "round" if progress < stages[1] else "frozen"


def first_lambda(bpp: float) -> float:
    """A starting lambda for a target bpp (MSE in [0, 1] units per bit per pixel); steering refines it."""
    return 2e-3 * (0.2 / bpp) ** 1.5


LOG_LAMBDA = (math.log(1e-6), math.log(1.0))  # where steering may take lambda
WARM_UP = 0.1  # share of the budget before steering starts
SIZE_SLACK = 0.2  # a file may miss its target size by this share
# Steering keeps lambda within this factor of where it started. A target the fit cannot reach in
# its budget otherwise sends lambda to the ceiling, where distortion stops counting (docs/codec.md,
# "Why the defaults"); past the reach, the dead zone of meet_target meets the size when the
# latents freeze.
LAMBDA_REACH = 30.0


class Steering:
    """Lambda steered multiplicatively so that the estimated size meets the target (an I-controller)."""

    def __init__(self, cfg: CodecFitConfig, pixels: int):
        self.target_bits = None if cfg.bpp is None else cfg.bpp * pixels
        self.log_lam = self.first = math.log(cfg.lam if cfg.lam is not None else first_lambda(cfg.bpp))
        self.overhead_bits = 0.0  # networks and header, refreshed by the caller now and then
        # What the file will hold is the rounded latents, but a step prices the noisy ones (a few
        # frames of them): each record measures the ratio of the two, and steering uses it.
        self.step_bits = None  # running mean of the steps' estimates since the last calibration
        self.ratio = 1.0

    def calibrate(self, rounded_bits: float) -> None:
        """Set the rounded / step-estimate ratio from the bits of the rounded latents (all of them)."""
        if self.step_bits:
            self.ratio = min(max(rounded_bits / self.step_bits, 0.2), 5.0)
        self.step_bits = None

    @property
    def lam(self) -> float:
        return math.exp(self.log_lam)

    def update(self, latent_bits: float, progress: float) -> None:
        """One step of steering from the latents' estimated bits (a no-op at a fixed lambda).

        Nothing moves in the first WARM_UP of the budget: until the entropy model has learned the
        latents' statistics, its estimate is several times what they will cost, and chasing it
        drives lambda to its ceiling and the file to almost nothing. After that lambda moves by
        at most 1% a step (the miss, in log, clamped to +-0.5), within LAMBDA_REACH of where it started.
        """
        self.step_bits = latent_bits if self.step_bits is None else 0.9 * self.step_bits + 0.1 * latent_bits
        if self.target_bits is None or progress < WARM_UP:
            return
        budget = max(self.target_bits - self.overhead_bits, 0.05 * self.target_bits)
        error = max(min(math.log(max(latent_bits * self.ratio, 1.0) / budget), 0.5), -0.5)
        low, high = self.first - math.log(LAMBDA_REACH), self.first + math.log(LAMBDA_REACH)
        self.log_lam = min(max(self.log_lam + 0.02 * error, low, LOG_LAMBDA[0]), high, LOG_LAMBDA[1])


def deadzone(latents: list[torch.Tensor], width: float) -> list[torch.Tensor]:
    """Latents rounded with a dead zone: |y| < width becomes 0 (width 0.5 is plain rounding)."""
    return [torch.where(g.abs() < width, torch.zeros_like(g), g).clamp(-LATENT_MAX, LATENT_MAX).round()
            for g in latents]


def meet_target(model: CodecModel, arm: ARM, steering: Steering, slack: float = SIZE_SLACK) -> float:
    """Widen the rounding's dead zone until the latents' estimated bits fit the target; the width used.

    Steering lambda lands most fits near their target, but not all (a short budget, a clip whose
    rate falls late). Latents that would make the file more than `slack` too large are brought
    under it the way classical encoders do it: small coefficients go to zero. The fit does this
    when its latents freeze, so the networks' last tenth of training adapts to it; encoding
    checks again. The model's latents change in place.
    """
    if steering.target_bits is None:
        return 0.5
    budget = (1 + slack / 2) * steering.target_bits - steering.overhead_bits
    with torch.no_grad():
        latents = [g.detach().clone() for g in model.latents]

        def bits(width: float) -> float:
            return grid_bits(arm, deadzone(latents, width)).item()

        if bits(0.5) <= (1 + slack) * steering.target_bits - steering.overhead_bits:
            return 0.5
        low, high = 0.5, 1.0
        while bits(high) > budget and high < LATENT_MAX:
            low, high = high, 2 * high
        for _ in range(12):
            middle = (low + high) / 2
            low, high = (middle, high) if bits(middle) > budget else (low, middle)
        for param, value in zip(model.latents, deadzone(latents, high)):
            param.copy_(value)
    return high


def make_optimizer(model: CodecModel, arm: ARM, cfg: CodecFitConfig) -> torch.optim.Optimizer:
    return torch.optim.Adam([
        {"params": list(model.latents.parameters()), "lr": cfg.latent_lr},
        {"params": list(model.synthesis.parameters()), "lr": cfg.lr},
        # The entropy model must follow the latents as they shrink, or their price lags behind
        # and the rate falls late: it learns at the latents' rate.
        {"params": list(arm.parameters()), "lr": cfg.latent_lr},
    ])


def loop_config(cfg: CodecFitConfig) -> loop.LoopConfig:
    return loop.LoopConfig(steps=cfg.steps, seconds=cfg.seconds, final_ratio=cfg.final_lr_ratio,
                           log_seconds=cfg.log_seconds)


def psnr_of(model: CodecModel, grids: list[torch.Tensor], target: torch.Tensor, chunk: int = 16) -> float:
    """PSNR (dB, every pixel, output clamped to [0, 1] as the decoder does) of these grids."""
    total = 0.0
    with torch.no_grad():
        for start in range(0, len(target), chunk):
            frames = torch.arange(start, min(start + chunk, len(target)), device=target.device)
            rgb = model.decode(grids, frames).clamp(0, 1)
            total += F.mse_loss(rgb, target[frames], reduction="sum").item()
    return mse_to_psnr(total / target.numel())


def trainer(model: CodecModel, arm: ARM, frames: torch.Tensor, cfg: CodecFitConfig, steering: Steering,
            state: dict) -> loop.Trainer:
    """The loop's seam: a step on distortion + lambda * rate, and scoring of the rounded latents.

    frames: float (T, H, W, 3) in [0, 1] on the model's device. `state` gets the latest figures
    for the caller to show: "bits" (the step's estimate of the latents' bits), "rounded_bits" (of
    the rounded latents, at the last record: what the file's latents will about cost), "lam",
    "stage".
    """
    count = len(frames)
    pixels = frames.shape[0] * frames.shape[1] * frames.shape[2]
    generator = torch.Generator(device=frames.device).manual_seed(cfg.seed)
    host = torch.Generator().manual_seed(cfg.seed)
    batch = count if cfg.frames_per_step is None else min(cfg.frames_per_step, count)

    def step(progress: float):
        mode = stage(progress, cfg.stages)
        if mode == "frozen" and "deadzone" not in state:
            state["deadzone"] = meet_target(model, arm, steering)  # the networks then adapt to it
        grids = [quantise(g, mode, generator) for g in model.latents]
        chosen = torch.arange(count) if batch == count else torch.randperm(count, generator=host)[:batch]
        chosen = chosen.to(frames.device)
        mse = F.mse_loss(model.decode(grids, chosen), frames[chosen])
        bits = grid_bits(arm, grids, None if batch == count else chosen)
        latent_bits = bits.item()  # one sync a step: the steering needs it; the CPU waits anyway
        if mode != "frozen":  # frozen latents cost what they cost: lambda has nothing left to steer
            steering.update(latent_bits, progress)
        state.update(bits=latent_bits, stage=mode, lam=steering.lam)
        return mse + steering.lam * bits / pixels, mse

    def score(final: bool, preview: bool) -> loop.Scores:
        grids = model.rounded()
        value = psnr_of(model, grids, frames)
        with torch.no_grad():
            rounded_bits = grid_bits(arm, grids).item()
        steering.calibrate(rounded_bits)
        state.update(rounded_bits=rounded_bits)
        picture = None
        if preview:
            with torch.no_grad():
                middle = torch.tensor([count // 2], device=frames.device)
                picture = to_uint8(model.decode(grids, middle)[0].clamp(0, 1))
        return loop.Scores(train_psnr=value, preview=picture)

    return loop.Trainer(step, score)
