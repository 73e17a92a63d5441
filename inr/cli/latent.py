"""The Latent-INR commands: retrieve, and its side of compress and decompress (``cli/codec.py``).

    python -m inr compress CLIP --out FILE.inr --model latent [--bits 8] [--seconds S] [--json]
    python -m inr retrieve INDEX.inr QUERY_IMAGE [--top 5] [--by aligned|latent|features] [--json]

The index of ``retrieve`` is an .inr file written by ``compress --model latent``: its per-frame latents are the
index, and the alignment to the image encoder is fitted from its decoded frames when it is read.
"""

import sys
from pathlib import Path

from inr.cli.options import add_json_option, positive_int
from inr.cli.progress import follow, notes
from inr import api


def register(sub) -> None:
    p = sub.add_parser("retrieve", help="find the frames of an .inr file closest to an image")
    p.add_argument("index", help="an .inr file written by compress (its latents are the index)")
    p.add_argument("query", help="image (or a clip: its first frame is the query)")
    p.add_argument("--top", type=positive_int, default=5)
    p.add_argument("--by", choices=api.latent_inr.MODES, default="aligned",
                   help="aligned: latents mapped to the image encoder's features (default); latent: invert the "
                        "query into a latent; features: the encoder alone")
    p.add_argument("--encoder", choices=tuple(api.latent_inr.ENCODERS), default=api.latent_inr.DEFAULT_ENCODER)
    add_json_option(p)
    p.set_defaults(handler=cmd_retrieve)


def cmd_compress(args) -> dict:
    clip = api.load_clips([args.clip], args.max_frames, args.max_size, args.device)[0]
    notes([clip])
    run = api.latent_inr.prepare(clip, device=args.device, seconds=args.seconds, steps=args.steps, seed=args.seed)
    print(f"fitting per-frame latents ({run.params:,} parameters) on {api.device_name(run.device)}", file=sys.stderr)
    follow(api.latent_inr.fit(run), "compress")  # Ctrl-C ends the fit early; the model so far is written
    s = api.latent_inr.compress(run, args.out, args.bits, not args.per_tensor, args.compression,
                                baselines=not args.no_baselines)
    print(f"wrote {s['out']}: {s['bytes']:,} bytes, {s['bpp']:.3f} bits per pixel; decoded from the file: "
          f"PSNR {s['psnr']:.2f} dB, SSIM {s['ssim']:.4f} (every pixel)")
    if s["h264_psnr_at_size"] is not None:
        how = "interpolated between CRFs" if s["h264_interpolated"] else "outside the CRF sweep: nearest CRF"
        print(f"H.264 at the same size: PSNR {s['h264_psnr_at_size']:.2f} dB, SSIM {s['h264_ssim_at_size']:.4f} "
              f"({how}; nearest CRF {s['h264_nearest_crf']} is {s['h264_nearest_bytes']:,} bytes)  |  "
              f"GIF: {s['gif_bytes']:,} bytes, PSNR {s['gif_psnr']:.2f} dB")
    return s


def cmd_decompress(args) -> dict:
    frames, meta = api.latent_inr.decompress(args.file)
    path = api.export(args.out, frames, meta.fps)
    print(f"wrote {path}: {meta.frames} frames of {meta.width}x{meta.height} at {meta.fps:g} fps")
    return {"out": str(path), "frames": meta.frames, "height": meta.height, "width": meta.width, "fps": meta.fps}


def cmd_retrieve(args) -> dict:
    if Path(args.index).is_file() and api.codec.is_codec_file(args.index):
        raise ValueError(f"{args.index}: written by the neural codec, which keeps no per-frame codes to search; "
                         "retrieve needs a file from compress --model latent")
    index = api.latent_inr.index_file(args.index, args.encoder)
    query = api.latent_inr.load_image(args.query)
    results = api.latent_inr.search(index, query, args.top, args.by)
    for rank, r in enumerate(results, 1):
        print(f"{rank}. frame {r['frame']} ({r['seconds']:.2f} s)  score {r['score']:.4f}")
    return {"index": args.index, "query": args.query, "by": args.by, "encoder": args.encoder,
            "frames": index.frames, "results": results}
