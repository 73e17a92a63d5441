"""Compare's presets on a shipped clip, as the studio's Compare tab runs them (#19), and one equal-size run.

    python -m bench.compare [--clip assets/jelly_small.mp4] [--runs 3] [--seconds 15] [--only sigma,siren,...]

Each preset (``api.compare.PRESETS``) is fitted at equal time on the tab's small clip (8 frames at
96 px) with the tab's default seconds each, ``--runs`` times; the table gives each configuration's
median training and held-out PSNR, gap, parameters, bytes and steps, beside the bicubic and
bilinear rebuild of the same held-out pixels (the same in every run). Then, once each, on the full
CPU clip (up to 100 frames at 160 px): the encodings preset at equal time with ``--full-seconds``
each, and five architectures at equal size (``--bytes``, the codec among them). Writes
bench/results/compare.json and prints the README's tables.
"""

import argparse
import json
import platform
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import torch  # noqa: E402

from inr import api  # noqa: E402

SMALL = {"max_frames": 8, "max_size": 96}  # the Compare tab's small clip
FULL = {"max_frames": 100, "max_size": 160}  # the CPU caps: the tab's full clip
EQUAL_SIZE = "fourier:sigma=10;siren;grid;hash;codec"


def one(clip: api.Clip, configs: str, **plan) -> dict:
    """One comparison fitted to its end: its rows, the rebuild's figures and how it was scheduled."""
    comparison = api.compare.plan(clip, api.compare.parse(configs), **plan)
    for _ in api.compare.fit(comparison):
        pass
    return {"rows": api.compare.table(comparison), "baseline": comparison.baseline, "schedule": comparison.schedule}


def medians(runs: list[dict]) -> dict:
    """The first run's rows with every figure the median over the runs (same configurations, same order);
    the gap is that of the medians, so the table's columns agree."""
    keys = ("train_psnr", "heldout_psnr", "steps", "seconds", "steps_per_second", "bytes")
    rows = []
    for k, row in enumerate(runs[0]["rows"]):
        values = {key: [r["rows"][k][key] for r in runs] for key in keys}
        row = {**row, **{key: None if None in v else statistics.median(v) for key, v in values.items()},
               "heldout_psnr_runs": values["heldout_psnr"]}
        row["gap"] = None if row["heldout_psnr"] is None else row["train_psnr"] - row["heldout_psnr"]
        rows.append(row)
    return {**runs[0], "rows": rows, "runs": len(runs)}


def markdown(result: dict, sizes: bool = False) -> str:
    bicubic = result["baseline"]["bicubic"] if result["baseline"] else None
    head = "| configuration | trained | training pixels | held-out pixels | gap | vs bicubic | params | bytes | steps |"
    lines = [head, "|" + "---|" * head.count(" | ") + "---|"]
    for r in result["rows"]:
        held = "–" if r["heldout_psnr"] is None else f"{r['heldout_psnr']:.2f}"
        versus = "–" if r["heldout_psnr"] is None or bicubic is None else f"{r['heldout_psnr'] - bicubic:+.2f}"
        gap = "–" if r["gap"] is None else f"{r['gap']:.2f}"
        size = f"{r['bytes']:,.0f}" + (f" ({r['off_target']:+.1%})" if sizes and r.get("target_bytes") else "")
        lines.append(f"| {r['label']} | {r['trained']} | {r['train_psnr']:.2f} | {held} | {gap} | {versus} | "
                     f"{r['params']:,} | {size} | {r['steps']:,.0f} |")
    if result["baseline"]:
        b = result["baseline"]
        lines.append(f"| bicubic rebuild | classical | – | {b['bicubic']:.2f} | – | 0 | – | – | – |")
        lines.append(f"| bilinear rebuild | classical | – | {b['bilinear']:.2f} | – | "
                     f"{b['bilinear'] - b['bicubic']:+.2f} | – | – | – |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clip", default=str(ROOT / "assets" / "jelly_small.mp4"))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=15.0, help="each configuration's, on the small clip")
    parser.add_argument("--full-seconds", type=float, default=30.0, help="each configuration's, on the full clip")
    parser.add_argument("--bytes", type=int, default=100_000, help="the equal-size target on the full clip")
    parser.add_argument("--only", default="", help="comma-separated: preset keys, 'full', 'size' (default all); "
                        "the parts not run are kept from --out")
    parser.add_argument("--device", choices=("cpu", "cuda"), default="cpu")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "compare.json"))
    args = parser.parse_args()
    only = set(filter(None, args.only.split(",")))
    small = api.load_clips([args.clip], device=args.device, **SMALL)[0]
    # Warm-up: lazy imports, allocations and kernels, so the first group's seconds are all training.
    one(small, "fourier;grid;hash;siren;codec:bpp=1", steps=2, device=args.device)
    full = api.load_clips([args.clip], device=args.device, **FULL)[0]
    out = {"device": api.device_name(args.device), "host": platform.processor() or platform.machine(),
           "threads": torch.get_num_threads(), "clip": Path(args.clip).name, "torch": torch.__version__,
           "small": {"shape": list(small.frames.shape[:3]), "seconds_each": args.seconds, "presets": {}},
           "full": {"shape": list(full.frames.shape[:3]), "seconds_each": args.full_seconds}}
    if only and Path(args.out).exists():  # rerun parts replace theirs; the rest stay as measured before
        kept = json.loads(Path(args.out).read_text())
        out["small"]["presets"].update(kept.get("small", {}).get("presets", {}))
        out["full"].update({k: v for k, v in kept.get("full", {}).items() if k in ("encodings", "equal_size")})
    for key, preset in api.compare.PRESETS.items():
        if only and key not in only:
            continue
        runs = [one(small, preset.configs, seconds=args.seconds, device=args.device) for _ in range(args.runs)]
        result = {"title": preset.title, "configs": preset.configs, **medians(runs)}
        out["small"]["presets"][key] = result
        print(f"\n{preset.title} ({small.name}, {'x'.join(map(str, small.frames.shape[:3]))}, {args.seconds:g} s each, "
              f"median of {args.runs}): {result['schedule']}\n{markdown(result)}", flush=True)
    if not only or "full" in only:
        configs = api.compare.PRESETS["encodings"].configs
        result = one(full, configs, seconds=args.full_seconds, device=args.device)
        out["full"]["encodings"] = {"configs": configs, **result}
        print(f"\nencodings at equal time, full clip {'x'.join(map(str, full.frames.shape[:3]))}, "
              f"{args.full_seconds:g} s each: {result['schedule']}\n{markdown(result)}", flush=True)
    if not only or "size" in only:
        result = one(full, EQUAL_SIZE, equal="size", target_bytes=args.bytes, seconds=args.full_seconds,
                     device=args.device)
        out["full"]["equal_size"] = {"configs": EQUAL_SIZE, "target_bytes": args.bytes, **result}
        print(f"\nequal size ({args.bytes:,} bytes), full clip, {args.full_seconds:g} s each: {result['schedule']}\n"
              f"{markdown(result, sizes=True)}", flush=True)
    Path(args.out).write_text(json.dumps(out, indent=1))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
