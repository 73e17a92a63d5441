"""The Fit tab's estimate of time per 1,000 steps against the rate of the fit it announces.

    python -m bench.estimate [--clip ../shared/clips/jelly.mp4 ...] [--runs 3] [--out bench/results/estimate.json]

For each clip (the shipped examples and the shared clips, longest side 160, the default network):
the tab's estimate, read just before a fit, then the tab's own fit (`views.fit.on_fit`, its live
updates included, no browser) for `--seconds`, whose rate is read from its records after the first
second; the medians over runs and their ratio. Figures are this machine's; rerun them on yours. A
browser on the same cores slows a live fit further: the tab shows the measured rate beside the
estimate once the fit has run a few seconds.
"""

import argparse
import json
import platform
import re
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from inr import api  # noqa: E402
from views import fit  # noqa: E402
from views.common import ASSETS, Session  # noqa: E402

CLIPS = [str(ASSETS / e) for e in fit.EXAMPLES] + sorted(
    str(p) for p in (ROOT.parent / "shared" / "clips").glob("*") if p.suffix in (".mp4", ".gif"))
MAX_SIZE = 160


def estimate_and_fit(path: str, arch: str, seconds: float) -> tuple[float, float]:
    """(estimated, measured) seconds per 1,000 steps of one Fit-tab fit of the clip."""
    text = fit.on_estimate(None, None, path, arch, "10", "every2", MAX_SIZE)
    estimated = float(re.search(r"([\d.]+) s per 1,000 steps", text).group(1))
    session = Session(folder=Path(tempfile.mkdtemp(prefix="bench-studio-")))
    for _ in fit.on_fit(session, None, path, arch, "10", "every2", seconds, MAX_SIZE):
        pass
    live = [r for r in session.run.history if not r.final and r.seconds >= 1]
    return estimated, 1000 * (live[-1].seconds - live[0].seconds) / (live[-1].step - live[0].step)


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--clip", action="append", help="clips (default: the shipped examples and ../shared/clips)")
    p.add_argument("--arch", default=api.default_arch(1)[0])
    p.add_argument("--seconds", type=float, default=10.0, help="each fit's budget")
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--out", default=str(ROOT / "bench" / "results" / "estimate.json"))
    args = p.parse_args(argv)
    rows = []
    for path in args.clip or CLIPS:
        runs = [estimate_and_fit(path, args.arch, args.seconds) for _ in range(args.runs)]
        estimated = statistics.median(e for e, _ in runs)
        measured = statistics.median(m for _, m in runs)
        rows.append({"clip": Path(path).name, "source": Path(path).parent.name, "arch": args.arch, "runs": runs, "estimated": estimated,
                     "measured": measured, "ratio": measured / estimated})
        print(f"{Path(path).name:22s} {args.arch}: estimated {estimated:6.1f}, measured {measured:6.1f} s per "
              f"1,000 steps (ratio {measured / estimated:.2f})", flush=True)
    result = {"device": api.device_name(api.default_device()), "host": platform.node(), "max_size": MAX_SIZE,
              "seconds": args.seconds, "runs": args.runs, "rows": rows}
    Path(args.out).write_text(json.dumps(result, indent=1) + "\n")


if __name__ == "__main__":
    main()
