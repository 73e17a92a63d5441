"""Motion: a field whose content moves along optical flow between frames (the ``motion`` arch).

Importing this package adds the arch to the engine's presets and its encoding to the engine's
encodings, so ``prepare(clips, arch="motion")``, checkpoints and renders work like any other arch.
"""

from inr.core.field.encodings import register as _register_encoding
from inr.methods.motion import arch
from inr.methods.motion.field import MotionConfig, MotionGrid
from inr.methods.motion.gain import describe as describe_split
from inr.methods.motion.gain import heldout_split
from inr.methods.motion.view import PANEL_TITLES, gaps, is_motion, learned, panel

_register_encoding(MotionConfig(), MotionGrid)
arch.register()

__all__ = ["PANEL_TITLES", "MotionConfig", "MotionGrid", "describe_split", "gaps", "heldout_split", "is_motion",
           "learned", "panel"]
