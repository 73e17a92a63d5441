"""Files written whole or not at all: a temporary file beside the target, renamed onto it at the end.

Checkpoints, ``.inr`` files, exports (GIF, MP4) and reports all write this way, so a reader sees
the old file or the new one, never a partial one, and a process killed mid-write leaves only a
``.<name>.<8 characters>.tmp<suffix>`` file. Such leftovers are removed by the next write to the
same name once they are stale.
"""

import os
import re
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# A temporary file older than this was left by a writer that died (a write takes seconds): the
# next write to the same name removes it.
STALE_TMP_SECONDS = 600


def temp_files(path: str | Path) -> list[Path]:
    """The temporary files `atomic_path` makes beside `path`: ``.<name>.<8 characters>.tmp[.<ext>]``."""
    path = Path(path)
    pattern = re.compile(rf"\.{re.escape(path.name)}\.[a-z0-9_]{{8}}\.tmp(\.\w+)?")
    return sorted(p for p in path.parent.glob(".*.tmp*") if pattern.fullmatch(p.name))


def remove_stale_temp_files(path: str | Path, older_than: float = STALE_TMP_SECONDS) -> list[Path]:
    """Remove the temporary files of `path` older than `older_than` s (a killed writer's); a writer
    that is alive renames its file within seconds."""
    removed, cutoff = [], time.time() - older_than
    for tmp in temp_files(path):
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed.append(tmp)
        except OSError:  # another process removed or renamed it meanwhile
            pass
    return removed


@contextmanager
def atomic_path(path: str | Path, suffix: str | None = None) -> Iterator[Path]:
    """A temporary file beside `path` to write; renamed onto `path` only if the block succeeds.

    Same folder, so the rename is atomic. The temporary name ends in `suffix` (default: the
    target's own), as ffmpeg and Pillow pick the container by name.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(path)
    ending = path.suffix if suffix is None else suffix
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=f".tmp{ending}")
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the final file is an ordinary one
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_bytes(path: str | Path, payload: bytes) -> Path:
    """Write `payload` to `path` whole or not at all (synced to disk before the rename)."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
    return Path(path)
