"""The measurement tables of README.md and docs/*.md, rendered from the benches' JSON.

    python scripts/tables.py          # rewrite every marked table in place
    python scripts/tables.py --check  # exit 1, naming each page and table that differs

In a page, a generated table sits between two marker comments:

    <!-- table: motion.heldout (python scripts/tables.py) -->
    | ... the table, rewritten by this script ... |
    <!-- /table -->

The name is a key of TABLES: one small function that reads the JSON its bench wrote under
bench/results/ and returns the table's text. So a bench run followed by this script is the only way
a figure gets into a table, and tests/test_docs.py fails when a page and its JSON drift apart.
Standard library only: it must run where the benches' own dependencies are not installed.
"""

import argparse
import json
import re
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"

BLOCK = re.compile(r"^<!-- table: (?P<name>\S+) \(python scripts/tables\.py\) -->\n(?P<body>.*?)^<!-- /table -->$",
                   re.MULTILINE | re.DOTALL)
MARKER = re.compile(r"<!-- table: (\S+)")


# ---- small formatting helpers -------------------------------------------------------------------

def load(results: Path, name: str) -> dict:
    return json.loads((results / name).read_text())


def markdown(head: list[str], rows: list[list[str]], right: tuple[int, ...] = ()) -> str:
    """A markdown table; columns in `right` are right-aligned (`---:`), an empty cell is `| |`."""
    def line(cells):
        return "|" + "|".join(f" {c} " if c else " " for c in cells) + "|"
    rule = "|" + "|".join("---:" if i in right else "---" for i in range(len(head))) + "|"
    return "\n".join([line(head), rule, *(line(r) for r in rows)])


def signed(x: float) -> str:
    return f"{x:+.2f}"


def minus(x: float) -> str:
    """Signed, with a typographic minus: the pages that set gaps in running text use it."""
    return signed(x).replace("-", "−")


def dash(x: float | None, fmt: str = ".2f") -> str:
    return "–" if x is None else format(x, fmt)


# ---- README.md ----------------------------------------------------------------------------------

def ahead(margins: list[float]) -> str:
    """'ahead by +0.22 to +3.00 dB' while every margin is a lead; the bare range once one is not."""
    lo, hi = min(margins), max(margins)
    return f"{'ahead by ' if lo > 0 else ''}{lo:+.2f} to {hi:+.2f} dB"


def behind(margins: list[float]) -> str:
    """'behind by 0.01 to 0.09' while every margin is a loss; the signed range once one is not."""
    lo, hi = min(margins), max(margins)
    return f"behind by {-hi:.2f} to {-lo:.2f}" if hi < 0 else f"{lo:+.2f} to {hi:+.2f} dB"


def versus_lanczos(margins: dict[str, float]) -> str:
    """'+0.05 dB on carphone, −0.06 to −0.17 dB on the others': the clips ahead by name, the rest as a range."""
    leads = [f"{v:+.2f} dB on {clip}" for clip, v in margins.items() if v > 0]
    losses = sorted((v for v in margins.values() if v <= 0), reverse=True)
    if losses:
        rest = minus(losses[0]) + (f" to {minus(losses[-1])}" if len(losses) > 1 else "")
        leads.append(f"{rest} dB on the others" if leads else f"{rest} dB")
    return ", ".join(leads)


def space_best(results: Path, factor: int) -> tuple[int, dict, dict]:
    """bench/multiframe.py --space F: per clip, the best design's PSNR and its margin over Lanczos."""
    medians = load(results, f"multiframe_space{factor}.json")["medians"]
    best, margin = {}, {}
    for m in medians:
        if m["inr_psnr"] > best.get(m["clip"], -1.0):
            best[m["clip"]], margin[m["clip"]] = m["inr_psnr"], m["inr_psnr"] - m["lanczos_psnr"]
    return factor, best, margin


def readme_standing(results: Path) -> str:
    """Where it stands: the motion field (motion.json, rife.json, multiframe.json) and the codec (the
    shipped file's own record, written beside it in checkpoints/ by scripts/make_codec.py, and
    codec.json's BD-rates against x264)."""
    motion = load(results, "motion.json")["medians"]
    by = {(m["clip"], m["kind"]): m for m in motion}
    rife = {(r["clip"], r["time"]): by[(r["clip"], f"{r['time']}x time")]["inr_psnr_new_frames"]
            - r["rife_psnr_new_frames"] for r in load(results, "rife.json")["rows"]}

    def kind(name):
        return [m for m in motion if m["kind"] == name]

    def span(values):
        return f"{min(values):.2f} to {max(values):.2f} dB"

    new2, new4 = ([m["inr_psnr_new_frames"] for m in kind(k)] for k in ("2x time", "4x time"))
    over2 = [m["inr_psnr_new_frames"] - max(m["blend_psnr_new_frames"], m["mci_psnr_new_frames"])
             for m in kind("2x time")]
    rife2 = [v for (_, t), v in rife.items() if t == 2]
    rife4 = {clip: v for (clip, t), v in rife.items() if t == 4}
    worst4 = min(rife4, key=rife4.get)
    multiframe = load(results, "multiframe.json")["medians"]

    def gaps(design):  # held-out PSNR over the better rebuild of the same pixels, per clip
        return [m["heldout_psnr"] - max(m["bilinear_psnr"], m["bicubic_psnr"])
                for m in multiframe if m["design"] == design]

    shipped = [m["heldout_psnr"] for m in multiframe if m["design"] == "neighbours"]
    lanczos = {m["clip"]: m["inr_psnr"] - m["lanczos_psnr"] for m in kind("2x space")}
    codec = json.loads((results.parent.parent / "checkpoints" / "codec_jelly_small.json").read_text())
    bd = [c["bd_rate"]["x264"]["value"] for c in load(results, "codec.json")["clips"]]
    page = "[motion](docs/motion.md)"
    return markdown(["task", "ours", "the alternative", "page"], [
        ["in-between frames, 2x (motion field, new frames only)", span(new2),
         f"better of blending and `minterpolate`: ours {ahead(over2)}; RIFE (learned): ours "
         f"{min(rife2):+.2f} to {max(rife2):+.2f} dB", page],
        ["in-between frames, 4x", span(new4),
         f"RIFE: ours {minus(rife4[worst4])} dB ({worst4}) to {minus(max(rife4.values()))} dB", page],
        ["held-out pixels (motion field, the default, 60 s on a CPU)", span(shipped),
         f"better of bilinear and bicubic: ours {ahead(gaps('neighbours'))} (the grid alone: {behind(gaps('grid'))})",
         page],
        ["2x upscaling (motion field)", span([m["inr_psnr"] for m in kind("2x space")]),
         f"Lanczos: ours {versus_lanczos(lanczos)}", page],
        *[[f"{factor}x upscaling, the bench's best design for each clip (picked after scoring, 60 s)", span(list(best.values())),
           f"Lanczos: ours {versus_lanczos(best_margin)}", page]
          for factor, best, best_margin in (space_best(results, f) for f in (2, 4))],
        ["compression (neural codec)", f"the shipped jelly file: {codec['psnr']:.2f} dB at {codec['bytes']:,} bytes",
         f"x264 4:4:4 at the same size: {codec['codecs']['x264']['psnr']:.2f} dB; BD-rate {min(bd):+.0f} % to "
         f"{max(bd):+.0f} % against x264", "[codec](docs/codec.md)"],
    ])


# ---- docs/codec.md ------------------------------------------------------------------------------

CODECS = ("x264", "x264-420", "x265", "av1")  # bench/codec.py's CODEC_NAMES, the columns' order


def codec_points(results: Path) -> str:
    """Each point of bench/codec.py beside every codec at its bytes (`*`: nearest CRF, not interpolated)."""
    rows = []
    for clip in load(results, "codec.json")["clips"]:
        for p in clip["ours"]:
            c = p["codecs"]
            beside = [f"{c[n]['psnr']:.2f} ({p['psnr'] - c[n]['psnr']:+.2f})" + ("" if c[n]["interpolated"] else "*")
                      for n in CODECS]
            rows.append([clip["clip"], f"{p['target_bpp']:g}", f"{p['bytes']:,} / {p['bpp']:.3f}", f"{p['psnr']:.2f}",
                         *beside, f"{p['seconds']:.0f}", f"{p['decode_fps']:.0f}"])
    return markdown(["clip", "target bpp", "ours: bytes / bpp", "ours PSNR", "x264 4:4:4", "x264 4:2:0", "x265", "AV1",
                     "encode s", "decode fps"], rows, right=tuple(range(1, 10)))


def codec_bd_rate(results: Path) -> str:
    rows = []
    for clip in load(results, "codec.json")["clips"]:
        values = [clip["bd_rate"][n]["value"] for n in CODECS]  # None: the two curves share no PSNR range
        rates = ["n/a" if v is None else f"{v:+.0f} %" for v in values]
        latent = next((r for r in clip.get("latent_inr", []) if "lzma" in r["method"]), None)
        rows.append([clip["clip"], *rates, f"{latent['bpp']:.2f} / {latent['psnr']:.2f}" if latent else ""])
    return markdown(["clip", "BD-rate of ours vs x264 4:4:4", "vs x264 4:2:0", "vs x265", "vs AV1",
                     "Latent-INR 8-bit lzma: bpp / PSNR"], rows, right=(1, 2, 3, 4, 5))


def codec_ablations(results: Path) -> str:
    rows = []
    for variants in load(results, "codec_ablations.json")["ablations"].values():
        for name, p in variants.items():
            x264 = p["codecs"]["x264"]
            rows.append([name.rsplit(" @ ", 1)[0], f"{p['bpp']:.3f}", f"{p['psnr']:.2f}", f"{x264['psnr']:.2f}",
                         signed(x264["ours_minus"]), f"{p['steps']:,}", f"{p['decode_fps']:.0f}"])
    return markdown(["variant", "bpp", "PSNR", "x264 4:4:4 at equal bytes", "ours − x264", "steps in 120 s",
                     "decode fps"], rows, right=(1, 2, 3, 4, 5, 6))


# ---- docs/compare.md ----------------------------------------------------------------------------

def compare_table(result: dict, sizes: bool = False) -> str:
    """bench/compare.py's table: each configuration, then the bicubic and bilinear rebuild."""
    bicubic = result["baseline"]["bicubic"]
    rows = []
    for r in result["rows"]:
        held = r["heldout_psnr"]
        size = f"{r['bytes']:,.0f}" + (f" ({r['off_target']:+.1%})" if sizes and r.get("target_bytes") else "")
        rows.append([r["label"], r["trained"], f"{r['train_psnr']:.2f}", dash(held), dash(r["gap"]),
                     "–" if held is None else signed(held - bicubic), f"{r['params']:,}", size, f"{r['steps']:,.0f}"])
    b = result["baseline"]
    rows.append(["bicubic rebuild", "classical", "–", f"{b['bicubic']:.2f}", "–", "0", "–", "–", "–"])
    rows.append(["bilinear rebuild", "classical", "–", f"{b['bilinear']:.2f}", "–", signed(b["bilinear"] - bicubic),
                 "–", "–", "–"])
    return markdown(["configuration", "trained", "training pixels", "held-out pixels", "gap", "vs bicubic", "params",
                     "bytes", "steps"], rows)


def compare_sigma(results: Path) -> str:
    return compare_table(load(results, "compare.json")["small"]["presets"]["sigma"])


def compare_siren(results: Path) -> str:
    return compare_table(load(results, "compare.json")["small"]["presets"]["siren"])


def compare_encodings(results: Path) -> str:
    return compare_table(load(results, "compare.json")["small"]["presets"]["encodings"])


def compare_full_encodings(results: Path) -> str:
    return compare_table(load(results, "compare.json")["full"]["encodings"])


def compare_equal_size(results: Path) -> str:
    return compare_table(load(results, "compare.json")["full"]["equal_size"], sizes=True)


# ---- docs/latent-inr.md -------------------------------------------------------------------------

LATENT_VARIANTS = ("fp32", "fp16", "8-bit per-tensor", "8-bit per-channel + lzma")  # the page's rows


def latent_inr_size(results: Path) -> str:
    rows = []
    for clip in load(results, "latent_inr.json")["size_quality"]:
        by = {p["method"].removeprefix("ours "): p for p in clip["ours"]}
        gif = clip["gif"]
        for k, name in enumerate(LATENT_VARIANTS):
            p = by[name]
            rows.append([clip["clip"], name, f"{p['bytes']:,}", f"{p['bpp']:.3f}",
                         f"{p['psnr']:.2f} dB / {p['ssim']:.3f}",
                         f"{p['h264_psnr_at_size']:.2f} dB / {p['h264_ssim_at_size']:.3f}",
                         f"{gif['bytes']:,} B: {gif['psnr']:.2f} dB" if k == 0 else ""])
    return markdown(["clip", ".inr variant", "bytes", "bits/pixel", "PSNR / SSIM", "H.264 at this size", "GIF"], rows,
                    right=(2, 3))


def latent_inr_interpolation(results: Path) -> str:
    r = load(results, "latent_inr.json")["interpolation"][0]
    return markdown(["latent interpolation (mean of the neighbours' codes)", "time coordinate (grid INR)",
                     "linear frame blending"],
                    [[f"{r['latent_interpolation_psnr']:.2f} dB", f"{r['time_coordinate_psnr']:.2f} dB",
                      f"{r['frame_blend_psnr']:.2f} dB"]], right=(0, 1, 2))


def latent_inr_retrieval(results: Path) -> str:
    rows = []
    for clip in load(results, "latent_inr.json")["size_quality"]:
        r = clip["retrieval"]
        rows.append([clip["clip"], *(f"{r[k]['top1']:.2f} / {r[k]['top5']:.2f}"
                                     for k in ("aligned", "latent", "features"))])
    return markdown(["clip", "aligned latents", "latent inversion", "encoder features"], rows, right=(1, 2, 3))


# ---- docs/latent-space.md -----------------------------------------------------------------------

def window_name(held_out: str) -> str:
    """'jelly[88:119:2]' -> 'jelly 88-118': the clip and its first and last frame."""
    clip, start, stop, step = re.fullmatch(r"(.+)\[(\d+):(\d+):(\d+)\]", held_out).groups()
    start, stop, step = int(start), int(stop), int(step)
    return f"{clip} {start}-{start + (stop - 1 - start) // step * step}"


def latent_space_ablation(results: Path) -> str:
    rows = [["on" if a["progressive"] else "off", f"{a['latent_reg']:g}" if a["latent_reg"] else "off",
             f"{a['train_psnr']:.2f} dB", f"{a['heldout_inversion_psnr']:.2f} dB",
             f"{a['heldout_mean_latent_psnr']:.2f} dB"]
            for a in load(results, "inr_v.json")["ablation"]]
    return markdown(["progressive", "code regulariser", "training clips, every pixel", "held-out, inverted",
                     "held-out, mean code"], rows)


def latent_space_inversion(results: Path) -> str:
    points = load(results, "inr_v.json")["against_time"]
    clips = list(dict.fromkeys(p["clip"] for p in points))
    by = {(p["clip"], p["steps"]): p for p in points}
    rows = []
    for steps in dict.fromkeys(p["steps"] for p in points):
        cells = [f"{by[(c, steps)]['psnr']:.2f} dB" + (f" ({by[(c, steps)]['seconds']:.1f} s)" if steps else "")
                 for c in clips]
        rows.append([f"{steps}" + (" (mean code)" if steps == 0 else ""), *cells])
    return markdown(["steps", *(window_name(c) for c in clips)], rows)


def latent_space_inpainting(results: Path) -> str:
    rows = [[window_name(r["clip"]), r["box"], f"{r['masked_psnr']:.2f} dB", f"{r['fill_masked_psnr']:.2f} dB",
             f"{r['mean_latent_masked_psnr']:.2f} dB", f"{r['visible_psnr']:.2f} dB"]
            for r in load(results, "inr_v.json")["inpainting"]]
    return markdown(["clip", "box hidden in", "masked: inpainted", "masked: simple fill", "masked: mean code",
                     "visible (fitted)"], rows)


# ---- docs/many-clips.md -------------------------------------------------------------------------

# bench/scale.py's jobs: the page's name for each, and whether it is a headline row (its ratio to
# one process of all the threads set in bold, with the words a reader looks for).
SCALE_JOBS = {
    "fit-many": ("fit-many, 4 clips", True),
    "space train, 8 windows a step": ("space train, 8 windows a step (default)", True),
    "space train, 32 windows a step": ("space train, 32 windows a step", False),
    "space train --data, 24 clips": ("space train `--data`, 24 clips, 8 a step", False),
}


def scale_cell(way: dict, decoding: bool, names: set) -> str:
    """The median wall time, and in brackets the training's own seconds (and, for --data, the
    decoding's); each figure in brackets is named the first time the table shows it (`names`)."""
    figures = [f for f in way["figures"] if "training_seconds" in f]
    if not figures:
        return f"{way['median_seconds']:.1f} s"
    parts = [("training", statistics.median(f["training_seconds"] for f in figures))]
    if decoding:
        parts.append(("decoding", statistics.median(f["data_seconds"] for f in figures)))
    cells = []
    for name, value in parts:
        cells.append(f"{value:.1f} s" if name in names else f"{name} {value:.1f} s")
        names.add(name)
    return f"{way['median_seconds']:.1f} s ({'; '.join(cells)})"


def many_clips_scale(results: Path) -> str:
    jobs = load(results, "scale.json")["jobs"]
    rows, names = [], set()
    for key, (name, headline) in SCALE_JOBS.items():
        job = jobs[key]
        cells = [scale_cell(job[w], "--data" in key, names) for w in ("one", "one_thin", "many")]
        up, same = job["speed_up"], job["speed_up_same_threads"]
        word = " faster" if up > 1 else " (slower)"
        rows.append([name, *cells, f"**{up:.2f}x{word}**" if headline else f"{up:.2f}x",
                     f"{same:.2f}x" + (" faster" if headline and same > 1 else "")])
    return markdown(["job", "1 process, 2 threads", "1 process, 1 thread", "2 processes, 1 thread each",
                     "2 processes against 1 × 2 threads", "against 1 × 1 thread"], rows, right=(1, 2, 3, 4, 5))


# ---- docs/motion.md -----------------------------------------------------------------------------

MULTIFRAME_DESIGNS = ("grid", "today", "full", "neighbours", "no-curvature")  # the page's columns


def motion_heldout(results: Path) -> str:
    """bench/multiframe.py: held-out PSNR per design, the rebuilds, the shipped design's margin."""
    medians = load(results, "multiframe.json")["medians"]
    by = {(m["clip"], m["design"]): m for m in medians}
    rows = []
    for clip in dict.fromkeys(m["clip"] for m in medians):
        m = by[(clip, "neighbours")]  # every design's row holds the same rebuilds, computed once a clip
        better = max(m["bilinear_psnr"], m["bicubic_psnr"])
        cells = [f"{by[(clip, d)]['heldout_psnr']:.2f}" if (clip, d) in by else "–" for d in MULTIFRAME_DESIGNS]
        rows.append([clip, *cells, f"{m['bilinear_psnr']:.2f}", f"{m['bicubic_psnr']:.2f}",
                     signed(m["heldout_psnr"] - better)])
    return markdown(["clip", *MULTIFRAME_DESIGNS, "bilinear", "bicubic", "neighbours − better"], rows)


MOTION_MEASURES = {"2x time": "2x time, new frames", "4x time": "4x time, new frames", "2x space": "2x space",
                   "held-out": "held-out pixels (every2)"}


def motion_classical(m: dict) -> dict[str, float]:
    """The classical figures a bench/motion.py row stands beside, by name (its `theirs`, without RIFE)."""
    if m["kind"].endswith("time"):
        return {"blending": m["blend_psnr_new_frames"], "minterpolate": m["mci_psnr_new_frames"]}
    if m["kind"] == "2x space":
        return {"bicubic": m["bicubic_psnr"], "Lanczos": m["lanczos_psnr"]}
    return {"bilinear": m["bilinear_psnr"], "bicubic": m["bicubic_psnr"]}


def motion_measures(results: Path) -> str:
    rows = []
    for m in load(results, "motion.json")["medians"]:
        ours = m["inr_psnr_new_frames"] if m["kind"].endswith("time") else m["inr_psnr"]
        classical = motion_classical(m)
        rows.append([m["clip"], MOTION_MEASURES[m["kind"]], f"{ours:.2f}",
                     ", ".join(f"{name} {v:.2f}" for name, v in classical.items()),
                     f"{ours - max(classical.values()):+.2f} dB"])
    return markdown(["clip", "measure", "motion field", "classical", "motion − better classical"], rows)


def motion_where(results: Path) -> str:
    """The time rows split by the field's own flow into pixels that move and the rest."""
    def trio(m, part):
        return " / ".join(f"{m[f'{k}_psnr_{part}']:.2f}" for k in ("inr", "blend", "mci"))

    rows = [[m["clip"], m["kind"], f"{m['moving_share']:.0%}", trio(m, "moving"), trio(m, "still")]
            for m in load(results, "motion.json")["medians"] if m["kind"].endswith("time")]
    return markdown(["clip", "scale", "moving share", "moving: motion / blending / minterpolate",
                     "still: motion / blending / minterpolate"], rows)


# bench/multiframe.py's --space designs, as the page names them
SPACE_DESIGNS = {"grid": "grid", "neighbours": "motion (as shipped)",
                 "upscaled": "content on the original's pixels + neighbours",
                 "upscaled-alone": "the same, no neighbours"}


def motion_space(results: Path, factor: int) -> str:
    """bench/multiframe.py --space F: each design's upscale beside bicubic and Lanczos, and the best
    design's margin over Lanczos (a design not run at this factor is a dash)."""
    medians = load(results, f"multiframe_space{factor}.json")["medians"]
    by = {(m["clip"], m["design"]): m for m in medians}
    rows = []
    for clip in dict.fromkeys(m["clip"] for m in medians):
        any_row = by[(clip, "grid")]
        ours = [by[(clip, d)]["inr_psnr"] for d in SPACE_DESIGNS if (clip, d) in by]
        rows.append([clip, *(f"{by[(clip, d)]['inr_psnr']:.2f}" if (clip, d) in by else "–" for d in SPACE_DESIGNS),
                     f"{any_row['bicubic_psnr']:.2f}", f"{any_row['lanczos_psnr']:.2f}",
                     signed(max(ours) - any_row["lanczos_psnr"])])
    return markdown(["clip", *SPACE_DESIGNS.values(), "bicubic", "Lanczos", "best − Lanczos"], rows)


def motion_space2x(results: Path) -> str:
    return motion_space(results, 2)


def motion_space4x(results: Path) -> str:
    return motion_space(results, 4)


TIME_DESIGNS = {"ships": "motion field as shipped (2,000 steps)", "fine-flow": "flow nodes on half the pixels a side",
                "steps-2x": "twice the steps (4,000)"}


def motion_time4x(results: Path) -> str:
    """bench/multiframe.py --time 4 (jelly): each design's new frames beside RIFE, with the grid's
    learning-rate decay from bench/motion.py --final-lr-ratio 0.2 (motion_lr0.2.json) as one more row."""
    data = load(results, "multiframe_time4.json")
    rows = []
    for m in data["medians"]:
        rows.append([m["clip"], TIME_DESIGNS[m["design"]], f"{m['inr_psnr']:.2f}", f"{m['rife_psnr']:.2f}",
                     signed(m["inr_psnr"] - m["rife_psnr"])])
        rife = m["rife_psnr"]
    decay = next(m for m in load(results, "motion_lr0.2.json")["medians"]
                 if m["clip"] == "jelly" and m["kind"] == "4x time")
    rows.append(["jelly", "the grid's learning-rate decay (to 20 %, not 2 %)", f"{decay['inr_psnr_new_frames']:.2f}",
                 f"{rife:.2f}", signed(decay["inr_psnr_new_frames"] - rife)])
    return markdown(["clip", "design", "motion field", "RIFE", "motion − RIFE"], rows)


def motion_rife(results: Path) -> str:
    """bench/rife.py's rows beside the motion field's figures it copied from motion.json."""
    data = load(results, "rife.json")
    rows = []
    for r in data["rows"]:
        mine = data["motion_field"].get(f"{r['clip']} {r['time']}x")
        rows.append([r["clip"], f"{r['time']}x", f"{r['blend_psnr_new_frames']:.2f}", f"{r['mci_psnr_new_frames']:.2f}",
                     f"{r['rife_psnr_new_frames']:.2f}", dash(mine),
                     "–" if mine is None else signed(mine - r["rife_psnr_new_frames"])])
    return markdown(["clip", "scale", "blending", "minterpolate", "RIFE", "motion field", "motion − RIFE"], rows)


def motion_ablation_flow(results: Path) -> str:
    """bench/motion_ablations.py, part 1: the kept frames moved along the flow, no fit."""
    rows = load(results, "motion_ablations.json")["no_fit"]
    cases = list(dict.fromkeys((r["clip"], r["time"]) for r in rows))
    by = {(r["clip"], r["time"], r["variant"]): r["psnr_new_frames"] for r in rows}
    variants = dict.fromkeys(r["variant"] for r in rows)
    return markdown(["variant", *(f"{c} {t}x" for c, t in cases)],
                    [[v, *(f"{by[(c, t, v)]:.2f}" for c, t in cases)] for v in variants])


def motion_ablation_consistency(results: Path) -> str:
    """Part 2: the field fitted without (prior 0) and with the consistency term, a row per clip."""
    prior = load(results, "motion_ablations.json")["prior"]
    rows = []
    for clip in dict.fromkeys(p["clip"] for p in prior):
        without, with_ = sorted((p for p in prior if p["clip"] == clip), key=lambda p: p["prior"])
        rows.append([clip,
                     f"{without['heldout_psnr']:.2f} / {with_['heldout_psnr']:.2f} / {without['bicubic_psnr']:.2f}",
                     f"{without['seconds']:.1f} / {with_['seconds']:.1f}",
                     f"{without['space2x_psnr']:.2f} / {with_['space2x_psnr']:.2f} / "
                     f"{without['space2x_lanczos_psnr']:.2f}"])
    return markdown(["clip", "held-out: without / with / bicubic", "seconds without / with",
                     "2x space: without / with / Lanczos"], rows)


# ---- docs/performance.md ------------------------------------------------------------------------

FIT_METHODS = {"ours": "ours (`grid`)", "fourier": "Fourier recipe (σ 10, 256x3, lr 1e-4)",
               "siren": "SIREN recipe (256x5, ω₀ 30, batch 65,536, lr 1e-4)"}
BENCH_FRAMES = 100  # bench/fit.py's cap: a clip's frame count is named only when it has fewer


def performance_fit_cpu(results: Path) -> str:
    """bench/fit.py on the CPU; the SIREN rows from their re-run after the fix to its hidden sines."""
    data, siren = load(results, "fit_cpu_60s.json"), load(results, "fit_cpu_60s_siren.json")
    rows = []
    for name, clip in data["clips"].items():
        frames, height, width = clip["shape"]
        label = f"{name} ({width}x{height}" + (f", {frames} frames)" if frames < BENCH_FRAMES else ")")
        b = clip["baseline"]
        for method, title in FIT_METHODS.items():
            m = (siren["clips"][name] if method == "siren" else clip)["methods"][method]
            to_40 = m["seconds_to_train"]["40dB"]
            rows.append([label, title, f"{m['train_psnr']:.2f} dB", f"{m['heldout_psnr']:.2f} dB",
                         f"{b['bilinear']:.2f} / {b['bicubic']:.2f} dB",
                         f"{m['heldout_psnr'] - max(b.values()):+.2f} dB", "–" if to_40 is None else f"{to_40:.1f} s",
                         f"{m['first_point_seconds']:.2f} s"])
    return markdown(["clip", "method", "training pixels", "held-out pixels", "bilinear / bicubic rebuild",
                     "held-out vs best rebuild", "to 40 dB (train)", "first point"], rows)


HOLDOUT_VARIANTS = {
    "default": "default (cubic B-spline grid, 4 levels)",
    "linear": "linear (tent) kernel",
    "quintic": "quintic B-spline kernel",
    "catmull-rom": "Catmull-Rom kernel (interpolating, Keys a = −0.5)",
    "1-level": "one level (a pure spline)",
    "curv-0.1": "curvature prior 0.1",
    "temporal-0.1": "temporal prior 0.1",
    "temporal-0.3": "temporal prior 0.3",
    "temporal-1": "temporal prior 1",
}


def performance_holdout(results: Path) -> str:
    """bench/holdout.py: each variant's held-out PSNR, its gap to the better rebuild, the mean gap."""
    rows = load(results, "holdout.json")["rows"]
    clips = list(dict.fromkeys(r["clip"] for r in rows))
    by = {(r["clip"], r["variant"]): r for r in rows}
    best = [max(by[(c, "default")]["bilinear_psnr"], by[(c, "default")]["bicubic_psnr"]) for c in clips]
    out = [["best classical rebuild", *(f"{b:.2f}" for b in best), "0"]]
    for variant, name in HOLDOUT_VARIANTS.items():
        gaps = [by[(c, variant)]["gap_to_best_rebuild_db"] for c in clips]
        out.append([name, *(f"{by[(c, variant)]['heldout_psnr']:.2f} ({minus(g)})" for c, g in zip(clips, gaps)),
                    minus(sum(gaps) / len(gaps))])
    return markdown(["variant", *clips, "mean gap"], out)


CEILING_ROWS = {"oracle_4x4x1": "oracle, 4x4 pixels, this frame", "oracle_6x6x1": "oracle, 6x6 pixels, this frame",
                "oracle_4x4x3": "oracle, 4x4 pixels, 3 frames", "oracle_6x6x5": "oracle, 6x6 pixels, 5 frames",
                "self_4x4x1": "self, 4x4 pixels, this frame", "self_4x4x3": "self, 4x4 pixels, 3 frames",
                "self_6x6x5": "self, 6x6 pixels, 5 frames"}


def performance_ceiling(results: Path) -> str:
    rows = load(results, "ceiling.json")["rows"]
    best = [max(r["bilinear_psnr"], r["bicubic_psnr"]) for r in rows]
    out = [["best classical rebuild", *(f"{b:.2f}" for b in best)]]
    out += [[name, *(f"{r[key]:.2f} ({minus(r[key] - b)})" for r, b in zip(rows, best))]
            for key, name in CEILING_ROWS.items()]
    return markdown(["held-out PSNR (gap to best rebuild)", *(r["clip"] for r in rows)], out)


def seconds_to(curve: list, level: float) -> float | None:
    """bench/fit.py's `time_to` on held-out PSNR: the first point of a curve at or above `level`."""
    return next((t for t, _, held in curve if held is not None and held >= level), None)


def performance_fit_gpu(results: Path) -> str:
    """bench/fit.py on a GPU: ours and the SIREN recipe, and how soon ours reaches SIREN's final held-out PSNR."""
    data = load(results, "fit_cuda_h100_30s.json")
    rows = []
    for k, (name, clip) in enumerate(data["clips"].items()):
        ours, siren = clip["methods"]["ours"], clip["methods"]["siren"]
        reach = statistics.median(seconds_to(c, siren["heldout_psnr"]) for c in ours["curves"])
        siren_name = "SIREN recipe" + (" (256x5, ω₀ 30, batch 65,536, lr 1e-4, fp32)" if k == 0 else "")
        for title, m, when in (("ours (`grid`)", ours, f"{reach:.1f} s"),
                               (siren_name, siren, f"{data['seconds']:g} s")):
            rows.append([name, title, f"{m['train_psnr']:.2f} dB", f"{m['heldout_psnr']:.2f} dB",
                         f"{m['pixels_per_second'] / 1e6:.3g} Mpx/s", when])
    return markdown(["clip", "method", "training pixels", "held-out pixels", "throughput",
                     f"reaches SIREN's {data['seconds']:g} s held-out PSNR in"], rows)


def performance_sigma(results: Path) -> str:
    data = load(results, "sigma_cpu.json")
    s = data["median_seconds"]
    one = s["one (sigma 10)"]
    sigmas = ", ".join(data["sigmas"])
    rows = [["one fit (σ = 10)", f"{one:.2f} s", "1x"],
            [f"σ = {sigmas} one after another", f"{s['one after another']:.2f} s",
             f"{s['one after another'] / one:.2f}x"],
            [f"σ = {sigmas} as one stack", f"{s['stacked']:.2f} s", f"{s['stacked'] / one:.2f}x"]]
    return markdown([f"{data['threads']}-core CPU, {data['steps']} steps", "seconds", "vs one fit"], rows)


# bench/preview.py's timings by their JSON names, as the page names them, and the H100's figures as
# typed: they were timed at stop 10 and their JSON never saved. bench/preview.py on a GPU writes
# preview_cuda.json, which then replaces them; the 1920x1080x120 render is not one it times at all.
INTERACTIONS = {
    "render tab: scale slider preview (middle frame at 2.5x of 160x90)":
        ("Render tab: scale slider preview (middle frame, 2.5x of 160x90)", "–"),
    "fit tab: frame slider (INR, ground truth, error map)":
        ("Fit tab: frame slider (INR, ground truth, error map)", "–"),
    "blend tab: alpha slider preview while dragging (96x54 frame)":
        ("Blend tab: α preview while dragging (96x54 frame, the clip's own size)", "–"),
    "blend tab: alpha preview on release (288x162 frame)":
        ("Blend tab: α preview on release (288x162 frame, Fourier MLP)", "1.9 ms"),
    "render 256x256x32 through the facade": ("a 256x256x32 render (grid model)", "214 ms"),
    None: ("a 1920x1080x120 render (grid model)", "11.4 s, peak GPU memory 110 MiB"),
}


def milliseconds(seconds: float) -> str:
    ms = seconds * 1000
    return f"{ms:.1f} ms" if ms < 100 else f"{ms:.0f} ms"


def performance_interaction(results: Path) -> str:
    cpu = load(results, "preview_cpu.json")["median_seconds"]
    gpu = load(results, "preview_cuda.json")["median_seconds"] if (results / "preview_cuda.json").is_file() else {}
    rows = [[name, "–" if key is None else milliseconds(cpu[key]), milliseconds(gpu[key]) if key in gpu else h100]
            for key, (name, h100) in INTERACTIONS.items()]
    return markdown(["what", "2-core CPU", "H100"], rows)


def performance_estimate(results: Path) -> str:
    rows = [[f"{r['source']}/{r['clip']}", f"{r['estimated']:.1f}", f"{r['measured']:.1f}", f"{r['ratio']:.2f}"]
            for r in load(results, "estimate.json")["rows"]]
    return markdown(["clip", "estimated (s per 1,000 steps)", "measured", "measured ÷ estimated"], rows,
                    right=(1, 2, 3))


# ---- docs/superres.md ---------------------------------------------------------------------------

def superres_classical(results: Path) -> str:
    """bench/classical.py: a line per clip, a column per scale ('plain / strong' rebuild)."""
    rows = load(results, "classical.json")["rows"]
    scales = list(dict.fromkeys((r["space"], r["time"]) for r in rows))
    by = {(r["clip"], r["space"], r["time"]): r for r in rows}

    def cell(r):
        if r["time"] > 1:
            return f"{r['blend_psnr_new_frames']:.2f} / {r['mci_psnr_new_frames']:.2f}"
        return f"{r['bicubic_psnr']:.2f} / {r['lanczos_psnr']:.2f}"

    head = [f"{t}x time: blending / minterpolate" if t > 1 else f"{s:g}x space: bicubic / Lanczos" for s, t in scales]
    return markdown(["clip", *head], [[clip, *(cell(by[(clip, s, t)]) for s, t in scales)]
                                      for clip in dict.fromkeys(r["clip"] for r in rows)])


def superres_fits(results: Path) -> str:
    """bench/superres.py: each clip and scale fitted without and with its prior, beside the best classical rebuild."""
    pairs: dict[tuple, list[dict]] = {}
    for r in load(results, "superres.json")["rows"]:
        pairs.setdefault((r["clip"], r["space"], r["time"]), []).append(r)
    rows = []
    for (clip, space, time), pair in pairs.items():
        plain = next(r for r in pair if r["curvature"] == 0 and r["temporal"] == 0)
        prior = next(r for r in pair if r is not plain)
        name = "temporal" if time > 1 else "curvature"
        t, h, w = plain["input"]
        tt, hh, ww = plain["output"]
        rows.append([clip, f"{time}x time" if time > 1 else f"{space:g}x space", f"{t}×{w}×{h} → {tt}×{ww}×{hh}",
                     f"{plain['inr_psnr']:.2f} ({plain['inr_ssim']:.3f})",
                     f"{prior['inr_psnr']:.2f} ({prior['inr_ssim']:.3f}), {name} {prior[name]:g}",
                     f"{plain['classical_psnr']:.2f} ({plain['classical_ssim']:.3f}) {plain['classical']}",
                     signed(max(r["inr_psnr"] for r in pair) - plain["classical_psnr"])])
    return markdown(["clip", "scale", "input → output (T×W×H)", "INR", "INR + prior", "classical",
                     "best INR − classical"], rows)


# ---- the registry and the pages -----------------------------------------------------------------

TABLES = {
    "readme.standing": readme_standing,
    "codec.points": codec_points,
    "codec.bd_rate": codec_bd_rate,
    "codec.ablations": codec_ablations,
    "compare.sigma": compare_sigma,
    "compare.siren": compare_siren,
    "compare.encodings": compare_encodings,
    "compare.full_encodings": compare_full_encodings,
    "compare.equal_size": compare_equal_size,
    "latent_inr.size": latent_inr_size,
    "latent_inr.interpolation": latent_inr_interpolation,
    "latent_inr.retrieval": latent_inr_retrieval,
    "latent_space.ablation": latent_space_ablation,
    "latent_space.inversion": latent_space_inversion,
    "latent_space.inpainting": latent_space_inpainting,
    "many_clips.scale": many_clips_scale,
    "motion.heldout": motion_heldout,
    "motion.measures": motion_measures,
    "motion.where": motion_where,
    "motion.space2x": motion_space2x,
    "motion.space4x": motion_space4x,
    "motion.time4x": motion_time4x,
    "motion.rife": motion_rife,
    "motion.ablation_flow": motion_ablation_flow,
    "motion.ablation_consistency": motion_ablation_consistency,
    "performance.fit_cpu": performance_fit_cpu,
    "performance.holdout": performance_holdout,
    "performance.ceiling": performance_ceiling,
    "performance.fit_gpu": performance_fit_gpu,
    "performance.sigma": performance_sigma,
    "performance.interaction": performance_interaction,
    "performance.estimate": performance_estimate,
    "superres.classical": superres_classical,
    "superres.fits": superres_fits,
}


def pages(root: Path = ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def markers(text: str) -> list[str]:
    """Every table name a page's markers name, in order (a malformed marker still counts)."""
    return MARKER.findall(text)


def render(text: str, results: Path = RESULTS) -> str:
    """The page with every marked table rewritten from the JSON. A marker that names no known table,
    or that lacks its end marker, is a ValueError: rewriting past it would eat the page."""
    blocks = [m["name"] for m in BLOCK.finditer(text)]
    if markers(text) != blocks:
        raise ValueError(f"table markers {markers(text)} do not each close with <!-- /table --> before the next")

    def table(match):
        if match["name"] not in TABLES:
            raise ValueError(f"unknown table {match['name']!r}; known: {', '.join(TABLES)}")
        head = match.group(0).split("\n", 1)[0]
        return f"{head}\n{TABLES[match['name']](results)}\n<!-- /table -->"

    return BLOCK.sub(table, text)


def drift(text: str, results: Path = RESULTS) -> list[str]:
    """The names of the page's tables whose text differs from what `render` would write."""
    return [old["name"] for old, new in zip(BLOCK.finditer(text), BLOCK.finditer(render(text, results)))
            if old["body"] != new["body"]]


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--check", action="store_true", help="change nothing; exit 1 naming each table that differs")
    args = p.parse_args(argv)
    problems = []
    for page in pages():
        name, text = page.relative_to(ROOT), page.read_text()
        try:
            new = render(text)
        except ValueError as e:
            problems.append(f"{name}: {e}")
            continue
        if args.check:
            problems += [f"{name}: {table} differs from bench/results/; run python scripts/tables.py"
                         for table in drift(text)]
        elif new != text:
            page.write_text(new)
            print(f"rewrote {name}")
    for line in problems:
        print(line, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
