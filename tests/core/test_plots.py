"""The rate-distortion figure: one line per codec, our points on top, bpp on a log axis."""

from inr.core.report.plots import rate_distortion_figure


def test_one_trace_per_curve_and_the_points_drawn_last():
    curves = {name: [{"crf": c, "bytes": 900 * k, "bpp": 0.05 * k, "psnr": 25 + 3 * k} for k, c in enumerate((40, 30, 20), 1)]
              for name in ("x264", "x265", "av1")}
    fig = rate_distortion_figure(curves, {"ours": [{"bpp": 0.12, "psnr": 31.0, "bytes": 2100}]}, title="jelly")
    assert [t.name for t in fig.data] == ["x264", "x265", "av1", "ours"]
    assert fig.data[-1].mode == "markers" and fig.layout.xaxis.type == "log"
    assert "CRF 40" in fig.data[0].text[0] and "900 bytes" in fig.data[0].text[0]
    assert "0.120 bpp" in fig.data[-1].text[0] and "CRF" not in fig.data[-1].text[0]
    assert len(rate_distortion_figure(curves).data) == 3
