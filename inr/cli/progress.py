"""What a command says on stderr while it works: the clips it read, and the one progress follower.

Every training generator of the façade yields ``api.Record``s; ``follow`` prints them in one format,

    LABEL  step  STEP  SECONDS s  RATE steps/s  PIXELS PSNR dB[  PIXELS PSNR dB]

where each PSNR names its pixels (a σ stack gives one figure per member, joined by ' / '). Standard
output stays for the results, so ``--json``'s object is still the last line there.

A command that fits many clips (``fit-many``) prints no such lines: a line a clip is enough. On a
terminal each rank draws one bar (``rank_bar``), its clips done and the clip it is on.
"""

import math
import sys
from collections.abc import Iterable

from tqdm import tqdm

from inr import api

EVERY = 2.0  # seconds between lines: a minute's fit prints ~30 lines, not one per logged step
FIT_PIXELS = ("train", "held-out")  # what train_psnr and heldout_psnr of an engine fit score


def line(rec: api.Record, label: str, pixels: tuple[str, str] = FIT_PIXELS) -> str:
    """One progress line for a Record (no line end)."""
    scores = rec.members or ((rec.train_psnr, rec.heldout_psnr),)
    parts = [f"{label}  step {rec.step:6d}  {rec.seconds:6.1f} s  {rec.steps_per_second:6.1f} steps/s",
             f"{pixels[0]} " + " / ".join(f"{t:.2f}" for t, _ in scores) + " dB"]
    if scores[0][1] is not None:
        parts.append(f"{pixels[1]} " + " / ".join(f"{h:.2f}" for _, h in scores) + " dB")
    return "  ".join(parts)


def follow(records: Iterable[api.Record], label: str, pixels: tuple[str, str] = FIT_PIXELS,
           every: float = EVERY) -> api.Record | None:
    """Run a training generator to its end, printing its first Record, its final one and one every
    `every` seconds to stderr; return the last Record (None if it yielded none).

    Ctrl-C stops the generator and returns: the model keeps what it learned, and the caller goes on
    to score and save it. On a terminal each line overwrites the one before.
    """
    stream = sys.stderr  # looked up per call: tests and callers may swap it
    end = "\r" if stream.isatty() else "\n"
    last, printed = None, -math.inf
    try:
        for rec in records:
            if last is None or rec.final or rec.seconds - printed >= every:
                print(line(rec, label, pixels), end=end, file=stream, flush=True)
                printed = rec.seconds
            last = rec
    except KeyboardInterrupt:
        print(f"\n{label}: stopped, keeping what was learned so far", file=stream)
    if end == "\r":
        print(file=stream)
    return last


def notes(clips: list[api.Clip]) -> None:
    """Each clip's size as read, and what reading it changed (caps, conversions), on stderr."""
    for clip in clips:
        size = "x".join(str(v) for v in clip.frames.shape[2:0:-1])
        print(f"{clip.name}: {clip.frames.shape[0]} frames of {size} at {clip.fps:g} fps", file=sys.stderr)
        for note in clip.notes:
            print(f"  {note}", file=sys.stderr)


def rank_bar(total: int, where: api.distributed.Place) -> tqdm:
    """This rank's bar on stderr, one line per rank (``position``): clips done of `total`, drawn only on a
    terminal, where several ranks share the screen; elsewhere (a log) only ``say``'s lines appear."""
    return tqdm(total=total, desc=where.label, position=where.rank, unit="clip", file=sys.stderr, disable=None,
                dynamic_ncols=True)


def quietly(records: Iterable[api.Record], bar: tqdm, name: str, every: float = EVERY) -> api.Record | None:
    """Run a training generator to its end without a line of its own: `bar` shows the clip `name`, its
    step and training PSNR, refreshed every `every` seconds; return the last Record.

    Unlike ``follow``, Ctrl-C is not caught: it stops a batch, not only the clip at hand.
    """
    last, shown = None, -math.inf
    for rec in records:
        if rec.final or rec.seconds - shown >= every:
            bar.set_postfix_str(f"{name}  step {rec.step}  train {rec.train_psnr:.2f} dB")
            shown = rec.seconds
        last = rec
    return last


def say(text: str) -> None:
    """One line on stderr that leaves the bars whole."""
    tqdm.write(text, file=sys.stderr)
