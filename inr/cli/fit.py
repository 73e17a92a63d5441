"""``python -m inr fit`` (one model for one or more clips, or ``--resume`` a saved fit) and ``render``."""

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from inr.cli.options import add_clip_options, add_device_option, add_prior_options, positive_float, sigma
from inr.cli.progress import follow, notes
from inr import api


def register(sub) -> None:
    p = sub.add_parser("fit", help="fit one model to one or more clips")
    p.add_argument("clips", nargs="+", help="video, GIF, image, or folder of frames")
    p.add_argument("--out", required=True, help="folder for the checkpoint, curves and comparison frames")
    p.add_argument("--resume", metavar="CHECKPOINT",
                   help="continue this saved fit (its model and optimizer state) on the same clips")
    add_fit_options(p)
    p.set_defaults(handler=cmd_fit)

    p = sub.add_parser("render", help="render a checkpoint at any size to GIF or MP4")
    p.add_argument("checkpoint")
    p.add_argument("--out", required=True, help="FILE.gif or FILE.mp4")
    p.add_argument("--spatial-scale", type=positive_float, default=1.0)
    p.add_argument("--temporal-scale", type=positive_float, default=1.0)
    p.add_argument("--width", type=int)
    p.add_argument("--height", type=int)
    p.add_argument("--frames", type=int)
    p.add_argument("--clip", type=int, default=0, help="which clip of a several-clip model")
    p.add_argument("--mix-with", type=int, help="blend with this clip's latent code")
    p.add_argument("--mix", type=float, default=0.0, help="blend weight: 0 is --clip, 1 is --mix-with")
    add_device_option(p)
    p.set_defaults(handler=cmd_render)


def add_fit_options(p) -> None:
    """What a fresh fit is: arch, sigma, priors, and how the clips are read and fitted (`fit`, `fit-many`)."""
    p.add_argument("--arch", choices=api.ARCHS,
                   help=f"default: {api.default_arch(1)[0]} for one clip, {api.default_arch(2)[0]} for several "
                        "(the fit names it and says why)")
    p.add_argument("--sigma", type=sigma, default=10.0, help="Fourier sigma for --arch fourier ('none': no encoding)")
    add_prior_options(p)
    add_clip_options(p)


def cmd_fit(args) -> dict:
    if args.resume:
        run = _resume(args)
    else:
        clips = api.load_clips(args.clips, args.max_frames, args.max_size, args.device)
        notes(clips)
        run = prepare(clips, args, args.device)
    print(f"fitting {run.arch} ({run.params:,} parameters) on {api.device_name(run.device)}", file=sys.stderr)
    for note in run.notes:
        print(f"  {note}", file=sys.stderr)
    summary = fit_into(run, Path(args.out), lambda records: follow(records, "fit"))
    print(describe(summary))
    return summary


def prepare(clips: list[api.Clip], args, device: str) -> api.Run:
    """A fresh run for these clips with the fit options of `args` (those of `fit` and `fit-many`)."""
    return api.prepare(clips, arch=args.arch, sigma=args.sigma, holdout=args.holdout, device=device, seed=args.seed,
                       steps=args.steps, seconds=args.seconds, curvature=args.curvature, temporal=args.temporal)


def fit_into(run: api.Run, out: Path, progress: Callable[[Iterator[api.Record]], object],
             plotly_js: Path | None = None) -> dict:
    """Fit a prepared run to its end, `progress` consuming the records; write the checkpoint, curves,
    comparison frames, motion panel (motion arch) and run card into `out`; return the summary.
    The curves read plotly.js from `plotly_js` when given (one copy for many fits), else beside them."""
    progress(api.fit(run))
    summary = api.summary(run)
    summary["ssim"] = api.clip_ssim(run)  # every pixel of the 1x render, training and held-out alike
    summary["checkpoint"] = str(api.save(run, out / "model.safetensors"))
    summary["curves"] = str(api.write_curves(out / "curves.html", {run.arch: run.history}, run.baseline, plotly_js))
    summary["comparison"] = str(api.write_comparison(out / "comparison.png", run))
    if api.motion.gaps(run):  # the middle gap's content and the motion it moves along
        summary["motion"] = str(api.write_image(out / "motion.png", api.motion.panel(run, api.motion.gaps(run) // 2)))
    split = api.motion.heldout_split(run)
    if split:  # where a motion field's held-out gain comes from: moving pixels or still ones
        summary["heldout_by_motion"] = split
    summary["notes"] = run.notes
    summary["run_card"] = str(api.write_run_card(out / "run.json", run, summary))
    return summary


def _resume(args) -> api.Run:
    """``fit --resume``: the saved fit, its clips read at the size it was fitted at, a new budget."""
    saved = api.load(args.resume, args.device)
    if len(args.clips) != len(saved.clips):
        raise ValueError(f"{args.resume} was fitted to {len(saved.clips)} clips, {len(args.clips)} were given")
    max_frames = args.max_frames if args.max_frames is not None else max(c.frames for c in saved.clips)
    max_size = args.max_size if args.max_size is not None else max(max(c.height, c.width) for c in saved.clips)
    clips = api.load_clips(args.clips, max_frames, max_size, args.device)
    run = api.resume(args.resume, clips, args.device, steps=args.steps, seconds=args.seconds)
    notes(clips)  # after the check that they fit the model: a refusal stays one line
    state = "with its optimizer state" if run.optimizer is not None else "with a fresh optimizer (none was saved)"
    print(f"resuming {args.resume} from step {run.steps} {state}", file=sys.stderr)
    return run


def describe(s: dict) -> str:
    """The summary lines of a fit, each naming the pixels it scores."""
    lines = [f"training pixels: {s['train_psnr']:.2f} dB PSNR after {s['steps']} steps in {s['seconds']:.1f} s "
             f"({s['params']:,} parameters; {s['model_bytes']:,} bytes as shipped, weights only; "
             f"{s['bits_per_pixel']:.2f} bits per pixel)",
             f"size: {s['size_verdict']}"]
    if s["heldout_psnr"] is not None:
        lines.append(f"held-out pixels: {s['heldout_psnr']:.2f} dB  |  classical rebuild of the same pixels: "
                     f"bilinear {s['bilinear_psnr']:.2f} dB, bicubic {s['bicubic_psnr']:.2f} dB")
    if s.get("heldout_by_motion"):
        lines.append(api.motion.describe_split(s["heldout_by_motion"]))
    if s.get("ssim") is not None:
        lines.append(f"SSIM of the 1x render against the clip (all pixels): {s['ssim']:.4f}")
    lines.append(f"verdict: the INR {s['verdict']}")
    return "\n".join(lines)


def cmd_render(args) -> dict:
    run = api.load(args.checkpoint, args.device)
    frames, shape, fps = api.render(run, clip=args.clip, spatial_scale=args.spatial_scale,
                                    temporal_scale=args.temporal_scale, width=args.width, height=args.height,
                                    frames=args.frames, mix_with=args.mix_with, mix=args.mix)
    api.check_export_size(args.out, shape)  # before rendering: a GIF is held in memory
    path = api.export(args.out, frames, fps)
    print(f"wrote {path}: {shape[0]} frames of {shape[2]}x{shape[1]} at {fps:.3g} fps")
    return {"out": str(path), "frames": shape[0], "height": shape[1], "width": shape[2], "fps": fps}
