"""The "Compare σ" tab: Fourier-feature MLPs at several σ fitted together (one batched model) to
the Fit tab's clip, with every curve live; each σ's render and a table of training against
held-out PSNR. Works at first launch from the shipped ``checkpoints/sigma_*.safetensors``.
"""

from dataclasses import dataclass

import gradio as gr
import numpy as np

from inr import api
from views.common import (CHECKPOINTS, DISPLAY_SCALE, FIT_QUEUE, PIXELATED, SMALL_CAPS, Session, chosen_clip,
                          curves_plot, db, ensure, friendly, sigma_value)

SIGMA_CHOICES = ["none", "1", "10", "100"]


# ---------------------------------------------------------------- formatting

def _view(session: Session, label: str):
    """(GIF path, text) of one σ: its render (written once per label) and its scores."""
    run = session.sigma_runs[label]
    s = api.summary(run)
    gif = session.path(f"sigma_{label}.gif")
    if not gif.exists():
        frames, _, fps = api.render(run, spatial_scale=DISPLAY_SCALE)
        api.export(gif, np.stack(list(frames)), fps)
    text = (f"**σ = {label}**: training pixels {db(s.get('train_psnr'))}, held-out pixels "
            f"{db(s.get('heldout_psnr'))} (bicubic rebuild {db(s.get('bicubic_psnr'))})")
    return str(gif), text


def _table(session: Session) -> str:
    rows = ["| σ | training pixels | held-out pixels | gap |", "|---|---|---|---|"]
    for label, run in session.sigma_runs.items():
        s = api.summary(run)
        tr, ho = s.get("train_psnr"), s.get("heldout_psnr")
        gap = f"{tr - ho:.2f} dB" if tr is not None and ho is not None else "–"
        rows.append(f"| {label} | {db(tr)} | {db(ho)} | {gap} |")
    return "\n".join(rows)


def _sort_key(label: str) -> float:
    return -1.0 if label == "none" else float(label)


# ---------------------------------------------------------------- handlers

@friendly
def on_sigma_fit(session: Session, example, upload, chosen, custom, seconds):
    """Fit every chosen σ together for `seconds`, streaming the curves; then show the first σ."""
    session = ensure(session)
    path, name = chosen_clip(example, upload)
    sigmas = [sigma_value(c) for c in chosen]
    if custom not in (None, ""):
        sigmas.append(sigma_value(custom))
    if not sigmas:
        raise ValueError("tick at least one σ (or type a custom one)")
    unique = api.sigma.unique(sigmas)  # a repeated σ is fitted once
    labels, sigmas = list(unique), list(unique.values())
    clips = api.load_clips([path], **SMALL_CAPS)
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
    gif, text = _view(session, labels[0])
    yield (curves_plot(histories, run.baseline), gr.Radio(choices=labels, value=labels[0]), gif, text,
           _table(session), session)


@friendly
def on_sigma_pick(session: Session, label):
    """The render (GIF) and scores of one fitted σ, by its label."""
    if not isinstance(session, Session) or label not in session.sigma_runs:
        return None, ""
    return _view(session, label)


def load_pretrained(session: Session):
    """Page load: the shipped σ models, unless a Compare σ fit already ended while the page loaded."""
    session = ensure(session)
    if session.sigma_runs:  # keep that fit's results
        return (gr.skip(),) * 5
    for path in sorted(CHECKPOINTS.glob("sigma_*.safetensors"), key=lambda p: _sort_key(p.stem[6:])):
        session.sigma_runs[path.stem[6:]] = api.load(path)
    if not session.sigma_runs:
        return gr.skip(), None, "", "", None
    labels = list(session.sigma_runs)
    shown = labels[min(2, len(labels) - 1)]
    gif, text = _view(session, shown)
    curves = curves_plot({f"σ {k}": r.history for k, r in session.sigma_runs.items()}, None)
    return gr.Radio(choices=labels, value=shown), gif, text, _table(session), curves


# ---------------------------------------------------------------- layout and wiring

@dataclass
class CompareTab:
    pretrained_outputs: list  # what load_pretrained fills


def build_tab(session: gr.State, example: gr.Dropdown, upload: gr.File) -> CompareTab:
    """The tab fits the Fit tab's clip: its `example` and `upload` are inputs here."""
    gr.Markdown(f"One Fourier-feature MLP per σ on the Fit tab's clip ({SMALL_CAPS['max_frames']} frames, "
                f"{SMALL_CAPS['max_size']} px), trained on even rows and columns, all σ at once as one batched model. "
                "Small σ blurs; large σ memorises the training pixels and fails between them.")
    with gr.Row():
        sigmas = gr.CheckboxGroup(SIGMA_CHOICES, value=SIGMA_CHOICES, label="σ values")
        custom = gr.Textbox("", label="Custom σ (optional)")
        seconds = gr.Slider(2, 240, value=30, step=1, label="Seconds (all σ together)")
    go = gr.Button("Fit all σ", variant="primary")
    pick = gr.Radio([], label="Show σ")
    with gr.Row():
        gif = gr.Image(label="Render", interactive=False, type="filepath", elem_classes=PIXELATED)
        with gr.Column():
            text = gr.Markdown(elem_id="sigma-text")
            table = gr.Markdown()
    curves = gr.Plot(label="All curves")

    go.click(on_sigma_fit, [session, example, upload, sigmas, custom, seconds],
             [curves, pick, gif, text, table, session], api_name="compare_sigma", **FIT_QUEUE)
    pick.change(on_sigma_pick, [session, pick], [gif, text], api_name="compare_sigma_show")
    return CompareTab([pick, gif, text, table, curves])
