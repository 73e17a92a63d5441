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

import dataclasses
import math
from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np
import torch

from inr.core import run as engine
from inr.core.baselines import rebuild
from inr.core.diagnostics import ERROR_GAIN, error_map, uint8_psnr
from inr.core.fit import FitConfig, field_trainer, full_psnr, preview_frame, probe_psnr
from inr.core.images import caption, enlarge, side_by_side, to_uint8
from inr.core.io import Clip
from inr.core.loop import Record, Scores, Trainer
from inr.core.metrics import mse_to_psnr, psnr_to_mse
from inr.core.pixels import PixelSet
from inr.core.render import render_uint8
from inr.core.run import Run
from inr.methods.codec import run as codec
from inr.methods.compare import sizing
from inr.methods.compare.configs import CODEC, Config, check, model_config, unique
from inr.methods.compare.stack import FieldStack, stackable

DEFAULT_SECONDS = {"cpu": 20.0, "cuda": 10.0}  # each configuration's, when no budget is given
PANEL_COLUMNS = 4  # tiles a row in the side-by-side picture: the clip, the rebuild, then the models


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
    `target_bytes` (default: the first configuration's size at its defaults) sizes every one.
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
            target_bytes = sizing.estimate_bytes(configs[0], shapes, holdout)
            notes.append(f"target size: {target_bytes:,} bytes, {configs[0].label}'s at its defaults")
        configs = [sizing.size_to(c, target_bytes, shapes, holdout) for c in configs]
        if len(set(configs)) < len(configs):
            raise ValueError("two configurations become the same one once sized: "
                             + ", ".join(c.label for c in configs))
    groups = [_group(clip, members, holdout, device, seed, seconds, steps, fit_overrides)
              for members in _batches(configs, shapes, holdout, device)]
    if any(g.batched for g in groups) and seconds is not None:
        notes.append(f"a batched group of K trains for K × {seconds:g} s, each member's share; its members take "
                     "the batch's steps, about what each would take alone in its share on a CPU (more on a GPU, "
                     "where batching is cheaper)")
    return Comparison(clip, configs, groups, equal, seconds, steps, target_bytes, notes)


def adopt(clip: Clip, fitted: list[tuple[Config, Run]], seed: int = 0) -> Comparison:
    """A comparison of runs fitted elsewhere (checkpoints) to this clip, each as fitted alone: their
    clip is attached (the same held-out pixels as their fits, by `seed`) and nothing is fitted."""
    groups = [Group([config], engine.attach_clips(run, [clip], seed=seed), started=True, done=True)
              for config, run in fitted]
    budgets = {(r.fit_cfg.steps, r.fit_cfg.seconds) if r.fit_cfg else (None, None) for _, r in fitted}
    steps, seconds = budgets.pop() if len(budgets) == 1 else (None, None)
    return Comparison(clip, [c for c, _ in fitted], groups, "time", seconds, steps, None)


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
        return Group(configs, codec.prepare(clip, bpp=first.get("bpp"), device=device, seed=seed, **budget))
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
                group.done = group.done or rec.final  # the last record: the model is what it will stay
                yield index, rec
        finally:  # also when the caller stops: what was fitted is kept, and nothing trains it further
            group.done = True


def histories(comparison: Comparison) -> dict[str, list[Record]]:
    """Each started configuration's curve so far, by label, in the order given."""
    out = {}
    for group in comparison.groups:
        if group.started:
            curves = member_histories(group.run) if group.batched else [group.run.history]
            out.update({c.label: h for c, h in zip(group.configs, curves)})
    return {c.label: out[c.label] for c in comparison.configs if c.label in out}


# ---------------------------------------------------------------- the stack's trainer

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
    """Each member's curve of a stacked run; the run's own curve otherwise."""
    if not isinstance(run.model, FieldStack):
        return [run.history]
    return [[dataclasses.replace(r, train_psnr=r.members[k][0], heldout_psnr=r.members[k][1], members=())
             for r in run.history] for k in range(len(run.model.configs))]


def members(run: Run) -> list[Run]:
    """A stacked run as one ordinary Run per member: its weights now, its curve."""
    if not isinstance(run.model, FieldStack):
        return [run]
    return [dataclasses.replace(run, model=f, history=h, optimizer=None, make_trainer=None)
            for f, h in zip(run.model.members(), member_histories(run))]


# ---------------------------------------------------------------- results

@dataclass
class Result:
    """One fitted configuration: its run (a stack member as an ordinary Run), its frames and figures."""

    config: Config
    run: Run | codec.CodecRun
    frames: np.ndarray  # uint8 (T, H, W, 3): the render at the clip's size, or the codec's decoded file
    figures: dict


def results(comparison: Comparison) -> list[Result]:
    """The results of the groups whose fit ended or was stopped, in the order given (made once per
    group, then kept); a group still training has none yet."""
    for group in comparison.groups:
        if group.done and group.configs[0] not in comparison.results:
            for config, result in zip(group.configs, _results(comparison, group)):
                comparison.results[config] = result
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
    """One configuration's row. A batched member's seconds are its share of the batch's (1/K); its
    steps are the batch's, so its steps a second are per second of that share."""
    steps = history[-1].step if history else 0
    seconds = (history[-1].seconds if history else 0.0) / len(group.configs)
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


# ---------------------------------------------------------------- side by side

def crop_box(shape: tuple[int, int], centre: tuple[float, float], zoom: float) -> tuple[slice, slice]:
    """Rows and columns of a (H, W) frame seen at `zoom` (>= 1) around `centre` ((y, x) in [0, 1])."""
    if not (math.isfinite(zoom) and zoom >= 1):
        raise ValueError(f"zoom must be a number >= 1, got {zoom!r}")
    out = []
    for n, c in zip(shape, centre):
        if not 0 <= c <= 1:
            raise ValueError(f"the crop's centre must be in [0, 1], got {centre}")
        size = max(1, round(n / zoom))
        start = min(max(0, round(c * n - size / 2)), n - size)
        out.append(slice(start, start + size))
    return out[0], out[1]


def panel(comparison: Comparison, frame: int, centre: tuple[float, float] = (0.5, 0.5), zoom: float = 1.0,
          width: int = 300) -> np.ndarray:
    """uint8 picture: the clip's frame, its bicubic rebuild from the training pixels (when pixels are
    held out) and each fitted configuration's frame, cropped alike, each over its error map x ERROR_GAIN.
    Each tile is enlarged by pixel repeat to about `width` columns, PANEL_COLUMNS tiles a row."""
    truth_clip = comparison.clip.frames
    if not 0 <= frame < len(truth_clip):
        raise ValueError(f"frame must be in 0..{len(truth_clip) - 1}, got {frame}")
    rows, cols = crop_box(truth_clip.shape[1:3], centre, zoom)
    truth = truth_clip[frame]
    columns = [("clip", truth)]
    field_group = next((g for g in comparison.groups if isinstance(g.run, Run)), None)
    if field_group is not None and comparison.baseline:
        data = field_group.run.data
        built = rebuild(torch.from_numpy(truth[None]).float() / 255, data.masks[0][frame:frame + 1],
                        field_group.run.holdout)
        columns.append(("bicubic rebuild", to_uint8(built[0])))
    columns += [(r.config.ascii_label, r.frames[frame]) for r in results(comparison)]
    scale = max(1, width // (cols.stop - cols.start))
    tiles = []
    for name, picture in columns:
        top = caption(enlarge(picture[rows, cols], scale), name if picture is truth else
                      f"{name} {uint8_psnr(picture, truth):.1f} dB")
        if picture is truth:  # under the clip: where its held-out pixels are (white), as the errors are read
            held = np.repeat(~field_group.run.data.masks[0][frame].numpy()[..., None], 3, -1) if field_group else \
                np.zeros_like(truth, bool)
            bottom = caption(enlarge((held * 255).astype(np.uint8)[rows, cols], scale), "held out")
        else:
            bottom = caption(enlarge(error_map(picture, truth)[rows, cols], scale), f"error x{ERROR_GAIN}")
        tiles.append(np.concatenate([top, bottom]))
    return grid_of(tiles, PANEL_COLUMNS)


def grid_of(tiles: list[np.ndarray], columns: int) -> np.ndarray:
    """Tiles of one size in rows of at most `columns`, the last row padded with white."""
    blank = np.full_like(tiles[0], 235)  # light grey: a white crop still reads as a picture
    rows = [tiles[i:i + columns] for i in range(0, len(tiles), columns)]
    if len(rows) > 1:
        rows[-1] = rows[-1] + [blank] * (columns - len(rows[-1]))
    strips = [side_by_side(r) for r in rows]
    gap = np.full((8, strips[0].shape[1], 3), 255, np.uint8)
    return np.concatenate([part for strip in strips for part in (strip, gap)][:-1])
