"""The "Compare" tab: up to six configurations of any architecture fitted to the Fit tab's clip, at
equal time or equal size, side by side: every curve live on one plot with the classical rebuild
as a line, a table of training against held-out PSNR, size and speed, one frame of each with a
shared frame slider, zoom and error maps, and a GIF of each. At first launch it shows the shipped
Fourier σ sweep (``checkpoints/sigma_*.safetensors``).
"""

import json
import time
from dataclasses import dataclass

import gradio as gr

from inr import api
from views.common import (CHECKPOINTS, FIGURES, FIT_QUEUE, PIXELATED, SMALL_CAPS, Session, chosen_clip, curves_plot,
                          db, ensure, example_path, friendly, keyed, settled)

GIF_COLUMNS = 4  # a preset's four GIFs in one row; five or six wrap to a second
UI_UPDATE_SECONDS = 1.0  # the browser redraws the plot on the fit's cores: once a second is live enough
CUSTOM = "custom"
PRESET_CHOICES = [(p.title, key) for key, p in api.compare.PRESETS.items()] + [("custom (type below)", CUSTOM)]
FULL_CAPS = api.caps(api.default_device())
CLIP_SIZES = {f"small: {SMALL_CAPS['max_frames']} frames, {SMALL_CAPS['max_size']} px": SMALL_CAPS,
              f"full: up to {FULL_CAPS['max_frames']} frames, {FULL_CAPS['max_size']} px": FULL_CAPS}
SHIPPED_CLIP = "jelly_small.mp4"  # what the shipped σ models were fitted to, at SMALL_CAPS
OFF_TARGET = api.compare.TOLERANCE  # a size further than this from the target is flagged in the table
SETTINGS_HELP = "  \n".join(
    f"**{arch}**: " + ", ".join(f"`{k}` ({s.meaning}, default {s.default})" for k, s in settings.items())
    + f"; equal size sets `{api.compare.SIZED_BY[arch]}`"
    for arch, settings in api.compare.SETTINGS.items())


def _state(session: Session) -> dict:
    return session.views.setdefault("compare", {"comparison": None, "stop": False, "running": False})


# ---------------------------------------------------------------- formatting

def _table(comparison) -> str:
    rows = api.compare.table(comparison)
    baseline = comparison.baseline
    header = ["configuration", "trained", "training pixels", "held-out pixels", "gap", "held-out vs bicubic",
              "parameters", "bytes", "steps", "steps/s"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for r in rows:
        held = r["heldout_psnr"]
        versus = "–" if not baseline or held is None else f"{held - baseline['bicubic']:+.2f} dB"
        size = f"{r['bytes']:,}"
        if r.get("target_bytes"):
            flag = " ⚠" if abs(r["off_target"]) > OFF_TARGET else ""
            size += f" ({r['off_target']:+.1%}{flag})"
        train = db(r["train_psnr"]) + (" (every pixel)" if r["arch"] == api.compare.CODEC else "")
        gap = "–" if r["gap"] is None else f"{r['gap']:.2f} dB"
        trained = r["trained"] + (", stopped" if "stopped" in r["scored_on"] else "")
        lines.append(f"| {_cell(r['label'])} | {trained} | {train} | {db(r['heldout_psnr'])} | {gap} | {versus} | "
                     f"{r['params']:,} | {size} | {r['steps']:,} | {r['steps_per_second']:.0f} |")
    if baseline:
        lines.append(f"| bicubic rebuild (classical) | from the training pixels | – | {db(baseline['bicubic'])} "
                     "| – | 0 | – | – | – | – |")
        lines.append(f"| bilinear rebuild (classical) | from the training pixels | – | {db(baseline['bilinear'])} | "
                     f"– | {baseline['bilinear'] - baseline['bicubic']:+.2f} dB | – | – | – | – |")
    notes = []
    if comparison.target_bytes:
        notes.append(f"Equal size: each sized to {comparison.target_bytes:,} bytes (the percentage is how far its "
                     f"file landed; ⚠ beyond {OFF_TARGET:.0%}). A field's bytes are its float32 weights and config "
                     "(safetensors), the codec's its range-coded .inr.")
    if any(r["trained"].startswith("batched") for r in rows):
        notes.append("A batched group of K trains for K times the seconds each: a member's seconds are its share, "
                     "its steps the batch's, its steps/s per second of its share.")
    if any(r["arch"] == api.compare.CODEC for r in rows):
        notes.append("The codec fits every pixel (nothing held out): its figure is every pixel of its decoded file; "
                     "its parameters count its latents, which its file holds quantised and entropy-coded.")
    return "\n".join(lines + [""] + notes)


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _gifs(session: Session, comparison) -> list[tuple[str, str]]:
    """(GIF path, caption) of each fitted configuration, enlarged so a small clip is not a stamp; each
    written once per comparison (this is called again as every later group ends)."""
    height = comparison.clip.frames.shape[1]
    scale = max(1, min(3, 240 // height))
    written = _state(session).setdefault("gifs", {})  # (comparison, config) -> path
    out = []
    for k, result in enumerate(api.compare.results(comparison)):
        key = (id(comparison), result.config)
        if key not in written:
            path = session.path(f"compare_{k}_{result.config.file_stem}.gif")
            written[key] = str(api.export(path, api.enlarge(result.frames, scale), comparison.clip.fps))
        out.append((written[key], result.config.label))
    return out


def _downloads(session: Session, comparison, gifs: list[tuple[str, str]]) -> list[str]:
    path = session.path("compare.json")
    path.write_text(json.dumps(api.compare.summary(comparison), indent=1))
    return [str(path)] + [g for g, _ in gifs]


def _panel(comparison, frame, zoom, x, y):
    if comparison is None or not api.compare.results(comparison):
        return None
    frame = min(int(frame), len(comparison.clip.frames) - 1)
    return api.compare.panel(comparison, frame, (float(y), float(x)), float(zoom))


def _curves(comparison):
    """Every curve on one plot; its time axis is each configuration's own seconds (a batched member's
    share of its batch), as the "Seconds each" slider counts them."""
    fig = curves_plot(api.compare.histories(comparison), comparison.baseline)
    fig.update_xaxes(title_text="seconds each")
    fig.update_layout(title={"text": "training pixels solid, held-out dotted, the classical rebuild dashed",
                             "font": {"size": 12}, "x": 0.5, "y": 0.99})
    fig.update_layout(margin={"t": 80})
    return fig


def _finished(session: Session, comparison, status: str) -> dict:
    """Every output once some groups have been fitted: status, curves, table, the picture of the middle
    frame with its controls set to match (frame, zoom, centre), GIFs, files, the session."""
    gifs = _gifs(session, comparison)
    _state(session)["status"] = status  # what a reloaded page says again
    count = len(comparison.clip.frames)
    frame = gr.Slider(0, count - 1, value=count // 2, step=1, label="Frame (all panels)")
    return {"status": status, "curves": _curves(comparison), "table": _table(comparison),
            "picture": _panel(comparison, count // 2, 1, 0.5, 0.5), "frame": frame, "zoom": 1, "x": 0.5, "y": 0.5,
            "gifs": gifs, "files": _downloads(session, comparison, gifs), "session": session}


# ---------------------------------------------------------------- handlers

def on_preset(preset):
    """A preset fills the configurations box; custom leaves it for typing."""
    if preset in api.compare.PRESETS:
        return api.compare.PRESETS[preset].configs
    return gr.skip()


@friendly
def on_compare(session: Session, example, upload, size, text, equal, seconds, target):
    """Fit every configuration (the same seconds each, or sized to equal bytes first), streaming the
    curves; the table, panels and GIFs fill as each group ends."""
    session = ensure(session)
    state = _state(session)
    state.update(stop=False, running=True)  # a Stop pressed from here on counts
    try:
        path, name = chosen_clip(example, upload)
        if size not in CLIP_SIZES:
            raise ValueError(f"clip size must be one of {', '.join(CLIP_SIZES)}, got {size!r}")
        configs = api.compare.parse(text or "")
        target = int(target) if equal == "size" and target else None
        clip = api.load_clips([path], **CLIP_SIZES[size])[0]
        comparison = api.compare.plan(clip, configs, equal=equal, seconds=float(seconds), target_bytes=target)
        state.update(comparison=comparison, gifs={})  # the GIFs of the one before are not shown again
        yield from _fit_updates(session, state, comparison, name)
    finally:
        state["running"] = False


def _fit_updates(session: Session, state: dict, comparison, name: str):
    clip, groups = comparison.clip, comparison.groups
    shape = "×".join(str(v) for v in clip.frames.shape[1:3][::-1])
    how = (f"**{name}**, {len(clip.frames)} frames of {shape}, on {api.device_name(groups[0].run.device)}. "
           f"{len(groups)} group(s): {comparison.schedule}.")
    notes = "; ".join([*clip.notes, *comparison.notes])
    how += f"\n\nNotes: {notes}." if notes else ""
    # The new comparison's status at once, and nothing of the one before it (its table, picture, GIFs).
    yield {"status": f"{how}\n\nStarting group 1 of {len(groups)}: {groups[0].describe}.", "curves": None,
           "table": "", "picture": None, "gifs": [], "files": [], "session": session}
    records = api.compare.fit(comparison)
    next_update, started = 0.0, time.perf_counter()
    try:
        for index, rec in records:
            if state["stop"]:
                how += f" Stopped during group {index + 1} of {len(groups)}: what was fitted is kept."
                break
            if rec.final and index + 1 < len(groups):
                yield _finished(session, comparison, f"{how}\n\nGroup {index + 1} of {len(groups)} done.")
                if state["stop"]:  # pressed while that group ended: start no other
                    how += f" Stopped after group {index + 1} of {len(groups)}: what was fitted is kept."
                    break
            elif not rec.final and time.perf_counter() - started >= next_update:
                next_update = time.perf_counter() - started + UI_UPDATE_SECONDS
                status = (f"{how}\n\nGroup {index + 1} of {len(groups)} ({groups[index].describe}): "
                          f"step {rec.step:,}, {rec.seconds:.1f} s")
                yield {"status": status, "curves": _curves(comparison), "session": session}
    finally:
        records.close()  # a stopped group ends here: its model so far is what the results show
    yield _finished(session, comparison, how)


def on_stop(session: Session):
    """Stop the comparison after its current step; what was fitted is kept and shown."""
    if isinstance(session, Session):
        _state(session)["stop"] = True
    return session


@friendly
def on_view(session: Session, frame, zoom, x, y):
    """One frame of every configuration, cropped alike, each over its error map."""
    if not isinstance(session, Session):
        return None
    return _panel(_state(session)["comparison"], frame, zoom, x, y)


def load_pretrained(session: Session):
    """Page load: the shipped σ sweep, unless a comparison of this session already ran or runs (also
    one started while this loaded: it is checked again before anything is replaced)."""
    session = ensure(session)
    state = _state(session)
    if session.restored and state["comparison"] is not None:  # a reload: the comparison it had, as it stands
        settled(lambda: state["running"])
        return _finished(session, state["comparison"], state.get("status", ""))

    def started() -> bool:
        return state["comparison"] is not None or state["running"]

    shipped = sorted(CHECKPOINTS.glob("sigma_*.safetensors"), key=lambda p: _sigma_order(p.stem[6:]))
    if started() or not shipped:
        return {}
    clip = api.load_clips([example_path(SHIPPED_CLIP)], **SMALL_CAPS)[0]
    fitted = [(api.compare.make("fourier", {"sigma": None if p.stem[6:] == "none" else float(p.stem[6:])}),
               api.load(p)) for p in shipped]
    comparison = api.compare.adopt(clip, fitted)
    steps = fitted[0][1].steps
    status = (f"Shipped: the Fourier σ sweep on **{SHIPPED_CLIP}** ({len(clip.frames)} frames, "
              f"{SMALL_CAPS['max_size']} px), each σ fitted alone for {steps:,} steps by scripts/make_checkpoints.py. "
              "Press Compare to fit any preset or your own configurations.")
    outputs = _finished(session, comparison, status)
    if started():
        return {}
    state["comparison"] = comparison
    return outputs


def _sigma_order(label: str) -> float:
    return -1.0 if label == "none" else float(label)


# ---------------------------------------------------------------- layout and wiring

@dataclass
class CompareTab:
    pretrained: dict  # the page load's step (fn, inputs, outputs): the shipped σ sweep, `.then(**tab.pretrained)`


def build_tab(session: gr.State, example: gr.Dropdown, upload: gr.File) -> CompareTab:
    """The tab fits the Fit tab's clip: its `example` and `upload` are inputs here."""
    gr.Markdown("Fit up to six configurations of any architecture to the Fit tab's clip and see them side by side. "
                "Each field is trained on the even rows and columns and scored on the held-out pixels between them, "
                "beside the classical (bicubic) rebuild of the same pixels; the codec fits every pixel and is scored "
                "on its decoded file. Configurations of one network shape (a σ sweep, an ω₀ sweep) train together "
                "as one batched model; the rest one after another.")
    first = next(iter(api.compare.PRESETS))
    with gr.Row():
        preset = gr.Dropdown(PRESET_CHOICES, value=first, label="Preset")
        text = gr.Textbox(api.compare.PRESETS[first].configs, label="Configurations (arch:key=value,...; ...)",
                          elem_id="compare-configs", scale=3)
    with gr.Accordion("Architectures and their settings", open=False):
        gr.Markdown(SETTINGS_HELP)
    with gr.Row():
        size = gr.Radio(list(CLIP_SIZES), value=next(iter(CLIP_SIZES)), label="Clip size")
        equal = gr.Radio([("equal time", "time"), ("equal size", "size")], value="time", label="Compare at")
        seconds = gr.Slider(2, 240, value=15, step=1, label="Seconds each",
                            info="a batch of K (a σ sweep) trains K × this as one model: the curves show each "
                                 "member's share")
        target = gr.Number(0, label="Target bytes (equal size; 0: the first configuration's size as given)",
                           precision=0, minimum=0)
    with gr.Row():
        go = gr.Button("Compare", variant="primary", elem_id="compare-go")
        stop = gr.Button("Stop", variant="stop")
    status = gr.Markdown(elem_id="compare-status")
    curves = gr.Plot(label="Curves", elem_id="compare-curves")
    table = gr.Markdown(elem_id="compare-table", elem_classes=FIGURES)
    with gr.Row():
        frame = gr.Slider(0, 7, value=4, step=1, label="Frame (all panels)")
        zoom = gr.Slider(1, 8, value=1, step=0.5, label="Zoom (all panels)")
        x = gr.Slider(0, 1, value=0.5, step=0.01, label="Zoom centre, across")
        y = gr.Slider(0, 1, value=0.5, step=0.01, label="Zoom centre, down")
    picture = gr.Image(label="One frame of each, with its PSNR over every pixel of the frame, over its error map",
                       interactive=False, elem_classes=PIXELATED, elem_id="compare-panel")
    gifs = gr.Gallery(label="GIFs", columns=GIF_COLUMNS, height="auto", object_fit="contain", elem_id="compare-gifs")
    files = gr.File(label="Downloads (compare.json and the GIFs)", file_count="multiple", interactive=False)

    outputs = {"status": status, "curves": curves, "table": table, "picture": picture, "frame": frame, "zoom": zoom,
               "x": x, "y": y, "gifs": gifs, "files": files, "session": session}
    preset.change(on_preset, [preset], [text], api_visibility="private")
    text.input(lambda: CUSTOM, None, [preset], api_visibility="private")  # typed: no longer the preset
    go.click(inputs=[session, example, upload, size, text, equal, seconds, target], **keyed(on_compare, outputs),
             api_name="compare", **FIT_QUEUE)
    stop.click(on_stop, [session], [session], queue=False, api_name="compare_stop")
    view = [session, frame, zoom, x, y]
    # Only a person's moves (dragging or typing) redraw it: the handlers set these sliders with the picture.
    # The latest move wins, so a drag does not queue a picture for every step it passed.
    frame.input(on_view, view, [picture], api_name="compare_view", trigger_mode="always_last")
    for control in (zoom, x, y):
        control.input(on_view, view, [picture], api_visibility="private", trigger_mode="always_last")
    return CompareTab({**keyed(load_pretrained, outputs), "inputs": [session]})
