"""Many clips, one fit each: which clips a folder holds, where each one's results go, and the manifest.

A folder's clips are its files with a clip suffix (``io.SUFFIXES``) and, in its sub-folders, the
same again; a sub-folder holding only frame images (two or more, no clips further down) is one
clip, a folder of frames. Each clip gets a folder of its own under OUT, named by its path below the
clips' folder with its suffix kept (``OUT/sub/a.mp4/``), so ``a.mp4`` and ``a.gif`` never meet.

When a clip is finished, ok or failed, its row is written whole into its folder as ``row.json``:
that file is the mark that the clip is done, written after everything else, so a process killed
mid-clip leaves the clip to be fitted again. ``OUT/manifest.jsonl`` gathers the rows, one JSON
object a line sorted by clip name; it is rebuilt from the row files, whole, under a lock, so ranks
that rebuild it at the same moment never lose one another's rows.
"""

import fcntl
import json
import re
import socket
from collections.abc import Iterable
from pathlib import Path

from inr.core.media.files import atomic_write_bytes
from inr.core.media.io import FRAME_SUFFIXES, SUFFIXES, ClipError

MANIFEST = "manifest.jsonl"
ROW = "row.json"
LOCK = ".manifest.lock"
# The manifest's columns, in order; a failed clip has None for the figures it never got.
COLUMNS = ("name", "status", "reason", "rank", "host", "device", "seconds", "steps", "train_psnr", "heldout_psnr",
           "bilinear_psnr", "bicubic_psnr", "model_bytes")
# What stops one clip, not the batch: an unreadable clip (ClipError is a ValueError), a refused size,
# running out of memory (torch's OutOfMemoryError is a RuntimeError), a file that cannot be written.
CLIP_FAILURES = (ValueError, RuntimeError, OSError, MemoryError)
REASON_CHARS = 300  # a reason is one line of the manifest, not a traceback: a CUDA message runs to a paragraph


def _natural_key(path: Path) -> tuple:
    """Sort key putting clip2 before clip10, part by part of the path; case only breaks ties, so the
    order is total and every rank lists the clips in the same one."""
    natural = [[int(t) if i % 2 else t.lower() for i, t in enumerate(re.split(r"(\d+)", part))] for part in path.parts]
    return natural, path.parts


def _visible(path: Path) -> bool:
    return not path.name.startswith(".")


def _is_clip_file(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in SUFFIXES


def _entries(folder: Path) -> list[Path]:
    try:
        return [p for p in folder.iterdir() if _visible(p)]
    except OSError as error:
        raise ValueError(f"{folder}: cannot list this folder ({error.strerror or error})") from error


def _is_frame_folder(folder: Path, skip: Path | None, above: frozenset) -> bool:
    """Two or more frame images and no other clip file in `folder`, and no clips further down."""
    entries = _entries(folder)
    files = [p for p in entries if _is_clip_file(p)]
    if len(files) < 2 or any(p.suffix.lower() not in FRAME_SUFFIXES for p in files):
        return False
    return not _walk(folder, skip, above, files=False)


def _walk(folder: Path, skip: Path | None, above: frozenset = frozenset(), files: bool = True) -> list[Path]:
    """The clips in `folder`'s visible files (unless not `files`) and sub-folders, in no particular order.

    `above` holds the real paths of the folders walked down through, so a link back up is not followed.
    """
    above = above | {folder.resolve()}
    found = []
    for entry in _entries(folder):
        if entry.is_dir():
            real = entry.resolve()
            if real in above or real == skip:
                continue
            found.extend([entry] if _is_frame_folder(entry, skip, above) else _walk(entry, skip, above))
        elif files and _is_clip_file(entry):
            found.append(entry)
    return found


def find_clips(folder: str | Path, skip: str | Path | None = None) -> list[Path]:
    """Every clip in `folder` and its sub-folders, in natural order of their paths (clip2 before clip10).

    Hidden files and folders (a name starting with '.') are passed over, and so is `skip` (the
    results' folder, when it lies inside `folder`). Raises ValueError when there is no such folder
    or no clip in it.
    """
    folder = Path(folder)
    if not folder.exists():
        raise ValueError(f"{folder}: no such folder")
    if not folder.is_dir():
        raise ValueError(f"{folder}: is a file, expected a folder of clips (`fit` takes a single clip)")
    clips = _walk(folder, Path(skip).resolve() if skip is not None else None)
    if not clips:
        raise ValueError(f"{folder}: no clips found in it or its sub-folders (looked for {' '.join(SUFFIXES)} "
                         f"files, and folders of two or more {'/'.join(s.lstrip('.') for s in FRAME_SUFFIXES)} frames)")
    return sorted(clips, key=lambda p: _natural_key(p.relative_to(folder)))


def check_out(out: str | Path, folder: str | Path) -> Path:
    """The results' folder `out`, refused when it is a file or the clips' folder itself."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise ValueError(f"--out {out}: is a file, expected a folder (made when missing) for the results")
    if out.resolve() == Path(folder).resolve():
        raise ValueError(f"--out {out}: is the clips' folder itself; give a folder of its own for the results")
    return out


def clip_name(folder: str | Path, clip: str | Path) -> str:
    """A clip's name in the manifest: its path below `folder`, with '/' between parts ('sub/a.mp4')."""
    return Path(clip).relative_to(folder).as_posix()


def clip_folder(out: str | Path, folder: str | Path, clip: str | Path) -> Path:
    """Where a clip's results go: OUT/<its path below `folder`>, suffix kept (OUT/sub/a.mp4/)."""
    return Path(out) / Path(clip).relative_to(folder)


def reason(error: BaseException) -> str:
    """Why a clip failed, in one line: a ClipError's reason (the row names the clip), else the message,
    with the exception's type where the message alone would not say what went wrong."""
    if isinstance(error, ClipError):
        text = error.reason
    elif isinstance(error, ValueError):
        text = str(error)
    else:
        text = f"{type(error).__name__}: {error}"
    text = " ".join(text.split()) or type(error).__name__
    return text if len(text) <= REASON_CHARS else text[: REASON_CHARS - 3] + "..."


def make_row(name: str, rank: int, device: str, seconds: float, summary: dict | None = None,
             error: BaseException | None = None) -> dict:
    """A clip's manifest row: its fit's figures from `summary` (status ok), or the `error` that stopped it."""
    s = summary or {}
    return {
        "name": name,
        "status": "failed" if error is not None else "ok",
        "reason": reason(error) if error is not None else None,
        "rank": rank,
        "host": socket.gethostname(),
        "device": device,
        "seconds": round(seconds, 3),  # wall time of the clip: reading, fitting, scoring and writing
        **{key: s.get(key) for key in COLUMNS[7:]},
    }


def read_row(folder: Path) -> dict | None:
    """The row a clip's folder holds, or None when the clip was never finished there."""
    try:
        row = json.loads((folder / ROW).read_text())
    except (OSError, ValueError):  # no row yet (a row file is written whole, so never half of one)
        return None
    return row if isinstance(row, dict) and row.get("status") in ("ok", "failed") else None


def write_row(folder: Path, row: dict) -> Path:
    """Mark a clip done: its row, written whole into its folder (after all its other files)."""
    return atomic_write_bytes(folder / ROW, (json.dumps(row) + "\n").encode())


def pending(out: str | Path, folder: str | Path, clips: Iterable[Path]) -> list[Path]:
    """The clips still to fit: those without an ok row (a failed one is tried again)."""
    return [c for c in clips if (read_row(clip_folder(out, folder, c)) or {}).get("status") != "ok"]


def rebuild_manifest(out: str | Path, folder: str | Path, clips: Iterable[Path]) -> list[dict]:
    """Rewrite OUT/manifest.jsonl from the row files of these clips (the finished ones), sorted by name;
    return its rows. Holds an exclusive lock on OUT/.manifest.lock meanwhile, so of two ranks
    rebuilding at once, the later one reads the rows the earlier one saw, and its own."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    with open(out / LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # released when the file closes, also when the process dies
        rows = [row for row in (read_row(clip_folder(out, folder, c)) for c in clips) if row is not None]
        return write_manifest(out / MANIFEST, rows)


def write_manifest(path: str | Path, rows: list[dict]) -> list[dict]:
    """Write `rows` to `path` as JSON lines sorted by clip name, whole (a temporary file renamed); return them sorted."""
    rows = sorted(rows, key=lambda row: _natural_key(Path(row["name"])))
    atomic_write_bytes(path, "".join(json.dumps(row) + "\n" for row in rows).encode())
    return rows


def read_manifest(out: str | Path) -> list[dict]:
    """The rows of OUT/manifest.jsonl ([] when there is none yet)."""
    path = Path(out) / MANIFEST
    if not path.is_file():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
