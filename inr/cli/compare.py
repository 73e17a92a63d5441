"""``python -m inr compare``: configurations of any architecture fitted to one clip and compared side by side."""

import json
import sys
from pathlib import Path

from inr.cli.options import add_clip_options, positive_int, sigmas
from inr.cli.progress import follow, notes
from inr import api


def register(sub) -> None:
    archs = "; ".join(f"{arch}: {', '.join(settings)}" for arch, settings in api.compare.SETTINGS.items())
    presets = "; ".join(f"{key} ({p.title}: {p.configs})" for key, p in api.compare.PRESETS.items())
    p = sub.add_parser("compare", help="fit several configurations to one clip and compare them side by side",
                       description="Fit up to six configurations to one clip, at equal time or equal size, and "
                                   "compare their PSNR on training and held-out pixels beside the classical rebuild.",
                       epilog=f"settings per architecture: {archs}. Presets: {presets}.")
    p.add_argument("clip")
    which = p.add_mutually_exclusive_group()
    which.add_argument("--configs", help="'arch:key=value,...;arch;...', e.g. 'fourier:sigma=10;siren:omega0=30;hash'")
    which.add_argument("--preset", choices=list(api.compare.PRESETS), help="a famous comparison (see below)")
    which.add_argument("--sigmas", type=sigmas, help="the Fourier MLP at these σ, comma-separated, 'none' for no "
                                                     "encoding (the default: none,1,10,100)")
    p.add_argument("--equal", choices=("time", "size"), default="time",
                   help="time: the same seconds (or steps) each; size: each sized to --bytes first (default time)")
    p.add_argument("--bytes", type=positive_int, help="equal size's target, in bytes (default: the first "
                                                      "configuration's size at its defaults)")
    p.add_argument("--out", required=True)
    add_clip_options(p, seconds_help="each configuration's seconds (default "
                                     f"{api.compare.DEFAULT_SECONDS['cpu']:g} on a CPU, "
                                     f"{api.compare.DEFAULT_SECONDS['cuda']:g} on a GPU)")
    p.set_defaults(handler=cmd_compare)


def configs_of(args) -> list:
    if args.configs is not None:
        return api.compare.parse(args.configs)
    if args.preset:
        return api.compare.parse(api.compare.PRESETS[args.preset].configs)
    values = args.sigmas or sigmas("none,1,10,100")
    return [api.compare.make("fourier", {"sigma": s}) for s in values]


def cmd_compare(args) -> dict:
    if args.bytes is not None and args.equal != "size":
        raise ValueError("--bytes is equal size's target: add --equal size")
    out = Path(args.out)
    configs = configs_of(args)
    out.mkdir(parents=True, exist_ok=True)
    clips = api.load_clips([args.clip], args.max_frames, args.max_size, args.device)
    notes(clips)
    comparison = api.compare.plan(clips[0], configs, equal=args.equal, seconds=args.seconds, steps=args.steps,
                                  target_bytes=args.bytes, holdout=args.holdout, device=args.device, seed=args.seed)
    for note in comparison.notes:
        print(note, file=sys.stderr)
    print(f"on {api.device_name(comparison.groups[0].run.device)}: {comparison.schedule}", file=sys.stderr)
    for index, group in enumerate(comparison.groups):
        print(f"[{index + 1}/{len(comparison.groups)}] {group.describe}", file=sys.stderr)
        records = api.compare.fit(comparison, only=index)
        try:
            last = follow((rec for _, rec in records), "compare")
        finally:
            records.close()  # a Ctrl-C ends the group here: its model so far is what is reported
        if last is None or not last.final:  # stopped (Ctrl-C): keep what was fitted, fit nothing more
            break
    return report(comparison, out)


def report(comparison, out: Path) -> dict:
    """Print the table, write each GIF, the side-by-side picture, the curves and compare.json; the summary."""
    summary = api.compare.summary(comparison)
    for row in summary["runs"]:
        print(text_row(row))
    if summary["bicubic_psnr"] is not None:
        print(f"classical rebuild of the same held-out pixels: bilinear {summary['bilinear_psnr']:.2f} dB, "
              f"bicubic {summary['bicubic_psnr']:.2f} dB")
    for row, result in zip(summary["runs"], api.compare.results(comparison)):
        row["gif"] = str(api.export(out / f"{result.config.file_stem}.gif", result.frames, comparison.clip.fps))
    if summary["runs"]:
        middle = len(comparison.clip.frames) // 2
        summary["side_by_side"] = str(api.write_image(out / "side_by_side.png", api.compare.panel(comparison, middle)))
    curves = api.write_curves(out / "curves.html", api.compare.histories(comparison), comparison.baseline)
    summary["curves"] = str(curves)
    (out / "compare.json").write_text(json.dumps(summary, indent=1))
    return summary


def text_row(row: dict) -> str:
    size = f"{row['bytes']:,} B"
    if row.get("target_bytes"):
        size += f" ({row['off_target']:+.1%} of the target)"
    return (f"{row['label']:<24} train {_db(row['train_psnr'])}  held-out {_db(row['heldout_psnr'])}  "
            f"{row['params']:,} params  {size}  {row['steps']} steps in {row['seconds']:.1f} s ({row['trained']})")


def _db(value) -> str:
    return "–" if value is None else f"{value:.2f} dB"
