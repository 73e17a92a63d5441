"""A training budget, in steps or seconds or both: checked once, read the same way by every loop.

The fit loop, the per-frame latent fit, the hypernetwork's training and its inversion all stop at
whichever budget runs out first and decay their learning rates along the same progress.
"""

import math

import torch


def check(steps: int | None, seconds: float | None, what: str = "a fit") -> None:
    """ValueError unless at least one budget is set and both are sane."""
    if steps is None and seconds is None:
        raise ValueError(f"{what} needs a budget: steps or seconds")
    if steps is not None and steps < 0:
        raise ValueError(f"steps must be >= 0, got {steps}")
    if seconds is not None and not (math.isfinite(seconds) and seconds >= 0):
        raise ValueError(f"seconds must be a finite number >= 0, got {seconds}")


def progress(step: int, elapsed: float, steps: int | None, seconds: float | None) -> float:
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
