"""The "Compress" tab: Latent-INR's section (``views/compress_latent.py``)."""

import gradio as gr

from views import compress_latent


def build_tab(session: gr.State) -> None:
    compress_latent.build_section(session)
