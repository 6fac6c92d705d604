"""The plugin SDK's contracts: what detectors, datasets and attacks promise, and the records they share.

Third parties code against this module (and ``inpaintbench.plugins`` for helpers). A detector
needs only ``predict(images) -> heatmap``; every optional ability is declared on ``BaseDetector``
with a default, and ``as_detector`` gives any plain object those defaults, so the framework
never probes a plugin for what it can do.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Protocol, runtime_checkable

import numpy as np
import torch
from torch import nn

#: The kinds of image a dataset may hold for one id.
MANIPULATED_KINDS = ("realfake", "fakefake", "inpainted", "manipulated")
AUTHENTIC_KINDS = ("original",)
KINDS = MANIPULATED_KINDS + AUTHENTIC_KINDS
SPLITS = ("train", "val", "test")
#: What a split's images are, recorded with every split of a result.
ROLES = ("manipulated", "authentic")


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
    def parse(cls, name: str) -> "SplitName":
        part, _, kind = name.partition("/")
        return cls(part, kind)

    @property
    def role(self) -> str:
        return kind_role(self.kind)

    def with_kind(self, kind: str) -> "SplitName":
        return SplitName(self.part, kind)

    def __str__(self) -> str:
        return f"{self.part}/{self.kind}" if self.kind else self.part


@dataclass(frozen=True)
class Card:
    """What a plugin says about itself; ``list -v`` prints it and the leaderboard links to it."""

    description: str
    reference: str = ""
    trainable: bool = False
    params: dict[str, str] = field(default_factory=dict)
    input_range: str = "float32 RGB in [0, 1], shape [B, 3, H, W]"
    #: Training settings the detector's authors recommend (e.g. ``{"lr": 1e-3}``); used only where
    #: the user gives none, and the values used are recorded with the result.
    training: dict[str, float] = field(default_factory=dict)

    def summary(self) -> str:
        return self.description.strip().splitlines()[0] if self.description.strip() else ""


# --- detectors -----------------------------------------------------------------------------------

@runtime_checkable
class DetectorProtocol(Protocol):
    """The least a detector must do.

    ``predict`` takes float32 ``[B, 3, H, W]`` RGB in [0, 1] on the detector's device and returns
    float32 ``[B, 1, H, W]``: the probability that each pixel was inpainted, at the same H and W.
    """

    def predict(self, images: torch.Tensor) -> torch.Tensor: ...


class BaseDetector:
    """Every optional ability of a detector, declared with its default.

    Subclass it and override what you have; set ``has_image_score = True`` when ``image_score``
    is the detector's own decision rather than the heatmap's maximum.
    """

    card: ClassVar[Card] = Card(description="")
    #: Whether ``image_score`` is the detector's own image-level decision.
    has_image_score: ClassVar[bool] = False
    #: Whether the common trainer can train it (then it also has ``module`` and ``logits``).
    trainable: ClassVar[bool] = False
    #: Whether it holds weights that a checkpoint can restore.
    loads_weights: ClassVar[bool] = False
    device: torch.device = torch.device("cpu")

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def image_score(self, images: torch.Tensor, heatmap: torch.Tensor) -> torch.Tensor:
        """One real/fake score per image, ``[B]``; by default the heatmap's maximum."""
        return heatmap.flatten(1).amax(1)

    def to(self, device: str | torch.device) -> "BaseDetector":
        """Move to ``device``; inputs are given on ``self.device``."""
        self.device = torch.device(device)
        return self

    def info(self) -> dict[str, Any]:
        """What a result records about the detector: options, weights, parameter count."""
        return {"options": dict(getattr(self, "options", {}))}

    def state_dict(self) -> dict[str, torch.Tensor]:
        raise TypeError(f"{type(self).__name__} holds no weights")

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        raise TypeError(f"{type(self).__name__} cannot load a checkpoint: it holds no weights")


class ModuleDetector(BaseDetector):
    """Base for detectors built on one ``nn.Module`` whose forward gives ``[B, 1, H, W]`` logits.

    Subclasses set ``card`` and call ``super().__init__(module, options=..., weights=...)``.
    """

    trainable: ClassVar[bool] = True
    loads_weights: ClassVar[bool] = True

    def __init__(self, module: nn.Module, *, options: dict[str, Any] | None = None,
                 weights: str = "none") -> None:
        self.module = module
        self.options = dict(options or {})
        self.weights = weights
        self.device = torch.device("cpu")

    def to(self, device: str | torch.device) -> "ModuleDetector":
        self.device = torch.device(device)
        self.module.to(self.device)
        return self

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        return self.module(images)

    @torch.no_grad()
    def predict(self, images: torch.Tensor) -> torch.Tensor:
        was_training = self.module.training
        self.module.eval()
        try:
            return torch.sigmoid(self.logits(images).float())
        finally:
            self.module.train(was_training)

    def info(self) -> dict[str, Any]:
        return {"options": self.options, "weights": self.weights,
                "parameters": count_parameters(self.module)}

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.module.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        self.module.load_state_dict(state)


class PlainDetector(BaseDetector):
    """A detector that does not subclass ``BaseDetector``, given the declared abilities it has.

    This is the one place that looks at what a plain plugin object offers, once, when it is built.
    """

    def __init__(self, inner: DetectorProtocol) -> None:
        self.inner = inner
        self.card = getattr(inner, "card", None) or BaseDetector.card  # type: ignore[misc]
        self.options = dict(getattr(inner, "options", {}) or {})
        self._image_score = getattr(inner, "image_score", None)
        self.has_image_score = callable(self._image_score)  # type: ignore[misc]
        self._to = getattr(inner, "to", None)
        self._info = getattr(inner, "info", None)
        module = getattr(inner, "module", None)
        self.module = module if isinstance(module, nn.Module) else None
        self.trainable = self.module is not None  # type: ignore[misc]
        self.loads_weights = self.module is not None or callable(getattr(inner, "load_state_dict", None))  # type: ignore[misc]
        self.device = torch.device(getattr(inner, "device", "cpu"))

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        return self.inner.predict(images)

    def image_score(self, images: torch.Tensor, heatmap: torch.Tensor) -> torch.Tensor:
        if self._image_score is None:
            return super().image_score(images, heatmap)
        return self._image_score(images)

    def to(self, device: str | torch.device) -> "PlainDetector":
        if callable(self._to):
            self._to(device)
            self.device = torch.device(device)
        return self

    def info(self) -> dict[str, Any]:
        return dict(self._info()) if callable(self._info) else super().info()

    def logits(self, images: torch.Tensor) -> torch.Tensor:
        logits = getattr(self.inner, "logits", None)
        return logits(images) if callable(logits) else self.module(images)

    def state_dict(self) -> dict[str, torch.Tensor]:
        return self.inner.state_dict() if self.module is None else self.module.state_dict()

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        if not self.loads_weights:
            super().load_state_dict(state)
        (self.inner if self.module is None else self.module).load_state_dict(state)


def as_detector(obj: Any) -> BaseDetector:
    """The object as a ``BaseDetector``: itself when it is one, else wrapped in ``PlainDetector``."""
    if isinstance(obj, BaseDetector):
        return obj
    if not callable(getattr(obj, "predict", None)):
        raise TypeError(f"{type(obj).__name__} is not a detector: it has no predict(images) method")
    return PlainDetector(obj)


def count_parameters(module: nn.Module) -> int:
    return sum(p.numel() for p in module.parameters())


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
