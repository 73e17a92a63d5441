"""Checkpoints: one safetensors file holding the weights and, as metadata, the JSON configs.

Nothing is ever unpickled: safetensors stores raw tensors, and ``load`` rebuilds the model from
the JSON config alone (then checks the weights against it). The config is checked before any
memory is given to it: every number finite, and the model first built on PyTorch's "meta"
device (shapes without storage) so that a config naming a huge model is refused by comparing
shapes, not by trying to allocate it.

A fit's Adam state can ride along (``optimizer.<parameter name>.<state>`` tensors and the
param-group settings in the JSON metadata), so a saved fit resumes where it stopped. Files
without it still load.
"""

import glob
import json
import math
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load as load_bytes
from safetensors.torch import save as save_bytes

from inr.core.field import Field, ModelConfig

FORMAT = "inr-studio"
VERSION = "1"
OPTIMIZER_PREFIX = "optimizer."  # tensors of the optimizer state; the rest are the model's
# A temporary file older than this was left by a writer that died (a write takes seconds): the
# next save to the same name removes it.
STALE_TMP_SECONDS = 600
MAX_CLIP_SIDE = 2**20  # frames, height or width a clip info may name; real clips are far smaller


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


def temp_files(path: Path) -> list[Path]:
    """The temporary files `atomic_write_bytes` makes beside `path`: ``.<name>.*.tmp``."""
    return sorted(path.parent.glob(f".{glob.escape(path.name)}.*.tmp"))


def remove_stale_temp_files(path: Path, older_than: float = STALE_TMP_SECONDS) -> list[Path]:
    """Remove temporary files of `path` left by a killed writer (older than `older_than` s)."""
    return remove_stale(temp_files(path), older_than)


def remove_stale(files: list[Path], older_than: float = STALE_TMP_SECONDS) -> list[Path]:
    """Remove those of these temporary files that are older than `older_than` s (a killed writer's).

    Checkpoints and exports share it: a writer that is alive renames its file within seconds.
    """
    removed, cutoff = [], time.time() - older_than
    for tmp in files:
        try:
            if tmp.stat().st_mtime < cutoff:
                tmp.unlink()
                removed.append(tmp)
        except OSError:  # another process removed or renamed it meanwhile
            pass
    return removed


def atomic_write_bytes(path: Path, payload: bytes) -> None:
    """Write into a temporary file beside `path`, then rename: readers see the old or the new file.

    A process killed mid-write leaves at most a ``.<name>.*.tmp`` file, never a partial `path`;
    the next write to `path` removes such leftovers once they are stale.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    remove_stale_temp_files(path)
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


def optimizer_state(model: Field, optimizer: torch.optim.Optimizer) -> tuple[dict, dict]:
    """(tensors named ``optimizer.<param>.<key>``, JSON-able param groups naming their params)."""
    names = {id(p): n for n, p in model.named_parameters()}
    tensors, groups = {}, []
    for group in optimizer.param_groups:
        settings = {k: v for k, v in group.items() if k != "params" and _json_scalar(v)}
        settings["params"] = [names[id(p)] for p in group["params"]]
        groups.append(settings)
        for p in group["params"]:
            for key, value in optimizer.state.get(p, {}).items():
                if torch.is_tensor(value):
                    tensors[f"{OPTIMIZER_PREFIX}{names[id(p)]}.{key}"] = value.detach().cpu().contiguous()
    return tensors, {"type": type(optimizer).__name__, "groups": groups}


def _json_scalar(value) -> bool:
    if isinstance(value, (tuple, list)):
        return all(_json_scalar(v) for v in value)
    return value is None or isinstance(value, (bool, int, float, str))


def save(path: str | Path, model: Field, clips: list[ClipInfo], extra: dict | None = None,
         optimizer: torch.optim.Optimizer | None = None) -> Path:
    """Save weights + configs + clip info (+ any JSON-able `extra`, e.g. the fit config, + the
    optimizer's state) atomically."""
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
    if optimizer is not None:
        state, groups = optimizer_state(model, optimizer)
        tensors.update(state)
        metadata["optimizer"] = json.dumps(groups)
    atomic_write_bytes(path, save_bytes(tensors, metadata=metadata))
    return path


def _read(path: Path) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The tensors and metadata of a safetensors file (never a pickle); ValueError if it is not one."""
    if not path.is_file():
        raise ValueError(f"{path}: no such checkpoint file")
    try:
        payload = path.read_bytes()
        tensors = load_bytes(payload)
        from safetensors import safe_open  # metadata is only exposed through safe_open

        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as err:
        reason = " ".join(str(err).split())
        raise ValueError(f"{path}: not an inr checkpoint (not a readable safetensors file: {reason})") from err
    if metadata.get("format") != FORMAT:
        raise ValueError(f"{path}: not an inr checkpoint (safetensors file from another program)")
    if metadata.get("version") != VERSION:
        raise ValueError(f"{path}: checkpoint version {metadata.get('version')!r}, expected {VERSION}")
    return tensors, metadata


def _check_finite(value, where: str) -> None:
    """ValueError naming the first NaN or infinite number in a JSON value (Python's json reads them)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{json.dumps(value)} at {where} (every number must be finite)")
    if isinstance(value, dict):
        for key, item in value.items():
            _check_finite(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _check_finite(item, f"{where}[{i}]")


def _check_counts(value, limit: int, where: str) -> None:
    """Levels and layers each own at least one tensor: more of them than the file holds is a lie
    (and building them first would take unbounded time)."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in ("levels", "depth") and isinstance(item, int) and item > limit:
                raise ValueError(f"{where}.{key} is {item}, more than the {limit} tensors the file holds")
            _check_counts(item, limit, f"{where}.{key}")


def _clip_info(data: dict) -> ClipInfo:
    info = ClipInfo(**data)
    for name in ("frames", "height", "width"):
        value = getattr(info, name)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CLIP_SIDE:
            raise ValueError(f"clip {name} must be a whole number in 1..{MAX_CLIP_SIDE}, got {value!r}")
    if isinstance(info.fps, bool) or not isinstance(info.fps, (int, float)) or not (
            math.isfinite(info.fps) and info.fps > 0):
        raise ValueError(f"clip fps must be a finite number > 0, got {info.fps!r}")
    return info


def _model(cfg: ModelConfig, tensors: dict[str, torch.Tensor]) -> Field:
    """The model of `cfg` holding `tensors`, its shapes compared on the meta device before any
    storage is allocated."""
    with torch.device("meta"):
        shapes = {k: tuple(v.shape) for k, v in Field(cfg).state_dict().items()}
    found = {k: tuple(v.shape) for k, v in tensors.items()}
    if shapes != found:
        missing = sorted(set(shapes) - set(found))
        wrong = sorted(k for k in set(shapes) & set(found) if shapes[k] != found[k])
        if wrong:
            k = wrong[0]
            raise ValueError(f"{k} is {list(found[k])} in the file but the config makes it {list(shapes[k])}")
        raise ValueError(f"the config needs {missing[:3] or 'no'} tensors, the file has "
                         f"{sorted(set(found) - set(shapes))[:3] or 'no'} others")
    model = Field(cfg)
    model.load_state_dict(tensors, strict=True)
    return model


def load_with_optimizer(path: str | Path, device: str = "cpu") -> tuple[Field, list[ClipInfo], dict, dict | None]:
    """(model, clip infos, extra, optimizer state or None) from a checkpoint; ValueError naming the
    file if it is not ours or does not hold together. The optimizer state goes to
    ``restore_optimizer``."""
    path = Path(path)
    tensors, metadata = _read(path)
    weights = {k: v for k, v in tensors.items() if not k.startswith(OPTIMIZER_PREFIX)}
    try:
        config = json.loads(metadata["model"])
        clip_data = json.loads(metadata["clips"])
        extra = json.loads(metadata.get("extra", "{}"))
        _check_finite(config, "model")
        _check_finite(clip_data, "clips")
        _check_finite(extra.get("fit") if isinstance(extra, dict) else None, "extra.fit")
        _check_counts(config, len(weights), "model")
        cfg = ModelConfig.from_dict(config)
        clips = [_clip_info(c) for c in clip_data]
        if len(clips) != cfg.clips:
            raise ValueError(f"the config holds {cfg.clips} clips, the clip list {len(clips)}")
        model = _model(cfg, weights)
    except (KeyError, TypeError, ValueError, RuntimeError, OverflowError) as err:
        reason = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise ValueError(f"{path}: checkpoint config is invalid or does not match its weights ({reason})") from err
    state = None
    if "optimizer" in metadata:
        try:
            groups = json.loads(metadata["optimizer"])
            _check_finite(groups, "optimizer")
        except ValueError as err:
            raise ValueError(f"{path}: checkpoint holds an unreadable optimizer state ({err})") from err
        state = {"groups": groups,
                 "tensors": {k[len(OPTIMIZER_PREFIX):]: v for k, v in tensors.items() if k.startswith(OPTIMIZER_PREFIX)}}
    return model.to(device), clips, extra, state


def load(path: str | Path, device: str = "cpu") -> tuple[Field, list[ClipInfo], dict]:
    """(model, clip infos, extra) from a checkpoint; ValueError naming the file if it is not ours."""
    return load_with_optimizer(path, device)[:3]


def restore_optimizer(optimizer: torch.optim.Optimizer, model: Field, state: dict) -> None:
    """Put a saved optimizer state into `optimizer` (made for `model` as the fit makes it).

    ValueError if the saved groups, parameters or state shapes do not match it: a mismatched
    Adam state would silently train with the wrong moments.
    """
    names = {id(p): n for n, p in model.named_parameters()}
    params = dict(model.named_parameters())
    saved = state["groups"]
    if not isinstance(saved, dict) or saved.get("type") != type(optimizer).__name__:
        raise ValueError(f"optimizer is {type(optimizer).__name__}, the saved state is not")
    groups = saved.get("groups")
    if not isinstance(groups, list) or len(groups) != len(optimizer.param_groups):
        raise ValueError(f"optimizer has {len(optimizer.param_groups)} parameter groups, the saved state "
                         f"{len(groups) if isinstance(groups, list) else 'none'}")
    torch_groups, torch_state, index = [], {}, 0
    for group, live in zip(groups, optimizer.param_groups):
        expected = [names[id(p)] for p in live["params"]]
        if group.get("params") != expected:
            raise ValueError("the saved optimizer state is for other parameters")
        ids = []
        for name in expected:
            found = {k.rsplit(".", 1)[1]: v for k, v in state["tensors"].items() if k.rsplit(".", 1)[0] == name}
            for key, value in found.items():
                if key != "step" and tuple(value.shape) != tuple(params[name].shape):
                    raise ValueError(f"saved {key} of {name} is {list(value.shape)}, the parameter "
                                     f"{list(params[name].shape)}")
                if not torch.isfinite(value).all():
                    raise ValueError(f"saved {key} of {name} holds NaN or infinite values")
            if found:
                torch_state[index] = found
            ids.append(index)
            index += 1
        settings = {k: (tuple(v) if isinstance(v, list) else v) for k, v in group.items() if k != "params"}
        for key in ("lr", "initial_lr", "eps"):
            if key in settings and not (isinstance(settings[key], (int, float)) and settings[key] >= 0):
                raise ValueError(f"saved {key} must be a number >= 0, got {settings[key]!r}")
        torch_groups.append({**live, **settings, "params": ids})
    try:
        optimizer.load_state_dict({"state": torch_state, "param_groups": torch_groups})
    except (KeyError, TypeError, ValueError, RuntimeError) as err:
        raise ValueError(f"the saved optimizer state does not fit ({err})") from err
