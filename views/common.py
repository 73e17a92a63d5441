"""What every view of the studio shares: the per-browser Session and the error wrapper.

Each view of ``app.py`` beyond the first four lives in its own module here, with a
``build_tab(session)`` that lays out and wires its widgets inside the current ``gr.Tab``.
"""

import functools
import inspect
import shutil
import tempfile
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import gradio as gr

from inr import api

SESSIONS_ROOT = Path(tempfile.gettempdir()) / "inr-studio"


@dataclass
class Session:
    """One browser session's models and files."""

    run: api.Run | None = None  # the Fit tab's model, also what the Render tab renders
    name: str = ""
    sigma_runs: dict[str, api.Run] = field(default_factory=dict)
    blend: api.Run | None = None
    views: dict = field(default_factory=dict)  # state of the views in views/, keyed by view name
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
