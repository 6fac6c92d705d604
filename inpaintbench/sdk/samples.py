"""The torch-free half of the contracts: the samples datasets load and attacks transform, split names,
and the dataset and attack protocols. Data and attack plugins import only this (through
``inpaintbench.sdk`` or ``inpaintbench.sdk.contracts``, which re-exports it), so that loading them,
as ``list`` does, never imports torch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

#: The kinds of image a dataset may hold for one id.
MANIPULATED_KINDS = ("realfake", "fakefake", "inpainted", "manipulated")
AUTHENTIC_KINDS = ("original",)
KINDS = MANIPULATED_KINDS + AUTHENTIC_KINDS
SPLITS = ("train", "val", "test")
#: What a split's images are, recorded with every split of a result.
ROLES = ("manipulated", "authentic")
#: What ``BaseDetector.observe`` learns about each image's stored file: ``path`` as the dataset gave it,
#: and ``jpeg_qtables``: the JPEG quantization tables behind the pixels (``{table id: 64 entries in
#: natural order}``, as PIL's ``Image.quantization``), ``None`` when the file is not a JPEG or an attack
#: other than a JPEG re-encode changed the pixels. An attack that encodes a JPEG sets
#: ``sample.meta["jpeg_qtables"]`` to the tables it wrote.
FILE_FACTS = ("path", "jpeg_qtables")


# --- records -------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Sample:
    """One stored image as read from disk: uint8 RGB ``HxWx3`` and its soft mask ``HxW`` (0..255).

    Authentic images (kind ``original``) carry an all-zero mask.
    """

    id: str
    split: str
    kind: str
    image: np.ndarray
    mask: np.ndarray
    path: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def manipulated(self) -> bool:
        return kind_role(self.kind) == "manipulated"


def kind_role(kind: str) -> str:
    """``"authentic"`` for the authentic kinds, ``"manipulated"`` for every other kind."""
    return "authentic" if kind in AUTHENTIC_KINDS else "manipulated"


@dataclass(frozen=True)
class SplitName:
    """A ``<part>/<kind>`` split name (``test/realfake``); ``kind`` is empty for a whole part."""

    part: str
    kind: str = ""

    @classmethod
    def parse(cls, name: str) -> SplitName:
        part, _, kind = name.partition("/")
        return cls(part, kind)

    @property
    def role(self) -> str:
        return kind_role(self.kind)

    def with_kind(self, kind: str) -> SplitName:
        return SplitName(self.part, kind)

    def __str__(self) -> str:
        return f"{self.part}/{self.kind}" if self.kind else self.part


# --- datasets ------------------------------------------------------------------------------------

@runtime_checkable
class Dataset(Protocol):
    """A dataset: named ``<part>/<kind>`` splits of records, each loaded into a ``Sample``."""

    name: str

    def splits(self) -> list[str]: ...

    def records(self, split: str) -> list[Any]: ...

    def load(self, record: Any) -> Sample: ...

    def info(self) -> dict[str, Any]: ...


# --- attacks -------------------------------------------------------------------------------------

@runtime_checkable
class Attack(Protocol):
    """A perturbation of a stored sample: a pure function of ``(sample, rng)``.

    ``spec`` is its canonical text (``jpeg:quality=80``), ``geometric`` says whether it moves
    pixels (then the mask is mapped along), ``describe()`` says what it does, for results.
    """

    @property
    def spec(self) -> str: ...

    @property
    def geometric(self) -> bool: ...

    def describe(self) -> str: ...

    def __call__(self, sample: Sample, rng: np.random.Generator) -> Sample: ...
