"""The ``.inr`` file: a quantised Latent-INR model (``latent_inr.model``) that decodes back to its clip.

Layout (all integers little-endian)::

    8 bytes   magic  b"\\x89INR\\r\\n\\x1a\\n"   (PNG-style: a text transfer or a foreign file breaks it)
    1 byte    format version (1)
    4 bytes   header length N
    N bytes   header, UTF-8 JSON: model config, clip (name, frames, height, width, fps), bits,
              per_channel, compression, the tensor table (name, shape), body length and CRC-32
    rest      body: for each tensor of the table in order, its values (fp32, fp16, or 8-bit
              codes preceded by float32 (low, step) pairs, one per channel or one per tensor),
              the whole body then zlib- or lzma-compressed (or not)

Quantisation is affine: code = round((w - low) / step), w' = low + code * step with 255 steps
between a channel's (or a tensor's) min and max. ``quantised`` applies exactly the round trip the
file does, so a decoded model equals the in-memory quantised one bit for bit. Nothing is ever
unpickled; any mismatch is a ValueError naming the file.
"""

import json
import lzma
import math
import struct
import zlib
from pathlib import Path

import numpy as np
import torch

from inr.core.media.files import atomic_write_bytes
from inr.core.train import checkpoints
from inr.core.train.checkpoints import ClipInfo
from inr.methods.latent_inr.model import FrameLatents, config_dict, config_from_dict

MAGIC = b"\x89INR\r\n\x1a\n"
VERSION = 1
FORMAT = "inr-frame-latents"
BITS = (32, 16, 8)  # fp32, fp16, 8-bit affine codes
COMPRESSIONS = ("none", "zlib", "lzma")
MAX_HEADER = 1 << 20  # a header longer than this is not ours
MAX_RAW = 1 << 28  # bytes the body may inflate to (the shipped file's is 0.2 MB): no decompression bomb
MAX_TENSORS = 64  # entries of the tensor table (a model has 12)
MAX_DIMS = 4
MAX_PIXELS = 1 << 27  # frames x height x width a file may decode to (400 MB of RGB)



def check_settings(bits: int, compression: str) -> None:
    if bits not in BITS:
        raise ValueError(f"bits must be one of {', '.join(map(str, BITS))}, got {bits!r}")
    if compression not in COMPRESSIONS:
        raise ValueError(f"compression must be one of {', '.join(COMPRESSIONS)}, got {compression!r}")


def _rows(tensor: torch.Tensor, per_channel: bool) -> torch.Tensor:
    """The tensor as (channels, values): one row per output channel, or one row for it all."""
    if per_channel and tensor.ndim >= 2:
        return tensor.reshape(tensor.shape[0], -1)
    return tensor.reshape(1, -1)


def _affine(tensor: torch.Tensor, per_channel: bool) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """(codes uint8 (rows, n), low float32 (rows,), step float32 (rows,)) of an 8-bit affine quantisation."""
    rows = _rows(tensor.detach().float().cpu(), per_channel)
    low = rows.min(dim=1).values
    step = (rows.max(dim=1).values - low) / 255
    safe = torch.where(step > 0, step, torch.ones_like(step))  # a constant channel: every code 0
    codes = ((rows - low[:, None]) / safe[:, None]).round().clamp(0, 255).to(torch.uint8)
    return codes, low, step


def _dequantise(codes: torch.Tensor, low: torch.Tensor, step: torch.Tensor, shape) -> torch.Tensor:
    return (low[:, None] + codes.float() * step[:, None]).reshape(shape)


def quantise_tensor(tensor: torch.Tensor, bits: int, per_channel: bool = True) -> torch.Tensor:
    """The tensor after the file's round trip at `bits` (float32, CPU)."""
    tensor = tensor.detach().float().cpu()
    if bits == 32:
        return tensor.clone()
    if bits == 16:
        return tensor.half().float()
    codes, low, step = _affine(tensor, per_channel)
    return _dequantise(codes, low, step, tensor.shape)


def quantised(model: FrameLatents, bits: int, per_channel: bool = True) -> FrameLatents:
    """A copy of `model` (CPU, eval) whose weights went through the quantisation of an .inr file."""
    check_settings(bits, "none")
    copy = FrameLatents(model.cfg)
    copy.load_state_dict({k: quantise_tensor(v, bits, per_channel) for k, v in model.state_dict().items()})
    return copy.eval()


def _tensor_bytes(tensor: torch.Tensor, bits: int, per_channel: bool) -> bytes:
    tensor = tensor.detach().float().cpu().contiguous()
    if bits == 32:
        return tensor.numpy().astype("<f4").tobytes()
    if bits == 16:
        return tensor.numpy().astype("<f2").tobytes()
    codes, low, step = _affine(tensor, per_channel)
    scales = torch.stack([low, step], dim=1).numpy().astype("<f4")  # (rows, 2)
    return scales.tobytes() + codes.numpy().tobytes()


def _compress(body: bytes, compression: str) -> bytes:
    if compression == "zlib":
        return zlib.compress(body, 9)
    if compression == "lzma":
        return lzma.compress(body, preset=9 | lzma.PRESET_EXTREME)
    return body


def encode(model: FrameLatents, clip: ClipInfo, bits: int = 8, per_channel: bool = True,
           compression: str = "lzma") -> bytes:
    """The .inr bytes of `model` and its clip's metadata."""
    check_settings(bits, compression)
    state = model.state_dict()
    body = b"".join(_tensor_bytes(v, bits, per_channel) for v in state.values())
    packed = _compress(body, compression)
    header = {
        "format": FORMAT,
        "model": config_dict(model.cfg),
        "clip": {"name": clip.name, "frames": clip.frames, "height": clip.height, "width": clip.width,
                 "fps": clip.fps},
        "bits": bits,
        "per_channel": per_channel,
        "compression": compression,
        "tensors": [{"name": k, "shape": list(v.shape)} for k, v in state.items()],
        "body_bytes": len(packed),
        "raw_bytes": len(body),
        "crc32": zlib.crc32(packed),
    }
    text = json.dumps(header, separators=(",", ":")).encode()
    return MAGIC + struct.pack("<BI", VERSION, len(text)) + text + packed


def _header(payload: bytes, source: str) -> tuple[dict, bytes]:
    """(header dict, compressed body) of .inr bytes, after checking magic, version, lengths and CRC."""
    fixed = len(MAGIC) + 5
    if 0 < len(payload) < len(MAGIC) and MAGIC.startswith(payload):  # our start, cut inside the magic
        raise ValueError(f"{source}: truncated .inr file ({len(payload)} bytes, shorter than its magic bytes)")
    if len(payload) < len(MAGIC) or payload[:len(MAGIC)] != MAGIC:
        raise ValueError(f"{source}: not an .inr file (it does not start with the .inr magic bytes)")
    if len(payload) < fixed:
        raise ValueError(f"{source}: truncated .inr file ({len(payload)} bytes, shorter than its fixed header)")
    version, length = struct.unpack("<BI", payload[len(MAGIC):fixed])
    if version != VERSION:
        raise ValueError(f"{source}: .inr format version {version}, this program reads version {VERSION}")
    if length > MAX_HEADER:
        raise ValueError(f"{source}: corrupt .inr file (header length {length} bytes)")
    if len(payload) < fixed + length:
        raise ValueError(f"{source}: truncated .inr file (the header needs {length} bytes, "
                         f"{len(payload) - fixed} are there)")
    try:
        header = json.loads(payload[fixed:fixed + length].decode())
        expected, crc = checkpoints.whole(header["body_bytes"], 0, 2**62, "body_bytes"), header["crc32"]
    except (UnicodeDecodeError, json.JSONDecodeError, KeyError, TypeError, ValueError, RecursionError) as err:
        raise ValueError(f"{source}: corrupt .inr header ({checkpoints.reason(err)})") from err
    if not isinstance(header, dict) or header.get("format") != FORMAT:
        raise ValueError(f"{source}: not an .inr file of this program (format {header.get('format')!r})")
    body = payload[fixed + length:]
    if len(body) < expected:
        raise ValueError(f"{source}: truncated .inr file (the body needs {expected} bytes, {len(body)} are there)")
    if len(body) > expected:
        raise ValueError(f"{source}: corrupt .inr file ({len(body) - expected} bytes after the end of its body)")
    if zlib.crc32(body) != crc:
        raise ValueError(f"{source}: corrupt .inr file (the body's CRC-32 does not match its header)")
    return header, body


def _decompress(body: bytes, compression: str, size: int, source: str) -> bytes:
    """The body inflated, refused if it does not inflate to exactly `size` bytes (read no further)."""
    try:
        if compression == "zlib":
            inflater = zlib.decompressobj()
            raw = inflater.decompress(body, size + 1)
        elif compression == "lzma":
            raw = lzma.LZMADecompressor().decompress(body, size + 1)
        else:
            raw = body
    except (zlib.error, lzma.LZMAError) as err:
        raise ValueError(f"{source}: corrupt .inr body ({checkpoints.reason(err)})") from err
    if len(raw) != size:
        raise ValueError(f"{source}: corrupt .inr body (it does not inflate to the {size:,} bytes its header gives)")
    return raw


def _table(tensors) -> list[tuple[str, list[int]]]:
    """(name, shape) of each tensor of a header's table, every size a whole number in range."""
    if not isinstance(tensors, list) or not 1 <= len(tensors) <= MAX_TENSORS:
        raise ValueError(f"the tensor table must list 1..{MAX_TENSORS} tensors")
    table = []
    for i, entry in enumerate(tensors):
        shape = entry["shape"]
        if not isinstance(entry["name"], str) or not isinstance(shape, list) or len(shape) > MAX_DIMS:
            raise ValueError(f"tensor {i} must have a name and a shape of at most {MAX_DIMS} sizes")
        shape = [checkpoints.whole(v, 0, MAX_RAW, f"tensor {i}'s size") for v in shape]
        if math.prod(max(v, 1) for v in shape) > MAX_RAW:
            raise ValueError(f"tensor {i} of shape {shape} is larger than {MAX_RAW:,} values")
        table.append((entry["name"], shape))
    return table


def _read_tensor(raw: memoryview, offset: int, shape: list[int], bits: int, per_channel: bool,
                 source: str) -> tuple[torch.Tensor, int]:
    count = math.prod(shape)
    if bits in (32, 16):
        size = count * bits // 8
        need = offset + size
        dtype = "<f4" if bits == 32 else "<f2"
        if need > len(raw):
            raise ValueError(f"{source}: corrupt .inr body (shorter than its tensor table)")
        values = np.frombuffer(raw[offset:need], dtype=dtype).astype(np.float32)
        return torch.from_numpy(values.copy()).reshape(shape), need
    rows = shape[0] if per_channel and len(shape) >= 2 else 1
    need = offset + rows * 8 + count
    if need > len(raw):
        raise ValueError(f"{source}: corrupt .inr body (shorter than its tensor table)")
    if count == 0:
        return torch.zeros(shape), need
    scales = torch.from_numpy(np.frombuffer(raw[offset:offset + rows * 8], dtype="<f4").astype(np.float32).copy())
    codes = torch.from_numpy(np.frombuffer(raw[offset + rows * 8:need], dtype=np.uint8).copy())
    scales = scales.reshape(rows, 2)
    return _dequantise(codes.reshape(rows, -1), scales[:, 0], scales[:, 1], shape), need


def decode(payload: bytes, source: str = "<bytes>") -> tuple[FrameLatents, ClipInfo, dict]:
    """(model on the CPU in eval mode, clip metadata, header) from .inr bytes; ValueError if not valid."""
    header, body = _header(payload, source)
    try:
        bits, per_channel = header["bits"], header["per_channel"]
        compression = header["compression"]
        if not isinstance(per_channel, bool) or not isinstance(compression, str):
            raise ValueError("per_channel must be true or false and compression a name")
        check_settings(bits, compression)
        raw_bytes = checkpoints.whole(header["raw_bytes"], 0, MAX_RAW, "raw_bytes")
        table = _table(header["tensors"])
        clip = checkpoints.clip_info(header["clip"])
        cfg = config_from_dict(header["model"])
        if (clip.frames, clip.height, clip.width) != (cfg.frames, cfg.height, cfg.width):
            raise ValueError(f"the clip is {clip.frames} frames of {clip.width}x{clip.height}, the model's "
                             f"{cfg.frames} of {cfg.width}x{cfg.height}")
        if cfg.frames * cfg.height * cfg.width > MAX_PIXELS:
            raise ValueError(f"{cfg.frames:,} frames of {cfg.width:,}x{cfg.height:,} are more than the "
                             f"{MAX_PIXELS:,} pixels a file may decode to")
    except (KeyError, TypeError, ValueError) as err:
        raise ValueError(f"{source}: corrupt .inr header ({checkpoints.reason(err)})") from err
    raw = memoryview(_decompress(body, compression, raw_bytes, source))
    state, offset = {}, 0
    for name, shape in table:
        state[name], offset = _read_tensor(raw, offset, shape, bits, per_channel, source)
    if offset != len(raw):
        raise ValueError(f"{source}: corrupt .inr body ({len(raw) - offset} bytes beyond its tensor table)")
    try:  # counts, then shapes on the meta device: a config naming a huge model allocates nothing
        checkpoints.check_counts(header["model"], len(state), "model", keys=("levels",))
        model = checkpoints.build(lambda: FrameLatents(cfg), state)
    except (RuntimeError, TypeError, ValueError, OverflowError) as err:
        raise ValueError(f"{source}: .inr tensors do not match its model config "
                         f"({checkpoints.reason(err)})") from err
    return model.eval(), clip, header


def write(path: str | Path, model: FrameLatents, clip: ClipInfo, bits: int = 8, per_channel: bool = True,
          compression: str = "lzma") -> Path:
    """Write the .inr file atomically (a reader sees the old file or the whole new one); returns `path`."""
    path = Path(path)
    if path.suffix.lower() != ".inr":
        raise ValueError(f"an .inr file must end in .inr, got {path.name!r}")
    atomic_write_bytes(path, encode(model, clip, bits, per_channel, compression))
    return path


def read(path: str | Path) -> tuple[FrameLatents, ClipInfo, dict]:
    """(model, clip metadata, header) of an .inr file; ValueError naming the file if it is not one."""
    path = Path(path)
    if not path.is_file():
        raise ValueError(f"{path}: no such .inr file")
    return decode(path.read_bytes(), str(path))
