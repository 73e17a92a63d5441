"""Compare σ: the Fourier-feature MLP at several σ, trained together as one batched model."""

import dataclasses

from inr.core.loop import Record
from inr.core.io import Clip
from inr.core.presets import model_config
import inr.core.run
from inr.core.run import Run, fresh_model
from inr.methods.sigma.stack import FieldStack


def label(sigma: float | None) -> str:
    """How a σ is named in files, tables and curves: 'none' for raw coordinates, else its value."""
    return "none" if sigma is None else f"{sigma:g}"


def unique(sigmas: list[float | None]) -> dict[str, float | None]:
    """The σ to fit, by label, in order: a σ given twice (10 and 10.0) is fitted once, as first typed."""
    out: dict[str, float | None] = {}
    for sigma in sigmas:
        out.setdefault(label(sigma), sigma)
    return out


def prepare(clips: list[Clip], sigmas: list[float | None], holdout: str = "every2",
            device: str | None = None, seed: int = 0, **fit_overrides) -> Run:
    """One batched model of the Fourier MLP at each σ (None: raw coordinates), fitted together.

    Each member starts from the weights a solo `prepare(..., arch="fourier", sigma=σ)` would give
    and sees the same pixels; `members(run)` splits the fitted stack into one Run per σ.
    """
    if not sigmas:
        raise ValueError("compare needs at least one sigma")
    if len(clips) != 1:
        raise ValueError(f"compare fits one clip at a time, got {len(clips)}")
    if fit_overrides.get("curvature") or fit_overrides.get("temporal"):
        raise ValueError("compare fits without smoothness priors: a σ stack has no lattice to read them on")
    run = inr.core.run.prepare(clips, arch="fourier", sigma=sigmas[0], holdout=holdout, device=device, seed=seed,
                               **fit_overrides)
    shapes = [c.frames.shape[:3] for c in clips]
    fields = [run.model] + [fresh_model(model_config("fourier", shapes, holdout, s), seed, run.device)
                            for s in sigmas[1:]]
    run.model = FieldStack.stack(fields)
    return run


def member_histories(run: Run) -> list[list[Record]]:
    """Each member's curve of a stacked run (prepare); the run's own curve otherwise."""
    if not isinstance(run.model, FieldStack):
        return [run.history]
    return [[dataclasses.replace(r, train_psnr=r.members[k][0], heldout_psnr=r.members[k][1], members=())
             for r in run.history] for k in range(len(run.model.configs))]


def members(run: Run) -> list[Run]:
    """A stacked run (prepare) as one ordinary Run per member: its weights now, its curve."""
    if not isinstance(run.model, FieldStack):
        return [run]
    return [dataclasses.replace(run, model=field, history=history, optimizer=None)
            for field, history in zip(run.model.members(), member_histories(run))]
