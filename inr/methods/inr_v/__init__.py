"""INR-V: a hypernetwork maps a clip's latent code to a small INR; a continuous space of clips."""

from inr.methods.inr_v.data import GIF_FPS, Windows, decode_all
from inr.methods.inr_v.model import HyperConfig
from inr.methods.inr_v.trainer import InvertConfig, TrainConfig
from inr.methods.inr_v.workflow import (Inversion, Space, attach, box_mask, checkpointed, conform,
                                     decode_size, folder, interpolate, interpolate_frame, inversion_panel,
                                     inversion_render, inversion_summary, invert, load, new, new_inversion,
                                     parse_box, sample, save, show_mask, simple_fill, spent, stacked, summary,
                                     train, window_set, windows)

__all__ = ["GIF_FPS", "HyperConfig", "Inversion", "InvertConfig", "Space", "TrainConfig", "Windows", "attach",
           "box_mask", "checkpointed", "conform", "decode_all", "decode_size", "folder", "interpolate",
           "interpolate_frame", "inversion_panel", "inversion_render", "inversion_summary", "invert", "load", "new",
           "new_inversion", "parse_box", "sample", "save", "show_mask", "simple_fill", "spent", "stacked", "summary",
           "train", "window_set", "windows"]
