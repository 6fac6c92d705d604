"""The plugin SDK's contracts: what detectors, datasets and attacks promise, and the records they share.

Third parties code against this module (and ``inpaintbench.sdk`` for helpers). A detector
needs only ``predict(images) -> heatmap``; every optional ability is declared on ``BaseDetector``
with a default, and ``as_detector`` gives any plain object those defaults, so the framework
never probes a plugin for what it can do.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar, Protocol, runtime_checkable

import torch
from torch import nn

from inpaintbench.sdk.cards import Card, card_of  # noqa: F401  (part of the contracts' surface)
from inpaintbench.sdk.samples import (  # noqa: F401  (part of the contracts' surface)
    AUTHENTIC_KINDS,
    FILE_FACTS,
    KINDS,
    MANIPULATED_KINDS,
    ROLES,
    SPLITS,
    Attack,
    Dataset,
    Sample,
    SplitName,
    kind_role,
)

# --- detectors -----------------------------------------------------------------------------------

#: The precision at which image inputs are stored and handed to a detector: a cached map and one
#: computed afresh are then the same numbers.
IMAGE_INPUT_DTYPE = torch.float16


class ImageInput:
    """A fixed, parameter-free map of a whole image that a detector's network reads beside the image
    (NIX-Net's autoencoder trace). A detector declares its inputs in ``image_inputs()``; the data pipeline
    then computes each once per stored image, at the resolution the network sees and before any crop,
    tile or batch padding, keeps it in the cache under ``key()`` and the image's content, cuts it like
    the image (crops, flips, padding, tiles) and passes it as ``inputs[name]`` to ``predict`` and
    ``logits``. Values are rounded to ``IMAGE_INPUT_DTYPE`` (``stored``), cached or not.
    """

    #: The key of the map in ``inputs``; unique among one detector's inputs.
    name: str = "input"
    #: Channels of the map.
    channels: int = 1

    def key(self) -> str | None:
        """Everything besides the image that decides the map (weights' sha256, options); ``None`` when it
        cannot be told (then the map is computed for every image and never cached on disk)."""
        return None

    def compute(self, images: torch.Tensor) -> torch.Tensor:
        """Float ``[B, 3, H, W]`` in [0, 1] -> float ``[B, channels, H, W]`` on the same device."""
        raise NotImplementedError

    def stored(self, images: torch.Tensor) -> torch.Tensor:
        """``compute`` rounded to the stored precision, as float32: what the pipeline delivers."""
        return self.compute(images).to(IMAGE_INPUT_DTYPE).float()


@runtime_checkable
class DetectorProtocol(Protocol):
    """The least a detector must do.

    ``predict`` takes float32 ``[B, 3, H, W]`` RGB in [0, 1] on the detector's device and returns
    float32 ``[B, 1, H, W]``: the probability that each pixel was inpainted, at the same H and W.
    """

    def predict(self, images: torch.Tensor) -> torch.Tensor: ...


class BaseDetector:
    """Every optional ability of a detector, declared with its default.

    Subclass it and override what you have. A subclass that defines ``image_score`` has its own image
    decision (``has_image_score`` becomes True unless the subclass sets it); else the harness scores an
    image by its heatmap's maximum without calling ``image_score``.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "image_score" in cls.__dict__ and "has_image_score" not in cls.__dict__:
            cls.has_image_score = True

    card: ClassVar[Card] = Card(description="")
    #: Whether ``image_score`` is the detector's own image-level decision.
    has_image_score: ClassVar[bool] = False
    #: Whether ``image_score`` reads the images (not only the heatmap). When False the harness passes
    #: them as it holds them (uint8 at the stored size) instead of a float copy of a whole image.
    image_score_reads_images: ClassVar[bool] = True
    #: Whether the common trainer can train it (then it also has ``module`` and ``logits``).
    trainable: ClassVar[bool] = False
    #: Whether it holds weights that a checkpoint can restore.
    loads_weights: ClassVar[bool] = False
    #: Whether it is scored only with trained weights (a checkpoint): its built weights are random, at
    #: least in part. A trainable detector that builds with complete published weights sets it False.
    needs_checkpoint: ClassVar[bool] = False
    #: Share of the pixels whose logits the trainer's image-level loss pools (``pooled_logit``);
    #: ``ModuleDetector``'s image score pools the same share.
    image_topk: ClassVar[float] = 0.01
    #: Whether ``predict`` uses facts about the stored files (``observe``); the harness then predicts
    #: image by image, each cut to its own size (no batch padding), after ``observe([its facts])``.
    observes_files: ClassVar[bool] = False
    device: torch.device = torch.device("cpu")

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def image_inputs(self) -> tuple[ImageInput, ...]:
        """The fixed per-image inputs its network reads (none by default). When there are any, the
        pipeline computes and caches them, and calls ``predict(images, inputs={name: [B, C, H, W]})``."""
        return ()

    def observe(self, files: Sequence[Mapping[str, Any]]) -> None:
        """Facts about the stored files of the images of the next ``predict`` calls, one mapping per image
        in order (see ``FILE_FACTS``); called by the harness only when ``observes_files`` is set."""

    def image_score(self, images: torch.Tensor, heatmap: torch.Tensor) -> torch.Tensor:
        """One real/fake score per image, ``[B]``; by default the heatmap's maximum.

        The harness never passes batch padding: a padded batch comes image by image, cut to size.
        """
        return heatmap.flatten(1).amax(1)

    def image_score_source(self) -> str:
        """Where ``image_score`` comes from, as results record it under ``image_score``."""
        return "detector.image_score" if self.has_image_score else "maximum of the heatmap"

    def to(self, device: str | torch.device) -> BaseDetector:
        """Move to ``device``; inputs are given on ``self.device``."""
        self.device = torch.device(device)
        return self

    def info(self) -> dict[str, Any]:
        """What a result records about the detector: options, weights, parameter count."""
        return {"options": dict(getattr(self, "options", {}))}

    def state_dict(self) -> dict[str, torch.Tensor]:
        raise TypeError(f"{type(self).__name__} holds no weights")

    def __repr__(self) -> str:
        """``NIXNetDetector(width=16, ...)``: the class and the options it was built with (what ``--opt`` sets)."""
        options = ", ".join(f"{k}={v!r}" for k, v in dict(getattr(self, "options", {}) or {}).items())
        return f"{type(self).__name__}({options}){self._repr_extra()}"

    def _repr_extra(self) -> str:
        return ""

    def load_state_dict(self, state: dict[str, torch.Tensor]) -> None:
        raise TypeError(f"{type(self).__name__} cannot load a checkpoint: it holds no weights")


#: Logits recovered from a heatmap clamp it to [eps, 1 - eps] first: |logit| <= 15.9 in float32.
HEATMAP_LOGIT_EPS = 1e-7


def pooled_logit(logits: torch.Tensor, valid: torch.Tensor | None = None,
                 fraction: float = BaseDetector.image_topk) -> torch.Tensor:
    """The image-level logit ``[B]``: the mean of each image's top ``ceil(fraction * n)`` pixel logits,
    ``n`` its valid pixels (all when ``valid`` is ``None``). Differentiable; a few confident pixels
    decide it, as a small inpainted region should, while one stray pixel does not."""
    flat = logits.flatten(1).float()
    if valid is None:
        n = torch.full((flat.shape[0],), flat.shape[1], device=flat.device)
    else:
        keep = valid.flatten(1).bool()
        flat, n = flat.masked_fill(~keep, float("-inf")), keep.sum(1)
    k = torch.ceil(fraction * n.double()).long().clamp(1, flat.shape[1])
    top = flat.topk(int(k.max()), dim=1).values
    inside = torch.arange(top.shape[1], device=top.device)[None, :] < k[:, None]
    return torch.where(inside, top, torch.zeros_like(top)).sum(1) / k


class ModuleDetector(BaseDetector):
    """Base for detectors built on one ``nn.Module`` whose forward gives ``[B, 1, H, W]`` logits.

    Subclasses set ``card`` and call ``super().__init__(module, options=..., weights=...)``. The
    image score is ``sigmoid(pooled_logit(logits))`` with the top ``image_topk`` share of pixels; the
    trainer trains that same pooled logit when authentic images are in training.
    """

    trainable: ClassVar[bool] = True
    loads_weights: ClassVar[bool] = True
    needs_checkpoint: ClassVar[bool] = True
    has_image_score: ClassVar[bool] = True
    image_score_reads_images: ClassVar[bool] = False

    def __init__(self, module: nn.Module, *, options: dict[str, Any] | None = None,
                 weights: str = "none") -> None:
        self.module = module
        self.options = dict(options or {})
        self.weights = weights
        self.device = torch.device("cpu")

    def to(self, device: str | torch.device) -> ModuleDetector:
        self.device = torch.device(device)
        self.module.to(self.device)
        return self

    def logits(self, images: torch.Tensor, inputs: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        """The module's logits; ``inputs`` (the declared image inputs) go to it as a keyword when given."""
        return self.module(images) if inputs is None else self.module(images, inputs=inputs)

    @torch.no_grad()
    def predict(self, images: torch.Tensor, inputs: dict[str, torch.Tensor] | None = None) -> torch.Tensor:
        was_training = self.module.training
        self.module.eval()
        try:
            return torch.sigmoid(self.logits(images, inputs).float())
        finally:
            self.module.train(was_training)

    def image_score(self, images: torch.Tensor, heatmap: torch.Tensor) -> torch.Tensor:
        """``sigmoid`` of the pooled logit, the logits recovered from the heatmap (no second forward pass).

        The logit is monotone, so the top pixels of the heatmap are those of the logits: only they are
        turned into logits (the same values, in the same order, as ``pooled_logit`` of all the logits)."""
        flat = heatmap.flatten(1)
        k = max(1, min(flat.shape[1], math.ceil(self.image_topk * flat.shape[1])))
        top = torch.logit(flat.topk(k, dim=1).values.float(), eps=HEATMAP_LOGIT_EPS)
        return torch.sigmoid(pooled_logit(top, fraction=1.0))

    def image_score_source(self) -> str:
        return (f"detector.image_score: sigmoid of the mean of the top {self.image_topk:.0%} pixel logits "
                f"(recovered from the heatmap clamped to [{HEATMAP_LOGIT_EPS:g}, 1 - {HEATMAP_LOGIT_EPS:g}])")

    def info(self) -> dict[str, Any]:
        return {"options": self.options, "weights": self.weights,
                "parameters": count_parameters(self.module)}

    def _repr_extra(self) -> str:
        return f" [weights: {self.weights}; {count_parameters(self.module):,} parameters on {self.device}]"

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
        self.needs_checkpoint = bool(getattr(inner, "needs_checkpoint", self.trainable))  # type: ignore[misc]
        self.device = torch.device(getattr(inner, "device", "cpu"))
        self._observe = getattr(inner, "observe", None)
        self.observes_files = callable(self._observe)  # type: ignore[misc]

    def predict(self, images: torch.Tensor) -> torch.Tensor:
        return self.inner.predict(images)

    def __repr__(self) -> str:
        if type(self.inner).__repr__ is not object.__repr__:
            return repr(self.inner)
        return super().__repr__().replace(type(self).__name__, type(self.inner).__name__, 1)

    def observe(self, files: Sequence[Mapping[str, Any]]) -> None:
        if callable(self._observe):
            self._observe(files)

    def image_score(self, images: torch.Tensor, heatmap: torch.Tensor) -> torch.Tensor:
        if self._image_score is None:
            return super().image_score(images, heatmap)
        return self._image_score(images)

    def to(self, device: str | torch.device) -> PlainDetector:
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
