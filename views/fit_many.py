"""The Fit tab's "One model per clip" section: several clips, each fitted on its own with the tab's
settings, one after another, and a table of their figures beside the classical rebuild.

It is ``python -m inr fit-many`` in the browser, in one process (torchrun is for the command line):
the same rows (``api.manifest.make_row``), the same manifest (``manifest.jsonl``), a checkpoint and a
run card per clip. A clip that cannot be read or fitted gets its one-line reason and the others go
on; Stop keeps every model fitted so far and the one at hand as it stands.
"""

import re
import time
from pathlib import Path

import gradio as gr

from inr import api
from views.common import (EXAMPLES, FIGURES, FIT_QUEUE, Session, db, ensure, example_path, friendly, keyed,
                          sigma_value)

MAX_CLIPS = 12  # clips a run takes: at a few seconds each, a page that answers within minutes
UI_UPDATE_SECONDS = 1.0  # at most one live update a second


def _state(session: Session) -> dict:
    return session.views.setdefault("fit_many", {})


def clips_of(examples, uploads) -> list[tuple[Path, str]]:
    """(path, name) of the ticked examples and the uploads, in that order; at most MAX_CLIPS."""
    chosen = [(example_path(e), e) for e in (examples or []) if e in EXAMPLES]
    chosen += [(Path(u), Path(u).name) for u in (uploads or [])]
    if not chosen:
        raise ValueError("tick examples or upload clips: each gets a model of its own")
    if len(chosen) > MAX_CLIPS:
        raise ValueError(f"{len(chosen)} clips were given; the studio fits at most {MAX_CLIPS} at a time "
                         "(python -m inr fit-many DIR fits a folder of any size)")
    return chosen


def table(rows: list[dict], current: str = "") -> str:
    """The rows as a Markdown table: each clip's figures on training and held-out pixels beside the
    classical rebuild of the same held-out pixels, or why it failed."""
    lines = ["| clip | status | training px | held-out px | bilinear | bicubic | INR − bicubic | model | steps | seconds |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for r in rows:
        name = cell(r["name"])
        if r["status"] == "failed":
            lines.append(f"| {name} | failed: {cell(r['reason'])} | | | | | | | | {r['seconds']:.1f} |")
            continue
        gap = (f"{r['heldout_psnr'] - r['bicubic_psnr']:+.2f} dB"
               if r["heldout_psnr"] is not None and r["bicubic_psnr"] is not None else "–")
        status = "stopped (probe frames)" if r["status"] == "stopped" else "ok"
        lines.append(f"| {name} | {status} | {db(r['train_psnr'])} | {db(r['heldout_psnr'])} | {db(r['bilinear_psnr'])} | "
                     f"{db(r['bicubic_psnr'])} | {gap} | {r['model_bytes'] / 1e6:.2f} MB | {r['steps']} | "
                     f"{r['seconds']:.1f} |")
    if current:
        lines.append(f"| {cell(current)} | fitting… | | | | | | | | |")
    return "\n".join(lines)


def cell(text: str) -> str:
    """Text for a Markdown table cell: a '|' in a file name would end the cell."""
    return str(text).replace("|", "\\|")


def file_stem(index: int, name: str) -> str:
    """The clip's files' stem in the session folder: its position and a tame, short form of its name."""
    return f"{index:02d}_{re.sub(r'[^A-Za-z0-9_.-]', '_', Path(name).stem)[:60] or 'clip'}"


def _fit_one(session: Session, path: Path, name: str, index: int, settings: dict):
    """Fit one clip, yielding its live line, then (row, files); a failure is a row too, and a clip
    stopped midway is "stopped" (its model kept, its figures on the probe frames)."""
    started = time.monotonic()
    stem = file_stem(index, name)
    targets = session.path(f"{stem}.safetensors"), session.path(f"{stem}_run.json")
    files, stopped = [], False
    try:
        clips = api.load_clips([path], max_size=settings["max_size"])
        run = api.prepare(clips, arch=settings["arch"], sigma=settings["sigma"], holdout=settings["holdout"],
                          seconds=settings["seconds"], preview_seconds=None)
        next_update = 0.0
        for rec in api.fit(run):
            if _state(session).get("stop"):
                stopped = True
                break
            if not rec.final and rec.seconds >= next_update:
                next_update = rec.seconds + UI_UPDATE_SECONDS
                yield f"{name}: step {rec.step}, {rec.seconds:.1f} s, training pixels {db(rec.train_psnr)}"
        summary = api.summary(run)
        files = [api.save(run, targets[0], optimizer=False), api.write_run_card(targets[1], run, summary)]
        row = api.manifest.make_row(name, 0, run.device, time.monotonic() - started, summary=summary)
        if stopped:
            row["status"] = "stopped"
    except api.manifest.CLIP_FAILURES as error:
        row = api.manifest.make_row(name, 0, settings["device"], time.monotonic() - started, error=error)
    yield row, files


@friendly
def on_fit_many(session, examples, uploads, arch, sigma, holdout, seconds, max_size):
    """Fit each chosen clip for `seconds`, one after another; stream the table; end with the downloads."""
    session = ensure(session)
    chosen = clips_of(examples, uploads)
    settings = {"arch": arch, "sigma": sigma_value(sigma), "holdout": holdout, "seconds": float(seconds),
                "max_size": int(max_size), "device": api.default_device()}
    state = _state(session)
    state["stop"] = False
    rows, files = [], []
    for index, (path, name) in enumerate(chosen):
        if state["stop"]:
            break
        for out in _fit_one(session, path, name, index, settings):
            if isinstance(out, str):
                yield {"status": f"clip {index + 1} of {len(chosen)} · {out}", "table": table(rows, name),
                       "session": session}
            else:
                row, made = out
                rows.append(row)
                files += made
        yield {"status": f"clip {index + 1} of {len(chosen)} done", "table": table(rows), "session": session}
    manifest = session.path("manifest.jsonl")
    api.manifest.write_manifest(manifest, rows)
    ok = sum(r["status"] != "failed" for r in rows)
    stopped = " (stopped: the models so far are kept)" if state["stop"] else ""
    yield {"status": f"**{ok} of {len(chosen)} clips fitted, {len(rows) - ok} failed{stopped}**, {seconds:g} s each "
                     f"with `{arch}`; every PSNR names its pixels, and the bilinear and bicubic columns rebuild the "
                     "same held-out pixels from the training ones.",
           "table": table(rows), "downloads": [str(manifest), *map(str, files)], "session": session}


def on_stop(session):
    """Stop after the current step of the clip at hand; what was fitted is kept."""
    if isinstance(session, Session):
        _state(session)["stop"] = True
    return session


def build_section(session: gr.State, arch, sigma, holdout, max_size) -> None:
    """The section, under the Fit tab's pictures; it fits with the tab's network, σ, held-out split and size."""
    with gr.Accordion("One model per clip: fit several clips, each on its own", open=False):
        gr.Markdown("Each clip below gets its own model, with the network, σ, held-out pixels and longest "
                    "side chosen above, one clip after another; the table compares them. The command line "
                    "does the same for a whole folder, over several processes: `python -m inr fit-many DIR`.")
        with gr.Row():
            examples = gr.CheckboxGroup(EXAMPLES, value=[], label="Examples", elem_id="many-examples")
            uploads = gr.File(label="…and/or uploads", file_count="multiple", type="filepath")
            with gr.Column():
                seconds = gr.Slider(2, 120, value=10, step=1, label="Seconds for each clip", elem_id="many-seconds")
                with gr.Row():
                    start = gr.Button("Fit each clip", variant="primary", elem_id="many-start")
                    stop = gr.Button("Stop", variant="stop")
        status = gr.Markdown(elem_id="many-status")
        rows = gr.Markdown(elem_classes=FIGURES, elem_id="many-table")
        downloads = gr.File(label="Downloads: manifest.jsonl, a checkpoint and a run card per clip",
                            file_count="multiple")
    start.click(inputs=[session, examples, uploads, arch, sigma, holdout, seconds, max_size],
                **keyed(on_fit_many, {"status": status, "table": rows, "downloads": downloads, "session": session}),
                api_name="fit_many", **FIT_QUEUE)
    stop.click(on_stop, [session], [session], queue=False, api_name="fit_many_stop")
