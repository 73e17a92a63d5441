"""The "Render" tab: render the Fit tab's model at any size and frame rate, beside classical
upscaling if asked; and check super-resolution against the original (degrade, fit, compare).
"""

import functools
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np

from inr import api
from views.common import ASSETS, FIT_CONCURRENCY, FIT_QUEUE, PIXELATED, Session, friendly

SR_TEMPORAL_PRIOR = 1.0  # weight of the temporal-consistency prior when the check turns it on
# Examples made from another shipped clip: (the original, every n-th of its frames kept). Renders
# of them at the original's size and rate are scored against it.
ORIGINALS = {"jelly_every4.mp4": ("jelly_small.mp4", 4)}


# ---------------------------------------------------------------- helpers

def _custom(value) -> int | None:
    return int(value) if value not in (None, "") and int(value) > 0 else None


def _render_args(spatial, temporal, width, height, frames) -> dict:
    return dict(spatial_scale=float(spatial), temporal_scale=float(temporal), width=_custom(width),
                height=_custom(height), frames=_custom(frames))


def _need_model(session) -> api.Run:
    if not isinstance(session, Session) or session.run is None:
        raise ValueError("no model yet: fit a clip or load a checkpoint in the Fit tab")
    return session.run


def _between(inputs: int, outputs: int) -> int:
    """The output frame nearest the middle of the clip that falls between two input frames, if any."""
    if inputs < 2 or outputs < 2:
        return outputs // 2
    position = (inputs - 1) // 2 + 0.5  # in input frames: halfway between the two middle frames
    return round(position * (outputs - 1) / (inputs - 1))


@functools.lru_cache(maxsize=2)
def _original_frames(name: str) -> np.ndarray:
    return api.load_clips([ASSETS / name], max_frames=0, max_size=0, device="cpu")[0].frames


def _original(session: Session, shape: tuple[int, int, int]) -> np.ndarray | None:
    """uint8 (T, H, W, 3): the true frames of a render of this shape, when the clip is an example
    made from a shipped original and the render asks for the original's size and rate."""
    known = ORIGINALS.get(session.name)
    run = session.run
    if known is None or run.frames is None:
        return None
    name, every = known
    original = _original_frames(name)
    original = original[: (run.clips[0].frames - 1) * every + 1]
    kept = original[::every]
    if original.shape[:3] != tuple(shape) or kept.shape != run.frames[0].shape or \
            np.abs(kept.astype(np.int16) - run.frames[0]).mean() > 4:  # not that example after all
        return None
    return original


# ---------------------------------------------------------------- handlers

def render_source(session: Session) -> str:
    """Which model the tab renders: the Fit tab's."""
    if not isinstance(session, Session) or session.run is None:
        return "No model yet: fit a clip or load a checkpoint in the Fit tab."
    info = session.run.clips[0]
    return (f"Rendering **{session.name}** (`{session.run.arch}`, fitted at {info.frames} frames of "
            f"{info.width}×{info.height}, {info.fps:.3g} fps).")


@friendly
def on_render_preview(session: Session, spatial, temporal, width, height, frames, compare=False):
    """One frame of the render these settings ask for (beside classical upscaling if `compare`)."""
    run = _need_model(session)
    shape = api.output_size(run, **_render_args(spatial, temporal, width, height, frames))
    t, h, w = shape
    fps = api.output_fps(run, t)
    info = f"output: {t} frames of {w}×{h} at {fps:.3g} fps"
    if not compare:
        mid = api.predict_frame(run, run.clips[0].frames // 2, size=(h, w))
        return mid, f"{info} (preview: the middle frame)"
    k = _between(run.clips[0].frames, t)
    ours = api.render_frame(run, shape, k)
    name, theirs = api.superres.classical_preview(run, shape, k)
    info += f" · preview of frame {k}: **INR** | **{name}** of the clip | difference ×{api.ERROR_GAIN}"
    original = _original(session, shape)
    if original is not None:
        info += (f" · against the original frame {k} ({ORIGINALS[session.name][0]}, never seen by either): "
                 f"INR {api.uint8_psnr(ours, original[k]):.2f} dB, {name} {api.uint8_psnr(theirs, original[k]):.2f} dB PSNR")
    return api.side_by_side([ours, theirs, api.error_map(ours, theirs)]), info


@friendly
def on_render(session: Session, spatial, temporal, width, height, frames, compare=False, progress=gr.Progress()):
    """Render every frame; returns (video, [GIF, MP4 (, INR | classical MP4)], info)."""
    run = _need_model(session)
    frames_iter, shape, fps = api.render(run, **_render_args(spatial, temporal, width, height, frames))
    stem = f"{Path(session.name).stem or 'render'}_{shape[2]}x{shape[1]}x{shape[0]}"
    # The render is held in memory and also written as a GIF: the GIF limit bounds both, checked
    # before any frame is rendered.
    api.check_export_size(session.path(f"{stem}.gif"), shape)
    rendered = np.stack(list(progress.tqdm(frames_iter, total=shape[0], desc="rendering")))
    gif = api.export(session.path(f"{stem}.gif"), rendered, fps)
    mp4 = api.export(session.path(f"{stem}.mp4"), rendered, fps)
    info = f"rendered {shape[0]} frames of {shape[2]}×{shape[1]} at {fps:.3g} fps"
    if not compare:
        return str(mp4), [str(gif), str(mp4)], info
    classical = api.superres.classical_render(run, shape)
    both = api.side_by_side([rendered, classical])
    pair = api.export(session.path(f"{stem}_inr_vs_classical.mp4"), both, fps)
    original = _original(session, shape)
    if original is not None:
        name = api.superres.classical_preview(run, shape, 0)[0]
        info += (f" · against the original {ORIGINALS[session.name][0]} (every frame, never seen by either): "
                 f"INR {api.uint8_psnr(rendered, original):.2f} dB, {name} {api.uint8_psnr(classical, original):.2f} dB PSNR")
    return str(pair), [str(gif), str(mp4), str(pair)], info


@friendly
def on_sr_check(session: Session, space, time, seconds, temporal_prior, progress=gr.Progress()):
    """Degrade the Fit tab's clip, fit an INR to the small version, compare with classical upscaling."""
    run = _need_model(session)
    if run.frames is None:
        raise ValueError("the check needs the original clip: fit one in the Fit tab or load an example")
    clip = api.Clip(run.frames[0], run.clips[0].fps, Path(session.name).stem, ())
    progress(0, desc=f"fitting the {space:g}x smaller, {int(time)}x slower clip for {seconds:g} s")
    result = api.superres.evaluate(clip, float(space), int(time), seconds=float(seconds),
                                   temporal=SR_TEMPORAL_PRIOR if temporal_prior else 0.0)
    r = result.row
    k = _between(r["input"][0], r["output"][0])
    panels = [result.target[k], result.inr[k], result.classical[k]]
    table = (f"Input: {r['input'][0]} frames of {r['input'][2]}×{r['input'][1]} → output {r['output'][0]} frames of "
             f"{r['output'][2]}×{r['output'][1]}, scored against the original frames, which neither method saw.\n\n"
             f"| | PSNR | SSIM |" + (" PSNR on new frames |" if int(time) > 1 else "") + "\n|---|---|---|" +
             ("---|" if int(time) > 1 else "") + "\n"
             f"| INR ({r['steps']} steps, {r['seconds']:.0f} s) | {r['inr_psnr']:.2f} dB | {r['inr_ssim']:.3f} |" +
             (f" {r['inr_psnr_new_frames']:.2f} dB |" if int(time) > 1 else "") + "\n"
             f"| {r['classical']} | {r['classical_psnr']:.2f} dB | {r['classical_ssim']:.3f} |" +
             (f" {r['classical_psnr_new_frames']:.2f} dB |" if int(time) > 1 else "") +
             f"\n\nPreview: frame {k}, original | INR | {r['classical']}.")
    video = api.side_by_side([result.target, result.inr, result.classical])
    path = api.export(session.path(f"sr_check_{space:g}x_{int(time)}x.mp4"), video, run.clips[0].fps)
    return api.side_by_side(panels), table, str(path)


# ---------------------------------------------------------------- layout and wiring

@dataclass
class RenderTab:
    """What the Fit tab's new models and the page load refresh: the source line and the preview."""

    source: gr.Markdown
    preview_inputs: list
    preview_outputs: list


def build_tab(session: gr.State) -> RenderTab:
    source = gr.Markdown()
    with gr.Row():
        spatial = gr.Slider(0.25, 4, value=2.5, step=0.05, label="Spatial scale", elem_id="render-spatial")
        temporal = gr.Slider(0.25, 8, value=4, step=0.05, label="Temporal scale", elem_id="render-temporal")
    with gr.Row():
        out_w = gr.Number(0, label="Width (0: from scale)", precision=0)
        out_h = gr.Number(0, label="Height (0: from scale)", precision=0)
        out_t = gr.Number(0, label="Frames (0: from scale)", precision=0)
    compare = gr.Checkbox(False, label="Compare with classical upscaling (bicubic in space, linear frame blending "
                                       "in time), side by side", elem_id="render-compare")
    info = gr.Markdown(elem_id="render-info")
    preview = gr.Image(label="Preview", interactive=False, elem_classes=PIXELATED)
    go = gr.Button("Render", variant="primary", elem_id="render-go")
    video = gr.Video(label="Render", height=480, elem_classes=PIXELATED)
    files = gr.File(label="Download GIF and MP4", file_count="multiple", elem_id="render-files")
    with gr.Accordion("Check super-resolution against the original", open=False):
        gr.Markdown("Shrinks the Fit tab's clip (area averaging) and keeps every n-th frame, fits an INR to that, "
                    "renders it back at the original size and rate, and scores it and the classical upscale "
                    "against the original frames.")
        with gr.Row():
            sr_space = gr.Slider(1, 4, value=2, step=0.1, label="Spatial factor")
            sr_time = gr.Slider(1, 4, value=2, step=1, label="Temporal factor (keep every n-th frame)")
            sr_seconds = gr.Slider(5, 120, value=20, step=1, label="Seconds to train")
            sr_prior = gr.Checkbox(True, label="Temporal-consistency prior")
        sr_go = gr.Button("Degrade, fit and compare", elem_id="sr-go")
        sr_table = gr.Markdown(elem_id="sr-table")
        sr_image = gr.Image(label="Original | INR | classical", interactive=False, elem_classes=PIXELATED)
        sr_video = gr.Video(label="Original | INR | classical", elem_classes=PIXELATED)

    inputs = [session, spatial, temporal, out_w, out_h, out_t, compare]
    # One event for every control, run one at a time: two previews computed side by side could
    # finish out of order and leave the page describing the older settings.
    gr.on([c.change for c in (spatial, temporal, out_w, out_h, out_t, compare)], on_render_preview, inputs,
          [preview, info], show_progress="hidden", trigger_mode="always_last", concurrency_limit=1,
          concurrency_id="render-preview", api_name="render_preview")
    go.click(on_render, inputs, [video, files, info], concurrency_limit=FIT_CONCURRENCY, api_name="render")
    sr_go.click(on_sr_check, [session, sr_space, sr_time, sr_seconds, sr_prior], [sr_image, sr_table, sr_video],
                api_name="sr_check", **FIT_QUEUE)
    return RenderTab(source, inputs, [preview, info])
