"""Command line: ``python -m inr fit|render|compare ...``. Imports only the façade."""

import argparse
import json
import math
import sys
from pathlib import Path

import numpy as np

from inr import api
from inr.cli import space

DESCRIPTION = "Fit implicit neural representations to clips and render them at any scale."


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value > 0):
        raise argparse.ArgumentTypeError(f"expected a finite number > 0, got {text!r}")
    return value


def _non_negative_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def _sigma(text: str) -> float | None:
    if text.strip().lower() in ("none", "off", "0"):
        return None
    return _positive_float(text)


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"expected a finite number >= 0, got {text!r}")
    return value


def _factors(text: str, kind: type) -> list:
    """'2,4,2.5' -> [2.0, 4.0, 2.5] (kind float, each >= 1) or whole numbers (kind int, each >= 1)."""
    out = []
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            value = kind(part)
        except ValueError:
            raise ValueError(f"expected {'whole numbers' if kind is int else 'numbers'} >= 1, got {part!r}") from None
        if not (math.isfinite(value) and value >= 1):
            raise ValueError(f"factors must be finite and >= 1, got {part!r}")
        out.append(value)
    return out


def _add_prior_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--curvature", type=_non_negative_float, default=0.0,
                   help="weight of the spatial smoothness prior (default 0: off)")
    p.add_argument("--temporal", type=_non_negative_float, default=0.0,
                   help="weight of the temporal-consistency prior (default 0: off)")


def _add_clip_options(p: argparse.ArgumentParser, holdout: bool = True) -> None:
    p.add_argument("--max-frames", type=_non_negative_int, help="keep at most N frames (0: no cap; default per device)")
    p.add_argument("--max-size", type=_non_negative_int, help="downscale so the longest side is at most PX (0: no cap)")
    if holdout:
        p.add_argument("--holdout", choices=("every2", "random", "none"), default="every2",
                       help="pixels held out to measure generalisation (default every2)")
    p.add_argument("--device", choices=("cpu", "cuda"), help="default: cuda if available, else cpu")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=_non_negative_int, help="stop after N steps")
    p.add_argument("--seconds", type=_positive_float, help="stop after S seconds (default per arch and device)")
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line")


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr and exit code 2, like every bad input."""

    def error(self, message: str):
        self.exit(2, f"error: {self.prog}: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="python -m inr", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    p = sub.add_parser("fit", help="fit one model to one or more clips")
    p.add_argument("clips", nargs="+", help="video, GIF, image, or folder of frames")
    p.add_argument("--out", required=True, help="folder for the checkpoint, curves and comparison frames")
    p.add_argument("--arch", choices=api.ARCHS, default=api.DEFAULT_ARCH)
    p.add_argument("--sigma", type=_sigma, default=10.0, help="Fourier sigma for --arch fourier ('none': no encoding)")
    p.add_argument("--resume", metavar="CHECKPOINT",
                   help="continue this saved fit (its model and optimizer state) on the same clips")
    _add_prior_options(p)
    _add_clip_options(p)

    p = sub.add_parser("render", help="render a checkpoint at any size to GIF or MP4")
    p.add_argument("checkpoint")
    p.add_argument("--out", required=True, help="FILE.gif or FILE.mp4")
    p.add_argument("--spatial-scale", type=_positive_float, default=1.0)
    p.add_argument("--temporal-scale", type=_positive_float, default=1.0)
    p.add_argument("--width", type=int)
    p.add_argument("--height", type=int)
    p.add_argument("--frames", type=int)
    p.add_argument("--clip", type=int, default=0, help="which clip of a several-clip model")
    p.add_argument("--mix-with", type=int, help="blend with this clip's latent code")
    p.add_argument("--mix", type=float, default=0.0, help="blend weight: 0 is --clip, 1 is --mix-with")
    p.add_argument("--device", choices=("cpu", "cuda"))

    p = sub.add_parser("evaluate-sr", help="space-time super-resolution against classical upscaling")
    p.add_argument("clip")
    p.add_argument("--space", default="2,4,2.5", help="spatial factors, comma-separated (non-integer welcome)")
    p.add_argument("--time", default="2,4", help="temporal factors: keep every n-th frame, comma-separated")
    p.add_argument("--both", action="store_true", help="also one row with the first spatial and temporal factor together")
    p.add_argument("--arch", choices=api.ARCHS, default=api.DEFAULT_ARCH)
    _add_prior_options(p)
    _add_clip_options(p, holdout=False)

    p = sub.add_parser("compare", help="fit the Fourier MLP at several sigmas as one batched model and compare")
    p.add_argument("clip")
    p.add_argument("--sigmas", default="none,1,10,100", help="comma-separated, 'none' for no encoding")
    p.add_argument("--out", required=True)
    _add_clip_options(p)

    space.add_parser(sub, _positive_float, _non_negative_int)
    add_latent_parsers(sub)
    return parser


def _progress(rec: api.Record, label: str = "") -> None:
    scores = rec.members or ((rec.train_psnr, rec.heldout_psnr),)  # a stack: one figure per member
    train = " / ".join(f"{t:.2f}" for t, _ in scores)
    held = "" if scores[0][1] is None else "  held-out " + " / ".join(f"{h:.2f}" for _, h in scores) + " dB"
    line = (f"{label}step {rec.step:6d}  {rec.seconds:6.1f} s  {rec.steps_per_second:6.1f} steps/s  "
            f"train {train} dB{held}")
    end = "\r" if sys.stderr.isatty() else "\n"
    print(line, end=end, file=sys.stderr, flush=True)


def _notes(clips: list[api.Clip]) -> None:
    for clip in clips:
        size = "x".join(str(v) for v in clip.frames.shape[2:0:-1])
        print(f"{clip.name}: {clip.frames.shape[0]} frames of {size} at {clip.fps:g} fps", file=sys.stderr)
        for note in clip.notes:
            print(f"  {note}", file=sys.stderr)


def _fit(run: api.Run, label: str = "") -> dict:
    last_print = -math.inf
    try:
        for rec in api.fit(run):
            if rec.final or rec.seconds - last_print >= 2.0:
                _progress(rec, label)
                last_print = rec.seconds
    except KeyboardInterrupt:  # Ctrl-C stops the fit; the model so far is kept and saved
        print(f"\nstopped at step {run.steps}: keeping the model so far", file=sys.stderr)
    if sys.stderr.isatty():
        print(file=sys.stderr)
    return api.summary(run)


def _describe(s: dict) -> str:
    lines = [f"training pixels: {s['train_psnr']:.2f} dB PSNR after {s['steps']} steps in {s['seconds']:.1f} s "
             f"({s['params']:,} parameters, {s['bits_per_pixel']:.2f} bits per pixel)"]
    if s["heldout_psnr"] is not None:
        lines.append(f"held-out pixels: {s['heldout_psnr']:.2f} dB  |  classical rebuild of the same pixels: "
                     f"bilinear {s['bilinear_psnr']:.2f} dB, bicubic {s['bicubic_psnr']:.2f} dB")
    if s.get("ssim") is not None:
        lines.append(f"SSIM of the 1x render against the clip (all pixels): {s['ssim']:.4f}")
    lines.append(f"verdict: the INR {s['verdict']}")
    return "\n".join(lines)


def cmd_fit(args) -> dict:
    out = Path(args.out)
    if args.resume:
        run = _resume(args)
    else:
        clips = api.load_clips(args.clips, args.max_frames, args.max_size, args.device)
        _notes(clips)
        run = api.prepare(clips, arch=args.arch, sigma=args.sigma, holdout=args.holdout, device=args.device,
                          seed=args.seed, steps=args.steps, seconds=args.seconds, curvature=args.curvature,
                          temporal=args.temporal)
    print(f"fitting {run.arch} ({run.params:,} parameters) on {api.device_name(run.device)}", file=sys.stderr)
    summary = _fit(run)
    summary["ssim"] = api.clip_ssim(run)  # every pixel of the 1x render, training and held-out alike
    summary["checkpoint"] = str(api.save(run, out / "model.safetensors"))
    summary["curves"] = str(api.write_curves(out / "curves.html", {run.arch: run.history}, run.baseline))
    summary["comparison"] = str(api.write_comparison(out / "comparison.png", run))
    summary["run_card"] = str(api.write_run_card(out / "run.json", run, summary))
    print(_describe(summary))
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
    _notes(clips)  # after the check that they fit the model: a refusal stays one line
    state = "with its optimizer state" if run.optimizer is not None else "with a fresh optimizer (none was saved)"
    print(f"resuming {args.resume} from step {run.steps} {state}", file=sys.stderr)
    return run


def cmd_render(args) -> dict:
    run = api.load(args.checkpoint, args.device)
    frames, shape, fps = api.render(run, clip=args.clip, spatial_scale=args.spatial_scale,
                                    temporal_scale=args.temporal_scale, width=args.width, height=args.height,
                                    frames=args.frames, mix_with=args.mix_with, mix=args.mix)
    api.check_export_size(args.out, shape)  # before rendering: a GIF is held in memory
    path = api.export(args.out, frames, fps)
    print(f"wrote {path}: {shape[0]} frames of {shape[2]}x{shape[1]} at {fps:.3g} fps")
    return {"out": str(path), "frames": shape[0], "height": shape[1], "width": shape[2], "fps": fps}


def cmd_evaluate_sr(args) -> dict:
    space, time = _factors(args.space, float), _factors(args.time, int)
    cases = [(s, 1) for s in space] + [(1.0, n) for n in time]
    if args.both and space and time:
        cases.append((space[0], time[0]))
    if not cases:
        raise ValueError("give at least one factor with --space or --time")
    clip = api.load_clips([args.clip], args.max_frames, args.max_size, args.device)[0]
    _notes([clip])
    rows = []
    print(f"{'space':>6} {'time':>4}  {'input':>12}  {'INR PSNR':>9} {'SSIM':>6}  {'classical':>9} {'SSIM':>6}  method",
          file=sys.stderr)
    for s, n in cases:
        row = api.superres.evaluate(clip, s, n, arch=args.arch, device=args.device, seed=args.seed, steps=args.steps,
                              seconds=args.seconds, curvature=args.curvature, temporal=args.temporal).row
        rows.append(row)
        t, h, w = row["input"]
        print(f"{s:6g} {n:4d}  {f'{t}x{w}x{h}':>12}  {row['inr_psnr']:9.2f} {row['inr_ssim']:6.3f}  "
              f"{row['classical_psnr']:9.2f} {row['classical_ssim']:6.3f}  {row['classical']}")
    print("PSNR and SSIM against the original frames, which neither method saw (every pixel of every frame)")
    return {"rows": rows}


def cmd_compare(args) -> dict:
    sigmas = [_sigma(s) for s in args.sigmas.split(",") if s.strip()]
    if not sigmas:
        raise ValueError(f"--sigmas needs at least one value, got {args.sigmas!r}")
    out = Path(args.out)
    clips = api.load_clips([args.clip], args.max_frames, args.max_size, args.device)
    _notes(clips)
    sigmas = list(api.sigma.unique(sigmas).values())  # a repeated sigma is fitted once
    stacked = api.sigma.prepare(clips, sigmas, holdout=args.holdout, device=args.device, seed=args.seed,
                                 steps=args.steps, seconds=args.seconds)
    _fit(stacked, label=f"{len(sigmas)} sigmas together: ")  # one batched model, the same pixels each step
    runs, histories = [], {}
    for sigma, run in zip(sigmas, api.sigma.members(stacked)):
        name = api.sigma.label(sigma)
        s = api.summary(run)
        frames, _, fps = api.render(run)
        gif = api.export(out / f"sigma_{name}.gif", frames, fps)
        runs.append({"sigma": sigma, "train_psnr": s["train_psnr"], "heldout_psnr": s["heldout_psnr"], "gif": str(gif)})
        histories[f"sigma {name}"] = run.history
        print(f"sigma {name}: train {s['train_psnr']:.2f} dB, held-out "
              f"{s['heldout_psnr'] if s['heldout_psnr'] is None else round(s['heldout_psnr'], 2)} dB")
    baseline = run.baseline
    if baseline:
        print(f"classical rebuild of the held-out pixels: bilinear {baseline['bilinear']:.2f} dB, "
              f"bicubic {baseline['bicubic']:.2f} dB")
    curves = api.write_curves(out / "curves.html", histories, baseline)
    return {"runs": runs, "bilinear_psnr": baseline and baseline["bilinear"],
            "bicubic_psnr": baseline and baseline["bicubic"], "curves": str(curves)}


COMMANDS = {"fit": cmd_fit, "render": cmd_render, "compare": cmd_compare, "evaluate-sr": cmd_evaluate_sr}

from inr.cli.latent import LATENT_COMMANDS, add_latent_parsers  # noqa: E402 - it reuses the helpers above
COMMANDS.update(LATENT_COMMANDS)
COMMANDS["space"] = space.run


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        result = COMMANDS[args.command](args)
    except ValueError as err:  # ClipError included: bad input gets one line, no traceback
        print(f"error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\nstopped", file=sys.stderr)
        return 130
    if getattr(args, "json", False):
        print(json.dumps(result, default=_json_default))
    return 0


def _json_default(value):
    if isinstance(value, (np.floating, np.integer)):
        return value.item()
    raise TypeError(f"not JSON-able: {type(value).__name__}")
