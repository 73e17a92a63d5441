"""Space-time super-resolution: fit a shrunk clip, render it back, score it beside classical upscaling."""

from inr.methods.superres.evaluation import SuperResolution, classical_preview, classical_render, evaluate

__all__ = ["SuperResolution", "classical_preview", "classical_render", "evaluate"]
