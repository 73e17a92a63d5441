"""Rate-distortion curve maths: a codec's quality at a given size, and Bjøntegaard deltas between codecs.

A curve is a list of points (dicts) with a rate (``"bytes"`` or ``"bpp"``) and ``"psnr"`` (dB),
as ``video_baselines.sweep`` returns them. Nothing here encodes: these are pure functions on numbers.

The Bjøntegaard deltas follow the JVET common test conditions: log10 rate against PSNR, each curve
interpolated piecewise-cubic (PCHIP, which never overshoots between points as Bjøntegaard's original
cubic polynomial fit can), the difference integrated over the range both curves cover.
"""

import math

import numpy as np
from scipy.interpolate import PchipInterpolator


def _at(points: list[dict], value: float, key: str) -> dict:
    """PSNR/SSIM at `value` of `key`, interpolated on log(key) between the two points around it."""
    if not points:
        raise ValueError("a curve needs at least one point, got none")
    points = sorted(points, key=lambda r: r[key])
    nearest = min(points, key=lambda r: abs(math.log(r[key]) - math.log(value)))
    out = {"nearest_crf": nearest.get("crf"), "nearest_bytes": nearest.get("bytes"), "interpolated": False,
           "psnr": nearest["psnr"], "ssim": nearest.get("ssim")}
    for lo, hi in zip(points, points[1:]):
        if lo[key] <= value <= hi[key] and hi[key] > lo[key]:
            share = (math.log(value) - math.log(lo[key])) / (math.log(hi[key]) - math.log(lo[key]))
            out.update(interpolated=True, psnr=lo["psnr"] + share * (hi["psnr"] - lo["psnr"]))
            if lo.get("ssim") is not None and hi.get("ssim") is not None:
                out["ssim"] = lo["ssim"] + share * (hi["ssim"] - lo["ssim"])
            break
    return out


def at_size(sweep: list[dict], size: int) -> dict:
    """A codec at `size` bytes: PSNR/SSIM interpolated on log(bytes) between the two CRFs around it.

    Outside the sweep's range it is the nearest CRF's figures ("interpolated": False), with the
    nearest point's CRF and bytes beside them, so a reader sees how far off the match is.
    """
    return _at(sweep, size, "bytes")


def at_bpp(sweep: list[dict], bpp: float) -> dict:
    """As ``at_size``, at `bpp` bits per pixel: the unit that compares clips of different sizes."""
    return _at(sweep, bpp, "bpp")


def _monotone(points: list[dict], rate: str) -> tuple[np.ndarray, np.ndarray]:
    """(log10 rate, PSNR) of the points that gain PSNR for their extra bytes, by rising rate.

    A point that costs more than another for no more PSNR (x264 near CRF 0, where the RGB to YUV
    conversion caps PSNR) is dominated; dropping it keeps both axes strictly increasing, which the
    interpolation in either direction needs.
    """
    kept = []
    for p in sorted(points, key=lambda r: (r[rate], -r["psnr"])):
        if p[rate] <= 0:
            raise ValueError(f"a rate must be > 0, got {rate}={p[rate]!r}")
        if not kept or (p["psnr"] > kept[-1]["psnr"] and p[rate] > kept[-1][rate]):
            kept.append(p)
    return np.log10([p[rate] for p in kept]), np.array([p["psnr"] for p in kept], dtype=float)


def _delta(anchor: list[dict], test: list[dict], rate: str, along_psnr: bool, within) -> dict:
    """Mean of test minus anchor over their common range: log10 rate along PSNR, or PSNR along log10 rate."""
    if within is not None:
        low, high = within
        if not 0 < low < high:
            raise ValueError(f"within must be rates (low, high) with 0 < low < high, got {within!r}")
        anchor, test = ([p for p in c if low <= p[rate] <= high] for c in (anchor, test))
    curves = [_monotone(c, rate) for c in (anchor, test)]
    for name, (log_rate, _) in zip(("anchor", "test"), curves):
        if len(log_rate) < 2:
            return {"value": None, "reason": f"the {name} curve has {len(log_rate)} usable point(s), needs 2",
                    "range": None}
    if along_psnr:
        curves = [(y, x) for x, y in curves]  # x: PSNR, y: log10 rate
    lo, hi = max(x[0] for x, _ in curves), min(x[-1] for x, _ in curves)
    if lo >= hi:
        axis = "PSNR" if along_psnr else "log rate"
        return {"value": None, "reason": f"the curves do not overlap in {axis}", "range": None}
    (xa, ya), (xt, yt) = curves
    area = PchipInterpolator(xt, yt).integrate(lo, hi) - PchipInterpolator(xa, ya).integrate(lo, hi)
    return {"value": float(area / (hi - lo)), "reason": None, "range": [float(lo), float(hi)]}


def bd_rate(anchor: list[dict], test: list[dict], rate: str = "bpp", within=None) -> dict:
    """Bjøntegaard delta rate: the mean % change of test's rate against anchor's at equal PSNR.

    Negative means test needs fewer bytes for the same PSNR. `within` = (low, high) keeps only the
    points whose rate lies there: over a codec's whole range, its extremes (4:2:0 saturating near
    38 dB, 20 dB at the worst CRF) can outweigh the rates that matter. Returns {"value": % or None,
    "reason": why None or None, "range": [low, high] dB the mean is over}.
    """
    out = _delta(anchor, test, rate, True, within)
    if out["value"] is not None:
        out["value"] = 100 * (10 ** out["value"] - 1)
    return out


def bd_psnr(anchor: list[dict], test: list[dict], rate: str = "bpp", within=None) -> dict:
    """Bjøntegaard delta PSNR: the mean dB test gains over anchor at equal rate (positive: test better).

    `within` as for ``bd_rate``. Returns {"value": dB or None, "reason": why None or None, "range":
    [low, high] of the rate the mean is over}.
    """
    out = _delta(anchor, test, rate, False, within)
    if out["range"] is not None:
        out["range"] = [10 ** v for v in out["range"]]
    return out
