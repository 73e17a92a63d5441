"""The Compress tab's Latent-INR section (below the neural codec's, ``views/compress.py``): fit
per-frame latents, compare the .inr file with GIF and H.264, search frames by an uploaded image, and
interpolate between two frames' latents.

Works at first launch from the shipped ``checkpoints/compress_jelly_small.inr`` and its measured
table ``checkpoints/compress_jelly_small.json`` (both made by ``scripts/make_compress.py``);
a fit here replaces them for this session only.
"""

import json
from pathlib import Path

import gradio as gr

from inr import api
from views.common import (ASSETS, CHECKPOINTS, EXAMPLES, FIGURES, FIT_QUEUE, PIXELATED, Session, ensure, friendly,
                          keyed)

SHIPPED = CHECKPOINTS / "compress_jelly_small.inr"
SHIPPED_TABLE = SHIPPED.with_suffix(".json")
CLIPS = [e for e in EXAMPLES if Path(e).suffix.lower() in (".mp4", ".gif")]  # moving ones: a code per frame
FIRST_CLIP = "office_plant.mp4"  # offered for a new fit: not the clip of the shipped file
UI_SECONDS = 1.0  # at most one live update a second while fitting


# ---------------------------------------------------------------- state

def _state(session: Session) -> dict:
    return session.views.setdefault("compress", {})


def current(session: Session) -> dict:
    """This session's model, its index and table: the shipped ones until the user fits another."""
    state = _state(session)
    if state.get("run") is None:
        if not SHIPPED.is_file():
            raise ValueError(f"no pretrained .inr ships ({SHIPPED.name} is missing): run "
                             "python scripts/make_compress.py, or fit one above")
        run = api.latent_inr.load(SHIPPED)
        bundle = _shipped_table() or {}
        state.update(run=run, index=api.latent_inr.build_index(run.model, run.clip.frames, fps=run.clip.fps),  # decoded once
                     table=bundle.get("table"),
                     summary=bundle.get("summary"), file=str(SHIPPED), decoded=None)
    return state


def _shipped_table() -> dict | None:
    try:
        return json.loads(SHIPPED_TABLE.read_text())
    except (OSError, ValueError):
        return None


# ---------------------------------------------------------------- formatting

def describe(table: dict | None, summary: dict | None, origin: str) -> str:
    """The headline: the file's size and quality beside H.264 at the same size and GIF."""
    if summary is None:
        return f"**{origin}**: no measurements."
    lines = [f"**{origin}** · {summary['clip']}: {summary['frames']} frames of {summary['width']}×{summary['height']}, "
             f"{summary['params']:,} parameters, fitted {summary['steps']} steps in {summary['seconds']:.0f} s",
             f"**.inr file** ({summary['bits']}-bit{' per-channel' if summary['per_channel'] else ''}, "
             f"{summary['compression']}): **{summary['bytes']:,} bytes**, {summary['bpp']:.3f} bits per pixel, "
             f"decoded from the file: PSNR **{summary['psnr']:.2f} dB**, SSIM {summary['ssim']:.4f} (every pixel)"]
    if summary.get("h264_psnr_at_size") is not None:
        lines.append(f"**H.264 at the same size**: PSNR {summary['h264_psnr_at_size']:.2f} dB, SSIM "
                     f"{summary['h264_ssim_at_size']:.4f} · **GIF**: {summary['gif_bytes']:,} bytes, PSNR "
                     f"{summary['gif_psnr']:.2f} dB")
        gap = summary["psnr"] - summary["h264_psnr_at_size"]
        word = "beats" if gap >= 0 else "loses to"
        lines.append(f"At equal size the .inr file {word} H.264 by {abs(gap):.2f} dB.")
    return "\n\n".join(lines)


def _outputs(state: dict, origin: str) -> dict:
    table, summary = state.get("table"), state.get("summary")
    last = state["run"].model.cfg.frames - 1
    return {"status": describe(table, summary, origin),
            "chart": api.latent_inr.size_quality_figure(table) if table else None,
            "table": api.latent_inr.table_markdown(table) if table else "", "download": state.get("file"),
            "frame_a": gr.Slider(maximum=last, value=0), "frame_b": gr.Slider(maximum=last, value=last)}


def _initial():
    """Headline, chart and table of the shipped file, read once when the page is built."""
    bundle = _shipped_table()
    if not (bundle and SHIPPED.is_file()):
        return f"No pretrained .inr ships ({SHIPPED.name}): fit one below.", None, "", None, 1
    table, summary = bundle["table"], bundle["summary"]
    return (describe(table, summary, "Pretrained"), api.latent_inr.size_quality_figure(table),
            api.latent_inr.table_markdown(table), str(SHIPPED), summary["frames"] - 1)


# ---------------------------------------------------------------- handlers

@friendly
def on_fit_latents(session, example, upload, seconds, max_size):
    """Fit, streaming progress; then write the .inr file and measure it against GIF and H.264."""
    session = ensure(session)
    path = upload or (ASSETS / example if example in CLIPS else None)
    if path is None:
        raise ValueError(f"unknown example {example!r}: choose one of the list or upload a clip")
    clip = api.load_clips([path], max_frames=None, max_size=int(max_size), device="cpu")[0]
    run = api.latent_inr.prepare(clip, device="cpu", seconds=float(seconds))
    last = -1e9
    for rec in api.latent_inr.fit(run):
        if rec.final or rec.seconds - last >= UI_SECONDS:
            last = rec.seconds
            yield {"status": f"fitting {run.params:,} parameters to {clip.name} ({clip.frames.shape[0]} frames of "
                             f"{clip.frames.shape[2]}×{clip.frames.shape[1]}): step {rec.step}, {rec.seconds:.1f} s, "
                             f"{rec.train_psnr:.2f} dB on training pixels "
                             f"({'every frame' if rec.final else '4 probe frames'}; a codec trains on every pixel)",
                   "session": session}
    yield {"status": "measuring the file against GIF and H.264 (CRF swept)…", "session": session}
    table = api.latent_inr.size_quality(run)
    summary = api.latent_inr.compress(run, session.path(f"{clip.name}.inr"),
                                baselines={k: table[k] for k in ("h264", "gif")})  # measured once
    state = _state(session)
    state.update(run=run, index=api.latent_inr.index_file(summary["out"]), table=table, summary=summary,
                 file=summary["out"], decoded=None)
    yield {**_outputs(state, "Your fit (this session)"), "session": session}


@friendly
def on_search(session, image, mode):
    """The 5 frames closest to the uploaded image, closest first, as (frame, caption) pairs."""
    session = ensure(session)
    if image is None:
        raise ValueError("upload an image to search the clip's frames with")
    state = current(session)
    results = api.latent_inr.search(state["index"], image, top=5, mode=mode)
    frames = state.get("decoded")
    if frames is None:  # what the file decodes to: the frames a user of the .inr file would see
        frames = state["decoded"] = api.latent_inr.decompress(state["file"])[0]
    gallery = [(frames[r["frame"]], f"frame {r['frame']} · {r['seconds']:.2f} s · score {r['score']:.3f}")
               for r in results]
    best = results[0]
    return {"gallery": gallery, "found": f"Closest: frame **{best['frame']}** ({best['seconds']:.2f} s) by `{mode}`."}


@friendly
def on_interpolate(session, a, b, alpha):
    """The frame rendered from (1 - α)·latent A + α·latent B."""
    state = current(ensure(session))
    return api.latent_inr.interpolate_frame(state["run"], int(a), int(b), float(alpha))


# ---------------------------------------------------------------- layout and wiring

def shipped_point() -> dict | None:
    """The shipped Latent-INR file as a point of a rate-distortion chart: {"clip", "frames", "height",
    "width", "bytes", "bpp", "psnr"} (None if it does not ship), so a chart of the same clip can show it."""
    summary = (_shipped_table() or {}).get("summary")
    if summary is None:
        return None
    return {k: summary[k] for k in ("clip", "frames", "height", "width", "bytes", "bpp", "psnr")}


def build_section(session: gr.State) -> None:
    """The section's layout and events, inside the caller's container."""
    headline, figure, markdown, file, last = _initial()
    gr.Markdown("**Latent-INR**: one latent code per frame and a hypernetwork that turns a code into the "
                "modulations of one shared spatial INR. Quantised (8-bit per channel) and lzma-coded, the model is "
                "an `.inr` file; below it stands beside the same clip as GIF and as H.264 (CRF swept). Every PSNR "
                "is over every pixel of the clip.")
    with gr.Row():
        example = gr.Dropdown(CLIPS, value=FIRST_CLIP, label="Example clip")
        upload = gr.File(label="…or upload a clip", type="filepath")
        seconds = gr.Slider(5, 300, value=30, step=5, label="Seconds to fit")
        max_size = gr.Slider(48, 320, value=96, step=8, label="Longest side (px)")
    fit_go = gr.Button("Fit and compress", variant="primary", elem_id="compress-go")
    status = gr.Markdown(headline, elem_id="compress-status")
    # Chart and table one above the other: side by side, both were too narrow for their figures.
    chart = gr.Plot(figure, label="Quality against size")
    with gr.Row():
        table = gr.Markdown(markdown, elem_id="compress-table", elem_classes=FIGURES)
        download = gr.File(file, label="Download the .inr file", elem_id="compress-file", scale=0, min_width=320)
    with gr.Accordion("Search frames by an image", open=True):
        with gr.Row():
            query = gr.Image(label="Query image", type="numpy", height=200)
            with gr.Column():
                mode = gr.Radio(list(api.latent_inr.MODES), value="aligned", label="Search by",
                                info="aligned: latents mapped to an image encoder's features (least squares); "
                                     "latent: the query inverted into a latent; features: the encoder alone")
                search_go = gr.Button("Search", variant="primary")
                found = gr.Markdown()
        # The closest frame large, the others as thumbnails to click: five frames side by side would
        # each be a thumbnail.
        gallery = gr.Gallery(label="Closest frames", columns=5, preview=True, selected_index=0, object_fit="contain",
                             elem_classes=PIXELATED)
    with gr.Accordion("Interpolate between two frames' latents", open=True):
        with gr.Row():
            frame_a = gr.Slider(0, last, value=0, step=1, label="Frame A (α = 0)")
            frame_b = gr.Slider(0, last, value=last, step=1, label="Frame B (α = 1)")
        alpha = gr.Slider(0, 1, value=0.5, step=0.01, label="α", elem_id="compress-alpha")
        between = gr.Image(label="Frame at α", interactive=False, elem_classes=PIXELATED)

    fit_go.click(inputs=[session, example, upload, seconds, max_size], **keyed(on_fit_latents, {
        "status": status, "chart": chart, "table": table, "download": download, "frame_a": frame_a, "frame_b": frame_b,
        "session": session}), api_name="compress", **FIT_QUEUE)
    search_go.click(inputs=[session, query, mode], **keyed(on_search, {"gallery": gallery, "found": found}),
                    api_name="search_frames")
    gr.on([c.change for c in (frame_a, frame_b, alpha)], on_interpolate, [session, frame_a, frame_b, alpha],
          [between], show_progress="hidden", trigger_mode="always_last", api_name="compress_interpolate")
