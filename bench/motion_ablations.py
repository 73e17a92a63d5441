"""The motion field's design choices, each measured against its alternatives (bench/motion.py measures the field).

    python -m bench.motion_ablations [--clip ../shared/clips/jelly.mp4 ...] [--out bench/results/motion_ablations.json]

No fitting (seconds a clip): the kept frames themselves (every n-th of 100 frames at
longest side 160) are moved along DIS flow the way the motion field moves its content, and the
new frames are scored against the original, for each variant of one choice at a time:

- DIS refined down to pyramid level 0 (ours) or stopping at its preset's level 1;
- flow kept at full resolution or area-reduced by 2, 4 (ours) or 8 a side;
- blend weights by nearness in time (ours) or also by forward-backward consistency, Gaussian in the
  consistency error with σ = 0.5, 1 or 2 px (the usual occlusion mask of flow-based interpolation).

Designs fitted for held-out pixels (each key tied to the next, neighbours' pixels moved along the
flow, ...) are measured by bench/multiframe.py.
"""

import argparse
import json
import platform
import sys
from pathlib import Path

import cv2
import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inr.core.field.coords import pixel_centres  # noqa: E402
from inr.methods.motion.flow import disagreement, dis_flow, origin, sample, to_normalised  # noqa: E402
from inr import api  # noqa: E402

CLIPS = sorted(str(p) for p in (ROOT.parent / "shared" / "clips").glob("*") if p.suffix in (".mp4", ".gif"))


def coarse_dis(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """DIS at its medium preset's own finest level (1), the alternative to ours (0)."""
    solver = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    grey = [cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_RGB2GRAY) for f in (a, b)]
    return solver.calc(grey[0], grey[1], None)


def moved(a: np.ndarray, b: np.ndarray, forward: torch.Tensor, backward: torch.Tensor, share: float,
          occlusion: float | None) -> np.ndarray:
    """uint8 frame at `share` of the gap from a to b: both moved along the (2, h, w) normalised flows as
    the motion field moves its content; optionally weighted by forward-backward consistency (σ px)."""
    height, width = a.shape[:2]
    y, x = pixel_centres(height), pixel_centres(width)
    points = torch.stack(torch.meshgrid(x, y, indexing="xy"), -1)  # (H, W, 2) as (x, y)
    out, total = 0, 0
    for image, flow, back, step, weight in ((a, forward, backward, share, 1 - share),
                                            (b, backward, forward, 1 - share, share)):
        start = origin(flow, points, step)
        if occlusion is not None:
            miss = disagreement(flow, back, start, (height, width))[1]
            weight = weight * torch.exp(-(miss / occlusion) ** 2)[..., None] + 1e-6
        colours = sample(torch.from_numpy(image).permute(2, 0, 1).float(), start)
        out, total = out + weight * colours, total + weight
    return (out / total).clamp(0, 255).round().byte().numpy()


def psnr(pred: list[np.ndarray], truth: list[np.ndarray]) -> float:
    err = (np.stack(pred).astype(np.float64) - np.stack(truth).astype(np.float64)) ** 2
    return float(10 * np.log10(255**2 / err.mean()))


def no_fit_rows(clip: api.Clip, factor: int) -> list[dict]:
    frames = clip.frames
    target = frames[: (len(frames) - 1) // factor * factor + 1]
    kept = target[::factor]
    variants = {"ours (level 0, flow /4, time weights)": (dis_flow, 4, None), "DIS level 1": (coarse_dis, 4, None),
                "flow full size": (dis_flow, 1, None), "flow /2": (dis_flow, 2, None),
                "flow /8": (dis_flow, 8, None)}
    variants.update({f"+ consistency weights σ={s:g} px": (dis_flow, 4, s) for s in (0.5, 1.0, 2.0)})
    rows = []
    for name, (solver, reduce, occlusion) in variants.items():
        pred, truth = [], []
        for k in range(len(kept) - 1):
            size = tuple(max(2, -(-n // reduce)) for n in kept.shape[1:3])
            forward = to_normalised(solver(kept[k], kept[k + 1]), size)
            backward = to_normalised(solver(kept[k + 1], kept[k]), size)
            for j in range(1, factor):
                pred.append(moved(kept[k], kept[k + 1], forward, backward, j / factor, occlusion))
                truth.append(target[k * factor + j])
        rows.append({"clip": clip.name, "time": factor, "variant": name, "psnr_new_frames": psnr(pred, truth)})
        print(json.dumps(rows[-1]), flush=True)
    return rows


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clip", action="append", help="clip (repeatable; default: every shared clip)")
    p.add_argument("--out", default="bench/results/motion_ablations.json")
    args = p.parse_args(argv)
    torch.set_num_threads(min(torch.get_num_threads(), 2))
    rows = []
    for path in args.clip or CLIPS:
        clip = api.load_clips([path], max_frames=100, max_size=160, device="cpu")[0]
        for factor in (2, 4):
            rows += no_fit_rows(clip, factor)
    variants = list(dict.fromkeys(r["variant"] for r in rows))
    cases = list(dict.fromkeys((r["clip"], r["time"]) for r in rows))
    by = {(r["clip"], r["time"], r["variant"]): r["psnr_new_frames"] for r in rows}
    print("| variant | " + " | ".join(f"{c} {t}x" for c, t in cases) + " |")
    print("|---" * (len(cases) + 1) + "|")
    for v in variants:
        print(f"| {v} | " + " | ".join(f"{by[(c, t, v)]:.2f}" for c, t in cases) + " |")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"device": "CPU", "host": platform.node(), "threads": torch.get_num_threads(),
                               "no_fit": rows}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
