"""Every metric of MetricState against a slow, independent reference (NumPy / scikit-learn)."""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import balanced_accuracy_score, roc_auc_score, roc_curve

from inpaintbench.evaluation.metrics import (
    MetricState,
    add_detection_metrics,
    best_bacc_threshold,
    confusion_counts,
    counts_iou,
    image_auc,
    image_bacc,
    image_tpr_at_fpr,
)

BINS = 256


def ref_ratio(num, den, vacuous):
    if den > 0:
        return num / den
    return 1.0 if vacuous else 0.0


def reference_image(pred: np.ndarray, gt: np.ndarray, thr: float = 0.5) -> dict:
    """Per-pixel loops in plain Python/NumPy, written independently of metrics.py."""
    p, g = pred.ravel(), gt.ravel().astype(bool)
    pos = p >= thr
    tp = int(np.sum(pos & g))
    fp = int(np.sum(pos & ~g))
    fn = int(np.sum(~pos & g))
    tn = int(np.sum(~pos & ~g))
    vac = tp + fp + fn == 0
    q = np.clip(np.floor(p * BINS), 0, BINS - 1)
    best = 0.0
    for k in range(BINS + 1):
        pk = q >= k
        t2 = np.sum(pk & g)
        f2 = np.sum(pk & ~g)
        n2 = np.sum(~pk & g)
        best = max(best, ref_ratio(2 * t2, 2 * t2 + f2 + n2, t2 + f2 + n2 == 0))
    auc = roc_auc_score(g, q) if 0 < g.sum() < g.size else float("nan")
    return {"iou": ref_ratio(tp, tp + fp + fn, vac), "f1": ref_ratio(2 * tp, 2 * tp + fp + fn, vac),
            "precision": ref_ratio(tp, tp + fp, vac), "recall": ref_ratio(tp, tp + fn, vac),
            "f1_best": best, "auc": auc, "counts": (tp, fp, fn, tn)}


def batch(rng, b=5, h=17, w=23):
    gt = np.zeros((b, 1, h, w), np.float32)
    for i in range(b):
        y, x = rng.integers(0, h - 4), rng.integers(0, w - 4)
        gt[i, 0, y:y + int(rng.integers(2, h - y)), x:x + int(rng.integers(2, w - x))] = 1
    pred = np.clip(gt * rng.uniform(0.2, 0.9) + rng.uniform(0, 0.6, gt.shape), 0, 1).astype(np.float32)
    return pred, gt


def check_against_reference(pred, gt):
    state = MetricState()
    state.update(torch.from_numpy(pred), torch.from_numpy(gt))
    per = state.per_image()
    for i in range(pred.shape[0]):
        ref = reference_image(pred[i], gt[i])
        for key in ("iou", "f1", "precision", "recall", "f1_best"):
            assert per[key][i].item() == pytest.approx(ref[key], abs=1e-9), key
        if np.isnan(ref["auc"]):
            assert torch.isnan(per["auc"][i])
        else:
            assert per["auc"][i].item() == pytest.approx(ref["auc"], abs=1e-9)
    return state


def test_random_batches_match_reference():
    rng = np.random.default_rng(1)
    for _ in range(3):
        check_against_reference(*batch(rng))


def test_edge_cases_empty_prediction_empty_mask_full_mask():
    h = w = 8
    gt_some = np.zeros((1, 1, h, w), np.float32)
    gt_some[..., 2:5, 2:5] = 1
    cases = [
        (np.zeros((1, 1, h, w), np.float32), gt_some),                 # empty prediction
        (np.full((1, 1, h, w), 0.9, np.float32), np.zeros((1, 1, h, w), np.float32)),  # empty mask
        (np.zeros((1, 1, h, w), np.float32), np.zeros((1, 1, h, w), np.float32)),      # both empty
        (np.full((1, 1, h, w), 0.7, np.float32), np.ones((1, 1, h, w), np.float32)),    # full mask
        (np.full((1, 1, h, w), 0.5, np.float32), gt_some),            # exactly at the threshold
    ]
    for pred, gt in cases:
        check_against_reference(pred, gt)
    state = MetricState()
    state.update(torch.zeros(1, 1, h, w), torch.from_numpy(gt_some))
    per = state.per_image()
    assert per["iou"][0] == 0 and per["f1"][0] == 0 and per["precision"][0] == 0
    both_empty = MetricState()
    both_empty.update(torch.zeros(1, 1, h, w), torch.zeros(1, 1, h, w))
    assert both_empty.per_image()["iou"][0] == 1.0


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31 - 1), st.integers(1, 4), st.integers(2, 12), st.integers(2, 12))
def test_property_matches_reference(seed, b, h, w):
    rng = np.random.default_rng(seed)
    pred = rng.random((b, 1, h, w)).astype(np.float32)
    gt = (rng.random((b, 1, h, w)) < rng.random()).astype(np.float32)
    check_against_reference(pred, gt)


def test_aggregation_mean_pooled_and_authentic_fpr():
    rng = np.random.default_rng(3)
    pred, gt = batch(rng, b=4)
    state = MetricState()
    state.update(torch.from_numpy(pred), torch.from_numpy(gt))
    auth_pred = rng.random((3, 1, 17, 23)).astype(np.float32) * 0.6
    state.update(torch.from_numpy(auth_pred), torch.zeros(3, 1, 17, 23), manipulated=False)
    out = state.compute()
    refs = [reference_image(pred[i], gt[i]) for i in range(4)]
    assert out["iou"] == pytest.approx(np.mean([r["iou"] for r in refs]))
    assert out["f1"] == pytest.approx(np.mean([r["f1"] for r in refs]))
    tp, fp, fn, _ = np.sum([r["counts"] for r in refs], axis=0)
    assert out["iou_pooled"] == pytest.approx(tp / (tp + fp + fn))
    assert out["f1_pooled"] == pytest.approx(2 * tp / (2 * tp + fp + fn))
    pooled_q = np.clip(np.floor(pred.ravel() * BINS), 0, BINS - 1)
    assert out["auc_pooled"] == pytest.approx(roc_auc_score(gt.ravel(), pooled_q))
    assert out["n_images"] == 4 and out["n_authentic"] == 3
    fprs = [(a >= 0.5).mean() for a in auth_pred]
    assert out["fpr"] == pytest.approx(np.mean(fprs))
    assert out["fpr_pooled"] == pytest.approx((auth_pred >= 0.5).mean())
    # authentic images never enter F1/IoU: the manipulated figures are unchanged without them
    only = MetricState()
    only.update(torch.from_numpy(pred), torch.from_numpy(gt))
    assert only.compute()["f1"] == out["f1"]


def test_merge_equals_single_state_and_empty_masks_are_counted_apart():
    rng = np.random.default_rng(4)
    pred, gt = batch(rng, b=6)
    gt[5] = 0
    whole = MetricState()
    whole.update(torch.from_numpy(pred), torch.from_numpy(gt))
    a, b = MetricState(), MetricState()
    a.update(torch.from_numpy(pred[:2]), torch.from_numpy(gt[:2]))
    b.update(torch.from_numpy(pred[2:]), torch.from_numpy(gt[2:]))
    merged = a.merge(b).compute()
    assert merged == pytest.approx(whole.compute(), nan_ok=True)
    assert merged["n_images"] == 5 and merged["n_empty_mask"] == 1


def test_select_measures_a_subset_from_the_stored_state_as_if_only_it_was_updated():
    rng = np.random.default_rng(5)
    pred, gt = batch(rng, b=6)
    scores = torch.arange(6, dtype=torch.float64) / 6
    whole = MetricState()
    whole.update(torch.from_numpy(pred), torch.from_numpy(gt), ids=list("abcdef"), image_scores=scores)
    alone = MetricState()
    alone.update(torch.from_numpy(pred[[4, 1]]), torch.from_numpy(gt[[4, 1]]), ids=["e", "b"],
                 image_scores=scores[[4, 1]])
    picked = whole.select([4, 1])
    assert picked.ids == ["e", "b"] and torch.equal(picked.image_scores(), alone.image_scores())
    assert picked.compute() == pytest.approx(alone.compute(), nan_ok=True)
    assert whole.select([]).compute() == {}


def test_shape_mismatch_is_an_error():
    with pytest.raises(ValueError, match="differ in shape"):
        MetricState().update(torch.zeros(1, 1, 4, 4), torch.zeros(1, 1, 4, 5))


def test_pixels_outside_the_validity_mask_never_count():
    """A padded batch with its validity mask gives exactly the metrics of the unpadded images."""
    rng = np.random.default_rng(6)
    pred, gt = batch(rng, b=3, h=11, w=13)
    alone = MetricState()
    alone.update(torch.from_numpy(pred), torch.from_numpy(gt))
    big_pred = torch.from_numpy(rng.random((3, 1, 16, 20)).astype(np.float32))  # scores in the padding
    big_gt = torch.ones(3, 1, 16, 20)                                            # and truth there too
    valid = torch.zeros(3, 1, 16, 20, dtype=torch.bool)
    big_pred[..., :11, :13], big_gt[..., :11, :13] = torch.from_numpy(pred), torch.from_numpy(gt)
    valid[..., :11, :13] = True
    padded = MetricState()
    padded.update(big_pred, big_gt, valid=valid)
    assert torch.equal(padded.tensors()[0], alone.tensors()[0]) and torch.equal(padded.tensors()[1], alone.tensors()[1])
    assert padded.compute() == alone.compute()
    assert torch.equal(confusion_counts(big_pred, big_gt, valid=valid), alone.tensors()[0])


def test_image_auc_pairs_each_manipulated_split_with_the_authentic_split_of_its_part():
    def state(scores, manipulated):
        s = MetricState()
        n = len(scores)
        s.update(torch.zeros(n, 1, 2, 2), torch.zeros(n, 1, 2, 2), manipulated=manipulated,
                 image_scores=torch.tensor(scores))
        return s

    states = {"test/fakefake": state([0.9, 0.8], True), "test/original": state([0.1, 0.8], False),
              "val/fakefake": state([0.2], True), "val/original": state([0.5], False)}
    metrics = {k: {"role": "authentic" if k.endswith("original") else "manipulated"} for k in states}
    add_detection_metrics(metrics, states, "maximum of the heatmap")
    assert metrics["test/fakefake"]["image_auc"] == pytest.approx((1 + 1 + 1 + 0.5) / 4)
    assert metrics["val/fakefake"]["image_auc"] == 0.0  # against val/original only
    assert "image_auc" not in metrics["test/original"]
    assert image_auc(torch.tensor([0.9, float("nan")]), torch.tensor([0.1])) == 1.0
    assert counts_iou(torch.tensor([[2, 1, 1, 5], [0, 0, 0, 9]])).tolist() == [0.5, 1.0]


def _labels(m, a):
    return np.r_[np.ones(len(m)), np.zeros(len(a))], np.r_[m, a]


@pytest.mark.parametrize("seed", range(6))
def test_image_detection_metrics_match_scikit_learn_with_ties(seed):
    rng = np.random.default_rng(seed)
    levels = 5 if seed % 2 else 1000  # few levels: many ties across and within the classes
    m = rng.integers(0, levels, rng.integers(1, 40)) / levels + 0.2
    a = rng.integers(0, levels, rng.integers(1, 40)) / levels
    y, s = _labels(m, a)
    assert image_auc(m, a) == pytest.approx(roc_auc_score(y, s))
    for thr in (0.5, float(np.median(s)), float(s.min()), float(s.max()) + 1):
        assert image_bacc(m, a, thr) == pytest.approx(balanced_accuracy_score(y, s >= thr))
    fpr, tpr, _ = roc_curve(y, s, drop_intermediate=False)  # one point per distinct score, ">=" thresholds
    assert image_tpr_at_fpr(m, a) == pytest.approx(tpr[fpr <= 0.05].max())
    best = max(balanced_accuracy_score(y, s >= t) for t in np.unique(s))
    chosen = best_bacc_threshold(m, a)
    assert balanced_accuracy_score(y, s >= chosen) == pytest.approx(best)


def test_image_tpr_at_5fpr_counts_a_tied_authentic_image_as_a_false_positive():
    authentic = np.r_[np.zeros(18), 0.5, 0.9]  # 20 authentic: FPR 0.05 at t = 0.9 (the tie counts), 0.1 at 0.5
    assert image_tpr_at_fpr([0.9, 0.95, 0.5], authentic) == pytest.approx(2 / 3)
    assert image_tpr_at_fpr([0.9, 0.95, 0.5], np.r_[np.zeros(9), 0.9]) == pytest.approx(1 / 3)  # FPR 0.1 at 0.9
    assert image_tpr_at_fpr([0.3], [0.3]) == 0.0  # only +inf keeps the FPR at 0
    assert image_tpr_at_fpr([0.4], [0.3]) == 1.0
    assert np.isnan(image_tpr_at_fpr([], [0.3])) and np.isnan(image_bacc([0.1], [float("nan")]))


def test_best_bacc_threshold_takes_the_largest_of_equal_thresholds_halfway_to_the_next_score():
    assert best_bacc_threshold([0.8, 0.9], [0.1, 0.2]) == pytest.approx(0.5)   # between 0.2 and 0.8
    assert best_bacc_threshold([0.3], [0.3]) == pytest.approx(0.3)             # one score: itself
    # 0.4 and 0.6 both give bAcc 0.75 on these scores: the larger wins, halfway down to 0.4
    assert best_bacc_threshold([0.6, 0.2], [0.4, 0.1]) == pytest.approx(0.5)
    assert np.isnan(best_bacc_threshold([0.2], []))


def test_the_bacc_threshold_comes_from_the_val_split_of_the_same_kind_when_given():
    def state(scores, manipulated):
        s = MetricState()
        s.update(torch.zeros(len(scores), 1, 2, 2), torch.zeros(len(scores), 1, 2, 2), manipulated=manipulated,
                 image_scores=torch.tensor(scores))
        return s

    states = {"test/fakefake": state([0.3, 0.25], True), "test/realfake": state([0.7], True),
              "test/original": state([0.1, 0.2], False)}

    def metrics():
        return {k: {"role": "authentic" if k.endswith("original") else "manipulated"} for k in states}

    fixed = metrics()
    add_detection_metrics(fixed, states, "maximum of the heatmap")
    assert fixed["test/fakefake"]["image_threshold"] == 0.5
    assert fixed["test/fakefake"]["image_threshold_from"] == "fixed"
    assert fixed["test/fakefake"]["image_bacc"] == 0.5 and fixed["test/realfake"]["image_bacc"] == 1.0
    assert fixed["test/fakefake"]["image_tpr_at_5fpr"] == 1.0
    val = {"val/fakefake": state([0.3, 0.24], True), "val/original": state([0.1, 0.2], False)}
    chosen = metrics()
    add_detection_metrics(chosen, states, "maximum of the heatmap", val)
    assert chosen["test/fakefake"]["image_threshold"] == pytest.approx(0.22)  # halfway between 0.2 and 0.24
    assert chosen["test/fakefake"]["image_threshold_from"].startswith("val: ")
    assert chosen["test/fakefake"]["image_bacc"] == 1.0
    assert chosen["test/realfake"]["image_threshold"] == 0.5  # no val/realfake: fixed, and why
    assert "no val/realfake" in chosen["test/realfake"]["image_threshold_from"]
