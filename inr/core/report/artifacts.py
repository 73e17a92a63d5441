"""What a fit leaves on disk besides its checkpoint: curves, comparison frames, a run card."""

import json
import os
import platform
from dataclasses import asdict
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import torch
from plotly.offline import get_plotlyjs

from inr.core.evaluate.baselines import upsample_every2
from inr.core.media.files import atomic_write_bytes
from inr.core.media.images import label, to_uint8
from inr.core.report.diagnostics import ERROR_GAIN, preview_triplet
from inr.core.report.plots import curves_figure


def plotly_src(page: Path, plotly_js: str | Path | None = None) -> str:
    """The path a page at `page` reads plotly.js from, relative to it: `plotly_js` when given (one
    copy for many pages, as fit-many's clip folders share), else plotly.min.js beside the page;
    written there once (4.6 MB), so every page works offline, no CDN."""
    script = Path(plotly_js) if plotly_js is not None else page.parent / "plotly.min.js"
    if not script.is_file():
        atomic_write_bytes(script, get_plotlyjs().encode())
    return os.path.relpath(script, page.parent)


def write_curves(path: str | Path, runs: dict[str, list], baseline: dict | None,
                 plotly_js: str | Path | None = None) -> Path:
    """The curves of one or more fits as a plotly HTML page (plotly.js: see ``plotly_src``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    curves_figure(runs, baseline).write_html(path, include_plotlyjs=plotly_src(path, plotly_js), full_html=True)
    return path


def write_figures(path: str | Path, figures: list, title: str) -> Path:
    """Several plotly figures on one HTML page, written whole, reading one plotly.js (``plotly_src``)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    src = plotly_src(path)
    parts = [fig.to_html(full_html=False, include_plotlyjs=src if k == 0 else False) for k, fig in enumerate(figures)]
    page = (f"<!doctype html>\n<html><head><meta charset=\"utf-8\"/><title>{title}</title></head><body>\n"
            + "\n".join(parts) + "\n</body></html>\n")
    atomic_write_bytes(path, page.encode())
    return path


def comparison_frame(run, clip: int = 0, frame: int | None = None) -> np.ndarray:
    """uint8 (H, 4W, 3): ground truth | INR | bicubic rebuild (every2 only) | INR error x5."""
    t = run.clips[clip].frames // 2 if frame is None else frame
    pred, truth, error = preview_triplet(run, t, clip)
    panels = [label(truth, "ground truth"), label(pred, "INR")]
    if run.holdout == "every2":
        target = torch.from_numpy(truth).float() / 255
        rebuild = upsample_every2(target[None, ::2, ::2], *truth.shape[:2], "bicubic")[0]
        panels.append(label(to_uint8(rebuild), "bicubic from training px"))
    panels.append(label(error, f"INR error x{ERROR_GAIN}"))
    return np.concatenate(panels, axis=1)


def write_comparison(path: str | Path, run) -> Path:
    """A PNG with one comparison row per clip (the middle frame of each)."""
    path = Path(path)
    rows = [comparison_frame(run, k) for k in range(len(run.frames))]
    width = max(r.shape[1] for r in rows)
    rows = [np.pad(r, ((0, 0), (0, width - r.shape[1]), (0, 0))) for r in rows]
    return write_image(path, np.concatenate(rows))


def write_image(path: str | Path, image: np.ndarray) -> Path:
    """A uint8 (H, W, 3) image as a PNG, atomically."""
    path = Path(path)
    atomic_write_bytes(path, iio.imwrite("<bytes>", image, extension=".png"))
    return path


def run_card(run, summary: dict) -> dict:
    """Everything needed to reproduce a fit: seed, configs, device, wall time, figures."""
    return {
        "summary": summary,
        "arch": run.arch,
        "model_config": json.loads(run.model.cfg.to_json()),
        "fit_config": asdict(run.fit_cfg) if run.fit_cfg else None,
        "clips": [asdict(c) for c in run.clips],
        "device": run.device,
        "torch": torch.__version__,
        "python": platform.python_version(),
    }


def write_run_card(path: str | Path, run, summary: dict) -> Path:
    path = Path(path)
    atomic_write_bytes(path, json.dumps(run_card(run, summary), indent=2).encode())
    return path
