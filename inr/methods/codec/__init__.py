"""The neural codec: quantised latent grids, a small synthesis and a learned entropy model, range-coded."""

from inr.methods.codec.fileformat import ClipMeta, MAGIC, VERSION, read
from inr.methods.codec.header import DECODE_LIMIT
from inr.methods.codec.model import CodecConfig
from inr.methods.codec.trainer import CodecFitConfig
from inr.methods.codec.workflow import (RAW_BPP, CodecRun, codecs_at_size, compress, decode_frames, decompress, fit,
                                   floor_bytes, prepare)

__all__ = ["DECODE_LIMIT", "ClipMeta", "CodecConfig", "CodecFitConfig", "CodecRun", "MAGIC", "RAW_BPP", "VERSION", "codecs_at_size",
           "compress", "decode_frames", "decompress", "fit", "floor_bytes", "is_codec_file", "prepare", "read"]


def is_codec_file(path) -> bool:
    """Whether a file starts with the neural codec's signature (else it may be a Latent-INR .inr, or
    unreadable: its reader then says why)."""
    try:
        with open(path, "rb") as f:
            return f.read(len(MAGIC)) == MAGIC
    except OSError:
        return False
