"""Latent-INR: per-frame latent codes over one shared spatial INR; compression, retrieval, code blending."""

from inr.methods.latent_inr.fileformat import BITS, COMPRESSIONS
from inr.methods.latent_inr.retrieval import (DEFAULT_ENCODER, ENCODERS, MODES, FrameIndex, ImageEncoder,
                                              build_index, index_file, load_image, search)
from inr.methods.latent_inr.workflow import (LatentRun, compress, decompress, fit, interpolate_frame, load, prepare,
                                             size_quality, size_quality_figure, table_markdown)

__all__ = ["BITS", "COMPRESSIONS", "DEFAULT_ENCODER", "ENCODERS", "FrameIndex", "ImageEncoder", "LatentRun", "MODES",
           "build_index", "compress", "decompress", "fit", "index_file", "interpolate_frame", "load", "load_image",
           "prepare", "search", "size_quality", "size_quality_figure", "table_markdown"]
