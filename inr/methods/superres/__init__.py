"""Space-time super-resolution: fit a shrunk clip, render it back, score it beside classical upscaling."""

from inr.methods.superres.workflow import (Study, SuperResolution, best_arch, classical_methods, classical_preview,
                                            classical_render, classical_scores, evaluate, prepare_study, score)

__all__ = ["Study", "SuperResolution", "best_arch", "classical_methods", "classical_preview", "classical_render",
           "classical_scores", "evaluate", "prepare_study", "score"]
