"""Evaluate any detector over a dataset's splits, optionally under an attack, into metrics."""

from __future__ import annotations

import warnings
from typing import Any, Iterator, Sequence

import torch
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from .contracts import Attack, SplitName, BaseDetector, DetectorProtocol, as_detector
from .data.tensors import SampleTensors, TensorProtocol, collate
from .metrics import (DEFAULT_THRESHOLD, IMAGE_SCORE_SOURCES, MetricState, add_detection_metrics,
                      warn_if_collapsed)
from .tiling import predict_within


class DetectorOutputError(RuntimeError):
    """A detector broke the contract: wrong shape, dtype or range of its heatmap."""


def move_detector(detector: BaseDetector, device: str) -> torch.device:
    """Put a detector on ``device``; return the device its inputs must be on (it may stay where it is)."""
    detector.to(device)
    return torch.device(detector.device)


def check_heatmap(heat: Any, images: torch.Tensor, name: str) -> torch.Tensor:
    """Return the heatmap if it meets the contract, else raise naming what is wrong."""
    expected = (images.shape[0], 1, images.shape[2], images.shape[3])
    if not isinstance(heat, torch.Tensor):
        raise DetectorOutputError(f"detector {name!r} returned {type(heat).__name__}, expected a tensor")
    if tuple(heat.shape) != expected:
        raise DetectorOutputError(f"detector {name!r} returned shape {tuple(heat.shape)}, expected {expected}")
    heat = heat.float()
    if not torch.isfinite(heat).all() or heat.min() < 0 or heat.max() > 1:
        raise DetectorOutputError(f"detector {name!r} returned values outside [0, 1] or not finite; "
                                  "predict must return probabilities")
    return heat


def loader(dataset: SampleTensors, batch_size: int, workers: int, shuffle: bool = False,
           seed: int = 0, drop_last: bool = False) -> DataLoader:
    generator = torch.Generator().manual_seed(seed)
    return DataLoader(dataset, batch_size=batch_size, shuffle=shuffle, num_workers=workers,
                      collate_fn=collate, generator=generator, drop_last=drop_last,
                      persistent_workers=False)


def predictions(detector: DetectorProtocol, data: SampleTensors, *, batch_size: int = 8, device: str = "cpu",
                workers: int = 0, desc: str = "", progress: bool = True, name: str = "detector",
                bad: list[str] | None = None) -> Iterator[tuple[dict, torch.Tensor]]:
    """Yield ``(batch, heatmap)`` over a dataset; bad files go to ``bad`` (skip mode).

    Batches of mixed sizes come padded (``batch["valid"]`` marks the real pixels); no detector call
    sees more than the protocol's ``max_pixels`` (see ``inpaintbench.tiling``).
    """
    detector = as_detector(detector)
    dev = move_detector(detector, device)
    protocol = data.protocol

    def checked(images: torch.Tensor) -> torch.Tensor:
        return check_heatmap(detector.predict(images), images, name)

    for batch in tqdm(loader(data, batch_size, workers), desc=desc, disable=not progress, leave=False, unit="batch"):
        if bad is not None:
            bad.extend(batch["bad"])
        if "image" not in batch:
            continue
        images = batch["image"].to(dev)
        with torch.no_grad():
            heat = predict_within(checked, images, protocol.max_pixels, protocol.tile_overlap)
        yield batch, heat


def evaluate_split(detector: DetectorProtocol, dataset, split: str, *, protocol: TensorProtocol,
                   batch_size: int = 8, device: str = "cpu", workers: int = 0, seed: int = 0,
                   on_bad: str = "error", attack: Attack | None = None, threshold: float = DEFAULT_THRESHOLD,
                   progress: bool = True, name: str = "detector") -> tuple[MetricState, list[str]]:
    """The metric state of one ``<split>/<kind>`` (image scores included) and the messages of skipped bad files."""
    detector = as_detector(detector)
    data = SampleTensors(dataset, dataset.records(split), protocol, attack=attack, seed=seed, on_bad=on_bad)
    state = MetricState(threshold=threshold)
    bad: list[str] = []
    for batch, heat in predictions(detector, data, batch_size=batch_size, device=device, workers=workers,
                                   desc=split, progress=progress, name=name, bad=bad):
        images, valid = batch["image"].to(heat.device), batch["valid"].to(heat.device)
        with torch.no_grad():  # the heatmap's padding is zeroed, so that a maximum sees real pixels only
            scores = detector.image_score(images, heat.masked_fill(~valid, 0.0))
        state.update(heat, batch["target"].to(heat.device), batch["id"], batch["manipulated"],
                     valid=valid, image_scores=scores)
    return state, bad


def evaluate(detector: DetectorProtocol, dataset, splits: Sequence[str] | None = None, *, protocol: TensorProtocol,
             batch_size: int = 8, device: str = "cpu", workers: int = 0, seed: int = 0, on_bad: str = "error",
             attack: Attack | None = None, threshold: float = DEFAULT_THRESHOLD, progress: bool = True,
             name: str = "detector") -> dict[str, dict[str, Any]]:
    """Metrics for each split (default: every ``test/<kind>`` split of the dataset)."""
    detector = as_detector(detector)
    splits = list(splits) if splits else [s for s in dataset.splits() if SplitName.parse(s).part == "test"]
    if not splits:
        raise ValueError(f"dataset {getattr(dataset, 'name', '?')} has no test split; splits: {dataset.splits()}")
    out: dict[str, dict[str, Any]] = {}
    states: dict[str, MetricState] = {}
    for split in splits:
        state, bad = evaluate_split(detector, dataset, split, protocol=protocol, batch_size=batch_size,
                                    device=device, workers=workers, seed=seed, on_bad=on_bad, attack=attack,
                                    threshold=threshold, progress=progress, name=name)
        states[split] = state
        metrics = {"role": SplitName.parse(split).role, **state.compute()}
        metrics["n_skipped"] = len(bad)
        if bad:
            warnings.warn(f"{split}: skipped {len(bad)} bad file(s), first: {bad[0]}", stacklevel=2)
        warn_if_collapsed(metrics, f"{name} on {split}")
        out[split] = metrics
    add_detection_metrics(out, states, IMAGE_SCORE_SOURCES[detector.has_image_score])
    return out
