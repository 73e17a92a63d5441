"""What several commands share: validators of numbers (argparse types) and the option groups.

A validator refuses a bad value while the command line is parsed, so argparse names the flag in its
one-line error and the exit code is 2, before any clip is read.
"""

import argparse
import math

DEVICES = ("cpu", "cuda")


def _number(text: str, kind: type, least: float, strict: bool = False) -> float | int:
    """`text` as a finite `kind` at least `least` (above it when `strict`), or an argparse error."""
    try:
        value = kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected {'a whole number' if kind is int else 'a number'}, "
                                         f"got {text!r}") from None
    if not (math.isfinite(value) and (value > least if strict else value >= least)):
        what = "a whole number" if kind is int else "a finite number"
        raise argparse.ArgumentTypeError(f"expected {what} {'>' if strict else '>='} {least:g}, got {text!r}")
    return value


def positive_float(text: str) -> float:
    return _number(text, float, 0, strict=True)


def non_negative_float(text: str) -> float:
    return _number(text, float, 0)


def non_negative_int(text: str) -> int:
    return _number(text, int, 0)


def positive_int(text: str) -> int:
    return _number(text, int, 1)


def sigma(text: str) -> float | None:
    """A Fourier σ > 0, or None (raw coordinates) for 'none', 'off' or '0'."""
    if text.strip().lower() in ("none", "off", "0"):
        return None
    return positive_float(text)


def sigmas(text: str) -> list[float | None]:
    """'none,1,10' -> [None, 1.0, 10.0]: at least one σ."""
    out = [sigma(part) for part in text.split(",") if part.strip()]
    if not out:
        raise argparse.ArgumentTypeError(f"expected at least one sigma, got {text!r}")
    return out


def space_factors(text: str) -> list[float]:
    """'2,4,2.5' -> [2.0, 4.0, 2.5]: spatial factors, each >= 1, non-integer ones welcome; '' -> []."""
    return [_number(part, float, 1) for part in (p.strip() for p in text.split(",")) if part]


def time_factors(text: str) -> list[int]:
    """'2,4' -> [2, 4]: keep every n-th frame, each n a whole number >= 1; '' -> []."""
    return [_number(part, int, 1) for part in (p.strip() for p in text.split(",")) if part]


def add_json_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--json", action="store_true", help="print one JSON object as the last line")


def add_device_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", choices=DEVICES, help="default: cuda if available, else cpu")


def add_clip_options(p: argparse.ArgumentParser, holdout: bool = True,
                     seconds_help: str = "stop after S seconds (default per arch and device)") -> None:
    """How a clip is read and fitted: size caps, held-out pixels, device, seed, budget, --json."""
    p.add_argument("--max-frames", type=non_negative_int, help="keep at most N frames (0: no cap; default per device)")
    p.add_argument("--max-size", type=non_negative_int, help="downscale so the longest side is at most PX (0: no cap)")
    if holdout:
        p.add_argument("--holdout", choices=("every2", "random", "none"), default="every2",
                       help="pixels held out to measure generalisation (default every2)")
    add_device_option(p)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--steps", type=non_negative_int, help="stop after N steps")
    p.add_argument("--seconds", type=positive_float, help=seconds_help)
    add_json_option(p)


def add_prior_options(p: argparse.ArgumentParser) -> None:
    # None leaves each architecture's own weights: the motion field's neighbours and curvature are
    # what its held-out figures were measured with; the other fields have neither by default.
    p.add_argument("--curvature", type=non_negative_float,
                   help="weight of the spatial smoothness prior (default: the arch's own; motion 0.01, others off)")
    p.add_argument("--temporal", type=non_negative_float,
                   help="weight of the temporal prior (default: the arch's own); for --arch motion, of the "
                        "neighbours' pixels moved along the flow (its own: 0.5)")
