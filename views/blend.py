"""The "Blend" tab: several clips in one model, each with a learned latent code; α blends two codes.
Works at first launch from the shipped ``checkpoints/blend.safetensors``.
"""

from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np

from inr import api
from views.common import (CHECKPOINTS, DISPLAY_SCALE, EXAMPLES, FIT_QUEUE, PIXELATED, SMALL_CAPS, Session, ensure,
                          example_path, friendly, shown)

# While α is dragged the preview is drawn at the clip's own size (a ninth of the pixels of
# DISPLAY_SCALE): the page answers within a fraction of a second; release draws it full size.
DRAG_SCALE = 1


def _choices(run: api.Run) -> list[tuple[str, int]]:
    return [(f"{i}: {c.name}", i) for i, c in enumerate(run.clips)]


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
            yield (f"fitting {len(clips)} clips in one model: step {rec.step}, {rec.seconds:.1f} s, "
                   f"{rec.train_psnr:.2f} dB on training pixels", gr.skip(), gr.skip(), session)
    choices = _choices(run)
    yield (f"{len(clips)} clips in one model: {api.summary(run)['train_psnr']:.2f} dB on training pixels",
           gr.Dropdown(choices=choices, value=0), gr.Dropdown(choices=choices, value=1), session)


def load_pretrained(session: Session):
    """Page load: the shipped blend, unless a blend was fitted while the page loaded."""
    session = ensure(session)
    path = CHECKPOINTS / "blend.safetensors"
    if not path.is_file():
        return "No pretrained blend ships: tick two examples and press **Fit blend**.", gr.skip(), gr.skip()
    if session.blend is not None and session.restored:  # a reload: the blend it had
        choices = _choices(session.blend)
        return (f"Found again after the reload: the blend of {len(choices)} clips.",
                gr.Dropdown(choices=choices, value=0), gr.Dropdown(choices=choices, value=1))
    if session.blend is not None:  # keep it
        return (gr.skip(),) * 3
    session.blend = api.load(path)
    choices = _choices(session.blend)
    return (f"Pretrained blend of {len(choices)} clips loaded.", gr.Dropdown(choices=choices, value=0),
            gr.Dropdown(choices=choices, value=1))


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
        return None, None, gr.skip()
    frames, _, fps = api.render(session.blend, clip=int(a), mix_with=int(b), mix=float(alpha),
                                spatial_scale=DISPLAY_SCALE)
    gif = api.export(session.path(f"blend_{int(a)}_{int(b)}_{alpha:.2f}.gif"), np.stack(list(frames)), fps)
    return str(gif), str(gif), shown()


def on_blend_still(session: Session, a, b, alpha):
    """The preview at full size: once α is released, or a new pair is picked."""
    return on_blend_preview(session, a, b, alpha, DISPLAY_SCALE)


# ---------------------------------------------------------------- layout and wiring

@dataclass
class BlendTab:
    pretrained_outputs: list  # what load_pretrained fills


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

    go.click(on_blend_fit, [session, examples, uploads, seconds], [status, clip_a, clip_b, session], api_name="blend",
             **FIT_QUEUE)
    blend = [session, clip_a, clip_b, alpha]
    alpha.change(on_blend_preview, blend, [preview], show_progress="hidden", trigger_mode="always_last",
                 api_name="blend_preview")
    gr.on([clip_a.change, clip_b.change], on_blend_still, blend, [preview], show_progress="hidden",
          trigger_mode="always_last", api_visibility="private")  # a new pair: at full size at once
    alpha.release(on_blend_still, blend, [preview], show_progress="hidden", api_visibility="private").then(
        on_blend_render, blend, [gif, file, rendered], api_name="blend_render")
    return BlendTab([status, clip_a, clip_b])
