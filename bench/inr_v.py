"""The latent space of clips (INR-V): ablation of its training tricks, inversion against time, inpainting.

    python -m bench.inr_v [--steps 1200] [--invert-steps 100] [--clips ../shared/clips] [--threads 1]
        [--out bench/results/inr_v.json]

Three measurements, all on CPU with fixed seeds and step budgets, so the PSNRs do not depend on the
machine (the seconds do):

* ablation: four spaces trained on the same 18 clips (bench/windows.py TRAINING_WINDOWS: windows of the
  four shared clips and their mirrors, 16 frames at 48x36) for the same number of steps with the
  same seed, progressive training and the code regulariser each on and off. Each is scored on its
  training clips (every pixel) and by inverting the two HELD_OUT windows (not trained on; every
  pixel), beside the mean training code on the same held-out pixels;
* inversion against time: the shipped space (checkpoints/space.safetensors), the held-out windows
  inverted with budgets of 0 to 200 steps, each a fresh inversion;
* inpainting: the shipped space, a box hidden in each held-out window (in every frame, then in
  the middle 8 frames only), scored on the hidden pixels only against the simple fill (temporal
  median of the visible pixels at each location, else the nearest visible location) and the mean
  training code.

The default run takes about 4 minutes on one CPU core.
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

from inr import api  # noqa: E402
from bench import windows  # noqa: E402

CLIPS = ROOT.parent / "shared" / "clips"
SHIPPED = ROOT / "checkpoints" / "space.safetensors"
# (name, progressive training, weight of the codes' L2 regulariser)
ABLATION = (("progressive + regulariser", True, 1e-3), ("progressive only", True, 0.0),
            ("regulariser only", False, 1e-3), ("neither", False, 0.0))
BUDGETS = (0, 10, 25, 50, 100, 200)  # inversion steps, each a fresh inversion
# (label, box t0, t1, y0, y1, x0, x1 at 16 frames of 48x36): 18x24 px in the middle of the frame
BOXES = (("every frame", (0, 16, 9, 27, 12, 36)), ("frames 4-11", (4, 12, 9, 27, 12, 36)))


def invert(space: api.inr_v.Space, clip: api.Clip, steps: int, box=None) -> dict:
    inv = api.inr_v.new_inversion(space, clip, box)
    for _ in api.inr_v.invert(space, inv, api.inr_v.InvertConfig(steps=steps, seconds=None, seed=0, log_seconds=1e9)):
        pass
    return api.inr_v.inversion_summary(space, inv)


def ablation(clips: list[api.Clip], held_out: list[api.Clip], steps: int, invert_steps: int) -> list[dict]:
    rows = []
    for name, progressive, reg in ABLATION:
        space = api.inr_v.new(clips, seed=0)
        cfg = api.inr_v.TrainConfig(steps=steps, seconds=None, progressive=progressive, latent_reg=reg, seed=0,
                                   log_seconds=1e9)
        start = time.perf_counter()
        for _ in api.inr_v.train(space, cfg):
            pass
        seconds = time.perf_counter() - start
        inversions = [invert(space, c, invert_steps) for c in held_out]
        row = {"variant": name, "progressive": progressive, "latent_reg": reg, "steps": steps,
               "train_seconds": round(seconds, 1), "train_psnr": api.inr_v.summary(space)["train_psnr"],
               "heldout_inversion_psnr": sum(s["psnr"] for s in inversions) / len(inversions),
               "heldout_mean_latent_psnr": sum(s["mean_latent_psnr"] for s in inversions) / len(inversions),
               "per_clip": {s["clip"]: {"psnr": s["psnr"], "mean_latent_psnr": s["mean_latent_psnr"]}
                            for s in inversions},
               "code_norm": float(space.model.latents.detach().norm(dim=1).mean())}
        rows.append(row)
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in row.items() if k != "per_clip"}),
              flush=True)
    return rows


def against_time(space: api.inr_v.Space, held_out: list[api.Clip]) -> list[dict]:
    rows = []
    for clip in held_out:
        for steps in BUDGETS:
            s = invert(space, clip, steps)
            rows.append({"clip": clip.name, "steps": steps, "seconds": s["seconds"], "psnr": s["psnr"]})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def inpainting(space: api.inr_v.Space, held_out: list[api.Clip], steps: int) -> list[dict]:
    rows = []
    for clip in held_out:
        for label, box in BOXES:
            s = invert(space, clip, steps, box)
            rows.append({"clip": clip.name, "box": label, "box_coords": list(box), "masked_pixels": s["masked_pixels"],
                         "masked_psnr": s["masked_psnr"], "fill_masked_psnr": s["fill_masked_psnr"],
                         "mean_latent_masked_psnr": s["mean_latent_masked_psnr"], "visible_psnr": s["visible_psnr"],
                         "steps": steps, "seconds": s["seconds"]})
            print(json.dumps(rows[-1]), flush=True)
    return rows


def tables(result: dict) -> str:
    out = [f"Ablation: {result['steps']} training steps each, seed 0, {result['train_clips']} training clips; "
           f"held-out inversion: {result['invert_steps']} steps, mean over {', '.join(result['held_out'])} "
           "(every pixel)", "",
           "| progressive | code regulariser | training clips, every pixel | held-out, inverted | "
           "held-out, mean code | train s |", "|---|---|---|---|---|---|"]
    for r in result["ablation"]:
        out.append(f"| {'on' if r['progressive'] else 'off'} | {r['latent_reg'] if r['latent_reg'] else 'off'} | "
                   f"{r['train_psnr']:.2f} dB | {r['heldout_inversion_psnr']:.2f} dB | "
                   f"{r['heldout_mean_latent_psnr']:.2f} dB | {r['train_seconds']:.0f} |")
    clips = list(dict.fromkeys(r["clip"] for r in result["against_time"]))
    out += ["", "Inversion against time (shipped space, every pixel of the held-out window):", "",
            "| steps | " + " | ".join(clips) + " |", "|---" * (len(clips) + 1) + "|"]
    by = {(r["clip"], r["steps"]): r for r in result["against_time"]}
    for steps in BUDGETS:
        cells = [f"{by[(c, steps)]['psnr']:.2f} dB ({by[(c, steps)]['seconds']:.1f} s)" for c in clips]
        out.append(f"| {steps}{' (mean code)' if steps == 0 else ''} | " + " | ".join(cells) + " |")
    out += ["", f"Inpainting (shipped space, {result['inpaint_steps']} steps; masked = the hidden box only):", "",
            "| clip | box hidden in | masked: inpainted | masked: simple fill | masked: mean code | visible (fitted) |",
            "|---|---|---|---|---|---|"]
    for r in result["inpainting"]:
        out.append(f"| {r['clip']} | {r['box']} | {r['masked_psnr']:.2f} dB | {r['fill_masked_psnr']:.2f} dB | "
                   f"{r['mean_latent_masked_psnr']:.2f} dB | {r['visible_psnr']:.2f} dB |")
    return "\n".join(out)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=1200, help="training steps of each ablated space")
    p.add_argument("--invert-steps", type=int, default=100, help="steps of each held-out inversion and inpainting")
    p.add_argument("--clips", default=str(CLIPS), help="folder holding the four shared clips")
    p.add_argument("--checkpoint", default=str(SHIPPED), help="the space measured against time and for inpainting")
    p.add_argument("--threads", type=int, default=1, help="torch threads (1 on a shared machine)")
    p.add_argument("--out", default="bench/results/inr_v.json")
    args = p.parse_args(argv)
    torch.set_num_threads(args.threads)
    shape = api.inr_v.HyperConfig().shape
    clips = api.inr_v.window_set(args.clips, windows.TRAINING_WINDOWS, shape)
    held_out = api.inr_v.window_set(args.clips, windows.HELD_OUT, shape, flips=False)
    started = time.perf_counter()
    result = {"device": "cpu", "threads": args.threads, "host": platform.node(), "steps": args.steps,
              "invert_steps": args.invert_steps, "inpaint_steps": args.invert_steps, "train_clips": len(clips),
              "held_out": [c.name for c in held_out], "shape": list(shape)}
    result["ablation"] = ablation(clips, held_out, args.steps, args.invert_steps)
    shipped = api.inr_v.load(args.checkpoint)
    result["checkpoint"] = str(Path(args.checkpoint).resolve().relative_to(ROOT)) \
        if Path(args.checkpoint).resolve().is_relative_to(ROOT) else args.checkpoint
    result["against_time"] = against_time(shipped, held_out)
    result["inpainting"] = inpainting(shipped, held_out, args.invert_steps)
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(tables(result))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out} in {result['seconds']:.0f} s")


if __name__ == "__main__":
    main()
