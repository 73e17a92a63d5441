"""The "Render" tab: render the Fit tab's model at any size and frame rate, beside classical
upscaling if asked; and check super-resolution against the original (degrade, fit, compare).
"""

import functools
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np

from inr import api
from views.common import ASSETS, FIT_CONCURRENCY, FIT_QUEUE, PIXELATED, Session, friendly, keyed, shown

# Weight of the grid's straight-in-time prior when the check turns it on (spatial factors, which fit
# the grid); the motion field (temporal factors) always learns from its neighbours at its own weight.
SR_TEMPORAL_PRIOR = 1.0
# Examples made from another shipped clip: (the original, every n-th of its frames kept). Renders
# of them at the original's size and rate are scored against it.
ORIGINALS = {"jelly_every4.mp4": ("jelly_small.mp4", 4)}
SR_ZOOM = 4  # the check's zoom at first: a crop a quarter of the frame a side, enlarged 4x


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


def _new_frames(inputs: int, outputs: int) -> np.ndarray:
    """bool (outputs,): the output frames that fall between two input frames (instant-aligned:
    output i sits at input position i (inputs - 1) / (outputs - 1))."""
    if outputs < 2:
        return np.zeros(outputs, bool)
    return np.arange(outputs) * (inputs - 1) % (outputs - 1) != 0


def _classical_clip(session: Session, shape: tuple[int, int, int], method: str) -> np.ndarray:
    """uint8 (T, H, W, 3): `method`'s rebuild of the whole clip at `shape`. Made once per model,
    shape and method and kept in the session: minterpolate needs every frame, and each slider move
    asks for a preview again. One entry only, so a session holds at most one extra clip."""
    cached = session.views.get("render")
    key = (shape, method)
    if cached is None or cached["run"] is not session.run or cached["key"] != key:
        frames = api.superres.classical_render(session.run, shape, method=method)
        cached = session.views["render"] = {"run": session.run, "key": key, "frames": frames}
    return cached["frames"]


def _classical_panels(session: Session, shape: tuple[int, int, int], index: int | None) -> list[tuple[str, np.ndarray]]:
    """(method, uint8 frame (H, W, 3), or the whole clip (T, H, W, 3) when `index` is None) of each
    classical rebuild the comparison shows: the plain upscale, then the one a user would pick
    instead (Lanczos in space, minterpolate in time)."""
    run = session.run
    plain, *strong = api.superres.classical_methods(run, shape)
    first = api.superres.classical_preview(run, shape, index)[1] if index is not None else \
        api.superres.classical_render(run, shape)
    panels = [(plain, first)]
    for name in strong:
        clip = _classical_clip(session, shape, name)
        panels.append((name, clip if index is None else clip[index]))
    return panels


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
        return {"preview": mid, "info": f"{info} (preview: the middle frame)"}
    k = _between(run.clips[0].frames, t)
    ours = api.render_frame(run, shape, k)
    theirs = _classical_panels(session, shape, k)
    info += f" · preview of frame {k}: **INR** | " + " | ".join(f"**{name}**" for name, _ in theirs) + " of the clip"
    panels = [("INR", ours), *theirs]
    original = _original(session, shape)
    if original is not None:
        new = ", a new frame" if _new_frames(run.clips[0].frames, t)[k] else ""
        panels = [(f"{name} {api.uint8_psnr(frame, original[k]):.2f} dB", frame) for name, frame in panels]
        info += (f" · against the original frame {k}{new} ({ORIGINALS[session.name][0]}, never seen by any of them): "
                 + ", ".join(name for name, _ in panels) + " PSNR")
    return {"preview": api.side_by_side([api.caption(frame, name) for name, frame in panels]), "info": info}


@friendly
def on_render(session: Session, spatial, temporal, width, height, frames, compare=False, progress=gr.Progress()):
    """Render every frame; returns (video, [GIF, MP4 (, INR | classical MP4)], info, the results'
    box shown)."""
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
        return {"video": str(mp4), "files": [str(gif), str(mp4)], "info": info, "rendered": shown()}
    theirs = _classical_panels(session, shape, None)
    both = api.side_by_side([rendered, *(clip for _, clip in theirs)])
    pair = api.export(session.path(f"{stem}_inr_vs_classical.mp4"), both, fps)
    info += " · side by side: INR | " + " | ".join(name for name, _ in theirs)
    original = _original(session, shape)
    if original is not None:
        # Where the render adds frames, score those: the kept ones are the input for the classical rebuilds.
        new = _new_frames(run.clips[0].frames, shape[0])
        which = f"the {new.sum()} new frames" if new.any() else "every frame"
        scored = new if new.any() else np.ones(shape[0], bool)
        scores = ", ".join(f"{name} {api.uint8_psnr(clip[scored], original[scored]):.2f} dB" for name, clip in theirs)
        info += (f" · against the original {ORIGINALS[session.name][0]} ({which}, never seen by any of them): "
                 f"INR {api.uint8_psnr(rendered[scored], original[scored]):.2f} dB, {scores} PSNR")
    return {"video": str(pair), "files": [str(gif), str(mp4), str(pair)], "info": info, "rendered": shown()}


@friendly
def on_sr_check(session: Session, space, time, seconds, temporal_prior, multiframe=False, progress=gr.Progress()):
    """Degrade the Fit tab's clip, fit an INR to the small version, compare with classical upscaling."""
    run = _need_model(session)
    if run.frames is None:
        raise ValueError("the check needs the original clip: fit one in the Fit tab or load an example")
    clip = api.Clip(run.frames[0], run.clips[0].fps, Path(session.name).stem, ())
    progress(0, desc=f"fitting the {space:g}x smaller, {int(time)}x slower clip for {seconds:g} s")
    multiframe = bool(multiframe) and float(space) > 1
    arch = None if multiframe else api.superres.best_arch(float(space), int(time))
    prior = (SR_TEMPORAL_PRIOR if temporal_prior else 0.0) if arch not in (None, "motion") else None
    result = api.superres.evaluate(clip, float(space), int(time), arch=arch, seconds=float(seconds), temporal=prior,
                                   multiframe=multiframe)
    r = result.row
    k = _between(r["input"][0], r["output"][0])
    moving = int(time) > 1

    def new_cell(value: float | None) -> str:  # the new-frames column, where frames are new
        return f" {value:.2f} dB |" if moving else ""

    lines = [f"Input: {r['input'][0]} frames of {r['input'][2]}×{r['input'][1]} → output {r['output'][0]} frames of "
             f"{r['output'][2]}×{r['output'][1]}, scored against the original frames, which no method saw.\n",
             "| | PSNR | SSIM |" + (" PSNR on new frames |" if moving else ""),
             "|---|---|---|" + ("---|" if moving else ""),
             f"| INR{' (multi-frame)' if multiframe else ''} ({r['steps']} steps, {r['seconds']:.0f} s) | "
             f"{r['inr_psnr']:.2f} dB | {r['inr_ssim']:.3f} |" +
             new_cell(r.get("inr_psnr_new_frames"))]
    for name, value in sorted(r["classical_all"].items(), key=lambda item: -item[1]):  # the best first
        structure = f"{r['classical_ssim']:.3f}" if name == r["classical"] else ""
        new = r.get("classical_all_new_frames", {}).get(name)
        lines.append(f"| {name} | {value:.2f} dB | {structure} |" + new_cell(new))
    if "rife_psnr_new_frames" in r:  # the learned interpolator, where it is installed: new frames only
        lines.append("| RIFE (learned interpolator) | – | – |" + new_cell(r["rife_psnr_new_frames"]))
    table = "\n".join(lines) + (f"\n\nFrame {k}: the original, the INR and every other rebuild; below, the same "
                                 f"spot of each zoomed (first where the INR and {r['classical']} differ most).")
    video = api.side_by_side([result.target, result.inr, result.classical])
    path = api.export(session.path(f"sr_check_{space:g}x_{int(time)}x.mp4"), video, run.clips[0].fps)
    named = [("original", result.target[k]), ("INR (multi-frame)" if multiframe else "INR", result.inr[k]),
             *[(name, frames[k]) for name, frames in result.rebuilds.items()]]
    session.views["render_sr"] = named
    y, x = api.most_different(result.inr[k], result.classical[k], SR_ZOOM)
    return {"image": api.side_by_side([api.caption(p, name) for name, p in named]), "table": table,
            "video": str(path), "box": shown(), "zoomed": _zoomed(named, SR_ZOOM, x, y),
            "zoom": SR_ZOOM, "zoom_x": round(100 * x), "zoom_y": round(100 * y)}


def _zoomed(named: list[tuple[str, np.ndarray]], factor, x, y) -> np.ndarray:
    """The zoom row: the same crop of every panel, enlarged alike (x, y: its centre, shares of the frame)."""
    return api.side_by_side([api.caption(api.zoom(p, (y, x), int(factor)), name) for name, p in named])


@friendly
def on_sr_zoom(session: Session, factor, x, y):
    """The check's zoom moved: the same spot of every panel of the last check, `factor` times larger."""
    named = session.views.get("render_sr") if isinstance(session, Session) else None
    if not named:
        raise ValueError("run the check first: the zoom shows its frames")
    return _zoomed(named, factor, float(x) / 100, float(y) / 100)


@friendly
def on_motion_view(session: Session, gap):
    """One frame gap of a motion field: its content and the motion it moves along (picture, caption, slider update)."""
    if not isinstance(session, Session) or session.run is None or not api.motion.gaps(session.run):
        arch = session.run.arch if isinstance(session, Session) and session.run is not None else None
        if arch == "motion":
            why = "This motion field holds one frame: there is nothing to move between."
        elif arch:
            why = (f"The `{arch}` field has no motion: a frame between two others is a blend of them. Fit with "
                   "the **motion** network in the Fit tab to see what moves.")
        else:
            why = "No model yet."
        return {"image": None, "info": why, "gap": gr.update(maximum=1, value=0, interactive=False),
                "box": gr.update(visible=False)}
    count = api.motion.gaps(session.run)
    gap = min(max(int(gap or 0), 0), count - 1)
    caption = (f"Frame gap {gap} → {gap + 1} of {count}: " + " | ".join(f"**{t}**" for t in api.motion.PANEL_TITLES) +
               ". Between two frames the field moves each frame's content (learned) along this motion (and the "
               "next frame's along the reverse motion) instead of cross-fading them. The motion is OpenCV's DIS "
               "optical flow on the training pixels, set when the fit starts and kept fixed.")
    return {"image": api.motion.panel(session.run, gap), "info": caption,
            "gap": gr.update(maximum=max(count - 1, 1), value=gap, interactive=count > 1), "box": shown()}


# ---------------------------------------------------------------- layout and wiring

@dataclass
class RenderTab:
    """What the Fit tab's new models and the page load refresh: the source line, the preview and the
    motion view (each what an event needs, fn, inputs and outputs: `.then(**tab.preview)`)."""

    source: gr.Markdown
    preview: dict
    motion: dict


def build_tab(session: gr.State) -> RenderTab:
    source = gr.Markdown()
    with gr.Row():
        spatial = gr.Slider(0.25, 4, value=2.5, step=0.05, label="Spatial scale", elem_id="render-spatial")
        temporal = gr.Slider(0.25, 8, value=4, step=0.05, label="Temporal scale", elem_id="render-temporal")
    with gr.Row():
        out_w = gr.Number(0, label="Width (0: from scale)", precision=0)
        out_h = gr.Number(0, label="Height (0: from scale)", precision=0)
        out_t = gr.Number(0, label="Frames (0: from scale)", precision=0)
    compare = gr.Checkbox(False, label="Compare with classical upscaling, side by side: bicubic and ffmpeg's Lanczos "
                                       "in space, linear frame blending and ffmpeg's motion-compensated minterpolate "
                                       "in time", elem_id="render-compare")
    info = gr.Markdown(elem_id="render-info")
    preview = gr.Image(label="Preview", interactive=False, elem_classes=PIXELATED)
    go = gr.Button("Render", variant="primary", elem_id="render-go")
    # Panels show once they have something: a layout's visibility is no value of the API.
    with gr.Column(visible=False) as rendered:
        video = gr.Video(label="Render", height=480, elem_classes=PIXELATED)
        files = gr.File(label="Download GIF and MP4", file_count="multiple", elem_id="render-files")
    with gr.Accordion("What the motion field moves, and where", open=True):
        motion_info = gr.Markdown(elem_id="motion-info")
        with gr.Column(visible=False) as motion_box:
            motion_gap = gr.Slider(0, 1, value=0, step=1, label="Frame gap", elem_id="motion-gap")
            motion_image = gr.Image(label="Content | where it moves | motion", interactive=False,
                                    elem_classes=PIXELATED, elem_id="motion-image")
    with gr.Accordion("Check super-resolution against the original", open=False):
        gr.Markdown("Shrinks the Fit tab's clip (area averaging) and keeps every n-th frame, fits an INR to that, "
                    "renders it back at the original size and rate, and scores it and the classical upscale "
                    "against the original frames.")
        with gr.Row():
            sr_space = gr.Slider(1, 4, value=2, step=0.1, label="Spatial factor")
            sr_time = gr.Slider(1, 4, value=2, step=1, label="Temporal factor (keep every n-th frame)")
            sr_seconds = gr.Slider(5, 120, value=20, step=1, label="Seconds to train")
            sr_prior = gr.Checkbox(False, label="Straight-in-time prior (spatial factors: the grid)")
            sr_multiframe = gr.Checkbox(False, label="Multi-frame upscaling (spatial factors)", elem_id="sr-multiframe",
                                        info="content at the original's size, filled by the other frames' pixels "
                                             "along the flow: it beat Lanczos where the flow holds, lost where not")
        sr_go = gr.Button("Degrade, fit and compare", elem_id="sr-go")
        sr_table = gr.Markdown(elem_id="sr-table")
        with gr.Column(visible=False) as sr_box:
            sr_image = gr.Image(label="One frame: original | INR | each classical rebuild", interactive=False,
                                elem_classes=PIXELATED, elem_id="sr-image")
            with gr.Row():
                sr_zoom = gr.Slider(2, 8, value=SR_ZOOM, step=1, label="Zoom", elem_id="sr-zoom")
                sr_x = gr.Slider(0, 100, value=50, step=1, label="Zoom centre, across (%)", elem_id="sr-zoom-x")
                sr_y = gr.Slider(0, 100, value=50, step=1, label="Zoom centre, down (%)", elem_id="sr-zoom-y")
            sr_zoomed = gr.Image(label="Zoomed: the same spot of each", interactive=False, elem_classes=PIXELATED,
                                 elem_id="sr-zoomed")
            sr_video = gr.Video(label="Original | INR | classical", elem_classes=PIXELATED)

    inputs = [session, spatial, temporal, out_w, out_h, out_t, compare]
    # One event for every control, run one at a time: two previews computed side by side could
    # finish out of order and leave the page describing the older settings.
    previewed = {**keyed(on_render_preview, {"preview": preview, "info": info}), "inputs": inputs}
    gr.on([c.change for c in (spatial, temporal, out_w, out_h, out_t, compare)], **previewed, show_progress="hidden",
          trigger_mode="always_last", concurrency_limit=1, concurrency_id="render-preview", api_name="render_preview")
    go.click(inputs=inputs, **keyed(on_render, {"video": video, "files": files, "info": info, "rendered": rendered}),
             concurrency_limit=FIT_CONCURRENCY, api_name="render")
    sr_go.click(inputs=[session, sr_space, sr_time, sr_seconds, sr_prior, sr_multiframe], **keyed(on_sr_check, {
        "image": sr_image, "table": sr_table, "video": sr_video, "box": sr_box, "zoomed": sr_zoomed, "zoom": sr_zoom,
        "zoom_x": sr_x, "zoom_y": sr_y}), api_name="sr_check", **FIT_QUEUE)
    gr.on([c.release for c in (sr_zoom, sr_x, sr_y)], on_sr_zoom, inputs=[session, sr_zoom, sr_x, sr_y],
          outputs=sr_zoomed, show_progress="hidden", trigger_mode="always_last", api_name="sr_zoom")
    motion = {**keyed(on_motion_view, {"image": motion_image, "info": motion_info, "gap": motion_gap,
                                       "box": motion_box}), "inputs": [session, motion_gap]}
    motion_gap.release(**motion, api_name="motion_view")
    return RenderTab(source, previewed, motion)
