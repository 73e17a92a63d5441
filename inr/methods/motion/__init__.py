"""Motion: a field whose content moves along optical flow between frames (the ``motion`` arch).

``ARCH`` is its row of the architecture table, with its encoding: once ``inr/archs.py`` registers
it, ``prepare(clips, arch="motion")``, checkpoints and renders work like any other arch. Importing
this package registers nothing.
"""

from inr.methods.motion.arch import ARCH
from inr.methods.motion.gain import describe as describe_split
from inr.methods.motion.gain import heldout_split
from inr.methods.motion.model import MotionConfig, MotionGrid
from inr.methods.motion.view import PANEL_TITLES, gaps, is_motion, learned, panel

__all__ = ["ARCH", "PANEL_TITLES", "MotionConfig", "MotionGrid", "describe_split", "gaps", "heldout_split", "is_motion",
           "learned", "panel"]
