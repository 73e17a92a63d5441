"""Interaction latency: how long a slider move takes to re-render its preview, on this device.

    python -m bench.preview [--repeats 20]

Times the app's own handlers (Render-tab scale preview, Blend-tab alpha preview, Fit-tab frame
slider) on the shipped pretrained models, after one warm-up call, and a 256x256x32 render through
the façade. Prints medians and writes bench/results/preview_<device>.json. Targets: <= 1.5 s on
a 2-core CPU, <= 150 ms on a GPU.
"""

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from inr import api  # noqa: E402
from views import blend, fit, render  # noqa: E402


def timed(fn, repeats: int) -> list[float]:
    fn()  # warm-up: first calls pay for allocations and lazy imports
    out = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        out.append(time.perf_counter() - start)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    device = api.default_device()
    if device == "cpu":
        torch.set_num_threads(min(torch.get_num_threads(), 2))
    session = fit.on_load(None)["session"]  # the page load's outputs, by name
    blend.load_pretrained(session)
    scales = iter([1.5, 2.0, 2.5, 3.0] * (args.repeats + 1))
    alphas = iter([i / (2 * args.repeats + 2) for i in range(2 * args.repeats + 4)])
    frames = iter(range(args.repeats + 2))

    def render_32() -> None:
        it, _, _ = api.render(session.run, width=256, height=256, frames=32)
        list(it)

    cases = {
        "render tab: scale slider preview (middle frame at 2.5x of 160x90)":
            lambda: render.on_render_preview(session, next(scales), 2.0, 0, 0, 0),
        "blend tab: alpha slider preview while dragging (96x54 frame)":
            lambda: blend.on_blend_preview(session, 0, 1, next(alphas)),
        "blend tab: alpha preview on release (288x162 frame)":
            lambda: blend.on_blend_still(session, 0, 1, next(alphas)),
        "fit tab: frame slider (INR, ground truth, error map)":
            lambda: fit.on_frame(session, next(frames)),
        "render 256x256x32 through the facade": render_32,
    }
    results = {"device": api.device_name(device), "repeats": args.repeats, "median_seconds": {}}
    for name, fn in cases.items():
        seconds = timed(fn, args.repeats)
        results["median_seconds"][name] = statistics.median(seconds)
        print(f"{name:60s} median {1000 * statistics.median(seconds):8.1f} ms  "
              f"(min {1000 * min(seconds):.1f}, max {1000 * max(seconds):.1f})")
    out = ROOT / "bench" / "results" / f"preview_{device}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, indent=1))
    print(f"# {results['device']}; wrote {out}")


if __name__ == "__main__":
    main()
