"""Space-time super-resolution: fit a shrunk clip, render it back, score it beside classical upscaling."""

from inr.methods.superres.evaluation import (Study, SuperResolution, best_arch, classical_preview, classical_render, evaluate,
                                            prepare_study, score)

__all__ = ["Study", "SuperResolution", "best_arch", "classical_preview", "classical_render", "evaluate", "prepare_study",
           "score"]
