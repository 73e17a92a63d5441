"""Hostile files on demand: thousands of damaged real files through every reader the product has.

    python -m bench.fuzz [--cases 2000] [--seed 1]

Runs tests/test_hostile_files.py under Hypothesis's "long" profile with CASES cases a reader (field
checkpoint, INR-V space, Latent-INR .inr, codec .inr, clip), each read under the suite's caps (5 s,
1 GiB of address space), and writes bench/results/fuzz.json: per reader, how many cases loaded, were
refused in one line, or crashed, the slowest case, and one example of each distinct problem found.
The suite's own run is the seeded "fast" profile (40 cases a reader).
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "results" / "fuzz.json"
sys.path.insert(0, str(ROOT / "tests"))

import hostile  # noqa: E402 - the caps every case runs under


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000, help="cases a reader")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        env = {**os.environ, "INR_FUZZ_REPORT": str(report), "INR_FUZZ_CASES": str(args.cases)}
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "pytest", "tests/test_hostile_files.py", "-p", "no:cacheprovider",
                               "--hypothesis-profile", "long", f"--hypothesis-seed={args.seed}", "-q"],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        seconds = time.perf_counter() - started
        found = json.loads(report.read_text())
    result = {"cases_per_reader": args.cases, "seed": args.seed, "seconds": round(seconds, 1),
              "passed": done.returncode == 0, "caps": {"seconds": hostile.SECONDS, "address_space_bytes": hostile.MEMORY},
              "readers": found["counts"], "problems": found["problems"]}
    OUT.write_text(json.dumps(result, indent=1) + "\n")
    for reader, counts in found["counts"].items():
        print(f"{reader}: {counts['cases']:,} cases, {counts.get('loaded', 0):,} loaded, {counts.get('refused', 0):,} "
              f"refused in one line, {counts.get('crashed', 0):,} crashed; slowest {counts['slowest_ms']:,} ms; "
              f"{len(found['problems'].get(reader, {}))} distinct problems")
    print(f"{seconds:.0f} s; wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
