"""Compare: one to six configurations of any architecture fitted to one clip, at equal time or equal
size, and what they give side by side.

``plan`` turns configurations into groups: configurations that can train as one batched model (the
Fourier MLP at several σ, raw coordinates among them; SIREN at several ω₀: one network shape and one
fit setting) form a ``FieldStack``; every other configuration is a group of its
own. ``fit`` trains the groups one after another on the one training loop and yields each record
with its group. Every group draws the same training pixels and holds out the same ones, so each
held-out figure is on the same pixels as the classical rebuild's.

Equal time gives every configuration the same seconds: a batched group of K members trains for
K times them, each member's share of the machine, and takes more steps in it than a solo fit
would (batching is cheaper a member); the table's steps say so. Equal size first sizes each
configuration to the target bytes (``sizing``), then gives each the same seconds.

This method builds on the others it compares (the codec's file, the motion arch through the
engine's arch table); none of them knows it.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from inr.core.field.render import render_uint8
from inr.core.media.io import Clip
from inr.core.report.diagnostics import uint8_psnr
from inr.core.train import run as engine
from inr.core.train.loop import Record
from inr.core.train.run import Run
from inr.methods.codec import workflow as codec
from inr.methods.compare import sizing
from inr.methods.compare.configs import CODEC, Config, check, model_config, unique
from inr.methods.compare.model import FieldStack, member_histories, members, stack_trainer, stackable

DEFAULT_SECONDS = {"cpu": 20.0, "cuda": 10.0}  # each configuration's, when no budget is given


@dataclass
class Group:
    """Configurations trained together: several as one FieldStack, or one alone."""

    configs: list[Config]
    run: Run | codec.CodecRun
    started: bool = False
    done: bool = False  # its fit ended (or was stopped): its results may be read, and stay as they are
    payload: bytes | None = None  # the codec's file, once written

    @property
    def batched(self) -> bool:
        return len(self.configs) > 1

    @property
    def describe(self) -> str:
        if not self.batched:
            return self.configs[0].label
        return f"{', '.join(c.label for c in self.configs)} together as one batched model"


@dataclass
class Comparison:
    clip: Clip
    configs: list[Config]
    groups: list[Group]
    equal: str  # "time" or "size"
    seconds: float | None  # each configuration's
    steps: int | None
    target_bytes: int | None  # equal size: what each was sized to
    notes: list[str] = field(default_factory=list)
    results: dict[Config, "Result"] = field(default_factory=dict)  # filled as groups end

    @property
    def baseline(self) -> dict[str, float] | None:
        """The classical rebuild of the held-out pixels (every field group holds out the same ones)."""
        return next((g.run.baseline for g in self.groups if isinstance(g.run, Run)), None)

    @property
    def schedule(self) -> str:
        """How the groups train, for the person: batched or alone, one after another, with budgets."""
        parts = [f"{g.describe} ({_budget(self, len(g.configs))})" for g in self.groups]
        if len(parts) == 1:
            return parts[0]
        return "; then ".join(parts) + " — one after another"


def _budget(comparison: Comparison, members: int) -> str:
    if comparison.seconds is not None:
        each = f"{comparison.seconds:g} s"
        return f"{members} × {each}" if members > 1 else each
    return "as fitted" if comparison.steps is None else f"{comparison.steps} steps"


# ---------------------------------------------------------------- planning

def plan(clip: Clip, configs: list[Config], equal: str = "time", seconds: float | None = None,
         steps: int | None = None, target_bytes: int | None = None, holdout: str = "every2",
         device: str | None = None, seed: int = 0, **fit_overrides) -> Comparison:
    """The groups that fit `configs` to `clip`, each configuration on the same budget.

    `seconds` and `steps` are each configuration's (default: DEFAULT_SECONDS). Under equal size,
    `target_bytes` (default: the first configuration's size as given) sizes every one.
    `fit_overrides` (batch, lr ...) replace the fields' fit settings; the codec has its own.
    """
    device = engine.check_device(device)
    configs, notes = unique(configs)
    check(configs, equal)
    if fit_overrides and any(c.arch == CODEC for c in configs):
        raise ValueError(f"fit settings ({', '.join(fit_overrides)}) are the fields'; the codec has its own")
    if equal == "time" and target_bytes is not None:
        raise ValueError("a target size is for equal size (equal='size')")
    if seconds is None and steps is None:
        seconds = DEFAULT_SECONDS["cuda" if device.startswith("cuda") else "cpu"]
    shapes = [clip.frames.shape[:3]]
    if equal == "size":
        if target_bytes is None:
            target_bytes = sizing.file_bytes(configs[0], shapes, holdout)
            notes.append(f"target size: {target_bytes:,} bytes, {configs[0].label}'s as given")
        configs = [sizing.size_to(c, target_bytes, shapes, holdout) for c in configs]
        if len(set(configs)) < len(configs):
            raise ValueError("two configurations become the same one once sized: "
                             + ", ".join(c.label for c in configs))
    groups = [_group(clip, members, holdout, device, seed, seconds, steps, fit_overrides)
              for members in _batches(configs, shapes, holdout, device)]
    if any(g.batched for g in groups) and seconds is not None:
        notes.append(f"a batched group of K trains for K × {seconds:g} s, each member's share; its members take "
                     "the batch's steps, a little more than each would alone in its share on a CPU (more on a GPU, "
                     "where batching is cheaper)")
    return Comparison(clip, configs, groups, equal, seconds, steps, target_bytes, notes)


def adopt(clip: Clip, fitted: list[tuple[Config, Run]]) -> Comparison:
    """A comparison of runs fitted elsewhere (checkpoints) to this clip, each as fitted alone: their
    clip is attached (the held-out pixels of their fits, by their seed) and nothing is fitted."""
    groups = [Group([config], engine.attach_clips(run, [clip], seed=run.fit_cfg.seed if run.fit_cfg else 0),
                    started=True) for config, run in fitted]
    budgets = {(r.fit_cfg.steps, r.fit_cfg.seconds) if r.fit_cfg else (None, None) for _, r in fitted}
    steps, seconds = budgets.pop() if len(budgets) == 1 else (None, None)
    comparison = Comparison(clip, [c for c, _ in fitted], groups, "time", seconds, steps, None)
    for group in groups:
        _finish(comparison, group)
    return comparison


def _batches(configs: list[Config], shapes, holdout: str, device: str) -> list[list[Config]]:
    """Configurations grouped by what can train as one stack, in the order first given."""
    batches: list[list[Config]] = []
    for config in configs:
        for batch in batches:
            if _joins(batch[0], config, shapes, holdout, device):
                batch.append(config)
                break
        else:
            batches.append([config])
    return batches


def _joins(first: Config, other: Config, shapes, holdout: str, device: str) -> bool:
    if CODEC in (first.arch, other.arch) or not {first.arch, other.arch} <= {"fourier", "relu", "siren"}:
        return False
    a, b = (model_config(c, shapes, holdout) for c in (first, other))
    same_fit = engine.fit_config(first.arch, device) == engine.fit_config(other.arch, device)
    return same_fit and stackable(a.network, b.network)


def _group(clip: Clip, configs: list[Config], holdout: str, device: str, seed: int, seconds: float | None,
           steps: int | None, fit_overrides: dict) -> Group:
    budget = {"seconds": None if seconds is None else seconds * len(configs), "steps": steps}
    first = configs[0]
    if first.arch == CODEC:
        try:
            return Group(configs, codec.prepare(clip, bpp=first.get("bpp"), device=device, seed=seed, **budget))
        except ValueError as err:  # the range a target must lie in for this clip: say how to set it
            raise ValueError(f"{first.label}: {err}; set it as codec:bpp=...") from err
    if len(configs) > 1 and (fit_overrides.get("curvature") or fit_overrides.get("temporal")):
        raise ValueError("a batched group fits without smoothness priors: its stack has no lattice to read them on")
    shapes = [clip.frames.shape[:3]]
    run = engine.prepare([clip], arch=first.arch, holdout=holdout, device=device, seed=seed,
                         model_cfg=model_config(first, shapes, holdout), **budget, **fit_overrides)
    if len(configs) > 1:
        fields = [run.model] + [engine.fresh_model(model_config(c, shapes, holdout), seed, device) for c in configs[1:]]
        run.model = FieldStack.stack(fields)
        run.make_trainer = stack_trainer
    return Group(configs, run)


# ---------------------------------------------------------------- fitting

def fit(comparison: Comparison, only: int | None = None) -> Iterator[tuple[int, Record]]:
    """Fit the groups not yet fitted one after another (or group `only`), yielding (group index,
    record); stop iterating to stop.

    A group stopped midway keeps its model so far and counts as fitted; the groups after it are
    not fitted. Each group's results are ready once its last record is out.
    """
    if only is not None and not 0 <= only < len(comparison.groups):
        raise ValueError(f"group must be in 0..{len(comparison.groups) - 1}, got {only}")
    for index, group in enumerate(comparison.groups):
        if group.started or only not in (None, index):
            continue
        group.started = True
        records = codec.fit(group.run) if isinstance(group.run, codec.CodecRun) else engine.fit(group.run)
        try:
            for rec in records:
                if rec.final:  # the last record: the model is what it will stay
                    _finish(comparison, group)
                yield index, rec
        except GeneratorExit:  # the caller stopped: what was fitted is kept, and nothing trains it further
            _finish(comparison, group)
            raise
        finally:
            records.close()


def _finish(comparison: Comparison, group: Group) -> None:
    """Make a group's results (renders, the codec's file), once, here and not where they are read:
    a slider moved in another thread then never builds them from a model in training."""
    if not group.done:
        comparison.results.update(zip(group.configs, _results(comparison, group)))
        group.done = True


def histories(comparison: Comparison) -> dict[str, list[Record]]:
    """Each started configuration's curve so far, by label, in the order given."""
    out = {}
    for group in comparison.groups:
        if group.started:
            curves = member_histories(group.run)
            out.update({c.label: h for c, h in zip(group.configs, curves)})
    return {c.label: out[c.label] for c in comparison.configs if c.label in out}


# ---------------------------------------------------------------- results

@dataclass
class Result:
    """One fitted configuration: its run (a stack member as an ordinary Run), its frames and figures."""

    config: Config
    run: Run | codec.CodecRun
    frames: np.ndarray  # uint8 (T, H, W, 3): the render at the clip's size, or the codec's decoded file
    figures: dict


def results(comparison: Comparison) -> list[Result]:
    """The results of the groups whose fit ended or was stopped, in the order given; a group still
    training has none yet."""
    return [comparison.results[c] for c in comparison.configs if c in comparison.results]


def _results(comparison: Comparison, group: Group) -> list[Result]:
    if isinstance(group.run, codec.CodecRun):
        run = group.run
        group.payload, _ = codec.encode(run)
        frames, _ = codec.decompress_bytes(group.payload, group.configs[0].label)
        psnr = uint8_psnr(frames, run.clip.frames)
        stopped = "" if run.history and run.history[-1].final else " (stopped)"
        figures = _figures(comparison, group, group.configs[0], run.history, [*run.model.parameters(),
                           *run.arm.parameters()], len(group.payload), psnr, None,
                           "every pixel, decoded from the .inr (the codec holds nothing out)" + stopped)
        return [Result(group.configs[0], run, frames, figures)]
    out = []
    for config, run in zip(group.configs, members(group.run)):
        final = next((r for r in reversed(run.history) if r.final), None)
        last = final or (run.history[-1] if run.history else None)
        frames = np.stack(list(render_uint8(run.model, run.frames[0].shape[:3])))
        figures = _figures(comparison, group, config, run.history, run.model.parameters(),
                           sizing.weights_bytes(run.model, run.clips), last and last.train_psnr,
                           last and last.heldout_psnr, "every pixel" if final else "probe frames (stopped)")
        out.append(Result(config, run, frames, figures))
    return out


def _figures(comparison: Comparison, group: Group, config: Config, history: list[Record], parameters, size: int,
             train: float | None, heldout: float | None, scored_on: str) -> dict:
    """One configuration's row. A batched member's seconds are its share of the batch's (1/K, as its
    curve has them); its steps are the batch's, so its steps a second are per second of that share."""
    steps = history[-1].step if history else 0
    seconds = history[-1].seconds if history else 0.0
    out = {"label": config.label, "arch": config.arch, "config": config.text, "train_psnr": train,
           "heldout_psnr": heldout, "gap": None if train is None or heldout is None else train - heldout,
           "params": sum(p.numel() for p in parameters), "bytes": size,
           "steps": steps, "seconds": round(seconds, 2), "steps_per_second": steps / max(seconds, 1e-9),
           "trained": f"batched ({len(group.configs)} as one model)" if group.batched else "alone",
           "scored_on": scored_on, "device": group.run.device}
    if comparison.target_bytes:
        out["target_bytes"] = comparison.target_bytes
        out["off_target"] = size / comparison.target_bytes - 1
    return out


def table(comparison: Comparison) -> list[dict]:
    """One row of figures per fitted configuration, in the order given."""
    return [dict(r.figures) for r in results(comparison)]


def summary(comparison: Comparison) -> dict:
    """What a comparison found, as its compare.json holds it: the clip, the budget, how it trained,
    every configuration's row and the classical rebuild of the same held-out pixels."""
    baseline = comparison.baseline
    return {"clip": comparison.clip.name, "shape": list(comparison.clip.frames.shape[:3]),
            "equal": comparison.equal, "seconds_each": comparison.seconds, "steps_each": comparison.steps,
            "target_bytes": comparison.target_bytes, "schedule": comparison.schedule, "notes": comparison.notes,
            "runs": table(comparison), "bilinear_psnr": baseline and baseline["bilinear"],
            "bicubic_psnr": baseline and baseline["bicubic"]}
