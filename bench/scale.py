"""One process against several under torchrun: fit-many over a folder of clips, and the latent space's training.

    python -m bench.scale [--clips ../shared/clips] [--processes 2] [--repeats 3] [--fit-steps 1500]
        [--space-steps 300] [--out bench/results/scale.json]

Each job runs as the command a user types, in a fresh subprocess, timed from start to exit (Python
and PyTorch start-up, torchrun's rendezvous and the writing of every file included), with fixed step
budgets so both sides do the same work:

* fit-many: the shared clips (16 frames at most 96 px), one grid fit of --fit-steps steps each;
  independent fits, so N processes each take 1/N of the clips;
* space train: 3 windows of each shared clip and their mirrors (16 frames at 48x36), --space-steps
  steps of 8 windows (the default) and of 32; N processes of 8/N (32/N) windows a step, their
  gradients averaged (DDP over gloo): every step moves the 730,000 weights' gradients between them;
* the all-reduce alone: 100 gloo all-reduces of the default space's 729,459 gradients among N
  processes, the exchange DDP makes every step;
* space train --data: a folder of --copies copies of each shared clip (a dataset of 4 x copies
  clips), each process decoding its share into the window cache first, then --space-steps steps of
  8 windows.

Three ways to run each job: one process with as many threads as the machine has cores (what a
user gets by default), one process with cores/N threads, and N processes with cores/N threads each
(torchrun's default is 1). Medians of --repeats runs, and the ratios of the medians: N processes
against one with all the cores (what torchrun buys on this machine), and against one with the same
threads a process (how the work divides among processes). The space's final PSNR (every pixel of its training clips) is reported for
both, to show that N processes trained the same model.
"""

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLIPS = ROOT.parent / "shared" / "clips"


def command(args: list[str], processes: int) -> list[str]:
    """``python -m inr ...``, or the same under ``torchrun --standalone --nproc-per-node N``."""
    launcher = ["-m", "torch.distributed.run", "--standalone", f"--nproc-per-node={processes}"] if processes > 1 else []
    return [sys.executable, *launcher, "-m", "inr", *args, "--json"]


def timed(args: list[str], processes: int, threads: int) -> tuple[float, dict]:
    """(wall seconds, the JSON rank 0 printed) of one run."""
    env = {**os.environ, "OMP_NUM_THREADS": str(threads), "PYTHONWARNINGS": "ignore"}
    start = time.perf_counter()
    done = subprocess.run(command(args, processes), cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"failed ({done.returncode}): {' '.join(args)}\n{done.stderr[-2000:]}")
    return wall, json.loads(done.stdout.strip().splitlines()[-1])


ALLREDUCE = """
import json, time, torch, torch.distributed as dist
dist.init_process_group("gloo")
grads = torch.randn({numbers})
for _ in range(5):
    dist.all_reduce(grads)
start = time.perf_counter()
for _ in range(100):
    dist.all_reduce(grads)
if dist.get_rank() == 0:
    print(json.dumps({{"ms": 1000 * (time.perf_counter() - start) / 100}}))
dist.destroy_process_group()
"""


def allreduce_ms(numbers: int, processes: int) -> float:
    """Milliseconds one gloo all-reduce of `numbers` float32 takes among `processes` processes here:
    what DDP does with the space's gradients every step."""
    with tempfile.TemporaryDirectory() as folder:
        script = Path(folder) / "allreduce.py"
        script.write_text(ALLREDUCE.format(numbers=numbers))
        done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                               f"--nproc-per-node={processes}", str(script)], capture_output=True, text=True,
                              env={**os.environ, "OMP_NUM_THREADS": "1"})
    if done.returncode != 0:
        raise SystemExit(f"all-reduce measurement failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])["ms"]


def job(name: str, make_args, processes: int, threads: int, repeats: int, figures) -> dict:
    walls, results = [], []
    for k in range(repeats):
        with tempfile.TemporaryDirectory() as out:
            wall, result = timed(make_args(Path(out)), processes, threads)
        walls.append(wall)
        results.append(figures(result))
        print(f"  {name}: {processes} process(es) x {threads} thread(s), run {k + 1}: {wall:.1f} s  {results[-1]}",
              file=sys.stderr)
    return {"processes": processes, "threads": threads, "wall_seconds": walls,
            "median_seconds": statistics.median(walls), "figures": results}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clips", type=Path, default=CLIPS)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--fit-steps", type=int, default=1500)
    parser.add_argument("--space-steps", type=int, default=300)
    parser.add_argument("--copies", type=int, default=6, help="copies of each clip in the --data folder")
    parser.add_argument("--only", help="run only the jobs whose name starts with this")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "results" / "scale.json")
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    n = args.processes
    clips = sorted(p for p in args.clips.iterdir() if p.suffix in (".mp4", ".gif"))
    dataset = Path(tempfile.mkdtemp(prefix="inr-scale-"))
    for k in range(args.copies):
        for clip in clips:
            shutil.copyfile(clip, dataset / f"{clip.stem}_{k}{clip.suffix}")  # copies: the cache keys paths

    def fit_many(out: Path) -> list[str]:
        return ["fit-many", str(args.clips), "--out", str(out), "--steps", str(args.fit_steps), "--max-frames", "16",
                "--max-size", "96", "--device", "cpu"]

    def space(per_step: int):
        return lambda out: ["space", "train", *map(str, clips), "--out", str(out), "--steps", str(args.space_steps),
                            "--clips-per-step", str(per_step), "--device", "cpu"]

    def space_data(out: Path) -> list[str]:
        return ["space", "train", "--data", str(dataset), "--out", str(out), "--steps", str(args.space_steps),
                "--device", "cpu"]

    def space_figures(r: dict) -> dict:
        return {"train_psnr": round(r["train_psnr"], 3), "steps": r["steps"], "training_seconds": r["seconds"],
                "data_seconds": r["data_seconds"]}

    jobs = {}
    for name, make, figures in (
            ("fit-many", fit_many, lambda r: {"ok": r["ok"], "failed": r["failed"]}),
            ("space train, 8 windows a step", space(8), space_figures),
            ("space train, 32 windows a step", space(32), space_figures),
            (f"space train --data, {len(clips) * args.copies} clips", space_data, space_figures)):
        if args.only and not name.startswith(args.only):
            continue
        threads = max(1, cores // n)
        one = job(name, make, 1, cores, args.repeats, figures)
        thin = job(name, make, 1, threads, args.repeats, figures)
        many = job(name, make, n, threads, args.repeats, figures)
        jobs[name] = {"one": one, "one_thin": thin, "many": many,
                      "speed_up": one["median_seconds"] / many["median_seconds"],
                      "speed_up_same_threads": thin["median_seconds"] / many["median_seconds"]}
        print(f"{name} (medians of {args.repeats}): 1 process x {cores} threads {one['median_seconds']:.1f} s, "
              f"1 x {threads} {thin['median_seconds']:.1f} s, {n} x {threads} {many['median_seconds']:.1f} s: "
              f"{jobs[name]['speed_up']:.2f}x and {jobs[name]['speed_up_same_threads']:.2f}x", file=sys.stderr)
    space_weights = 729_459  # the default space's parameters (python -m inr space train prints them)
    reduce_ms = allreduce_ms(space_weights, n)
    print(f"gloo all-reduce of {space_weights:,} float32 over {n} processes: {reduce_ms:.2f} ms", file=sys.stderr)
    result = {"date": time.strftime("%Y-%m-%d"), "allreduce_ms": {"numbers": space_weights, "ms": reduce_ms}, "machine": f"{platform.processor() or platform.machine()}, "
              f"{cores} cores", "clips": [p.name for p in clips], "fit_steps": args.fit_steps,
              "space_steps": args.space_steps, "repeats": args.repeats, "jobs": jobs}
    if args.only and args.out.is_file():  # the other jobs' figures stay as measured before
        result["jobs"] = {**json.loads(args.out.read_text())["jobs"], **jobs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
