"""``python -m inr space train|sample|interpolate|invert|inpaint``: the latent space of clips (INR-V).

Every PSNR printed names its pixels.
"""

import argparse
import dataclasses
import sys
import time
from pathlib import Path

from inr.cli.options import add_device_option, add_json_option, non_negative_int, positive_float, positive_int
from inr.cli.progress import follow, notes
from inr import api

INVERSION_PIXELS = ("visible", "masked")  # what an inversion's train_psnr and heldout_psnr score
WINDOW_CACHE = "windows"  # OUT/windows/: --data's clips decoded once, a .npy of windows per clip


def register(sub) -> None:
    space = sub.add_parser("space", help="a continuous space of clips (INR-V): train, sample, interpolate, "
                                         "invert, inpaint")
    cmds = space.add_subparsers(dest="space_command", required=True)

    p = cmds.add_parser("train", help="train a meta-network on clips (each cut into windows and mirrored); "
                                      "under torchrun, on every process at once")
    p.add_argument("clips", nargs="*", help="videos, GIFs or folders of frames (two or more windows in all)")
    p.add_argument("--data", metavar="DIR", help="a folder of clips (sub-folders too), each decoded once into "
                                                 "OUT/windows/ and read from there, not held in memory")
    p.add_argument("--out", required=True, help="folder for space.safetensors")
    p.add_argument("--seconds", type=positive_float, help="stop after S seconds (default 60 unless --steps)")
    p.add_argument("--steps", type=non_negative_int, help="stop after N steps")
    p.add_argument("--windows", type=non_negative_int, default=3, help="windows cut from each clip (default 3)")
    p.add_argument("--no-flips", action="store_true", help="do not add mirrored copies of the windows")
    p.add_argument("--no-progressive", action="store_true", help="train on every clip at full size from the start")
    default = api.inr_v.HyperConfig()
    p.add_argument("--frames", type=positive_int, default=default.frames,
                   help=f"frames of every clip of the space (default {default.frames})")
    p.add_argument("--height", type=positive_int, default=default.height, help=f"its height (default {default.height})")
    p.add_argument("--width", type=positive_int, default=default.width, help=f"its width (default {default.width})")
    trained = api.inr_v.TrainConfig()
    p.add_argument("--clips-per-step", type=positive_int, default=trained.clips_per_step,
                   help=f"windows a step, over all processes (default {trained.clips_per_step}; a multiple of "
                        "their number)")
    p.add_argument("--latent-reg", type=float, default=trained.latent_reg,
                   help="weight of the codes' L2 prior (0: off)")
    p.add_argument("--resume", action="store_true",
                   help="go on from OUT/space.safetensors if it is there (its weights, optimizer, steps and "
                        "training settings; give the same clips and window options; --steps/--seconds set a new "
                        "total budget)")
    p.add_argument("--checkpoint-every", type=positive_float, default=300.0, metavar="S",
                   help="write OUT/space.safetensors every S seconds of training, and at the end (default 300)")
    p.add_argument("--seed", type=int, default=0)
    add_device_option(p)
    add_json_option(p)
    p.set_defaults(handler=cmd_train)

    p = cmds.add_parser("sample", help="draw a novel clip from the Gaussian prior of the learned codes")
    p.add_argument("checkpoint")
    p.add_argument("--out", required=True, help="FILE.gif or FILE.mp4")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--scale", type=positive_float, default=1.0, help="render at this multiple of the space's size")
    add_json_option(p)
    p.set_defaults(handler=cmd_sample)

    p = cmds.add_parser("interpolate", help="render the clip at alpha between two training clips' codes")
    p.add_argument("checkpoint")
    p.add_argument("--a", type=non_negative_int, default=0, help="index of the clip at alpha 0 (default 0)")
    p.add_argument("--b", type=non_negative_int, default=1, help="index of the clip at alpha 1 (default 1)")
    p.add_argument("--alpha", type=float, default=0.5, help="(1 - alpha) z_a + alpha z_b (default 0.5)")
    p.add_argument("--out", required=True, help="FILE.gif or FILE.mp4")
    p.add_argument("--scale", type=positive_float, default=1.0, help="render at this multiple of the space's size")
    add_json_option(p)
    p.set_defaults(handler=cmd_interpolate)

    p = cmds.add_parser("invert", help="fit only a code to a new clip, the meta-network frozen")
    _add_inversion_options(p, "FILE.gif: the clip rendered from its code")
    p.set_defaults(handler=cmd_invert)

    p = cmds.add_parser("inpaint", help="invert on the pixels outside a box, render the whole clip")
    _add_inversion_options(p, "FILE.gif: input with the box greyed | simple fill | inpainted", box=True)
    p.set_defaults(handler=cmd_inpaint)


def _add_inversion_options(p: argparse.ArgumentParser, out_help: str, box: bool = False) -> None:
    p.add_argument("checkpoint")
    p.add_argument("clip")
    p.add_argument("--start", type=non_negative_int, default=0, help="first frame of the window (default 0)")
    p.add_argument("--stride", type=int, default=1, help="take every Nth frame (default 1)")
    if box:
        p.add_argument("--box", required=True, help="t0,t1,y0,y1,x0,x1: frames and pixels of the space's size, "
                                                    "ends exclusive (e.g. 0,16,10,26,16,32 at 48x36)")
    p.add_argument("--out", required=True, help=out_help)
    p.add_argument("--seconds", type=positive_float, default=10.0)
    p.add_argument("--steps", type=non_negative_int)
    add_json_option(p)


def cmd_train(args) -> dict | None:
    """Train a space, one process or many: under torchrun every rank runs this, DDP shares the
    gradients, and rank 0 alone prints, writes the checkpoint and returns the figures."""
    if bool(args.clips) == bool(args.data):
        raise ValueError("give the clips to train on, or --data DIR, not both" if args.clips else
                         "give the clips to train on, or --data DIR")
    if args.height < 2 or args.width < 2:
        raise ValueError(f"the space's clips must be at least 2x2 pixels, got {args.width}x{args.height}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out} is a file: give a folder")
    where = api.distributed.place()
    device = api.distributed.device_for(args.device, where)
    shape = (args.frames, args.height, args.width)
    with api.distributed.group(where, device):
        started = time.monotonic()
        data = _training_windows(args, shape, where)
        data_seconds = time.monotonic() - started  # reading the clips, or decoding --data into its cache
        path = out / "space.safetensors"
        space = _space(args, data, path, device, where)
        cfg = _train_config(args, space)
        if space.train_cfg is not None and api.inr_v.spent(space, cfg):
            if where.main:
                print(f"{path} has spent its budget ({space.steps} steps, {space.seconds:.1f} s): give a larger "
                      "--steps or --seconds to train on", file=sys.stderr)
            return _finished(space, path, where, data_seconds, wrote=False)
        if where.main:
            print(f"training on {api.device_name(device)}" + (f", {where.world} processes (DistributedDataParallel, "
                  f"{api.distributed.backend(device)}), {cfg.clips_per_step // where.world} windows each a step"
                  if where.world > 1 else ""), file=sys.stderr)
        records = api.inr_v.checkpointed(api.inr_v.train(space, cfg), space, path, args.checkpoint_every, where.main)
        if where.main:
            follow(records, "space train")
        else:
            for _ in records:  # the other ranks train in step with rank 0 and say nothing
                pass
    return _finished(space, path, where, data_seconds)


def _finished(space, path: Path, where, data_seconds: float, wrote: bool = True) -> dict | None:
    """Rank 0's report of the space (None on the other ranks)."""
    if not where.main:
        return None
    s = api.inr_v.summary(space)
    print(f"training pixels: {s['train_psnr']:.2f} dB PSNR ({s['scored_on']}) after {s['steps']} steps in "
          f"{s['seconds']:.1f} s; {s['params']:,} parameters\n{'wrote' if wrote else 'left as it was:'} {path}")
    return {**s, "checkpoint": str(path), "clip_names": space.names()[:1000], "processes": where.world,
            "data_seconds": round(data_seconds, 3)}


def _train_config(args, space) -> "api.inr_v.TrainConfig":
    """The training's settings: the command line's for a new space; a resumed one keeps the settings it
    was started with (its window order, schedule and rates depend on them), and --steps/--seconds, when
    given, set its new total budget."""
    seconds = args.seconds or (60.0 if args.steps is None else None)  # a minute unless only --steps is given
    if space.train_cfg is None:
        return api.inr_v.TrainConfig(steps=args.steps, seconds=seconds, clips_per_step=args.clips_per_step,
                                     progressive=not args.no_progressive, latent_reg=args.latent_reg, seed=args.seed)
    if args.steps is None and args.seconds is None:
        return space.train_cfg  # go on to the budget it was started with
    return dataclasses.replace(space.train_cfg, steps=args.steps, seconds=seconds)


def _training_windows(args, shape: tuple[int, int, int], where) -> "api.inr_v.Windows":
    """The windows to learn from: the clips' windows held in memory, or --data's, decoded once into
    OUT/windows/ (each process its share; a rerun finds them there) and read from it as training asks."""
    count, flips = max(1, args.windows), not args.no_flips
    if args.data:
        files = api.manifest.find_clips(args.data, skip=args.out)
        cache = Path(args.out) / WINDOW_CACHE
        if where.main:
            print(f"{args.data}: {len(files)} clips, each decoded once into {cache} (what is there already is "
                  f"read, not decoded; {where.world} process{'es' if where.world > 1 else ''} sharing the work)",
                  file=sys.stderr)
        data, bad = api.inr_v.decode_all(api.inr_v.folder(files, args.data, shape, count, flips, cache))
        if where.main:
            for _, reason in bad:  # the reason names the file
                print(f"skipped {reason}", file=sys.stderr)
            print(f"{len(files) - len(bad)} clips -> {len(data)} windows of {shape[0]} frames at {shape[2]}x{shape[1]}"
                  + (f"; {len(bad)} unreadable skipped" if bad else ""), file=sys.stderr)
        return data
    sources = api.load_clips(args.clips, max_frames=0, max_size=api.inr_v.decode_size(shape), device="cpu")
    clips = [w for c in sources for w in api.inr_v.windows(c, shape, count, flips)]
    if where.main:
        print(f"{len(sources)} source clips -> {len(clips)} clips of {shape[0]} frames at {shape[2]}x{shape[1]} "
              f"(windows{'' if args.no_flips else ' and mirrors'})", file=sys.stderr)
    return api.inr_v.stacked(clips)


def _space(args, data, path: Path, device: str, where) -> api.inr_v.Space:
    """A new space for the windows, or with --resume the one saved at `path` (when there), on `device`.

    Every process reads the file itself, so all must see the same one: they compare what they found
    (whether it is there, its steps) and refuse together, rather than train from different places
    and wait on each other's gradients forever."""
    found = api.inr_v.load(path, device) if args.resume and path.is_file() else None
    seen = api.distributed.gather_numbers([found is not None, found.steps if found else -1])
    if len({tuple(row) for row in seen}) > 1:
        raise ValueError(f"the processes do not all find the same {path} (there and its steps, by process: "
                         f"{[tuple(int(v) for v in row) for row in seen]}): put OUT where every machine sees it")
    if found is not None:
        api.inr_v.attach(found, data)
        if where.main:
            print(f"resuming {path} from step {found.steps} ({found.seconds:.1f} s) with the settings it was "
                  "started with", file=sys.stderr)
        return found
    if args.resume and where.main:
        print(f"{path} is not there yet: starting a new space", file=sys.stderr)
    return api.inr_v.new(data, seed=args.seed, device=device)


def cmd_sample(args) -> dict:
    space = api.inr_v.load(args.checkpoint)
    frames = api.inr_v.sample(space, args.seed, args.scale)
    path = api.export(args.out, frames, api.inr_v.GIF_FPS)
    print(f"wrote {path}: a clip drawn from the latent prior with seed {args.seed}, "
          f"{frames.shape[0]} frames of {frames.shape[2]}x{frames.shape[1]}")
    return {"out": str(path), "seed": args.seed, "frames": frames.shape[0], "height": frames.shape[1],
            "width": frames.shape[2]}


def cmd_interpolate(args) -> dict:
    space = api.inr_v.load(args.checkpoint)
    frames = api.inr_v.interpolate(space, args.a, args.b, args.alpha, args.scale)
    path = api.export(args.out, frames, api.inr_v.GIF_FPS)
    names = space.names()
    print(f"wrote {path}: alpha {args.alpha:g} from clip {args.a} ({names[args.a]}) to clip {args.b} "
          f"({names[args.b]}), {frames.shape[0]} frames of {frames.shape[2]}x{frames.shape[1]}")
    return {"out": str(path), "a": args.a, "b": args.b, "alpha": args.alpha, "a_name": names[args.a],
            "b_name": names[args.b], "frames": frames.shape[0], "height": frames.shape[1], "width": frames.shape[2]}


def _inversion(args, space: api.inr_v.Space, box=None) -> api.inr_v.Inversion:
    """The clip's window fitted as a code of `space` (on the pixels outside `box`)."""
    clip = api.load_clips([args.clip], max_frames=0, max_size=0, device="cpu")[0]
    clip = api.inr_v.conform(clip, space.cfg.shape, args.start, args.stride)
    notes([clip])
    inv = api.inr_v.new_inversion(space, clip, box)
    cfg = api.inr_v.InvertConfig(steps=args.steps, seconds=None if args.steps is not None else args.seconds)
    follow(api.inr_v.invert(space, inv, cfg), f"space {args.space_command}", INVERSION_PIXELS)
    return inv


def cmd_invert(args) -> dict:
    space = api.inr_v.load(args.checkpoint)
    inv = _inversion(args, space)
    s = api.inr_v.inversion_summary(space, inv)
    path = api.export(args.out, api.inr_v.inversion_panel(space, inv, scale=2), api.inr_v.GIF_FPS)
    curve = "  ".join(f"{t:.1f} s {p:.2f} dB" for t, p in api.thin(s["curve"], 6))
    print(f"every pixel of the clip: inversion {s['psnr']:.2f} dB after {s['steps']} steps in {s['seconds']:.1f} s  |  "
          f"mean latent (no inversion) {s['mean_latent_psnr']:.2f} dB\nPSNR against time: {curve}\n"
          f"wrote {path} (clip | inversion)")
    return {"clip": s["clip"], "steps": s["steps"], "curve": api.thin(s["curve"], 20), "out": str(path), "psnr": s["psnr"],
            "mean_latent_psnr": s["mean_latent_psnr"], "seconds": s["seconds"]}


def cmd_inpaint(args) -> dict:
    space = api.inr_v.load(args.checkpoint)
    box = api.inr_v.parse_box(args.box)
    api.inr_v.box_mask(space.cfg.shape, box)  # a bad box fails before the clip is decoded
    inv = _inversion(args, space, box)
    s = api.inr_v.inversion_summary(space, inv)
    path = api.export(args.out, api.inr_v.inversion_panel(space, inv, scale=2), api.inr_v.GIF_FPS)
    print(f"masked pixels ({s['masked_pixels']:,}): inpainted {s['masked_psnr']:.2f} dB  |  simple fill (temporal "
          f"median, nearest visible location) {s['fill_masked_psnr']:.2f} dB  |  mean latent "
          f"{s['mean_latent_masked_psnr']:.2f} dB\nvisible pixels (fitted): {s['visible_psnr']:.2f} dB after "
          f"{s['steps']} steps in {s['seconds']:.1f} s\nwrote {path} (box greyed | simple fill | inpainted)")
    return {"clip": s["clip"], "box": list(box), "steps": s["steps"], "seconds": s["seconds"], "out": str(path),
            "masked_pixels": s["masked_pixels"], "masked_psnr": s["masked_psnr"],
            "fill_masked_psnr": s["fill_masked_psnr"], "visible_psnr": s["visible_psnr"]}

