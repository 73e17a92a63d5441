"""The INR-V space's file: weights, codes and the JSON config in one safetensors file, read back
through the engine's checked reader.
"""

import json
from dataclasses import asdict
from pathlib import Path

import torch
from safetensors.torch import save as save_bytes

from inr.core.media.files import atomic_write_bytes
from inr.core.train import checkpoints
from inr.core.train.checkpoints import ClipInfo
from inr.methods.inr_v.model import HyperConfig, HyperINR

FORMAT = "inr-space"
VERSION = "1"


def save(path: str | Path, model: HyperINR, clips: list[ClipInfo], extra: dict | None = None,
         optimizer: torch.optim.Optimizer | None = None):
    """Weights, codes and the JSON config in one safetensors file, written atomically; with the
    optimizer's state when given (what a resumed training needs)."""
    path = Path(path)
    if len(clips) != model.cfg.clips:
        raise ValueError(f"the space holds {model.cfg.clips} clips but {len(clips)} clip infos were given")
    tensors = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    metadata = {"format": FORMAT, "version": VERSION, "config": json.dumps(asdict(model.cfg)),
                "clips": json.dumps([asdict(c) for c in clips]), "extra": json.dumps(extra or {})}
    if optimizer is not None:
        state, groups = checkpoints.optimizer_state(model, optimizer)
        tensors.update(state)
        metadata["optimizer"] = json.dumps(groups)
    atomic_write_bytes(path, save_bytes(tensors, metadata=metadata))
    return path


def load(path: str | Path, device: str = "cpu") -> tuple[HyperINR, list[ClipInfo], dict, dict | None]:
    """(meta-network, clip infos, extra, optimizer state or None); ValueError naming the file if it is
    not a space checkpoint.

    Read through the engine's checked reader: every config number finite, clip infos in range,
    and the network's shapes compared on the meta device before any memory is given to it.
    """
    path = Path(path)
    tensors, metadata = checkpoints.read(path, FORMAT, VERSION, "latent-space checkpoint",
                                         hints={checkpoints.FORMAT: "a single-model checkpoint: use it with fit/render"})
    tensors, state = checkpoints.split_optimizer(path, tensors, metadata)
    try:
        config = json.loads(metadata["config"])
        clip_data = json.loads(metadata["clips"])
        checkpoints.check_finite(config, "config")
        checkpoints.check_finite(clip_data, "clips")
        cfg = HyperConfig.from_dict(config)
        # The INR's layers live inside the head's bias (one number each), not as tensors of their
        # own: a depth the file cannot hold is refused before building anything of that depth.
        held = tensors["head.bias"].numel() if "head.bias" in tensors else 0
        if cfg.weight_count != held:
            raise ValueError(f"the config makes INRs of {cfg.weight_count:,} weights, the file holds {held:,}")
        clips = [checkpoints.clip_info(c) for c in clip_data]
        extra = checkpoints.extra_of(metadata)
        model = checkpoints.build(lambda: HyperINR(cfg), tensors)
    except (KeyError, TypeError, ValueError, RuntimeError, OverflowError) as err:
        raise ValueError(f"{path}: latent-space checkpoint config does not match its weights "
                         f"({checkpoints.reason(err)})") from err
    if len(clips) != cfg.clips:
        raise ValueError(f"{path}: latent-space checkpoint lists {len(clips)} clips but holds {cfg.clips} codes")
    return model.to(device), clips, extra, state
