"""Space-time super-resolution on every shared clip: the INR against classical upscaling.

    python -m bench.superres [--clip ../shared/clips/jelly.mp4 ...] [--steps 1000] [--device cpu|cuda]
        [--out bench/results/superres.json]

Each clip (100 frames, longest side 160) is degraded (area averaging by the spatial factor, every
n-th frame for the temporal one), the INR (the default grid) is fitted to the small clip for a
fixed number of steps, rendered back at the original size and rate, and scored, like the best
classical rebuild of the same small clip, against the original frames (PSNR and SSIM over every
pixel). The classical rebuilds include what a user would pick instead of the textbook ones:
ffmpeg's Lanczos in space and its motion-compensated minterpolate in time (their figures alone,
in seconds: bench/classical.py). Every row is fitted twice with the same seed: without priors, and with the prior meant
for it (spatial rows: curvature; temporal rows: temporal consistency), so their effect is
measured, not assumed. Steps, not seconds, so the table does not depend on the machine.
"""

import argparse
import json
import platform
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inr import api  # noqa: E402

CLIPS = sorted(str(p) for p in (ROOT.parent / "shared" / "clips").glob("*") if p.suffix in (".mp4", ".gif"))
SCALES = [(2.0, 1), (4.0, 1), (2.5, 1), (3.3, 1), (1.0, 2), (1.0, 4)]  # (space, time)
CURVATURE = 0.1  # prior weights of the "with prior" runs
TEMPORAL = 1.0


def prior_for(space: float, time: int) -> dict:
    """The prior a row is run with besides none: temporal consistency where frames are new."""
    return {"temporal": TEMPORAL} if time > 1 else {"curvature": CURVATURE}


def figures(*values) -> str:
    """'a / b / c' in dB, or '' when the row lacks one (results written before they were measured)."""
    return " / ".join(f"{v:.2f}" for v in values) if None not in values else ""


def table(rows: list[dict]) -> str:
    """Markdown: one line per clip and scale, PSNR (SSIM) of the INR without and with its prior
    and of the best classical rebuild, the INR's best margin, and beside it the plain and the strong
    classical rebuild: bicubic / Lanczos (space rows, every frame) or, on the new frames only, INR
    (without prior) / linear blending / minterpolate (time rows)."""
    lines = ["| clip | scale | input → output | INR | INR + prior | classical | best INR − classical "
             "| bicubic / Lanczos | new frames: INR / blending / minterpolate |",
             "|---|---|---|---|---|---|---|---|---|"]
    by = {}
    for r in rows:
        by.setdefault((r["clip"], r["space"], r["time"]), []).append(r)
    for (clip, space, time), pair in by.items():
        plain = next(r for r in pair if r["curvature"] == 0 and r["temporal"] == 0)
        prior = next((r for r in pair if r is not plain), None)
        name = "temporal" if time > 1 else "curvature"
        scale = f"{space:g}x space" if time == 1 else f"{time}x time"
        t, h, w = plain["input"]
        tt, hh, ww = plain["output"]
        cells = [f"{plain['inr_psnr']:.2f} ({plain['inr_ssim']:.3f})",
                 f"{prior['inr_psnr']:.2f} ({prior['inr_ssim']:.3f}) {name} {prior[name]:g}" if prior else "",
                 f"{plain['classical_psnr']:.2f} ({plain['classical_ssim']:.3f}) {plain['classical']}"]
        best = max(r["inr_psnr"] for r in pair)
        spatial = figures(plain.get("bicubic_psnr"), plain.get("lanczos_psnr")) if time == 1 else ""
        temporal = figures(plain["inr_psnr_new_frames"], plain.get("blend_psnr_new_frames"),
                           plain.get("mci_psnr_new_frames")) if time > 1 else ""
        lines.append(f"| {clip} | {scale} | {t}×{w}×{h} → {tt}×{ww}×{hh} | " + " | ".join(cells) +
                     f" | {best - plain['classical_psnr']:+.2f} dB | {spatial} | {temporal} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clip", action="append", help="clip (repeatable; default: every shared clip)")
    p.add_argument("--steps", type=int, default=1000)
    p.add_argument("--device", default=api.default_device())
    p.add_argument("--max-size", type=int, default=160)
    p.add_argument("--max-frames", type=int, default=100)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--arch", default="grid", help="the field fitted to every row (bench/motion.py measures motion)")
    p.add_argument("--no-priors", action="store_true", help="only the runs without priors")
    p.add_argument("--out", default="bench/results/superres.json")
    args = p.parse_args(argv)
    rows = []
    for path in args.clip or CLIPS:
        clip = api.load_clips([path], max_frames=args.max_frames, max_size=args.max_size, device="cpu")[0]
        for space, time in SCALES:
            for priors in ([{}] if args.no_priors else [{}, prior_for(space, time)]):
                result = api.superres.evaluate(clip, space, time, arch=args.arch, device=args.device, seed=args.seed,
                                         steps=args.steps, seconds=None, **priors)
                rows.append(result.row)
                print(json.dumps(result.row), flush=True)
    print(table(rows))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"device": api.device_name(args.device), "host": platform.node(),
                               "steps": args.steps, "protocol": f"{args.max_frames} frames, longest side "
                                                                f"{args.max_size}, default grid", "rows": rows},
                              indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
