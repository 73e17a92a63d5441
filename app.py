"""The studio: a Gradio app over ``inr.api``. Run ``python app.py`` and open the printed URL.

Each tab is a module of ``views/`` (its handlers, its layout, its own events); this file only
composes them, wires what crosses from one tab to another (a new model in the Fit tab refreshes
the Render tab; the page-load chain fills every tab) and launches. Per-browser state lives in a
``Session`` held by ``gr.State``; nothing is shared between users.
"""

import os

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no telemetry, no version check

import gradio as gr

from inr import api
from views import blend, compare, compress, fit, render, space
from views.common import CSS, SESSIONS_ROOT, attach, delete_session

# Gradio's copies of uploads and downloads (its cache): every 10 minutes, those over an hour old go.
CACHE_CLEANUP = (600, 3600)
THEME = gr.themes.Default(font=["ui-sans-serif", "system-ui", "sans-serif"],
                          font_mono=["ui-monospace", "monospace"])  # system fonts: no font CDN


def build() -> gr.Blocks:
    with gr.Blocks(title="Neural video studio", analytics_enabled=False, delete_cache=CACHE_CLEANUP) as demo:
        session = gr.State(None, delete_callback=delete_session)
        # The session's key in this browser's local storage: a reload finds the same session.
        browser_key = gr.BrowserState(None, storage_key="inr-studio-session")
        gr.Markdown(f"# Neural video studio\nFit a coordinate network to a clip, watch it learn, render it "
                    f"at any size. Running on **{api.device_name(api.default_device())}**.")
        with gr.Tabs():
            with gr.Tab("Fit"):
                fit_tab = fit.build_tab(session)
            with gr.Tab("Compare"):
                compare_tab = compare.build_tab(session, fit_tab.example, fit_tab.upload)
            with gr.Tab("Blend"):
                blend_tab = blend.build_tab(session)
            with gr.Tab("Render"):
                render_tab = render.build_tab(session)
            with gr.Tab("Latent space"):
                space.build_tab(session)
            with gr.Tab("Compress"):
                compress_tab = compress.build_tab(session)

        private = {"api_visibility": "private"}  # steps of the page's own chains, not actions of their own

        def refresh_render(event):
            """After `event` put a model in the session: the Render tab names it, previews it and shows its motion."""
            return event.then(render.render_source, [session], [render_tab.source], **private).then(
                **render_tab.preview, **private).then(**render_tab.motion, **private)

        for event in fit_tab.model_changed:  # a fit, an example's shipped model, a loaded checkpoint
            refresh_render(event)
        # The session is created by an event of its own that returns at once, before the slow
        # pretrained loads: a button pressed while they run then finds this session and fills it,
        # instead of making a second one that replaces it; the loads leave alone what it filled.
        loaded = demo.load(attach, [session, browser_key], [session, browser_key], **private).then(
            **fit_tab.load, **private).then(**fit_tab.clip, **private).then(
            **compare_tab.pretrained, **private).then(**blend_tab.pretrained, **private)
        refresh_render(loaded)
        # Beside the Render tab's refresh, not after it: decoding the shipped codec file and encoding
        # x264 at its size take a few seconds that no other tab waits for.
        # The estimate last: it times the fit's steps, which the page's other loads would slow.
        loaded.then(**compress_tab.load, **private).then(**fit_tab.sizing, **private)
    return demo


def main() -> None:
    SESSIONS_ROOT.mkdir(parents=True, exist_ok=True)
    demo = build()
    # server_name/port None: Gradio reads GRADIO_SERVER_NAME / GRADIO_SERVER_PORT, else 127.0.0.1:7860.
    demo.queue(default_concurrency_limit=4).launch(
        # No allowed_paths: Gradio copies what a handler returns into its cache (under a hashed
        # folder) and serves only that cache and uploads, never a session folder by its path.
        share=False, ssr_mode=False, max_file_size="200mb", theme=THEME, css=CSS, show_error=True,
    )


if __name__ == "__main__":
    main()
