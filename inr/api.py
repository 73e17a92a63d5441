"""The façade: everything the CLI, the studio and scripts call, and nothing else of the package.

The engine's names sit at the top level: a ``Run`` is one field with what it was fitted to, made
by ``prepare`` (from clips) or ``load`` (from a checkpoint), trained by ``fit``, drawn by
``render``, written by ``save`` and ``export``. Each method has one namespace of its own:

- ``api.compare``: configurations of any architecture side by side at equal time or size (the σ
  sweep among them, trained as one batched model);
- ``api.superres``: space-time super-resolution scored beside classical upscaling;
- ``api.inr_v``: a hypernetwork space of clips (interpolate, sample, invert, inpaint);
- ``api.codec``: the neural codec (a clip to a small range-coded ``.inr`` file, beside x264/x265/AV1);
- ``api.latent_inr``: per-frame latents (compression to ``.inr``, frame search, code blending);
- ``api.motion``: the ``motion`` arch, content moved along optical flow between frames.

Two engine modules are namespaces too, for ``fit-many``: ``api.manifest`` (the clips of a folder, a
folder per clip, the manifest) and ``api.distributed`` (this process's rank among torchrun's workers).

``__all__`` is the contract: a name not listed here is not for clients.
"""

from inr.core.evaluate.video_baselines import CODEC_LABELS, decoded_at_size
from inr.core.many import manifest
from inr.core.media.export import MAX_GIF_PIXELS, check_export_size, write_frames
from inr.core.media.images import caption, enlarge, most_different, side_by_side, zoom
from inr.core.media.io import Clip, ClipError
from inr.core.report.artifacts import run_card, write_comparison, write_curves, write_image, write_run_card
from inr.core.report.diagnostics import (ERROR_GAIN, error_map, estimate, frame_psnrs, predict_frame, preview_triplet,
                                         render_frame, uint8_psnr)
from inr.core.report.plots import curves_figure, rate_distortion_figure
from inr.core.train import distributed
from inr.core.train.fit import FitConfig
from inr.core.train.history import thin
from inr.core.train.loop import Record
from inr.core.train.presets import caps, default_arch, fit_config
from inr.core.train.run import (MAX_RENDER_PIXELS, Run, attach_clips, clip_ssim, common_size, default_device, device_name,
                                export, fit, load, load_clips, output_fps, output_size, prepare, render, resume, save,
                                summary, verdict)
from inr.methods import codec, compare, inr_v, latent_inr, motion, superres
from inr import archs

ARCHS = archs.install()  # every architecture, the methods' rows (motion) registered before anything runs

__all__ = [
    # clips and devices
    "Clip", "ClipError", "caps", "common_size", "default_device", "device_name", "load_clips",
    # a run of the engine: prepare or load, fit, score, save
    "ARCHS", "FitConfig", "Record", "Run", "attach_clips", "clip_ssim", "default_arch", "estimate",
    "fit", "fit_config", "load", "prepare", "resume", "save", "summary", "thin", "verdict",
    # what the studio draws beside a fit
    "ERROR_GAIN", "caption", "curves_figure", "enlarge", "error_map", "frame_psnrs", "most_different",
    "predict_frame", "preview_triplet", "render_frame", "side_by_side", "uint8_psnr", "zoom",
    # what a codec is shown beside: the classical codecs' pictures at a size, quality against bytes
    "CODEC_LABELS", "decoded_at_size", "rate_distortion_figure",
    # renders and files
    "MAX_GIF_PIXELS", "MAX_RENDER_PIXELS", "check_export_size", "export", "output_fps", "output_size", "render",
    "run_card", "write_comparison", "write_curves", "write_frames", "write_image", "write_run_card",
    # many clips, one fit each, over torchrun's ranks
    "manifest", "distributed",
    # one namespace per method
    "codec", "compare", "inr_v", "latent_inr", "motion", "superres",
]
