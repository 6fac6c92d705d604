"""The common trainer: sigmoid focal loss, Adam, early stopping on validation IoU, resumable checkpoints."""

from __future__ import annotations

import io
import math
import random
import time
import warnings
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import torch
from torchvision.ops import sigmoid_focal_loss
from tqdm.auto import tqdm

from .contracts import MANIPULATED_KINDS, Sample, as_detector
from .data.imageio import atomic_write_bytes
from .data.tensors import SampleTensors, TensorProtocol
from .harness import evaluate_split, loader
from .metrics import confusion_counts, counts_iou, warn_if_collapsed

CHECKPOINT_FORMAT = "inpaintbench-checkpoint-1"

#: Focal-loss alpha weights the positive (inpainted) class. torchvision's 0.25 down-weights the
#: rare positives and collapsed to all-empty predictions on small masks; 0.75 favours them.
DEFAULT_FOCAL_ALPHA = 0.75
DEFAULT_FOCAL_GAMMA = 2.0


@dataclass
class TrainConfig:
    """Everything that decides a training run; recorded in checkpoints and results."""

    epochs: int = 10
    batch_size: int = 8
    lr: float = 1e-4
    focal_alpha: float = DEFAULT_FOCAL_ALPHA
    focal_gamma: float = DEFAULT_FOCAL_GAMMA
    patience: int = 5
    seed: int = 0
    device: str = "cpu"
    workers: int = 0
    max_steps: int | None = None
    train_kinds: tuple[str, ...] | None = None
    amp: bool = True
    on_bad: str = "error"
    resume: bool = True
    progress: bool = True
    transform: Callable[[Sample, np.random.Generator], Sample] | None = None

    def record(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k not in ("transform", "progress")}
        out["train_kinds"] = list(self.train_kinds) if self.train_kinds else None
        out["transform"] = repr(self.transform) if self.transform else None
        return out


@dataclass
class TrainReport:
    best_checkpoint: str
    last_checkpoint: str
    epochs_run: int
    steps: int
    best_epoch: int
    best_val: dict[str, float]
    stopped_early: bool
    resumed_from_epoch: int | None
    seconds: float
    history: list[dict[str, Any]] = field(default_factory=list)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def save_checkpoint(path: str | Path, payload: dict[str, Any]) -> None:
    """Atomically write a checkpoint that ``torch.load(weights_only=True)`` can read."""
    buf = io.BytesIO()
    torch.save(payload, buf)
    atomic_write_bytes(path, buf.getvalue())


def load_checkpoint(path: str | Path, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    """Read a checkpoint safely (``weights_only=True``); a bare state dict is wrapped as one."""
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except FileNotFoundError:
        raise FileNotFoundError(f"{path}: checkpoint not found") from None
    except Exception as exc:
        raise ValueError(f"{path}: not a readable weights-only checkpoint ({type(exc).__name__}: {exc})") from exc
    if isinstance(payload, dict) and payload.get("format") == CHECKPOINT_FORMAT:
        return payload
    if isinstance(payload, dict) and all(isinstance(v, torch.Tensor) for v in payload.values()):
        return {"format": CHECKPOINT_FORMAT, "state_dict": payload, "detector": None, "options": {}}
    raise ValueError(f"{path}: neither an inpaintbench checkpoint nor a state dict")


def train_kinds(dataset, requested: tuple[str, ...] | None) -> list[str]:
    """The kinds to train on: as requested, else every manipulated kind in the train split."""
    present = [s.partition("/")[2] for s in dataset.splits() if s.startswith("train/")]
    if requested:
        missing = [k for k in requested if k not in present]
        if missing:
            raise ValueError(f"train kinds {missing} are not in the dataset's train split; present: {present}")
        return list(requested)
    kinds = [k for k in present if k in MANIPULATED_KINDS]
    if not kinds:
        raise ValueError(f"dataset {dataset.name} has no manipulated images in its train split: {dataset.splits()}")
    return kinds


def _val_score(metrics: dict[str, float]) -> tuple[float, float]:
    """Early-stopping key: validation IoU, ties broken by pixel AUC (visible progress before IoU moves)."""
    iou, auc = metrics.get("iou", 0.0), metrics.get("auc", 0.0)
    return (0.0 if math.isnan(iou) else iou, 0.0 if math.isnan(auc) else auc)


def _validate(detector, dataset, kinds, protocol, config, name) -> dict[str, float] | None:
    splits = [f"val/{k}" for k in kinds if f"val/{k}" in dataset.splits()]
    if not splits:
        return None
    state = None
    for split in splits:
        part, _ = evaluate_split(detector, dataset, split, protocol=protocol, batch_size=config.batch_size,
                                 device=config.device, workers=config.workers, seed=config.seed,
                                 on_bad=config.on_bad, progress=False, name=name)
        state = part if state is None else state.merge(part)
    return state.compute()


def train(detector, dataset, config: TrainConfig, protocol: TensorProtocol, out_dir: str | Path,
          name: str = "detector") -> TrainReport:
    """Train ``detector.module`` on the dataset's train split, validating on ``val`` each epoch.

    Writes ``last.pt`` every epoch and ``best.pt`` on improvement (atomically); with
    ``config.resume`` a run interrupted at any point continues from ``last.pt``.
    """
    detector = as_detector(detector)
    if not detector.trainable:
        raise TypeError(f"detector {name!r} is not trainable: it exposes no torch module")
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    best_path, last_path = out_dir / "best.pt", out_dir / "last.pt"
    seed_everything(config.seed)
    device = torch.device(config.device)
    detector.to(device)
    module = detector.module
    optimizer = torch.optim.Adam(module.parameters(), lr=config.lr)
    use_amp = config.amp and device.type == "cuda"
    scaler = torch.amp.GradScaler("cuda", enabled=use_amp)

    kinds = train_kinds(dataset, config.train_kinds)
    records = [r for k in kinds for r in dataset.records(f"train/{k}")]
    data = SampleTensors(dataset, records, protocol, seed=config.seed, on_bad=config.on_bad,
                         transform=config.transform)
    identity = {"detector": name, "options": dict(detector.info().get("options", {}))}

    start_epoch, steps, history = 0, 0, []
    best_key, best_epoch, best_val, resumed = (-1.0, -1.0), -1, {}, None
    if config.resume and last_path.exists():
        ckpt = load_checkpoint(last_path, map_location=device)
        if ckpt.get("detector") != name or ckpt.get("options") != identity["options"]:
            raise ValueError(f"{last_path}: was written for {ckpt.get('detector')} {ckpt.get('options')}, "
                             f"not {name} {identity['options']}; use another output folder or --no-resume")
        detector.load_state_dict(ckpt["state_dict"])
        optimizer.load_state_dict(ckpt["optimizer"])
        start_epoch, steps, history = ckpt["epoch"] + 1, ckpt["steps"], list(ckpt["history"])
        best_key, best_epoch, best_val = tuple(ckpt["best_key"]), ckpt["best_epoch"], dict(ckpt["best_val"])
        torch.set_rng_state(ckpt["rng"])
        resumed = ckpt["epoch"]

    t0 = time.perf_counter()
    stopped_early = False
    bad_total = 0
    for epoch in range(start_epoch, config.epochs):
        if config.max_steps is not None and steps >= config.max_steps:
            break
        if epoch - best_epoch > config.patience and best_epoch >= 0:
            stopped_early = True
            break
        module.train()
        data.epoch = epoch
        batches = loader(data, config.batch_size, config.workers, shuffle=True, seed=config.seed + epoch)
        bar = tqdm(batches, desc=f"epoch {epoch + 1}/{config.epochs}", disable=not config.progress, unit="batch")
        loss_sum, n_batches, counts = 0.0, 0, torch.zeros(1, 4, dtype=torch.long)
        for batch in bar:
            bad_total += len(batch["bad"])
            if "image" not in batch:
                continue
            images = batch["image"].to(device, non_blocking=True)
            target = batch["target"].to(device, non_blocking=True)
            valid = batch["valid"].to(device, non_blocking=True)
            with torch.autocast(device_type=device.type, dtype=torch.float16, enabled=use_amp):
                logits = detector.logits(images)
            loss = sigmoid_focal_loss(logits.float(), target, alpha=config.focal_alpha,
                                      gamma=config.focal_gamma, reduction="none")
            loss = (loss * valid).sum() / valid.sum()  # the padding of mixed-size batches never counts
            optimizer.zero_grad(set_to_none=True)
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
            steps += 1
            n_batches += 1
            loss_sum += float(loss.detach())
            counts += confusion_counts(torch.sigmoid(logits.detach().float()), target,
                                       valid=valid).sum(0, keepdim=True).cpu()
            bar.set_postfix(loss=f"{loss_sum / n_batches:.4f}", iou=f"{float(counts_iou(counts)[0]):.3f}")
            if config.max_steps is not None and steps >= config.max_steps:
                break
        val = _validate(detector, dataset, kinds, protocol, config, name)
        row = {"epoch": epoch, "steps": steps, "train_loss": loss_sum / max(1, n_batches),
               "train_iou_pooled": float(counts_iou(counts)[0])}
        if val is not None:
            row.update({f"val_{k}": val[k] for k in ("iou", "f1", "f1_best", "auc", "empty_prediction_rate")})
            warn_if_collapsed(val, f"{name} validation after epoch {epoch + 1}")
            key = _val_score(val)
        else:
            key = (float(epoch), 0.0)  # no validation split: the latest epoch is the best one
        history.append(row)
        if config.progress:
            tqdm.write(" ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items()))
        improved = key > best_key
        if improved:
            best_key, best_epoch, best_val = key, epoch, (val or {})
        payload = {"format": CHECKPOINT_FORMAT, **identity, "state_dict": detector.state_dict(),
                   "optimizer": optimizer.state_dict(), "epoch": epoch, "steps": steps, "history": history,
                   "best_key": list(best_key), "best_epoch": best_epoch,
                   "best_val": {k: float(v) for k, v in best_val.items()}, "rng": torch.get_rng_state(),
                   "config": config.record(), "protocol": protocol.describe()}
        if improved:
            save_checkpoint(best_path, payload)
        save_checkpoint(last_path, payload)
    if bad_total:
        warnings.warn(f"training skipped {bad_total} bad file(s)", stacklevel=2)
    if not best_path.exists():
        raise RuntimeError(f"{out_dir}: no epoch was trained (epochs={config.epochs}, max_steps={config.max_steps})")
    return TrainReport(str(best_path), str(last_path), len(history), steps, best_epoch,
                       {k: float(v) for k, v in best_val.items()}, stopped_early, resumed,
                       time.perf_counter() - t0, history)
