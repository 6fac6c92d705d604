"""Evaluate any detector over a dataset's splits, optionally under an attack, into metrics."""

from __future__ import annotations

import os
import warnings
from collections import Counter
from collections.abc import Iterator, Sequence
from typing import Any

import torch
from torch.utils.data import DataLoader, Dataset
from tqdm.auto import tqdm

from inpaintbench.evaluation._extremes import Extremes
from inpaintbench.evaluation._tensors import SampleTensors, as_float, collate, with_image_inputs
from inpaintbench.evaluation._tiling import predict_within
from inpaintbench.evaluation.metric_presets import DEFAULT_CONVENTION
from inpaintbench.evaluation.metrics import (
    MetricState,
    add_detection_metrics,
    gather_state,
    warn_if_collapsed,
)
from inpaintbench.evaluation.protocol import DEFAULT_EXECUTION, DEFAULT_PROTOCOL, Execution, Protocol
from inpaintbench.evaluation.slices import ImageInfo, SplitImages
from inpaintbench.io import distributed
from inpaintbench.sdk.contracts import BaseDetector, DetectorProtocol, SplitName, as_detector
from inpaintbench.sdk.errors import USER_ERRORS, ConfigError, PluginFailure


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


def default_workers(device: str) -> int:
    """The automatic ``--workers``: on CUDA ``min(8, cores per process)``, so decoding overlaps the GPU;
    on the CPU 0, where worker processes would take cores from the forward pass they feed."""
    if torch.device(device).type != "cuda":
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(8, cores // distributed.local_world_size()))


def loader(dataset: Dataset, workers: int, device: str = "cpu", **batching: Any) -> DataLoader:
    """A DataLoader with the benchmark's collate; on CUDA with pinned memory and persistent workers.
    ``batching`` is ``batch_size``/``sampler`` or ``batch_sampler``, as ``DataLoader`` takes them."""
    cuda = torch.device(device).type == "cuda"
    return DataLoader(dataset, num_workers=workers, collate_fn=collate, pin_memory=cuda,
                      persistent_workers=cuda and workers > 0, **batching)


def predictions(detector: DetectorProtocol, data: SampleTensors, *, batch_size: int = 8, device: str = "cpu",
                workers: int = 0, desc: str = "", progress: bool = True, name: str = "detector",
                bad: list[str] | None = None, shard: bool = False,
                tally: Counter | None = None) -> Iterator[tuple[dict, torch.Tensor]]:
    """Yield ``(batch, heatmap)`` over a dataset; bad files go to ``bad`` (skip mode). With ``shard``
    under torchrun, over this rank's share of the batches only (``distributed.EvalBatches``). ``tally``,
    when given, counts this process's image inputs ``computed`` and read ``from_cache`` (timings differ
    by the cost of the inputs: an autoencoder trace read from the feature cache costs next to nothing).

    Batches of mixed sizes come padded (``batch["valid"]`` marks the real pixels); no detector call
    sees more than the protocol's ``max_pixels`` (see ``inpaintbench.evaluation._tiling``).
    """
    detector = as_detector(detector)
    dev = move_detector(detector, device)
    protocol = data.protocol
    data = with_image_inputs(data, detector, dev, workers)
    channels = {inp.name: inp.channels for inp in detector.image_inputs()}

    def checked(stack: torch.Tensor) -> torch.Tensor:  # uint8 images become float call by call (tile by tile)
        images, inputs = split_inputs(stack, channels)
        images = as_float(images)
        heat = detector.predict(images) if inputs is None else detector.predict(images, inputs)
        return check_heatmap(heat, images, name)

    batches = (distributed.EvalBatches(len(data), batch_size, distributed.rank(), distributed.world_size())
               if shard else distributed.EvalBatches(len(data), batch_size))
    for batch in tqdm(loader(data, workers, device, batch_sampler=batches), desc=desc, leave=False, unit="batch",
                      disable=not (progress and distributed.is_main())):
        if bad is not None:
            bad.extend(batch["bad"])
        if "image" not in batch:
            continue
        # the image inputs travel as extra channels, so that chunks and tiles cut them with the image
        images = (torch.cat([as_float(batch["image"]), *(batch["inputs"][n] for n in channels)], 1) if channels
                  else batch["image"]).to(dev, non_blocking=True)
        try:
            with torch.no_grad():
                if detector.observes_files:
                    heat = predict_observed(detector, checked, images, batch, protocol)
                else:
                    heat = predict_within(checked, images, protocol.max_pixels, protocol.tile_overlap)
        except (*USER_ERRORS, DetectorOutputError):
            raise
        except Exception as exc:  # the detector's own failure: name it and the files, traceback under --debug
            raise PluginFailure(f"detector {name!r} failed on {batch_files(batch)}: "
                                f"{type(exc).__name__}: {exc}") from exc
        yield batch, heat
    if tally is not None and data.inputs:
        tally.update(computed=data.inputs.misses, from_cache=data.inputs.hits)


def split_inputs(stack: torch.Tensor, channels: dict[str, int]) -> tuple[torch.Tensor, dict[str, torch.Tensor] | None]:
    """``[B, 3 + sum(channels), H, W]`` -> the images and ``{name: [B, C, H, W]}`` (``None`` without inputs)."""
    if not channels:
        return stack, None
    parts = stack.split([3, *channels.values()], 1)
    return parts[0], dict(zip(channels, parts[1:]))


def predict_observed(detector: BaseDetector, predict, images: torch.Tensor, batch: dict,
                     protocol: Protocol) -> torch.Tensor:
    """For a detector that observes files: image by image, each cut to its own size (no batch padding),
    after ``detector.observe([its file facts])``; padded pixels of the result are 0."""
    heat = images.new_zeros((images.shape[0], 1, *images.shape[2:]), dtype=torch.float32)  # images may be uint8
    files = batch.get("file") or [None] * images.shape[0]
    for i, (h, w) in enumerate(batch["size"]):
        detector.observe([files[i]] if files[i] is not None else [])
        heat[i:i + 1, :, :h, :w] = predict_within(predict, images[i:i + 1, :, :h, :w], protocol.max_pixels,
                                                   protocol.tile_overlap)
    return heat


def batch_files(batch: dict, shown: int = 2) -> str:
    """The files of a batch for a message: ``a.webp, b.webp and 6 more``."""
    files = batch.get("path") or batch.get("id") or []
    more = f" and {len(files) - shown} more" if len(files) > shown else ""
    return ", ".join(str(f) for f in files[:shown]) + more


@torch.no_grad()
def image_scores(detector: BaseDetector, images: torch.Tensor, heat: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Each image's score ``[B]``, never seeing batch padding. Without ``has_image_score`` it is the
    maximum of the image's valid heatmap (``BaseDetector.image_score``, computed here without the
    images); else ``detector.image_score`` (on float images unless it declares it does not read them),
    an unpadded batch in one call, a padded one image by image, each cut to its own (top-left) valid
    region."""
    if not detector.has_image_score:  # no copy of an unpadded heatmap
        valid_heat = heat if bool(valid.all()) else heat.masked_fill(~valid, float("-inf"))
        return valid_heat.flatten(1).amax(1)
    given = as_float if detector.image_score_reads_images else (lambda x: x)  # no float copy it would not read
    if bool(valid.all()):
        return detector.image_score(given(images), heat).flatten()
    scores = []
    for i in range(images.shape[0]):
        h, w = int(valid[i, 0, :, 0].sum()), int(valid[i, 0, 0, :].sum())
        scores.append(detector.image_score(given(images[i:i + 1, :, :h, :w]), heat[i:i + 1, :, :h, :w]).flatten())
    return torch.cat(scores)


def evaluate_split(detector: DetectorProtocol, dataset, split: str, *, protocol: Protocol = DEFAULT_PROTOCOL,
                   run: Execution = DEFAULT_EXECUTION, name: str = "detector", infos: list[ImageInfo] | None = None,
                   presets: bool = False, extremes: Extremes | None = None,
                   tally: Counter | None = None) -> tuple[MetricState, list[str]]:
    """The metric state of one ``<split>/<kind>`` (image scores included) and the messages of skipped bad
    files, measured under ``protocol`` (its attack included) and run as ``run`` says; ``infos``, when
    given, receives each measured image's ``ImageInfo`` in the state's order; ``presets`` keeps what the
    field's conventions other than ours need (``MetricState.presets``); ``extremes``, when given, keeps
    the pixels of the images a gallery may show, in the same pass (``Extremes.merged`` gathers the ranks');
    ``tally`` counts the image inputs computed and read from the cache (``predictions``).

    At the stored size images travel as uint8 and targets as bool (``SampleTensors(stored=True)``), made
    float per detector call, so a large image is held once as uint8 beside one float32 heatmap.
    Under torchrun each rank predicts its share of the batches; the states, messages and infos of all
    ranks are gathered, so every rank returns those of the whole split, in dataset order."""
    detector = as_detector(detector)
    data = SampleTensors(dataset, dataset.records(split), protocol, seed=run.seed, on_bad=run.on_bad,
                         facts=detector.observes_files, stored=True)
    state = MetricState(threshold=protocol.threshold, presets=presets)
    bad: list[str] = []
    mine: list[ImageInfo] = []  # this rank's share of the infos
    for batch, heat in predictions(detector, data, batch_size=run.batch_size, device=run.device,
                                   workers=run.workers, desc=split, progress=run.progress, name=name, bad=bad,
                                   shard=True, tally=tally):
        images, valid = batch["image"].to(heat.device), batch["valid"].to(heat.device)
        scores = image_scores(detector, images, heat, valid)
        state.update(heat, batch["target"].to(heat.device), batch["id"], batch["manipulated"],
                     valid=valid, image_scores=scores)
        if extremes is not None:
            extremes.offer(batch, heat, state.counts[-1], state.hists[-1])
        if infos is not None:
            mine.extend(ImageInfo(sid, split, kind, index, h, w, columns) for sid, kind, index, (h, w), columns
                        in zip(batch["id"], batch["kind"], batch["index"], batch["size"], batch["columns"]))
    if infos is not None:
        infos.extend(info for part in distributed.all_gather(mine) for info in part)
    return gather_state(state), [msg for part in distributed.all_gather(bad) for msg in part]


def evaluate(detector: DetectorProtocol, dataset, splits: Sequence[str] | None = None, *,
             protocol: Protocol = DEFAULT_PROTOCOL, run: Execution = DEFAULT_EXECUTION, name: str = "detector",
             per_image: dict[str, SplitImages] | None = None,
             gallery: tuple[int, str] | None = None, tally: Counter | None = None) -> dict[str, dict[str, Any]]:
    """Metrics for each split (default: every ``test/<kind>`` split of the dataset) under ``protocol``;
    ``per_image``, when given, receives each split's metric state and image infos (for records, slices
    and galleries) and, with ``gallery = (k, metric)``, the pixels of its k worst and k best candidates
    by that metric (``Extremes``), kept in the same pass; ``tally`` counts the image inputs computed and
    read from the feature cache in every pass (``predictions``).

    ``protocol.image_threshold_from == "val"`` also scores the clean ``val/<kind>`` splits of the
    manipulated kinds evaluated and the val authentic split (one more prediction pass over them) to
    choose the threshold of ``image_bacc`` (only when an authentic split is evaluated, without which
    there is no ``image_bacc``); ``"fixed"`` uses 0.5. ``protocol.metrics_convention`` names whose pixel
    metrics each split gets (ours, or a preset of ``metric_presets``, which binarizes at 0.5).
    """
    detector = as_detector(detector)
    splits = list(splits) if splits else required_test_splits(dataset)
    out: dict[str, dict[str, Any]] = {}
    states: dict[str, MetricState] = {}
    for split in splits:
        infos: list[ImageInfo] = []
        extremes = Extremes(*gallery) if gallery is not None and per_image is not None else None
        state, bad = evaluate_split(detector, dataset, split, protocol=protocol, run=run, name=name, infos=infos,
                                    presets=protocol.metrics_convention != DEFAULT_CONVENTION, extremes=extremes,
                                    tally=tally)
        states[split] = state
        if per_image is not None:
            per_image[split] = SplitImages(state, infos, extremes.merged() if extremes is not None else None)
        metrics = {"role": SplitName.parse(split).role, **state.compute(protocol.metrics_convention)}
        metrics["n_skipped"] = len(bad)
        if bad:
            warnings.warn(f"{split}: skipped {len(bad)} bad file(s), first: {bad[0]}", stacklevel=2)
        warn_if_collapsed(metrics, f"{name} on {split}")
        out[split] = metrics
    val_states = None
    if protocol.image_threshold_from == "val" and any(m["role"] == "authentic" for m in out.values()):
        clean = protocol.base()
        val_states = {split: evaluate_split(detector, dataset, split, protocol=clean, run=run, name=name,
                                            tally=tally)[0]
                      for split in threshold_splits(dataset, splits)}
    add_detection_metrics(out, states, detector.image_score_source(), val_states)
    return out


def required_test_splits(dataset) -> list[str]:
    """The dataset's ``test/<kind>`` splits; a ``ConfigError`` when it has none (checked before training too)."""
    found = [s for s in dataset.splits() if SplitName.parse(s).part == "test"]
    if not found:
        raise ConfigError(f"dataset {getattr(dataset, 'name', '?')} has no test split; splits: "
                          f"{', '.join(dataset.splits())}{split_rule_note(dataset)}. Evaluate others with `evaluate "
                          f"--split NAME` (repeatable), e.g. --split {(dataset.splits() or ['val/realfake'])[0]}")
    return found


def split_rule_note(dataset) -> str:
    """`` (split rule: ...)`` when the dataset says how its rows got their splits, else nothing."""
    try:
        rule = dataset.info().get("split_rule")
    except Exception:  # a third party's info() is not this message's business
        rule = None
    return f" (split rule: {rule})" if rule else ""


def threshold_splits(dataset, splits: Sequence[str]) -> list[str]:
    """The val splits that choose the image threshold for ``splits``: ``val/<kind>`` of each manipulated
    kind among them and the val authentic split(s); none unless both are there."""
    present = [s for s in dataset.splits() if SplitName.parse(s).part == "val"]
    kinds = {SplitName.parse(s).kind for s in splits if SplitName.parse(s).role == "manipulated"}
    manipulated = [s for s in present if SplitName.parse(s).kind in kinds]
    authentic = [s for s in present if SplitName.parse(s).role == "authentic"]
    return manipulated + authentic if manipulated and authentic else []
