"""Every frame helps its neighbours: designs that share content along motion, scored on held-out pixels.

    python -m bench.multiframe [--clip ../shared/clips/jelly.mp4 ...] [--seconds 60] [--seeds 0,1,2]
        [--designs grid,today,...] [--out bench/results/multiframe.json]

Every design fits the same clips (up to 100 frames, longest side 160) on the ``every2`` split for
the same wall time on this machine, and is scored on the held-out pixels (three quarters of every
frame, never seen by the fit) beside the bilinear and bicubic rebuild of the same pixels, computed
in the same run. Rows are medians over seeds. The designs, each one change from the one before:

* ``grid``: the default field before this bench, every frame on its own;
* ``today``: the motion field before it (the grid's content on the training lattice, DIS flow);
* ``full``: content nodes on every pixel (one level more) and the curvature prior (0.01), still
  every frame on its own;
* ``neighbours``: ``full``, each key also fitted to its neighbours' training pixels moved along the
  flow, weight 0.5 (inr/methods/motion/neighbours.py: the motion arch as it ships);
* ``no-curvature``: ``neighbours`` without the curvature prior; ``curvature-0.03``, ``curvature-0.1``:
  with the prior at that weight (0.01 ships);
* ``weight-1``: the neighbours' pixels weigh as much as the frame's own;
* ``bilinear``: the rendered key read bilinearly where a neighbour's pixel lands (not bicubically);
* ``refined``: the flows learned by the same loss (photometric, through the warp; learning rate 1e-4).

``--time F`` measures in-between frames instead (every F-th frame kept, fitted on every pixel for
``--steps`` steps, not seconds, as ``bench/motion.py`` does; PSNR on the new frames beside blending,
minterpolate and RIFE where installed), with these designs:

* ``ships``: the motion field as it ships (its neighbours have nothing to fill on every pixel);
* ``fine-flow``: flow nodes on half the clip's pixels a side instead of a quarter;
* ``refined``: the flows learned by the same loss as the content (learning rate 1e-4);
* ``steps-2x``: twice the steps.

``--rows-from LOG`` adds the JSON rows an earlier run of this script printed (same protocol, same
machine) before the medians are taken, so a long sweep can be run in parts.
"""

import argparse
import dataclasses
import json
import math
import platform
import statistics
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inr.core.train.fit import make_optimizer  # noqa: E402
from inr.core.train.presets import model_config, upscale_config  # noqa: E402
from inr.methods.motion import neighbours  # noqa: E402
from inr.methods.superres import degrade  # noqa: E402
from inr import api  # noqa: E402

CLIPS = sorted(str(p) for p in (ROOT.parent / "shared" / "clips").glob("*") if p.suffix in (".mp4", ".gif"))
DESIGNS = ("grid", "today", "full", "neighbours", "no-curvature", "curvature-0.03", "curvature-0.1", "weight-1",
           "bilinear", "refined")
SPACE_DESIGNS = ("grid", "neighbours", "upscaled", "upscaled-alone")
TIME_DESIGNS = ("ships", "fine-flow", "refined", "steps-2x")
FLOW_LR = 1e-4  # normalised units: about 0.01 px a step at 160 px


def lattice_content(shape):
    """The motion field's model before this bench: the grid's content (nodes on the training lattice)."""
    motion, grid = model_config("motion", [shape], "every2"), model_config("grid", [shape], "every2").encoding
    return dataclasses.replace(motion, encoding=dataclasses.replace(
        motion.encoding, finest=grid.finest, levels=grid.levels, span=grid.span, coarsest=grid.coarsest))


def learn_flows(run) -> None:
    """Let the fit move the flows too: its optimizer gets them as a group of their own at FLOW_LR."""
    flows = run.model.encoding.flows.requires_grad_(True)
    run.optimizer = make_optimizer(run.model, run.fit_cfg)
    group = run.optimizer.param_groups[1]
    group["params"] = [p for p in group["params"] if p is not flows]
    run.optimizer.add_param_group({"params": [flows], "lr": FLOW_LR})


def prepare(clip, design: str, seed: int, seconds: float):
    shape = clip.frames.shape[:3]
    arch = "grid" if design == "grid" else "motion"
    overrides = {"today": {"temporal": 0.0, "curvature": 0.0}, "full": {"temporal": 0.0}, "weight-1": {"temporal": 1.0},
                 "no-curvature": {"curvature": 0.0}, "curvature-0.03": {"curvature": 0.03},
                 "curvature-0.1": {"curvature": 0.1}}.get(design, {})
    cfg = lattice_content(shape) if design == "today" else None
    neighbours.READ = "bilinear" if design == "bilinear" else "bicubic"
    run = api.prepare([clip], arch=arch, holdout="every2", device="cpu", seed=seed, seconds=seconds,
                      model_cfg=cfg, **overrides)
    if design == "refined":
        learn_flows(run)
    return run


def measure_space(clip, design: str, seed: int, seconds: float, factor: float) -> dict:
    """Shrink the clip `factor` x (area), fit the small one with `design`, render it back, score every pixel."""
    low_shape = degrade.degrade(clip.frames, factor, 1).low.shape[:3]
    overrides = {"temporal": 0.0} if design == "upscaled-alone" else {}
    cfg = upscale_config("motion", low_shape, clip.frames.shape[:3]) if design.startswith("upscaled") else None
    arch = "grid" if design == "grid" else "motion"
    study = api.superres.prepare_study(clip, factor, 1, arch=arch, device="cpu", seed=seed, seconds=seconds,
                                       model_cfg=cfg, **overrides)
    start = time.perf_counter()
    for _ in api.fit(study.run):
        pass
    row = api.superres.score(study).row
    return {"clip": clip.name, "design": design, "seed": seed, "space": factor,
            "seconds": round(time.perf_counter() - start, 1), "steps": study.run.steps, "inr_psnr": row["inr_psnr"],
            "bicubic_psnr": row["bicubic_psnr"], "lanczos_psnr": row["lanczos_psnr"]}


def measure_time(clip, design: str, seed: int, steps: int, factor: int) -> dict:
    """Keep every `factor`-th frame, fit them with `design` for a step budget, score the new frames."""
    low_shape = degrade.degrade(clip.frames, 1.0, factor).low.shape[:3]
    cfg = None
    if design == "fine-flow":
        cfg = model_config("motion", [low_shape], "none")
        cfg = dataclasses.replace(cfg, encoding=dataclasses.replace(
            cfg.encoding, flow_height=math.ceil(low_shape[1] / 2), flow_width=math.ceil(low_shape[2] / 2)))
    study = api.superres.prepare_study(clip, 1.0, factor, arch="motion", device="cpu", seed=seed,
                                       steps=2 * steps if design == "steps-2x" else steps, seconds=None, model_cfg=cfg)
    if design == "refined":
        learn_flows(study.run)
    start = time.perf_counter()
    for _ in api.fit(study.run):
        pass
    row = api.superres.score(study).row
    return {"clip": clip.name, "design": design, "seed": seed, "time": factor,
            "seconds": round(time.perf_counter() - start, 1), "steps": study.run.steps,
            "inr_psnr": row["inr_psnr_new_frames"], "blend_psnr": row["blend_psnr_new_frames"],
            "mci_psnr": row["mci_psnr_new_frames"], "rife_psnr": row.get("rife_psnr_new_frames")}


def measure(clip, design: str, seed: int, seconds: float) -> dict:
    run = prepare(clip, design, seed, seconds)
    start = time.perf_counter()
    for _ in api.fit(run):
        pass
    s = api.summary(run, sizes=False)
    return {"clip": clip.name, "design": design, "seed": seed, "seconds": round(time.perf_counter() - start, 1),
            "steps": run.steps, "heldout_psnr": s["heldout_psnr"], "train_psnr": s["train_psnr"],
            "bilinear_psnr": run.baseline["bilinear"], "bicubic_psnr": run.baseline["bicubic"]}


def medians(rows: list[dict]) -> list[dict]:
    """One row per (clip, design): the median of each figure over seeds."""
    out = []
    for key in dict.fromkeys((r["clip"], r["design"]) for r in rows):
        mine = [r for r in rows if (r["clip"], r["design"]) == key]
        out.append({"clip": key[0], "design": key[1], "seeds": len(mine),
                    **{k: statistics.median(r[k] for r in mine)
                       for k in ("heldout_psnr", "bilinear_psnr", "bicubic_psnr", "steps", "seconds")}})
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clip", action="append", help="clip (repeatable; default: every shared clip)")
    p.add_argument("--seconds", type=float, default=60.0)
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--designs", help=f"default: {','.join(DESIGNS)}; with --space: {','.join(SPACE_DESIGNS)}")
    p.add_argument("--space", type=float, help="upscaling: shrink each clip this much, fit, render back (not every2)")
    p.add_argument("--time", type=int, help="in-between frames: keep every TIME-th frame, fit on every pixel")
    p.add_argument("--steps", type=int, default=2000, help="with --time: the step budget (bench/motion.py's)")
    p.add_argument("--rows-from", action="append", default=[], help="JSON rows printed by an earlier run")
    p.add_argument("--out", default="bench/results/multiframe.json")
    args = p.parse_args(argv)
    torch.set_num_threads(min(torch.get_num_threads(), 2))
    rows = [json.loads(line) for log in args.rows_from for line in Path(log).read_text().splitlines()
            if line.startswith("{")]
    for path in args.clip or (CLIPS if args.designs or not rows else []):
        clip = api.load_clips([path], max_frames=100, max_size=160, device="cpu")[0]
        default = TIME_DESIGNS if args.time else SPACE_DESIGNS if args.space else DESIGNS
        for design in (args.designs or ",".join(default)).split(","):
            for seed in (int(s) for s in args.seeds.split(",")):
                rows.append(measure_time(clip, design, seed, args.steps, args.time) if args.time
                            else measure_space(clip, design, seed, args.seconds, args.space) if args.space
                            else measure(clip, design, seed, args.seconds))
                print(json.dumps(rows[-1]), flush=True)
    if args.time:
        write(args, rows, time_medians(rows))
        return
    if args.space:
        print("| clip | design | every pixel | bicubic | Lanczos | over the better | steps |\n|---|---|---|---|---|---|---|")
        write(args, rows, space_medians(rows))
        return
    print(table(medians(rows)))
    write(args, rows, medians(rows))


def table(summary: list[dict]) -> str:
    """Markdown: a row per clip, a column per design (held-out PSNR, median over seeds), then the
    classical rebuilds of the same pixels and the shipped design's margin over the better of them."""
    designs = sorted(dict.fromkeys(m["design"] for m in summary), key=lambda d: DESIGNS.index(d) if d in DESIGNS else 99)
    by = {(m["clip"], m["design"]): m for m in summary}
    lines = ["| clip | " + " | ".join(designs) + " | bilinear | bicubic | neighbours − better |",
             "|---" * (len(designs) + 4) + "|"]
    for clip in dict.fromkeys(m["clip"] for m in summary):
        any_row = next(by[(clip, d)] for d in designs if (clip, d) in by)
        better = max(any_row["bilinear_psnr"], any_row["bicubic_psnr"])
        cells = [f"{by[(clip, d)]['heldout_psnr']:.2f}" if (clip, d) in by else "–" for d in designs]
        gain = f"{by[(clip, 'neighbours')]['heldout_psnr'] - better:+.2f}" if (clip, "neighbours") in by else "–"
        lines.append(f"| {clip} | " + " | ".join(cells) + f" | {any_row['bilinear_psnr']:.2f} | "
                     f"{any_row['bicubic_psnr']:.2f} | {gain} |")
    steps = [f"{d} {statistics.median(m['steps'] for m in summary if m['design'] == d):.0f}" for d in designs]
    return "\n".join(lines) + "\n\nsteps in the budget (median over clips): " + ", ".join(steps)


def space_medians(rows: list[dict]) -> list[dict]:
    out = []
    for key in dict.fromkeys((r["clip"], r["design"]) for r in rows):
        mine = [r for r in rows if (r["clip"], r["design"]) == key]
        m = {k: statistics.median(r[k] for r in mine) for k in ("inr_psnr", "bicubic_psnr", "lanczos_psnr", "steps")}
        out.append({"clip": key[0], "design": key[1], "seeds": len(mine), **m})
        print(f"| {key[0]} | {key[1]} | {m['inr_psnr']:.2f} | {m['bicubic_psnr']:.2f} | {m['lanczos_psnr']:.2f} | "
              f"{m['inr_psnr'] - max(m['bicubic_psnr'], m['lanczos_psnr']):+.2f} | {m['steps']:.0f} |")
    return out


def time_medians(rows: list[dict]) -> list[dict]:
    out = []
    for key in dict.fromkeys((r["clip"], r["design"]) for r in rows):
        mine = [r for r in rows if (r["clip"], r["design"]) == key]
        keys = ("inr_psnr", "blend_psnr", "mci_psnr", "rife_psnr", "steps", "seconds")
        m = {k: statistics.median(r[k] for r in mine) if all(r.get(k) is not None for r in mine) else None
             for k in keys}
        out.append({"clip": key[0], "design": key[1], "seeds": len(mine), **m})
        rife = "–" if m["rife_psnr"] is None else f"{m['rife_psnr']:.2f}"
        print(f"| {key[0]} | {key[1]} | {m['inr_psnr']:.2f} | {m['blend_psnr']:.2f} | {m['mci_psnr']:.2f} | {rife} | "
              f"{m['steps']:.0f} | {m['seconds']:.0f} |")
    return out


def write(args, rows: list[dict], summary: list[dict]) -> None:
    protocol = (f"{args.time}x time, new frames only, {args.steps} steps" if args.time else
                f"{args.space:g}x space (area), every pixel" if args.space else "every2, held-out pixels") + \
        ", up to 100 frames, longest side 160"
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"device": "CPU", "host": platform.node(), "threads": torch.get_num_threads(),
                               "seconds": args.seconds, "protocol": protocol, "rows": rows, "medians": summary},
                              indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
