"""Latent-INR: size against quality beside GIF and H.264, interpolation of held-out frames, retrieval.

    python -m bench.latent_inr [--clip ../shared/clips/jelly.mp4 ...] [--frames 48] [--size 96]
        [--seconds 40] [--interp-seconds 15] [--every 3] [--threads 1] [--out bench/results/latent_inr.json]

For each clip (default: jelly.mp4 and water.mp4, the first `frames` frames, longest side `size`):

1. **Size and quality**: fit per-frame latents for `seconds`, then every quantisation variant of
   the .inr file (fp32, fp16, 8-bit per tensor / per channel, lzma) against the same clip as GIF
   and as H.264 (libx264, CRF 0..51 swept, PSNR interpolated on log bytes at each .inr size).
   PSNR and SSIM over every pixel: a codec has no held-out pixels.
2. **Temporal interpolation** (first clip only): train on the even frames, score the odd ones
   (held out): latent interpolation (mean of the neighbours' codes) against the time coordinate
   of the grid INR (same seconds) and linear blending of the neighbouring frames.
3. **Retrieval**: the index is the written 8-bit .inr file (decoded, as ``python -m inr retrieve``
   reads it); queries are every `every`-th original frame, perturbed by a crop, a colour shift and
   noise; top-1 / top-5 of the three modes (aligned latents, latent inversion, encoder features).

Default run: about 4-5 minutes on 2 CPU cores. Prints Markdown and writes JSON.
"""

import argparse
import json
import platform
import sys
import tempfile
import time
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import latent_experiments  # noqa: E402
from inr.core.media.io import load_clip  # noqa: E402
from inr.methods.latent_inr import retrieval  # noqa: E402
from inr.methods.latent_inr import workflow as latent_run  # noqa: E402

CLIPS = [str(ROOT.parent / "shared" / "clips" / name) for name in ("jelly.mp4", "water.mp4")]


def size_quality(clip, seconds: float, every: int, folder: Path) -> dict:
    run = latent_run.prepare(clip, device="cpu", seconds=seconds, seed=0)
    for rec in latent_run.fit(run):
        pass
    table = latent_run.size_quality(run)
    table.update(fit_steps=rec.step, fit_seconds=rec.seconds, train_psnr=rec.train_psnr)
    path = folder / f"{clip.name}.inr"
    latent_run.compress(run, path, baselines={k: table[k] for k in ("h264", "gif")})
    start = time.perf_counter()
    index = retrieval.index_file(path)
    table["retrieval"] = {"index": "the 8-bit per-channel lzma .inr file, decoded", "encoder": index.encoder.name,
                          "index_seconds": time.perf_counter() - start,
                          **latent_experiments.evaluate(index, clip.frames, every=every)}
    return table


def markdown(result: dict) -> str:
    out = []
    for table in result["size_quality"]:
        out.append(f"### {table['clip']}: {table['frames']} frames of {table['width']}x{table['height']}, "
                   f"{table['params']:,} parameters, {table['fit_steps']} steps in {table['fit_seconds']:.0f} s")
        out.append(latent_run.table_markdown(table))
    out.append("\n### Temporal interpolation: held-out odd frames (PSNR over every pixel of them)")
    out.append("| clip | latent interpolation | time coordinate (grid INR) | linear frame blending |")
    out.append("|---|---:|---:|---:|")
    for s in result["interpolation"]:
        out.append(f"| {s['clip']} ({s['heldout_frames']} held-out frames, {s['seconds']:.0f} s fits) | "
                   f"{s['latent_interpolation_psnr']:.2f} dB | {s['time_coordinate_psnr']:.2f} dB | "
                   f"{s['frame_blend_psnr']:.2f} dB |")
    out.append("\n### Retrieval: perturbed copies of the clip's frames (crop 80%, colour gain/offset, noise σ 10)")
    out.append("| clip | queries | aligned latents top-1 / top-5 | latent inversion top-1 / top-5 | "
               "encoder features top-1 / top-5 |")
    out.append("|---|---:|---:|---:|---:|")
    for table in result["size_quality"]:
        r = table["retrieval"]
        cells = " | ".join(f"{r[m]['top1']:.2f} / {r[m]['top5']:.2f}" for m in ("aligned", "latent", "features"))
        out.append(f"| {table['clip']} | {r['queries']} | {cells} |")
    return "\n".join(out)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", action="append", help="a clip (repeatable); default jelly.mp4 and water.mp4")
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--size", type=int, default=96, help="longest side in pixels")
    parser.add_argument("--seconds", type=float, default=40.0, help="fit budget per clip")
    parser.add_argument("--interp-seconds", type=float, default=15.0, help="fit budget of each interpolation model")
    parser.add_argument("--every", type=int, default=3, help="query every N-th frame")
    parser.add_argument("--threads", type=int, default=torch.get_num_threads())
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "latent_inr.json"))
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    paths = args.clip or CLIPS
    clips = [load_clip(p, max_frames=args.frames, max_size=args.size) for p in paths]
    config = {k: v for k, v in vars(args).items() if k != "out"} | {"clips": paths}
    print(f"config {json.dumps(config)} on {platform.processor() or platform.machine()}, "
          f"torch {torch.__version__}, {args.threads} thread(s)", file=sys.stderr)
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="inr-bench-") as folder:
        tables = []
        for clip in clips:
            tables.append(size_quality(clip, args.seconds, args.every, Path(folder)))
            print(f"{clip.name}: done at {time.perf_counter() - start:.0f} s", file=sys.stderr)
    interpolation = [latent_experiments.interpolation_study(clips[0], seconds=args.interp_seconds)]
    result = {"config": config, "device": "cpu", "total_seconds": time.perf_counter() - start,
              "size_quality": tables, "interpolation": interpolation}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=1))
    print(markdown(result))
    print(f"\nwrote {args.out} in {result['total_seconds']:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
