"""The classical codecs on every shared clip: the curves a neural codec's points are drawn against (#17).

    python -m bench.classical_codecs [--clip ../shared/clips/jelly.mp4 ...] [--out bench/results/classical_codecs.json]

Each clip (first 100 frames, longest side 160) is swept by every codec of ``video_baselines.CODECS``
(x264 4:4:4, x264 4:2:0, x265 4:4:4, SVT-AV1 4:2:0; one thread each) until the sweep brackets the
table's rates, and written once as a GIF. The JSON holds per clip and codec the whole curve (bytes
of the file and of the bare stream, bpp, PSNR, SSIM, encode seconds per CRF), PSNR at 0.1, 0.2 and
0.4 bpp (interpolated on log bpp), and the BD-rate of every codec against x264 4:4:4: over the rates
both curves cover, and within 0.05-0.8 bpp, the range a neural codec competes in. The HTML draws
the curves, one chart per clip, GIF as a marker.
"""

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inr.core.evaluate import rate_distortion, video_baselines  # noqa: E402
from inr.core.media.io import load_clip  # noqa: E402
from inr.core.report.artifacts import write_figures  # noqa: E402
from inr.core.report.plots import rate_distortion_figure  # noqa: E402

CLIPS = [ROOT.parent / "shared" / "clips" / name for name in ("jelly.mp4", "office_plant.mp4", "carphone.gif",
                                                                  "water.mp4")]
TARGETS = (0.1, 0.2, 0.4)  # bpp of the table
WINDOW = (0.05, 0.8)  # bpp: an octave beyond the table's rates either side
ANCHOR = "x264"


def warm_up() -> None:
    """One tiny encode per codec first, so the first clip's seconds do not include loading ffmpeg."""
    frames = np.random.default_rng(0).integers(0, 256, (2, 16, 16, 3), dtype=np.uint8)
    for name, spec in video_baselines.CODECS.items():
        video_baselines.sweep(frames, 10.0, name, [spec.crf_range[1]])


def measure(path: Path, max_frames: int, max_size: int) -> dict:
    """Every codec's curve on one clip, its PSNR at the table's rates and its BD-rate against x264."""
    clip = load_clip(path, max_frames=max_frames, max_size=max_size)
    count, height, width = clip.frames.shape[:3]
    curves = {name: video_baselines.sweep_to(clip.frames, clip.fps, name, TARGETS) for name in video_baselines.CODECS}
    out = {"clip": clip.name, "frames": count, "height": height, "width": width, "fps": clip.fps,
           "curves": curves, "gif": video_baselines.gif(clip.frames, clip.fps), "psnr_at": {}, "bd_rate": {},
           "bd_rate_window": {}, "seconds_per_encode": {}, "container_bytes": {}}
    for name, curve in curves.items():
        out["psnr_at"][name] = {f"{bpp:g}": rate_distortion.at_bpp(curve, bpp) for bpp in TARGETS}
        out["seconds_per_encode"][name] = statistics.mean(p["seconds"] for p in curve)
        # the container's share: the median over the curve of file minus bare stream
        out["container_bytes"][name] = statistics.median(p["bytes"] - p["stream_bytes"] for p in curve)
        if name != ANCHOR:
            out["bd_rate"][name] = rate_distortion.bd_rate(curves[ANCHOR], curve)
            out["bd_rate_window"][name] = rate_distortion.bd_rate(curves[ANCHOR], curve, within=WINDOW)
    return out


def cell(at: dict) -> str:
    """PSNR at a rate; starred where the curve does not reach it (the nearest CRF's figure)."""
    return f"{at['psnr']:.2f}" + ("" if at["interpolated"] else "*")


def percent(bd: dict | None) -> str:
    return "" if bd is None else ("n/a" if bd["value"] is None else f"{bd['value']:+.1f} %")


def table(rows: list[dict]) -> str:
    """Markdown: one line per clip and codec."""
    lines = [f"| clip | codec | PSNR @ {' | PSNR @ '.join(f'{t:g}' for t in TARGETS)} bpp | BD-rate vs {ANCHOR} "
             f"(all / {WINDOW[0]:g}-{WINDOW[1]:g} bpp) | container bytes | s per encode |",
             "|---|---|" + "---:|" * (len(TARGETS) + 3)]
    for row in rows:
        for name, at in row["psnr_at"].items():
            bd = f"{percent(row['bd_rate'].get(name))} / {percent(row['bd_rate_window'].get(name))}" \
                if name != ANCHOR else "anchor"
            lines.append(f"| {row['clip']} | {name} | " + " | ".join(cell(at[f"{t:g}"]) for t in TARGETS)
                         + f" | {bd} | {row['container_bytes'][name]:.0f} | {row['seconds_per_encode'][name]:.2f} |")
        g = row["gif"]
        lines.append(f"| {row['clip']} | gif | one file: {g['bpp']:.2f} bpp, {g['psnr']:.2f} dB | | | | | "
                     f"{g['seconds']:.2f} |")
    return "\n".join(lines)


def write_html(rows: list[dict], path: Path) -> None:
    """One chart per clip in one page; plotly.js beside it (as the other results' pages)."""
    write_figures(path, [rate_distortion_figure(row["curves"], {"gif": [row["gif"]]},
                                                title=f"{row['clip']}: {row['frames']} frames, "
                                                      f"{row['width']}x{row['height']}") for row in rows], "codecs")


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clip", action="append", help="clip (repeatable; default: the four shared clips)")
    p.add_argument("--max-size", type=int, default=160)
    p.add_argument("--max-frames", type=int, default=100)
    p.add_argument("--out", default="bench/results/classical_codecs.json")
    args = p.parse_args(argv)
    codecs = {n: f"{c.encoder} {c.preset} {c.pix_fmt} CRF {c.crfs[0]}..{c.crfs[-1]}"
              for n, c in video_baselines.CODECS.items()}
    print(f"protocol: {args.max_frames} frames, longest side {args.max_size}; host {platform.node()}; CPU, one "
          f"thread per encoder; {codecs}", flush=True)
    warm_up()
    rows, start = [], time.perf_counter()
    for path in args.clip or CLIPS:
        rows.append(measure(Path(path), args.max_frames, args.max_size))
        print(f"{rows[-1]['clip']}: {sum(len(c) for c in rows[-1]['curves'].values())} encodes, "
              f"{time.perf_counter() - start:.0f} s so far", flush=True)
    seconds = time.perf_counter() - start
    print(table(rows))
    print(f"* the curve does not reach that rate: the nearest CRF's PSNR. {len(rows)} clips in {seconds:.0f} s")
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"host": platform.node(), "seconds": round(seconds, 1), "codecs": codecs,
                               "protocol": f"first {args.max_frames} frames, longest side {args.max_size}",
                               "targets_bpp": TARGETS, "bd_window_bpp": WINDOW, "anchor": ANCHOR,
                               "clips": rows}, indent=1))
    write_html(rows, out.with_suffix(".html"))
    print(f"wrote {out} and {out.with_suffix('.html')}")


if __name__ == "__main__":
    main()
