"""The common trainer: sigmoid focal loss, Adam, early stopping on validation IoU, resumable checkpoints."""

from __future__ import annotations

import io
import math
import random
import time
import warnings
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torchvision.ops import sigmoid_focal_loss
from tqdm.auto import tqdm

from inpaintbench.evaluation._image_inputs import InputMaker
from inpaintbench.evaluation._tensors import SampleTensors
from inpaintbench.evaluation.harness import evaluate_split, loader, split_rule_note
from inpaintbench.evaluation.metrics import confusion_counts, counts_iou, warn_if_collapsed
from inpaintbench.evaluation.protocol import Execution, Protocol
from inpaintbench.io import distributed
from inpaintbench.io._atomic import atomic_write_bytes, remove_stale_temps
from inpaintbench.io._feature_cache import FeatureCache
from inpaintbench.io._fingerprint import data_change, data_fingerprint
from inpaintbench.io._paths import portable_path
from inpaintbench.io._runlock import RunLock
from inpaintbench.sdk import read_weights
from inpaintbench.sdk.contracts import KINDS, Card, Sample, SplitName, as_detector, kind_role, pooled_logit
from inpaintbench.sdk.errors import CheckpointError, ConfigError, NotTrainable
from inpaintbench.training._checkpoints import load_weights
from inpaintbench.training._crops import CropTensors, describe_crops

CHECKPOINT_FORMAT = "inpaintbench-checkpoint-1"

#: Focal-loss alpha weights the positive (inpainted) class. torchvision's 0.25 down-weights the
#: rare positives and collapsed to all-empty predictions on small masks; 0.75 favours them.
DEFAULT_FOCAL_ALPHA = 0.75
DEFAULT_FOCAL_GAMMA = 2.0
#: The image-level loss is off by default: on a tiny synthetic task (README, Training) weight 0.1
#: lowered IoU while the pooled score already separated the images perfectly without it.
DEFAULT_IMAGE_LOSS_WEIGHT = 0.0
#: Steps between reads of the running loss and IoU for the progress bar: the only host syncs of an epoch.
SYNC_EVERY = 25


#: Settings a detector's card may recommend, with the value used when neither the caller nor the card
#: gives one. In ``TrainConfig`` they default to ``None``: "not given".
FALLBACKS: dict[str, float] = {"lr": 1e-4, "focal_alpha": DEFAULT_FOCAL_ALPHA, "focal_gamma": DEFAULT_FOCAL_GAMMA,
                               "crop": 256}


@dataclass
class TrainConfig:
    """Everything that decides a training run; recorded in checkpoints and results.

    ``lr``, ``focal_alpha``, ``focal_gamma`` and ``crop`` left at ``None`` are filled by ``resolve``
    from the detector card's recommendation, else from ``FALLBACKS``; ``train`` resolves every config
    it gets. ``crop`` is the side of the random training crops at the stored scale (0: whole images);
    ``train_kinds`` ``None`` means every kind in the train split, authentic images included.
    """

    epochs: int = 10
    batch_size: int = 8
    lr: float | None = None
    focal_alpha: float | None = None
    focal_gamma: float | None = None
    crop: int | None = None
    augment: tuple[str, ...] = ()
    patience: int = 5
    seed: int = 0
    device: str = "cpu"
    workers: int = 0
    max_steps: int | None = None
    #: Wall-clock budget of the run in minutes (training steps, validation and checkpoints; resumed runs
    #: add up): training stops at the first step that ends past it. ``None``: no time limit.
    max_minutes: float | None = None
    train_kinds: tuple[str, ...] | None = None
    amp: bool = True
    on_bad: str = "error"
    resume: bool = True
    progress: bool = True
    transform: Callable[[Sample, np.random.Generator], Sample] | None = None
    #: Weight of the image-level loss (BCE of the pooled logit against "image is manipulated"), applied
    #: only when authentic images are in training; 0 turns it off.
    image_loss_weight: float = DEFAULT_IMAGE_LOSS_WEIGHT
    #: The settings that came from the detector card (filled by ``resolve``).
    from_card: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.max_minutes is not None and not self.max_minutes > 0:
            raise ConfigError(f"max_minutes must be > 0, not {self.max_minutes}")
        if self.max_steps is not None and self.max_steps < 1:
            raise ConfigError(f"max_steps must be >= 1, not {self.max_steps}")

    def resolve(self, card: Card | None) -> TrainConfig:
        """This config with every unset recommendable setting taken from ``card.training``, else the fallback."""
        recommended = dict(card.training) if card is not None else {}
        unknown = sorted(set(recommended) - set(FALLBACKS))
        if unknown:
            raise ValueError(f"card recommends unknown training settings {unknown}; known: {sorted(FALLBACKS)}")
        filled: dict[str, Any] = {}
        from_card = list(self.from_card)
        for key, fallback in FALLBACKS.items():
            if getattr(self, key) is not None:
                continue
            if key in recommended:
                filled[key] = type(fallback)(recommended[key])
                from_card.append(key)
            else:
                filled[key] = fallback
        return replace(self, **filled, from_card=tuple(from_card))

    def validation_run(self) -> Execution:
        """How validation runs: this training's batch size, device, workers, seed and bad-file rule, quietly."""
        return Execution(batch_size=self.batch_size, device=self.device, workers=self.workers, seed=self.seed,
                         on_bad=self.on_bad, progress=False)

    def record(self) -> dict[str, Any]:
        out = {k: v for k, v in asdict(self).items() if k not in ("transform", "progress")}
        out["train_kinds"] = list(self.train_kinds) if self.train_kinds else None
        out["augment"] = list(self.augment)
        out["from_card"] = list(self.from_card)
        out["transform"] = repr(self.transform) if self.transform else None
        return out


@dataclass
class TrainReport:
    """What a finished run did; ``record()`` is what results store under ``training``."""

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
    #: Why training stopped, in words (the epochs, the step budget, the patience, or nothing left to do).
    stop_reason: str = ""
    #: The resolved config (card recommendations filled in), as recorded in the checkpoints.
    config: dict[str, Any] = field(default_factory=dict)
    #: What was trained on: images per kind, crops and augmentations.
    data: dict[str, Any] = field(default_factory=dict)
    #: Wall-clock minutes of training over all runs into the folder (resumes add up), as the budget counts them.
    minutes: float = 0.0
    #: What ended training: ``epochs``, ``max_steps``, ``max_minutes`` or ``patience``.
    stopped_by: str = "epochs"

    def record(self) -> dict[str, Any]:
        return {"config": self.config, "data": self.data, "epochs_run": self.epochs_run, "steps": self.steps,
                "best_epoch": self.best_epoch, "best_val": self.best_val, "stopped_early": self.stopped_early,
                "stop_reason": self.stop_reason, "stopped_by": self.stopped_by, "best_checkpoint": self.best_checkpoint,
                "last_checkpoint": self.last_checkpoint, "resumed_from_epoch": self.resumed_from_epoch,
                "seconds": self.seconds, "minutes": round(self.minutes, 3), "history": self.history}


def dataset_label(dataset: Any) -> str:
    """``name@root`` of a dataset (``name`` alone when it has no folder), as training records name it."""
    info = dataset.info()
    name = info.get("name") or dataset.name
    return f"{name}@{portable_path(info['root'])}" if info.get("root") else str(name)


def epoch_line(row: dict[str, Any], epochs: int) -> str:
    """An epoch's history row as printed: ``epoch 2/10: steps=.. train_loss=.. ...``, counted from 1 as the
    progress bar and the final summary count (the history records the 0-based index)."""
    rest = " ".join(f"{k}={v:.4f}" if isinstance(v, float) else f"{k}={v}" for k, v in row.items() if k != "epoch")
    return f"epoch {row['epoch'] + 1}/{epochs}: {rest}"


def refuse_evaluation_only(dataset: Any) -> None:
    """Refuse, in one line, a dataset whose ``info()`` declares it for evaluation only (``wild``), and why."""
    reason = dataset.info().get("evaluation_only")
    if reason:
        name = getattr(dataset, "name", "") or dataset.info().get("name", "?")
        raise ConfigError(f"dataset {name!r} is for evaluation only ({reason}): train on another dataset, then "
                          f"evaluate the checkpoint on {name!r} (`evaluate --checkpoint PATH --dataset {name}`)")


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
    payload = read_weights(path, "checkpoint", map_location)
    if isinstance(payload, dict) and payload.get("format") == CHECKPOINT_FORMAT:
        return payload
    if isinstance(payload, dict) and all(isinstance(v, torch.Tensor) for v in payload.values()):
        return {"format": CHECKPOINT_FORMAT, "state_dict": payload, "detector": None, "options": {}}
    raise CheckpointError(f"{path}: neither an inpaintbench checkpoint nor a state dict")


def train_kinds(dataset, requested: tuple[str, ...] | None) -> list[str]:
    """The kinds to train on: as requested, else every kind in the train split, authentic ones
    (all-zero target) included; at least one must be manipulated."""
    present = [SplitName.parse(s).kind for s in dataset.splits() if SplitName.parse(s).part == "train"]
    if requested:
        missing = [k for k in requested if k not in present]
        if missing:
            raise ConfigError(f"train kinds {missing} are not in the dataset's train split; present: {present}")
        kinds = list(requested)
    else:
        kinds = [k for k in present if k in KINDS]
    if not present:
        raise ConfigError(f"dataset {dataset.name} has no train split; splits: {', '.join(dataset.splits())}"
                          f"{split_rule_note(dataset)}")
    if not any(kind_role(k) == "manipulated" for k in kinds):
        raise ConfigError(f"dataset {dataset.name}: no manipulated kind to train on among {kinds}; "
                          f"splits: {dataset.splits()}")
    return kinds


def focal_loss(logits: torch.Tensor, target: torch.Tensor, valid: torch.Tensor, alpha: float,
               gamma: float) -> torch.Tensor:
    """Sigmoid focal loss averaged over the valid (unpadded) pixels only."""
    loss = sigmoid_focal_loss(logits, target, alpha=alpha, gamma=gamma, reduction="none")
    return (loss * valid).sum() / valid.sum().clamp_min(1)


def image_loss(logits: torch.Tensor, valid: torch.Tensor, manipulated: torch.Tensor, fraction: float) -> torch.Tensor:
    """BCE of each image's pooled logit (``contracts.pooled_logit`` over its valid pixels) against
    whether the image is manipulated, averaged over the batch."""
    pooled = pooled_logit(logits, valid, fraction)
    return F.binary_cross_entropy_with_logits(pooled, manipulated.to(pooled.dtype))


def _val_score(metrics: dict[str, float]) -> tuple[float, float]:
    """Early-stopping key: validation IoU, ties broken by pixel AUC (visible progress before IoU moves)."""
    iou, auc = metrics.get("iou", 0.0), metrics.get("auc", 0.0)
    return (0.0 if math.isnan(iou) else iou, 0.0 if math.isnan(auc) else auc)


@dataclass
class Progress:
    """Where a run stands after an epoch; saved in ``last.pt`` and restored on resume."""

    next_epoch: int = 0
    steps: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    best_key: tuple[float, float] = (-1.0, -1.0)
    best_epoch: int = -1
    best_val: dict[str, float] = field(default_factory=dict)
    resumed_from_epoch: int | None = None
    #: Minutes the runs before this one used (restored on resume).
    minutes_before: float = 0.0


class Trainer:
    """One training run in steps: ``resume``, then per epoch ``train_epoch``, ``validate``, ``checkpoint``."""

    def __init__(self, detector, dataset, config: TrainConfig, protocol: Protocol, out_dir: str | Path,
                 name: str = "detector", clock: Callable[[], float] = time.monotonic) -> None:
        refuse_evaluation_only(dataset)
        self.detector = as_detector(detector)
        #: Seconds on a monotonic clock; what ``max_minutes`` is measured with (tests pass a fake one).
        self.clock = clock
        self.started: float | None = None
        if not self.detector.trainable:
            raise NotTrainable(f"detector {name!r} is not trainable: it exposes no torch module")
        self.config = config.resolve(self.detector.card)
        self.dataset, self.protocol, self.name = dataset, protocol, name
        self.out_dir = Path(out_dir)
        self.out_dir.mkdir(parents=True, exist_ok=True)
        self.best_path, self.last_path = self.out_dir / "best.pt", self.out_dir / "last.pt"
        seed_everything(self.config.seed)
        self.device = torch.device(self.config.device)
        self.detector.to(self.device)
        self.optimizer = torch.optim.Adam(self.detector.module.parameters(), lr=self.config.lr)
        self.use_amp = self.config.amp and self.device.type == "cuda"
        self.scaler = torch.amp.GradScaler("cuda", enabled=self.use_amp)
        self.kinds = train_kinds(dataset, self.config.train_kinds)
        records = [r for k in self.kinds for r in dataset.records(f"train/{k}")]
        inputs = self.detector.image_inputs()  # fixed maps of the whole image, cached (e.g. the trace)
        self.inputs = InputMaker(inputs, self.device, FeatureCache()) if inputs else None
        samples = SampleTensors(dataset, records, protocol, seed=self.config.seed, on_bad=self.config.on_bad,
                                transform=self.config.transform,
                                inputs=self.inputs.on("cpu") if self.inputs and self.config.workers else self.inputs)
        self.data = CropTensors(samples, self.config.crop or None, self.config.augment, self.config.seed)
        # one loader for the whole run (persistent workers on CUDA); under torchrun each rank draws its share
        self.sampler = distributed.EpochSampler(self.data, distributed.world_size(), distributed.rank(),
                                                shuffle=True, seed=self.config.seed)
        self.batches = loader(distributed.EpochItems(self.data), self.config.workers, self.config.device,
                              batch_size=self.config.batch_size, sampler=self.sampler)
        self.forward = self.detector.logits
        authentic = any(kind_role(k) == "authentic" for k in self.kinds)
        self.image_loss_weight = self.config.image_loss_weight if authentic else 0.0
        self.image_topk = float(self.detector.image_topk)
        self.used = {"dataset": dataset_label(dataset),
                     "kinds": {k: len(dataset.records(f"train/{k}")) for k in self.kinds},
                     **describe_crops(self.data.size, self.data.augment),
                     "image_loss": (f"BCE of the mean of the top {self.image_topk:.0%} logits against manipulated, "
                                    f"weight {self.image_loss_weight:g}" if self.image_loss_weight else
                                    "off: " + ("weight 0" if authentic else "no authentic images in training"))}
        if self.inputs:
            self.used["image_inputs"] = self.inputs.record()
        self.identity = {"detector": name, "options": dict(self.detector.info().get("options", {})),
                         "data_fingerprint": data_fingerprint(dataset)}
        self.bad_files = 0

    def resume(self) -> Progress:
        """The progress saved in ``last.pt`` (weights, optimizer and RNG restored), else a fresh start.
        Under torchrun rank 0 reads it and every rank gets its content."""
        ckpt = distributed.on_main(lambda: load_checkpoint(self.last_path, map_location="cpu")
                                   if self.config.resume and self.last_path.exists() else None)
        if ckpt is None:
            return Progress()
        if ckpt.get("detector") != self.name or ckpt.get("options") != self.identity["options"]:
            raise CheckpointError(f"{self.last_path}: was written for {ckpt.get('detector')} {ckpt.get('options')}, "
                                  f"not {self.name} {self.identity['options']}; "
                                  "use another output folder or --no-resume")
        changed = data_change(ckpt.get("data_fingerprint"), self.identity["data_fingerprint"])
        if changed:
            raise CheckpointError(f"{self.last_path}: cannot resume on this data: {changed}; "
                                  "use another output folder or --no-resume")
        load_weights(self.detector, ckpt["state_dict"], str(self.last_path))
        self.optimizer.load_state_dict(ckpt["optimizer"])
        torch.set_rng_state(ckpt["rng"])
        return Progress(ckpt["epoch"] + 1, ckpt["steps"], list(ckpt["history"]), tuple(ckpt["best_key"]),
                        ckpt["best_epoch"], dict(ckpt["best_val"]), resumed_from_epoch=ckpt["epoch"],
                        minutes_before=float(ckpt.get("minutes", 0.0)))

    def minutes(self, progress: Progress) -> float:
        """Wall-clock minutes of training so far: earlier runs' and this one's since ``_run`` started."""
        now = 0.0 if self.started is None else (self.clock() - self.started) / 60.0
        return progress.minutes_before + now

    def budget_spent(self, progress: Progress) -> str | None:
        """Which budget is spent (``max_steps`` or ``max_minutes``), ``None`` while neither is."""
        if self.config.max_steps is not None and progress.steps >= self.config.max_steps:
            return "max_steps"
        if self.config.max_minutes is not None and self.minutes(progress) >= self.config.max_minutes:
            return "max_minutes"
        return None

    def prepare_inputs(self) -> float:
        """Compute and cache the image inputs of every stored train and val image (on the training device,
        here) before the clock starts, so that a budget buys training steps alike for every model;
        returns the seconds it took (all but nothing when they are cached)."""
        if not self.inputs:
            return 0.0
        t0 = time.perf_counter()
        self.data.data.with_inputs(self.inputs).prefill_inputs()  # a no-op under a random transform
        for split in self.val_splits():
            SampleTensors(self.dataset, self.dataset.records(split), self.protocol, seed=self.config.seed,
                          on_bad=self.config.on_bad, inputs=self.inputs).prefill_inputs()
        return time.perf_counter() - t0

    def val_splits(self) -> list[str]:
        return [f"val/{k}" for k in self.kinds if f"val/{k}" in self.dataset.splits()]

    def train_epoch(self, epoch: int, progress: Progress) -> dict[str, Any]:
        """One pass over the train split (or up to ``max_steps``); returns the epoch's loss and pooled IoU."""
        config, detector, device = self.config, self.detector, self.device
        detector.module.train()
        self.sampler.set_epoch(epoch)
        shown = config.progress and distributed.is_main()
        bar = tqdm(self.batches, desc=f"epoch {epoch + 1}/{config.epochs}", disable=not shown, unit="batch")
        # running sums stay on the device: no host sync per step
        loss_sum = torch.zeros((), dtype=torch.float64, device=device)
        counts = torch.zeros(1, 4, dtype=torch.long, device=device)
        n_batches = 0
        #: The budget (``max_steps``, ``max_minutes``) that ended this epoch before its last batch, if any.
        self.cut_short: str | None = None
        for batch in bar:
            self.bad_files += len(batch["bad"])
            if "image" not in batch:
                continue
            images = batch["image"].to(device, non_blocking=True)
            target = batch["target"].to(device, non_blocking=True)
            valid = batch["valid"].to(device, non_blocking=True)
            manipulated = torch.as_tensor(batch["manipulated"], dtype=torch.bool, device=device)
            inputs = ({k: v.to(device, non_blocking=True) for k, v in batch["inputs"].items()}
                      if "inputs" in batch else None)
            logits, loss = self.step(images, target, valid, manipulated, inputs)
            progress.steps += 1
            n_batches += 1
            loss_sum += loss.detach().double()
            counts += confusion_counts(torch.sigmoid(logits.detach().float()), target,
                                       valid=valid).sum(0, keepdim=True)
            if shown and n_batches % SYNC_EVERY == 0:
                bar.set_postfix(loss=f"{float(loss_sum) / n_batches:.4f}", iou=f"{float(counts_iou(counts)[0]):.3f}")
            self.cut_short = self.budget_spent(progress)
            if self.cut_short:
                break
        # the epoch's figures over all ranks' batches
        totals = distributed.all_sum(torch.stack([loss_sum, torch.tensor(float(n_batches), device=device,
                                                                          dtype=torch.float64)]))
        counts = distributed.all_sum(counts).cpu()
        return {"epoch": epoch, "steps": progress.steps, "train_loss": float(totals[0]) / max(1.0, float(totals[1])),
                "train_iou_pooled": float(counts_iou(counts)[0])}

    def step(self, images: torch.Tensor, target: torch.Tensor, valid: torch.Tensor, manipulated: torch.Tensor,
             inputs: dict[str, torch.Tensor] | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """One optimizer step on a batch (with its image inputs, when the detector declares any); returns
        its logits and the loss: the focal loss over valid pixels plus, when authentic images are in
        training, the weighted image-level loss."""
        with torch.autocast(device_type=self.device.type, dtype=torch.float16, enabled=self.use_amp):
            logits = self.forward(images) if inputs is None else self.forward(images, inputs)
        loss = focal_loss(logits.float(), target, valid, self.config.focal_alpha, self.config.focal_gamma)
        if self.image_loss_weight:
            loss = loss + self.image_loss_weight * image_loss(logits.float(), valid, manipulated, self.image_topk)
        self.optimizer.zero_grad(set_to_none=True)
        self.scaler.scale(loss).backward()
        self.scaler.step(self.optimizer)
        self.scaler.update()
        return logits, loss

    def validate(self) -> dict[str, float] | None:
        """Metrics over every ``val/<kind>`` split of the trained kinds, or ``None`` without one; under
        torchrun measured on all ranks together and rank 0's figures given to all, so that every rank
        takes the same early-stopping decision."""
        splits = self.val_splits()
        if not splits:
            return None
        config, state = self.config, None
        for split in splits:
            part, _ = evaluate_split(self.detector, self.dataset, split, protocol=self.protocol,
                                     run=config.validation_run(), name=self.name)
            state = part if state is None else state.merge(part)
        return distributed.broadcast(state.compute())

    def record_epoch(self, row: dict[str, Any], val: dict[str, float] | None, progress: Progress) -> bool:
        """Add the epoch to the history and the best-so-far; returns whether it improved."""
        epoch = row["epoch"]
        if val is not None:
            row.update({f"val_{k}": val[k] for k in ("iou", "f1", "f1_best", "auc", "empty_prediction_rate", "fpr")
                        if k in val})
            warn_if_collapsed(val, f"{self.name} validation after epoch {epoch + 1}")
            key = _val_score(val)
        else:
            key = (float(epoch), 0.0)  # no validation split: the latest epoch is the best one
        progress.history.append(row)
        progress.next_epoch = epoch + 1
        if self.config.progress and distributed.is_main():
            tqdm.write(epoch_line(row, self.config.epochs))
        if key > progress.best_key:
            progress.best_key, progress.best_epoch, progress.best_val = key, epoch, (val or {})
            return True
        return False

    def checkpoint(self, progress: Progress, improved: bool) -> None:
        """Write ``last.pt`` (and ``best.pt`` when the epoch improved), atomically, on rank 0 alone; the
        other ranks wait until it is written."""
        if not distributed.is_main():
            distributed.barrier()
            return
        payload = {"format": CHECKPOINT_FORMAT, **self.identity, "state_dict": self.detector.state_dict(),
                   "optimizer": self.optimizer.state_dict(), "epoch": progress.next_epoch - 1,
                   "steps": progress.steps, "history": progress.history, "best_key": list(progress.best_key),
                   "best_epoch": progress.best_epoch,
                   "best_val": {k: float(v) for k, v in progress.best_val.items()}, "rng": torch.get_rng_state(),
                   "minutes": self.minutes(progress),
                   "config": self.config.record(), "data": self.used, "protocol": self.protocol.input_record()}
        if improved:
            save_checkpoint(self.best_path, payload)
        save_checkpoint(self.last_path, payload)
        distributed.barrier()

    def run(self) -> TrainReport:
        """Under the run folder's lock: clear temporary files a killed run left, resume, and train epoch
        by epoch until the epochs, the step budget or the patience run out. Under torchrun rank 0, the
        one that writes the folder, holds the lock for all ranks."""
        if not distributed.is_main():
            distributed.barrier()  # wait until rank 0 holds the lock
            return self._run()
        with RunLock(self.out_dir, f"a training run of {self.name}"):
            remove_stale_temps(self.out_dir)
            distributed.barrier()
            return self._run()

    def _run(self) -> TrainReport:
        progress = self.resume()
        self.forward = distributed.ddp_logits(self.detector, self.device)
        self.used["image_inputs_seconds"] = round(self.prepare_inputs(), 1) if self.inputs else None
        t0 = time.perf_counter()
        self.started = self.clock()
        stopped_by, first = "epochs", progress.next_epoch
        self.cut_short = None
        for epoch in range(progress.next_epoch, self.config.epochs):
            spent = self.budget_spent(progress)
            if spent:
                stopped_by = spent
                break
            if progress.best_epoch >= 0 and epoch - progress.best_epoch > self.config.patience:
                stopped_by = "patience"
                break
            row = self.train_epoch(epoch, progress)
            row["minutes"] = round(self.minutes(progress), 3)
            improved = self.record_epoch(row, self.validate(), progress)
            self.checkpoint(progress, improved)
        else:  # every epoch ran; a budget ended training only if it cut the last one short
            stopped_by = self.cut_short or "epochs"
        self.bad_files = int(distributed.all_sum(torch.tensor(self.bad_files, device=self.device)))
        if self.bad_files and distributed.is_main():
            warnings.warn(f"training skipped {self.bad_files} bad file(s)", stacklevel=3)
        if not distributed.on_main(self.best_path.exists):
            raise ConfigError(f"{self.out_dir}: no epoch was trained (epochs={self.config.epochs}, "
                              f"max_steps={self.config.max_steps})")
        return TrainReport(str(self.best_path), str(self.last_path), len(progress.history), progress.steps,
                           progress.best_epoch, {k: float(v) for k, v in progress.best_val.items()},
                           stopped_by == "patience", progress.resumed_from_epoch, time.perf_counter() - t0,
                           progress.history, self.stop_reason(progress, stopped_by, first), self.config.record(),
                           self.used, minutes=self.minutes(progress), stopped_by=stopped_by)

    def stop_reason(self, progress: Progress, stopped_by: str, first: int) -> str:
        """Why the run ended, in words; epochs counted from 1, as the progress bar shows them."""
        config, done = self.config, progress.next_epoch
        if stopped_by == "patience":
            return (f"early stop: no validation improvement for {config.patience} epoch(s) after the best, "
                    f"epoch {progress.best_epoch + 1} (--patience {config.patience})")
        if stopped_by == "max_steps":
            return f"step budget reached: {progress.steps} steps (--max-steps {config.max_steps})"
        if stopped_by == "max_minutes":
            return (f"time budget reached: {self.minutes(progress):.1f} min, {progress.steps} steps "
                    f"(--max-minutes {config.max_minutes:g})")
        if first >= config.epochs:
            return f"nothing left to do: resumed after epoch {done} of {config.epochs} (--epochs)"
        return f"all {config.epochs} epoch(s) done (--epochs {config.epochs})"


def train(detector, dataset, config: TrainConfig, protocol: Protocol, out_dir: str | Path,
          name: str = "detector") -> TrainReport:
    """Train ``detector.module`` on the dataset's train split, validating on ``val`` each epoch.

    Writes ``last.pt`` every epoch and ``best.pt`` on improvement (atomically); with
    ``config.resume`` a run interrupted at any point continues from ``last.pt``. Unset settings
    come from the detector card's recommendation (``TrainConfig.resolve``).
    """
    return Trainer(detector, dataset, config, protocol, out_dir, name).run()
