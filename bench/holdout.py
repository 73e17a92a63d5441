"""Held-out quality: which grid settings and priors beat the classical rebuild, and by how much.

    python -m bench.holdout [--clip ../shared/clips/jelly.mp4 ...] [--steps 2000] [--device cpu|cuda]
        [--variants default,quintic,...] [--out bench/results/holdout.json]

Every variant fits the same clips (100 frames, longest side 160: the CPU protocol of the speed
issue) with the CPU fit settings for the same number of steps, so the figures do not depend on
the machine that ran them; ``--device cuda`` only makes the sweep faster. 2,000 steps is about
what a 2-core CPU does in 60 s. Each variant changes one thing against ``default``:

* kernel of the grid: linear (tent), cubic B-spline (default), quintic B-spline, Catmull-Rom
  (Keys' interpolating cubic, a = -0.5: smoother between pixels than PyTorch's bicubic, a = -0.75);
* levels: the multiresolution grid (4 levels) against one level (a pure spline through the
  training pixels);
* grid resolution: finest nodes on every pixel instead of on the training pixels;
* priors (inr/core/train/priors.py): the curvature (spatial smoothness) and temporal-consistency losses.
"""

import argparse
import dataclasses
import json
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inr.core.field.model import Field  # noqa: E402
from inr.core.train.presets import fit_config, model_config, training_span  # noqa: E402
from inr import api  # noqa: E402

CLIPS = sorted(str(p) for p in (ROOT.parent / "shared" / "clips").glob("*") if p.suffix in (".mp4", ".gif"))


def _grid(**changes):
    def change(cfg, shape):
        return dataclasses.replace(cfg, encoding=dataclasses.replace(cfg.encoding, **changes))
    return change


def _every_pixel(cfg, shape):
    frames, height, width = shape
    span = ((-1.0, 1.0), training_span(height, 1), training_span(width, 1))
    return dataclasses.replace(cfg, encoding=dataclasses.replace(cfg.encoding, finest=(frames, height, width),
                                                                 span=span))


def _same(cfg, shape):
    return cfg


def _time_nodes(share):
    def change(cfg, shape):
        t, y, x = cfg.encoding.finest
        return dataclasses.replace(cfg, encoding=dataclasses.replace(cfg.encoding, finest=(max(2, round(t * share)), y, x)))
    return change


# name: (model change, fit overrides)
VARIANTS = {
    "default": (_same, {}),
    "linear": (_grid(kernel="linear"), {}),
    "quintic": (_grid(kernel="quintic"), {}),
    "catmull-rom": (_grid(kernel="catmull-rom"), {}),
    "1-level": (_grid(levels=1), {}),
    "1-level-quintic": (_grid(levels=1, kernel="quintic"), {}),
    "every-pixel+curv": (_every_pixel, {"curvature": 1.0}),
    "curv-0.1": (_same, {"curvature": 0.1}),
    "curv-1": (_same, {"curvature": 1.0}),
    "temporal-0.1": (_same, {"temporal": 0.1}),
    "temporal-0.3": (_same, {"temporal": 0.3}),
    "temporal-1": (_same, {"temporal": 1.0}),
    "temporal-10": (_same, {"temporal": 10.0}),
    "time-half": (_time_nodes(0.5), {}),
    "time-quarter": (_time_nodes(0.25), {}),
}


def run_variant(clip: api.Clip, name: str, steps: int, device: str, seed: int) -> dict:
    change, overrides = VARIANTS[name]
    run = api.prepare([clip], arch="grid", device=device, seed=seed)
    cfg = change(model_config("grid", [clip.frames.shape[:3]], "every2"), clip.frames.shape[:3])
    torch.manual_seed(seed)
    run.model = Field(cfg).to(device)
    fit_cfg = fit_config("grid", "cpu", steps=steps, seed=seed, **overrides)
    start = time.perf_counter()
    for _ in api.fit(run, fit_cfg):
        pass
    s = api.summary(run, sizes=False)
    best = max(s["bilinear_psnr"], s["bicubic_psnr"])
    return {"clip": clip.name, "variant": name, "train_psnr": s["train_psnr"], "heldout_psnr": s["heldout_psnr"],
            "bilinear_psnr": s["bilinear_psnr"], "bicubic_psnr": s["bicubic_psnr"],
            "gap_to_best_rebuild_db": s["heldout_psnr"] - best, "steps": s["steps"],
            "seconds": time.perf_counter() - start}


def table(rows: list[dict]) -> str:
    clips = list(dict.fromkeys(r["clip"] for r in rows))
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    by = {(r["clip"], r["variant"]): r for r in rows}
    lines = ["| variant | " + " | ".join(clips) + " | mean gap |", "|---" * (len(clips) + 2) + "|"]
    best = {c: max(by[(c, variants[0])]["bilinear_psnr"], by[(c, variants[0])]["bicubic_psnr"]) for c in clips}
    lines.append("| best classical rebuild | " + " | ".join(f"{best[c]:.2f}" for c in clips) + " | 0 |")
    for v in variants:
        gaps = [by[(c, v)]["gap_to_best_rebuild_db"] for c in clips]
        cells = [f"{by[(c, v)]['heldout_psnr']:.2f} ({g:+.2f})" for c, g in zip(clips, gaps)]
        lines.append(f"| {v} | " + " | ".join(cells) + f" | {sum(gaps) / len(gaps):+.2f} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clip", action="append", help="clip to fit (repeatable; default: every shared clip)")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--device", default=api.default_device())
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--max-size", type=int, default=160)
    p.add_argument("--max-frames", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", default="bench/results/holdout.json")
    args = p.parse_args(argv)
    variants = args.variants.split(",")
    unknown = [v for v in variants if v not in VARIANTS]
    if unknown:
        p.error(f"unknown variants {unknown}; known: {', '.join(VARIANTS)}")
    rows = []
    for path in args.clip or CLIPS:
        clip = api.load_clips([path], max_frames=args.max_frames, max_size=args.max_size, device="cpu")[0]
        for v in variants:
            row = run_variant(clip, v, args.steps, args.device, args.seed)
            rows.append(row)
            print(json.dumps({k: round(x, 3) if isinstance(x, float) else x for k, x in row.items()}), flush=True)
    print(table(rows))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"device": api.device_name(args.device), "host": platform.node(), "steps": args.steps,
                               "protocol": f"every2, {args.max_frames} frames, longest side {args.max_size}, "
                                           "CPU fit settings", "rows": rows}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
