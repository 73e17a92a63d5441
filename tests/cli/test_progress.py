"""The one progress follower: a line per printed Record, in the format every training command shares."""

import re

from inr.cli import progress
from inr import api

# LABEL  step N  S s  R steps/s  PIXELS PSNR dB[  PIXELS PSNR dB]; a σ stack joins its PSNRs with ' / '
LINE = re.compile(r"(?P<label>\S.*?)  step +(?P<step>\d+) +\d+\.\d s +\d+\.\d steps/s  "
                  r"(?P<a>[a-z-]+) (?P<av>\d+\.\d\d(?: / \d+\.\d\d)*) dB(?:  (?P<b>[a-z-]+) (?P<bv>\d+\.\d\d(?: / \d+\.\d\d)*) dB)?")


def _records(seconds, held=True, members=()):
    """Records as a fit yields them: step i at seconds[i], the last one final."""
    return [api.Record(i, 0.01, 20.0 + i, 18.0 + i if held else None, s, 25.0, None, i == len(seconds) - 1, members)
            for i, s in enumerate(seconds)]


def _lines(capsys) -> list[str]:
    out, err = capsys.readouterr()
    assert out == "", "progress belongs on stderr: stdout's last line is --json's"
    return err.splitlines()


def test_one_line_per_record_in_the_shared_format(capsys):
    records = _records([0.1, 0.2, 0.3, 0.4])
    assert progress.follow(iter(records), "fit", every=0) is records[-1]
    lines = _lines(capsys)
    assert len(lines) == len(records)
    for rec, text in zip(records, lines):
        m = LINE.fullmatch(text)
        assert m, text
        assert (m["label"], int(m["step"]), m["a"], m["b"]) == ("fit", rec.step, "train", "held-out")
        assert float(m["av"]) == rec.train_psnr and float(m["bv"]) == rec.heldout_psnr


def test_lines_come_every_two_seconds_with_the_first_and_the_final(capsys):
    records = _records([0.0, 0.5, 1.9, 2.1, 3.0, 4.0, 4.2, 4.3])
    progress.follow(records, "compress")
    steps = [int(LINE.fullmatch(t)["step"]) for t in _lines(capsys)]
    assert steps == [0, 3, 6, 7]  # the first, 2.1 s, 4.2 s (2 s after the last line), the final one


def test_a_stack_gives_one_figure_per_member_and_pixels_are_named(capsys):
    progress.follow(_records([0.1], members=((30.0, 28.5), (25.25, 24.0), (22.0, 21.0))), "compare")
    progress.follow(_records([0.1], held=False), "space train")
    progress.follow(_records([0.1]), "space inpaint", pixels=("visible", "masked"))
    stack, train, inpaint = (LINE.fullmatch(t) for t in _lines(capsys))
    assert stack["av"] == "30.00 / 25.25 / 22.00" and stack["bv"] == "28.50 / 24.00 / 21.00"
    assert train["label"] == "space train" and train["b"] is None  # nothing held out: no second figure
    assert (inpaint["a"], inpaint["b"]) == ("visible", "masked")


def test_ctrl_c_stops_the_generator_and_keeps_the_last_record(capsys):
    records = _records([0.1, 0.2, 0.3])

    def interrupted():
        yield from records[:2]
        raise KeyboardInterrupt

    assert progress.follow(interrupted(), "fit", every=0) is records[1]
    lines = [t for t in _lines(capsys) if t]
    assert len(lines) == 3 and all(LINE.fullmatch(t) for t in lines[:2])
    assert lines[2].startswith("fit: stopped")
