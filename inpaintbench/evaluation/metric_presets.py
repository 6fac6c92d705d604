"""The field's pixel-metric conventions as named presets of ``MetricState.compute(convention=...)``.

Each preset turns the per-image state that ``MetricState`` keeps (confusion counts at
``score >= threshold``, the pixels scoring exactly the threshold, per-class score sums and the
counts off the ground truth's boundary band) into the numbers another codebase would report, with
its threshold, its zero divisions, its empty-mask and authentic-image rules and its aggregation.
The facts behind each preset (repository and file) are in its record and in the README.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F

#: Our own convention (``metrics.conventions``): the default, not a preset of this module.
DEFAULT_CONVENTION = "inpaintbench"
#: The threshold every preset's code binarizes at (``score > 0.5``).
PRESET_THRESHOLD = 0.5
#: TruFor's boundary band: the truth eroded by a 15x15 square is positive, the complement of its
#: 11x11 dilation negative, the pixels between them do not count (``extractGTs``).
ERODE, DILATE = 15, 11


@dataclass(frozen=True)
class ImageCounts:
    """What a preset reads, one row per image (float64): ``ge [N,4]`` tp, fp, fn, tn at
    ``score >= threshold``; ``ties [N,2]`` pixels scoring exactly the threshold (truth negative,
    positive); ``sums [N,2]`` the sum of scores (truth negative, positive); ``band [N,4]`` tp, fp, fn,
    tn at ``score > threshold`` off the boundary band; ``auc [N]`` the per-image pixel ROC AUC of the
    unquantized scores, ties one half (NaN with one class; ``pixel_auc``); ``manipulated [N]`` bool."""

    ge: torch.Tensor
    ties: torch.Tensor
    sums: torch.Tensor
    band: torch.Tensor
    auc: torch.Tensor
    manipulated: torch.Tensor

    def strict(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
        """tp, fp, fn, tn at ``score > threshold``: the tied pixels move from positive to negative."""
        tp, fp, fn, tn = self.ge.unbind(1)
        neg, pos = self.ties.unbind(1)
        return tp - pos, fp - neg, fn + pos, tn + neg

    def select(self, rows: torch.Tensor) -> ImageCounts:
        """The images where ``rows`` (bool) is true."""
        return ImageCounts(self.ge[rows], self.ties[rows], self.sums[rows], self.band[rows], self.auc[rows],
                           self.manipulated[rows])


@dataclass(frozen=True)
class Preset:
    """One codebase's convention: what it thresholds, how it aggregates, its edge cases and sources."""

    name: str
    thresholded: str
    aggregation: str
    empty_mask: str
    authentic: str
    source: str
    compute: Callable[[ImageCounts], dict[str, float]]

    def record(self) -> dict[str, str]:
        """The preset's description as recorded in a result's protocol."""
        return {"thresholded": self.thresholded, "aggregation": self.aggregation,
                "empty_mask": self.empty_mask, "authentic_images": self.authentic, "source": self.source}


# --- shared pieces --------------------------------------------------------------------------------

def _where(cond: torch.Tensor, value: float, other: torch.Tensor) -> torch.Tensor:
    return torch.where(cond, torch.full_like(other, value), other)


def _safe(num: torch.Tensor, den: torch.Tensor, zero: float = 0.0) -> torch.Tensor:
    """num/den, ``zero`` where den == 0."""
    return _where(den == 0, zero, num / torch.where(den == 0, torch.ones_like(den), den))


def _floored(num: torch.Tensor, den: torch.Tensor) -> torch.Tensor:
    """num / max(den, 1e-32), as TruFor's and TGIF's numpy code divides."""
    return num / den.clamp_min(1e-32)


def _mean(x: torch.Tensor) -> float:
    """Plain mean (a NaN makes it NaN, as a sum of per-image values does); NaN when empty."""
    return float(x.mean()) if x.numel() else float("nan")


def _nanmean(x: torch.Tensor) -> float:
    x = x[~torch.isnan(x)]
    return _mean(x)


def _eps_f1(tp: torch.Tensor, fp: torch.Tensor, fn: torch.Tensor) -> torch.Tensor:
    """IMDL-BenCo's F1: precision and recall with 1e-8 in their denominators, then their harmonic mean
    with 1e-8 in its denominator (0 when there is no true positive)."""
    precision, recall = tp / (tp + fp + 1e-8), tp / (tp + fn + 1e-8)
    return 2 * precision * recall / (precision + recall + 1e-8)


def _eps_iou(tp: torch.Tensor, fp: torch.Tensor, fn: torch.Tensor) -> torch.Tensor:
    """IMDL-BenCo's IoU: intersection / (union + 1e-8)."""
    return tp / (tp + fp + fn + 1e-8)


# --- imdlbenco and opensdi ------------------------------------------------------------------------

def _imdlbenco(x: ImageCounts) -> dict[str, float]:
    tp, fp, fn, tn = x.strict()
    ge_tp, ge_fp, ge_fn, ge_tn = x.ge.unbind(1)
    n_pos, n_neg = tp + fn, fp + tn
    f1 = _eps_f1(tp, fp, fn)
    f1_inverse = _eps_f1(fn, tn, tp)  # the binarized map inverted: positive where score <= 0.5
    iou = _eps_iou(tp, fp, fn)
    iou_inverse = _eps_iou(ge_fn, ge_tn, ge_tp)  # the score map inverted: 1 - score > 0.5, i.e. score < 0.5
    auc = _where(n_pos == 0, 0.0, _where(n_neg == 0, float("nan"), x.auc))
    auc_double = _where(n_pos == 0, 0.0, torch.maximum(auc, 1 - auc))
    return {"f1": _mean(f1), "iou": _mean(iou), "auc": _mean(auc),
            "f1_double": _mean(torch.maximum(f1, f1_inverse)), "iou_double": _mean(torch.maximum(iou, iou_inverse)),
            "auc_double": _mean(auc_double), "n_images": int(tp.numel()),
            "n_empty_mask": int(((n_pos == 0) & x.manipulated).sum()), "n_auc_nan": int(torch.isnan(auc).sum())}


def _opensdi(x: ImageCounts) -> dict[str, float]:
    x = x.select(x.manipulated)
    tp, fp, fn, _ = x.strict()
    return {"f1": _mean(_eps_f1(tp, fp, fn)), "iou": _mean(_eps_iou(tp, fp, fn)), "n_images": int(tp.numel()),
            "n_empty_mask": int(((tp + fn) == 0).sum())}


# --- trufor and tgif ------------------------------------------------------------------------------

def _trufor(x: ImageCounts) -> dict[str, float]:
    x = x.select(x.manipulated)
    tp, fp, fn, tn = x.band.unbind(1)
    f1 = torch.maximum(_floored(2 * tp, 2 * tp + fn + fp), _floored(2 * fn, 2 * fn + tp + tn))
    # one class in truth and prediction alike: sklearn's confusion matrix is 1x1, their code gets NaN
    undefined = (fp == 0) & (fn == 0) & ((tp == 0) | (tn == 0))
    f1 = _where(undefined, float("nan"), f1)
    return {"f1": _nanmean(f1), "n_images": int((~undefined).sum()), "n_undefined": int(undefined.sum())}


def _tgif(x: ImageCounts) -> dict[str, float]:
    tp, fp, fn, _ = x.strict()
    both_empty = ((tp + fn) == 0) & ((tp + fp) == 0)
    per = {"f1": _floored(2 * tp, 2 * tp + fn + fp), "iou": _floored(tp, tp + fp + fn),
           "precision": _floored(tp, tp + fp), "recall": _floored(tp, tp + fn)}
    out = {k: _mean(_where(both_empty, 1.0, v)) for k, v in per.items()}
    auc = _where(both_empty, float("nan"), x.auc)
    out.update({"auc": _nanmean(auc), "n_images": int(tp.numel()), "n_both_empty": int(both_empty.sum()),
                "n_auc_undefined": int(torch.isnan(auc).sum())})
    return out


# --- photoholmes ----------------------------------------------------------------------------------

def _soft(tp: torch.Tensor, missed: torch.Tensor, false: torch.Tensor,
          tn: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """F1, IoU and MCC of soft counts: 0 where a denominator is 0; MCC's denominator is left as given."""
    f1 = _safe(2 * tp, 2 * tp + missed + false)
    iou = _safe(tp, tp + missed + false)
    den = torch.sqrt((tp + missed) * (tp + false) * (tn + missed) * (tn + false))
    return f1, iou, _safe(tp * tn - missed * false, den)


def _photoholmes(x: ImageCounts) -> dict[str, float]:
    tp, fp, fn, tn = x.strict()
    n_neg, n_pos = x.ge[:, 1] + x.ge[:, 3], x.ge[:, 0] + x.ge[:, 2]
    # soft counts: the score as the probability of "inpainted"
    w_tp, w_missed = x.sums[:, 1], n_pos - x.sums[:, 1]
    w_false, w_tn = x.sums[:, 0], n_neg - x.sums[:, 0]
    f1, iou, mcc = _soft(w_tp, w_missed, w_false, w_tn)
    right, wrong = (w_tp + w_tn) != 0, (w_missed + w_false) != 0
    # v1 MCC adds its three cases, so an exactly right map with both classes scores 2 (as their code does)
    mcc = mcc + (right & ~wrong).double() - (~right & wrong).double()
    s = [v.sum() for v in (w_tp, w_missed, w_false, w_tn)]
    f1_v2, iou_v2, mcc_v2 = (float(v) for v in _soft(*(t.reshape(1) for t in s)))
    if bool(s[0] + s[3] != 0) and bool(s[1] + s[2] == 0):
        mcc_v2 = 1.0
    elif bool(s[0] + s[3] == 0) and bool(s[1] + s[2] != 0):
        mcc_v2 = -1.0
    n = int(tp.numel())
    TP, FP, FN = tp.sum(), fp.sum(), fn.sum()
    return {"f1_pooled": float(_safe(2 * TP, 2 * TP + FP + FN)), "iou_pooled": float(_safe(TP, TP + FP + FN)),
            "precision_pooled": float(_safe(TP, TP + FP)), "recall_pooled": float(_safe(TP, TP + FN)),
            "f1_weighted": _mean(f1), "iou_weighted": _mean(iou), "mcc_weighted": _mean(mcc),
            "f1_weighted_pooled": f1_v2 if n else float("nan"), "iou_weighted_pooled": iou_v2 if n else float("nan"),
            "mcc_weighted_pooled": mcc_v2 if n else float("nan"), "n_images": n}


PRESETS: dict[str, Preset] = {p.name: p for p in (
    Preset("imdlbenco",
           thresholded="score > 0.5; double mode: the better of the map and its inverse (F1: binarized map "
                       "inverted, score <= 0.5; IoU: 1 - score > 0.5); AUC on the scores (256 bins, ties one half)",
           aggregation="per-image F1 = 2PR/(P+R+1e-8) with P = TP/(TP+FP+1e-8), R = TP/(TP+FN+1e-8); IoU = "
                       "TP/(union+1e-8); plain mean over every image of the split, authentic ones included",
           empty_mask="F1 = IoU = 0 and AUC = 0 (we leave such images out, or score them 1 when nothing is "
                      "predicted); a mask without negatives gives AUC NaN, which makes the mean NaN",
           authentic="scored like any image: F1 = IoU = AUC = 0, pulling the mean down",
           source="scu-zjz/IMDLBenCo: IMDLBenCo/evaluation/F1.py, IOU.py, AUC.py; "
                  "IMDLBenCo/training_scripts/tester/tester.py (sum over images / image count)",
           compute=_imdlbenco),
    Preset("trufor",
           thresholded="score > 0.5 against the ground truth eroded by a 15x15 square (positive) and outside its "
                       "11x11 dilation (negative); the boundary band between them does not count; F1 is the "
                       "better of the binarized map and its inverse",
           aggregation="per-image F1 = 2TP/max(2TP+FN+FP, 1e-32); NaN-mean over the manipulated images",
           empty_mask="F1 = 0 when any pixel is predicted, else NaN (one class only: a 1x1 confusion matrix) "
                      "and left out of the mean, as an exactly right full mask is",
           authentic="not scored for localization (their scripts score the fake images only)",
           source="grip-unina/TruFor: TruFor_train_test/metrics.py (extractGTs, computeMetrics_th, computeF1, "
                  "computeLocalizationMetrics, the F1_th of the localization example)",
           compute=_trufor),
    Preset("tgif",
           thresholded="score > 0.5 against the whole ground truth; no inverse map, no boundary band",
           aggregation="per-image F1 = 2TP/max(2TP+FN+FP, 1e-32), IoU, precision, recall likewise; mean over "
                       "every image of the split; AUC (256 bins, ties one half) mean over images with both classes",
           empty_mask="1 for every metric when nothing is predicted either (AUC undefined), else 0",
           authentic="scored like any image: 1 when nothing is predicted, else 0",
           source="IDLabMedia/tgif-dataset: code/localization_metrics.py (computeMetrics); the mean over "
                  "images is our reading of their per-image function",
           compute=_tgif),
    Preset("photoholmes",
           thresholded="score > 0.5 for F1, IoU, precision, recall (torchmetrics, pooled); the weighted metrics "
                       "use the score itself as a soft prediction",
           aggregation="*_pooled: one confusion matrix over every image (0 on a zero denominator); *_weighted "
                       "(v1): per-image soft F1, IoU, MCC averaged over every image; *_weighted_pooled (v2): "
                       "the soft counts summed over every image first",
           empty_mask="weighted F1 and IoU are 0 when their denominator is 0 and the image still counts; "
                      "v1 MCC adds +1 (no soft error), -1 (no soft agreement) and the MCC where defined, so an "
                      "exactly right binary map with both classes counts 2",
           authentic="scored like any image (their benchmark feeds every image of the dataset)",
           source="photoholmes/photoholmes: src/photoholmes/metrics/F1_weighted_v1.py, F1_weighted_v2.py, "
                  "IoU_weighted_v1.py, IoU_weighted_v2.py, MCC_weighted_v1.py, MCC_weighted_v2.py, factory.py, "
                  "torchmetrics_wrappers.py; src/photoholmes/benchmark.py",
           compute=_photoholmes),
    Preset("opensdi",
           thresholded="score > 0.5 (IMDL-BenCo's PixelF1 and PixelIOU, origin mode)",
           aggregation="IMDL-BenCo's per-image F1 and IoU, mean over the manipulated images only",
           empty_mask="F1 = IoU = 0, counted in the mean",
           authentic="not scored (their pixel test set keeps only the partially generated fake images)",
           source="iamwangyabin/OpenSDI: test.py (PixelF1(threshold=0.5, mode='origin'), PixelIOU()), "
                  "data/hf_datasets.py (pixel: 'partial' and 'fake' keys only)",
           compute=_opensdi),
)}

CONVENTIONS: tuple[str, ...] = (DEFAULT_CONVENTION, *PRESETS)


def preset(name: str) -> Preset:
    """The preset of that name; a ValueError names the choices."""
    if name not in PRESETS:
        raise ValueError(f"metrics convention {name!r}: choose one of {', '.join(CONVENTIONS)}")
    return PRESETS[name]


# --- state kept at update time ------------------------------------------------------------------

@torch.no_grad()
def pixel_auc(scores: torch.Tensor, truth: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
    """Per-image ROC AUC ``[B]`` (float64, on the CPU) of flattened ``scores [B, P]`` against bool ``truth``
    over the ``valid`` pixels, from average ranks (Mann-Whitney: ties count one half); NaN with one class.

    The rank sum of the positives comes from where each positive score falls among all sorted scores;
    sorting runs where the scores are (NumPy's sort on the CPU, several times torch's there).
    """
    out = torch.full((scores.shape[0],), float("nan"), dtype=torch.float64)
    for i in range(scores.shape[0]):
        s, y = scores[i][valid[i]], truth[i][valid[i]]
        n_pos = int(y.sum())
        n_neg = y.numel() - n_pos
        if not n_pos or not n_neg:
            continue
        if s.device.type == "cpu":
            ordered, pos = np.sort(s.numpy()), s[y].numpy()
            below, upto = np.searchsorted(ordered, pos, "left"), np.searchsorted(ordered, pos, "right")
            rank_sum = float(np.sum(below + upto + 1, dtype=np.float64)) / 2
        else:
            ordered, pos = s.sort().values, s[y]
            below = torch.searchsorted(ordered, pos, side="left").double()
            rank_sum = float((below + torch.searchsorted(ordered, pos, side="right").double() + 1).sum()) / 2
        out[i] = (rank_sum - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg)
    return out


# --- the boundary band ----------------------------------------------------------------------------

def _window_max(x: torch.Tensor, size: int) -> torch.Tensor:
    """The maximum over a centred size x size square, clipped to the image (separable max pooling)."""
    x = F.max_pool2d(x, (size, 1), stride=1, padding=(size // 2, 0))
    return F.max_pool2d(x, (1, size), stride=1, padding=(0, size // 2))


@torch.no_grad()
def band_counts(pred: torch.Tensor, target: torch.Tensor, threshold: float = PRESET_THRESHOLD,
                valid: torch.Tensor | None = None) -> torch.Tensor:
    """Per-image ``[B, 4]`` (tp, fp, fn, tn) of ``pred > threshold`` off TruFor's boundary band.

    Positive: the truth eroded by an ``ERODE`` square; negative: outside its ``DILATE`` dilation. Windows
    stop at the image and at its validity mask (scipy's ``reflect`` border gives the same minimum and
    maximum as a window clipped to the image).
    """
    h, w = pred.shape[-2:]
    p = pred.reshape(-1, 1, h, w) > threshold
    t = target.reshape(-1, 1, h, w) > 0.5
    v = torch.ones_like(t) if valid is None else valid.reshape(-1, 1, h, w).bool()
    truth = t.float()
    inner = -_window_max(-torch.where(v, truth, torch.ones_like(truth)), ERODE) > 0.5
    outer = _window_max(torch.where(v, truth, torch.zeros_like(truth)), DILATE) > 0.5
    pos, neg = inner & v, ~outer & v
    return torch.stack([(p & pos).flatten(1).sum(1), (p & neg).flatten(1).sum(1),
                        (~p & pos).flatten(1).sum(1), (~p & neg).flatten(1).sum(1)], 1)
