"""Plotly figures: fit curves (PSNR on training and held-out pixels, loss, the baseline) and codecs'
rate-distortion curves."""


def curves_figure(runs: dict[str, list], baseline: dict[str, float] | None = None):
    """runs: name -> list of fit Records (non-final); baseline: {"bilinear": dB, "bicubic": dB}.

    Returns a plotly Figure; plotly is imported here, so fitting and rendering work without it.
    """
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    import plotly.colors

    fig = make_subplots(rows=1, cols=2, subplot_titles=("PSNR (dB)", "training loss (MSE)"))
    palette = plotly.colors.qualitative.Plotly
    for k, (name, records) in enumerate(runs.items()):
        live = [r for r in records if not r.final]
        prefix = f"{name}: " if len(runs) > 1 else ""
        t = [r.seconds for r in live]
        # One colour per run in both panels: training solid, held-out dotted, its loss solid.
        colour = palette[k % len(palette)]
        fig.add_trace(go.Scatter(x=t, y=[r.train_psnr for r in live], name=f"{prefix}training pixels",
                                 mode="lines+markers", marker={"size": 4}, line={"color": colour}), 1, 1)
        if live and live[-1].heldout_psnr is not None:
            held_colour = colour if len(runs) > 1 else palette[1]  # one run: two colours tell them apart
            fig.add_trace(go.Scatter(x=t, y=[r.heldout_psnr for r in live], name=f"{prefix}held-out pixels",
                                     mode="lines+markers", marker={"size": 4},
                                     line={"dash": "dot", "color": held_colour}), 1, 1)
        fig.add_trace(go.Scatter(x=t, y=[r.loss for r in live], name=f"{prefix}loss", mode="lines",
                                 line={"color": colour}, showlegend=False), 1, 2)
    # The held-out curve often ends right on a baseline (that is the comparison): baselines are thin
    # and drawn under the grid and the traces, the curves on top with markers.
    # The higher line's label above it, the lower's below: two close lines never stack their labels.
    ranked = sorted((baseline or {}).items(), key=lambda item: -item[1])
    for (name, value), where in zip(ranked, ("top left", "bottom right")):
        fig.add_hline(y=value, line={"dash": "dash", "color": "grey", "width": 1}, layer="below", row=1, col=1,
                      annotation_text=f"{name} (held-out) {value:.2f} dB", annotation_position=where)
    fig.update_xaxes(title_text="seconds")
    fig.update_yaxes(type="log", row=1, col=2)
    fig.update_layout(height=380, margin={"l": 40, "r": 20, "t": 40, "b": 40}, legend={"orientation": "h"})
    return fig


def _hover(name: str, p: dict) -> str:
    """One point's hover text: whichever of CRF, bytes, bpp and PSNR it has."""
    lines = [name]
    if p.get("crf") is not None:
        lines.append(f"CRF {p['crf']}")
    if p.get("bytes") is not None:
        lines.append(f"{p['bytes']:,} bytes")
    lines += [f"{p['bpp']:.3f} bpp", f"{p['psnr']:.2f} dB"]
    return "<br>".join(lines)


def rate_distortion_figure(curves: dict[str, list[dict]], points: dict[str, list[dict]] | None = None,
                           title: str = "quality per byte"):
    """PSNR (dB) against bits per pixel (log): one line per codec, `points` (ours) as markers on top.

    curves, points: name -> list of {"bpp", "psnr"} and optionally "bytes", "crf" (shown on hover).
    Returns a plotly Figure; plotly is imported here, so encoding works without it.
    """
    import plotly.colors
    import plotly.graph_objects as go

    fig = go.Figure()
    palette = plotly.colors.qualitative.Plotly
    for k, (name, curve) in enumerate(curves.items()):
        curve = sorted(curve, key=lambda p: p["bpp"])
        fig.add_trace(go.Scatter(x=[p["bpp"] for p in curve], y=[p["psnr"] for p in curve], name=name,
                                 mode="lines+markers", marker={"size": 5}, line={"color": palette[k % len(palette)]},
                                 text=[_hover(name, p) for p in curve], hoverinfo="text"))
    # Added after the curves so they are drawn over them: the figure exists to show where these fall.
    for k, (name, marks) in enumerate((points or {}).items()):
        symbol = ("diamond", "star", "square", "cross")[k % 4]
        fig.add_trace(go.Scatter(x=[p["bpp"] for p in marks], y=[p["psnr"] for p in marks], name=name, mode="markers",
                                 marker={"size": 11, "symbol": symbol, "color": "black",
                                         "line": {"color": "white", "width": 1}},
                                 text=[_hover(name, p) for p in marks], hoverinfo="text"))
    fig.update_xaxes(type="log", title_text="bits per pixel (log)")
    fig.update_yaxes(title_text="PSNR (dB, RGB, every pixel)")
    fig.update_layout(title=title, height=420, margin={"l": 50, "r": 20, "t": 50, "b": 40},
                      legend={"orientation": "h"})
    return fig
