"""Localization metrics, accumulated per image as tensors on the device, with their conventions.

``MetricState.update`` keeps, for every image, the confusion counts at the threshold, a
histogram of its scores split by ground truth and its image-level score; ``compute`` turns these
into every metric. Pixels outside an optional validity mask (batch padding) never count. States
from several processes add up with ``merge``. All metric conventions of the benchmark live here,
image level included (``image_auc``, ``add_detection_metrics``).
"""

from __future__ import annotations

import dataclasses
import functools
import math
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import torch

from inpaintbench.evaluation.metric_presets import (
    DEFAULT_CONVENTION,
    PRESET_THRESHOLD,
    ImageCounts,
    band_counts,
    pixel_auc,
    preset,
)
from inpaintbench.io import distributed
from inpaintbench.sdk.contracts import SplitName

DEFAULT_THRESHOLD = 0.5
DEFAULT_BINS = 256
#: The false-positive rate on authentic images at which ``image_tpr_at_5fpr`` reads the TPR.
IMAGE_FPR_LIMIT = 0.05
#: How ``image_bacc``'s threshold is chosen: the fixed ``DEFAULT_THRESHOLD``, or on the val split.
IMAGE_THRESHOLD_CHOICES = ("fixed", "val")


def conventions(threshold: float = DEFAULT_THRESHOLD, bins: int = DEFAULT_BINS,
                convention: str = DEFAULT_CONVENTION) -> dict[str, object]:
    """The metric conventions, as recorded in every result's protocol: ours, or a preset's pixel metrics
    (``inpaintbench.evaluation.metric_presets``) beside our image-level ones."""
    image_level = {k: v for k, v in _our_conventions(threshold, bins).items() if k.startswith("image_")}
    if convention == DEFAULT_CONVENTION:
        return {"metrics_convention": convention, **_our_conventions(threshold, bins)}
    return {"metrics_convention": convention, "threshold": threshold, "positive": f"score > {threshold}",
            **preset(convention).record(), "valid_pixels": "only pixels inside each image's validity mask count",
            **image_level}


def _our_conventions(threshold: float, bins: int) -> dict[str, object]:
    return {
        "threshold": threshold,
        "positive": f"score >= {threshold}",
        "aggregation": "per-image mean over manipulated images (iou, f1, precision, recall, f1_best, auc); "
                       "*_pooled: one confusion matrix summed over all their pixels",
        "counted_images": "manipulated images with a non-empty binarized mask; authentic images are "
                          "scored separately by false-positive rate; empty-mask manipulated images are "
                          "counted in n_empty_mask only",
        "zero_division": "a ratio with a zero denominator is 1 if the image has no ground-truth and no "
                         "predicted positives, else 0",
        "f1_best": f"per-image maximum F1 over {bins + 1} thresholds k/{bins}",
        "auc": f"per-image pixel ROC AUC on scores quantized to {bins} bins (ties count one half); "
               "images with one class only are left out of the mean",
        "score_bins": bins,
        "valid_pixels": "only pixels inside each image's validity mask count (batch padding never does), "
                        "in confusion counts, histograms, AUC and FPR alike",
        "image_auc": "per manipulated split: ROC AUC of image scores against the authentic split(s) of "
                     "the same part (ties count one half)",
        "image_bacc": "per manipulated split: balanced accuracy (mean of TPR and TNR) of image score >= "
                      "image_threshold against the authentic split(s) of the same part; image_threshold_from "
                      "says whether the threshold is the fixed 0.5 or the one maximising balanced accuracy "
                      "on the val split of the same kind",
        "image_tpr_at_5fpr": f"per manipulated split: the highest TPR over thresholds t (positive: score >= t, "
                             f"ties positive, no interpolation) whose FPR on the authentic images is <= "
                             f"{IMAGE_FPR_LIMIT:g}",
    }


def _ratio(num: torch.Tensor, den: torch.Tensor, vacuous: torch.Tensor) -> torch.Tensor:
    """num/den per image; where den == 0 the value is 1 for vacuous agreement, else 0."""
    num, den = num.double(), den.double()
    safe = torch.where(den > 0, num / den.clamp_min(1), torch.zeros_like(num))
    return torch.where(den > 0, safe, vacuous.double())


#: Pixels of each image that ``confusion_counts`` and ``MetricState.update`` take at a time: their
#: per-pixel temporaries (masks, bin indices) stay bounded on very large images, and the integer counts
#: and histograms of the chunks add up exactly to those of the whole image.
PIXEL_CHUNK = 1 << 22


def _flat(pred: torch.Tensor, target: torch.Tensor,
          valid: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor | None]:
    """Per-image flattened scores, truth and validity (``None``: every pixel), ``[B, H*W]`` each, as views
    where the inputs allow; the truth is binarized by ``_truth``."""
    if pred.shape != target.shape:
        raise ValueError(f"prediction {tuple(pred.shape)} and target {tuple(target.shape)} differ in shape")
    if valid is not None and valid.shape != pred.shape:
        raise ValueError(f"validity mask {tuple(valid.shape)} and prediction {tuple(pred.shape)} differ in shape")
    b = pred.shape[0]
    return pred.reshape(b, -1), target.reshape(b, -1), None if valid is None else valid.reshape(b, -1)


def _truth(target: torch.Tensor) -> torch.Tensor:
    """Binary truth: a bool target as it is, any other where it is above 0.5."""
    return target if target.dtype == torch.bool else target > 0.5


def _chunks(p: torch.Tensor, t: torch.Tensor,
            v: torch.Tensor | None) -> Iterator[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """``(float scores, bool truth, bool validity)`` of each ``PIXEL_CHUNK`` columns of the flat views."""
    for a in range(0, max(p.shape[1], 1), PIXEL_CHUNK):
        pc, tc = p[:, a:a + PIXEL_CHUNK].float(), _truth(t[:, a:a + PIXEL_CHUNK])
        yield pc, tc, torch.ones_like(tc) if v is None else v[:, a:a + PIXEL_CHUNK].bool()


def _chunk_counts(p: torch.Tensor, t: torch.Tensor, v: torch.Tensor, threshold: float) -> torch.Tensor:
    pos = p >= threshold
    tp = (pos & t & v).sum(1)
    fp = (pos & ~t & v).sum(1)
    fn = (~pos & t & v).sum(1)
    tn = v.sum(1) - tp - fp - fn
    return torch.stack([tp, fp, fn, tn], 1)


def _chunk_histogram(p: torch.Tensor, t: torch.Tensor, v: torch.Tensor, bins: int) -> torch.Tensor:
    """``[B, 2, bins]`` counts of the valid scores by truth (negative, positive) and score bin."""
    b = p.shape[0]
    bin_idx = (p * bins).long().clamp_(0, bins - 1)
    row = torch.arange(b, device=p.device).unsqueeze(1) * 2 + t.long()
    dump = b * 2 * bins  # invalid pixels land in one extra bin, dropped below
    flat = torch.where(v, row * bins + bin_idx, torch.full_like(bin_idx, dump)).flatten()
    return torch.bincount(flat, minlength=dump + 1)[:dump].view(b, 2, bins)


@torch.no_grad()
def confusion_counts(pred: torch.Tensor, target: torch.Tensor, threshold: float = DEFAULT_THRESHOLD,
                     valid: torch.Tensor | None = None) -> torch.Tensor:
    """Per-image ``[B, 4]`` counts (tp, fp, fn, tn) of ``pred >= threshold`` against binary ``target``.

    Only pixels where ``valid`` is true count; ``pred``, ``target`` and ``valid`` share one shape.
    """
    return sum(_chunk_counts(*chunk, threshold) for chunk in _chunks(*_flat(pred, target, valid)))


def counts_iou(counts: torch.Tensor) -> torch.Tensor:
    """IoU of each row of ``[N, 4]`` confusion counts, with the zero-division convention."""
    tp, fp, fn = counts[:, 0], counts[:, 1], counts[:, 2]
    return _ratio(tp, tp + fp + fn, (tp + fp + fn) == 0)


#: Field metadata key of ``MetricState``'s per-image state, whose value says how the field merges:
#: ``tensors`` (a list of per-batch tensors, concatenated) or ``items`` (a flat list, one item per image).
PER_IMAGE = "per_image"


def per_image_state(kind: str = "tensors") -> Any:
    """Declare a per-image field of ``MetricState`` (torchmetrics' ``add_state`` habit): merged by
    concatenation, selected by image, gathered across processes, with no field listed by hand."""
    return field(default_factory=list, metadata={PER_IMAGE: kind})


def per_image_fields() -> dict[str, str]:
    """``MetricState``'s per-image fields and how each merges."""
    return {f.name: f.metadata[PER_IMAGE] for f in dataclasses.fields(MetricState) if PER_IMAGE in f.metadata}


@dataclass
class MetricState:
    """Per-image confusion counts ``[N, 4]`` (tp, fp, fn, tn), score histograms ``[N, 2, bins]``
    and image-level scores ``[N]`` (NaN where none was given)."""

    threshold: float = DEFAULT_THRESHOLD
    bins: int = DEFAULT_BINS
    counts: list[torch.Tensor] = per_image_state()
    hists: list[torch.Tensor] = per_image_state()
    manipulated: list[torch.Tensor] = per_image_state()
    ids: list[str] = per_image_state("items")
    scores: list[torch.Tensor] = per_image_state()
    #: For the presets (``metric_presets``): per image, the valid pixels scoring exactly ``threshold``
    #: ``[B, 2]`` and the sum of scores ``[B, 2]`` (float64), each by truth (negative, positive), the
    #: counts ``[B, 4]`` at ``score > threshold`` off TruFor's boundary band (``band_counts``) and the
    #: pixel AUC of the unquantized scores ``[B]`` (``pixel_auc``).
    #: Kept only when ``presets`` is true: the exact AUC sorts every image's pixels and the band needs
    #: two pooling passes, a cost the default convention does not pay.
    ties: list[torch.Tensor] = per_image_state()
    score_sums: list[torch.Tensor] = per_image_state()
    band: list[torch.Tensor] = per_image_state()
    exact_auc: list[torch.Tensor] = per_image_state()
    presets: bool = False

    @torch.no_grad()
    def update(self, pred: torch.Tensor, target: torch.Tensor, ids: Sequence[str] | None = None,
               manipulated: bool | Sequence[bool] = True, *, valid: torch.Tensor | None = None,
               image_scores: torch.Tensor | None = None) -> None:
        """Add a batch: ``pred`` scores in [0, 1] and binary ``target``, both ``[B, 1, H, W]`` or ``[B, H, W]``.

        ``valid`` (same shape) marks the pixels that count; ``image_scores [B]`` are the images'
        real/fake scores, kept for the image-level AUC.
        """
        b = pred.shape[0]
        flat = _flat(pred, target, valid)
        counts, hist = 0, 0
        for chunk in _chunks(*flat):  # bounded temporaries; integer sums, so exact
            counts = counts + _chunk_counts(*chunk, self.threshold)
            hist = hist + _chunk_histogram(*chunk, self.bins)
        self.counts.append(counts)
        self.hists.append(hist)
        if self.presets:  # the exact AUC sorts, and float sums depend on their order: whole images here
            p, t = flat[0].float(), _truth(flat[1])
            v = torch.ones_like(t) if flat[2] is None else flat[2].bool()
            tied = (p == self.threshold) & v
            self.ties.append(torch.stack([(tied & ~t).sum(1), (tied & t).sum(1)], 1))
            scores = torch.where(v, p.double(), torch.zeros_like(p, dtype=torch.float64))
            self.score_sums.append(torch.stack([(scores * ~t).sum(1), (scores * t).sum(1)], 1))
            self.band.append(band_counts(pred, target, self.threshold, valid))
            self.exact_auc.append(pixel_auc(p, t, v))
        flags = [manipulated] * b if isinstance(manipulated, bool) else list(manipulated)
        self.manipulated.append(torch.tensor(flags, dtype=torch.bool))
        self.scores.append(torch.full((b,), float("nan"), dtype=torch.float64) if image_scores is None
                           else image_scores.detach().double().flatten().cpu())
        self.ids.extend(ids if ids is not None else [str(len(self.ids) + i) for i in range(b)])

    def settings(self) -> dict[str, Any]:
        """What two states must share to be merged: threshold, bins, whether preset state is kept."""
        return {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if PER_IMAGE not in f.metadata}

    def merge(self, other: MetricState) -> MetricState:
        """The state of both sets of images (e.g. from two processes or shards)."""
        if self.settings() != other.settings():
            raise ValueError("cannot merge metric states with different threshold, bins or preset state")
        return MetricState(**self.settings(), **{name: getattr(self, name) + getattr(other, name)
                                                 for name in per_image_fields()})

    def select(self, indices: Sequence[int] | torch.Tensor) -> MetricState:
        """The state of the images at ``indices`` (positions in update order): a slice of a split is
        measured from its images' stored counts and histograms, with no second pass over the images."""
        index = torch.as_tensor(indices, dtype=torch.long).flatten()
        picked: dict[str, list] = {}
        for name, kind in per_image_fields().items():
            parts = getattr(self, name)
            if kind == "items":
                picked[name] = [parts[i] for i in index.tolist()]
            else:
                picked[name] = [torch.cat([x.cpu() for x in parts])[index]] if parts else []
        return MetricState(**self.settings(), **picked)

    def image_scores(self) -> torch.Tensor:
        """The image-level scores ``[N]`` (float64; NaN where none was given)."""
        return torch.cat(self.scores) if self.scores else torch.zeros(0, dtype=torch.float64)

    def __len__(self) -> int:
        return len(self.ids)

    def tensors(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Concatenated ``counts [N,4]``, ``hists [N,2,bins]`` (on the CPU) and ``manipulated [N]``."""
        if not self.counts:
            return (torch.zeros(0, 4, dtype=torch.long), torch.zeros(0, 2, self.bins, dtype=torch.long),
                    torch.zeros(0, dtype=torch.bool))
        return (torch.cat([c.cpu() for c in self.counts]), torch.cat([h.cpu() for h in self.hists]),
                torch.cat(self.manipulated))

    def per_image(self) -> dict[str, torch.Tensor]:
        """Every per-image metric, as float64 tensors of length N (NaN where AUC is undefined)."""
        counts, hists, _ = self.tensors()
        return per_image_metrics(counts, hists)

    def compute(self, convention: str = DEFAULT_CONVENTION) -> dict[str, float]:
        """Aggregate metrics of manipulated images and, separately, false positives on authentic ones;
        or, with another ``convention``, the numbers of that preset (``metric_presets.PRESETS``)."""
        if convention != DEFAULT_CONVENTION:
            return self._compute_preset(convention)
        counts, hists, manip = self.tensors()
        out: dict[str, float] = {}
        gt_pos = counts[:, 0] + counts[:, 2]
        scored = manip & (gt_pos > 0)
        if manip.any():
            out.update(_manipulated_summary(counts[scored], hists[scored]))
            out["n_empty_mask"] = int((manip & (gt_pos == 0)).sum())
        if (~manip).any():
            out.update(_authentic_summary(counts[~manip]))
        return out

    def _compute_preset(self, convention: str) -> dict[str, float]:
        """A preset's metrics from the per-image state, with the count of authentic images."""
        chosen = preset(convention)
        if not self.presets:
            raise ValueError(f"metrics convention {convention!r} needs the preset state: build the MetricState "
                             "with presets=True")
        if self.threshold != PRESET_THRESHOLD:
            raise ValueError(f"metrics convention {convention!r} binarizes at {PRESET_THRESHOLD}, "
                             f"not at this state's threshold {self.threshold}")
        counts, _, manip = self.tensors()

        def rows(parts: list[torch.Tensor], width: int) -> torch.Tensor:
            return torch.cat([x.cpu() for x in parts]).double() if parts else torch.zeros(0, width, dtype=torch.float64)

        inputs = ImageCounts(ge=counts.double(), ties=rows(self.ties, 2), sums=rows(self.score_sums, 2),
                             band=rows(self.band, 4),
                             auc=torch.cat(self.exact_auc) if self.exact_auc else torch.zeros(0, dtype=torch.float64),
                             manipulated=manip)
        return {**chosen.compute(inputs), "n_authentic": int((~manip).sum())}


def per_image_metrics(counts: torch.Tensor, hists: torch.Tensor) -> dict[str, torch.Tensor]:
    """Every per-image metric from confusion counts ``[N, 4]`` and score histograms ``[N, 2, bins]``."""
    tp, fp, fn, tn = (counts[:, i] for i in range(4))
    vacuous = (tp + fp + fn) == 0
    neg, pos = hists[:, 0].double(), hists[:, 1].double()
    # thresholds k/bins, k = 0..bins: predicted positive where bin >= k
    tp_k = torch.cat([pos.flip(1).cumsum(1).flip(1), torch.zeros_like(pos[:, :1])], 1)
    fp_k = torch.cat([neg.flip(1).cumsum(1).flip(1), torch.zeros_like(neg[:, :1])], 1)
    n_pos = pos.sum(1, keepdim=True)
    fn_k = n_pos - tp_k
    den = 2 * tp_k + fp_k + fn_k
    f1_k = torch.where(den > 0, 2 * tp_k / den.clamp_min(1), torch.ones_like(den))
    below = neg.cumsum(1) - neg  # negatives in strictly lower bins
    n_neg = neg.sum(1)
    auc = (pos * (below + 0.5 * neg)).sum(1) / (n_pos.squeeze(1) * n_neg)
    auc = torch.where((n_pos.squeeze(1) > 0) & (n_neg > 0), auc, torch.full_like(auc, float("nan")))
    return {
        "iou": _ratio(tp, tp + fp + fn, vacuous),
        "f1": _ratio(2 * tp, 2 * tp + fp + fn, vacuous),
        "precision": _ratio(tp, tp + fp, vacuous),
        "recall": _ratio(tp, tp + fn, vacuous),
        "f1_best": f1_k.max(1).values,
        "auc": auc,
        "fpr": _ratio(fp, fp + tn, fp == 0),
        "empty_prediction": ((tp + fp) == 0).double(),
    }


def _mean(x: torch.Tensor) -> float:
    x = x[~torch.isnan(x)]
    return float(x.mean()) if x.numel() else float("nan")


def _manipulated_summary(counts: torch.Tensor, hists: torch.Tensor) -> dict[str, float]:
    per = per_image_metrics(counts, hists)
    pooled = per_image_metrics(counts.sum(0, keepdim=True), hists.sum(0, keepdim=True))
    out = {k: _mean(per[k]) for k in ("iou", "f1", "precision", "recall", "f1_best", "auc")}
    out.update({f"{k}_pooled": float(pooled[k][0]) if counts.shape[0] else float("nan")
                for k in ("iou", "f1", "precision", "recall", "auc")})
    out["empty_prediction_rate"] = _mean(per["empty_prediction"])
    out["n_auc_undefined"] = int(torch.isnan(per["auc"]).sum())
    out["n_images"] = int(counts.shape[0])
    return out


def _authentic_summary(counts: torch.Tensor) -> dict[str, float]:
    tp, fp, fn, tn = (counts[:, i] for i in range(4))
    fpr = _ratio(fp, fp + tn, fp == 0)
    total = counts.sum(0)
    return {"fpr": float(fpr.mean()), "fpr_pooled": float(total[1]) / max(1, int(total[1] + total[3])),
            "any_positive_rate": float(((tp + fp) > 0).double().mean()),
            "n_authentic": int(counts.shape[0])}


# --- image level ---------------------------------------------------------------------------------

def _scores(values: Any) -> torch.Tensor:
    """Image scores as a flat float64 tensor with the NaNs (images without a score) left out."""
    x = torch.as_tensor(values, dtype=torch.float64).flatten()
    return x[~torch.isnan(x)]


def _rate_at_or_above(scores: torch.Tensor, thresholds: torch.Tensor) -> torch.Tensor:
    """For each threshold, the share of ``scores`` that are ``>= threshold`` (vectorised by sorting)."""
    s = scores.sort().values
    return (s.numel() - torch.searchsorted(s, thresholds, side="left")).double() / s.numel()


def image_auc(manipulated: Any, authentic: Any) -> float:
    """ROC AUC of image scores, manipulated against authentic images (ties count one half)."""
    m, a = _scores(manipulated), _scores(authentic)
    if not m.numel() or not a.numel():
        return float("nan")
    m, a = m[:, None], a[None, :]
    return float(((m > a).double() + 0.5 * (m == a).double()).mean())


def image_bacc(manipulated: Any, authentic: Any, threshold: float = DEFAULT_THRESHOLD) -> float:
    """Balanced accuracy of ``score >= threshold``: the mean of the TPR on manipulated and the TNR on
    authentic images (NaN when either set is empty)."""
    m, a = _scores(manipulated), _scores(authentic)
    if not m.numel() or not a.numel():
        return float("nan")
    return float(((m >= threshold).double().mean() + (a < threshold).double().mean()) / 2)


def threshold_outside(manipulated: Any, authentic: Any, threshold: float) -> str | None:
    """Where ``threshold`` lies when it decides nothing, ``above every score`` (all negative) or ``at or below
    every score`` (all positive): its balanced accuracy is then 0.5 whatever the scores; ``None`` otherwise."""
    scores = torch.cat([_scores(manipulated), _scores(authentic)])
    if not scores.numel():
        return None
    if threshold > float(scores.max()):
        return "above every score"
    if threshold <= float(scores.min()):
        return "at or below every score"
    return None


def image_tpr_at_fpr(manipulated: Any, authentic: Any, max_fpr: float = IMAGE_FPR_LIMIT) -> float:
    """The highest TPR over thresholds ``t`` (positive: ``score >= t``) whose FPR on ``authentic`` is at
    most ``max_fpr``. Candidates are every observed score and +inf; a tied authentic image counts as a
    false positive (no interpolation), so ties never buy TPR below the FPR limit."""
    m, a = _scores(manipulated), _scores(authentic)
    if not m.numel() or not a.numel():
        return float("nan")
    t = torch.cat([torch.cat([m, a]).unique(), torch.tensor([float("inf")], dtype=torch.float64)])
    ok = _rate_at_or_above(a, t) <= max_fpr + 1e-12
    return float(_rate_at_or_above(m, t)[ok].max())


def best_bacc_threshold(manipulated: Any, authentic: Any) -> float:
    """The threshold that maximises balanced accuracy of ``score >= t`` on these (validation) scores.

    Candidates are the distinct observed scores; among equally good ones the largest wins, and the
    threshold returned lies halfway between it and the next lower observed score (the classification of
    these scores is unchanged, a new score in the gap is not decided by chance). NaN when either set is empty.
    """
    m, a = _scores(manipulated), _scores(authentic)
    if not m.numel() or not a.numel():
        return float("nan")
    t = torch.cat([m, a]).unique()
    bacc = (_rate_at_or_above(m, t) + 1 - _rate_at_or_above(a, t)) / 2
    best = int(torch.nonzero(bacc >= bacc.max() - 1e-12).max())
    return float(t[best] if best == 0 else (t[best - 1] + t[best]) / 2)


@dataclass(frozen=True)
class ImageThreshold:
    """The threshold of ``image_bacc`` for one manipulated split and how it was chosen (recorded)."""

    value: float
    source: str


def image_thresholds(splits: Sequence[str], val_states: dict[str, MetricState] | None) -> dict[str, ImageThreshold]:
    """For each manipulated split, the threshold maximising balanced accuracy on ``val/<same kind>``
    against the val authentic images when ``val_states`` hold both, else the fixed 0.5 (and, when
    ``val_states`` were given, why not)."""
    out: dict[str, ImageThreshold] = {}
    requested, val_states = val_states is not None, val_states or {}
    val_authentic = [s.image_scores() for name, s in val_states.items() if SplitName.parse(name).role == "authentic"]
    for split in splits:
        name = SplitName.parse(split)
        if name.role != "manipulated":
            continue
        val = val_states.get(f"val/{name.kind}")
        value = (best_bacc_threshold(val.image_scores(), torch.cat(val_authentic))
                 if val is not None and val_authentic else float("nan"))
        if math.isnan(value):
            why = f" (no val/{name.kind} with val authentic images to choose on)" if requested else ""
            out[split] = ImageThreshold(DEFAULT_THRESHOLD, f"fixed{why}")
        else:
            out[split] = ImageThreshold(value, f"val: maximum balanced accuracy on val/{name.kind} against "
                                               "the val authentic images")
    return out


def add_detection_metrics(metrics: dict[str, dict[str, Any]], states: dict[str, MetricState], source: str,
                          val_states: dict[str, MetricState] | None = None) -> None:
    """Image-level AUC, balanced accuracy and TPR at 5 % FPR of each manipulated split against the
    authentic split(s) of the same part, with where the scores come from and the bAcc threshold.

    ``metrics`` maps split names to their metrics (with ``"role"``); ``states`` their metric states;
    ``val_states``, when given, the val splits' states that choose the bAcc threshold (else 0.5).
    """
    names = {split: SplitName.parse(split) for split in states}
    thresholds = image_thresholds(list(states), val_states)
    for split, state in states.items():
        if metrics[split]["role"] != "manipulated":
            continue
        authentic = [states[s].image_scores() for s, n in names.items()
                     if n.part == names[split].part and metrics[s]["role"] == "authentic"]
        if authentic:
            m, a = state.image_scores(), torch.cat(authentic)
            chosen = thresholds.get(split, ImageThreshold(DEFAULT_THRESHOLD, "fixed"))
            metrics[split].update({"image_auc": image_auc(m, a), "image_bacc": image_bacc(m, a, chosen.value),
                                   "image_tpr_at_5fpr": image_tpr_at_fpr(m, a), "image_score": source,
                                   "image_threshold": chosen.value, "image_threshold_from": chosen.source,
                                   "image_threshold_outside": threshold_outside(m, a, chosen.value),
                                   "image_n_manipulated": int(_scores(m).numel()),
                                   "image_n_authentic": int(_scores(a).numel())})


def warn_if_collapsed(metrics: dict[str, Any], where: str) -> bool:
    """Warn when every manipulated image got an empty prediction: the usual focal-loss collapse."""
    if metrics.get("n_images", 0) and metrics.get("empty_prediction_rate") == 1.0:
        warnings.warn(f"{where}: every prediction is empty at the threshold (IoU {metrics['iou']:.3f}); "
                      f"the model may have collapsed. Pixel AUC {metrics['auc']:.3f}, "
                      f"f1_best {metrics['f1_best']:.3f} tell whether it ranks pixels at all.", stacklevel=2)
        return True
    return False


# --- states of several processes ---------------------------------------------------------------

def _on_cpu(state: MetricState) -> MetricState:
    """A copy of ``state`` with every tensor moved to the CPU, to travel between ranks."""
    moved = {name: [v.cpu() if isinstance(v, torch.Tensor) else v for v in getattr(state, name)]
             for name in per_image_fields()}
    return MetricState(**state.settings(), **moved)


def gather_state(state: MetricState) -> MetricState:
    """The ranks' metric states merged in rank order: with ``EvalBatches`` that is the dataset order,
    so ``compute`` sums per-image values in the same order as one process does."""
    if not distributed.active():
        return state
    return functools.reduce(MetricState.merge, distributed.all_gather(_on_cpu(state)))
