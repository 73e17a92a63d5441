"""Shared validators: good values parse, bad numbers are argparse errors naming the value."""

import argparse

import pytest

from inr.cli import options


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

