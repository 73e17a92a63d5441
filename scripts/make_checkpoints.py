"""Rebuild checkpoints/: the pretrained models that make every view of the app work at first launch.

    python scripts/make_checkpoints.py [--steps 1500]

Each example in assets/ gets the default model (grid, every2 held-out split, CPU caps); the
jelly example gets one Fourier MLP per sigma for the Compare view; the examples together get one
latent-conditioned Fourier MLP for the Blend view; the low-frame-rate example (every 4th frame of
jelly_small, written to assets/ first) gets a motion field of all its pixels, to render at 4x the
frame rate beside linear blending and minterpolate (its in-between frames move content along the
clip's optical flow instead of cross-fading it; bench/motion.py measures the gain). Fits have step budgets and a fixed seed, so a
rerun gives the same models on any machine of the same PyTorch build (about 8 min on 2 cores).
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from inr import api  # noqa: E402

ASSETS, OUT = ROOT / "assets", ROOT / "checkpoints"
EXAMPLES = ["jelly_small.mp4", "office_plant.mp4", "carphone.gif"]
LOW_FPS = "jelly_every4.mp4"  # every 4th frame of jelly_small: the temporal super-resolution example
PARTS = ("examples", "sigma", "blend", "lowfps")
SIGMAS = [None, 1.0, 10.0, 100.0]
SIGMA_CAPS = {"max_frames": 8, "max_size": 96}  # the Compare tab's small clip (views/compare.py)
BLEND_CAPS = {"max_frames": 8, "max_size": 96}  # the Blend view's clip size (app.py)


def fit_and_save(run: api.Run, path: Path) -> None:
    for _ in api.fit(run):
        pass
    s = api.summary(run)
    api.save(run, path, optimizer=False)  # shipped models need no optimizer state: a third the size
    held = "–" if s["heldout_psnr"] is None else f"{s['heldout_psnr']:.2f}"
    print(f"{path.name}: train {s['train_psnr']:.2f} dB, held-out {held} dB, {path.stat().st_size / 1e6:.1f} MB")


def make_low_fps_asset() -> Path:
    """assets/jelly_every4.mp4: every 4th frame of the shipped jelly clip, at a quarter of its rate."""
    clip = api.load_clips([ASSETS / "jelly_small.mp4"], max_frames=0, max_size=0, device="cpu")[0]
    return api.export(ASSETS / LOW_FPS, clip.frames[::4], clip.fps / 4)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=1500, help="budget of each fit (the blend gets twice)")
    parser.add_argument("--only", choices=PARTS, action="append", help="rebuild only these parts (repeatable)")
    args = parser.parse_args()
    parts = args.only or PARTS
    torch.set_num_threads(min(torch.get_num_threads(), 2))  # the same on a laptop and on CI-sized machines
    OUT.mkdir(exist_ok=True)
    if "examples" in parts:
        for name in EXAMPLES:
            clips = api.load_clips([ASSETS / name], device="cpu")
            fit_and_save(api.prepare(clips, device="cpu", steps=args.steps), OUT / f"{Path(name).stem}.safetensors")
    if "sigma" in parts:
        jelly = api.load_clips([ASSETS / "jelly_small.mp4"], device="cpu", **SIGMA_CAPS)
        for sigma in SIGMAS:
            label = "none" if sigma is None else f"{sigma:g}"
            run = api.prepare(jelly, arch="fourier", sigma=sigma, device="cpu", steps=args.steps)
            fit_and_save(run, OUT / f"sigma_{label}.safetensors")
    if "blend" in parts:
        clips = api.common_size(api.load_clips([ASSETS / n for n in EXAMPLES], device="cpu", **BLEND_CAPS))
        run = api.prepare(clips, arch="fourier", sigma=10.0, holdout="none", device="cpu", steps=2 * args.steps,
                          batch=2048)
        fit_and_save(run, OUT / "blend.safetensors")
    if "lowfps" in parts:
        clips = api.load_clips([make_low_fps_asset()], device="cpu")
        run = api.prepare(clips, arch="motion", device="cpu", holdout="none", steps=args.steps)
        fit_and_save(run, OUT / f"{Path(LOW_FPS).stem}.safetensors")


if __name__ == "__main__":
    main()
