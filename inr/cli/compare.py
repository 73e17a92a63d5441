"""``python -m inr compare``: the Fourier-feature MLP at several σ, fitted as one batched model."""

import sys
from pathlib import Path

from inr import api
from inr.cli.options import add_clip_options, sigmas
from inr.cli.progress import follow, notes


def register(sub) -> None:
    p = sub.add_parser("compare", help="fit the Fourier MLP at several sigmas as one batched model and compare")
    p.add_argument("clip")
    p.add_argument("--sigmas", type=sigmas, default="none,1,10,100", help="comma-separated, 'none' for no encoding")
    p.add_argument("--out", required=True)
    add_clip_options(p)
    p.set_defaults(handler=cmd_compare)


def cmd_compare(args) -> dict:
    out = Path(args.out)
    clips = api.load_clips([args.clip], args.max_frames, args.max_size, args.device)
    notes(clips)
    values = list(api.sigma.unique(args.sigmas).values())  # a repeated sigma is fitted once
    stacked = api.sigma.prepare(clips, values, holdout=args.holdout, device=args.device, seed=args.seed,
                                steps=args.steps, seconds=args.seconds)
    names = [api.sigma.label(s) for s in values]
    print(f"fitting sigma {' / '.join(names)} as one batched model ({stacked.params:,} parameters) on "
          f"{api.device_name(stacked.device)}; progress gives one figure per sigma, in this order", file=sys.stderr)
    follow(api.fit(stacked), "compare")  # one batched model, the same pixels each step
    runs, histories = [], {}
    for sigma, name, run in zip(values, names, api.sigma.members(stacked)):
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
