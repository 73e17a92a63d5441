"""Shared validators: good values parse, bad numbers are argparse errors (one line, exit code 2)."""

import argparse

import pytest

from inr.cli import main, options


@pytest.mark.parametrize("check, text, want", [
    (options.positive_float, "2.5", 2.5),
    (options.non_negative_float, "0", 0.0),
    (options.non_negative_int, "0", 0),
    (options.positive_int, "3", 3),
    (options.sigma, "none", None),
    (options.sigma, "0", None),
    (options.sigma, "12.5", 12.5),
    (options.sigmas, "none, 1,10,,", [None, 1.0, 10.0]),
    (options.space_factors, "2,4,2.5", [2.0, 4.0, 2.5]),
    (options.space_factors, "", []),
    (options.time_factors, "2,4", [2, 4]),
])
def test_good_values_parse(check, text, want):
    assert check(text) == want


@pytest.mark.parametrize("check, text, says", [
    (options.positive_float, "0", "> 0"),
    (options.positive_float, "-1", "> 0"),
    (options.positive_float, "nan", "finite"),
    (options.positive_float, "inf", "finite"),
    (options.positive_float, "two", "a number"),
    (options.non_negative_float, "-0.1", ">= 0"),
    (options.non_negative_int, "-1", ">= 0"),
    (options.non_negative_int, "1.5", "whole number"),
    (options.positive_int, "0", ">= 1"),
    (options.sigma, "-3", "> 0"),
    (options.sigmas, "1,abc", "a number, got 'abc'"),
    (options.sigmas, ",", "at least one sigma"),
    (options.space_factors, "2,0.5", ">= 1, got '0.5'"),
    (options.time_factors, "2,1.5", "whole number, got '1.5'"),
])
def test_bad_values_are_argparse_errors(check, text, says):
    with pytest.raises(argparse.ArgumentTypeError, match=says) as err:
        check(text)
    assert "got '" in str(err.value)  # the message names the value refused


@pytest.mark.parametrize("argv, flag", [
    (["fit", "c.mp4", "--out", "o", "--seconds", "0"], "--seconds"),
    (["fit", "c.mp4", "--out", "o", "--max-frames", "-1"], "--max-frames"),
    (["fit", "c.mp4", "--out", "o", "--sigma", "-3"], "--sigma"),
    (["fit", "c.mp4", "--out", "o", "--curvature", "nan"], "--curvature"),
    (["render", "m.safetensors", "--out", "x.gif", "--temporal-scale", "0"], "--temporal-scale"),
    (["compare", "c.mp4", "--out", "o", "--sigmas", "1,x"], "--sigmas"),
    (["evaluate-sr", "c.mp4", "--space", "0.5"], "--space"),
    (["evaluate-sr", "c.mp4", "--time", "1.5"], "--time"),
    (["compress", "c.mp4", "--out", "x.inr", "--steps", "-5"], "--steps"),
    (["retrieve", "x.inr", "q.png", "--top", "0"], "--top"),
    (["space", "train", "a.mp4", "b.mp4", "--out", "o", "--windows", "x"], "--windows"),
    (["space", "sample", "s.safetensors", "--out", "x.gif", "--scale", "inf"], "--scale"),
    (["space", "interpolate", "s.safetensors", "--out", "x.gif", "--a", "-1"], "--a"),
    (["space", "invert", "s.safetensors", "c.mp4", "--out", "x.gif", "--seconds", "0"], "--seconds"),
])
def test_bad_numbers_exit_2_with_one_line_naming_the_flag(argv, flag, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)  # none of these files exist: the value is refused before any is opened
    out, err = capsys.readouterr()
    assert exit_.value.code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and f"argument {flag}" in err, err


def test_priors_left_unset_keep_each_architectures_own_weights():
    """`fit` and `evaluate-sr` without --curvature/--temporal must fit the motion field with its own
    neighbours and curvature (what its figures were measured with), not switch them off."""
    from inr import api
    from inr.cli import build_parser

    for argv in (["fit", "clip.mp4", "--out", "o"], ["evaluate-sr", "clip.mp4"]):
        args = build_parser().parse_args(argv)
        assert args.curvature is None and args.temporal is None
        motion = api.fit_config("motion", "cpu", curvature=args.curvature, temporal=args.temporal)
        assert (motion.temporal, motion.curvature) == (0.5, 0.01)
        grid = api.fit_config("grid", "cpu", curvature=args.curvature, temporal=args.temporal)
        assert (grid.temporal, grid.curvature) == (0.0, 0.0)
    args = build_parser().parse_args(["fit", "clip.mp4", "--out", "o", "--temporal", "0"])
    assert api.fit_config("motion", "cpu", temporal=args.temporal).temporal == 0.0  # an explicit 0 turns it off
