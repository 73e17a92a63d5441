"""The one training loop: a generator of Records that every method's training runs on.

A method hands the loop a ``Trainer`` of two functions: its step (the loss of one batch, as a
tensor) and its scoring (the figures of a record). The loop owns the rest: the budget (steps
and/or seconds, whichever runs out first), the clock, the learning-rate decay, the running loss
(kept on the device: one host sync per record, none per step), when records come and when they
carry a preview, and the final record. ``zero_grad``, ``backward`` and ``optimizer.step`` happen
here and nowhere else. A resumed training continues its budget from where it stopped (``start_step``,
``start_seconds``); under DistributedDataParallel every rank reads the slowest rank's clock
(``agree``), so all take the same schedule and stop after the same step.

The caller prints, plots, checkpoints, or stops by not asking for more; the model holds the
weights so far at every yield.
"""

import contextlib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np
import torch

from inr.core.train import distributed

PRECISIONS = ("fp32", "tf32", "bf16")


# ---------------------------------------------------------------- the budget

def check_budget(steps: int | None, seconds: float | None, what: str = "a fit") -> None:
    """ValueError unless at least one budget is set and both are sane."""
    if steps is None and seconds is None:
        raise ValueError(f"{what} needs a budget: steps or seconds")
    if steps is not None and steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    if seconds is not None and not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"seconds must be a finite number >= 0, got {seconds}")


def spent(step: int, elapsed: float, steps: int | None, seconds: float | None) -> float:
    """Share of the budget spent, in [0, inf): 1 or more means stop. A zero budget is spent at once."""
    if steps == 0 or seconds == 0:
        return 1.0
    return max(step / steps if steps else 0.0, elapsed / seconds if seconds else 0.0)


def decay(optimizer: torch.optim.Optimizer, base_lrs: list[float], final_ratio: float, progress: float,
          start: float = 0.0) -> None:
    """Exponential decay of each group's rate from its base to final_ratio of it, over progress start..1."""
    share = max(0.0, progress - start) / (1 - start)
    for group, lr in zip(optimizer.param_groups, base_lrs):
        group["lr"] = lr * final_ratio ** share


@contextlib.contextmanager
def precision(name: str, device: torch.device):
    """Run a training step at this precision on a GPU; the global matmul flags are restored after."""
    if device.type != "cuda" or name == "fp32":
        yield
        return
    saved = torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32
    torch.backends.cuda.matmul.allow_tf32 = torch.backends.cudnn.allow_tf32 = True
    try:
        with torch.autocast("cuda", dtype=torch.bfloat16, enabled=name == "bf16"):
            yield
    finally:
        torch.backends.cuda.matmul.allow_tf32, torch.backends.cudnn.allow_tf32 = saved


# ---------------------------------------------------------------- what goes in and what comes out

def to_device(host: torch.Tensor, device) -> torch.Tensor:
    """A host tensor (indices, coordinates a step drew) on `device` without making the host wait.

    A plain ``.to("cuda")`` of pageable memory waits for every kernel already queued, a host sync
    per step; from pinned memory the copy is queued behind them instead. On the CPU: as it is.
    """
    device = torch.device(device)
    if device.type != "cuda":
        return host.to(device)
    return host.pin_memory().to(device, non_blocking=True)


@dataclass(frozen=True)
class Record:
    step: int
    loss: float  # mean training loss of the steps since the previous record (that one's again if none ran)
    train_psnr: float  # dB on training pixels (of a few probe frames; of every frame when final)
    heldout_psnr: float | None  # dB on held-out pixels, likewise; None when nothing is held out
    seconds: float  # wall time since the fit started
    steps_per_second: float
    preview: np.ndarray | None = None  # uint8 (H, W, 3): the middle frame of clip 0
    final: bool = False  # scored on every pixel, after the last step
    # (train, held-out) PSNR of each member, for a trainer whose model is several trained as one (as
    # Compare's stack of MLPs); train_psnr and heldout_psnr then pool them. Empty otherwise.
    members: tuple[tuple[float, float | None], ...] = ()


@dataclass(frozen=True)
class Scores:
    """The figures a method's scoring gives a record."""

    train_psnr: float
    heldout_psnr: float | None = None
    preview: np.ndarray | None = None  # only when the loop asked for one
    members: tuple[tuple[float, float | None], ...] = ()


@dataclass(frozen=True)
class Trainer:
    """The seam between a method and the loop: two functions, and nothing else is read.

    step(progress) runs the forward pass of one batch at this share of the budget (in [0, 1)) and
    returns the loss to minimise, a 0-dim tensor; or (loss, figure) when the curve should show
    another figure than the one minimised (a regulariser is no part of the fit's error).
    score(final, preview) gives the record's figures: on every pixel when final, with a preview
    frame when asked for one.
    """

    step: Callable[[float], torch.Tensor | tuple[torch.Tensor, torch.Tensor]]
    score: Callable[[bool, bool], Scores]


@dataclass(frozen=True)
class LoopConfig:
    steps: int | None = None  # stop after this many steps ...
    seconds: float | None = None  # ... or after this much wall time, whichever comes first
    final_ratio: float = 1.0  # each group's rate decays exponentially to this share of its first (1: none)
    decay_from: float = 0.0  # the decay starts at this share of the budget
    log_seconds: float = 0.5  # a live record at most this often (each costs a host sync); inf: none
    preview_seconds: float | None = None  # a preview at most this often (None: never)
    precision: str = "fp32"  # see `precision`; ignored off the GPU
    score_start: bool = False  # the first record before the first step (an inversion's start); else after it
    score_end: bool = True  # a live record after the last step too, so the live curve reaches the end
    final: bool = True  # then a record scored on every pixel
    # Where a resumed training stood in this budget: its steps and seconds count, and its records go on from them.
    start_step: int = 0
    start_seconds: float = 0.0
    # Under DDP each rank runs this loop: take the largest elapsed time of all ranks (a tiny all-reduce
    # a step), or a time budget would end on different steps and leave a rank waiting for gradients.
    agree: bool = False

    def __post_init__(self):
        check_budget(self.steps, self.seconds)
        if self.start_step < 0 or not (math.isfinite(self.start_seconds) and self.start_seconds >= 0):
            raise ValueError(f"a training resumes from step >= 0 and seconds >= 0, got {self.start_step}, "
                             f"{self.start_seconds}")
        if self.precision not in PRECISIONS:
            raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {self.precision!r}")
        if not 0 <= self.decay_from < 1:
            raise ValueError(f"decay_from must be in [0, 1), got {self.decay_from}")
        if not self.log_seconds >= 0:
            raise ValueError(f"log_seconds must be >= 0, got {self.log_seconds}")


# ---------------------------------------------------------------- the loop

def train(trainer: Trainer, optimizer: torch.optim.Optimizer, cfg: LoopConfig) -> Iterator[Record]:
    """Step `optimizer` on the trainer's loss until the budget is spent, yielding Records.

    Live records come after the first step (or before it, with score_start), then at most every
    log_seconds, and after the last step; the final record (cfg.final) scores every pixel. Records
    count steps and seconds from the training's start (cfg.start_step, cfg.start_seconds), their
    rate from this call's.
    """
    device = optimizer.param_groups[0]["params"][0].device
    # The decay starts from each group's first rate, kept as "initial_lr" (PyTorch's schedulers use
    # the same key): a resumed optimizer's "lr" is already decayed, and would decay again from there.
    base_lrs = [g.setdefault("initial_lr", g["lr"]) for g in optimizer.param_groups]
    running = torch.zeros((), device=device)  # loss summed on the device: no sync per step
    since = step = 0
    loss = math.nan  # no step yet: no training loss
    log_gap = cfg.log_seconds
    start = last_log = time.perf_counter()
    last_preview = -math.inf

    def record(final: bool = False) -> Record:
        nonlocal since, loss, log_gap, last_log, last_preview
        if since:
            # The one host sync of a record, before the clock is read: the seconds count the
            # steps' work on the device, not only their launch.
            loss = running.item() / since
            running.zero_()
            since = 0
        elapsed = time.perf_counter() - start
        began = time.perf_counter()
        wanted = cfg.preview_seconds is not None and (final or elapsed - last_preview >= cfg.preview_seconds)
        scores = trainer.score(final, wanted)
        if scores.preview is not None:
            last_preview = elapsed
        # Scoring costs a host sync and a forward pass over the probe frames: keep it under ~20%
        # of the fit by spacing the records at least 4x the time one takes.
        last_log = time.perf_counter()
        log_gap = max(cfg.log_seconds, 4 * (last_log - began))
        return Record(cfg.start_step + step, loss, scores.train_psnr, scores.heldout_psnr, cfg.start_seconds + elapsed,
                      step / max(elapsed, 1e-9), scores.preview, final, scores.members)

    def progress() -> float:
        elapsed = time.perf_counter() - start
        if cfg.agree:
            elapsed = distributed.slowest(elapsed)
        return spent(cfg.start_step + step, cfg.start_seconds + elapsed, cfg.steps, cfg.seconds)

    if cfg.score_start:
        yield record()
    while (share := progress()) < 1.0:
        decay(optimizer, base_lrs, cfg.final_ratio, share, cfg.decay_from)
        with precision(cfg.precision, device):
            out = trainer.step(share)
            objective, shown = out if isinstance(out, tuple) else (out, out)
            optimizer.zero_grad(set_to_none=True)
            objective.backward()
            optimizer.step()
        running += shown.detach().float()
        since += 1
        step += 1
        if (step == 1 and not cfg.score_start) or time.perf_counter() - last_log >= log_gap:
            yield record()
    if cfg.score_end and (since or (step == 0 and not cfg.score_start)):
        yield record()
    if cfg.final:
        yield record(final=True)
