"""Rebuild checkpoints/space.safetensors: the pretrained meta-network of the "Latent space" view.

    python scripts/make_space.py [--steps 6000] [--clips ../shared/clips]

Trains the INR-V meta-network (inr/methods/inr_v/model.py) on the windows of bench/windows.py TRAINING_WINDOWS (16
frames at 48x36 cut from the four clips in ../shared/clips, each also mirrored: 18 clips) with a
step budget and a fixed seed, then reports the inversion of the HELD_OUT windows (not trained on).
About 3 minutes on 2 CPU cores.
"""

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from inr import api  # noqa: E402
from bench import windows  # noqa: E402

OUT = ROOT / "checkpoints" / "space.safetensors"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6000, help="training steps (the budget; fixed for reproducibility)")
    parser.add_argument("--clips", default=str(ROOT.parent / "shared" / "clips"), help="folder of the source clips")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (1 is faster on a busy machine)")
    parser.add_argument("--out", default=str(OUT))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    shape = api.inr_v.HyperConfig().shape
    clips = api.inr_v.window_set(args.clips, windows.TRAINING_WINDOWS, shape)
    space = api.inr_v.new(clips, seed=0)
    print(f"{len(clips)} clips of {shape[0]} frames at {shape[2]}x{shape[1]}, {space.params:,} parameters")
    started = time.perf_counter()
    for rec in api.inr_v.train(space, api.inr_v.TrainConfig(steps=args.steps, seconds=None, log_seconds=10)):
        print(f"step {rec.step:5d}  {rec.seconds:6.1f} s  training pixels {rec.train_psnr:5.2f} dB"
              + ("  (every pixel)" if rec.final else "  (middle frames)"), flush=True)
    path = api.inr_v.save(space, args.out)
    print(f"wrote {path} ({Path(path).stat().st_size / 1e6:.2f} MB) in {time.perf_counter() - started:.0f} s")
    for clip in api.inr_v.window_set(args.clips, windows.HELD_OUT, shape, flips=False):
        inv = api.inr_v.new_inversion(space, clip)
        for _ in api.inr_v.invert(space, inv, api.inr_v.InvertConfig(steps=300, seconds=None)):
            pass
        s = api.inr_v.inversion_summary(space, inv)
        print(f"held-out {clip.name}: inversion {s['psnr']:.2f} dB (every pixel) after {s['steps']} steps, "
              f"mean latent {s['mean_latent_psnr']:.2f} dB")


if __name__ == "__main__":
    main()
