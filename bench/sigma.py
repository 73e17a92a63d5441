"""The σ sweep of Compare: fitting several σ as one batched model against fitting one, and one after another.

    python -m bench.sigma [--device cpu|cuda] [--clip CLIP] [--steps 150] [--runs 3]

Each run times, for the same number of steps on the same clip: one Fourier MLP at σ = 10 alone;
each σ alone (their sum is what fitting them one after another costs); and every σ together in
one FieldStack (stacked weights, one batched matrix product per layer). Only the training steps
are timed: the loop scores at the first and the last step only, and the first scoring is taken
out of the time. The members' final PSNR is printed beside their solo fits', which they should
match (same initial weights, same pixels). Also reports the GFLOP/s of the single fit's matrix
products: where that is near the device's peak, a stack of K cannot cost much less than K fits.
Last, counts the curve points a 20 s stacked fit draws with the app's logging. Prints medians
and ratios and writes bench/results/sigma_<device>.json. #5's target: the stack of 4 costs at
most 1.5x one fit.
"""

import argparse
import json
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from bench.fit import matmul_flops  # noqa: E402
from inr import api  # noqa: E402

NO_LOGS = 1e9  # log_seconds: no curve points between the first step and the last
LIVE_SECONDS = 20.0  # a short σ-sweep comparison, to count the live curve points it draws


def label(sigma: float | None) -> str:
    return "none" if sigma is None else f"{sigma:g}"


def stacked(clips, sigmas, **kw) -> api.Run:
    """The batched group Compare plans for the Fourier MLP at these σ."""
    seconds, steps = kw.pop("seconds", None), kw.pop("steps", None)
    configs = [api.compare.make("fourier", {"sigma": s}) for s in sigmas]
    comparison = api.compare.plan(clips[0], configs, seconds=seconds and seconds / len(sigmas), steps=steps, **kw)
    return comparison.groups[0].run


def _timed(run: api.Run) -> tuple[float, api.Record]:
    """Seconds spent in training steps (the scoring at step 1 taken out) and the final record."""
    start = time.perf_counter()
    fit = api.fit(run)
    first = next(fit)
    scoring = time.perf_counter() - start - first.seconds  # the step-1 record scores every member
    records = [first, *fit]
    last = [r for r in records if not r.final][-1]
    return last.seconds - scoring, records[-1]


def one_round(clips, sigmas, device: str, steps: int) -> dict:
    common = dict(holdout="every2", device=device, steps=steps, seconds=None, log_seconds=NO_LOGS)
    solo = {}
    for sigma in sigmas:
        run = api.prepare(clips, arch="fourier", sigma=sigma, **common)
        seconds, final = _timed(run)
        solo[label(sigma)] = {"seconds": seconds, "train_psnr": final.train_psnr, "heldout_psnr": final.heldout_psnr,
                               "gflops": matmul_flops(run.model, run.fit_cfg.batch * steps) / seconds / 1e9}
    seconds, final = _timed(stacked(clips, sigmas, **common))
    members = {label(s): {"train_psnr": t, "heldout_psnr": h} for s, (t, h) in zip(sigmas, final.members)}
    return {"solo": solo, "stack": {"seconds": seconds, "members": members}}


def live_points(clips, sigmas, device: str, seconds: float) -> int:
    """Curve points a stacked fit of `seconds` draws with the app's default logging."""
    run = stacked(clips, sigmas, holdout="every2", device=device, seconds=seconds)
    return sum(1 for r in api.fit(run) if not r.final)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--clip", default=str(ROOT / "assets" / "jelly_small.mp4"))
    parser.add_argument("--sigmas", default="none,1,10,100")
    parser.add_argument("--steps", type=int, default=150)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--max-frames", type=int, default=8, help="the Compare tab's small clip has 8")
    parser.add_argument("--max-size", type=int, default=96, help="the Compare tab's small clip is 96 px")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if args.device == "cpu":
        torch.set_num_threads(min(torch.get_num_threads(), 2))
    sigmas = [None if s.strip() == "none" else float(s) for s in args.sigmas.split(",")]
    clips = api.load_clips([args.clip], max_frames=args.max_frames, max_size=args.max_size)
    one_round(clips, sigmas, args.device, 3)  # warm-up: allocations, lazy imports, kernels
    rounds = [one_round(clips, sigmas, args.device, args.steps) for _ in range(args.runs)]
    points = live_points(clips, sigmas, args.device, LIVE_SECONDS)

    def med(get) -> float:
        return statistics.median(get(r) for r in rounds)

    one = med(lambda r: r["solo"]["10"]["seconds"])
    gflops = med(lambda r: r["solo"]["10"]["gflops"])
    sequential = med(lambda r: sum(v["seconds"] for v in r["solo"].values()))
    stacked = med(lambda r: r["stack"]["seconds"])
    result = {
        "device": api.device_name(args.device), "host": platform.processor() or platform.machine(),
        "threads": torch.get_num_threads(), "clip": Path(args.clip).name,
        "shape": list(clips[0].frames.shape[:3]), "sigmas": [label(s) for s in sigmas],
        "steps": args.steps, "runs": args.runs, "batch": api.fit_config("fourier", args.device).batch,
        "median_seconds": {"one (sigma 10)": one, "one after another": sequential, "stacked": stacked},
        "one_fit_gflops": gflops, "stacked_over_one": stacked / one, "stacked_over_sequential": stacked / sequential,
        f"live_points_in_{LIVE_SECONDS:g}_s": points, "rounds": rounds,
    }
    print(f"{args.device}, {result['clip']} {result['shape']}, {args.steps} steps, batch {result['batch']}, "
          f"medians of {args.runs}:")
    print(f"  one fit (sigma 10)        {one:7.2f} s  ({gflops:.0f} GFLOP/s in its matrix products)")
    print(f"  {len(sigmas)} fits one after another  {sequential:7.2f} s")
    print(f"  {len(sigmas)} fits as one stack       {stacked:7.2f} s  = {stacked / one:.2f}x one, "
          f"{stacked / sequential:.2f}x one after another")
    print(f"  a {LIVE_SECONDS:g} s stacked fit, as in the app, draws {points} points per curve")
    print("  final held-out PSNR, stack member vs solo fit (last round):")
    last = rounds[-1]
    for name in result["sigmas"]:
        print(f"    sigma {name:>5}: {last['stack']['members'][name]['heldout_psnr']:.2f} vs "
              f"{last['solo'][name]['heldout_psnr']:.2f} dB")
    out = Path(args.out or ROOT / "bench" / "results" / f"sigma_{args.device}.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2))
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
