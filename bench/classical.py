"""The classical baselines alone, on every shared clip: what the INR of bench/superres.py must beat.

    python -m bench.classical [--clip ../shared/clips/jelly.mp4 ...] [--out bench/results/classical.json]

Each clip (100 frames, longest side 160) is degraded as evaluate-sr degrades it (area averaging
by the spatial factor, every n-th frame for the temporal one) and rebuilt by every classical
method of that kind of scale; nothing is fitted, so the whole run takes seconds. The table gives,
in dB against the original frames: for temporal rows, PSNR on the new frames only (the ones
between kept frames) of linear frame blending and of ffmpeg's motion-compensated minterpolate;
for spatial rows, PSNR over every frame of bicubic and of ffmpeg's Lanczos.
"""

import argparse
import json
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inr import api  # noqa: E402

CLIPS = sorted(str(p) for p in (ROOT.parent / "shared" / "clips").glob("*") if p.suffix in (".mp4", ".gif"))
SCALES = [(1.0, 2), (1.0, 4), (2.0, 1), (4.0, 1)]  # (space, time)


def cell(row: dict) -> str:
    """'plain / strong' in dB: blending / minterpolate (new frames) or bicubic / Lanczos."""
    if row["time"] > 1:
        return f"{row['blend_psnr_new_frames']:.2f} / {row['mci_psnr_new_frames']:.2f}"
    return f"{row['bicubic_psnr']:.2f} / {row['lanczos_psnr']:.2f}"


def table(rows: list[dict]) -> str:
    """Markdown: one line per clip, one column per scale."""
    scales = list(dict.fromkeys((r["space"], r["time"]) for r in rows))
    names = [f"{t}x time: blending / minterpolate" if t > 1 else f"{s:g}x space: bicubic / Lanczos"
             for s, t in scales]
    lines = ["| clip | " + " | ".join(names) + " |", "|---" * (len(names) + 1) + "|"]
    by = {(r["clip"], r["space"], r["time"]): r for r in rows}
    for clip in dict.fromkeys(r["clip"] for r in rows):
        lines.append(f"| {clip} | " + " | ".join(cell(by[(clip, s, t)]) for s, t in scales) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clip", action="append", help="clip (repeatable; default: every shared clip)")
    p.add_argument("--max-size", type=int, default=160)
    p.add_argument("--max-frames", type=int, default=100)
    p.add_argument("--out", default="bench/results/classical.json")
    args = p.parse_args(argv)
    print(f"protocol: {args.max_frames} frames, longest side {args.max_size}; host {platform.node()}; CPU only",
          flush=True)
    rows, start = [], time.perf_counter()
    for path in args.clip or CLIPS:
        clip = api.load_clips([path], max_frames=args.max_frames, max_size=args.max_size, device="cpu")[0]
        for space, scale in SCALES:
            rows.append(api.superres.classical_scores(clip, space, scale))
            print(json.dumps(rows[-1]), flush=True)
    seconds = time.perf_counter() - start
    print(table(rows))
    print(f"{len(rows)} rows in {seconds:.1f} s")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"host": platform.node(), "seconds": round(seconds, 1),
                               "protocol": f"{args.max_frames} frames, longest side {args.max_size}",
                               "rows": rows}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
