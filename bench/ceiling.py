"""How far above the classical rebuild can held-out pixels go? The best linear filter, measured.

    python -m bench.ceiling [--clip ../shared/clips/jelly.mp4 ...] [--out bench/results/ceiling.json]

Under ``--holdout every2`` a held-out pixel sits at one of three phases between training pixels
(between two columns, between two rows, or in the middle of four). Bilinear and bicubic rebuild it
with one fixed filter of the training pixels around it. This script asks how much better *any*
filter that is linear in the training pixels could do, per clip (100 frames, longest side 160,
the CPU protocol of the speed issue):

* ``oracle``: for each phase, the least-squares filter over a window of training pixels
  (``r`` training pixels each side, in frames ``t-k .. t+k``), fitted with the held-out pixels
  themselves. It cheats on purpose: no filter of that window can score higher on these pixels,
  so it bounds what any kernel, spline or linear smoothing prior reading that window can gain
  (a grid fitted by least squares is a linear filter of the training pixels too, if of a wider
  support than these windows).
* ``self``: the same filter fitted one octave down, from the training pixels alone (every other
  training pixel predicts the rest): a filter a method could actually learn from its own data.

Filters are shared by the three colour channels and by every frame; outputs are clipped to [0, 1]
like the rebuilds. Everything is closed-form, so the figures do not depend on the machine.
"""

import argparse
import json
import platform
import sys
from pathlib import Path

import numpy as np
import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inr.core.evaluate.baselines import classical_rebuild  # noqa: E402
from inr.core.field.holdout import train_mask  # noqa: E402
from inr import api  # noqa: E402

CLIPS = sorted(str(p) for p in (ROOT.parent / "shared" / "clips").glob("*") if p.suffix in (".mp4", ".gif"))
PHASES = ((0, 1), (1, 0), (1, 1))  # (row, column) offset of a held-out pixel from its training pixel
WINDOWS = ((2, 0), (3, 0), (2, 1), (3, 2))  # (r, k): 4x4 or 6x6 training pixels, in 1, 3 or 5 frames


def neighbours(lattice: np.ndarray, r: int, k: int) -> np.ndarray:
    """(T, h, w, 3, K): for each training pixel (i, j), the training pixels (t+dt, i+a, j+b).

    dt in -k..k, a and b in -r+1..r, so the window is centred on the held-out pixels that follow
    pixel (i, j) along rows and columns. Edges repeat the border pixel.
    """
    frames, height, width, _ = lattice.shape
    padded = np.pad(lattice, ((k, k), (r, r), (r, r), (0, 0)), mode="edge")
    taps = [padded[k + dt:k + dt + frames, r + a:r + a + height, r + b:r + b + width]
            for dt in range(-k, k + 1) for a in range(-r + 1, r + 1) for b in range(-r + 1, r + 1)]
    return np.stack(taps, axis=-1).astype(np.float32)


def phase_system(frames: np.ndarray, r: int, k: int, dy: int, dx: int) -> tuple[np.ndarray, np.ndarray]:
    """Design matrix (N, K) and targets (N,) of one phase: training-pixel windows -> held-out pixels.

    frames: (T, H, W, 3) in [0, 1], the full frames of which the even rows and columns train.
    """
    target = frames[:, dy::2, dx::2]  # (T, h', w', 3)
    windows = neighbours(frames[:, ::2, ::2], r, k)[:, :target.shape[1], :target.shape[2]]
    return windows.reshape(-1, windows.shape[-1]), target.reshape(-1)


def least_squares(design: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Filter weights (K,) minimising the squared error, in float64 normal equations."""
    design = design.astype(np.float64)
    gram = design.T @ design + 1e-9 * np.eye(design.shape[1])
    return np.linalg.solve(gram, design.T @ target)


def filtered_psnr(frames: np.ndarray, r: int, k: int, fit_on: str) -> float:
    """Held-out PSNR (dB) of the per-phase linear filter fitted on `fit_on` ("oracle" or "self")."""
    squared, count = 0.0, 0
    for dy, dx in PHASES:
        design, target = phase_system(frames, r, k, dy, dx)
        if fit_on == "oracle":
            weights = least_squares(design, target)
        else:  # one octave down: the training pixels are the full frames, every other one trains
            weights = least_squares(*phase_system(frames[:, ::2, ::2], r, k, dy, dx))
        error = np.clip(design @ weights, 0, 1) - target
        squared += float(error @ error)
        count += len(target)
    return -10 * np.log10(squared / count)


def measure(path: str, max_frames: int, max_size: int) -> dict:
    clip = api.load_clips([path], max_frames=max_frames, max_size=max_size, device="cpu")[0]
    frames = np.asarray(clip.frames, dtype=np.float32) / 255  # (T, H, W, 3) in [0, 1]
    rebuilds = classical_rebuild(torch.from_numpy(frames), train_mask(frames.shape[:3], "every2"), "every2")
    row = {"clip": clip.name, "shape": list(frames.shape[:3]),
           "bilinear_psnr": rebuilds["bilinear"], "bicubic_psnr": rebuilds["bicubic"]}
    for r, k in WINDOWS:
        for fit_on in ("oracle", "self"):
            row[f"{fit_on}_{2 * r}x{2 * r}x{2 * k + 1}"] = filtered_psnr(frames, r, k, fit_on)
    return row


def table(rows: list[dict]) -> str:
    """Markdown: each filter's held-out PSNR and its gap to the better rebuild, a column per clip."""
    keys = [k for k in rows[0] if k not in ("clip", "shape")]
    lines = ["| held-out pixels | " + " | ".join(r["clip"] for r in rows) + " |", "|---" * (len(rows) + 1) + "|"]
    for key in keys:
        cells = []
        for r in rows:
            best = max(r["bilinear_psnr"], r["bicubic_psnr"])
            cells.append(f"{r[key]:.2f}" if key.endswith("_psnr") else f"{r[key]:.2f} ({r[key] - best:+.2f})")
        lines.append(f"| {key.replace('_psnr', '')} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--clip", action="append", help="clip to measure (repeatable; default: every shared clip)")
    p.add_argument("--max-size", type=int, default=160)
    p.add_argument("--max-frames", type=int, default=100)
    p.add_argument("--out", default="bench/results/ceiling.json")
    args = p.parse_args(argv)
    rows = []
    for path in args.clip or CLIPS:
        rows.append(measure(path, args.max_frames, args.max_size))
        print(json.dumps({k: round(v, 3) if isinstance(v, float) else v for k, v in rows[-1].items()}), flush=True)
    print(table(rows))
    out = Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"host": platform.node(), "windows": "r training pixels each side, k frames each side",
                               "protocol": f"every2, {args.max_frames} frames, longest side {args.max_size}",
                               "rows": rows}, indent=1))


if __name__ == "__main__":
    main()
