"""The codec's file: every integer of a codec model, range-coded with ``constriction``.

Layout (integers little-endian)::

    8 bytes   magic  b"\\x89INC\\r\\n\\x1a\\n"  (PNG-style, so a text transfer or a foreign file breaks it)
    1 byte    format version (VERSION)
    2 bytes   header length N
    N bytes   header: zlib-compressed JSON (clip shape and fps, the model config, each network
              tensor's quantisation step and Laplace scale, the body's length in words and CRC-32)
    rest      body: one range-coder stream (32-bit words) holding, in order, the synthesis
              weights, the entropy model's weights, then the latent grids from the coarsest to the
              finest, one time slice at a time

Network weights are integers times a power-of-two step (``weight_steps`` per tensor, chosen at
encode time); each tensor is coded under a zero-mean Laplace whose scale is in the header. Each
latent is coded under the Laplace its context gives (``entropy.coding_params``), computed in
integers from integers, so the decoder's probabilities are the encoder's, bit for bit.

Reading trusts nothing: the header is checked field by field, against the body's length and against
a memory budget, before anything is built from it (``header.py``); a body that does not decode
under its model, ends before its header's latents or goes on after them is refused. Nothing is
unpickled; whatever is wrong is one ValueError naming the file and the field.
"""

import contextlib
import json
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

import constriction
import numpy as np
import torch

from inr.core.train.checkpoints import reason
from inr.methods.codec import entropy, header as checks
from inr.methods.codec.header import DECODE_LIMIT, WEIGHT_MAX, HeaderError
from inr.methods.codec.model import LATENT_MAX, CodecConfig, CodecModel

MAGIC = b"\x89INC\r\n\x1a\n"
VERSION = 1
CHUNK = 8  # frames synthesised at a time when decoding
# After the body's last word is read the coder's state still holds at most two words (64 bits):
# latents that need more than this once the body is spent are not in it.
SPENT_BITS = 128
_FIXED = struct.Struct("<8sBH")


@dataclass(frozen=True)
class ClipMeta:
    frames: int
    height: int
    width: int
    fps: float

    @property
    def pixels(self) -> int:
        return self.frames * self.height * self.width


@dataclass
class Decoded:
    """What a file holds: the model rebuilt from it (latents rounded, weights quantised), and its clip."""

    model: CodecModel
    arm: entropy.ARM
    meta: ClipMeta
    weight_steps: dict[str, int]


@contextlib.contextmanager
def one_thread():
    """Run the coder's many small products on one thread (restored after): at a slice's size a
    second thread costs more in hand-offs than it saves, up to 10x more when the core is busy."""
    saved = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(saved)


# ---------------------------------------------------------------- network weights

def synthesis_integers(model: CodecModel, steps: dict[str, int]) -> dict[str, torch.Tensor]:
    """Synthesis weights as integers: round(w * 2^step) per tensor, clamped to the alphabet (int64)."""
    return {name: (p.detach().double().cpu() * 2.0 ** steps[name]).round().clamp(-WEIGHT_MAX, WEIGHT_MAX).long()
            for name, p in model.synthesis.state_dict().items()}


def set_synthesis(model: CodecModel, integers: dict[str, torch.Tensor], steps: dict[str, int]) -> None:
    """Load integer weights (what the file holds) into the model's synthesis."""
    model.synthesis.load_state_dict({k: (v.double() / 2.0 ** steps[k]).float() for k, v in integers.items()})


def weight_scale(integers: torch.Tensor) -> float:
    """The Laplace scale a tensor of integers is coded under: its mean magnitude, rounded for the header."""
    return max(round(float(integers.abs().double().mean()), 3), 0.05)


# ---------------------------------------------------------------- latents

def level_order(count: int) -> range:
    """Grids are coded coarsest first: each one's context needs the next coarser grid."""
    return range(count - 1, -1, -1)


# ---------------------------------------------------------------- the file

def _laplace(limit: int):
    return constriction.stream.model.QuantizedLaplace(-limit, limit)


def encode(*args, **kwargs) -> bytes:
    """The file's bytes for this model (see ``_encode``), written on one thread."""
    with one_thread():
        return _encode(*args, **kwargs)


def _encode(model: CodecModel, arm: entropy.ARM, meta: ClipMeta, weight_steps: dict[str, int],
           latents: bool = True) -> bytes:
    """The file's bytes for this model (latents are rounded, networks quantised, here).

    latents=False leaves them out: the header and the networks alone (what a size target must exceed).
    """
    cfg = model.cfg
    coder = constriction.stream.queue.RangeEncoder()
    header = {"shape": list(cfg.shape), "fps": round(float(meta.fps), 4), "levels": [list(f) for f in cfg.levels],
              "hidden": list(cfg.hidden), "refine": cfg.refine, "arm_hidden": cfg.arm_hidden,
              "context": cfg.context,
              "steps": weight_steps, "scales": {}}
    arm_weights = entropy.fixed_point(arm)
    networks = {f"s.{k}": v for k, v in synthesis_integers(model, weight_steps).items()}
    networks.update({f"a.{k}": v for k, v in arm_weights.items()})
    for name, ints in networks.items():
        scale = header["scales"][name] = weight_scale(ints)
        coder.encode(ints.reshape(-1).numpy().astype(np.int32), _laplace(WEIGHT_MAX),
                     np.zeros(ints.numel()), np.full(ints.numel(), scale))
    grids = [g.long().cpu() for g in model.rounded()] if latents else []
    for level in level_order(len(grids)):
        coarse = grids[level + 1] if level + 1 < len(grids) else None
        means, scales = entropy.coding_params(arm_weights, grids[level], coarse, None, level, cfg.context)
        coder.encode(grids[level].reshape(-1).numpy().astype(np.int32), _laplace(LATENT_MAX), means, scales)
    body = coder.get_compressed().astype("<u4").tobytes()
    header.update(words=len(body) // 4, crc=zlib.crc32(body))
    packed = zlib.compress(json.dumps(header, separators=(",", ":")).encode(), 9)
    return _FIXED.pack(MAGIC, VERSION, len(packed)) + packed + body


def _header(payload: bytes, name: str) -> tuple[dict, bytes]:
    if len(payload) < _FIXED.size or payload[:8] != MAGIC:
        raise ValueError(f"{name}: not a neural-codec .inr file (its first bytes are not the codec's signature)")
    _, version, length = _FIXED.unpack_from(payload)
    if version > VERSION:
        raise ValueError(f"{name}: written by a newer version of this codec (format {version}; this reads up to "
                         f"{VERSION}); update the studio to read it")
    if version < 1:
        raise ValueError(f"{name}: unknown codec format version {version}")
    start = _FIXED.size
    if len(payload) < start + length:
        raise ValueError(f"{name}: truncated: the header needs {length} bytes, {len(payload) - start} are left")
    try:
        inflater = zlib.decompressobj()
        text = inflater.decompress(payload[start:start + length], checks.MAX_HEADER_TEXT)
        if inflater.unconsumed_tail:
            raise ValueError(f"it inflates to more than {checks.MAX_HEADER_TEXT:,} bytes")
        header = json.loads(text)
    except (zlib.error, UnicodeDecodeError, ValueError, RecursionError) as error:
        raise ValueError(f"{name}: damaged header ({reason(error)})") from None
    body = payload[start + length:]
    words = header.get("words") if isinstance(header, dict) else None
    if isinstance(words, bool) or not isinstance(words, int) or len(body) != 4 * words:
        raise ValueError(f"{name}: truncated or padded: the header gives the body as {checks.shown(words)} words "
                         f"(4 bytes each), it is {len(body):,} bytes")
    if zlib.crc32(body) != header.get("crc"):
        raise ValueError(f"{name}: damaged: the body's checksum does not match its header")
    return header, body


def decode(payload: bytes, name: str = "file", limit: int = DECODE_LIMIT) -> Decoded:
    """Rebuild the model a file holds; ValueError (one line naming the file) for anything not ours,
    damaged, lying about its body, or needing more than `limit` bytes to decode."""
    with one_thread():
        header, body = _header(payload, name)
        try:
            cfg = checks.config(header)
            shapes = checks.network_shapes(cfg)
            steps, scales = checks.steps_and_scales(header, shapes)
            fps = checks.number(header["fps"], "fps", 1e-3, checks.MAX_FPS)
            checks.check_body(cfg, shapes, scales, len(body) // 4)
            checks.check_budget(cfg, CHUNK, limit)
        except HeaderError as error:
            raise ValueError(f"{name}: {error}") from None
        try:
            return _decode(cfg, steps, scales, fps, body)
        except (AssertionError, ValueError, RuntimeError) as error:  # constriction says "invalid" by assertion
            raise ValueError(f"{name}: damaged body: it does not decode under the model its header gives "
                             f"({reason(error)})") from None


def _decode(cfg: CodecConfig, steps: dict[str, int], scales: dict[str, float], fps: float, body: bytes) -> Decoded:
    """The model a checked header and its body describe (ValueError if the body lies)."""
    model, arm = CodecModel(cfg), entropy.make_arm(cfg)
    coder = constriction.stream.queue.RangeDecoder(np.frombuffer(body, dtype="<u4").astype(np.uint32))

    def read_tensors(prefix: str, module: torch.nn.Module) -> dict[str, torch.Tensor]:
        out = {}
        for key, like in module.state_dict().items():
            values = coder.decode(_laplace(WEIGHT_MAX), np.zeros(like.numel()),
                                  np.full(like.numel(), scales[f"{prefix}{key}"]))
            out[key] = torch.from_numpy(values.astype(np.int64)).view(like.shape)
        return out

    set_synthesis(model, read_tensors("s.", model.synthesis), steps)
    arm_weights = read_tensors("a.", arm)
    entropy.load_fixed_point(arm, arm_weights)
    grids = [torch.zeros(s, dtype=torch.long) for s in cfg.grid_shapes()]
    cheapest = checks.min_bits(float(entropy.SCALE_TABLE[0]), 2 * LATENT_MAX + 1)
    left = cfg.latents
    for level in level_order(len(grids)):
        coarse = grids[level + 1] if level + 1 < len(grids) else None
        grid = grids[level]
        for t in range(len(grid)):
            means, spreads = entropy.coding_params(arm_weights, grid, coarse, [t], level, cfg.context)
            values = coder.decode(_laplace(LATENT_MAX), means, spreads)
            grid[t] = torch.from_numpy(values.astype(np.int64)).view(grid.shape[1:])
            left -= len(values)
            if left and coder.maybe_exhausted() and left * cheapest > SPENT_BITS:
                raise ValueError(f"the body ends {left:,} latents before the last one its header claims")
    if not coder.maybe_exhausted():
        raise ValueError("the body goes on after the last latent its header claims")
    with torch.no_grad():
        for param, grid in zip(model.latents, grids):
            param.copy_(grid.float())
    return Decoded(model, arm, ClipMeta(*cfg.shape, fps), steps)


def read(path: str | Path, limit: int = DECODE_LIMIT) -> Decoded:
    path = Path(path)
    try:
        payload = path.read_bytes()
    except OSError as error:
        raise ValueError(f"{path}: cannot be read ({error.strerror})") from None
    return decode(payload, str(path), limit)
