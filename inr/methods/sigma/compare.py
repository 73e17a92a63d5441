"""Compare σ: the Fourier-feature MLP at several σ, trained together as one batched model."""

import dataclasses

import numpy as np

import inr.core.run
from inr.core.fit import FitConfig, field_trainer, full_psnr, preview_frame, probe_psnr
from inr.core.io import Clip
from inr.core.loop import Record, Scores, Trainer
from inr.core.metrics import mse_to_psnr, psnr_to_mse
from inr.core.pixels import PixelSet
from inr.core.presets import model_config
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
    run.make_trainer = stack_trainer
    return run


def stack_trainer(stack: FieldStack, data: PixelSet, cfg: FitConfig,
                  clips: list[np.ndarray] | None = None) -> Trainer:
    """The stack's step (the field fit's own: its loss is the mean over members) and its scoring:
    each member as the ordinary Field it hands back, on 1/K of the probe frames while live, then
    pooled into one curve point (the PSNR of the members' mean squared error)."""
    step = field_trainer(stack, data, cfg, clips).step

    def score(final: bool, preview: bool) -> Scores:
        fields = stack.members()
        scores = tuple(full_psnr(f, data, clips) if final else probe_psnr(f, data, len(fields)) for f in fields)
        train, heldout = pooled(scores)
        return Scores(train, heldout, preview_frame(fields[0], data) if preview else None, scores)

    return Trainer(step, score)


def pooled(scores: tuple[tuple[float, float | None], ...]) -> tuple[float, float | None]:
    """One (train, held-out) PSNR for several members: the PSNR of their mean squared error."""
    if len(scores) == 1:
        return scores[0]
    pools = []
    for column in zip(*scores):
        pools.append(None if None in column else mse_to_psnr(sum(psnr_to_mse(v) for v in column) / len(column)))
    return pools[0], pools[1]


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
    return [dataclasses.replace(run, model=field, history=history, optimizer=None, make_trainer=None)
            for field, history in zip(run.model.members(), member_histories(run))]
