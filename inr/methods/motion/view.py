"""What a motion field learned, as pictures: a key frame as the field holds it, where its points move
by the next key (arrows over it), and the same motion as the usual colour wheel."""

import numpy as np
import torch

from inr.core.field.coords import frame_times, pixel_centres
from inr.core.media.images import enlarge, side_by_side, to_uint8
from inr.core.train.run import Run
from inr.methods.motion.flow import flow_arrows, flow_colours
from inr.methods.motion.model import MotionGrid

PANEL_TITLES = ("content of key frame", "where it moves by the next", "motion (hue: direction, brightness: speed)")


def is_motion(run: Run) -> bool:
    return isinstance(run.model.encoding, MotionGrid)


def gaps(run: Run) -> int:
    """How many frame gaps the run's motion field moves content across (0 for other fields)."""
    return int(run.model.encoding.flows.shape[0]) if is_motion(run) else 0


@torch.no_grad()
def learned(run: Run, gap: int, scale: int = 1) -> dict[str, np.ndarray]:
    """uint8 (H, W, 3) pictures of gap `gap` of a motion run at `scale` times the clip's size, by PANEL_TITLES."""
    if not is_motion(run):
        raise ValueError(f"the {run.arch} field has no motion to show: fit with the motion arch")
    count = gaps(run)
    if count == 0:
        raise ValueError("a one-frame clip has no frame gaps, so no motion")
    if not 0 <= gap < count:
        raise ValueError(f"gap must be in 0..{count - 1}, got {gap}")
    info = run.clips[0]
    model, device = run.model, run.model.latents.device
    t = frame_times(model.encoding.keys, device)[gap:gap + 1]
    frame = model.lattice(t, pixel_centres(info.height, device), pixel_centres(info.width, device))[0]
    content = enlarge(to_uint8(frame.clamp(0, 1).cpu()), scale)
    flow = model.encoding.flows[gap, 0].detach().cpu()
    return dict(zip(PANEL_TITLES, (content, flow_arrows(content, flow, step=8 * scale),
                                   flow_colours(flow, content.shape[:2]))))


def panel(run: Run, gap: int, scale: int = 2) -> np.ndarray:
    """The three pictures of ``learned`` side by side, `scale` times the clip's size: uint8 (H', W', 3)."""
    return side_by_side(list(learned(run, gap, scale).values()))
