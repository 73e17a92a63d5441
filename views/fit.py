"""The "Fit" tab: fit a network to a clip and watch it learn; pick an example to see its shipped
model at once; load a checkpoint. Its model is also what the Render tab renders.
"""

import json
import shutil
import time
from dataclasses import dataclass
from pathlib import Path

import gradio as gr
import numpy as np
import plotly.graph_objects as go

from inr import api
from views import fit_many
from views.common import (CHECKPOINTS, DEFAULT_EXAMPLE, EXAMPLES, FIT_CONCURRENCY, FIT_QUEUE, PIXELATED, Session,
                          chosen_clip, curves_plot, db, ensure, example_path, friendly, keyed, log, said, settled,
                          sigma_value)

UI_UPDATE_SECONDS = 1.0  # at most one live update of the Fit view a second
# The per-frame strip renders the whole clip: it is refreshed at most every STRIP_SECONDS, and less
# often where it costs more than STRIP_SHARE of the fit.
STRIP_SECONDS, STRIP_SHARE = 5.0, 0.05
THUMBNAIL_HEIGHT, THUMBNAIL_WIDTH = 90, 160
MEASURED_AFTER = 3.0  # seconds into a fit before its own rate is shown beside the estimate


# ---------------------------------------------------------------- formatting

def stats_markdown(run: api.Run, name: str, notes=(), rec: api.Record | None = None) -> str:
    s = api.summary(run)
    info = run.clips[0]
    lines = [f"**Results for {name}** · {info.frames} frames of {info.width}×{info.height} · `{run.arch}` · "
             f"{s['params']:,} parameters ({s['model_bytes']:,} bytes as shipped, weights only; "
             f"{s['bits_per_pixel']:.2f} bits per pixel)",
             f"**{sentence(s['size_verdict'])}.**"]
    lines += [f"- {n}" for n in notes]
    if rec is not None:
        rate = (f" ({1000 * rec.seconds / rec.step:.1f} s per 1,000 steps as measured)"
                if rec.seconds >= MEASURED_AFTER and rec.step else "")  # the first steps warm up
        lines.append(f"step {rec.step} · {rec.seconds:.1f} s · {rec.steps_per_second:.1f} steps/s{rate}")
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


def preview_images(run: api.Run, frame: int) -> dict:
    """One frame of the model: the INR's, the ground truth and the error map, by output name."""
    frame = int(min(max(frame, 0), run.clips[0].frames - 1))
    pred, truth, error = api.preview_triplet(run, frame)
    return {"inr": pred, "truth": truth, "error": error}


def _outputs(session, run, name, notes=(), rec=None, strip=True, files=None, advice=None) -> dict:
    """What the tab shows of a model: stats, curves, the middle frame (INR, truth, error), the frame
    slider, the session; the per-frame strip unless `strip` is off; the downloads and whether their
    box shows (once there are some) unless `files` is None; what to try next unless `advice` is None
    (a fit's end passes its advice)."""
    last = run.clips[0].frames - 1  # a still image has one frame: Gradio needs minimum < maximum
    shown = {"stats": stats_markdown(run, name, notes, rec),
             "curves": curves_plot({run.arch: run.history}, run.baseline),
             **preview_images(run, run.clips[0].frames // 2),
             "frame": gr.Slider(minimum=0, maximum=max(last, 1), value=run.clips[0].frames // 2, step=1,
                                interactive=last > 0),
             "session": session}
    if strip:
        shown["strip"] = frame_strip(run)
    if files is not None:
        shown.update(downloads=files or None, downloads_box=gr.update(visible=bool(files)))
    if advice is not None:
        session.advice = advice.get("settings")
        shown.update(advice=gr.update(value=advice["text"], visible=bool(advice["text"])),
                     apply=gr.update(value=advice.get("button", ""), visible=bool(advice.get("settings"))))
    return shown


NO_ADVICE = {"text": ""}


# ---------------------------------------------------------------- what to try next

BENCH = Path(__file__).resolve().parent.parent / "bench" / "results" / "multiframe.json"
BENCH_DESIGNS = {"motion": "neighbours", "grid": "grid"}  # the held-out bench's name for each arch it measures
MAX_SECONDS = 300  # the seconds slider's top


def bench_margins(arch: str) -> str:
    """The arch's held-out margin over the better classical rebuild across the shared clips, as the
    held-out bench measured it ("" where it did not)."""
    design = BENCH_DESIGNS.get(arch)
    try:
        bench = json.loads(BENCH.read_text())
    except (OSError, ValueError):
        return ""
    rows = [m for m in bench.get("medians", []) if m.get("design") == design]
    if not rows:
        return ""
    margins = sorted(m["heldout_psnr"] - max(m["bilinear_psnr"], m["bicubic_psnr"]) for m in rows)
    return (f"{margins[0]:+.2f} to {margins[-1]:+.2f} dB over the better rebuild on the {len(rows)} shared clips "
            f"at {bench['seconds']:.0f} s (bench/multiframe.py)")


def advice(run: api.Run, seconds: float) -> dict:
    """One concrete thing to try after this fit, from its own figures and the held-out bench: the
    sentence, the button's label and the settings it applies (arch, holdout, seconds)."""
    s = api.summary(run)
    default = api.default_arch(len(run.clips))[0]
    if s["heldout_psnr"] is None or s["bicubic_psnr"] is None:
        return {"text": "**Try next:** this fit trained on every pixel, so nothing says whether it would fill "
                        "pixels it never saw. Hold every other pixel out to score it against bicubic.",
                "button": "Hold out every2 and start", "settings": {"holdout": "every2"}}
    gap = s["heldout_psnr"] - max(s["bilinear_psnr"], s["bicubic_psnr"])
    if run.arch != default:
        measured = bench_margins(default)
        return {"text": f"**Try next:** `{default}`, the default network"
                        + (f": {measured}" if measured else "") + f"; this `{run.arch}` fit is {gap:+.2f} dB.",
                "button": f"Fit {default} for {max(int(seconds), 60)} s",
                "settings": {"arch": default, "seconds": max(int(seconds), 60)}}
    if gap < 0 and seconds < MAX_SECONDS:
        more = min(MAX_SECONDS, max(60, 2 * int(seconds)))
        measured = bench_margins(run.arch)
        return {"text": f"**Try next:** more time. This fit made {run.steps:,} steps in {seconds:.0f} s and is "
                        f"{gap:+.2f} dB against the better rebuild" + (f"; the bench measured `{run.arch}` at "
                                                                       f"{measured}" if measured else "") + ".",
                "button": f"Fit for {more} s", "settings": {"seconds": more}}
    if gap < 0:
        return {"text": f"**Try next:** `grid`, frame by frame, the most steps a second: this clip gives "
                        f"`{run.arch}` little to share between frames ({gap:+.2f} dB after {seconds:.0f} s).",
                "button": f"Fit grid for {int(seconds)} s", "settings": {"arch": "grid"}}
    return {"text": f"**Try next:** it fills held-out pixels {gap:+.2f} dB better than the classical rebuild. Fit "
                    "it on every pixel before you render or upscale it in the Render tab: the held-out pixels then "
                    "train it too.",
            "button": "Fit on every pixel", "settings": {"holdout": "none"}}


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
    """Page load: a reloaded page finds its session's model, clip and downloads (and says what the
    page it replaced left unfinished); a first launch shows the default example's shipped model."""
    session = ensure(session)
    if session.restored:
        return _restored(session)

    def started() -> bool:  # a fit or checkpoint the person started before or while this loads wins
        return session.run is not None or session.fitting

    run = None if started() else load_pretrained(session, DEFAULT_EXAMPLE)
    if started():
        return {}
    if run is None:
        return {"stats": "No pretrained model ships for the default example: pick a clip and press **Start**.",
                "session": session}
    session.run, session.name = run, DEFAULT_EXAMPLE
    return _outputs(session, run, f"{DEFAULT_EXAMPLE} (pretrained)", files=[], advice=NO_ADVICE)


def _restored(session: Session) -> dict:
    """What a reloaded page shows of its session: the model and its downloads, the clip it fitted."""
    settled(lambda: session.fitting)  # the page it replaced is stopping its fit
    clip = ({"example": gr.update(value=None), "upload": str(session.clip)} if session.clip else
            {"example": session.example, "upload": None})
    if session.run is None:
        return {"stats": "Found your session again after the reload.", "session": session, **clip}
    notes = [session.lost or "Found again after the reload: this browser's model, clip and downloads."]
    if session.lost:  # a fit the reload stopped: its files, as a finished fit has
        session.files = save_outputs(session, session.run)
    session.lost = ""
    fitted = bool(session.files)  # a fit of this session, not a shipped or loaded model
    return {**_outputs(session, session.run, session.name, notes, files=session.files,
                       advice=advice(session.run, session.run.seconds) if fitted else NO_ADVICE), **clip}


@friendly
def on_clip(example, upload, max_size):
    """The clip Start will fit, as one thing: a thumbnail, its name, size and rate, and where it
    comes from."""
    path, name = chosen_clip(example, upload)
    return card(api.load_clips([path], max_size=int(max_size))[0], name, bool(upload))


def card(clip: api.Clip, name: str, uploaded: bool) -> dict:
    """The clip card: its thumbnail and its text."""
    t, h, w = clip.frames.shape[:3]
    notes = "; ".join(clip.notes) or "used as it is"
    return {"thumbnail": clip.frames[t // 2],
            "clip_text": (f"**Start fits {name}** ({'your upload' if uploaded else 'an example'})\n\n"
                          f"{t} frames of {w}×{h} at {clip.fps:g} fps ({notes})")}


@friendly
def on_estimate(session, example, upload, arch, sigma, holdout, max_size):
    """What the fit these settings would start needs: size, memory, time per 1,000 steps (this tab's
    live updates included), without starting it. Not while this session fits: timing steps beside
    a fit would slow it and time nothing true."""
    if isinstance(session, Session) and session.fitting:
        return gr.skip()
    path, _ = chosen_clip(example, upload)
    run = api.prepare(api.load_clips([path], max_size=int(max_size)), arch=arch, sigma=sigma_value(sigma),
                      holdout=holdout)
    e, s = api.estimate(run), api.summary(run)
    seconds = e["seconds_per_1000_steps"] * (1 + studio_overhead(run))
    return (f"`{arch}` has {e['params']:,} parameters ({s['bits_per_pixel']:.2f} bits per pixel); {s['size_verdict']}. "
            f"The fit needs about {e['memory_bytes'] / 2**20:.0f} MB and {seconds:.1f} s per 1,000 steps on "
            f"{api.device_name(run.device)}, this page's live updates included.")


def studio_overhead(run: api.Run) -> float:
    """The share of a fit's time this tab's live updates take: one view a second, the per-frame strip
    as often as `_fit_updates` refreshes it (both timed once, on the untrained model)."""
    session = Session()  # never written to: the views are built in memory
    started = time.perf_counter()
    _outputs(session, run, "", strip=False)
    view = time.perf_counter() - started
    started = time.perf_counter()
    frame_strip(run)
    strip = time.perf_counter() - started
    return view / UI_UPDATE_SECONDS + strip / strip_interval(strip)


def strip_interval(cost: float) -> float:
    return max(STRIP_SECONDS, cost / STRIP_SHARE)


@friendly
def on_upload(session: Session, upload, max_size):
    """An upload is read at once: a clip replaces the example as the one Start fits (a copy is kept
    in the session, so a reload finds it); anything else is refused in one sentence and the upload
    cleared, and the page keeps everything it showed. Sets the upload, the example, the notice, the
    card and the session."""
    session = ensure(session)
    if not upload:
        return {"notice": "", "session": session}
    name = Path(upload).name
    try:
        clip = api.load_clips([upload], max_size=int(max_size))[0]
    except ValueError as err:  # ClipError included
        log.warning("upload refused: %s", err)
        return {"upload": None, "notice": f"**{name} was not loaded.** {said(err)} Start fits the clip below.",
                "session": session}
    folder = session.folder / "clip"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    session.clip = Path(shutil.copyfile(upload, folder / session.path(name).name))
    return {"example": gr.update(value=None), "notice": "", **card(clip, name, True), "session": session}


def on_upload_cleared(session: Session):
    """The upload is gone: the example picked last is the clip again."""
    session = ensure(session)
    session.clip = None
    return {"example": session.example, "notice": "", "session": session}


def on_pick(session: Session, example):
    """A picked example replaces an upload as the clip Start fits."""
    session = ensure(session)
    session.clip, session.example = None, example or DEFAULT_EXAMPLE
    return {"upload": None, "notice": "", "session": session}


@friendly
def on_fit(session: Session, example, upload, arch, sigma, holdout, seconds, max_size):
    """Fit the clip for `seconds`, streaming the tab's outputs; the last ones carry the downloads and
    what to try next. A page left mid-fit stops it (Gradio closes the event): the model so far
    stays in the session, and the browser's next page says so."""
    session = ensure(session)
    path, name = chosen_clip(example, upload)
    clips = api.load_clips([path], max_size=int(max_size))
    run = api.prepare(clips, arch=arch, sigma=sigma_value(sigma), holdout=holdout, seconds=float(seconds),
                      preview_seconds=None)
    session.run, session.name, session.stop, session.files = run, name, False, []
    if not upload:  # what a reload shows as the clip
        session.example, session.clip = example, None
    session.fitting = True
    try:
        yield from _fit_updates(session, run, name, (*clips[0].notes, *run.notes), float(seconds))
    except GeneratorExit:
        step = run.history[-1].step if run.history else 0
        session.lost = (f"The page was left while {name} was fitting: the fit stopped at step {step:,} "
                        f"({run.seconds:.0f} s of {float(seconds):.0f}). The model so far is kept; its downloads "
                        "were written when this page found it.")
        raise
    finally:
        session.fitting = False


def _fit_updates(session: Session, run: api.Run, name: str, notes: tuple, seconds: float):
    yield _outputs(session, run, f"{name} (fitting)", notes, strip=False, files=[], advice=NO_ADVICE)
    next_strip, next_update = STRIP_SECONDS, 0.0
    for rec in api.fit(run):
        if session.stop:
            notes = (*notes, f"stopped at step {rec.step}: the model so far is kept")
            break
        # The browser redraws every plot we send, on the same cores as the fit: one update a
        # second keeps the page live without slowing the fit (the first point goes out at once).
        if not rec.final and rec.seconds >= next_update:
            next_update = rec.seconds + UI_UPDATE_SECONDS
            strip = rec.seconds >= next_strip
            started = time.perf_counter()
            outputs = _outputs(session, run, f"{name} (fitting)", notes, rec, strip=strip)
            if strip:
                next_strip = rec.seconds + strip_interval(time.perf_counter() - started)
            yield outputs
    split = api.motion.heldout_split(run)  # a motion field's held-out gain, moving pixels apart from still ones
    session.files = save_outputs(session, run, split)
    if split:
        notes = (*notes, api.motion.describe_split(split))
    yield _outputs(session, run, name, notes, run.history[-1], files=session.files, advice=advice(run, seconds))


@friendly
def on_example(session: Session, example, upload):
    """Picking an example shows its pretrained model at once, when one ships (an upload waits for
    Start, and a running fit keeps its model)."""
    session = ensure(session)
    run = None if upload or not example or session.fitting else load_pretrained(session, example)
    if run is None:
        return {}
    session.run, session.name, session.files = run, example, []
    return _outputs(session, run, f"{example} (pretrained)", files=[], advice=NO_ADVICE)


def on_apply(session: Session, arch, holdout, seconds):
    """The settings of the suggestion shown, put in the tab's controls (Start follows)."""
    chosen = {"arch": arch, "holdout": holdout, "seconds": seconds, **((session.advice or {}) if
                                                                      isinstance(session, Session) else {})}
    return {"arch": chosen["arch"], "holdout": chosen["holdout"], "seconds": chosen["seconds"]}


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
        return {"inr": None, "truth": None, "error": None}
    return preview_images(session.run, int(frame))


@friendly
def on_load_checkpoint(session: Session, file):
    session = ensure(session)
    if not file:
        raise ValueError("choose a .safetensors checkpoint to load")
    run = api.load(file)
    session.run, session.name, session.files = run, Path(file).name, []
    return _outputs(session, run, f"{Path(file).name} (loaded)", strip=False, files=[], advice=NO_ADVICE)


# ---------------------------------------------------------------- layout and wiring

@dataclass
class FitTab:
    """What other tabs and the page load use: the chosen clip, the page load's step of this tab (a
    model's outputs and, for a reloaded page, the clip's two controls), and the events that put a
    new model in the session (the Render tab follows them)."""

    example: gr.Dropdown
    upload: gr.File
    load: dict  # what an event needs (fn, inputs, outputs): `.then(**tab.load)`
    clip: dict  # the events that show the current clip and the estimate; the page load runs them too
    sizing: dict
    model_changed: list


def build_tab(session: gr.State) -> FitTab:
    with gr.Row():
        with gr.Column(scale=1):
            notice = gr.Markdown(elem_id="fit-notice")
            with gr.Row(elem_id="fit-clip", equal_height=True, variant="panel"):
                thumbnail = gr.Image(show_label=False, interactive=False, height=THUMBNAIL_HEIGHT, scale=0,
                                     min_width=THUMBNAIL_WIDTH, container=False, buttons=[],
                                     elem_id="fit-thumbnail")
                clip_text = gr.Markdown(elem_id="fit-clip-text")
            example = gr.Dropdown(EXAMPLES, value=DEFAULT_EXAMPLE, label="Example clip", elem_id="fit-example")
            upload = gr.File(label="…or upload a clip (video, GIF, image): it replaces the example", type="filepath",
                             elem_id="fit-upload")
            default, why = api.default_arch(1)
            arch = gr.Radio(list(api.ARCHS), value=default, label="Network",
                            info=f"{default}, the default: {why}. grid: frame by frame, the fastest a step; "
                                 "fourier: Fourier-feature MLP; siren: sine MLP; hash: hash grid; relu: plain MLP")
            sigma = gr.Textbox("10", label="σ for fourier ('none' for raw coordinates)")
            holdout = gr.Radio(["every2", "random", "none"], value="every2", label="Held-out pixels",
                               info="every2: train on even rows and columns, score on the rest")
            seconds = gr.Slider(2, MAX_SECONDS, value=30, step=1, label="Seconds to train", elem_id="fit-seconds")
            max_size = gr.Slider(32, 512, value=api.caps(api.default_device())["max_size"], step=8,
                                 label="Longest side (px): larger clips are downscaled")
            estimate = gr.Markdown(elem_id="fit-estimate")
            with gr.Row():
                start = gr.Button("Start", variant="primary", elem_id="fit-start")
                stop = gr.Button("Stop", variant="stop", elem_id="fit-stop")
            ckpt_in = gr.File(label="Load a checkpoint (.safetensors)", type="filepath")
        with gr.Column(scale=2):
            stats = gr.Markdown(elem_id="fit-stats")
            advice_text = gr.Markdown(visible=False, elem_id="fit-advice")
            with gr.Row():
                apply = gr.Button(visible=False, variant="secondary", size="md", scale=0, min_width=220,
                                  elem_id="fit-apply")
            curves = gr.Plot(label="Curves", elem_id="fit-curves")
            # A layout around the downloads shows them once there are some: its visibility is no
            # value of the API, which keeps returning the plain list of files.
            with gr.Column(visible=False) as downloads_box:
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

    pictures = {"inr": pred_img, "truth": truth_img, "error": err_img}
    outputs = {"stats": stats, "curves": curves, **pictures, "frame": frame, "strip": strip, "downloads": downloads,
               "advice": advice_text, "apply": apply, "downloads_box": downloads_box, "session": session}
    clip_card = {"thumbnail": thumbnail, "clip_text": clip_text}
    settings = [example, upload, arch, sigma, holdout, max_size]
    clip = {**keyed(on_clip, clip_card), "inputs": [example, upload, max_size]}
    sizing = {"fn": on_estimate, "inputs": [session, *settings], "outputs": [estimate],
              "concurrency_limit": FIT_CONCURRENCY}
    private = {"api_visibility": "private"}  # steps of the page's own chains, not actions of their own
    # These follow the person's choices, never a value a handler sets (that would run them twice).
    gr.on([arch.input, holdout.input], **sizing, api_name="estimate")
    max_size.release(**clip, **private).then(**sizing, **private)
    uploaded = {"upload": upload, "example": example, "notice": notice, **clip_card, "session": session}
    upload.upload(inputs=[session, upload, max_size], **keyed(on_upload, uploaded), **private).then(
        **sizing, **private)
    cleared = {"example": example, "notice": notice, "session": session}
    upload.clear(inputs=[session], **keyed(on_upload_cleared, cleared), **private).then(**clip, **private).then(
        **sizing, **private)
    chosen = {"upload": upload, "notice": notice, "session": session}
    picked = example.input(inputs=[session, example], **keyed(on_pick, chosen), **private).then(**clip, **private).then(
        inputs=[session, example, upload], **keyed(on_example, outputs), api_name="load_example").then(
        **sizing, **private)
    fit_inputs = [session, example, upload, arch, sigma, holdout, seconds, max_size]
    fitted = start.click(inputs=fit_inputs, **keyed(on_fit, outputs), api_name="fit", **FIT_QUEUE)
    applied = apply.click(inputs=[session, arch, holdout, seconds],
                          **keyed(on_apply, {"arch": arch, "holdout": holdout, "seconds": seconds}), **private).then(
        inputs=fit_inputs, **keyed(on_fit, outputs), **FIT_QUEUE, **private)
    stop.click(on_stop, [session], [session], queue=False, api_name="stop")
    frame.change(inputs=[session, frame], **keyed(on_frame, pictures), show_progress="hidden", api_name="preview_frame")
    loaded = ckpt_in.upload(inputs=[session, ckpt_in], **keyed(on_load_checkpoint, outputs), api_name="load_checkpoint")
    load = {**keyed(on_load, {**outputs, "example": example, "upload": upload}), "inputs": [session]}
    return FitTab(example, upload, load, clip, sizing, [fitted, applied, picked, loaded])
