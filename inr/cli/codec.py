"""The compression commands: compress (the neural codec, or Latent-INR) and decompress.

    python -m inr compress CLIP --out F.inr [--bpp B | --lambda L] [--seconds S] [--max-frames N]
        [--max-size PX] [--no-baselines] [--json]
    python -m inr compress CLIP --out F.inr --model latent [--bits 8] ...   (Latent-INR's file)
    python -m inr decompress F.inr --out DIR/|F.mp4|F.gif [--max-memory GB]

``decompress`` reads either kind of file, by its signature. A folder gets lossless PNG frames, so
every figure can be checked against the clip. A file is checked before anything is decoded (a
damaged or forged one is refused in one line, exit 2, nothing written); a codec file whose decode
would take more than --max-memory GB is refused naming the limit.
"""

import sys
from pathlib import Path

from inr.cli import latent
from inr.cli.options import add_clip_options, add_json_option, positive_float
from inr.cli.progress import follow, notes
from inr import api

def register(sub) -> None:
    p = sub.add_parser("compress", help="encode a clip into a small .inr file (the neural codec, or Latent-INR)")
    p.add_argument("clip", help="video, GIF or folder of frames")
    p.add_argument("--out", required=True, help="FILE.inr")
    p.add_argument("--model", choices=("codec", "latent"), default="codec",
                   help="codec: latent grids + entropy model, range-coded (default); latent: Latent-INR's "
                        "per-frame latents (what retrieve indexes)")
    size = p.add_mutually_exclusive_group()
    size.add_argument("--bpp", type=positive_float, help="target size in bits per pixel (default 0.2; the file "
                                                         "lands within about 20%%)")
    size.add_argument("--lambda", dest="lam", type=positive_float,
                      help="a fixed rate-distortion trade-off instead of a target size (larger: smaller file)")
    p.add_argument("--bits", type=int, choices=api.latent_inr.BITS, default=8,
                   help="--model latent: weights as 32 (fp32), 16 (fp16), 8 (8-bit)")
    p.add_argument("--per-tensor", action="store_true", help="--model latent: one 8-bit scale per tensor")
    p.add_argument("--compression", choices=api.latent_inr.COMPRESSIONS, default="lzma",
                   help="--model latent: the entropy coder over its weights (default lzma)")
    p.add_argument("--no-baselines", action="store_true", help="skip the x264/x265/AV1/GIF comparison")
    add_clip_options(p, holdout=False, seconds_help="encode for S seconds (default 120 on a CPU, 30 on a GPU)")
    p.set_defaults(handler=cmd_compress)

    p = sub.add_parser("decompress", help="decode an .inr file back to a clip")
    p.add_argument("file", help="FILE.inr (either kind)")
    p.add_argument("--out", required=True, help="DIR/ (lossless PNG frames), FILE.mp4 or FILE.gif")
    p.add_argument("--max-memory", type=positive_float, default=api.codec.DECODE_LIMIT / 2**30, metavar="GB",
                   help="refuse a neural-codec file whose decode needs more memory than this (default "
                        f"{api.codec.DECODE_LIMIT / 2**30:g} GiB)")
    add_json_option(p)
    p.set_defaults(handler=cmd_decompress)


def cmd_compress(args) -> dict:
    if args.model == "latent":
        if args.bpp is not None or args.lam is not None:
            raise ValueError("--bpp and --lambda are the neural codec's; --model latent sizes its file with --bits")
        return latent.cmd_compress(args)
    clip = api.load_clips([args.clip], args.max_frames, args.max_size, "cpu" if args.device is None else args.device)[0]
    notes([clip])
    run = api.codec.prepare(clip, bpp=args.bpp, lam=args.lam, seconds=args.seconds, steps=args.steps,
                            seed=args.seed, device=args.device)
    target = f"{run.fit_cfg.bpp:g} bpp" if run.fit_cfg.bpp is not None else f"lambda {run.fit_cfg.lam:g}"
    print(f"encoding {clip.name} ({run.meta.frames} frames of {run.meta.width}x{run.meta.height}) at {target}: "
          f"{run.model.cfg.latents:,} latents on {api.device_name(run.device)}", file=sys.stderr)
    follow(api.codec.fit(run), "compress", pixels=("decoded", None))  # Ctrl-C: the model so far is written
    s = api.codec.compress(run, args.out, baselines=not args.no_baselines)
    print(f"wrote {s['out']}: {s['bytes']:,} bytes, {s['bpp']:.3f} bits per pixel; decoded from the file: "
          f"PSNR {s['psnr']:.2f} dB, SSIM {s['ssim']:.4f} (every pixel); encode {s['seconds']:.0f} s, decode "
          f"{s['decode_fps']:.0f} frames/s")
    for name, row in s.get("codecs", {}).items():
        if name == "gif":
            print(f"  GIF: {row['bytes']:,} bytes, PSNR {row['psnr']:.2f} dB")
            continue
        how = "interpolated between CRFs" if row["interpolated"] else f"nearest CRF {row['nearest_crf']}: {row['nearest_bytes']:,} bytes"
        print(f"  {api.CODEC_LABELS.get(name, name)} at the same size: PSNR {row['psnr']:.2f} dB ({how}); "
              f"ours {s['psnr'] - row['psnr']:+.2f} dB")
    for row in s.get("codecs", {}).values():
        row.pop("curve", None)  # the JSON line stays one line a person can read
    return s


def cmd_decompress(args) -> dict:
    if not api.codec.is_codec_file(args.file):
        return latent.cmd_decompress(args)
    frames, meta = api.codec.decompress(args.file, limit=int(args.max_memory * 2**30))
    path = api.write_frames(args.out, frames) if _is_folder(args.out) else api.export(args.out, frames, meta.fps)
    print(f"wrote {path}: {meta.frames} frames of {meta.width}x{meta.height} at {meta.fps:g} fps")
    return {"out": str(path), "frames": meta.frames, "height": meta.height, "width": meta.width, "fps": meta.fps}


def _is_folder(out: str) -> bool:
    return out.endswith(("/", "\\")) or Path(out).is_dir()
