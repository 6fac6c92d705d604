"""What every leaderboard row says of its result, from the result's own record: the detector's card
anchor, what the model was trained on and with what budget."""

from __future__ import annotations

import re
from pathlib import Path, PurePosixPath

from inpaintbench.jobs.results import Result


def anchor(detector: str) -> str:
    """The id of a detector's card in a leaderboard, the target of its rows' links."""
    return "detector-" + re.sub(r"[^a-z0-9-]+", "-", detector.lower()).strip("-")


def training_data(result: Result) -> str:
    """What the model was trained on, from the result's own record: the matrix training set, the
    dataset and kinds of a trained run, a given checkpoint, or none for a training-free detector."""
    training = result.training or {}
    if training.get("train_set"):
        return str(training["train_set"])
    data = training.get("data") or {}
    if data.get("kinds"):
        kinds = ", ".join(f"{k} {n}" for k, n in data["kinds"].items())
        spec = str(data.get("dataset") or "?")
        folder = spec_folder(spec)
        return f"{folder} ({spec.partition('@')[0]}): {kinds}" if folder else f"{spec}: {kinds}"
    if result.checkpoint:
        return f"checkpoint {Path(result.checkpoint).name}"
    if (result.detector_info or {}).get("untrained"):
        return f"none: untrained, {result.detector_info['untrained']}"
    if is_floor(result):
        return "none: a reference floor, not a method"
    return "none (training-free)" if card_of_result(result).get("trainable") is False else "none"


def card_of_result(result: Result) -> dict:
    """The detector's card as the result recorded it (empty when it recorded none)."""
    return (result.detector_info or {}).get("card") or {}


def is_floor(result: Result) -> bool:
    """Whether the result's detector is a reference floor (its card says ``floor``): shown, never ranked."""
    return bool(card_of_result(result).get("floor"))


def spec_folder(spec: str) -> str:
    """The folder's name in a data spec ``DATASET[:KIND]@ROOT``: ``bsds-freeform`` for
    ``freeform:fakefake@runs/data/bsds-freeform``; empty when the spec names no folder."""
    root = spec.partition("@")[2]
    return PurePosixPath(root.replace("\\", "/").rstrip("/")).name


def training_budget(result: Result) -> str:
    """Steps, batch and crop of a trained run, its training minutes (the trainer's own count when recorded,
    else the job's wall time) and its time budget; ``–`` when nothing was trained here."""
    training = result.training or {}
    if "steps" not in training:
        return "–"
    config = training.get("config") or {}
    crop = config.get("crop")
    text = f"{training['steps']} steps × {config.get('batch_size', '?')}"
    text += f", crop {crop}" if crop else ", whole images"
    minutes = training.get("minutes") or (training["seconds"] / 60 if training.get("seconds") else None)
    if minutes:
        text += f", {minutes:.1f} min"
    if config.get("max_minutes"):
        text += f" (budget {config['max_minutes']:g} min)"
    return text


def weights_entry(info: dict | None) -> dict | None:
    """The weights entry a result recorded (a dict naming its ``entry``), under ``weights_entry`` or, for
    detectors that record it there, ``weights``; ``None`` for a detector without published weights."""
    for key in ("weights_entry", "weights"):
        value = (info or {}).get(key)
        if isinstance(value, dict) and value.get("entry"):
            return value
    return None


def weights_entries(results: list[Result]) -> list[dict]:
    """The distinct weights entries of a detector's results (its variants may load others), first seen first."""
    found: dict[str, dict] = {}
    for entry in map(weights_entry, (res.detector_info for res in results)):
        if entry is not None:
            found.setdefault(entry["entry"], entry)
    return list(found.values())


def weights_text(results: list[Result]) -> str:
    """``weights_entries`` with each file's sha256 (first 12 digits); ``none`` when none recorded one."""
    texts = []
    for entry in weights_entries(results):
        files = ", ".join(f"{name} {str(sha)[:12]}" for name, sha in sorted((entry.get("files") or {}).items()))
        texts.append(f"{entry['entry']} ({files})" if files else str(entry["entry"]))
    return "; ".join(texts) or "none"
