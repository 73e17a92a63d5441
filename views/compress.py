"""The "Compress" tab: the neural codec first (a clip to a small .inr file of a chosen size, beside
x264, x265, AV1 and GIF on exactly that clip), then a section that opens any .inr file
(``views/compress_open.py``), then Latent-INR's (``views/compress_latent.py``).

Works at first launch from the shipped ``checkpoints/codec_jelly_small.inr`` and its summary
``checkpoints/codec_jelly_small.json`` (both made by ``scripts/make_codec.py``): the chart and table
come from the summary, the frames from decoding the file and encoding x264 at its size. Each encode
of the same clip in a session adds its point to the chart, so encoding at several sizes draws the
neural codec's own curve.
"""

import hashlib
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import gradio as gr

from inr import api
from views import compress_latent, compress_open
from views.common import (ASSETS, CHECKPOINTS, FIGURES, FIT_QUEUE, PICTURE_CODEC, PIXELATED, Session, captioned,
                          chosen_clip, ensure, friendly, keyed, settled)

SHIPPED = CHECKPOINTS / "codec_jelly_small.inr"
SHIPPED_SUMMARY = SHIPPED.with_suffix(".json")
SHIPPED_CLIP = "jelly_small.mp4"
CLIPS = compress_latent.CLIPS  # moving clips: a codec of one frame is an image codec
NAMES = api.CODEC_LABELS
OURS = "neural codec"
PICTURE = PICTURE_CODEC
UI_SECONDS = 1.0  # at most one live update a second while encoding


# ---------------------------------------------------------------- state

def _state(session: Session) -> dict:
    """This session's codec figures: "result" (what the section shows), "points" (clip key -> every
    file made of that clip, for the chart), "stop" and "encoding"."""
    return session.views.setdefault("codec", {"points": {}})


def clip_key(clip: api.Clip) -> str:
    """Which clip a file was made of: its name and its frames' digest (an upload may reuse a name)."""
    return f"{clip.name}:{hashlib.sha1(clip.frames.tobytes()).hexdigest()[:16]}"


def _shipped_summary() -> dict | None:
    try:
        return json.loads(SHIPPED_SUMMARY.read_text())
    except (OSError, ValueError):
        return None


def _result(session: Session, summary: dict, clip: api.Clip, path: Path, origin: str) -> dict:
    """What the section shows of one file: decoded back, x264 decoded at its size, the decoded MP4."""
    ours, meta = api.codec.decompress(path)
    if ours.shape != clip.frames.shape:
        raise ValueError(f"{path.name} holds {meta.frames} frames of {meta.width}x{meta.height}, but the clip "
                         f"{clip.name} has {clip.frames.shape[0]} of {clip.frames.shape[2]}x{clip.frames.shape[1]}")
    theirs, row = api.decoded_at_size(clip.frames, clip.fps, PICTURE, summary["bytes"])
    mp4 = api.export(session.path(f"{path.stem}_decoded.mp4"), ours, meta.fps)
    key = clip_key(clip)
    _state(session)["points"].setdefault(key, []).append({k: summary[k] for k in ("bytes", "bpp", "psnr")})
    return {"summary": summary, "origin": origin, "key": key, "truth": clip.frames, "ours": ours,
            "theirs": theirs, "row": row, "files": [str(path), str(mp4)]}


# ---------------------------------------------------------------- formatting

def describe(summary: dict, origin: str) -> str:
    """The headline: the file's size and quality, and the gap to x264 at the same size."""
    lines = [f"**{origin}** · {summary['clip']}: {summary['frames']} frames of {summary['width']}×{summary['height']}, "
             f"{summary['steps']:,} steps, encoded in {summary['seconds']:.0f} s, decodes at "
             f"{summary['decode_fps']:.0f} frames/s",
             f"**.inr file: {summary['bytes']:,} bytes** ({summary['bpp']:.3f} bits per pixel; target "
             f"{summary['target_bpp']:g}) · decoded from the file: PSNR **{summary['psnr']:.2f} dB**, SSIM "
             f"{summary['ssim']:.4f} (RGB, every pixel)"]
    target = summary.get("target_bpp")
    if target and not 0.8 <= summary["bpp"] / target <= 1.25:  # the steering's usual miss is well inside
        ratio = summary["bpp"] / target
        lines.append(f"The file is {ratio:.2f}× the size asked for ({summary['bpp']:.3f} bpp against {target:g}): "
                     f"in {summary['steps']:,} steps the encoder's size steering did not reach its target.")
    x264 = summary.get("codecs", {}).get("x264")
    if x264 is not None:
        gap = summary["psnr"] - x264["psnr"]
        lines.append(f"At the same size x264 4:4:4 makes {x264['psnr']:.2f} dB: the neural codec "
                     f"{'beats' if gap >= 0 else 'loses to'} it by **{abs(gap):.2f} dB**.")
    return "\n\n".join(lines)


def table_markdown(summary: dict) -> str:
    """Ours against each codec at the same size (interpolated on its CRF sweep), and GIF at its own."""
    codecs = summary.get("codecs", {})
    rows = [f"| at {summary['bytes']:,} bytes ({summary['bpp']:.3f} bpp) | PSNR | SSIM | ours − it | how it was read |",
            "|---|---:|---:|---:|---|",
            f"| **{OURS}** (the .inr file) | **{summary['psnr']:.2f} dB** | {summary['ssim']:.4f} | – | "
            f"decoded from the file |"]
    for name, label in NAMES.items():
        if name not in codecs:
            continue
        row = codecs[name]
        how = ("interpolated between two CRFs" if row["interpolated"] else
               f"not reached: nearest CRF {row['nearest_crf']} makes {row['nearest_bytes']:,} bytes")
        rows.append(f"| {label} | {row['psnr']:.2f} dB | {row['ssim']:.4f} | {summary['psnr'] - row['psnr']:+.2f} dB "
                    f"| {how} |")
    gif = codecs.get("gif")
    if gif is not None:
        rows.append(f"| GIF | {gif['psnr']:.2f} dB | {gif['ssim']:.4f} | {summary['psnr'] - gif['psnr']:+.2f} dB | "
                    f"its one size: {gif['bytes']:,} bytes, {gif['bytes'] / summary['bytes']:.1f}× ours |")
    return "\n".join(rows)


def chart(result: dict, session: Session):
    """Every codec's curve on this clip, GIF's one point, and ours: this file, and every file of the
    same clip made in this session (a curve once there are two)."""
    summary = result["summary"]
    codecs = summary.get("codecs", {})
    curves = {label: codecs[name]["curve"] for name, label in NAMES.items() if name in codecs}
    if "gif" in codecs:
        curves["GIF"] = [codecs["gif"]]
    made = sorted(_state(session)["points"].get(result["key"], []), key=lambda p: p["bpp"])
    if len(made) > 1:
        curves[f"{OURS}: every file of this clip (this session)"] = made
    points = {f"{OURS}: this file": [summary]}
    latent = compress_latent.shipped_point()
    if latent is not None and (latent["clip"], latent["frames"], latent["height"], latent["width"]) == (
            Path(summary["clip"]).stem, summary["frames"], summary["height"], summary["width"]):
        points["Latent-INR .inr (shipped, below)"] = [latent]
    fig = api.rate_distortion_figure(curves, points, title=f"Quality per byte: {summary['clip']}, "
                                     f"{summary['frames']} frames of {summary['width']}×{summary['height']}")
    # The legend under the x-axis title, which a horizontal legend at plotly's default place covers.
    fig.update_layout(height=480, legend={"orientation": "h", "y": -0.18, "yanchor": "top"},
                      margin={"l": 60, "r": 20, "t": 50, "b": 60})
    return fig


def pictures(result: dict, index: int) -> dict:
    """Frame `index` of ours and of x264 at the same size, each captioned; and a note of their PSNRs."""
    ours, theirs, truth = result["ours"], result["theirs"], result["truth"]
    index = int(min(max(index, 0), len(ours) - 1))
    summary, row, width = result["summary"], result["row"], ours.shape[2]
    left = captioned(ours[index], f"{OURS} · {summary['bytes']:,} bytes · {summary['psnr']:.2f} dB", width)
    right = captioned(theirs[index], f"{NAMES[PICTURE]} CRF {row['crf']} · {row['bytes']:,} bytes · {row['psnr']:.2f} dB", width)
    note = (f"Frame {index} of {len(ours)}, against the original: {OURS} "
            f"{api.uint8_psnr(ours[index], truth[index]):.2f} dB, {NAMES[PICTURE]} "
            f"{api.uint8_psnr(theirs[index], truth[index]):.2f} dB. The captions give each file's size and its PSNR "
            f"over the whole clip; x264 is at the CRF whose file is closest to ours.")
    return {"ours": left, "theirs": right, "note": note}


def _outputs(session: Session, result: dict, status: str | None = None) -> dict:
    """status, chart, table, frame slider, our frame, x264's frame, their note, downloads."""
    middle = len(result["ours"]) // 2
    last = len(result["ours"]) - 1
    return {"status": status or describe(result["summary"], result["origin"]), "chart": chart(result, session),
            "table": table_markdown(result["summary"]),
            "frame": gr.Slider(maximum=max(last, 1), value=middle, interactive=last > 0),
            **pictures(result, middle), "files": result["files"]}


# ---------------------------------------------------------------- handlers

@friendly
def on_load(session: Session | None):
    """First launch: the shipped file's chart, table and frames, without encoding anything."""
    session = ensure(session)
    state = _state(session)
    if session.restored and state.get("result") is not None:  # a reload: the result it had
        settled(lambda: state.get("encoding"))
        return {**_outputs(session, state["result"]), "session": session}
    if state.get("result") is not None or state.get("encoding"):  # an encode started first wins
        return {"session": session}
    summary = _shipped_summary()
    if summary is None or not SHIPPED.is_file():
        return {"status": f"No shipped result ({SHIPPED.name} or its .json is missing): run python "
                          "scripts/make_codec.py, or encode a clip above.", "session": session}
    clip = api.load_clips([ASSETS / SHIPPED_CLIP], summary["frames"], max(summary["width"], summary["height"]),
                          "cpu")[0]
    path = session.path(SHIPPED.name)  # served from the session's folder, like every file of the tab
    shutil.copyfile(SHIPPED, path)
    state["result"] = _result(session, summary, clip, path, "Shipped file (scripts/make_codec.py)")
    return {**_outputs(session, state["result"]), "session": session}


@friendly
def on_encode(session: Session, example, upload, bpp, seconds, steps: int | None = None):
    """Encode the clip to `bpp` for `seconds` (or `steps`, for tests), streaming progress; then write
    the file, decode it back and stand it beside every codec at its size."""
    session = ensure(session)
    path, name = chosen_clip(example, upload)
    device = api.default_device()
    caps = api.caps(device)
    clip = api.load_clips([path], caps["max_frames"], caps["max_size"], device)[0]
    run = api.codec.prepare(clip, bpp=float(bpp), seconds=None if steps else float(seconds), steps=steps,
                            device=device)
    state = _state(session)
    state.update(stop=False, encoding=True)
    try:
        budget = f"{steps} steps" if steps else f"{float(seconds):.0f} s"
        yield {"status": f"encoding {clip.name} ({clip.frames.shape[0]} frames of {clip.frames.shape[2]}×"
                         f"{clip.frames.shape[1]}) to {float(bpp):g} bpp, budget {budget}…", "session": session}
        stopped, last = None, -1e9
        for rec in api.codec.fit(run):
            if state["stop"]:
                stopped = rec.step
                break
            if rec.final or rec.seconds - last >= UI_SECONDS:
                last = rec.seconds
                yield {"status": progress_line(run, rec, budget), "session": session}
        note = f"stopped at step {stopped}: the model so far is written · " if stopped is not None else ""
        yield {"status": f"{note}writing the file, decoding it back, sweeping x264 (4:4:4, 4:2:0), x265 and AV1 on "
                         "this clip…", "session": session}
        out = session.path(f"{Path(name).stem}_{float(bpp):g}bpp.inr")
        summary = api.codec.compress(run, out, baselines=True)
        state["result"] = _result(session, summary, clip, out, "Your file (this session)")
        headline = describe(summary, "Your file (this session)")
        yield {**_outputs(session, state["result"], f"{note}{headline}"), "session": session}
    finally:
        state["encoding"] = False


def progress_line(run, rec: api.Record, budget: str) -> str:
    """step · seconds · PSNR of what the file would hold · estimated size."""
    latent = run.state["bits"] / run.pixels
    total = (run.state["bits"] + run.steering.overhead_bits) / run.pixels
    return (f"step {rec.step} · {rec.seconds:.1f} s of {budget} · PSNR **{rec.train_psnr:.2f} dB** (what the file would "
            f"decode to, every pixel) · about **{total:.3f} bpp** estimated ({latent:.3f} latents + networks and "
            f"header; target {run.fit_cfg.bpp:g}) · quantiser: {run.state['stage']}")


def on_stop(session: Session):
    """Stop this session's encode after its current step; the model so far is written."""
    if isinstance(session, Session):
        _state(session)["stop"] = True
    return session


@friendly
def on_frame(session: Session, index):
    """Frame `index` of ours and of x264 at the same size, and the line of their PSNRs."""
    result = _state(ensure(session)).get("result")
    if result is None:
        return {"ours": None, "theirs": None, "note": ""}
    return pictures(result, int(index))


# ---------------------------------------------------------------- layout and wiring

@dataclass
class CompressTab:
    """The page load's step of this tab: the shipped file in the codec section."""

    load: dict  # what an event needs (fn, inputs, outputs): `.then(**tab.load)`


def build_tab(session: gr.State) -> CompressTab:
    gr.Markdown("### Neural codec\nA clip becomes one small `.inr` file: latent grids read through a small "
                "synthesis network, their integers range-coded under a learned entropy model. Choose the size; "
                "the encoder trains for its budget, writes the file, decodes it back and stands it beside x264 "
                "(4:4:4 and 4:2:0), x265 and AV1, each swept over its CRFs on exactly this clip, and GIF. Every "
                "PSNR is RGB over every pixel of the decoded clip.")
    # The clip on the left, the two sliders and the buttons on the right: four in a row left each
    # slider too narrow for its label and its note.
    with gr.Row():
        with gr.Column(scale=1):
            example = gr.Dropdown(CLIPS, value=SHIPPED_CLIP, label="Example clip")
            upload = gr.File(label="…or upload a clip", type="filepath", height=120)
        with gr.Column(scale=2):
            bpp = gr.Slider(0.05, 1.0, value=0.2, step=0.05, label="Size (bits per pixel)", elem_id="codec-bpp",
                            info="of the whole file: 0.2 bpp of 100 frames of 160×90 is 36 KB")
            seconds = gr.Slider(10, 300, value=60, step=5, label="Encode budget (seconds)", elem_id="codec-seconds",
                                info="how long the encoder trains; the file is written at the end, or at Stop")
            with gr.Row():
                go = gr.Button("Encode", variant="primary", elem_id="codec-go")
                stop = gr.Button("Stop (write the file so far)", variant="stop", elem_id="codec-stop")
    status = gr.Markdown("Loading the shipped file…", elem_id="codec-status")
    plot = gr.Plot(label="Quality per byte", elem_id="codec-chart")
    table = gr.Markdown(elem_id="codec-table", elem_classes=FIGURES)
    frame = gr.Slider(0, 1, value=0, step=1, label="Frame", elem_id="codec-frame")
    with gr.Row():
        ours = gr.Image(label=f"{OURS}, decoded from the .inr file", interactive=False, elem_id="codec-ours",
                        elem_classes=PIXELATED)
        theirs = gr.Image(label=f"{NAMES[PICTURE]} at the same size", interactive=False, elem_id="codec-x264",
                          elem_classes=PIXELATED)
    note = gr.Markdown(elem_id="codec-note")
    files = gr.File(label="Downloads: the .inr file and what it decodes to (MP4)", file_count="multiple",
                    elem_id="codec-files")
    with gr.Accordion("Open an .inr file (either kind): its frames, size and PSNR", open=False):
        compress_open.build_section(session, example, upload)
    with gr.Accordion("Latent-INR: per-frame latents (frame search, latent interpolation)", open=False):
        compress_latent.build_section(session)

    picture_outputs = {"ours": ours, "theirs": theirs, "note": note}
    outputs = {"status": status, "chart": plot, "table": table, "frame": frame, **picture_outputs, "files": files,
               "session": session}
    go.click(inputs=[session, example, upload, bpp, seconds], **keyed(on_encode, outputs), api_name="codec",
             **FIT_QUEUE)
    stop.click(on_stop, [session], [session], queue=False, api_name="codec_stop")
    frame.change(inputs=[session, frame], **keyed(on_frame, picture_outputs), show_progress="hidden",
                 api_name="codec_frame")
    return CompressTab({**keyed(on_load, outputs), "inputs": [session]})
