"""Detector ``noiseprint``: the Noiseprint camera-model residual (Cozzolino & Verdoliva, IEEE TIFS 2020)
and its blind localization; training-free. ``baselines/NOISEPRINT.md`` documents every choice.

The extractor for the image's JPEG quality is chosen per image from the stored file's quantization
tables, which the harness passes through ``observe`` before it predicts that image.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from inpaintbench.sdk.contracts import Card, count_parameters
from inpaintbench.sdk.weights import read_weights

from .blind_detector import BlindDetector, check_calibration, grey_of
from .blind_em import BlindMap
from .jpeg_quality import LOSSLESS, nearest_model, quality_of_tables
from .noiseprint_blind import DIMS, noiseprint_blind_map
from .noiseprint_net import NoiseprintNet, extract, load_net, luma
from .noiseprint_weights import ENTRY, locate

#: The logistic on ``log(d2 / 32)`` (see ``blind_detector``), fitted by ``scripts/calibrate_blind.py``.
CENTER = 4.1
TEMPERATURE = 1.0
QUALITIES = range(51, 102)
#: The extractor's parameter count (conv weights and biases; the normalisations' statistics are buffers).
PARAMETERS = 555_137


def parse_quality(quality: str | int) -> int | None:
    """``auto`` -> ``None``; else an integer in 51..101 (101: never JPEG-compressed)."""
    if str(quality).strip().lower() == "auto":
        return None
    try:
        value = int(str(quality))
    except ValueError:
        value = -1
    if value not in QUALITIES:
        raise ValueError(f"noiseprint: quality must be auto or an integer 51..101 (101 = not JPEG), not {quality!r}")
    return value


class NoiseprintDetector(BlindDetector):
    card = Card(
        description="Noiseprint (training-free; weights GRIP-UNINA, non-commercial research only): a CNN camera-"
                    "model residual, one extractor per JPEG quality chosen from the file's tables, and the "
                    "authors' blind map (Gaussian-uniform EM on local co-occurrences). Logistic map of the "
                    "Mahalanobis distance; image score = a high quantile.",
        reference="D. Cozzolino, L. Verdoliva, 'Noiseprint: a CNN-based camera model fingerprint', IEEE TIFS 15, "
                  "2020; weights github.com/grip-unina/noiseprint (GRIP-UNINA non-commercial licence)",
        trainable=False,
        params={"quality": "auto (default: from the stored file's JPEG luminance table; 101 when it is not a JPEG) "
                           "or 51..101; the nearest available model is used",
                "weights": "a model_qf<Q>.pth file (used for every image) or a folder of them; default: "
                           "$INPAINTBENCH_WEIGHTS/noiseprint/, then ../shared/weights/noiseprint/",
                "center": f"log(d2 / {DIMS}) at which the probability is 0.5 (default {CENTER}, calibrated)",
                "temperature": f"logistic temperature (default {TEMPERATURE}, calibrated)",
                "image_quantile": "quantile of the heatmap used as the image score (default 0.99)"},
        input_range="float32 RGB in [0, 1], shape [B, 3, H, W]; read as the BT.601 luma of 8-bit values / 256",
        licence="code: project licence (our implementation from the paper); weights: GRIP-UNINA licence, "
                "non-commercial research use only (not shipped)",
        designed_for="camera-model traces of camera photos (JPEG or not): regions from another camera or whose "
                     "traces were destroyed; not generator traces",
        weights=(ENTRY.name,),
        parameters=PARAMETERS,
        published=True,
    )
    observes_files = True
    dims = DIMS

    def __init__(self, quality: str = "auto", weights: str | None = None, center: float = CENTER,
                 temperature: float = TEMPERATURE, image_quantile: float = 0.99) -> None:
        self.fixed_quality = parse_quality(quality)
        check_calibration("noiseprint", temperature, image_quantile)
        self.center, self.temperature, self.image_quantile = center, temperature, image_quantile
        self.weights = locate(weights)
        self.options = {"quality": quality, "weights": weights, "center": center, "temperature": temperature,
                        "image_quantile": image_quantile}
        self.device = torch.device("cpu")
        self.nets: dict[int, NoiseprintNet] = {}
        self.files: list[Mapping[str, Any]] = []
        #: Models used so far, and per stored file the model and why (what the result cannot hold per image).
        self.models_used: Counter[int] = Counter()
        self.choices: dict[str, tuple[int, str]] = {}

    def to(self, device: str | torch.device) -> NoiseprintDetector:
        self.device = torch.device(device)
        for net in self.nets.values():
            net.to(self.device)
        return self

    def observe(self, files: Sequence[Mapping[str, Any]]) -> None:
        self.files = list(files)

    def choose(self, facts: Mapping[str, Any] | None) -> tuple[int, str]:
        """The model quality for one image and why (with one given file: the quality it stands for)."""
        available = self.weights.models or QUALITIES
        if self.fixed_quality is not None:
            return nearest_model(self.fixed_quality, available), f"option quality={self.fixed_quality}"
        if facts is None:
            return nearest_model(None, available), "no file facts given: taken as never JPEG-compressed"
        estimate = quality_of_tables(facts.get("jpeg_qtables"))
        if estimate is None:
            return nearest_model(None, available), "not a JPEG file"
        return nearest_model(estimate, available), f"JPEG quality {estimate} from the luminance table"

    def net(self, quality: int) -> NoiseprintNet:
        """The extractor for ``quality``, loaded on first use."""
        key = 0 if self.weights.single is not None else quality
        if key not in self.nets:
            state = read_weights(self.weights.path(quality), "noiseprint weights")
            self.nets[key] = load_net(state).to(self.device)
        return self.nets[key]

    def residual(self, image: torch.Tensor, quality: int = LOSSLESS) -> np.ndarray:
        """The noiseprint ``H x W`` of one ``[3, H, W]`` image with the model for ``quality``."""
        grey = luma(image[None].float().to(self.device))
        return extract(self.net(quality), grey)[0, 0].float().cpu().numpy()

    def blind(self, image: torch.Tensor, index: int = 0) -> BlindMap:
        facts = self.files[index] if len(self.files) > index else None
        quality, why = self.choose(facts)
        self.models_used[quality] += 1
        if facts is not None and facts.get("path"):
            self.choices[str(facts["path"])] = (quality, why)
        return noiseprint_blind_map(self.residual(image, quality), grey_of(image))

    def info(self) -> dict[str, Any]:
        return {"options": self.options,
                "weights": self.weights.record(),
                "models_available": sorted(self.weights.models),
                "model_rule": "quality auto: JPEG quality estimated from the stored file's luminance table, nearest "
                              "available model (ties to the higher); 101 when the file is not a JPEG",
                "parameters": count_parameters(NoiseprintNet()),
                # after predictions only, so that a result (which reads info() again) records them
                **({"models_used": {str(q): n for q, n in sorted(self.models_used.items())}}
                   if self.models_used else {})}
