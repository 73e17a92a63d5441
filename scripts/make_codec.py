"""Rebuild the Compress view's shipped neural-codec result: checkpoints/codec_jelly_small.inr and its summary.

    python scripts/make_codec.py [--seconds 120] [--steps N] [--bpp 0.2] [--frames-per-step N] [--threads 2]

Encodes assets/jelly_small.mp4 at the CPU caps (all 100 frames of 160x90) with the neural codec at
0.2 bits per pixel, writes the range-coded .inr file, decodes it back and sweeps x264 (4:4:4 and
4:2:0), x265 and AV1 over their CRFs on the same clip, and GIF, into the .json beside the file
(the curves included), which the view shows at first launch without encoding anything.
The budget is wall time, as the studio's is, so the step count depends on the machine: the JSON
keeps it ("steps"); pass --steps for a budget that gives the same file on any machine.
"""

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from inr import api  # noqa: E402

CLIP = ROOT / "assets" / "jelly_small.mp4"
OUT = ROOT / "checkpoints" / "codec_jelly_small.inr"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=120.0)
    parser.add_argument("--steps", type=int, default=None, help="a step budget instead of --seconds")
    parser.add_argument("--bpp", type=float, default=0.2)
    parser.add_argument("--frames-per-step", type=int, default=None,
                        help="frames a step decodes and prices (default: the codec's, 8)")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    caps = api.caps("cpu")
    clip = api.load_clips([CLIP], caps["max_frames"], caps["max_size"], "cpu")[0]
    chosen = {} if args.frames_per_step is None else {"frames_per_step": args.frames_per_step}
    run = api.codec.prepare(clip, bpp=args.bpp, seconds=None if args.steps else args.seconds, steps=args.steps,
                            seed=0, device="cpu", **chosen)
    for rec in api.codec.fit(run):
        if rec.final:
            print(f"fitted {rec.step} steps in {rec.seconds:.0f} s: {rec.train_psnr:.2f} dB (every pixel)")
    summary = api.codec.compress(run, OUT, baselines=True)
    settings = {"threads": args.threads, "frames_per_step": run.fit_cfg.frames_per_step, "budget_seconds": None if args.steps else args.seconds,
                "budget_steps": args.steps}
    OUT.with_suffix(".json").write_text(json.dumps(summary | {"out": OUT.name, "made_with": settings}, indent=1))
    x264 = summary["codecs"]["x264"]
    print(f"wrote {OUT} ({summary['bytes']:,} bytes, {summary['bpp']:.3f} bpp): PSNR {summary['psnr']:.2f} dB; "
          f"x264 4:4:4 at the same size {x264['psnr']:.2f} dB; and {OUT.with_suffix('.json').name}")


if __name__ == "__main__":
    main()
