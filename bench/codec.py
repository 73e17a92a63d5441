"""The neural codec against x264, x265, AV1 and GIF at equal bytes, on every shared clip (#17).

    python -m bench.codec [--clip ../shared/clips/jelly.mp4 ...] [--bpp 0.1 0.2 0.4] [--seeds 0]
        [--seconds 120] [--latent-seconds 60] [--out bench/results/codec.json]
    python -m bench.codec --ablations [--clip ...] [--bpp 0.2] [--seconds 120]   (one design choice at a time)

Each clip: the first 100 frames at longest side 160. The classical curves are swept on exactly
those frames in the same run (``bench.classical_codecs.measure``: x264 4:4:4 and 4:2:0, x265, SVT-AV1, GIF).
Ours: for each target bpp and seed, a fit of `seconds`, the file written, decoded back from its
bytes and scored on every pixel (RGB PSNR, as the codecs). Reported per point: the file's bytes and
bpp, PSNR and SSIM, each codec's PSNR at the same bytes (interpolated on its CRF curve), encode
seconds (fit + quantise + write) and decode frames/s; per clip, ours' BD-rate against each codec.
With several seeds each figure is the median. Latent-INR (the per-frame model of the Compress tab)
is fitted once per clip for `latent_seconds` and its file variants go on the same chart.

Writes JSON, an HTML page with one chart per clip, and prints the Markdown tables.
"""

import argparse
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import classical_codecs as classical  # noqa: E402
from inr.core.evaluate import rate_distortion  # noqa: E402
from inr.core.media.io import load_clip  # noqa: E402
from inr.core.report.artifacts import write_figures  # noqa: E402
from inr.core.report.plots import rate_distortion_figure  # noqa: E402
from inr.methods.codec import workflow as codec_run  # noqa: E402
from inr.methods.latent_inr import workflow as latent_run  # noqa: E402

CODEC_NAMES = ("x264", "x264-420", "x265", "av1")
# One design choice changed at a time from the first design, which had a grid on the clip's own
# lattice as C3 and Cool-chic do; this table is what made the default drop it (the second row).
FIRST_LEVELS = ((1, 1, 1), (1, 2, 2), (1, 4, 4), (2, 8, 8), (4, 16, 16), (8, 32, 32))
ABLATIONS = {
    "first design": {"levels": FIRST_LEVELS},
    "latents: no full-resolution grid (today's default)": {"levels": FIRST_LEVELS[1:]},
    "entropy: no context (one Laplace per grid)": {"levels": FIRST_LEVELS, "context": False},
    "latents: coarse grids shared over time": {"levels": ((1, 1, 1), (2, 2, 2), (4, 4, 4), (8, 8, 8), (8, 16, 16),
                                                         (8, 32, 32))},
    "synthesis: linear (no hidden layer, no refinement)": {"levels": FIRST_LEVELS, "hidden": (), "refine": False},
    "synthesis: 32 wide": {"levels": FIRST_LEVELS, "hidden": (32, 32)},
    "schedule: 3 frames a step": {"levels": FIRST_LEVELS, "frames_per_step": 3},
    "schedule: 25 frames a step": {"levels": FIRST_LEVELS, "frames_per_step": 25},
}


def encode_point(clip, bpp: float, seconds: float, seed: int, folder: Path, overrides: dict) -> dict:
    run = codec_run.prepare(clip, bpp=bpp, seconds=seconds, seed=seed, **overrides)
    for _ in codec_run.fit(run):
        pass
    summary = codec_run.compress(run, folder / f"{clip.name}_{bpp:g}_{seed}.inr", baselines=False)
    return {k: summary[k] for k in ("bytes", "bpp", "psnr", "ssim", "seconds", "decode_fps", "steps", "lambda")}


def median_point(points: list[dict]) -> dict:
    """Each figure's median over seeds, with the seeds' PSNRs kept beside it."""
    out = {k: statistics.median(p[k] for p in points) for k in points[0]}
    out["psnr_seeds"] = [round(p["psnr"], 3) for p in points]
    out["bytes"] = int(round(out["bytes"]))
    return out


def beside_codecs(point: dict, curves: dict) -> dict:
    """Each codec's PSNR at our point's bytes, and our lead over it (dB)."""
    out = {}
    for name in CODEC_NAMES:
        at = rate_distortion.at_size(curves[name], point["bytes"])
        out[name] = {"psnr": at["psnr"], "interpolated": at["interpolated"], "ours_minus": point["psnr"] - at["psnr"]}
    return out


def latent_points(clip, seconds: float) -> list[dict]:
    """Latent-INR's file variants (fp32 ... 8-bit + lzma) after one fit: their bytes, bpp and PSNR."""
    run = latent_run.prepare(clip, device="cpu", seconds=seconds, seed=0)
    for _ in latent_run.fit(run):
        pass
    return [{"method": r["method"], "bytes": r["bytes"], "bpp": r["bpp"], "psnr": r["psnr"], "ssim": r["ssim"]}
            for r in latent_run.variant_rows(run)]


def measure_clip(path: Path, args, folder: Path) -> dict:
    base = classical.measure(path, args.max_frames, args.max_size)
    clip = load_clip(path, max_frames=args.max_frames, max_size=args.max_size)
    row = {"clip": clip.name, "frames": base["frames"], "height": base["height"], "width": base["width"],
           "curves": base["curves"], "gif": base["gif"], "classical_psnr_at": base["psnr_at"], "ours": []}
    for bpp in args.bpp:
        point = median_point([encode_point(clip, bpp, args.seconds, seed, folder, {}) for seed in args.seeds])
        point.update(target_bpp=bpp, codecs=beside_codecs(point, base["curves"]))
        row["ours"].append(point)
        print(f"  {clip.name} @ {bpp:g} bpp: {point['bytes']:,} bytes = {point['bpp']:.3f} bpp, {point['psnr']:.2f} dB "
              f"(x264 at that size {point['codecs']['x264']['psnr']:.2f}), {point['seconds']:.0f} s", flush=True)
    row["bd_rate"] = {name: rate_distortion.bd_rate(base["curves"][name], row["ours"]) for name in CODEC_NAMES}
    row["bd_psnr"] = {name: rate_distortion.bd_psnr(base["curves"][name], row["ours"]) for name in CODEC_NAMES}
    if args.latent_seconds:
        row["latent_inr"] = latent_points(clip, args.latent_seconds)
    return row


def table(rows: list[dict]) -> str:
    lines = ["| clip | target bpp | ours: bytes / bpp | ours PSNR | x264 4:4:4 | x264 4:2:0 | x265 | AV1 | "
             "encode s | decode fps |", "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in rows:
        for p in row["ours"]:
            c = p["codecs"]
            cells = " | ".join(f"{c[n]['psnr']:.2f} ({p['psnr'] - c[n]['psnr']:+.2f})" + ("" if c[n]["interpolated"] else "*")
                               for n in CODEC_NAMES)
            lines.append(f"| {row['clip']} | {p['target_bpp']:g} | {p['bytes']:,} / {p['bpp']:.3f} | {p['psnr']:.2f} | "
                         f"{cells} | {p['seconds']:.0f} | {p['decode_fps']:.0f} |")
    lines += ["", "| clip | BD-rate of ours vs x264 4:4:4 | vs x264 4:2:0 | vs x265 | vs AV1 | Latent-INR 8-bit lzma: "
                  "bpp / PSNR |", "|---|---:|---:|---:|---:|---:|"]
    for row in rows:
        cells = " | ".join("n/a" if row["bd_rate"][n]["value"] is None else f"{row['bd_rate'][n]['value']:+.0f} %"
                           for n in CODEC_NAMES)
        latent = next((r for r in row.get("latent_inr", []) if "lzma" in r["method"]), None)
        lat = f"{latent['bpp']:.2f} / {latent['psnr']:.2f}" if latent else ""
        lines.append(f"| {row['clip']} | {cells} | {lat} |")
    return "\n".join(lines)


def write_html(rows: list[dict], path: Path) -> None:
    figures = []
    for row in rows:
        points = {"ours (neural codec)": row["ours"], "gif": [row["gif"]]}
        if row.get("latent_inr"):
            points["Latent-INR"] = row["latent_inr"]
        figures.append(rate_distortion_figure(row["curves"], points, title=f"{row['clip']}: {row['frames']} frames, "
                                                                           f"{row['width']}x{row['height']}"))
    write_figures(path, figures, "neural codec")


def ablations(args, folder: Path) -> dict:
    out = {}
    for path in args.clip or classical.CLIPS[:1]:
        base = classical.measure(Path(path), args.max_frames, args.max_size)
        clip = load_clip(path, max_frames=args.max_frames, max_size=args.max_size)
        for name, overrides in ABLATIONS.items():
            for bpp in args.bpp:
                point = encode_point(clip, bpp, args.seconds, args.seeds[0], folder, overrides)
                point.update(codecs=beside_codecs(point, base["curves"]))
                out.setdefault(clip.name, {})[f"{name} @ {bpp:g}"] = point
                print(f"| {clip.name} | {name} | {bpp:g} | {point['bpp']:.3f} | {point['psnr']:.2f} | "
                      f"{point['codecs']['x264']['ours_minus']:+.2f} | {point['steps']} |", flush=True)
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clip", action="append", help="clip (repeatable; default: the four shared clips)")
    p.add_argument("--bpp", type=float, nargs="+", default=[0.1, 0.2, 0.4])
    p.add_argument("--seeds", type=int, nargs="+", default=[0])
    p.add_argument("--seconds", type=float, default=120.0, help="fit budget per point")
    p.add_argument("--latent-seconds", type=float, default=60.0, help="Latent-INR's fit per clip (0: skip)")
    p.add_argument("--max-size", type=int, default=160)
    p.add_argument("--max-frames", type=int, default=100)
    p.add_argument("--ablations", action="store_true", help="one design choice at a time instead of the table")
    p.add_argument("--out", default=None)
    args = p.parse_args(argv)
    out = Path(args.out or ("bench/results/codec_ablations.json" if args.ablations else "bench/results/codec.json"))
    out.parent.mkdir(parents=True, exist_ok=True)
    print(f"protocol: first {args.max_frames} frames at {args.max_size} px; {args.seconds:g} s a point; seeds "
          f"{args.seeds}; host {platform.node()}", flush=True)
    classical.warm_up()
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="inr-bench-codec-") as folder:
        if args.ablations:
            print("| clip | variant | target bpp | bpp | PSNR | vs x264 at equal bytes | steps |\n|---|---|---:|---:|---:|---:|---:|")
            result = {"ablations": ablations(args, Path(folder))}
        else:
            rows = []
            for path in args.clip or classical.CLIPS:
                rows.append(measure_clip(Path(path), args, Path(folder)))
            print(table(rows))
            write_html(rows, out.with_suffix(".html"))
            result = {"clips": rows}
    result.update(host=platform.node(), seconds=round(time.perf_counter() - start, 1), fit_seconds=args.seconds,
                  seeds=args.seeds, protocol=f"first {args.max_frames} frames, longest side {args.max_size}")
    out.write_text(json.dumps(result, indent=1))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
