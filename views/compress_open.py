"""The Compress tab's "Open an .inr file" section: any ``.inr`` file, either kind (the neural codec's
or Latent-INR's, told apart by their signatures), read by the same checked reader as
``python -m inr decompress``: its decoded frames with a frame slider, its size and bits per pixel,
and, when the clip in the tab's clip boxes is the one it holds, its PSNR beside x264's (4:4:4) at the
CRF whose file is closest to its size: the codec a user would use instead.

A damaged or forged file is refused with one sentence in the section's status line that names the
file by its own name; what the section showed before stays, and the server goes on serving.
"""

import time
from pathlib import Path

import gradio as gr

from inr import api
from views.common import PICTURE_CODEC, PIXELATED, Session, captioned, chosen_clip, ensure, keyed


def _state(session: Session) -> dict:
    return session.views.setdefault("codec_open", {})


def read(path: Path) -> tuple[str, object, object]:
    """(kind in words, decoded uint8 frames (T, H, W, 3), meta with frames, height, width, fps)."""
    if api.codec.is_codec_file(path):
        return "neural-codec", *api.codec.decompress(path)
    return "Latent-INR", *api.latent_inr.decompress(path)


def reference(example, upload, meta) -> tuple[str, object | None, str]:
    """(clip name, its frames at the file's size or None, why not) of the clip in the tab's boxes."""
    try:
        path, name = chosen_clip(example, upload)
        clip = api.load_clips([path], meta.frames, max(meta.width, meta.height), "cpu")[0]
    except ValueError as err:
        return "", None, str(err)
    if clip.frames.shape[:3] != (meta.frames, meta.height, meta.width):
        frames, height, width = clip.frames.shape[:3]
        return name, None, (f"{name} read at this size is {frames} frames of {width}×{height}, not the file's "
                            f"{meta.frames} of {meta.width}×{meta.height}: choose the clip it was made from above "
                            "to see its PSNR")
    return name, clip.frames, ""


def describe(name: str, kind: str, size: int, meta, seconds: float, clip: str, psnr: float | None,
             row: dict | None, why: str) -> str:
    """The file's size and, with its clip, its PSNR beside the classical codec's `row` at its size."""
    pixels = meta.frames * meta.height * meta.width
    lines = [f"**{name}**: a {kind} .inr file, **{size:,} bytes** ({8 * size / pixels:.3f} bits per pixel), "
             f"{meta.frames} frames of {meta.width}×{meta.height} at {meta.fps:g} fps; decoded in {seconds:.2f} s"]
    if psnr is None:
        return "\n\n".join([*lines, why])
    gap = psnr - row["psnr"]
    lines.append(f"Against {clip}: PSNR **{psnr:.2f} dB** (RGB, every pixel of every frame); "
                 f"{api.CODEC_LABELS[PICTURE_CODEC]} at CRF {row['crf']} ({row['bytes']:,} bytes, the closest it comes "
                 f"to this file's size): {row['psnr']:.2f} dB, so the file {'beats' if gap >= 0 else 'trails'} it by "
                 f"{abs(gap):.2f} dB")
    return "\n\n".join(lines)


def pictures(state: dict, index: int) -> dict:
    """Frame `index` decoded from the file, and the clip's beside it when it is known; and their note."""
    decoded, truth = state["decoded"], state["truth"]
    index = int(min(max(index, 0), len(decoded) - 1))
    ours = captioned(decoded[index], f"{state['name']} · frame {index}", decoded.shape[2])
    if truth is None:
        return {"ours": ours, "theirs": None, "note": f"Frame {index} of {len(decoded)}."}
    theirs = captioned(truth[index], f"{state['clip']} · frame {index}", decoded.shape[2])
    return {"ours": ours, "theirs": theirs,
            "note": f"Frame {index} of {len(decoded)}: PSNR {api.uint8_psnr(decoded[index], truth[index]):.2f} "
                    f"dB against the clip."}


def on_open(session: Session, file, example, upload):
    """Read an uploaded .inr; its figures, frame slider, pictures and decoded MP4; or one sentence why not."""
    session = ensure(session)
    if not file:
        return {"status": "Choose an .inr file to open.", "session": session}
    path = Path(file)
    started = time.perf_counter()
    try:
        kind, decoded, meta = read(path)
    except ValueError as err:  # the reader's one line names the server's copy: name the user's file instead
        reason = str(err).replace(str(path), path.name)
        return {"status": f"⚠ **Cannot open {path.name}**: {reason.removeprefix(path.name + ': ')}",
                "session": session}
    seconds = time.perf_counter() - started
    clip, truth, why = reference(example, upload, meta)
    size = path.stat().st_size
    psnr, row = None, None
    if truth is not None:  # the codec a user would use instead, at this file's size (a few x264 encodes)
        psnr, (_, row) = api.uint8_psnr(decoded, truth), api.decoded_at_size(truth, meta.fps, PICTURE_CODEC, size)
    mp4 = api.export(session.path(f"{path.stem}_decoded.mp4"), decoded, meta.fps)
    state = _state(session)
    state.update(name=path.name, decoded=decoded, truth=truth, clip=clip)
    last = len(decoded) - 1
    return {"status": describe(path.name, kind, size, meta, seconds, clip, psnr, row, why),
            "frame": gr.Slider(maximum=max(last, 1), value=0, interactive=last > 0), **pictures(state, 0),
            "files": [str(mp4)], "session": session}


def on_frame(session: Session, index):
    state = _state(ensure(session))
    if "decoded" not in state:
        return {"ours": None, "theirs": None, "note": ""}
    return pictures(state, int(index))


def build_section(session: gr.State, example: gr.Dropdown, upload: gr.File) -> None:
    gr.Markdown("Any `.inr` file, the neural codec's or Latent-INR's, read by the same checked reader as "
                "`python -m inr decompress`. With the clip it was made from in the clip boxes above, its PSNR too.")
    with gr.Row():
        file = gr.File(label="An .inr file", type="filepath", file_types=[".inr"], height=120, elem_id="open-file",
                       scale=1)
        status = gr.Markdown("No file opened yet.", elem_id="open-status")
    frame = gr.Slider(0, 1, value=0, step=1, label="Frame", elem_id="open-frame")
    with gr.Row():
        ours = gr.Image(label="decoded from the file", interactive=False, elem_id="open-ours", elem_classes=PIXELATED)
        theirs = gr.Image(label="the clip", interactive=False, elem_id="open-clip", elem_classes=PIXELATED)
    note = gr.Markdown(elem_id="open-note")
    files = gr.File(label="What it decodes to (MP4)", file_count="multiple", elem_id="open-files")
    picture_outputs = {"ours": ours, "theirs": theirs, "note": note}
    opened = {"status": status, "frame": frame, **picture_outputs, "files": files, "session": session}
    file.upload(inputs=[session, file, example, upload], **keyed(on_open, opened), api_name="codec_open")
    frame.input(inputs=[session, frame], **keyed(on_frame, picture_outputs), show_progress="hidden",
                api_name="codec_open_frame")
