"""What every tab of the studio shares: where files are, the examples, the fit queue, the
per-browser Session, input checks shared by tabs, and the error wrapper.

Each tab is one module of ``views/``: plain handlers first, then a ``build_tab`` that lays out the
tab inside the current ``gr.Tab``, wires its own events and returns the components (and events)
other tabs need. ``app.py`` composes the tabs and wires what crosses from one tab to another.
"""

import functools
import inspect
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr
import numpy as np

from inr import api

ROOT = Path(__file__).resolve().parent.parent
ASSETS = ROOT / "assets"
CHECKPOINTS = ROOT / "checkpoints"
EXAMPLES = sorted(p.name for p in ASSETS.iterdir() if p.suffix.lower() in (".mp4", ".gif", ".png", ".jpg"))
DEFAULT_EXAMPLE = "jelly_small.mp4"  # its pretrained model is what every view shows at first launch
SESSIONS_ROOT = Path(tempfile.gettempdir()) / "inr-studio"

FIT_CONCURRENCY = 2  # fits at once across all users and tabs; the rest wait in the queue
# A Fourier MLP learns slowly on a CPU: Compare (its small clip) and Blend fit small clips, and show them rendered
# at 3x (an INR renders any size).
SMALL_CAPS = {"max_frames": 8, "max_size": 96}
DISPLAY_SCALE = 3
# Every event that trains a model shares one queue, so a fit in one tab counts against the others.
FIT_QUEUE = {"concurrency_limit": FIT_CONCURRENCY, "concurrency_id": "fit"}

# Pictures of 48-160 px clips are shown as wide as their column (at least ~480 px on a desktop
# screen), enlarged by nearest-neighbour sampling: no blur that would hide what the INR got wrong.
# Gradio's own rule (object-fit: scale-down) never enlarges; components with this class set no
# height, so the picture's width decides it. app.py passes CSS to launch().
PIXELATED = ["pixelated"]
# Frames shown with a caption are enlarged (pixel repeat) to at least this width first: the
# caption's text is ~6 px a letter, more than a 160-px frame holds.
PICTURE_WIDTH = 480
# The classical codec a neural one's file is shown beside: the one every reader knows, in 4:4:4 as
# RGB PSNR scores.
PICTURE_CODEC = "x264"
# Markdown tables of figures: Gradio breaks table words anywhere, which splits numbers mid-digit.
FIGURES = ["figures"]
CSS = """
.pixelated img, .pixelated video { image-rendering: pixelated; object-fit: contain !important; }
.pixelated .image-frame { width: 100%; }
.pixelated .image-frame img { width: 100%; height: auto; max-height: 480px; }
#compare-panel .image-frame img { max-height: none; }
.figures table { word-break: normal; }
.figures td { white-space: nowrap; }
"""


@dataclass
class Session:
    """One browser session's models and files."""

    run: api.Run | None = None  # the Fit tab's model, also what the Render tab renders
    name: str = ""
    blend: api.Run | None = None
    views: dict = field(default_factory=dict)  # state of the Compare, Latent space and Compress tabs, by tab
    stop: bool = False
    fitting: bool = False  # a Fit-tab fit is running: picking an example must not swap its model
    folder: Path = field(default_factory=lambda: SESSIONS_ROOT / uuid.uuid4().hex)

    def path(self, name: str) -> Path:
        """A file of this session's folder. Names come from uploads: one plain name, never a path
        (no separator, not '.' or '..'), so nothing is written outside the folder."""
        if not name or Path(name).name != name or name in (".", "..") or "\\" in name or "\0" in name:
            raise ValueError(f"not a plain file name: {name!r}")
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / name


def ensure(session) -> "Session":
    """The session's state, created on first use (an API client may never trigger the page load)."""
    return session if isinstance(session, Session) else Session()


def delete_session(session: "Session | None") -> None:
    if isinstance(session, Session):
        shutil.rmtree(session.folder, ignore_errors=True)


def friendly(fn):
    """Turn ValueError (bad input, refused request) into a message in the page, not a crash."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except ValueError as err:
                raise gr.Error(str(err)) from err
        return gen

    @functools.wraps(fn)
    def plain(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except ValueError as err:
            raise gr.Error(str(err)) from err
    return plain


# ---------------------------------------------------------------- inputs and formats shared by tabs

def example_path(name: str) -> Path:
    if name not in EXAMPLES:
        raise ValueError(f"unknown example {name!r}; choose one of {', '.join(EXAMPLES)}")
    return ASSETS / name


def chosen_clip(example: str | None, upload: str | None) -> tuple[Path, str]:
    """(path, name) of the clip to fit: an upload wins over the example."""
    if upload:
        return Path(upload), Path(upload).name
    if not example:
        raise ValueError("choose an example or upload a clip first")
    return example_path(example), example


def sigma_value(text) -> float | None:
    """σ typed in a box: a number > 0, or None for 'none' (raw coordinates)."""
    if text in (None, "", "none"):
        return None
    value = float(text)
    if not (np.isfinite(value) and value > 0):
        raise ValueError(f"sigma must be a number > 0 or 'none', got {text!r}")
    return value


def captioned(frame: np.ndarray, text: str, width: int) -> np.ndarray:
    """A uint8 frame enlarged by a whole factor to at least PICTURE_WIDTH (for a clip `width` px wide,
    so every frame of it gets the same factor), over a strip with `text`."""
    return api.caption(api.enlarge(frame, max(1, -(-PICTURE_WIDTH // width))), text)


def db(value) -> str:
    return "–" if value is None else f"{value:.2f} dB"


def curves_plot(runs: dict, baseline: dict | None):
    """api.curves_figure, its legend moved below the x-axis titles, which it covers at the page's
    plot height."""
    fig = api.curves_figure(runs, baseline)
    fig.update_layout(legend={"orientation": "h", "y": -0.2, "yanchor": "top"})
    return fig
