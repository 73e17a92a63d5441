"""Hostile files: real files of every kind the product reads, damaged at random, each read under a
time and a memory cap. ``tests/test_hostile_files.py`` runs it in the suite (a fast, seeded profile)
and ``bench/fuzz.py`` on demand (thousands of cases).

A *kind* is a file the product reads and the reader a user reaches it by: a field checkpoint
(``api.load``), an INR-V space (``api.inr_v.load``), a Latent-INR ``.inr``
(``api.latent_inr.decompress``), a neural-codec ``.inr`` (``api.codec.decompress``) and a clip
(``api.load_clips`` with the CPU's caps). A *case* is one real file of a kind with one mutation:

- bytes: truncated, a byte flipped, bytes inserted or deleted, a run overwritten;
- header: one field of the file's JSON header (nested JSON inside safetensors metadata included)
  made huge, negative, zero, NaN or infinite, of a wrong type, deleted, or a list repeated; the
  file's own checksums and lengths are recomputed, so the mutation reaches the checks behind them;
- body: bytes of the body damaged under a recomputed checksum (what anyone can do).

Every case must either load (and then be usable) or be refused by the reader's one-line
ValueError naming the file, within SECONDS and without the process growing past MEMORY bytes of
address space (``resource.RLIMIT_AS``: an allocation beyond it fails, and the case counts as a crash).
"""

import copy
import json
import lzma
import math
import resource
import struct
import time
import traceback
import zlib
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

SECONDS = 5.0  # a case must end (loaded or refused) within this
MEMORY = 2**30  # extra address space a case may take above the process's own before it
HUGE = (2**16, 2**20, 2**24, 2**31, 2**32 + 1, 2**63 - 1, 2**64, 10**18, 10**100)
ODD = (0, -1, -(2**31), -(2**63), 1.5, -0.0, 1e308, -1e308, math.nan, math.inf, -math.inf)
WRONG = ("", "x", "nan", "1e999", None, True, False, [], {}, [1, 2, 3], {"a": 1})


# ---------------------------------------------------------------- formats: a header to mutate, and a body

@dataclass(frozen=True)
class Format:
    """How a file splits into its JSON header and its body, and joins again.

    ``join(header, body, touched)`` recomputes the lengths and checksums the format has, except
    those in `touched` (the top-level keys a mutation changed: a lie about them stays a lie)."""

    split: Callable[[bytes], tuple[dict, bytes]]
    join: Callable[[dict, bytes, set], bytes]


def _safetensors_split(payload: bytes) -> tuple[dict, bytes]:
    (length,) = struct.unpack_from("<Q", payload)
    header = json.loads(payload[8:8 + length])
    meta = header.get("__metadata__", {})
    for key, value in meta.items():  # the configs are JSON inside JSON strings: open them
        try:
            meta[key] = {"__json__": json.loads(value)}
        except (TypeError, ValueError):
            pass
    return header, payload[8 + length:]


def _safetensors_join(header: dict, body: bytes, touched: set) -> bytes:
    header = copy.deepcopy(header)
    meta = header.get("__metadata__")
    if isinstance(meta, dict):
        for key, value in meta.items():
            if isinstance(value, dict) and set(value) == {"__json__"}:
                meta[key] = json.dumps(value["__json__"])
    text = json.dumps(header).encode()
    return struct.pack("<Q", len(text)) + text + body


CODEC_FIXED = struct.Struct("<8sBH")


def _codec_split(payload: bytes) -> tuple[dict, bytes]:
    _, _, length = CODEC_FIXED.unpack_from(payload)
    return json.loads(zlib.decompress(payload[CODEC_FIXED.size:CODEC_FIXED.size + length])), \
        payload[CODEC_FIXED.size + length:]


def _codec_join(header: dict, body: bytes, touched: set) -> bytes:
    header = dict(header)
    if "words" not in touched:
        header["words"] = len(body) // 4
    if "crc" not in touched:
        header["crc"] = zlib.crc32(body)
    packed = zlib.compress(json.dumps(header, separators=(",", ":")).encode(), 9)
    if len(packed) >= 2**16:  # the format's 2-byte length cannot say it: cut, as a careless writer would
        packed = packed[:2**16 - 1]
    return CODEC_FIXED.pack(b"\x89INC\r\n\x1a\n", 1, len(packed)) + packed + body


LATENT_MAGIC = b"\x89INR\r\n\x1a\n"


def _latent_split(payload: bytes) -> tuple[dict, bytes]:
    fixed = len(LATENT_MAGIC) + 5
    _, length = struct.unpack("<BI", payload[len(LATENT_MAGIC):fixed])
    header = json.loads(payload[fixed:fixed + length])
    body = payload[fixed + length:]
    return header, lzma.decompress(body) if header.get("compression") == "lzma" else body


def _latent_join(header: dict, raw: bytes, touched: set) -> bytes:
    header = dict(header)
    body = lzma.compress(raw) if header.get("compression") == "lzma" else raw
    if "body_bytes" not in touched:
        header["body_bytes"] = len(body)
    if "crc32" not in touched:
        header["crc32"] = zlib.crc32(body)
    if "raw_bytes" not in touched:
        header["raw_bytes"] = len(raw)
    text = json.dumps(header, separators=(",", ":")).encode()
    return LATENT_MAGIC + struct.pack("<BI", 1, len(text)) + text + body


SAFETENSORS = Format(_safetensors_split, _safetensors_join)
CODEC = Format(_codec_split, _codec_join)
LATENT = Format(_latent_split, _latent_join)


# ---------------------------------------------------------------- mutations

def paths(value, prefix=()) -> list[tuple]:
    """Every place in a JSON value: dict keys and list indices, parents before children."""
    out = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            out += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value[:16]):  # a long list's first entries stand for the rest
            out += paths(item, (*prefix, i))
    return out


def get(value, path: tuple):
    for key in path:
        value = value[key]
    return value


def replacements(old) -> st.SearchStrategy:
    """What a header value becomes: huge, odd, of a wrong type, or a near neighbour of itself."""
    options = [st.sampled_from(HUGE), st.sampled_from(ODD), st.sampled_from(WRONG)]
    if isinstance(old, (int, float)) and not isinstance(old, bool):
        options.append(st.sampled_from((old + 1, old - 1, old * 2, old * 16, -old)))
    if isinstance(old, list) and old:
        options.append(st.integers(2, 200_000).map(lambda k: old * k))  # a list repeated
        options.append(st.just(old[:-1]))
    if isinstance(old, str):
        options.append(st.sampled_from((old * 2, old[:-1], old.upper())))
    return st.one_of(options)


@st.composite
def header_mutation(draw, header: dict) -> tuple[dict, set, str]:
    """(mutated copy of header, the top-level keys touched, what was done)."""
    header = copy.deepcopy(header)
    where = draw(st.sampled_from(paths(header)[1:]))
    parent, key = get(header, where[:-1]), where[-1]
    if isinstance(parent, dict) and draw(st.integers(0, 5)) == 0:
        del parent[key]
        done = "deleted"
    else:
        parent[key] = draw(replacements(parent[key]))
        done = f"= {str(parent[key])[:40]}"
    return header, {where[0]}, f"header {'/'.join(map(str, where))} {done}"


@st.composite
def byte_mutation(draw, payload: bytes) -> tuple[bytes, str]:
    """(damaged bytes, what was done): cut, flip, insert, delete or overwrite."""
    n = len(payload)
    at = draw(st.one_of(st.integers(0, max(0, n - 1)), st.integers(0, min(n - 1, 64))))  # the start is richest
    op = draw(st.sampled_from(("truncate", "flip", "insert", "delete", "overwrite")))
    if op == "truncate":
        return payload[:at], f"cut to {at} bytes"
    if op == "flip":
        bit = draw(st.integers(1, 255))
        return payload[:at] + bytes([payload[at] ^ bit]) + payload[at + 1:], f"byte {at} ^= {bit}"
    if op == "insert":
        extra = draw(st.binary(min_size=1, max_size=16))
        return payload[:at] + extra + payload[at:], f"{len(extra)} bytes inserted at {at}"
    count = draw(st.integers(1, 64))
    if op == "delete":
        return payload[:at] + payload[at + count:], f"{count} bytes deleted at {at}"
    fill = draw(st.sampled_from((b"\x00", b"\xff", b"\x7f")))
    return payload[:at] + fill * count + payload[at + count:], f"{count} bytes at {at} set to {fill.hex()}"


@dataclass(frozen=True)
class Damaged:
    """A damaged copy of a real file, shown by what was done to it (not by its bytes)."""

    payload: bytes
    done: str

    def __repr__(self) -> str:
        return self.done


@st.composite
def mutation(draw, payload: bytes, fmt: Format | None) -> Damaged:
    """A damaged copy of a real file's bytes: its bytes, its header or its body under fresh checksums."""
    family = draw(st.sampled_from(("bytes", "header", "header", "body") if fmt else ("bytes",)))
    if family == "bytes":
        return Damaged(*draw(byte_mutation(payload)))
    header, body = fmt.split(payload)
    if family == "header":
        mutated, touched, done = draw(header_mutation(header))
        return Damaged(fmt.join(mutated, body, touched), done)
    damaged, done = draw(byte_mutation(body))
    return Damaged(fmt.join(header, damaged, set()), f"body {done} (checksums recomputed)")


# ---------------------------------------------------------------- reading a case under caps

def _address_space() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


@contextmanager
def memory_cap(extra: int):
    """Allocations beyond `extra` bytes of address space above now fail (MemoryError, RuntimeError)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    cap = _address_space() + extra
    resource.setrlimit(resource.RLIMIT_AS, (min(cap, hard) if hard != resource.RLIM_INFINITY else cap, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


@dataclass
class Outcome:
    result: str  # "loaded", "refused" or "crashed"
    seconds: float
    message: str = ""


def read_case(read: Callable[[Path], object], path: Path, payload: bytes) -> Outcome:
    """Write `payload` to `path` and read it with `read` under the caps."""
    path.write_bytes(payload)
    started = time.perf_counter()
    try:
        with memory_cap(MEMORY):
            read(path)
        return Outcome("loaded", time.perf_counter() - started)
    except ValueError as error:
        return Outcome("refused", time.perf_counter() - started, str(error))
    except Exception:  # noqa: BLE001 - anything else is what the fuzzer looks for: keep its traceback
        return Outcome("crashed", time.perf_counter() - started, traceback.format_exc(limit=6))


def problem(outcome: Outcome, path: Path) -> str | None:
    """What is wrong with an outcome, or None: a crash, a slow case, or a message that is not one
    line naming the file."""
    if outcome.result == "crashed":
        return f"crashed: {outcome.message}"
    if outcome.seconds > SECONDS:
        return f"took {outcome.seconds:.1f} s ({outcome.result}: {outcome.message[:200]})"
    if outcome.result == "refused":
        if "\n" in outcome.message or "Traceback" in outcome.message:
            return f"message of several lines: {outcome.message[:300]!r}"
        if path.name not in outcome.message:
            return f"message does not name the file: {outcome.message[:300]!r}"
        if len(outcome.message) > 600:
            return f"message of {len(outcome.message)} characters: {outcome.message[:200]!r}"
    return None
