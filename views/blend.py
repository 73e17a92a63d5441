"""The "Blend" tab: several clips in one model, each with a learned latent code; α blends two codes.
Works at first launch from the shipped ``checkpoints/blend.safetensors``.
"""

from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np

from inr import api
from views.common import (CHECKPOINTS, DISPLAY_SCALE, EXAMPLES, FIT_QUEUE, PIXELATED, SMALL_CAPS, Session, ensure,
                          example_path, friendly, keyed, shown)

# While α is dragged the preview is drawn at the clip's own size (a ninth of the pixels of
# DISPLAY_SCALE): the page answers within a fraction of a second; release draws it full size.
DRAG_SCALE = 1


def _choices(run: api.Run) -> list[tuple[str, int]]:
    return [(f"{i}: {c.name}", i) for i, c in enumerate(run.clips)]


def _pair(run: api.Run, status: str) -> dict:
    """The status line and the two clip pickers, offering the blend's clips as A (the first) and B
    (the second)."""
    choices = _choices(run)
    return {"status": status, "clip_a": gr.Dropdown(choices=choices, value=0),
            "clip_b": gr.Dropdown(choices=choices, value=1)}


def _ready(session, a, b) -> bool:
    return isinstance(session, Session) and session.blend is not None and a is not None and b is not None


# ---------------------------------------------------------------- handlers

@friendly
def on_blend_fit(session: Session, examples, uploads, seconds):
    """Fit the chosen clips (at least two) in one model, streaming progress; then offer them as A and B."""
    session = ensure(session)
    paths = [example_path(e) for e in (examples or [])] + [Path(u) for u in (uploads or [])]
    if len(paths) < 2:
        raise ValueError("a blend needs at least two clips or images: tick examples or upload files")
    clips = api.load_clips(paths, **SMALL_CAPS)
    clips = api.common_size(clips)
    run = api.prepare(clips, arch="fourier", sigma=10.0, holdout="none", seconds=float(seconds))
    session.blend = run
    for rec in api.fit(run):
        if not rec.final:
            yield {"status": f"fitting {len(clips)} clips in one model: step {rec.step}, {rec.seconds:.1f} s, "
                             f"{rec.train_psnr:.2f} dB on training pixels", "session": session}
    yield {**_pair(run, f"{len(clips)} clips in one model: {api.summary(run, sizes=False)['train_psnr']:.2f} dB on training pixels"),
           "session": session}


def load_pretrained(session: Session):
    """Page load: the shipped blend, unless a blend was fitted while the page loaded."""
    session = ensure(session)
    path = CHECKPOINTS / "blend.safetensors"
    if not path.is_file():
        return {"status": "No pretrained blend ships: tick two examples and press **Fit blend**."}
    if session.blend is not None and session.restored:  # a reload: the blend it had
        return _pair(session.blend, f"Found again after the reload: the blend of {len(session.blend.clips)} clips.")
    if session.blend is not None:  # keep it
        return {}
    session.blend = api.load(path)
    return _pair(session.blend, f"Pretrained blend of {len(session.blend.clips)} clips loaded.")


@friendly
def on_blend_preview(session: Session, a, b, alpha, scale: int = DRAG_SCALE):
    """The middle frame of clip `a` blended towards clip `b` by α, rendered at `scale` times its size."""
    if not _ready(session, a, b):
        return None
    info = session.blend.clips[int(a)]
    size = (info.height * scale, info.width * scale)
    return api.predict_frame(session.blend, info.frames // 2, clip=int(a), mix_with=int(b), mix=float(alpha), size=size)


@friendly
def on_blend_render(session: Session, a, b, alpha):
    """The whole blended clip as a GIF (shown, and offered for download), and its box shown."""
    if not _ready(session, a, b):
        return {"gif": None, "file": None}
    frames, _, fps = api.render(session.blend, clip=int(a), mix_with=int(b), mix=float(alpha),
                                spatial_scale=DISPLAY_SCALE)
    gif = api.export(session.path(f"blend_{int(a)}_{int(b)}_{alpha:.2f}.gif"), np.stack(list(frames)), fps)
    return {"gif": str(gif), "file": str(gif), "rendered": shown()}


def on_blend_still(session: Session, a, b, alpha):
    """The preview at full size: once α is released, or a new pair is picked."""
    return on_blend_preview(session, a, b, alpha, DISPLAY_SCALE)


# ---------------------------------------------------------------- layout and wiring

@dataclass
class BlendTab:
    pretrained: dict  # the page load's step (fn, inputs, outputs): the shipped blend, `.then(**tab.pretrained)`


def build_tab(session: gr.State) -> BlendTab:
    gr.Markdown("Several clips in one model, each with a learned latent code; α blends two codes.")
    with gr.Row():
        examples = gr.CheckboxGroup(EXAMPLES, label="Examples to blend")
        uploads = gr.File(label="…and/or uploads", file_count="multiple", type="filepath")
        seconds = gr.Slider(5, 300, value=30, step=1, label="Seconds to train")
    go = gr.Button("Fit blend", variant="primary")
    status = gr.Markdown()
    with gr.Row():
        clip_a = gr.Dropdown([], label="Clip A (α = 0)")
        clip_b = gr.Dropdown([], label="Clip B (α = 1)")
    alpha = gr.Slider(0, 1, value=0.5, step=0.01, label="α", elem_id="blend-alpha")
    with gr.Row():
        preview = gr.Image(label="Middle frame (coarse while α moves)", interactive=False, elem_id="blend-preview",
                           elem_classes=PIXELATED)
        with gr.Column(visible=False) as rendered:  # once α is released
            gif = gr.Image(label="Blend, every frame", interactive=False, type="filepath", elem_id="blend-gif",
                           elem_classes=PIXELATED)
            file = gr.File(label="Download GIF")

    pair = {"status": status, "clip_a": clip_a, "clip_b": clip_b}
    go.click(inputs=[session, examples, uploads, seconds], **keyed(on_blend_fit, {**pair, "session": session}),
             api_name="blend", **FIT_QUEUE)
    blend = [session, clip_a, clip_b, alpha]
    alpha.change(on_blend_preview, blend, [preview], show_progress="hidden", trigger_mode="always_last",
                 api_name="blend_preview")
    gr.on([clip_a.change, clip_b.change], on_blend_still, blend, [preview], show_progress="hidden",
          trigger_mode="always_last", api_visibility="private")  # a new pair: at full size at once
    alpha.release(on_blend_still, blend, [preview], show_progress="hidden", api_visibility="private").then(
        inputs=blend, **keyed(on_blend_render, {"gif": gif, "file": file, "rendered": rendered}),
        api_name="blend_render")
    return BlendTab({**keyed(load_pretrained, pair), "inputs": [session]})
