"""The codec file's header, checked before anything is built from it.

A header is JSON that anyone can edit and re-checksum, so every field is checked against a named
limit before a model, a grid or a decoded frame is allocated:

- each count, width and side is a whole number within a limit (far above what the encoder writes,
  far below what would exhaust a machine), fps is a finite number in range, flags are booleans;
- the networks' tensors are the ones the config builds (names only: shapes come from widths
  already checked), each with a quantisation step and a Laplace scale in range;
- the body is long enough for what the header claims: every coded integer costs at least the
  bits its most likely value costs under its model, so a header that claims more tensors or
  latents than its body can hold is refused before decoding (``min_bits``);
- the memory the decode needs (the model, the latent grids, the working frames and the decoded
  clip) is under a budget the caller names (``decode_bytes``, DECODE_LIMIT by default).

Everything the checks refuse is a ValueError of one line naming the file and the field.
"""

import math
from numbers import Real

import torch

from inr.methods.codec import entropy
from inr.methods.codec.model import LATENT_MAX, CodecConfig, Synthesis

WEIGHT_MAX = 2**15 - 1  # network integers live in [-WEIGHT_MAX, WEIGHT_MAX]
MAX_HEADER_TEXT = 2**24  # bytes of JSON a header may inflate to (the encoder writes ~1 KB; 16 MiB parse in ~1 s)
MAX_SIDE = 2**16  # frames, height or width of the clip
MAX_LEVELS = 8  # latent grids (the encoder writes 5, or 6 from FULL_GRID_BPP)
MAX_FACTOR = 2**16  # a grid's down-sampling factor along one axis
MAX_LAYERS = 8  # hidden layers of the synthesis (the encoder writes 2)
MAX_WIDTH = 1024  # width of a synthesis layer or of the entropy model's hidden layer (the encoder: 16)
MAX_FPS = 1000.0
STEPS = range(0, 25)  # weight quantisation steps 2^-0 .. 2^-24: a float32 holds 24 bits
SCALES = (0.05, float(WEIGHT_MAX))  # a tensor's Laplace scale: what ``bitstream.weight_scale`` can give
DECODE_LIMIT = 2**30  # bytes a decode may use unless its caller allows more
FIELDS = {"shape", "fps", "levels", "hidden", "refine", "arm_hidden", "context", "steps", "scales", "words", "crc"}
# The coder's probabilities have 24 bits (constriction's default): the likeliest of A symbols
# has at most 1 - (A - 1) / 2^24 of the mass, so no integer costs less than this.
PRECISION = 24


class HeaderError(ValueError):
    """A header field that is missing, of the wrong type, out of range, or a lie about the body."""

    def __init__(self, field: str, problem: str):
        super().__init__(f"header field {field!r} {problem}")
        self.field = field


def shown(value) -> str:
    """A value for a message: short, whatever it is (a list of a million entries, a long string)."""
    if isinstance(value, (list, dict)) and len(value) > 8:
        return f"a {type(value).__name__} of {len(value):,} entries"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def whole(value, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise HeaderError(field, f"must be a whole number in {low:,}..{high:,}, got {shown(value)}")
    return value


def number(value, field: str, low: float, high: float) -> float:
    """A finite JSON number in [low, high] (JSON strings such as "nan" are not numbers)."""
    if isinstance(value, bool) or not isinstance(value, Real) or not math.isfinite(value) or not low <= value <= high:
        raise HeaderError(field, f"must be a finite number in {low:g}..{high:g}, got {shown(value)}")
    return float(value)


def flag(value, field: str) -> bool:
    if not isinstance(value, bool):
        raise HeaderError(field, f"must be true or false, got {shown(value)}")
    return value


def whole_list(value, field: str, count: range, low: int, high: int) -> tuple[int, ...]:
    if not isinstance(value, list) or len(value) not in count:
        raise HeaderError(field, f"must be a list of {count.start}..{count.stop - 1} whole numbers, got {shown(value)}")
    return tuple(whole(v, f"{field}[{i}]", low, high) for i, v in enumerate(value))


def config(header: dict) -> CodecConfig:
    """The model config a header describes, every field in range (HeaderError otherwise)."""
    if not isinstance(header, dict):
        raise HeaderError("header", f"must be a JSON object, got {shown(header)}")
    missing, unknown = sorted(FIELDS - set(header)), sorted(set(header) - FIELDS)
    if missing:
        raise HeaderError(missing[0], "is missing")
    if unknown:
        raise HeaderError(unknown[0], "is not a field of this format")
    shape = whole_list(header["shape"], "shape", range(3, 4), 1, MAX_SIDE)
    levels = header["levels"]
    if not isinstance(levels, list) or not 1 <= len(levels) <= MAX_LEVELS:
        raise HeaderError("levels", f"must be a list of 1..{MAX_LEVELS} grids, got {shown(levels)}")
    factors = tuple(whole_list(f, f"levels[{i}]", range(3, 4), 1, MAX_FACTOR) for i, f in enumerate(levels))
    return CodecConfig(shape=shape, levels=factors,
                       hidden=whole_list(header["hidden"], "hidden", range(0, MAX_LAYERS + 1), 1, MAX_WIDTH),
                       refine=flag(header["refine"], "refine"),
                       arm_hidden=whole(header["arm_hidden"], "arm_hidden", 1, MAX_WIDTH),
                       context=flag(header["context"], "context"))


def network_shapes(cfg: CodecConfig) -> dict[str, tuple[int, ...]]:
    """Each network tensor the file codes, by the name its header uses ("s." synthesis, "a." entropy
    model), and its shape: built on the meta device, so nothing is allocated."""
    with torch.device("meta"):
        synthesis, arm = Synthesis(len(cfg.levels), cfg.hidden, cfg.refine), entropy.make_arm(cfg)
    shapes = {f"s.{k}": tuple(v.shape) for k, v in synthesis.state_dict().items()}
    shapes.update({f"a.{k}": tuple(v.shape) for k, v in arm.state_dict().items()})
    return shapes


def steps_and_scales(header: dict, shapes: dict[str, tuple[int, ...]]) -> tuple[dict[str, int], dict[str, float]]:
    """The synthesis tensors' quantisation steps and every tensor's Laplace scale, checked."""
    steps, scales = header["steps"], header["scales"]
    expected = [k[2:] for k in shapes if k.startswith("s.")]
    if not isinstance(steps, dict) or sorted(steps) != sorted(expected):
        raise HeaderError("steps", f"must name the synthesis tensors {expected}, got {shown(steps)}")
    if not isinstance(scales, dict) or sorted(scales) != sorted(shapes):
        raise HeaderError("scales", f"must name the {len(shapes)} network tensors the config builds, "
                                    f"got {shown(scales)}")
    steps = {k: whole(steps[k], f"steps.{k}", STEPS.start, STEPS.stop - 1) for k in expected}
    return steps, {k: number(scales[k], f"scales.{k}", *SCALES) for k in shapes}


def min_bits(scale: float, symbols: int) -> float:
    """The fewest bits one integer can cost under a quantised Laplace of this scale over `symbols`
    values: that of its likeliest value, whose mass is at most the Laplace's over its bin and at most
    what the coder's 24-bit probabilities leave once every other value has its one quantum."""
    mode = min(1 - math.exp(-0.5 / scale), 1 - (symbols - 1) / 2**PRECISION)
    return -math.log2(mode)


def body_floor_bits(cfg: CodecConfig, shapes: dict[str, tuple[int, ...]], scales: dict[str, float]) -> float:
    """A lower bound on the body's length in bits for what the header claims: every network integer at
    its tensor's scale, every latent at the narrowest scale the entropy model can give."""
    weights = sum(math.prod(shape) * min_bits(scales[name], 2 * WEIGHT_MAX + 1) for name, shape in shapes.items())
    return weights + cfg.latents * min_bits(float(entropy.SCALE_TABLE[0]), 2 * LATENT_MAX + 1)


def check_body(cfg: CodecConfig, shapes: dict, scales: dict, words: int) -> None:
    """HeaderError if the body is too short for what the header claims. Half the bound, less the
    coder's final state (two words), is required: the bound is exact, the margin is for safety."""
    need = body_floor_bits(cfg, shapes, scales) / 2 - 64
    if 32 * words < need:
        raise HeaderError("shape", f"claims {cfg.latents:,} latents and {sum(map(math.prod, shapes.values())):,} "
                                   f"network weights, which cannot be coded in fewer than {need / 8:,.0f} bytes; "
                                   f"the body has {4 * words:,}")


def decode_bytes(cfg: CodecConfig, chunk: int) -> int:
    """Bytes a decode of this config needs at its peak: the latent grids (integers while decoding, then
    floats), the spline readers of every grid, the largest slice's entropy context, `chunk` frames of
    features and activations, and the decoded clip (uint8 RGB)."""
    frames, height, width = cfg.shape
    grids = cfg.grid_shapes()
    readers = sum(n * m for shape in grids for n, m in zip(cfg.shape, shape) if n != m)
    slice_nodes = max(h * w for _, h, w in grids)
    context = slice_nodes * (2 * entropy.CONTEXT + 2 * cfg.arm_hidden)  # float64 neighbourhoods and hidden
    activations = min(chunk, frames) * height * width * (2 * len(grids) + 2 * sum(cfg.hidden, 0) + 4 * 3)
    return 12 * cfg.latents + 4 * readers + 8 * context + 4 * activations + 3 * frames * height * width


def check_budget(cfg: CodecConfig, chunk: int, limit: int) -> None:
    need = decode_bytes(cfg, chunk)
    if need > limit:
        frames, height, width = cfg.shape
        raise HeaderError("shape", f"is {frames:,} frames of {width:,}x{height:,}: decoding it needs about "
                                   f"{need / 2**30:,.2f} GiB, above the limit of {limit / 2**30:g} GiB")
