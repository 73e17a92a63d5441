"""The "Fit" tab: fit a network to a clip and watch it learn; pick an example to see its shipped
model at once; load a checkpoint. Its model is also what the Render tab renders.
"""

import time
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np
import plotly.graph_objects as go

from inr import api
from views import fit_many
from views.common import (CHECKPOINTS, DEFAULT_EXAMPLE, EXAMPLES, FIT_CONCURRENCY, FIT_QUEUE, PIXELATED, Session,
                          chosen_clip, curves_plot, db, ensure, example_path, friendly, sigma_value)

UI_UPDATE_SECONDS = 1.0  # at most one live update of the Fit view a second


# ---------------------------------------------------------------- formatting

def stats_markdown(run: api.Run, name: str, notes=(), rec: api.Record | None = None) -> str:
    s = api.summary(run)
    info = run.clips[0]
    lines = [f"**{name}** · {info.frames} frames of {info.width}×{info.height} · `{run.arch}` · "
             f"{s['params']:,} parameters ({s['model_bytes']:,} bytes as shipped, weights only; "
             f"{s['bits_per_pixel']:.2f} bits per pixel)",
             f"**{sentence(s['size_verdict'])}.**"]
    lines += [f"- {n}" for n in notes]
    if rec is not None:
        lines.append(f"step {rec.step} · {rec.seconds:.1f} s · {rec.steps_per_second:.1f} steps/s")
    where = "every pixel" if s.get("scored_on") == "every pixel" else "probe frames"
    lines.append(f"**training pixels** {db(s['train_psnr'])} · **held-out pixels** {db(s['heldout_psnr'])} "
                 f"({where}) · classical rebuild of the held-out pixels: bilinear {db(s['bilinear_psnr'])}, "
                 f"bicubic {db(s['bicubic_psnr'])}")
    if s["heldout_psnr"] is not None and s["bicubic_psnr"] is not None:
        lines.append(f"**The INR {api.verdict(s)}.**")
    return "\n\n".join(lines)


def sentence(text: str) -> str:
    """A summary's clause ("the model is …") as a sentence of its own."""
    return text[:1].upper() + text[1:]


def frame_strip(run: api.Run) -> go.Figure | None:
    if run.frames is None:
        return None
    train, heldout = api.frame_psnrs(run)
    fig = go.Figure()
    fig.add_trace(go.Bar(y=train, name="training pixels"))
    if heldout and heldout[0] is not None:
        fig.add_trace(go.Bar(y=heldout, name="held-out pixels"))
    # As tall as the error map beside it; the legend under the axis title, not on its ticks.
    fig.update_layout(height=340, barmode="group", title="PSNR per frame (dB)", xaxis_title="frame",
                      margin={"l": 40, "r": 10, "t": 40, "b": 30}, legend={"orientation": "h", "y": -0.25,
                                                                          "yanchor": "top"})
    fig.update_yaxes(range=[max(0, min(v for v in train + heldout if v is not None) - 2), None])
    return fig


def preview_images(run: api.Run, frame: int):
    frame = int(min(max(frame, 0), run.clips[0].frames - 1))
    return api.preview_triplet(run, frame)


def _outputs(session, run, name, notes=(), rec=None, strip=True, files=None):
    """What the tab shows of a model: stats, curves, the middle frame (INR, truth, error), the frame
    slider, the per-frame strip and the downloads; then the session."""
    pred, truth, error = preview_images(run, run.clips[0].frames // 2)
    last = run.clips[0].frames - 1  # a still image has one frame: Gradio needs minimum < maximum
    slider = gr.Slider(minimum=0, maximum=max(last, 1), value=run.clips[0].frames // 2, step=1, interactive=last > 0)
    return (stats_markdown(run, name, notes, rec), curves_plot({run.arch: run.history}, run.baseline),
            pred, truth, error, slider, frame_strip(run) if strip else gr.skip(),
            files if files is not None else gr.skip(), session)


# ---------------------------------------------------------------- handlers

def load_pretrained(session: Session, name: str) -> api.Run | None:
    """The shipped model of an example, with its clip attached (None if none ships)."""
    path = CHECKPOINTS / f"{Path(name).stem}.safetensors"
    if not path.is_file():
        return None
    run = api.load(path)
    clip = api.load_clips([example_path(name)], device=run.device)
    return api.attach_clips(run, clip)


@friendly
def on_load(session: Session | None):
    """First launch: the default example's pretrained model is ready in every view."""
    session = ensure(session)

    def started() -> bool:  # a fit or checkpoint the person started before or while this loads wins
        return session.run is not None or session.fitting

    run = None if started() else load_pretrained(session, DEFAULT_EXAMPLE)
    if started():
        return (*[gr.skip()] * 8, session)
    if run is None:
        return ("No pretrained model ships for the default example: pick a clip and press **Start**.",
                None, None, None, None, gr.skip(), None, None, session)
    session.run, session.name = run, DEFAULT_EXAMPLE
    return _outputs(session, run, f"{DEFAULT_EXAMPLE} (pretrained)", files=[])


@friendly
def on_estimate(example, upload, arch, sigma, holdout, max_size):
    """Size, memory and speed of the fit these settings would start, without starting it."""
    path, name = chosen_clip(example, upload)
    clips = api.load_clips([path], max_size=int(max_size))
    run = api.prepare(clips, arch=arch, sigma=sigma_value(sigma), holdout=holdout)
    e, s = api.estimate(run), api.summary(run)
    notes = "; ".join(clips[0].notes) or "used as it is"
    t, h, w = clips[0].frames.shape[:3]
    return (f"**Before you start:** {name}: {t} frames of {w}×{h} ({notes}). `{arch}` has {e['params']:,} parameters "
            f"({s['bits_per_pixel']:.2f} bits per pixel); {s['size_verdict']}. "
            f"The fit needs about {e['memory_bytes'] / 2**20:.0f} MB and "
            f"{e['seconds_per_1000_steps']:.1f} s per 1,000 steps on {api.device_name(run.device)}.")


@friendly
def on_fit(session: Session, example, upload, arch, sigma, holdout, seconds, max_size):
    """Fit the clip for `seconds`, streaming the tab's outputs; the last ones carry the downloads."""
    session = ensure(session)
    path, name = chosen_clip(example, upload)
    clips = api.load_clips([path], max_size=int(max_size))
    run = api.prepare(clips, arch=arch, sigma=sigma_value(sigma), holdout=holdout, seconds=float(seconds),
                      preview_seconds=None)
    session.run, session.name, session.stop = run, name, False
    session.fitting = True
    try:
        yield from _fit_updates(session, run, name, (*clips[0].notes, *run.notes))
    finally:
        session.fitting = False


def _fit_updates(session: Session, run: api.Run, name: str, notes: tuple):
    yield _outputs(session, run, name, notes, strip=False, files=[])
    next_strip, strip_cost, next_update = 2.0, 0.0, 0.0
    for rec in api.fit(run):
        if session.stop:
            notes = (*notes, f"stopped at step {rec.step}: the model so far is kept")
            break
        # The browser redraws every plot we send, on the same cores as the fit: one update a
        # second keeps the page live without slowing the fit (the first point goes out at once).
        if not rec.final and rec.seconds >= next_update:
            next_update = rec.seconds + UI_UPDATE_SECONDS
            # The per-frame strip renders the whole clip: refresh it only as often as keeps its
            # cost under ~10% of the fit (grids: every few seconds; large MLPs: rarely).
            strip = rec.seconds >= next_strip
            started = time.perf_counter()
            outputs = _outputs(session, run, name, notes, rec, strip=strip)
            if strip:
                strip_cost = time.perf_counter() - started
                next_strip = rec.seconds + max(3.0, 10 * strip_cost)
            yield outputs
    split = api.motion.heldout_split(run)  # a motion field's held-out gain, moving pixels apart from still ones
    files = save_outputs(session, run, split)
    if split:
        notes = (*notes, api.motion.describe_split(split))
    yield _outputs(session, run, name, notes, run.history[-1], files=files)


@friendly
def on_example(session: Session, example, upload):
    """Picking an example shows its pretrained model at once, when one ships (an upload waits for
    Start, and a running fit keeps its model)."""
    session = ensure(session)
    run = None if upload or not example or session.fitting else load_pretrained(session, example)
    if run is None:
        return (gr.skip(),) * 8 + (session,)
    session.run, session.name = run, example
    return _outputs(session, run, f"{example} (pretrained)", files=[])


def save_outputs(session: Session, run: api.Run, split: dict | None = None) -> list[str]:
    """Checkpoint (weights only: the bytes the tab states; `fit --resume` goes on from it with a fresh
    optimizer), run card (with the fit's notes, and a motion field's held-out `split`), GIF and MP4
    of the current model, in the session's folder."""
    stem = Path(session.name).stem or "clip"
    ckpt = api.save(run, session.path(f"{stem}.safetensors"), optimizer=False)  # the size the tab states
    summary = {**api.summary(run), "notes": list(run.notes)}
    if split:
        summary["heldout_by_motion"] = split
    card = api.write_run_card(session.path(f"{stem}_run.json"), run, summary)
    frames, _, fps = api.render(run)
    frames = np.stack(list(frames))
    gif = api.export(session.path(f"{stem}.gif"), frames, fps)
    mp4 = api.export(session.path(f"{stem}.mp4"), frames, fps)
    return [str(p) for p in (gif, mp4, ckpt, card)]


def on_stop(session: Session):
    """Stop this session's fit after its current step; the model so far is kept."""
    if isinstance(session, Session):
        session.stop = True
    return session


@friendly
def on_frame(session: Session, frame):
    """INR, ground truth and error map (×api.ERROR_GAIN) of one frame of the current model."""
    if not isinstance(session, Session) or session.run is None:
        return None, None, None
    return preview_images(session.run, int(frame))


@friendly
def on_load_checkpoint(session: Session, file):
    session = ensure(session)
    if not file:
        raise ValueError("choose a .safetensors checkpoint to load")
    run = api.load(file)
    session.run, session.name = run, Path(file).name
    return _outputs(session, run, f"{Path(file).name} (loaded)", strip=False, files=[])


# ---------------------------------------------------------------- layout and wiring

@dataclass
class FitTab:
    """What other tabs and the page load use: the chosen clip, the outputs a model fills, and the
    events that put a new model in the session (the Render tab follows them)."""

    example: gr.Dropdown
    upload: gr.File
    outputs: list
    model_changed: list


def build_tab(session: gr.State) -> FitTab:
    with gr.Row():
        with gr.Column(scale=1):
            example = gr.Dropdown(EXAMPLES, value=DEFAULT_EXAMPLE, label="Example clip")
            upload = gr.File(label="…or upload a clip (video, GIF, image)", type="filepath")
            default, why = api.default_arch(1)
            arch = gr.Radio(list(api.ARCHS), value=default, label="Network",
                            info=f"{default}, the default: {why}. grid: frame by frame, the fastest a step; "
                                 "fourier: Fourier-feature MLP; siren: sine MLP; hash: hash grid; relu: plain MLP")
            sigma = gr.Textbox("10", label="σ for fourier ('none' for raw coordinates)")
            holdout = gr.Radio(["every2", "random", "none"], value="every2", label="Held-out pixels",
                               info="every2: train on even rows and columns, score on the rest")
            seconds = gr.Slider(2, 300, value=30, step=1, label="Seconds to train", elem_id="fit-seconds")
            max_size = gr.Slider(32, 512, value=api.caps(api.default_device())["max_size"], step=8,
                                 label="Longest side (px): larger clips are downscaled")
            estimate = gr.Markdown()
            with gr.Row():
                start = gr.Button("Start", variant="primary", elem_id="fit-start")
                stop = gr.Button("Stop", variant="stop", elem_id="fit-stop")
            ckpt_in = gr.File(label="Load a checkpoint (.safetensors)", type="filepath")
        with gr.Column(scale=2):
            stats = gr.Markdown(elem_id="fit-stats")
            curves = gr.Plot(label="Curves", elem_id="fit-curves")
            downloads = gr.File(label="Downloads: GIF, MP4, checkpoint, run card", file_count="multiple",
                                elem_id="fit-downloads")
    # One frame, full width: two pictures a row keep a 160-px clip readable (three would not).
    frame = gr.Slider(0, 1, value=0, step=1, label="Frame")
    with gr.Row():
        pred_img = gr.Image(label="INR", interactive=False, elem_classes=PIXELATED)
        truth_img = gr.Image(label="Ground truth", interactive=False, elem_classes=PIXELATED)
    with gr.Row():
        err_img = gr.Image(label="Error ×5", interactive=False, elem_classes=PIXELATED)
        strip = gr.Plot(label="PSNR per frame")
    fit_many.build_section(session, arch, sigma, holdout, max_size)

    outputs = [stats, curves, pred_img, truth_img, err_img, frame, strip, downloads, session]
    settings = [example, upload, arch, sigma, holdout, max_size]
    gr.on([example.change, upload.change, arch.change, holdout.change, max_size.release], on_estimate, settings,
          [estimate], concurrency_limit=FIT_CONCURRENCY, api_name="estimate")
    fitted = start.click(on_fit, [session, example, upload, arch, sigma, holdout, seconds, max_size], outputs,
                         api_name="fit", **FIT_QUEUE)
    picked = example.change(on_example, [session, example, upload], outputs, api_name="load_example")
    stop.click(on_stop, [session], [session], queue=False, api_name="stop")
    frame.change(on_frame, [session, frame], [pred_img, truth_img, err_img], show_progress="hidden",
                 api_name="preview_frame")
    loaded = ckpt_in.upload(on_load_checkpoint, [session, ckpt_in], outputs, api_name="load_checkpoint")
    return FitTab(example, upload, outputs, [fitted, picked, loaded])
