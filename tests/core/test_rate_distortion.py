"""Curve maths on hand-computable curves: quality at a size, and Bjøntegaard deltas whose answer is
known without the interpolation (a rate halved everywhere is -50 %, a PSNR raised 1 dB is +1 dB)."""

import math

import pytest

from inr.core.evaluate.rate_distortion import at_bpp, at_size, bd_psnr, bd_rate

# A concave curve like a codec's: PSNR rises ever more slowly with the rate.
ANCHOR = [{"crf": c, "bpp": b, "bytes": round(b * 1000), "psnr": 40 + 6 * math.log2(b) - 0.8 * math.log2(b) ** 2,
           "ssim": 0.9 + 0.02 * math.log2(b)} for c, b in zip((40, 34, 28, 22, 16), (0.05, 0.1, 0.2, 0.4, 0.8))]


def scaled(curve, rate=1.0, db=0.0):
    return [{**p, "bpp": p["bpp"] * rate, "bytes": p["bytes"] * rate, "psnr": p["psnr"] + db} for p in curve]


def test_half_the_rate_everywhere_is_a_bd_rate_of_minus_50_percent():
    out = bd_rate(ANCHOR, scaled(ANCHOR, rate=0.5))
    assert out["value"] == pytest.approx(-50.0, abs=1e-9) and out["reason"] is None
    assert out["range"] == pytest.approx([min(p["psnr"] for p in ANCHOR), max(p["psnr"] for p in ANCHOR)])
    assert bd_rate(scaled(ANCHOR, rate=0.5), ANCHOR)["value"] == pytest.approx(100.0)  # and back: twice
    assert bd_rate(ANCHOR, scaled(ANCHOR, rate=0.5), rate="bytes")["value"] == pytest.approx(-50.0, abs=1e-6)


def test_one_db_more_everywhere_is_a_bd_psnr_of_plus_one():
    out = bd_psnr(ANCHOR, scaled(ANCHOR, db=1.0))
    assert out["value"] == pytest.approx(1.0, abs=1e-9)
    assert out["range"] == pytest.approx([0.05, 0.8])
    # the same curve is better in rate too, over the PSNR range the two share
    assert bd_rate(ANCHOR, scaled(ANCHOR, db=1.0))["value"] < 0


def test_only_the_overlap_counts():
    shifted = scaled(ANCHOR, rate=2.0, db=1.0)  # covers 0.1-1.6 bpp: shares 0.1-0.8 with the anchor
    out = bd_psnr(ANCHOR, shifted)
    assert out["range"] == pytest.approx([0.1, 0.8])
    # at each rate the shifted curve is the anchor at half that rate, plus 1 dB: below the anchor
    assert out["value"] < 1.0


def test_within_keeps_only_the_points_in_that_rate_window():
    out = bd_psnr(ANCHOR, scaled(ANCHOR, db=1.0), within=(0.1, 0.4))
    assert out["value"] == pytest.approx(1.0) and out["range"] == pytest.approx([0.1, 0.4])
    assert bd_rate(ANCHOR, scaled(ANCHOR, rate=0.5), within=(0.1, 0.4))["range"] == pytest.approx(
        [ANCHOR[2]["psnr"], ANCHOR[3]["psnr"]])  # test keeps its 0.1-0.4 bpp (the anchor's PSNRs at 0.2-0.8)
    with pytest.raises(ValueError, match=r"within must be rates \(low, high\) with 0 < low < high, got \(0.4, 0.1\)"):
        bd_rate(ANCHOR, ANCHOR, within=(0.4, 0.1))


def test_no_overlap_or_too_few_points_is_none_with_a_reason():
    far = scaled(ANCHOR, db=50.0)
    out = bd_rate(ANCHOR, far)
    assert out["value"] is None and "do not overlap in PSNR" in out["reason"]
    assert "do not overlap in log rate" in bd_psnr(ANCHOR, scaled(ANCHOR, rate=100.0))["reason"]
    one = bd_rate(ANCHOR, ANCHOR[:1])
    assert one["value"] is None and "test curve has 1 usable point(s)" in one["reason"]


def test_dominated_points_are_dropped_not_fatal():
    # x264 near CRF 0: more bytes, the same PSNR (the RGB to YUV conversion caps it)
    flat = ANCHOR + [{"crf": 0, "bpp": 3.0, "bytes": 3000, "psnr": ANCHOR[-1]["psnr"], "ssim": 0.99}]
    assert bd_rate(ANCHOR, scaled(flat, rate=0.5))["value"] == pytest.approx(-50.0, abs=1e-9)


def test_quality_at_a_size_interpolates_on_log_rate_and_says_when_it_cannot():
    mid = at_size(ANCHOR, math.sqrt(100 * 200))  # halfway between 0.1 and 0.2 bpp on a log scale
    assert mid["interpolated"] and mid["psnr"] == pytest.approx((ANCHOR[1]["psnr"] + ANCHOR[2]["psnr"]) / 2)
    assert mid["nearest_crf"] in (34, 28)
    assert at_bpp(ANCHOR, 0.2)["psnr"] == pytest.approx(ANCHOR[2]["psnr"])
    outside = at_bpp(ANCHOR, 5.0)
    assert not outside["interpolated"] and outside["nearest_crf"] == 16 and outside["psnr"] == ANCHOR[-1]["psnr"]


# Ours against the bjontegaard package (1.3.0, method="pchip", the JVET common-test-conditions
# interpolation), figures computed with it once: its README's example and a codec far behind its
# anchor. We keep ours because that package imports matplotlib on import, and ours also restricts
# the range (`within`), drops non-monotone points and says why a delta is undefined.
BJONTEGAARD = [
    (([9487.76, 4593.60, 2486.44, 1358.24], [40.037, 38.615, 36.845, 35.054]),
     ([9787.80, 4469.00, 2451.52, 1356.24], [40.121, 38.651, 36.970, 35.081]), -4.061934237903964, 0.10671034323769794),
    (([0.05, 0.1, 0.2, 0.4], [28.1, 31.0, 33.9, 36.7]),
     ([0.06, 0.11, 0.25, 0.5], [26.0, 28.2, 30.9, 33.8]), 147.41252182471163, -3.4889072357226656),
]


@pytest.mark.parametrize("anchor, test, rate, psnr", BJONTEGAARD)
def test_bd_rate_and_bd_psnr_equal_the_bjontegaard_package(anchor, test, rate, psnr):
    a, t = ([{"bpp": r, "psnr": d} for r, d in zip(*curve)] for curve in (anchor, test))
    assert bd_rate(a, t)["value"] == pytest.approx(rate, abs=1e-9)
    assert bd_psnr(a, t)["value"] == pytest.approx(psnr, abs=1e-9)
