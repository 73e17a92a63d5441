"""Rebuild the Compress view's shipped model: checkpoints/compress_jelly_small.inr and its table.

    python scripts/make_compress.py [--steps 1500] [--threads 2]

Fits per-frame latents to assets/jelly_small.mp4 at the CPU caps (100 frames of 160x90) with a
step budget and a fixed seed, writes the 8-bit per-channel lzma .inr file (41 KB), then measures
every quantisation variant and GIF and H.264 (CRF swept) on the same clip into the .json beside it,
which the view shows at first launch. 1,500 steps took 8 minutes on one busy CPU core (24.1 dB).
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
OUT = ROOT / "checkpoints" / "compress_jelly_small.inr"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    clip = api.load_clips([CLIP], device="cpu")[0]
    run = api.latent_inr.prepare(clip, device="cpu", steps=args.steps)
    for rec in api.latent_inr.fit(run):
        if rec.final:
            print(f"fitted {rec.step} steps in {rec.seconds:.0f} s: {rec.train_psnr:.2f} dB (every pixel)")
    table = api.latent_inr.size_quality(run)
    summary = api.latent_inr.compress(run, OUT, baselines={k: table[k] for k in ("h264", "gif")})
    OUT.with_suffix(".json").write_text(json.dumps({"summary": summary | {"out": OUT.name}, "table": table}, indent=1))
    print(api.latent_inr.table_markdown(table))
    print(f"wrote {OUT} ({OUT.stat().st_size:,} bytes) and {OUT.with_suffix('.json').name}")


if __name__ == "__main__":
    main()
