"""Several processes under PyTorch's launcher, ``torchrun``: who this process is, and the few collectives used.

torchrun starts one worker per process slot and tells each, in its environment, its ``RANK`` (0..N-1
over all machines), ``LOCAL_RANK`` (its slot on this machine, which picks its GPU) and
``WORLD_SIZE`` (N); ``MASTER_ADDR``/``MASTER_PORT`` say where the ranks meet. A process started any
other way is rank 0 of 1, and everything here is then a no-op: one process is the same program.

The package launches nothing itself (no process pool, no sockets of its own): ``group`` joins the
process group torchrun prepared, with NCCL between GPUs and gloo on CPUs, and leaves it at the end.
Under NCCL a second, gloo group carries host-side numbers (a clock reading), so agreeing on one
never waits for the GPU's queue.
"""

import contextlib
import datetime
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import torch
import torch.distributed as dist

# How long a collective waits for the slowest rank before it fails. Training steps wait for seconds
# at most: torch's default (10 minutes under NCCL, 30 under gloo) ends a hung run soon enough.
# fit-many's ranks wait at its last barrier while the others finish their clips, which can take hours.
TRAINING = None  # torch's default
LONG = datetime.timedelta(hours=24)
_host_group = None  # the gloo group for host values under NCCL (None: the default group is gloo)


@dataclass(frozen=True)
class Place:
    """This process's place among the workers torchrun started."""

    rank: int = 0  # 0..world-1, over every machine
    world: int = 1  # processes in all
    local_rank: int = 0  # 0..(processes on this machine)-1: the GPU this process uses

    @property
    def main(self) -> bool:
        """Rank 0 writes what all ranks share (a checkpoint) and prints the totals."""
        return self.rank == 0

    @property
    def label(self) -> str:
        return f"rank {self.rank}/{self.world}"


def place(environ: dict | None = None) -> Place:
    """This process's place, read from torchrun's variables; rank 0 of 1 without them."""
    env = os.environ if environ is None else environ
    values = {}
    for key, name in (("RANK", "rank"), ("WORLD_SIZE", "world"), ("LOCAL_RANK", "local_rank")):
        text = env.get(key)
        try:
            values[name] = int(text) if text not in (None, "") else None
        except ValueError:
            raise ValueError(f"{key} must be a whole number (torchrun sets it), got {text!r}") from None
    world = values["world"] or 1
    rank = values["rank"] or 0
    local = values["local_rank"] if values["local_rank"] is not None else rank
    if not (world >= 1 and 0 <= rank < world and local >= 0):
        raise ValueError(f"RANK {rank} and WORLD_SIZE {world} do not make sense together (RANK in 0..WORLD_SIZE-1)")
    return Place(rank, world, local)


def current() -> Place:
    """This process's place in the process group it has joined; rank 0 of 1 outside ``group``."""
    if not active():
        return Place()
    rank = dist.get_rank()
    return Place(rank, dist.get_world_size(), place().local_rank if "LOCAL_RANK" in os.environ else rank)


def device_for(requested: str | None, where: Place) -> str:
    """The device of this rank: `requested` (default: cuda if PyTorch sees one, else cpu), and on a
    machine with several GPUs, the one of this rank's slot (``cuda:LOCAL_RANK``)."""
    device = requested or ("cuda" if torch.cuda.is_available() else "cpu")
    if device.startswith("cuda") and not torch.cuda.is_available():  # refused once, not again for every clip
        raise ValueError("device cuda was asked for, but PyTorch sees no CUDA GPU here")
    if device.startswith("cuda:") and where.world > 1:
        raise ValueError(f"--device {device} would put all {where.world} processes on one GPU: give --device cuda, "
                         "and each process takes the GPU of its slot (cuda:LOCAL_RANK)")
    if device == "cuda" and where.world > 1:
        count = torch.cuda.device_count()
        if where.local_rank >= count:
            raise ValueError(f"{where.label} is slot {where.local_rank} of this machine, which has {count} GPU(s): "
                             f"start at most {count} processes a machine (--nproc-per-node)")
        return f"cuda:{where.local_rank}"
    return device


def backend(device: str) -> str:
    """NCCL between GPUs, gloo between CPUs (and where NCCL is missing)."""
    return "nccl" if device.startswith("cuda") and dist.is_nccl_available() else "gloo"


def active() -> bool:
    """True inside ``group`` with more than one rank."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


@contextlib.contextmanager
def group(where: Place, device: str, timeout: datetime.timedelta | None = TRAINING) -> Iterator[None]:
    """Join the ranks' process group for the body (a no-op for one process); leave it at the end, when
    every rank has got there (no rank tears down a connection another still uses)."""
    global _host_group
    if where.world == 1 or active():
        yield
        return
    kind = backend(device)
    if kind == "nccl":
        torch.cuda.set_device(torch.device(device))
    dist.init_process_group(kind, store=_attempt_store(where), rank=where.rank, world_size=where.world,
                            timeout=timeout)
    _host_group = dist.new_group(backend="gloo", timeout=timeout) if kind == "nccl" else None
    try:
        yield
        barrier()  # not after an error: the others may never get here, and torchrun ends them
    finally:
        _host_group = None
        dist.destroy_process_group()


def _attempt_store(where: Place, environ: dict | None = None) -> dist.Store | None:
    """The store the ranks meet in, keyed by torchrun's restart count; None (PyTorch's own) on a first start.

    After ``--max-restarts`` starts the workers again, they meet in the store torchrun's agent keeps
    for the whole run, which still holds the first attempt's addresses: joining the group with them
    failed ("Gloo connectFullMesh failed ... Connection refused"; pytorch/pytorch#167288 reports the
    like under NCCL). A prefix per attempt keeps each attempt to its own keys.
    """
    env = os.environ if environ is None else environ
    attempt = int(env.get("TORCHELASTIC_RESTART_COUNT") or 0)
    if attempt == 0 or env.get("TORCHELASTIC_USE_AGENT_STORE") != "True":  # a store of its own each start
        return None
    store = dist.TCPStore(env["MASTER_ADDR"], int(env["MASTER_PORT"]), where.world, is_master=False, timeout=LONG)
    return dist.PrefixStore(f"inr/attempt_{attempt}", store)


def barrier() -> None:
    """Wait for every rank (no-op for one process)."""
    if active():
        dist.barrier(group=_host_group)


def slowest(value: float) -> float:
    """The largest of every rank's `value` (a clock reading), so all ranks take the same decision."""
    if not active():
        return value
    t = torch.tensor([value], dtype=torch.float64)
    dist.all_reduce(t, op=dist.ReduceOp.MAX, group=_host_group)
    return float(t.item())


def total(values: torch.Tensor) -> torch.Tensor:
    """The element-wise sum over ranks of a host tensor (a copy; `values` itself for one process)."""
    if not active():
        return values
    out = values.detach().to("cpu", torch.float64).clone()
    dist.all_reduce(out, group=_host_group)
    return out


def gather_numbers(values: list[float]) -> list[list[float]]:
    """Every rank's `values` (the same length on each), by rank: [values] for one process."""
    where = current()
    table = torch.zeros(where.world, len(values), dtype=torch.float64)
    table[where.rank] = torch.tensor([float(v) for v in values], dtype=torch.float64)
    return total(table).tolist()


def share(items: Sequence, where: Place) -> list:
    """This rank's disjoint part of `items`: every world-th item from its rank (the ranks' parts cover all)."""
    return list(items[where.rank :: where.world])
