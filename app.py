"""The studio: a Gradio app over ``inr.api``. Run ``python app.py`` and open the printed URL.

Plain handler functions first, then the layout, then the wiring. Every handler turns widget values
into arguments, calls the façade, and formats what it returns. Per-browser state lives in a
``Session`` held by ``gr.State``; nothing is shared between users.
"""

import functools
import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no telemetry, no version check

import time
from pathlib import Path

import gradio as gr
import numpy as np
import plotly.graph_objects as go

from inr import api
from views import compress as compress_view
from views import space as space_view
from views.common import SESSIONS_ROOT, Session, delete_session as _delete_session, ensure as _ensure, friendly

ROOT = Path(__file__).resolve().parent
ASSETS = ROOT / "assets"
CHECKPOINTS = ROOT / "checkpoints"
EXAMPLES = sorted(p.name for p in ASSETS.iterdir() if p.suffix.lower() in (".mp4", ".gif", ".png", ".jpg"))
DEFAULT_EXAMPLE = "jelly_small.mp4"
SIGMA_CHOICES = ["none", "1", "10", "100"]
# A Fourier MLP learns slowly on a CPU: the Compare and Blend views use small clips.
SIGMA_CAPS = {"max_frames": 8, "max_size": 96}
BLEND_CAPS = {"max_frames": 8, "max_size": 96}
DISPLAY_SCALE = 3  # the small Compare and Blend clips are shown rendered at 3x: an INR renders any size
SR_TEMPORAL_PRIOR = 1.0  # weight of the temporal-consistency prior when the check turns it on
UI_UPDATE_SECONDS = 1.0  # at most one live update of the Fit view a second
FIT_CONCURRENCY = 2  # fits at once across all users; the rest wait in the queue
# Gradio's copies of uploads and downloads (its cache): every 10 minutes, those over an hour old go.
CACHE_CLEANUP = (600, 3600)


# ---------------------------------------------------------------- formatting

def _db(value) -> str:
    return "–" if value is None else f"{value:.2f} dB"


def stats_markdown(run: api.Run, name: str, notes=(), rec: api.Record | None = None) -> str:
    s = api.summary(run)
    info = run.clips[0]
    lines = [f"**{name}** · {info.frames} frames of {info.width}×{info.height} · `{run.arch}` · "
             f"{s['params']:,} parameters ({s['model_bytes'] / 1e6:.2f} MB, {s['bits_per_pixel']:.2f} bits per pixel)"]
    lines += [f"- {n}" for n in notes]
    if rec is not None:
        lines.append(f"step {rec.step} · {rec.seconds:.1f} s · {rec.steps_per_second:.1f} steps/s")
    where = "every pixel" if s.get("scored_on") == "every pixel" else "probe frames"
    lines.append(f"**training pixels** {_db(s['train_psnr'])} · **held-out pixels** {_db(s['heldout_psnr'])} "
                 f"({where}) · classical rebuild of the held-out pixels: bilinear {_db(s['bilinear_psnr'])}, "
                 f"bicubic {_db(s['bicubic_psnr'])}")
    if s["heldout_psnr"] is not None and s["bicubic_psnr"] is not None:
        lines.append(f"**The INR {api.verdict(s)}.**")
    return "\n\n".join(lines)


def curves_plot(runs: dict, baseline) -> go.Figure:
    return api.curves_figure(runs, baseline)


def frame_strip(run: api.Run) -> go.Figure | None:
    if run.frames is None:
        return None
    train, heldout = api.frame_psnrs(run)
    fig = go.Figure()
    fig.add_trace(go.Bar(y=train, name="training pixels"))
    if heldout and heldout[0] is not None:
        fig.add_trace(go.Bar(y=heldout, name="held-out pixels"))
    fig.update_layout(height=220, barmode="group", title="PSNR per frame (dB)", xaxis_title="frame",
                      margin={"l": 40, "r": 10, "t": 40, "b": 30}, legend={"orientation": "h"})
    fig.update_yaxes(range=[max(0, min(v for v in train + heldout if v is not None) - 2), None])
    return fig


def preview_images(run: api.Run, frame: int):
    frame = int(min(max(frame, 0), run.clips[0].frames - 1))
    return api.preview_triplet(run, frame)


# ---------------------------------------------------------------- Fit tab

def example_path(name: str) -> Path:
    if name not in EXAMPLES:
        raise ValueError(f"unknown example {name!r}; choose one of {', '.join(EXAMPLES)}")
    return ASSETS / name


def load_pretrained(session: Session, name: str) -> api.Run | None:
    """The shipped model of an example, with its clip attached (None if none ships)."""
    path = CHECKPOINTS / f"{Path(name).stem}.safetensors"
    if not path.is_file():
        return None
    run = api.load(path)
    clip = api.load_clips([example_path(name)], device=run.device)
    return api.attach_clips(run, clip)


def _fit_outputs(session, run, name, notes=(), rec=None, strip=True, files=None):
    pred, truth, error = preview_images(run, run.clips[0].frames // 2)
    last = run.clips[0].frames - 1  # a still image has one frame: Gradio needs minimum < maximum
    slider = gr.Slider(minimum=0, maximum=max(last, 1), value=run.clips[0].frames // 2, step=1, interactive=last > 0)
    return (stats_markdown(run, name, notes, rec), curves_plot({run.arch: run.history}, run.baseline),
            pred, truth, error, slider, frame_strip(run) if strip else gr.skip(),
            files if files is not None else gr.skip(), session)


@friendly
def on_load(session: Session | None):
    """First launch: the default example's pretrained model is ready in every view."""
    session = _ensure(session)

    def started() -> bool:  # a fit or checkpoint the person started before or while this loads wins
        return session.run is not None or session.fitting

    run = None if started() else load_pretrained(session, DEFAULT_EXAMPLE)
    if started():
        return (*[gr.skip()] * 8, session)
    if run is None:
        return ("No pretrained model ships for the default example: pick a clip and press **Start**.",
                None, None, None, None, gr.skip(), None, None, session)
    session.run, session.name = run, DEFAULT_EXAMPLE
    return _fit_outputs(session, run, f"{DEFAULT_EXAMPLE} (pretrained)", files=[])


def _chosen_clip(example: str | None, upload: str | None) -> tuple[Path, str]:
    if upload:
        return Path(upload), Path(upload).name
    if not example:
        raise ValueError("choose an example or upload a clip first")
    return example_path(example), example


def _sigma_value(text) -> float | None:
    if text in (None, "", "none"):
        return None
    value = float(text)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"sigma must be a number > 0 or 'none', got {text!r}")
    return value


@friendly
def on_estimate(example, upload, arch, sigma, holdout, max_size):
    path, name = _chosen_clip(example, upload)
    clips = api.load_clips([path], max_size=int(max_size))
    run = api.prepare(clips, arch=arch, sigma=_sigma_value(sigma), holdout=holdout)
    e = api.estimate(run)
    notes = "; ".join(clips[0].notes) or "used as it is"
    t, h, w = clips[0].frames.shape[:3]
    return (f"**Before you start:** {name}: {t} frames of {w}×{h} ({notes}). `{arch}` has {e['params']:,} parameters; "
            f"the fit needs about {e['memory_bytes'] / 2**20:.0f} MB and "
            f"{e['seconds_per_1000_steps']:.1f} s per 1,000 steps on {api.device_name(run.device)}.")


@friendly
def on_fit(session: Session, example, upload, arch, sigma, holdout, seconds, max_size):
    session = _ensure(session)
    path, name = _chosen_clip(example, upload)
    clips = api.load_clips([path], max_size=int(max_size))
    run = api.prepare(clips, arch=arch, sigma=_sigma_value(sigma), holdout=holdout, seconds=float(seconds),
                      preview_seconds=None)
    session.run, session.name, session.stop = run, name, False
    session.fitting = True
    try:
        yield from _fit_updates(session, run, name, clips[0].notes)
    finally:
        session.fitting = False


def _fit_updates(session: Session, run: api.Run, name: str, notes: tuple):
    yield _fit_outputs(session, run, name, notes, strip=False, files=[])
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
            outputs = _fit_outputs(session, run, name, notes, rec, strip=strip)
            if strip:
                strip_cost = time.perf_counter() - started
                next_strip = rec.seconds + max(3.0, 10 * strip_cost)
            yield outputs
    yield _fit_outputs(session, run, name, notes, run.history[-1], files=save_outputs(session, run))


@friendly
def on_example(session: Session, example, upload):
    """Picking an example shows its pretrained model at once, when one ships (an upload waits for
    Start, and a running fit keeps its model)."""
    session = _ensure(session)
    run = None if upload or not example or session.fitting else load_pretrained(session, example)
    if run is None:
        return (gr.skip(),) * 8 + (session,)
    session.run, session.name = run, example
    return _fit_outputs(session, run, f"{example} (pretrained)", files=[])


def save_outputs(session: Session, run: api.Run) -> list[str]:
    """Checkpoint, run card, GIF and MP4 of the current model, in the session's folder."""
    stem = Path(session.name).stem or "clip"
    ckpt = api.save(run, session.path(f"{stem}.safetensors"))
    card = api.write_run_card(session.path(f"{stem}_run.json"), run, api.summary(run))
    frames, _, fps = api.render(run)
    frames = np.stack(list(frames))
    gif = api.export(session.path(f"{stem}.gif"), frames, fps)
    mp4 = api.export(session.path(f"{stem}.mp4"), frames, fps)
    return [str(p) for p in (gif, mp4, ckpt, card)]


def on_stop(session: Session):
    if isinstance(session, Session):
        session.stop = True
    return session


@friendly
def on_frame(session: Session, frame):
    if not isinstance(session, Session) or session.run is None:
        return None, None, None
    return preview_images(session.run, int(frame))


@friendly
def on_load_checkpoint(session: Session, file):
    session = _ensure(session)
    if not file:
        raise ValueError("choose a .safetensors checkpoint to load")
    run = api.load(file)
    session.run, session.name = run, Path(file).name
    return _fit_outputs(session, run, f"{Path(file).name} (loaded)", strip=False, files=[])


# ---------------------------------------------------------------- Compare σ tab

def _sigma_view(session: Session, label: str):
    run = session.sigma_runs[label]
    s = api.summary(run)
    gif = session.path(f"sigma_{label}.gif")
    if not gif.exists():
        frames, _, fps = api.render(run, spatial_scale=DISPLAY_SCALE)
        api.export(gif, np.stack(list(frames)), fps)
    text = (f"**σ = {label}**: training pixels {_db(s.get('train_psnr'))}, held-out pixels "
            f"{_db(s.get('heldout_psnr'))} (bicubic rebuild {_db(s.get('bicubic_psnr'))})")
    return str(gif), text


def _sigma_table(session: Session) -> str:
    rows = ["| σ | training pixels | held-out pixels | gap |", "|---|---|---|---|"]
    for label, run in session.sigma_runs.items():
        s = api.summary(run)
        tr, ho = s.get("train_psnr"), s.get("heldout_psnr")
        gap = f"{tr - ho:.2f} dB" if tr is not None and ho is not None else "–"
        rows.append(f"| {label} | {_db(tr)} | {_db(ho)} | {gap} |")
    return "\n".join(rows)


@friendly
def on_sigma_fit(session: Session, example, upload, chosen, custom, seconds):
    session = _ensure(session)
    path, name = _chosen_clip(example, upload)
    sigmas = [_sigma_value(c) for c in chosen]
    if custom not in (None, ""):
        sigmas.append(_sigma_value(custom))
    if not sigmas:
        raise ValueError("tick at least one σ (or type a custom one)")
    unique = api.sigma.unique(sigmas)  # a repeated σ is fitted once
    labels, sigmas = list(unique), list(unique.values())
    clips = api.load_clips([path], **SIGMA_CAPS)
    session.sigma_runs = {}
    # Every σ in one batched model: one loop, the same pixels each step, all curves live at once.
    run = api.sigma.prepare(clips, sigmas, holdout="every2", seconds=float(seconds))
    for rec in api.fit(run):
        if not rec.final:
            histories = {f"σ {label}": h for label, h in zip(labels, api.sigma.member_histories(run))}
            yield (curves_plot(histories, run.baseline), gr.skip(), gr.skip(), gr.skip(),
                   f"fitting {len(labels)} σ together on {name}: step {rec.step}, {rec.seconds:.1f} s", session)
    # GIFs are cached by label: drop the old ones only now, since the page's pretrained load may
    # have written some while this fit ran.
    for old in session.folder.glob("sigma_*.gif") if session.folder.exists() else []:
        old.unlink()
    session.sigma_runs = dict(zip(labels, api.sigma.members(run)))
    histories = {f"σ {label}": m.history for label, m in session.sigma_runs.items()}
    gif, text = _sigma_view(session, labels[0])
    yield (curves_plot(histories, run.baseline), gr.Radio(choices=labels, value=labels[0]), gif, text,
           _sigma_table(session), session)


@friendly
def on_sigma_pick(session: Session, label):
    if not isinstance(session, Session) or label not in session.sigma_runs:
        return None, ""
    return _sigma_view(session, label)


def load_sigma_pretrained(session: Session):
    session = _ensure(session)
    if session.sigma_runs:  # a Compare σ fit already ended while the page loaded: keep its results
        return (gr.skip(),) * 5
    for path in sorted(CHECKPOINTS.glob("sigma_*.safetensors"), key=lambda p: _sigma_sort(p.stem[6:])):
        session.sigma_runs[path.stem[6:]] = api.load(path)
    if not session.sigma_runs:
        return gr.skip(), None, "", "", None
    labels = list(session.sigma_runs)
    gif, text = _sigma_view(session, labels[min(2, len(labels) - 1)])
    curves = curves_plot({f"σ {k}": r.history for k, r in session.sigma_runs.items()}, None)
    return (gr.Radio(choices=labels, value=labels[min(2, len(labels) - 1)]), gif, text, _sigma_table(session),
            curves)


def _sigma_sort(label: str) -> float:
    return -1.0 if label == "none" else float(label)


# ---------------------------------------------------------------- Blend tab

def _blend_choices(run: api.Run) -> list[tuple[str, int]]:
    return [(f"{i}: {c.name}", i) for i, c in enumerate(run.clips)]


@friendly
def on_blend_fit(session: Session, examples, uploads, seconds):
    session = _ensure(session)
    paths = [example_path(e) for e in (examples or [])] + [Path(u) for u in (uploads or [])]
    if len(paths) < 2:
        raise ValueError("a blend needs at least two clips or images: tick examples or upload files")
    clips = api.load_clips(paths, **BLEND_CAPS)
    clips = api.common_size(clips)
    run = api.prepare(clips, arch="fourier", sigma=10.0, holdout="none", seconds=float(seconds))
    session.blend = run
    for rec in api.fit(run):
        if not rec.final:
            yield (f"fitting {len(clips)} clips in one model: step {rec.step}, {rec.seconds:.1f} s, "
                   f"{rec.train_psnr:.2f} dB on training pixels", gr.skip(), gr.skip(), session)
    choices = _blend_choices(run)
    yield (f"{len(clips)} clips in one model: {api.summary(run)['train_psnr']:.2f} dB on training pixels",
           gr.Dropdown(choices=choices, value=0), gr.Dropdown(choices=choices, value=1), session)


def load_blend_pretrained(session: Session):
    session = _ensure(session)
    path = CHECKPOINTS / "blend.safetensors"
    if not path.is_file():
        return "No pretrained blend ships: tick two examples and press **Fit blend**.", gr.skip(), gr.skip()
    if session.blend is not None:  # a blend fitted while the page loaded: keep it
        return (gr.skip(),) * 3
    session.blend = api.load(path)
    choices = _blend_choices(session.blend)
    return (f"Pretrained blend of {len(choices)} clips loaded.", gr.Dropdown(choices=choices, value=0),
            gr.Dropdown(choices=choices, value=1))


@friendly
def on_blend_preview(session: Session, a, b, alpha):
    if not isinstance(session, Session) or session.blend is None or a is None or b is None:
        return None
    info = session.blend.clips[int(a)]
    size = (info.height * DISPLAY_SCALE, info.width * DISPLAY_SCALE)
    return api.predict_frame(session.blend, info.frames // 2, clip=int(a), mix_with=int(b), mix=float(alpha), size=size)


@friendly
def on_blend_render(session: Session, a, b, alpha):
    if not isinstance(session, Session) or session.blend is None or a is None or b is None:
        return None, None
    frames, _, fps = api.render(session.blend, clip=int(a), mix_with=int(b), mix=float(alpha),
                                spatial_scale=DISPLAY_SCALE)
    gif = api.export(session.path(f"blend_{int(a)}_{int(b)}_{alpha:.2f}.gif"), np.stack(list(frames)), fps)
    return str(gif), str(gif)


# ---------------------------------------------------------------- Render tab

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


# Examples made from another shipped clip: (the original, every n-th of its frames kept). Renders
# of them at the original's size and rate are scored against it.
ORIGINALS = {"jelly_every4.mp4": ("jelly_small.mp4", 4)}


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


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2) / 255**2
    return float(10 * np.log10(1 / max(mse, 1e-12)))


def _difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.clip(np.abs(a.astype(np.int16) - b.astype(np.int16)) * api.ERROR_GAIN, 0, 255).astype(np.uint8)


@friendly
def on_render_preview(session: Session, spatial, temporal, width, height, frames, compare=False):
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
                 f"INR {_psnr(ours, original[k]):.2f} dB, {name} {_psnr(theirs, original[k]):.2f} dB PSNR")
    return api.side_by_side([ours, theirs, _difference(ours, theirs)]), info


@friendly
def on_render(session: Session, spatial, temporal, width, height, frames, compare=False, progress=gr.Progress()):
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
    both = np.stack([api.side_by_side([a, b]) for a, b in zip(rendered, classical)])
    pair = api.export(session.path(f"{stem}_inr_vs_classical.mp4"), both, fps)
    original = _original(session, shape)
    if original is not None:
        name = api.superres.classical_preview(run, shape, 0)[0]
        info += (f" · against the original {ORIGINALS[session.name][0]} (every frame, never seen by either): "
                 f"INR {_psnr(rendered, original):.2f} dB, {name} {_psnr(classical, original):.2f} dB PSNR")
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
    video = np.stack([api.side_by_side(list(p)) for p in zip(result.target, result.inr, result.classical)])
    path = api.export(session.path(f"sr_check_{space:g}x_{int(time)}x.mp4"), video, run.clips[0].fps)
    return api.side_by_side(panels), table, str(path)


def render_source(session: Session) -> str:
    if not isinstance(session, Session) or session.run is None:
        return "No model yet: fit a clip or load a checkpoint in the Fit tab."
    info = session.run.clips[0]
    return (f"Rendering **{session.name}** (`{session.run.arch}`, fitted at {info.frames} frames of "
            f"{info.width}×{info.height}, {info.fps:.3g} fps).")


# ---------------------------------------------------------------- layout and wiring

THEME = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                          font_mono=["ui-monospace", "monospace"])  # system fonts: no font CDN


def build() -> gr.Blocks:
    with gr.Blocks(title="Neural video studio", analytics_enabled=False, delete_cache=CACHE_CLEANUP) as demo:
        session = gr.State(None, delete_callback=_delete_session)
        gr.Markdown(f"# Neural video studio\nFit a coordinate network to a clip, watch it learn, render it "
                    f"at any size. Running on **{api.device_name(api.default_device())}**.")
        with gr.Tabs():
            with gr.Tab("Fit"):
                with gr.Row():
                    with gr.Column(scale=1):
                        example = gr.Dropdown(EXAMPLES, value=DEFAULT_EXAMPLE, label="Example clip")
                        upload = gr.File(label="…or upload a clip (video, GIF, image)", type="filepath")
                        arch = gr.Radio(list(api.ARCHS), value=api.DEFAULT_ARCH, label="Network",
                                        info="grid: multiresolution grid (fastest); fourier: Fourier-feature MLP; "
                                             "siren: sine MLP; hash: hash grid; relu: plain MLP")
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
                        with gr.Row():
                            pred_img = gr.Image(label="INR", interactive=False, height=200)
                            truth_img = gr.Image(label="Ground truth", interactive=False, height=200)
                            err_img = gr.Image(label="Error ×5", interactive=False, height=200)
                        frame = gr.Slider(0, 1, value=0, step=1, label="Frame")
                        strip = gr.Plot(label="PSNR per frame")
                        downloads = gr.File(label="Downloads: GIF, MP4, checkpoint, run card", file_count="multiple",
                                            elem_id="fit-downloads")
            with gr.Tab("Compare σ"):
                gr.Markdown("One Fourier-feature MLP per σ on the same clip (8 frames, 96 px), trained on even "
                            "rows and columns, all σ at once as one batched model. Small σ blurs; large σ "
                            "memorises the training pixels and fails between them.")
                with gr.Row():
                    sigmas = gr.CheckboxGroup(SIGMA_CHOICES, value=SIGMA_CHOICES, label="σ values")
                    custom_sigma = gr.Textbox("", label="Custom σ (optional)")
                    sigma_seconds = gr.Slider(2, 240, value=30, step=1, label="Seconds (all σ together)")
                sigma_go = gr.Button("Fit all σ", variant="primary")
                sigma_status = gr.Markdown()
                sigma_pick = gr.Radio([], label="Show σ")
                with gr.Row():
                    sigma_gif = gr.Image(label="Render", interactive=False, type="filepath", height=300)
                    with gr.Column():
                        sigma_text = gr.Markdown(elem_id="sigma-text")
                        sigma_table = gr.Markdown()
                sigma_curves = gr.Plot(label="All curves")
            with gr.Tab("Blend"):
                gr.Markdown("Several clips in one model, each with a learned latent code; α blends two codes.")
                with gr.Row():
                    blend_examples = gr.CheckboxGroup(EXAMPLES, label="Examples to blend")
                    blend_uploads = gr.File(label="…and/or uploads", file_count="multiple", type="filepath")
                    blend_seconds = gr.Slider(5, 300, value=30, step=1, label="Seconds to train")
                blend_go = gr.Button("Fit blend", variant="primary")
                blend_status = gr.Markdown()
                with gr.Row():
                    clip_a = gr.Dropdown([], label="Clip A (α = 0)")
                    clip_b = gr.Dropdown([], label="Clip B (α = 1)")
                alpha = gr.Slider(0, 1, value=0.5, step=0.01, label="α", elem_id="blend-alpha")
                with gr.Row():
                    blend_preview = gr.Image(label="Preview (middle frame, while dragging)", interactive=False,
                                             elem_id="blend-preview", height=300)
                    blend_gif = gr.Image(label="Blend (on release)", interactive=False, type="filepath",
                                         elem_id="blend-gif", height=300)
                blend_file = gr.File(label="Download GIF")
            with gr.Tab("Render"):
                source = gr.Markdown()
                with gr.Row():
                    spatial = gr.Slider(0.25, 4, value=2.5, step=0.05, label="Spatial scale", elem_id="render-spatial")
                    temporal = gr.Slider(0.25, 8, value=4, step=0.05, label="Temporal scale", elem_id="render-temporal")
                with gr.Row():
                    out_w = gr.Number(0, label="Width (0: from scale)", precision=0)
                    out_h = gr.Number(0, label="Height (0: from scale)", precision=0)
                    out_t = gr.Number(0, label="Frames (0: from scale)", precision=0)
                compare = gr.Checkbox(False, label="Compare with classical upscaling (bicubic in space, linear "
                                                   "frame blending in time), side by side", elem_id="render-compare")
                render_info = gr.Markdown(elem_id="render-info")
                render_preview = gr.Image(label="Preview", interactive=False, height=360)
                render_go = gr.Button("Render", variant="primary", elem_id="render-go")
                render_video = gr.Video(label="Render", height=360)
                render_files = gr.File(label="Download GIF and MP4", file_count="multiple", elem_id="render-files")
                with gr.Accordion("Check super-resolution against the original", open=False):
                    gr.Markdown("Shrinks the Fit tab's clip (area averaging) and keeps every n-th frame, fits an INR "
                                "to that, renders it back at the original size and rate, and scores it and the "
                                "classical upscale against the original frames.")
                    with gr.Row():
                        sr_space = gr.Slider(1, 4, value=2, step=0.1, label="Spatial factor")
                        sr_time = gr.Slider(1, 4, value=2, step=1, label="Temporal factor (keep every n-th frame)")
                        sr_seconds = gr.Slider(5, 120, value=20, step=1, label="Seconds to train")
                        sr_prior = gr.Checkbox(True, label="Temporal-consistency prior")
                    sr_go = gr.Button("Degrade, fit and compare", elem_id="sr-go")
                    sr_table = gr.Markdown(elem_id="sr-table")
                    sr_image = gr.Image(label="Original | INR | classical", interactive=False, height=300)
                    sr_video = gr.Video(label="Original | INR | classical", height=300)
            with gr.Tab("Latent space"):
                space_view.build_tab(session)
            with gr.Tab("Compress"):
                compress_view.build_tab(session)

        fit_outputs = [stats, curves, pred_img, truth_img, err_img, frame, strip, downloads, session]
        render_inputs = [session, spatial, temporal, out_w, out_h, out_t, compare]
        # The session is created by an event of its own that returns at once, before the slow
        # pretrained loads: a button pressed while they run then finds this session and fills it,
        # instead of making a second one that replaces it; the loads leave alone what it filled.
        demo.load(_ensure, [session], [session]).then(on_load, [session], fit_outputs).then(
            load_sigma_pretrained, [session], [sigma_pick, sigma_gif, sigma_text, sigma_table, sigma_curves]).then(
            load_blend_pretrained, [session], [blend_status, clip_a, clip_b]).then(
            render_source, [session], [source]).then(
            on_render_preview, render_inputs, [render_preview, render_info])
        fit_inputs = [example, upload, arch, sigma, holdout, max_size]
        for trigger in (example.change, upload.change, arch.change, holdout.change, max_size.release):
            trigger(on_estimate, fit_inputs, [estimate], concurrency_limit=FIT_CONCURRENCY)
        fit_event = start.click(on_fit, [session, example, upload, arch, sigma, holdout, seconds, max_size],
                                fit_outputs, concurrency_limit=FIT_CONCURRENCY, concurrency_id="fit")
        fit_event.then(render_source, [session], [source]).then(
            on_render_preview, render_inputs, [render_preview, render_info])
        example.change(on_example, [session, example, upload], fit_outputs).then(
            render_source, [session], [source]).then(on_render_preview, render_inputs, [render_preview, render_info])
        stop.click(on_stop, [session], [session], queue=False)
        frame.change(on_frame, [session, frame], [pred_img, truth_img, err_img], show_progress="hidden")
        ckpt_in.upload(on_load_checkpoint, [session, ckpt_in], fit_outputs).then(render_source, [session], [source]).then(
            on_render_preview, render_inputs, [render_preview, render_info])

        sigma_go.click(on_sigma_fit, [session, example, upload, sigmas, custom_sigma, sigma_seconds],
                       [sigma_curves, sigma_pick, sigma_gif, sigma_text, sigma_table, session],
                       concurrency_limit=FIT_CONCURRENCY, concurrency_id="fit")
        sigma_pick.change(on_sigma_pick, [session, sigma_pick], [sigma_gif, sigma_text])

        blend_go.click(on_blend_fit, [session, blend_examples, blend_uploads, blend_seconds],
                       [blend_status, clip_a, clip_b, session], concurrency_limit=FIT_CONCURRENCY,
                       concurrency_id="fit")
        alpha.change(on_blend_preview, [session, clip_a, clip_b, alpha], [blend_preview],
                     show_progress="hidden", trigger_mode="always_last")
        alpha.release(on_blend_render, [session, clip_a, clip_b, alpha], [blend_gif, blend_file])
        for dropdown in (clip_a, clip_b):
            dropdown.change(on_blend_preview, [session, clip_a, clip_b, alpha], [blend_preview])

        # One event for every control, run one at a time: two previews computed side by side could
        # finish out of order and leave the page describing the older settings.
        gr.on([c.change for c in (spatial, temporal, out_w, out_h, out_t, compare)], on_render_preview,
              render_inputs, [render_preview, render_info], show_progress="hidden", trigger_mode="always_last",
              concurrency_limit=1, concurrency_id="render-preview")
        render_go.click(on_render, render_inputs, [render_video, render_files, render_info], concurrency_limit=FIT_CONCURRENCY)
        sr_go.click(on_sr_check, [session, sr_space, sr_time, sr_seconds, sr_prior], [sr_image, sr_table, sr_video],
                    concurrency_limit=FIT_CONCURRENCY, concurrency_id="fit")
    return demo


def main() -> None:
    SESSIONS_ROOT.mkdir(parents=True, exist_ok=True)
    demo = build()
    # server_name/port None: Gradio reads GRADIO_SERVER_NAME / GRADIO_SERVER_PORT, else 127.0.0.1:7860.
    demo.queue(default_concurrency_limit=4).launch(
        # No allowed_paths: Gradio copies what a handler returns into its cache (under a hashed
        # folder) and serves only that cache and uploads, never a session folder by its path.
        share=False, ssr_mode=False, max_file_size="200mb", theme=THEME, show_error=True,
    )


if __name__ == "__main__":
    main()
