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

import json
import math
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from torch import nn
from safetensors import SafetensorError
from safetensors.torch import load as load_bytes
from safetensors.torch import save as save_bytes

from inr.core.field.model import Field, ModelConfig
from inr.core.media.files import atomic_write_bytes

FORMAT = "inr-studio"
VERSION = "1"
OPTIMIZER_PREFIX = "optimizer."  # tensors of the optimizer state; the rest are the model's
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


def optimizer_state(model: nn.Module, optimizer: torch.optim.Optimizer) -> tuple[dict, dict]:
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
    optimizer's state) atomically: the bytes ``serialise`` makes of them."""
    path = Path(path)
    atomic_write_bytes(path, serialise(model, clips, extra, optimizer))
    return path


def serialise(model: Field, clips: list[ClipInfo], extra: dict | None = None,
              optimizer: torch.optim.Optimizer | None = None) -> bytes:
    """The bytes of the file ``save`` writes, made in memory: the size a fit reports is their
    length, so it cannot drift from the file."""
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
    return save_bytes(tensors, metadata=metadata)


def read(path: Path, fmt: str = FORMAT, version: str = VERSION, kind: str = "inr checkpoint",
         hints: dict[str, str] | None = None) -> tuple[dict[str, torch.Tensor], dict[str, str]]:
    """The tensors and metadata of a safetensors file of format `fmt` (never a pickle).

    ValueError naming the file if it is missing, not safetensors, of another format (with the
    hint `hints` gives for that format, if any) or of another version. `kind` names the file in
    messages ("inr checkpoint", "latent-space checkpoint").
    """
    article = "an" if kind[0] in "aeiou" else "a"
    if not path.is_file():
        raise ValueError(f"{path}: no such checkpoint file")
    try:
        tensors = load_bytes(path.read_bytes())
        from safetensors import safe_open  # metadata is only exposed through safe_open

        with safe_open(str(path), framework="pt") as f:
            metadata = f.metadata() or {}
    except (SafetensorError, OSError, ValueError) as err:
        raise ValueError(f"{path}: not {article} {kind} (not a readable safetensors file: {reason(err)})") from err
    found = metadata.get("format")
    if found != fmt:
        if found is None or found not in (hints or {}):
            raise ValueError(f"{path}: not {article} {kind} (safetensors file from another program)")
        raise ValueError(f"{path}: not {article} {kind} (format {found!r}, expected {fmt!r}) ({hints[found]})")
    if metadata.get("version") != version:
        raise ValueError(f"{path}: {kind} version {metadata.get('version')!r}, expected {version}")
    return tensors, metadata


def reason(error: BaseException, limit: int = 200) -> str:
    """An exception as a phrase for a one-line message: its first line, whitespace collapsed, cut to
    `limit` characters (a forged file's values can be megabytes long)."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if len(text) <= limit else text[:limit - 1] + "…"


def whole(value, low: int, high: int, what: str) -> int:
    """`value` if it is a whole number (a JSON integer, not a boolean) in low..high, else ValueError."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValueError(f"{what} must be a whole number in {low:,}..{high:,}, got {str(value)[:40]}")
    return value


def check_finite(value, where: str) -> None:
    """ValueError naming the first NaN or infinite number in a JSON value (Python's json reads them)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{json.dumps(value)} at {where} (every number must be finite)")
    if isinstance(value, dict):
        for key, item in value.items():
            check_finite(item, f"{where}.{key}")
    elif isinstance(value, list):
        for i, item in enumerate(value):
            check_finite(item, f"{where}[{i}]")


def extra_of(metadata: dict) -> dict:
    """What a file keeps beside its weights (fit settings, history, summary): a JSON object, else ValueError."""
    extra = json.loads(metadata.get("extra", "{}"))
    if not isinstance(extra, dict):
        raise ValueError(f"extra must be a JSON object, got {type(extra).__name__}")
    return extra


def check_counts(value, limit: int, where: str, keys: tuple[str, ...] = ("levels", "depth")) -> None:
    """Config entries named `keys` count things (levels, layers) that each own at least one tensor:
    more of them than the file's `limit` tensors is a lie, and building them first, even on the
    meta device, would take unbounded time."""
    if isinstance(value, dict):
        for key, item in value.items():
            if key in keys and isinstance(item, int) and item > limit:
                raise ValueError(f"{where}.{key} is {item}, more than the {limit} tensors the file holds")
            check_counts(item, limit, f"{where}.{key}", keys)


def clip_info(data: dict) -> ClipInfo:
    """A ClipInfo from a file's JSON, every field checked (whole sides in range, a finite fps > 0)."""
    info = ClipInfo(**data)
    for name in ("frames", "height", "width"):
        whole(getattr(info, name), 1, MAX_CLIP_SIDE, f"clip {name}")
    if isinstance(info.fps, bool) or not isinstance(info.fps, (int, float)) or not (
            math.isfinite(info.fps) and info.fps > 0):
        raise ValueError(f"clip fps must be a finite number > 0, got {info.fps!r}")
    return info


def build(make: Callable[[], nn.Module], tensors: dict[str, torch.Tensor]) -> nn.Module:
    """The module `make()` builds, holding `tensors`: its shapes are compared on the meta device
    first, so a config naming a huge model is refused before any storage is allocated."""
    with torch.device("meta"):
        shapes = {k: tuple(v.shape) for k, v in make().state_dict().items()}
    found = {k: tuple(v.shape) for k, v in tensors.items()}
    if shapes != found:
        missing = sorted(set(shapes) - set(found))
        wrong = sorted(k for k in set(shapes) & set(found) if shapes[k] != found[k])
        if wrong:
            k = wrong[0]
            raise ValueError(f"{k} is {list(found[k])} in the file but the config makes it {list(shapes[k])}")
        raise ValueError(f"the config needs {missing[:3] or 'no'} tensors, the file has "
                         f"{sorted(set(found) - set(shapes))[:3] or 'no'} others")
    model = make()
    model.load_state_dict(tensors, strict=True)
    return model


def load_with_optimizer(path: str | Path, device: str = "cpu") -> tuple[Field, list[ClipInfo], dict, dict | None]:
    """(model, clip infos, extra, optimizer state or None) from a checkpoint; ValueError naming the
    file if it is not ours or does not hold together. The optimizer state goes to
    ``restore_optimizer``."""
    path = Path(path)
    tensors, metadata = read(path)
    weights, state = split_optimizer(path, tensors, metadata)
    try:
        config = json.loads(metadata["model"])
        clip_data = json.loads(metadata["clips"])
        extra = extra_of(metadata)
        check_finite(config, "model")
        check_finite(clip_data, "clips")
        check_finite(extra.get("fit"), "extra.fit")
        check_counts(config, len(weights), "model")
        cfg = ModelConfig.from_dict(config)
        clips = [clip_info(c) for c in clip_data]
        if len(clips) != cfg.clips:
            raise ValueError(f"the config holds {cfg.clips} clips, the clip list {len(clips)}")
        model = build(lambda: Field(cfg), weights)
    except (KeyError, TypeError, ValueError, RuntimeError, OverflowError) as err:
        raise ValueError(f"{path}: checkpoint config is invalid or does not match its weights ({reason(err)})") from err
    return model.to(device), clips, extra, state


def split_optimizer(path: Path, tensors: dict, metadata: dict) -> tuple[dict, dict | None]:
    """(the model's tensors, the optimizer state for ``restore_optimizer`` or None) of a file's contents."""
    weights = {k: v for k, v in tensors.items() if not k.startswith(OPTIMIZER_PREFIX)}
    if "optimizer" not in metadata:
        return weights, None
    try:
        groups = json.loads(metadata["optimizer"])
        check_finite(groups, "optimizer")
    except ValueError as err:
        raise ValueError(f"{path}: checkpoint holds an unreadable optimizer state ({reason(err)})") from err
    return weights, {"groups": groups,
                     "tensors": {k[len(OPTIMIZER_PREFIX):]: v for k, v in tensors.items() if k.startswith(OPTIMIZER_PREFIX)}}


def load(path: str | Path, device: str = "cpu") -> tuple[Field, list[ClipInfo], dict]:
    """(model, clip infos, extra) from a checkpoint; ValueError naming the file if it is not ours."""
    return load_with_optimizer(path, device)[:3]


def restore_optimizer(optimizer: torch.optim.Optimizer, model: nn.Module, state: dict) -> None:
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
        raise ValueError(f"the saved optimizer state does not fit ({reason(err)})") from err
