"""What every tab of the studio shares: where files are, the examples, the fit queue, the
per-browser Session, input checks shared by tabs, the error wrapper and the wiring of handlers by
output name.

Each tab is one module of ``views/``: plain handlers first, then a ``build_tab`` that lays out the
tab inside the current ``gr.Tab``, wires its own events and returns the components (and events)
other tabs need. ``app.py`` composes the tabs and wires what crosses from one tab to another.
A handler of several outputs returns (or yields) a dict of only the outputs it sets, by name;
``keyed`` wires it to the tab's components of those names.
"""

import functools
import inspect
import logging
import re
import shutil
import tempfile
import threading
import time
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


log = logging.getLogger("studio")


@dataclass
class Session:
    """One browser session's models and files. A browser keeps its `key` in local storage: a reload
    finds the same session again (see `attach`)."""

    run: api.Run | None = None  # the Fit tab's model, also what the Render tab renders
    name: str = ""
    clip: Path | None = None  # the accepted upload, copied into the folder (None: the example is the clip)
    files: list = field(default_factory=list)  # the Fit tab's downloads of `run`
    lost: str = ""  # what a page left mid-fit lost, said once by the next page of this browser
    example: str = DEFAULT_EXAMPLE  # the example picked last: the clip when no upload is
    advice: dict | None = None  # the settings the Fit tab's "try next" button applies
    blend: api.Run | None = None
    views: dict = field(default_factory=dict)  # state of the Compare, Latent space and Compress tabs, by tab
    stop: bool = False
    fitting: bool = False  # a Fit-tab fit is running: picking an example must not swap its model
    folder: Path = field(default_factory=lambda: SESSIONS_ROOT / uuid.uuid4().hex)
    key: str = field(default_factory=lambda: uuid.uuid4().hex)
    pages: int = 0  # pages holding this session in their gr.State; its files go with the last
    restored: bool = False  # found again by a reload: each tab's page load shows what it holds

    def path(self, name: str) -> Path:
        """A file of this session's folder. Names come from uploads: one plain name, never a path
        (no separator, not '.' or '..'), so nothing is written outside the folder."""
        if not name or Path(name).name != name or name in (".", "..") or "\\" in name or "\0" in name:
            raise ValueError(f"not a plain file name: {name!r}")
        self.folder.mkdir(parents=True, exist_ok=True)
        return self.folder / name


# The sessions of this server by their browsers' keys. Gradio keeps a closed page's state for an
# hour, so a session found here is alive; it leaves with its last page (delete_session).
SESSIONS: dict[str, "Session"] = {}
_SESSIONS_LOCK = threading.Lock()


def ensure(session) -> "Session":
    """The session's state, created on first use (an API client may never trigger the page load)."""
    return session if isinstance(session, Session) else Session()


def attach(session, key) -> tuple["Session", str]:
    """The page load's session and the key its browser keeps: the page's own, else the one the
    browser's `key` names (a reload finds its session again), else a new one."""
    if isinstance(session, Session):
        return session, session.key
    with _SESSIONS_LOCK:
        found = SESSIONS.get(key) if isinstance(key, str) else None
        if found is None:
            found = Session()
            SESSIONS[found.key] = found
        else:
            found.restored = True
        found.pages += 1
    return found, found.key


def settled(busy, seconds: float = 5.0) -> None:
    """Wait (at most `seconds`) until `busy()` is false: a reloaded page waits for the work its last
    page left to stop (Gradio closes that page's events within a step)."""
    deadline = time.monotonic() + seconds
    while busy() and time.monotonic() < deadline:
        time.sleep(0.1)


def delete_session(session: "Session | None") -> None:
    """Gradio's call when a page's state expires: the session's files go when no page holds it."""
    if not isinstance(session, Session):
        return
    with _SESSIONS_LOCK:
        session.pages -= 1
        if session.pages > 0:
            return
        SESSIONS.pop(session.key, None)
    shutil.rmtree(session.folder, ignore_errors=True)


_PATH = re.compile(r"(?:[A-Za-z]:)?(?:[/\\][^/\\\s:'\"()]+)+[/\\]([^/\\\s:'\"()]+)")


def said(err: Exception) -> str:
    """An error as a person reads it: one sentence with a file's own name, never a server path or a
    decoder's raw output; what was not expected says only that it happened (the log has the rest)."""
    if isinstance(err, api.ClipError):
        return f"Cannot use {err.path.name}: {err.brief}."
    if isinstance(err, ValueError):
        text = _PATH.sub(r"\1", " ".join(str(err).split()))
        return text + ("" if text.endswith((".", "?", "!")) else ".")
    return f"Something went wrong ({type(err).__name__}); nothing shown was changed, and the server log has the details."


def friendly(fn):
    """A handler whose failure is a message, not a crash: a refused input (ValueError) or an
    unexpected error is logged once (the unexpected with its traceback), shown once as a toast in
    words (`said`), and every output keeps what it showed (no error badges, nothing lost): the
    failed call returns gr.skip(), which Gradio (a handler of one output) and `keyed` (a handler of
    several) both read as setting nothing."""
    def report(err: Exception):
        if isinstance(err, ValueError):
            log.warning("%s refused: %s", fn.__name__, err)
        else:
            log.exception("%s failed", fn.__name__)
        gr.Warning(said(err))
        return gr.skip()

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen(*args, **kwargs):
            try:
                yield from fn(*args, **kwargs)
            except Exception as err:
                yield report(err)
        return gen

    @functools.wraps(fn)
    def plain(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            return report(err)
    return plain


def keyed(fn, outputs: dict) -> dict:
    """Gradio's `fn` and `outputs` for a handler that returns (or yields) a dict of only the outputs
    it sets, by their names in `outputs` (name -> component, in the order Gradio is given them): each
    dict becomes the values in that order, gr.skip() for every output it does not name, so a change
    to a tab's outputs cannot shift what a handler sets into the wrong component. A lone gr.skip()
    (`friendly`'s failure) sets nothing. Use: ``button.click(inputs=[...], **keyed(on_fit, outputs))``."""
    names = list(outputs)

    def ordered(values):
        if not isinstance(values, dict):
            raise TypeError(f"{fn.__name__} returned a {type(values).__name__}; a keyed handler returns a dict "
                            f"of output names: {', '.join(names)}")
        if values == gr.skip():
            values = {}
        unknown = [name for name in values if name not in outputs]
        if unknown:
            raise ValueError(f"{fn.__name__} set {', '.join(map(repr, unknown))}, not among its outputs: "
                             f"{', '.join(names)}")
        row = tuple(values.get(name, gr.skip()) for name in names)
        return row if len(row) > 1 else row[0]  # Gradio takes one output's value alone

    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def gen(*args, **kwargs):
            updates = fn(*args, **kwargs)
            try:
                for values in updates:
                    yield ordered(values)
            finally:
                updates.close()  # a page left mid-fit closes this: the handler's own cleanup runs now
        return {"fn": gen, "outputs": list(outputs.values())}

    @functools.wraps(fn)
    def plain(*args, **kwargs):
        return ordered(fn(*args, **kwargs))
    return {"fn": plain, "outputs": list(outputs.values())}


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


def shown() -> dict:
    """The update that shows a results box (a layout hidden until it has something to show; its
    visibility is no value of the API)."""
    return gr.update(visible=True)


def reveal(event, box):
    """Show `box` once `event` has run (an event's method, e.g. `button.click`, shows it first):
    panels appear when they have something to show. Returns the event that shows it."""
    if callable(event) and not hasattr(event, "then"):  # a trigger: the box shows before what it starts
        return event(shown, None, [box], show_progress="hidden", api_visibility="private", queue=False)
    return event.then(shown, None, [box], show_progress="hidden", api_visibility="private", queue=False)


def db(value) -> str:
    return "–" if value is None else f"{value:.2f} dB"


def curves_plot(runs: dict, baseline: dict | None):
    """api.curves_figure, its legend moved below the x-axis titles, which it covers at the page's
    plot height, and its titles below the plot's label."""
    fig = api.curves_figure(runs, baseline)
    # The titles start below the block's own label, which Gradio draws over the figure's top-left.
    fig.update_layout(legend={"orientation": "h", "y": -0.2, "yanchor": "top"}, margin={"t": 60})
    return fig
