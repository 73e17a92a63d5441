"""The "Latent space" view (INR-V): interpolate between clips, sample new ones, invert and inpaint.

Works at first launch from the shipped meta-network ``checkpoints/space.safetensors`` (made by
``scripts/make_space.py``); "Train a new space" replaces it for this session only.
"""

from pathlib import Path

import gradio as gr
import plotly.graph_objects as go

from inr import api
from views.common import ASSETS, CHECKPOINTS, FIT_QUEUE, PIXELATED, Session, ensure, friendly, keyed, reveal

SHIPPED = CHECKPOINTS / "space.safetensors"
SCALE = 3  # the space's clips are 48x36: the INR renders them 3x larger; ground truth is enlarged by pixel repeat
UI_SECONDS = 0.5  # at most two live updates a second while inverting
# (file in assets/, first frame, stride): which windows are in the shipped space's training set is
# said in the label, so an inversion score is read for what it is.
WINDOWS = {
    "office_plant.mp4 · frames 20–35 (held out of training)": ("office_plant.mp4", 20, 1),
    "carphone.gif · frames 0–15 (in training)": ("carphone.gif", 0, 1),
    "carphone.gif · frames 8–23 (overlaps training)": ("carphone.gif", 8, 1),
    "jelly_small.mp4 · frames 0–30, every 2nd (in training, from the 160×90 copy)": ("jelly_small.mp4", 0, 2),
}
DEFAULT_WINDOW = next(iter(WINDOWS))
TRAIN_EXAMPLES = ["jelly_small.mp4", "office_plant.mp4", "carphone.gif"]
# The clip size of a new space, (T, H, W): the default is what two CPU cores train in a minute or
# two; the larger ones need several times that (the same number of steps costs 2.25x and 2x the time).
_T, _H, _W = api.inr_v.HyperConfig().shape
CLIP_SIZES = {f"{_T} frames at {_W}×{_H} (default)": (_T, _H, _W),
              f"{_T} frames at {_W * 3 // 2}×{_H * 3 // 2}": (_T, _H * 3 // 2, _W * 3 // 2),
              f"{_T * 2} frames at {_W}×{_H}": (_T * 2, _H, _W)}
DEFAULT_SIZE = next(iter(CLIP_SIZES))


# ---------------------------------------------------------------- state

def _state(session: Session) -> dict:
    return session.views.setdefault("space", {})


def space_of(session: Session) -> api.inr_v.Space:
    """This session's space: the shipped one until the user trains another."""
    state = _state(session)
    if state.get("space") is None:
        if not SHIPPED.is_file():
            raise ValueError(f"no pretrained space ships ({SHIPPED.name} is missing): run "
                             "python scripts/make_space.py, or train one below")
        state["space"] = api.inr_v.load(SHIPPED)
    return state["space"]


def _shape(session) -> tuple[int, int, int]:
    """(T, H, W) of the session's space: the shipped space's (the default) until the session trains another."""
    space = _state(session).get("space") if isinstance(session, Session) else None
    return space.cfg.shape if space is not None else api.inr_v.HyperConfig().shape


def box_sliders(shape: tuple[int, int, int]) -> dict:
    """The inpainting box's six sliders (t0, t1, y0, y1, x0, x1) for a space of (T, H, W): its whole range,
    the box at the same share of it as for the shipped space."""
    t, h, w = shape
    return {"t0": gr.Slider(minimum=0, maximum=t - 1, value=0), "t1": gr.Slider(minimum=1, maximum=t, value=t),
            "y0": gr.Slider(minimum=0, maximum=h - 1, value=h // 4),
            "y1": gr.Slider(minimum=1, maximum=h, value=3 * h // 4),
            "x0": gr.Slider(minimum=0, maximum=w - 1, value=w // 3),
            "x1": gr.Slider(minimum=1, maximum=w, value=2 * w // 3)}


def _choices(space: api.inr_v.Space) -> list[tuple[str, int]]:
    return [(f"{i}: {name}", i) for i, name in enumerate(space.names())]


def describe(space: api.inr_v.Space, origin: str) -> str:
    s = api.inr_v.summary(space)
    t, h, w = space.cfg.shape
    psnr = "–" if s.get("train_psnr") is None else f"{s['train_psnr']:.2f} dB"
    return (f"**{origin}**: {len(space.clips)} clips of {t} frames at {w}×{h}, one {space.cfg.latent_dim}-number "
            f"code each; meta-network of {space.params:,} parameters ({space.params * 4 / 1e6:.1f} MB). "
            f"Reconstruction of the training clips: **{psnr}** on training pixels ({s.get('scored_on', '–')}), "
            f"after {s.get('steps', 0)} steps.")


def _initial() -> tuple[str, list]:
    """Status text and clip choices of the shipped space, read once when the page is built."""
    try:
        space = api.inr_v.load(SHIPPED)
    except ValueError as err:
        return f"No pretrained space: {err}. Train one below.", []
    return describe(space, "Pretrained space"), _choices(space)


def _index(value, space: api.inr_v.Space) -> int:
    if value is None or value == "":
        raise ValueError("pick two clips first")
    index = int(value)
    if not 0 <= index < len(space.clips):
        raise ValueError(f"clip must be in 0..{len(space.clips) - 1}, got {value!r}")
    return index


# ---------------------------------------------------------------- interpolate and sample

@friendly
def on_interp_preview(session, a, b, alpha):
    """The middle frame at α, rendered at SCALE: fast enough to follow the slider."""
    session = ensure(session)
    space = space_of(session)
    return api.inr_v.interpolate_frame(space, _index(a, space), _index(b, space), float(alpha), scale=SCALE)


@friendly
def on_interp_render(session, a, b, alpha):
    session = ensure(session)
    space = space_of(session)
    a, b = _index(a, space), _index(b, space)
    frames = api.inr_v.interpolate(space, a, b, float(alpha), scale=SCALE)
    gif = api.export(session.path(f"space_{a}_{b}_{float(alpha):.2f}.gif"), frames, api.inr_v.GIF_FPS)
    return {"gif": str(gif), "file": str(gif)}


@friendly
def on_sample(session, seed):
    session = ensure(session)
    space = space_of(session)
    if seed is None or float(seed) != int(float(seed)):
        raise ValueError(f"seed must be a whole number, got {seed!r}")
    seed = int(float(seed))
    frames = api.inr_v.sample(space, seed, scale=SCALE)
    gif = api.export(session.path(f"space_sample_{seed}.gif"), frames, api.inr_v.GIF_FPS)
    note = (f"Seed {seed}: a code drawn from a Gaussian fitted to the {len(space.clips)} learned codes (their mean "
            f"and covariance, shrunk towards its diagonal), rendered at {SCALE}×. The same seed gives the same clip.")
    return {"gif": str(gif), "file": str(gif), "note": note}


# ---------------------------------------------------------------- invert and inpaint

def _source(session, example, upload, start, stride) -> api.Clip:
    """The clip to invert, conformed to the session's space's size: an upload, else the chosen example window."""
    shape = _shape(session)
    if upload:
        clip = api.load_clips([upload], max_frames=0, max_size=0, device="cpu")[0]
        return api.inr_v.conform(clip, shape, int(start or 0), int(stride or 1))
    if example not in WINDOWS:
        raise ValueError(f"unknown example {example!r}; choose one of the list or upload a clip")
    name, first, step = WINDOWS[example]
    clip = api.load_clips([ASSETS / name], max_frames=0, max_size=api.inr_v.decode_size(shape), device="cpu")[0]
    return api.inr_v.conform(clip, shape, first, step)


def _box(t0, t1, y0, y1, x0, x1) -> tuple[int, ...]:
    return tuple(int(v) for v in (t0, t1, y0, y1, x0, x1))


@friendly
def on_box_preview(session, example, upload, start, stride, t0, t1, y0, y1, x0, x1):
    """The first hidden frame of the clip with the box painted grey, enlarged: where the box is."""
    clip = _source(session, example, upload, start, stride)
    box = _box(t0, t1, y0, y1, x0, x1)
    mask = api.inr_v.box_mask(clip.shape, box).numpy()
    frame = api.inr_v.show_mask(clip.frames, mask)[box[0]]
    return frame.repeat(SCALE, 0).repeat(SCALE, 1)


def curve_figure(inv: api.inr_v.Inversion, summary: dict | None) -> go.Figure:
    """PSNR against time: visible pixels (and masked ones when inpainting), with the baselines."""
    fig = go.Figure()
    seconds = [r.seconds for r in inv.history]
    fig.add_trace(go.Scatter(x=seconds, y=[r.train_psnr for r in inv.history], name="visible pixels (fitted)"))
    if inv.masked:
        fig.add_trace(go.Scatter(x=seconds, y=[r.heldout_psnr for r in inv.history], name="masked pixels (inpainted)"))
    if inv.history:
        first = inv.history[0]
        fig.add_hline(y=first.train_psnr, line_dash="dot", annotation_text="mean latent, visible pixels")
    if summary and inv.masked:
        fig.add_hline(y=summary["fill_masked_psnr"], line_dash="dash", line_color="firebrick",
                      annotation_text="simple fill, masked pixels")
    fig.update_layout(height=260, xaxis_title="seconds", yaxis_title="PSNR (dB)", legend={"orientation": "h"},
                      margin={"l": 40, "r": 10, "t": 20, "b": 30})
    return fig


def result_text(summary: dict) -> str:
    if "masked_psnr" in summary:
        return (f"**{summary['clip']}** · {summary['steps']} steps in {summary['seconds']:.1f} s\n\n"
                f"**Masked pixels** ({summary['masked_pixels']:,}): inpainted **{summary['masked_psnr']:.2f} dB** · "
                f"simple fill (temporal median of the visible pixels, else the nearest visible location) "
                f"**{summary['fill_masked_psnr']:.2f} dB** · mean latent {summary['mean_latent_masked_psnr']:.2f} dB\n\n"
                f"**Visible pixels** (the ones fitted): {summary['visible_psnr']:.2f} dB")
    return (f"**{summary['clip']}** · {summary['steps']} steps in {summary['seconds']:.1f} s\n\n"
            f"**Every pixel of the clip**: inversion **{summary['psnr']:.2f} dB** · mean latent (the start, no "
            f"fitting) {summary['mean_latent_psnr']:.2f} dB")


def _invert(session, clip: api.Clip, seconds, box=None):
    space = space_of(session)
    inv = api.inr_v.new_inversion(space, clip, box)
    _state(session)["inversion"] = inv
    cfg = api.inr_v.InvertConfig(seconds=float(seconds))
    shown = -1.0
    for rec in api.inr_v.invert(space, inv, cfg):
        if not rec.final and rec.seconds - shown >= UI_SECONDS:
            shown = rec.seconds
            masked = f" · masked pixels {rec.heldout_psnr:.2f} dB" if rec.heldout_psnr is not None else ""
            yield {"text": f"inverting {clip.name}: step {rec.step}, {rec.seconds:.1f} s · visible pixels "
                           f"{rec.train_psnr:.2f} dB{masked}", "plot": curve_figure(inv, None)}
    summary = api.inr_v.inversion_summary(space, inv)
    stem = "space_inpaint" if inv.masked else "space_invert"
    gif = api.export(session.path(f"{stem}.gif"), api.inr_v.inversion_panel(space, inv, scale=SCALE), api.inr_v.GIF_FPS)
    yield {"text": result_text(summary), "plot": curve_figure(inv, summary), "gif": str(gif), "file": str(gif)}


@friendly
def on_invert(session, example, upload, start, stride, seconds):
    session = ensure(session)
    clip = _source(session, example, upload, start, stride)
    yield from _invert(session, clip, seconds)


@friendly
def on_inpaint(session, example, upload, start, stride, seconds, t0, t1, y0, y1, x0, x1):
    session = ensure(session)
    clip = _source(session, example, upload, start, stride)
    yield from _invert(session, clip, seconds, _box(t0, t1, y0, y1, x0, x1))


# ---------------------------------------------------------------- train a new space

@friendly
def on_train(session, examples, uploads, seconds, size=DEFAULT_SIZE):
    session = ensure(session)
    paths = [ASSETS / e for e in (examples or []) if e in TRAIN_EXAMPLES] + [Path(u) for u in (uploads or [])]
    if not paths:
        raise ValueError("tick examples or upload clips to train a space on")
    if size not in CLIP_SIZES:
        raise ValueError(f"unknown clip size {size!r}; choose one of: {', '.join(CLIP_SIZES)}")
    shape = CLIP_SIZES[size]
    sources = api.load_clips(paths, max_frames=0, max_size=api.inr_v.decode_size(shape), device="cpu")
    clips = [w for c in sources for w in api.inr_v.windows(c, shape)]
    space = api.inr_v.new(clips)
    cfg = api.inr_v.TrainConfig(seconds=float(seconds))
    for rec in api.inr_v.train(space, cfg):
        if not rec.final:
            yield {"status": f"training a space of {len(clips)} clips of {shape[0]} frames at {shape[2]}×{shape[1]} "
                             f"({len(sources)} sources, 3 windows each and their mirrors): step {rec.step}, "
                             f"{rec.seconds:.1f} s, {rec.train_psnr:.2f} dB on training pixels (middle frames)"}
    _state(session)["space"] = space
    api.inr_v.save(space, session.path("space.safetensors"))
    choices = _choices(space)
    yield {"status": describe(space, "Your space (this session)"), "clip_a": gr.Dropdown(choices=choices, value=0),
           "clip_b": gr.Dropdown(choices=choices, value=1), "file": str(session.path("space.safetensors")),
           **box_sliders(space.cfg.shape)}


# ---------------------------------------------------------------- layout and wiring

def build_tab(session: gr.State) -> None:
    status_text, choices = _initial()
    t, h, w = api.inr_v.HyperConfig().shape
    gr.Markdown("A continuous space of clips (INR-V): a hypernetwork turns a short code into the weights of a "
                f"small INR, one code per training clip (the shipped space: {t} frames at {w}×{h}, windows and "
                "mirrors of the example clips; a space you train below may be larger). Every PSNR names its pixels.")
    status = gr.Markdown(status_text, elem_id="space-status")
    with gr.Accordion("Interpolate between two clips", open=True):
        with gr.Row():
            clip_a = gr.Dropdown(choices, value=choices[0][1] if choices else None, label="Clip A (α = 0)")
            clip_b = gr.Dropdown(choices, value=choices[min(2, len(choices) - 1)][1] if choices else None,
                                 label="Clip B (α = 1)")
        alpha = gr.Slider(0, 1, value=0.5, step=0.01, label="α", elem_id="space-alpha")
        with gr.Row():
            first = on_interp_preview(None, clip_a.value, clip_b.value, alpha.value) if choices else None
            preview = gr.Image(first, label="Middle frame (while dragging)", interactive=False, elem_classes=PIXELATED)
            # Panels show once they have something (see `reveal`).
            with gr.Column(visible=False) as interp_box:
                interp_gif = gr.Image(label="Clip at α (on release)", interactive=False, type="filepath",
                                      elem_classes=PIXELATED)
                interp_file = gr.File(label="Download GIF")
    with gr.Accordion("Sample a new clip", open=True):
        with gr.Row():
            seed = gr.Number(0, label="Seed", precision=0)
            sample_go = gr.Button("Sample", variant="primary")
        sample_text = gr.Markdown()
        with gr.Row(visible=False) as sample_box:
            sample_gif = gr.Image(label="Sampled clip", interactive=False, type="filepath", elem_classes=PIXELATED)
            sample_file = gr.File(label="Download GIF")
    with gr.Accordion("Invert or inpaint a clip", open=True):
        gr.Markdown("**Invert**: the meta-network stays frozen and only a code is fitted to the clip. **Inpaint**: "
                    "the same, on the pixels outside a box; the render fills the box and is scored there against a "
                    "simple fill. Box coordinates are frames and pixels of the space's size, ends exclusive.")
        with gr.Row():
            example = gr.Dropdown(list(WINDOWS), value=DEFAULT_WINDOW, label="Example window")
            upload = gr.File(label="…or upload a clip", type="filepath")
            start = gr.Number(0, label="Upload: first frame", precision=0)
            stride = gr.Number(1, label="Upload: every Nth frame", precision=0)
            seconds = gr.Slider(1, 60, value=8, step=1, label="Seconds to invert")
        with gr.Row():
            t0 = gr.Slider(0, t - 1, value=0, step=1, label="box t0")
            t1 = gr.Slider(1, t, value=t, step=1, label="box t1")
            y0 = gr.Slider(0, h - 1, value=h // 4, step=1, label="box y0")
            y1 = gr.Slider(1, h, value=3 * h // 4, step=1, label="box y1")
            x0 = gr.Slider(0, w - 1, value=w // 3, step=1, label="box x0")
            x1 = gr.Slider(1, w, value=2 * w // 3, step=1, label="box x1")
        with gr.Row():
            shown = on_box_preview(None, DEFAULT_WINDOW, None, 0, 1, *(s.value for s in (t0, t1, y0, y1, x0, x1)))
            box_view = gr.Image(shown, label="Box (grey)", interactive=False, elem_classes=PIXELATED)
            with gr.Column():
                invert_go = gr.Button("Invert", variant="primary")
                inpaint_go = gr.Button("Inpaint the box", variant="primary")
        inv_text = gr.Markdown(elem_id="space-inversion")
        with gr.Column(visible=False) as inv_box:
            inv_plot = gr.Plot(label="PSNR against time")
            # Full width: two or three clips side by side.
            inv_gif = gr.Image(label="Clip | inversion  (inpaint: box greyed | simple fill | inpainted)",
                               interactive=False, type="filepath", elem_classes=PIXELATED)
            inv_file = gr.File(label="Download GIF")
    with gr.Accordion("Train a new space (this session)", open=False):
        with gr.Row():
            train_examples = gr.CheckboxGroup(TRAIN_EXAMPLES, value=TRAIN_EXAMPLES, label="Examples")
            train_uploads = gr.File(label="…and/or uploads", file_count="multiple", type="filepath")
            with gr.Column():
                train_size = gr.Radio(list(CLIP_SIZES), value=DEFAULT_SIZE, label="Clip size of the space")
                train_seconds = gr.Slider(10, 600, value=60, step=10, label="Seconds to train")
        train_go = gr.Button("Train space")
        with gr.Column(visible=False) as train_box:
            train_file = gr.File(label="Download the space checkpoint")

    interp = [session, clip_a, clip_b, alpha]
    rendered = {**keyed(on_interp_render, {"gif": interp_gif, "file": interp_file}), "inputs": interp}
    alpha.change(on_interp_preview, interp, [preview], show_progress="hidden", trigger_mode="always_last",
                 api_name="space_preview")
    reveal(alpha.release(**rendered, api_name="space_interpolate"), interp_box)
    for dropdown in (clip_a, clip_b):  # the same two steps as above, for the page only
        reveal(dropdown.change(on_interp_preview, interp, [preview], api_visibility="private").then(
            **rendered, api_visibility="private"), interp_box)
    reveal(sample_go.click(inputs=[session, seed], **keyed(on_sample, {
        "gif": sample_gif, "file": sample_file, "note": sample_text}), api_name="space_sample"), sample_box)
    source = [example, upload, start, stride]
    box = [t0, t1, y0, y1, x0, x1]
    gr.on([c.change for c in (example, upload, *box)], on_box_preview, [session, *source, *box], [box_view],
          show_progress="hidden", trigger_mode="always_last", api_name="space_box_preview")
    outputs = {"text": inv_text, "plot": inv_plot, "gif": inv_gif, "file": inv_file}
    # The inversion's panels show as it starts: its curve grows live.
    reveal(invert_go.click, inv_box).then(inputs=[session, *source, seconds], **keyed(on_invert, outputs),
                                         api_name="space_invert", **FIT_QUEUE)
    reveal(inpaint_go.click, inv_box).then(inputs=[session, *source, seconds, *box], **keyed(on_inpaint, outputs),
                                          api_name="space_inpaint", **FIT_QUEUE)
    trained = {"status": status, "clip_a": clip_a, "clip_b": clip_b, "file": train_file,
               "t0": t0, "t1": t1, "y0": y0, "y1": y1, "x0": x0, "x1": x1}
    reveal(train_go.click(inputs=[session, train_examples, train_uploads, train_seconds, train_size],
                          **keyed(on_train, trained), api_name="space_train", **FIT_QUEUE), train_box)
