"""Fit speed and quality: ours against the published recipes and the classical rebuild, in one run.

    python -m bench.fit --device cpu --clip ../shared/clips/jelly.mp4 [--clip ...] [--seconds 60]
        [--runs 3] [--methods ours,siren,fourier] [--out bench/results/fit_cpu.json]

Protocol (issue "Speed and honest quality"): --holdout every2 on real clips, 100 frames with
longest side 160 on the CPU (320, i.e. 180x320, on a GPU). Each method gets the same wall-clock
budget; we report PSNR on training and held-out pixels at fixed times (medians over runs), the
time to reach fixed training PSNR levels, and the classical bilinear/bicubic rebuild of the same
held-out pixels. Writes a JSON and a plotly chart of PSNR against time.

"ours" is the grid arch with its fit settings: the fastest field to a given training PSNR (the
motion field, the default for one clip since bench/multiframe.py, trains fewer steps a second for
its held-out pixels).

Baselines, re-implemented from their settings:
* siren: SIREN 5 hidden layers of 256, omega0 30, Adam lr 1e-4, random batches of 65,536 pixels,
  fp32, sigmoid output ("Implicit Neural Videos").
* fourier: 256 Gaussian features sigma 10, 3 hidden ReLU layers of 256, sigmoid, Adam lr 1e-4,
  one frame's worth of training pixels a step ("Latent Coordinate Networks").
* siren-tf32, siren-bf16: the SIREN recipe's very network and settings, trained with TF32 tensor
  cores or a bf16 autocast forward pass (GPU only): the same-size-network throughput comparison.

On a GPU, MLP methods also report achieved TFLOP/s (FLOPs of the network's matrix products, see
`matmul_flops`) and its share of the GPU's dense peak at that precision.
"""

import argparse
import json
import platform
import statistics
import sys
from pathlib import Path

import torch

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inr.core.field.encodings import FourierConfig, IdentityConfig  # noqa: E402
from inr.core.field.model import Field, ModelConfig  # noqa: E402
from inr.core.field.networks import NetworkConfig  # noqa: E402
from inr.core.train.fit import FitConfig  # noqa: E402
from inr import api  # noqa: E402

LEVELS = (25.0, 30.0, 35.0, 40.0)  # training-pixel PSNR levels for time-to-quality
CHECKPOINTS = (2.0, 10.0, 30.0, 60.0, 150.0)  # seconds at which PSNR is read off the curves


# Dense tensor-core peaks, TFLOP/s (NVIDIA's H100/H200 SXM datasheets; the 2x sparse figures halved).
PEAK_TFLOPS = {"fp32": 67.0, "tf32": 494.7, "bf16": 989.4}


def recipe(method: str, run: api.Run, seconds: float) -> tuple[Field, FitConfig]:
    """The published recipe's model and fit config for this run's clip (method[-precision])."""
    method, _, precision = method.partition("-")
    model, fit = _recipe(method, run, seconds)
    return model, FitConfig(**{**fit.__dict__, "precision": precision or "fp32"})


def _recipe(method: str, run: api.Run, seconds: float) -> tuple[Field, FitConfig]:
    frames = run.frames[0]
    if method == "siren":
        cfg = ModelConfig(IdentityConfig(), NetworkConfig(kind="siren", width=256, depth=5, omega0=30.0,
                                                          output="sigmoid"))
        fit = FitConfig(seconds=seconds, batch=65536, lr=1e-4, encoding_lr=None, final_lr_ratio=1.0)
    elif method == "fourier":
        cfg = ModelConfig(FourierConfig(sigma=10.0, features=256),
                          NetworkConfig(kind="relu", width=256, depth=3, output="sigmoid"))
        per_frame = ((frames.shape[1] + 1) // 2) * ((frames.shape[2] + 1) // 2)
        fit = FitConfig(seconds=seconds, batch=per_frame, lr=1e-4, encoding_lr=None, final_lr_ratio=1.0)
    else:
        raise ValueError(f"unknown recipe {method!r}")
    torch.manual_seed(0)
    return Field(cfg).to(run.device), fit


def matmul_flops(model: Field, pixels: int) -> int:
    """FLOPs of the network's matrix products for `pixels` training pixels, forward and backward.

    2 x weights a pixel forward, as much again for the weights' gradients, and as much again for
    the gradients of each layer's input, except the first layer's: its input (coordinates or
    fixed features) needs none.
    """
    layers = [m.weight.numel() for m in model.network.modules() if isinstance(m, torch.nn.Linear)]
    return (6 * sum(layers) - 2 * layers[0]) * pixels if layers else 0


def one_run(method: str, clip: api.Clip, device: str, seconds: float, seed: int) -> dict:
    run = api.prepare([clip], arch="grid", device=device, seed=seed, seconds=seconds, log_seconds=0.25)
    if method != "ours":
        run.model, run.fit_cfg = recipe(method, run, seconds)
        run.fit_cfg = FitConfig(**{**run.fit_cfg.__dict__, "seed": seed, "log_seconds": 0.25})
    records = list(api.fit(run))
    live = [r for r in records if not r.final]
    final = records[-1]
    pixels = run.data.train.numel()
    return {
        "precision": run.fit_cfg.precision,
        "tflops": matmul_flops(run.model, run.fit_cfg.batch * final.step) / final.seconds / 1e12,
        "curve": [[r.seconds, r.train_psnr, r.heldout_psnr] for r in live],
        "train_psnr": final.train_psnr,
        "heldout_psnr": final.heldout_psnr,
        "steps": final.step,
        "first_point_seconds": live[0].seconds if live else None,
        "pixels_per_second": run.fit_cfg.batch * final.step / final.seconds,
        "train_pixels": pixels,
        "params": run.params,
        "baseline": run.baseline,
    }


def at_time(curve: list, t: float, column: int) -> float | None:
    """PSNR of a curve at time t (the last point at or before t), None if the run was shorter."""
    if not curve or curve[-1][0] < t * 0.98:
        return None
    before = [p for p in curve if p[0] <= t]
    return before[-1][column] if before else None


def time_to(curve: list, level: float, column: int) -> float | None:
    return next((p[0] for p in curve if p[column] is not None and p[column] >= level), None)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def summarise(runs: list[dict]) -> dict:
    curves = [r["curve"] for r in runs]
    return {
        "train_psnr": median(r["train_psnr"] for r in runs),
        "heldout_psnr": median(r["heldout_psnr"] for r in runs),
        "first_point_seconds": median(r["first_point_seconds"] for r in runs),
        "pixels_per_second": median(r["pixels_per_second"] for r in runs),
        "tflops": median(r["tflops"] for r in runs),
        "peak_share": median(r["tflops"] for r in runs) / PEAK_TFLOPS[runs[0]["precision"]],
        "params": runs[0]["params"],
        "steps": median(r["steps"] for r in runs),
        "train_at": {f"{t:g}s": median(at_time(c, t, 1) for c in curves) for t in CHECKPOINTS},
        "heldout_at": {f"{t:g}s": median(at_time(c, t, 2) for c in curves) for t in CHECKPOINTS},
        "seconds_to_train": {f"{v:g}dB": median(time_to(c, v, 1) for c in curves) for v in LEVELS},
        "runs": len(runs),
    }


def chart(results: dict, path: Path) -> None:
    try:
        import plotly.graph_objects as go
        from plotly.subplots import make_subplots
    except ImportError:  # a bare GPU box: the JSON holds the curves
        print("plotly is not installed: no chart written")
        return

    clips = list(results["clips"])
    fig = make_subplots(rows=len(clips), cols=2, subplot_titles=[f"{c}: {s}" for c in clips
                                                                 for s in ("training pixels", "held-out pixels")])
    for row, clip in enumerate(clips, start=1):
        entry = results["clips"][clip]
        for method, data in entry["methods"].items():
            curve = data["curves"][0]
            t = [p[0] for p in curve]
            fig.add_trace(go.Scatter(x=t, y=[p[1] for p in curve], name=method, legendgroup=method,
                                     showlegend=row == 1), row, 1)
            fig.add_trace(go.Scatter(x=t, y=[p[2] for p in curve], name=method, legendgroup=method,
                                     showlegend=False), row, 2)
        for name, value in (entry["baseline"] or {}).items():
            fig.add_hline(y=value, line={"dash": "dash", "color": "grey"}, row=row, col=2,
                          annotation_text=f"{name} {value:.2f}")
    fig.update_layout(height=320 * len(clips), title=f"PSNR against time on {results['device_name']}")
    fig.write_html(path, include_plotlyjs="directory")


def main() -> None:
    parser = argparse.ArgumentParser(description="Fit speed and quality against baselines.")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--clip", action="append", required=True)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--methods", default="ours,siren,fourier")
    parser.add_argument("--max-size", type=int, help="default: 160 on cpu, 320 on cuda")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.device == "cpu":
        torch.set_num_threads(min(torch.get_num_threads(), 2))
    max_size = args.max_size or (160 if args.device == "cpu" else 320)
    out = Path(args.out or ROOT / "bench" / "results" / f"fit_{args.device}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    results = {"device": args.device, "device_name": api.device_name(args.device), "torch": torch.__version__,
               "python": platform.python_version(), "seconds": args.seconds, "max_size": max_size,
               "runs": args.runs, "clips": {}}
    print(f"# {results['device_name']}, torch {torch.__version__}, {args.seconds:g} s a run, "
          f"{args.runs} runs, 100 frames, longest side {max_size}, holdout every2", flush=True)
    for path in args.clip:
        clip = api.load_clips([path], max_frames=100, max_size=max_size, device=args.device)[0]
        entry = {"shape": list(clip.frames.shape[:3]), "methods": {}}
        for method in args.methods.split(","):
            runs = [one_run(method, clip, args.device, args.seconds, seed) for seed in range(args.runs)]
            entry["baseline"] = runs[0]["baseline"]
            entry["methods"][method] = {**summarise(runs), "curves": [r["curve"] for r in runs]}
            s = entry["methods"][method]
            print(f"{Path(path).name:18s} {method:8s} train {s['train_psnr']:6.2f} dB  held-out "
                  f"{s['heldout_psnr']:6.2f} dB  {s['pixels_per_second'] / 1e6:7.2f} Mpx/s  first point "
                  f"{s['first_point_seconds']:.2f} s  to 40 dB: {s['seconds_to_train']['40dB']}  "
                  f"{s['tflops']:.2f} TFLOP/s ({100 * s['peak_share']:.2f}% of {runs[0]['precision']} peak)",
                  flush=True)
        b = entry["baseline"]
        print(f"{Path(path).name:18s} classical bilinear {b['bilinear']:.2f} dB, bicubic {b['bicubic']:.2f} dB "
              f"(held-out pixels)", flush=True)
        results["clips"][Path(path).name] = entry
        out.write_text(json.dumps(results, indent=1))
    chart(results, out.with_suffix(".html"))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
