"""The protocol a result is measured under, as one typed record: resolution, mask binarization, the
pixel budget of a detector call, threshold, metric convention, how the image threshold is chosen,
and the attack. ``record()`` is what a result JSON holds, ``key()`` what leaderboards group and
number by, ``base()`` the same protocol without its attack; ``from_record`` reads any result's
record, old ones included (the one upgrade path). ``Execution`` says how a job runs, never what it
measures."""

from __future__ import annotations

import dataclasses
import json
import re
from dataclasses import dataclass, field
from typing import Any

from inpaintbench.data.imageio import DEFAULT_MAX_IMAGE_PIXELS
from inpaintbench.evaluation._attack_spec import Chain
from inpaintbench.evaluation._tiling import DEFAULT_MAX_PIXELS, DEFAULT_TILE_OVERLAP
from inpaintbench.evaluation.metric_presets import CONVENTIONS, DEFAULT_CONVENTION, PRESET_THRESHOLD
from inpaintbench.evaluation.metrics import DEFAULT_THRESHOLD, IMAGE_THRESHOLD_CHOICES, conventions
from inpaintbench.sdk.contracts import Attack
from inpaintbench.sdk.errors import ConfigError

#: Named binarizations of the soft mask: a pixel is inpainted when its mask value >= the number.
BINARIZATIONS = {"full": 255, "half": 128, "any": 1}
DEFAULT_BINARIZATION = "full"
#: How a batch of mixed sizes is padded to its largest height and width (``F.pad`` mode): edge
#: replication, so that a detector sees no artificial edge; a validity mask keeps it out of metrics.
PADDING = "replicate"


def mask_threshold(binarization: str | int) -> int:
    """The mask value from which a pixel counts as inpainted: a name of ``BINARIZATIONS`` or 1..255."""
    if isinstance(binarization, str) and binarization in BINARIZATIONS:
        return BINARIZATIONS[binarization]
    try:
        value = int(binarization)
    except (TypeError, ValueError):
        raise ValueError(f"mask binarization {binarization!r}: use one of {', '.join(BINARIZATIONS)} "
                         "or a number 1..255") from None
    if not 1 <= value <= 255:
        raise ValueError(f"mask binarization threshold {value} is outside 1..255")
    return value


#: Record keys that describe the attack rather than the measurement.
ATTACK_KEYS = ("attack", "attack_description", "attack_curve")
#: The curve coordinates of an attack, as ``attack_curve`` records them.
CURVE_KEYS = ("family", "strength", "value", "neutral", "geometric")


def check_convention(convention: str, threshold: float) -> None:
    """A ConfigError unless ``convention`` is known and, for a preset, ``threshold`` is its 0.5."""
    if convention not in CONVENTIONS:
        raise ConfigError(f"metrics convention {convention!r}: choose one of {', '.join(CONVENTIONS)}")
    if convention != DEFAULT_CONVENTION and threshold != PRESET_THRESHOLD:
        raise ConfigError(f"metrics convention {convention!r} binarizes at {PRESET_THRESHOLD} as its code does; "
                          f"--threshold {threshold} applies to the inpaintbench convention only")


@dataclass(frozen=True)
class RecordedAttack:
    """An attack as a result recorded it (spec, description, curve): enough to report on, not to apply."""

    spec: str
    description: str = ""
    curve: tuple[tuple[str, Any], ...] = ()

    def describe(self) -> str:
        return self.description or self.spec

    def curve_record(self) -> dict[str, Any]:
        return dict(self.curve)


def attack_curve(attack: Any) -> dict[str, Any]:
    """The robustness-curve coordinates of an attack: family, strength option, value, neutral, geometric."""
    if isinstance(attack, RecordedAttack):
        return attack.curve_record()
    return {"family": attack.family, "strength": attack.strength, "value": attack.strength_value,
            "neutral": attack.neutral, "geometric": attack.geometric}


@dataclass(frozen=True)
class Protocol:
    """What a measurement is: the same protocol gives comparable numbers, another one never shares a table."""

    #: Network input side (``None``: the stored, native size; else image and soft mask resized to NxN).
    image_size: int | None = None
    #: Soft-mask binarization: ``full``/``half``/``any`` or a value 1..255 from which a pixel is inpainted.
    binarization: str | int = DEFAULT_BINARIZATION
    #: Most pixels one detector call sees; larger images run on overlapping full-resolution tiles.
    max_pixels: int = DEFAULT_MAX_PIXELS
    tile_overlap: int = DEFAULT_TILE_OVERLAP
    #: Pixel score threshold of IoU, F1, precision, recall, FPR.
    threshold: float = DEFAULT_THRESHOLD
    #: Whose pixel-metric convention ``compute`` follows: ours, or a preset of ``metric_presets``.
    metrics_convention: str = DEFAULT_CONVENTION
    #: How ``image_bacc``'s threshold is chosen: ``fixed`` (0.5) or ``val`` (scores the val splits too).
    image_threshold_from: str = "fixed"
    #: The attack applied to the stored images (a ``Chain`` of attacks), ``None`` when clean.
    attack: Attack | RecordedAttack | None = None
    #: The most pixels an image may have to be read (from its header); larger files are bad files.
    #: Recorded only when not the default (raised or lowered), so results under the default keep their protocol key.
    max_image_pixels: int = DEFAULT_MAX_IMAGE_PIXELS
    #: The record exactly as a result file held it (``from_record``), so that reading never rewrites it.
    recorded: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        mask_threshold(self.binarization)  # a ValueError naming the binarization
        check_convention(self.metrics_convention, self.threshold)
        if self.image_threshold_from not in IMAGE_THRESHOLD_CHOICES:
            raise ConfigError(f"image_threshold_from {self.image_threshold_from!r}: "
                              f"choose one of {', '.join(IMAGE_THRESHOLD_CHOICES)}")
        if self.max_image_pixels < 1:
            raise ConfigError(f"max_image_pixels must be at least 1, not {self.max_image_pixels}")
        if self.attack is not None and not isinstance(self.attack, (Chain, RecordedAttack)):
            object.__setattr__(self, "attack", Chain((self.attack,)))

    # --- variants ----------------------------------------------------------------------------------
    def base(self) -> Protocol:
        """The same protocol without its attack: the clean and attacked runs of one model share it."""
        return self.with_attack(None)

    def with_attack(self, attack: Attack | None) -> Protocol:
        base = None if self.recorded is None else {k: v for k, v in self.recorded.items() if k not in ATTACK_KEYS}
        if base is not None and attack is not None:
            base = None  # a new attack: the record is made afresh
        return dataclasses.replace(self, attack=attack, recorded=base)

    def for_validation(self) -> Protocol:
        """How training validates: this protocol's inputs, our convention at the default threshold, clean."""
        return Protocol(self.image_size, self.binarization, self.max_pixels, self.tile_overlap,
                        max_image_pixels=self.max_image_pixels)

    # --- records -----------------------------------------------------------------------------------
    def input_record(self) -> dict[str, Any]:
        """How stored samples reach the detector: size, binarization, batching, pixel budget and tiling."""
        return {
            "image_size": self.image_size if self.image_size else "native",
            "resize": "none" if not self.image_size else
                      "image and soft mask resized to image_size x image_size, bilinear with antialias; "
                      "metrics computed at that size",
            "mask_binarization": f"{self.binarization} (soft mask >= {mask_threshold(self.binarization)})",
            "batching": f"images of one batch padded to its largest height and width ({PADDING} padding, "
                        "bottom and right); padded pixels never count in any metric",
            "max_pixels": self.max_pixels,
            "tiling": f"a detector call sees at most max_pixels pixels: larger batches go in chunks of whole "
                      f"images; a larger image is predicted at full resolution on tiles overlapping by "
                      f"{self.tile_overlap} px, each keeping its centre (never downsized)",
            **({"max_image_pixels": self.max_image_pixels} if self.max_image_pixels != DEFAULT_MAX_IMAGE_PIXELS
               else {}),
        }

    def record(self) -> dict[str, Any]:
        """The protocol as a result JSON holds it: metric conventions, inputs, then the attack entries."""
        if self.recorded is not None:
            return dict(self.recorded)
        record: dict[str, Any] = {**conventions(self.threshold, convention=self.metrics_convention),
                                  **self.input_record(), "attack": None}
        if self.attack is not None:
            record["attack"] = self.attack.spec
            record["attack_description"] = self.attack.describe()
            record["attack_curve"] = attack_curve(self.attack)
        return record

    def key(self) -> str:
        """A canonical string of the attack-free record: results are ranked together only when equal."""
        return json.dumps(self.base().record(), sort_keys=True)

    def input_key(self) -> str:
        """A canonical string of the inputs alone (no threshold, convention or attack): what tells apart
        results that differ only in their metric convention."""
        return json.dumps(self.input_record(), sort_keys=True)

    def summary(self) -> str:
        """The deciding choices in one line: resolution, mask binarization, threshold, convention."""
        parts = ["native resolution" if not self.image_size else f"resized to {self.image_size} px",
                 f"{self.binarization}-mask binarization", f"threshold {self.threshold}"]
        return ", ".join(parts + [f"{self.metrics_convention} metric convention"])

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Protocol:
        """The protocol of a result's record. Upgrade of older files: a record without
        ``metrics_convention`` was measured under ours, and says so from here on."""
        record = {"metrics_convention": DEFAULT_CONVENTION, **record}
        size = record.get("image_size", "native")
        tiling = re.search(r"overlapping by (\d+) px", str(record.get("tiling", "")))
        attack = None
        if record.get("attack"):
            curve = record.get("attack_curve") or {}
            attack = RecordedAttack(record["attack"], record.get("attack_description") or "",
                                    tuple((k, curve.get(k)) for k in CURVE_KEYS if k in curve))
        convention = record["metrics_convention"]
        return cls(image_size=None if size in (None, "native", 0) else int(size),
                   binarization=str(record.get("mask_binarization", DEFAULT_BINARIZATION)).split(" ")[0],
                   max_pixels=int(record.get("max_pixels", DEFAULT_MAX_PIXELS)),
                   tile_overlap=int(tiling.group(1)) if tiling else DEFAULT_TILE_OVERLAP,
                   threshold=float(record.get("threshold", DEFAULT_THRESHOLD)),
                   metrics_convention=convention if convention in CONVENTIONS else DEFAULT_CONVENTION,
                   attack=attack, max_image_pixels=int(record.get("max_image_pixels", DEFAULT_MAX_IMAGE_PIXELS)),
                   recorded=record)


@dataclass(frozen=True)
class Execution:
    """How a job runs, never what it measures: batch size, device, loader workers, the seed of
    per-image randomness (attacks, crops), what to do with bad files, and progress bars."""

    batch_size: int = 8
    device: str = "cpu"
    workers: int = 0
    seed: int = 0
    on_bad: str = "error"
    progress: bool = True


#: The defaults, shared (both are frozen): native resolution, our conventions, clean; one process on the CPU.
DEFAULT_PROTOCOL = Protocol()
DEFAULT_EXECUTION = Execution()
