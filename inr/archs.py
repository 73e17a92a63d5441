"""The architecture table: every architecture a fit can name, built in or a method's, registered here
and nowhere else.

The engine holds the built-in rows (``inr/core/train/presets.py``); each method that fits a field
of its own defines its row beside its model (``ARCH``) and is listed below. The façade calls
``install`` before it answers anything, so whatever goes through ``inr.api`` (the studio, the
command line, a checkpoint loaded by a script) knows every row, in whatever order it imports.
Adding a method's architecture is one line here.
"""

from inr.core.train import presets
from inr.methods import motion

METHOD_ARCHS = {
    "motion": motion.ARCH,  # content moved along optical flow; the default for one clip
}


def install() -> tuple[str, ...]:
    """Register every method's row with the engine (again is a no-op); every architecture's name."""
    for name, arch in METHOD_ARCHS.items():
        presets.register(name, arch)
    return presets.arch_names()
