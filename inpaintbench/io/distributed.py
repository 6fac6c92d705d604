"""Rank and world helpers for runs under ``torchrun``: one process per device, PyTorch DDP underneath.

A plain ``python -m inpaintbench`` run is a world of one and every helper here is then a no-op, so
jobs call them unconditionally. Under ``torchrun`` (``WORLD_SIZE`` > 1 in the environment) ``init``
joins the process group torchrun set up (nccl on CUDA, gloo on CPU; multi-node rendezvous is
torchrun's own). Evaluation shards whole batches without padding (``EvalBatches``) and merges the
ranks' metric states in dataset order, so a distributed result equals the one-process result.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import torch
import torch.distributed as dist
from torch.utils.data import Sampler
from torch.utils.data.distributed import DistributedSampler

T = TypeVar("T")


def launched() -> bool:
    """Whether this process was started by torchrun (or another launcher) as one of several."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def active() -> bool:
    """Whether a process group of more than one process is up."""
    return dist.is_available() and dist.is_initialized() and dist.get_world_size() > 1


def rank() -> int:
    return dist.get_rank() if active() else 0


def world_size() -> int:
    return dist.get_world_size() if active() else 1


def local_rank() -> int:
    return int(os.environ.get("LOCAL_RANK", "0"))


def local_world_size() -> int:
    return int(os.environ.get("LOCAL_WORLD_SIZE", "1"))


def is_main() -> bool:
    """Rank 0: the one process that writes results, checkpoints and reports and prints progress."""
    return rank() == 0


def device_for_rank(device: str) -> str:
    """The device of this process: a bare ``cuda`` becomes ``cuda:<LOCAL_RANK>`` under torchrun."""
    return f"cuda:{local_rank()}" if launched() and device == "cuda" else device


def init(device: str) -> bool:
    """Join torchrun's process group (nccl for a CUDA device, gloo otherwise); ``False`` when not launched."""
    if not launched() or active():
        return active()
    backend = "nccl" if device.startswith("cuda") else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(torch.device(device))
    dist.init_process_group(backend=backend)
    return True


def shutdown() -> None:
    """Leave the process group (every rank, at the end of a command)."""
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


def barrier() -> None:
    if active():
        dist.barrier()


def broadcast(value: T) -> T:
    """Rank 0's ``value`` on every rank (any picklable object)."""
    if not active():
        return value
    box = [value]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def on_main(fn: Callable[..., T], *args: Any) -> T:
    """Call ``fn(*args)`` on rank 0 only and give its result to every rank, so all ranks take the same branch
    (a cache hit, an earlier result kept) even if their views of the files could differ."""
    return broadcast(fn(*args) if is_main() else None)


def all_sum(tensor: torch.Tensor) -> torch.Tensor:
    """The sum of ``tensor`` over ranks, in place on its device (gloo and nccl alike)."""
    if active():
        dist.all_reduce(tensor, op=dist.ReduceOp.SUM)
    return tensor


def all_gather(value: T) -> list[T]:
    """Every rank's ``value``, in rank order (any picklable object)."""
    if not active():
        return [value]
    out: list[Any] = [None] * world_size()
    dist.all_gather_object(out, value)
    return out


class EvalBatches(Sampler[list[int]]):
    """The batches one process would make (``batch_size`` consecutive indices), shared out to the ranks
    in contiguous runs and never padded: every image counts exactly once, each batch holds the images
    it holds in a one-process run, and rank order is dataset order. (``DistributedSampler`` pads by
    repeating images, which would count them twice.)"""

    def __init__(self, n: int, batch_size: int, rank: int = 0, world: int = 1) -> None:
        batches = [list(range(i, min(i + batch_size, n))) for i in range(0, n, batch_size)]
        per, extra = divmod(len(batches), world)
        start = rank * per + min(rank, extra)
        self.batches = batches[start:start + per + (rank < extra)]

    def __iter__(self) -> Iterator[list[int]]:
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


class EpochSampler(DistributedSampler):
    """This rank's share of a shuffled epoch (``DistributedSampler``: seeded, reshuffled by
    ``set_epoch``, padded to equal shares, which is fine for training), yielding ``(epoch, index)`` so
    that persistent loader workers learn the epoch that seeds the crops (see ``EpochItems``)."""

    def __iter__(self) -> Iterator[tuple[int, int]]:  # type: ignore[override]
        epoch = self.epoch
        return ((epoch, i) for i in super().__iter__())


class EpochItems(torch.utils.data.Dataset):
    """A dataset with an ``epoch`` attribute, indexed by ``(epoch, index)`` pairs from ``EpochSampler``."""

    def __init__(self, data: Any) -> None:
        self.data = data

    def __len__(self) -> int:
        return len(self.data)

    def __getitem__(self, key: tuple[int, int]) -> Any:
        epoch, index = key
        self.data.epoch = epoch
        return self.data[index]


class _Logits(torch.nn.Module):
    """A detector's ``logits`` as a module owning its network, so that DDP can wrap it."""

    def __init__(self, detector: Any) -> None:
        super().__init__()
        self.net = detector.module
        self.logits = detector.logits

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.logits(images)


def ddp_logits(detector: Any, device: torch.device) -> Callable[[torch.Tensor], torch.Tensor]:
    """The detector's training forward: ``detector.logits``, or under torchrun the same wrapped in
    ``DistributedDataParallel`` (weights broadcast from rank 0 now, gradients averaged in backward)."""
    if not active():
        return detector.logits
    from torch.nn.parallel import DistributedDataParallel

    ids = [device] if device.type == "cuda" else None
    return DistributedDataParallel(_Logits(detector), device_ids=ids, output_device=device if ids else None)
