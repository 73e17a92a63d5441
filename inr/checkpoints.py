"""Checkpoints: one safetensors file holding the weights and, as metadata, the JSON configs.

Nothing is ever unpickled: safetensors stores raw tensors, and ``load`` rebuilds the model from
the JSON config alone (then checks the weights against it).
"""

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_bytes
from safetensors.torch import save as save_bytes

from .model import Field, ModelConfig

FORMAT = "inr-studio"
VERSION = "1"


@dataclass(frozen=True)
class ClipInfo:
    """What a checkpoint remembers of each clip it was fitted to: enough to render it again."""

    name: str
    frames: int
    height: int
    width: int
    fps: float

    @property
    def shape(self) -> tuple[int, int, int]:
        return self.frames, self.height, self.width


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write into a temporary file beside `path`, then rename: readers see the old or the new file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the final file is an ordinary one
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def save(path: str | Path, model: Field, clips: list[ClipInfo], extra: dict | None = None) -> Path:
    """Save weights + configs + clip info (+ any JSON-able `extra`, e.g. the fit config) atomically."""
    path = Path(path)
    if len(clips) != model.cfg.clips:
        raise ValueError(f"model holds {model.cfg.clips} clips but {len(clips)} clip infos were given")
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    metadata = {
        "format": FORMAT,
        "version": VERSION,
        "model": model.cfg.to_json(),
        "clips": json.dumps([asdict(c) for c in clips]),
        "extra": json.dumps(extra or {}),
    }
    atomic_write_bytes(path, save_bytes(tensors, metadata=metadata))
    return path


def load(path: str | Path, device: str = "cpu") -> tuple[Field, list[ClipInfo], dict]:
    """(model, clip infos, extra) from a checkpoint; ValueError naming the file if it is not ours."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such checkpoint file")
    try:
        payload = path.read_bytes()
        tensors = load_bytes(payload)
        from safetensors import safe_open  # metadata is only exposed through safe_open

        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as err:
        raise ValueError(f"{path}: not an inr checkpoint (not a readable safetensors file: {err})") from err
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path}: not an inr checkpoint (safetensors file from another program)")
    if metadata.get("version") != VERSION:
        raise ValueError(f"{path}: checkpoint version {metadata.get('version')!r}, expected {VERSION}")
    try:
        cfg = ModelConfig.from_dict(json.loads(metadata["model"]))
        clips = [ClipInfo(**c) for c in json.loads(metadata["clips"])]
        extra = json.loads(metadata.get("extra", "{}"))
        model = Field(cfg)
        model.load_state_dict(tensors, strict=True)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        reason = str(err).splitlines()[0]
        raise ValueError(f"{path}: checkpoint config does not match its weights ({reason})") from err
    return model.to(device), clips, extra
