"""``python -m inr fit-many``: one fit per clip for every clip in a folder, shared among torchrun's ranks.

Each rank lists the clips and those still to fit, waits until every rank has listed, then fits its
own share, one clip after another, with no collective while fitting: the fits are independent, and
a clip's model does not depend on the rank that fitted it (every clip gets the same --seed).
"""

import argparse
import time
from pathlib import Path

from inr.cli.fit import add_fit_options, fit_into, prepare
from inr.cli.progress import quietly, rank_bar, say
from inr import api


MANIFEST_SECONDS = 30.0  # a rank rebuilds the manifest after a clip at most this often; rank 0 at the end
PLOTLY_JS = "plotly.min.js"  # one copy in OUT for every clip's curves.html, not 4.6 MB in each clip folder

DESCRIPTION = """\
Fit one model to each clip in DIR and its sub-folders (videos, GIFs, images; a sub-folder of only
frame images is one clip), each with the usual fit. OUT gets a folder per clip, named by its path
below DIR (OUT/sub/a.mp4/: model.safetensors, run.json, curves.html, comparison.png, motion.png),
OUT/plotly.min.js (the one copy of plotly.js every curves.html reads) and OUT/manifest.jsonl, a row
per clip (name, status, reason, rank, host, device, seconds, steps, train and held-out PSNR, the
bilinear and bicubic rebuilds' held-out PSNR, model bytes).

Run it again to resume: clips whose row says ok are skipped, failed ones are tried again. The exit
code is 0 when every clip is ok, 1 when some failed (their one-line reasons are in the manifest).
Under torchrun (torchrun --standalone --nproc-per-node N -m inr fit-many DIR --out OUT) each of
the N processes fits its own share of the clips, on its own GPU where there are several.
"""


def register(sub) -> None:
    p = sub.add_parser("fit-many", help="fit one model per clip to every clip in a folder (over torchrun's ranks)",
                       description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("folder", metavar="DIR", help="folder of clips, searched with its sub-folders")
    p.add_argument("--out", required=True, metavar="OUT",
                   help="folder for the per-clip folders and manifest.jsonl (made when missing)")
    add_fit_options(p)
    p.set_defaults(handler=cmd_fit_many, status=exit_status)


def cmd_fit_many(args) -> dict | None:
    """Fit this rank's share of the clips still to fit; rank 0 returns the totals (the others None)."""
    start = time.monotonic()
    where = api.distributed.place()
    device = api.distributed.device_for(args.device, where)
    folder = Path(args.folder)
    out = api.manifest.check_out(args.out, folder)
    clips = api.manifest.find_clips(folder, skip=out)
    todo = api.manifest.pending(out, folder, clips)
    with api.distributed.group(where, device, api.distributed.LONG):  # the last barrier waits for every clip
        api.distributed.barrier()  # every rank has listed what is done before any rank writes a row
        mine = api.distributed.share(todo, where)
        if where.main:
            say(f"{_count(len(clips), 'clip')} in {folder}: {len(clips) - len(todo)} done already (skipped), "
                f"{len(todo)} to fit over {_count(where.world, 'process')}")
        if mine:
            with rank_bar(len(mine), where) as bar:
                rebuilt = [-float("inf")]  # when this rank last rebuilt the manifest
                rows = [_fit_one(clip, args, where, device, folder, out, clips, bar, rebuilt) for clip in mine]
            failed = sum(row["status"] == "failed" for row in rows)
            say(f"{where.label}: {len(rows) - failed} of {_count(len(rows), 'clip')} ok, {failed} failed, "
                f"in {time.monotonic() - start:.1f} s on {device}")
        else:
            say(f"{where.label}: nothing to do ({_count(len(todo), 'clip')} to fit over "
                f"{_count(where.world, 'process')})")
        api.distributed.barrier()  # every rank's rows are written
    if not where.main:
        return None
    rows = api.manifest.rebuild_manifest(out, folder, clips)
    totals = {
        "manifest": str(out / api.manifest.MANIFEST),
        "clips": len(clips),
        "ok": sum(row["status"] == "ok" for row in rows) - (len(clips) - len(todo)),  # fitted by this run
        "failed": sum(row["status"] == "failed" for row in rows),
        "skipped": len(clips) - len(todo),  # ok before this run
        "seconds": round(time.monotonic() - start, 3),
        "world": where.world,
        "rows": rows,
    }
    print(describe(totals))
    return totals


def _fit_one(clip: Path, args, where: api.distributed.Place, device: str, folder: Path, out: Path,
             clips: list[Path], bar, rebuilt: list[float]) -> dict:
    """Fit one clip into its folder and mark it done with its row, ok or failed; refresh the manifest
    (at most every MANIFEST_SECONDS: the rows are what counts, the manifest gathers them)."""
    name = api.manifest.clip_name(folder, clip)
    target = api.manifest.clip_folder(out, folder, clip)
    start = time.monotonic()
    bar.set_postfix_str(name)
    try:
        run = prepare(api.load_clips([clip], args.max_frames, args.max_size, device), args, device)
        summary = fit_into(run, target, lambda records: quietly(records, bar, name), out / PLOTLY_JS)
        row = api.manifest.make_row(name, where.rank, device, time.monotonic() - start, summary=summary)
    except api.manifest.CLIP_FAILURES as error:
        row = api.manifest.make_row(name, where.rank, device, time.monotonic() - start, error=error)
    api.manifest.write_row(target, row)
    if time.monotonic() - rebuilt[0] >= MANIFEST_SECONDS:  # reading every row each clip would be quadratic
        api.manifest.rebuild_manifest(out, folder, clips)
        rebuilt[0] = time.monotonic()
    bar.update()
    say(f"{where.label}  {describe_row(row)}")
    return row


def describe_row(row: dict) -> str:
    """A clip's line: its name, then its figures or why it failed."""
    if row["status"] == "failed":
        return f"{row['name']}  failed: {row['reason']}"
    text = f"{row['name']}  ok  train {row['train_psnr']:.2f} dB"
    if row["heldout_psnr"] is not None:
        text += (f"  held-out {row['heldout_psnr']:.2f} dB (bilinear {row['bilinear_psnr']:.2f}, "
                 f"bicubic {row['bicubic_psnr']:.2f})")
    return f"{text}  {row['steps']} steps  {row['seconds']:.1f} s"


def describe(t: dict) -> str:
    """The totals' line."""
    return (f"{_count(t['clips'], 'clip')}: {t['ok']} ok, {t['failed']} failed, {t['skipped']} skipped as done "
            f"before; {t['seconds']:.1f} s over {_count(t['world'], 'process')}; manifest: {t['manifest']}")


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}{'es' if word.endswith('s') else 's'}"


def exit_status(totals: dict | None) -> int:
    """1 when a clip failed (rank 0 knows), else 0. Only rank 0 can say so: under torchrun a rank that
    exits with anything but 0 stops the others, which must not happen before rank 0 has written the
    manifest."""
    return 1 if totals is not None and totals["failed"] else 0
