"""Each metrics convention preset against a slow reference written here from its documented definition
(plain NumPy / SciPy per image), on random maps and on the edge cases."""

import json

import numpy as np
import pytest
import torch
from scipy.ndimage import maximum_filter, minimum_filter

from inpaintbench.cli import main
from inpaintbench.evaluation._tensors import SampleTensors
from inpaintbench.evaluation.harness import predictions
from inpaintbench.evaluation.metric_presets import CONVENTIONS, PRESETS
from inpaintbench.evaluation.metrics import MetricState, conventions
from inpaintbench.evaluation.protocol import Protocol, check_convention
from inpaintbench.jobs.job import Job, make_dataset, make_detector
from inpaintbench.jobs.results import read_result
from inpaintbench.sdk.errors import ConfigError

H = W = 24
NAN = float("nan")


# --- references: one image at a time, from each codebase's definition ------------------------------

def counts(binary, gt):
    return (np.sum(binary & gt), np.sum(binary & ~gt), np.sum(~binary & gt), np.sum(~binary & ~gt))


def eps_f1(tp, fp, fn):
    p, r = tp / (tp + fp + 1e-8), tp / (tp + fn + 1e-8)
    return 2 * p * r / (p + r + 1e-8)


def eps_iou(binary, gt):
    inter = np.sum(binary & gt)
    return inter / (np.sum(binary) + np.sum(gt) - inter + 1e-8)


def trapz_auc(scores, gt):
    """ROC area by sorting the scores in descending order, one step per pixel (no tie handling needed:
    the maps given to it have distinct scores)."""
    scores, gt = scores.ravel(), gt.ravel()
    if gt.sum() == 0:
        return 0.0
    order = np.argsort(-scores, kind="stable")
    y = gt[order].astype(float)
    with np.errstate(invalid="ignore", divide="ignore"):
        tpr, fpr = np.cumsum(y) / y.sum(), np.cumsum(1 - y) / (1 - y).sum()
    return float(np.sum((fpr[1:] - fpr[:-1]) * (tpr[1:] + tpr[:-1]) / 2))


def pairwise_auc(scores, gt):
    pos, neg = scores[gt], scores[~gt]
    if not pos.size or not neg.size:
        return NAN
    return float(np.mean((pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])))


def imdlbenco_image(p, gt):
    b = p > 0.5
    tp, fp, fn, tn = counts(b, gt)
    return {"f1": eps_f1(tp, fp, fn), "f1_double": max(eps_f1(tp, fp, fn), eps_f1(fn, tn, tp)),
            "iou": eps_iou(b, gt), "iou_double": max(eps_iou(b, gt), eps_iou((1 - p) > 0.5, gt)),
            "auc": trapz_auc(p, gt), "auc_double": max(trapz_auc(p, gt), trapz_auc(1 - p, gt))}


def trufor_image(p, gt):
    gt1 = minimum_filter(gt, 15)
    gt0 = ~maximum_filter(gt, 11)
    keep = gt0 | gt1
    truth, binary = gt[keep], (p > 0.5)[keep]
    if len(np.unique(np.concatenate([truth, binary]))) < 2:
        return {"f1": NAN}
    tp, fp, fn, tn = counts(binary, truth)
    return {"f1": max(2 * tp / max(2 * tp + fn + fp, 1e-32), 2 * fn / max(2 * fn + tp + tn, 1e-32))}


def tgif_image(p, gt):
    b = p > 0.5
    if b.max() == 0 and gt.max() == 0:
        return {"f1": 1.0, "iou": 1.0, "precision": 1.0, "recall": 1.0, "auc": NAN}
    tp, fp, fn, tn = counts(b, gt)
    return {"f1": 2 * tp / max(2 * tp + fn + fp, 1e-32), "iou": tp / max(tp + fp + fn, 1e-32),
            "precision": tp / max(tp + fp, 1e-32), "recall": tp / max(tp + fn, 1e-32),
            "auc": pairwise_auc(p, gt)}


def soft_counts(p, gt):
    t = gt.astype(float)
    return (np.sum(p * t), np.sum((1 - p) * t), np.sum(p * (1 - t)), np.sum((1 - p) * (1 - t)))


def photoholmes_image(p, gt):
    tpw, fpw, fnw, tnw = soft_counts(p.astype(float), gt)
    f1 = 2 * tpw / (2 * tpw + fnw + fpw) if 2 * tpw + fnw + fpw != 0 else 0.0
    iou = tpw / (tpw + fpw + fnw) if tpw + fpw + fnw != 0 else 0.0
    mcc = 0.0
    if tpw + tnw != 0 and fpw + fnw == 0:
        mcc += 1.0
    if tpw + tnw == 0 and fpw + fnw != 0:
        mcc -= 1.0
    den = np.sqrt((tpw + fpw) * (tpw + fnw) * (tnw + fpw) * (tnw + fnw))
    if den != 0:
        mcc += (tpw * tnw - fpw * fnw) / den
    return {"f1_weighted": f1, "iou_weighted": iou, "mcc_weighted": mcc}


def photoholmes_pooled(maps, gts):
    tp, fp, fn, _ = np.sum([counts(p > 0.5, g) for p, g in zip(maps, gts)], 0)
    tpw, fpw, fnw, tnw = np.sum([soft_counts(p.astype(float), g) for p, g in zip(maps, gts)], 0)
    out = {"f1_pooled": 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn else 0.0,
           "iou_pooled": tp / (tp + fp + fn) if tp + fp + fn else 0.0,
           "precision_pooled": tp / (tp + fp) if tp + fp else 0.0, "recall_pooled": tp / (tp + fn) if tp + fn else 0.0,
           "f1_weighted_pooled": 2 * tpw / (2 * tpw + fnw + fpw) if 2 * tpw + fnw + fpw else 0.0,
           "iou_weighted_pooled": tpw / (tpw + fpw + fnw) if tpw + fpw + fnw else 0.0}
    den = np.sqrt((tpw + fpw) * (tpw + fnw) * (tnw + fpw) * (tnw + fnw))
    if tpw + tnw != 0 and fpw + fnw == 0:
        out["mcc_weighted_pooled"] = 1.0
    elif tpw + tnw == 0 and fpw + fnw != 0:
        out["mcc_weighted_pooled"] = -1.0
    else:
        out["mcc_weighted_pooled"] = (tpw * tnw - fpw * fnw) / den if den else 0.0
    return out


def reference(name, maps, gts, manipulated, with_auc):
    """The preset's numbers over a set of images, aggregated as its code does."""
    if name == "photoholmes":
        per = [photoholmes_image(p, g) for p, g in zip(maps, gts)]
        return {**{k: np.mean([r[k] for r in per]) for k in per[0]}, **photoholmes_pooled(maps, gts)}
    keep = [i for i in range(len(maps)) if manipulated[i] or name in ("imdlbenco", "tgif")]
    image = {"imdlbenco": imdlbenco_image, "opensdi": imdlbenco_image, "trufor": trufor_image, "tgif": tgif_image}[name]
    per = [image(maps[i], gts[i]) for i in keep]
    if not per:  # no image this preset scores
        return {"f1": NAN}
    keys = {"opensdi": ("f1", "iou")}.get(name, per[0].keys())
    out = {}
    for k in keys:
        if k.startswith("auc") and not with_auc and name != "tgif":  # tgif: sklearn, ties one half
            continue
        values = np.array([r[k] for r in per], float)
        if name in ("trufor", "tgif"):  # NaN-mean
            values = values[~np.isnan(values)]
        out[k] = values.mean() if values.size else NAN
    return out


def check(maps, gts, manipulated, with_auc=True, batch_valid=None):
    state = MetricState(presets=True)
    state.update(torch.from_numpy(np.stack(maps)[:, None]), torch.from_numpy(np.stack(gts)[:, None].astype(np.float32)),
                 manipulated=manipulated)
    for name in PRESETS:
        got = state.compute(name)
        for key, want in reference(name, maps, gts, manipulated, with_auc).items():
            if np.isnan(want):
                assert np.isnan(got[key]), (name, key)
            else:
                assert got[key] == pytest.approx(want, abs=1e-6), (name, key, got[key], want)
    return state


# --- maps -------------------------------------------------------------------------------------------

def rectangle(rng, h=H, w=W):
    gt = np.zeros((h, w), bool)
    y, x = rng.integers(0, h - 8), rng.integers(0, w - 8)
    gt[y:y + int(rng.integers(6, h - y + 1)), x:x + int(rng.integers(6, w - x + 1))] = True
    return gt


def distinct_map(rng, gt):
    """Scores at distinct bin centres (k + 0.5) / 256, higher inside the mask: no two pixels tie, and
    256-bin quantization loses nothing, so AUC can be compared exactly."""
    ranks = np.argsort(np.argsort(rng.normal(size=gt.shape) + 1.2 * gt, axis=None))
    levels = np.sort(rng.choice(256, gt.size, replace=False))
    return ((levels[ranks] + 0.5) / 256).reshape(gt.shape).astype(np.float32)


def test_random_maps_with_distinct_scores_match_every_reference():
    rng = np.random.default_rng(0)
    for _ in range(3):
        gts = [rectangle(rng, 14, 14) for _ in range(4)] + [np.zeros((14, 14), bool)]
        maps = [distinct_map(rng, g) for g in gts]
        check(maps, gts, [True, True, True, True, False])


def test_random_maps_with_ties_at_the_threshold_match_the_thresholded_references():
    rng = np.random.default_rng(1)
    gts = [rectangle(rng) for _ in range(5)]
    maps = [np.where(rng.random((H, W)) < 0.3, 0.5, rng.random((H, W))).astype(np.float32) for _ in gts]
    check(maps, gts, [True] * 5, with_auc=False)


def test_edge_cases_match_every_reference():
    rng = np.random.default_rng(2)
    gt = rectangle(rng)
    good = np.where(gt, 0.9, 0.1).astype(np.float32)
    empty, full = np.zeros((H, W), bool), np.ones((H, W), bool)
    cases = [  # (map, truth, manipulated)
        (good, empty, True),                                  # empty mask, something predicted
        (np.zeros((H, W), np.float32), empty, True),          # empty mask, empty prediction
        (np.zeros((H, W), np.float32), gt, True),             # empty prediction
        (np.ones((H, W), np.float32), full, True),            # full mask, exactly right
        (good, full, True),                                   # full mask, partly predicted
        (1 - good, gt, True),                                 # inverted prediction
        (np.zeros((H, W), np.float32), empty, False),         # authentic, nothing predicted
        (good, empty, False),                                 # authentic, false positives
        (np.where(gt, 1.0, 0.0).astype(np.float32), gt, True),  # exactly right binary map
    ]
    for m, g, manipulated in cases:  # each alone, then all together
        check([m], [g], [manipulated], with_auc=False)
    check([c[0] for c in cases], [c[1] for c in cases], [c[2] for c in cases], with_auc=False)


def test_edge_case_values_are_those_of_each_codebase():
    empty = np.zeros((H, W), bool)
    zeros = np.zeros((1, 1, H, W))
    state = MetricState(presets=True)
    state.update(torch.from_numpy(zeros), torch.from_numpy(zeros), manipulated=True)
    assert state.compute("imdlbenco")["f1"] == 0 and state.compute("imdlbenco")["auc"] == 0
    assert state.compute("tgif")["f1"] == 1 and state.compute("tgif")["iou"] == 1
    assert np.isnan(state.compute("trufor")["f1"]) and state.compute("trufor")["n_undefined"] == 1
    assert state.compute()["n_empty_mask"] == 1 and np.isnan(state.compute()["f1"])  # ours leaves it out
    full = MetricState(presets=True)
    full.update(torch.ones(1, 1, H, W), torch.ones(1, 1, H, W))
    assert np.isnan(full.compute("imdlbenco")["auc"])  # no negatives: their 0/0 makes the mean NaN
    inverted = MetricState(presets=True)
    gt = np.zeros((1, 1, H, W), np.float32)
    gt[..., 4:20, 4:20] = 1
    inverted.update(torch.from_numpy(1 - gt), torch.from_numpy(gt))
    assert inverted.compute("imdlbenco")["f1"] < 1e-6 and inverted.compute("imdlbenco")["f1_double"] > 0.999
    assert inverted.compute("trufor")["f1"] == 1.0 and inverted.compute("tgif")["f1"] == 0.0
    assert empty.sum() == 0


def test_padding_changes_no_preset_and_merge_adds_up():
    rng = np.random.default_rng(3)
    small, big = rectangle(rng, 16, 18), rectangle(rng, 24, 24)
    small[-8:, -8:] = True  # truth at the padding's edge: erosion must stop at the image, not see padding
    maps = [rng.random(small.shape).astype(np.float32), rng.random(big.shape).astype(np.float32)]
    alone = [MetricState(presets=True), MetricState(presets=True)]
    for s, m, g in zip(alone, maps, [small, big]):
        s.update(torch.from_numpy(m)[None, None], torch.from_numpy(g.astype(np.float32))[None, None])
    pred, target = torch.zeros(2, 1, 24, 24), torch.zeros(2, 1, 24, 24)
    valid = torch.zeros(2, 1, 24, 24, dtype=torch.bool)
    for i, (m, g) in enumerate(zip(maps, [small, big])):
        h, w = g.shape
        pred[i, 0, :h, :w], target[i, 0, :h, :w] = torch.from_numpy(m), torch.from_numpy(g * 1.0)
        valid[i, 0, :h, :w] = True
    padded = MetricState(presets=True)
    padded.update(pred, target, valid=valid)
    merged = alone[0].merge(alone[1])
    for name in PRESETS:
        assert padded.compute(name) == pytest.approx(merged.compute(name), nan_ok=True), name


def test_the_default_convention_is_unchanged_and_named_in_the_protocol():
    rng = np.random.default_rng(4)
    g = rectangle(rng)
    state = MetricState(presets=True)
    state.update(torch.rand(1, 1, H, W), torch.from_numpy(g * 1.0)[None, None].float())
    assert state.compute() == state.compute("inpaintbench")
    ours = conventions()
    assert ours["metrics_convention"] == "inpaintbench" and ours["positive"] == "score >= 0.5"
    for name in PRESETS:
        record = conventions(convention=name)
        assert record["metrics_convention"] == name and record["positive"] == "score > 0.5"
        assert "source" in record and "image_auc" in record
    with pytest.raises(ValueError, match="choose one of"):
        state.compute("nope")


def test_the_default_state_keeps_no_preset_extras_and_says_so_when_asked_for_a_preset():
    rng = np.random.default_rng(5)
    pred, truth = torch.rand(2, 1, H, W), torch.from_numpy(np.stack([rectangle(rng)] * 2) * 1.0)[:, None].float()
    plain, full = MetricState(), MetricState(presets=True)
    plain.update(pred, truth)
    full.update(pred, truth)
    assert not (plain.exact_auc or plain.band or plain.ties or plain.score_sums) and full.exact_auc
    assert plain.compute() == full.compute()  # the extras change nothing of ours
    with pytest.raises(ValueError, match="presets=True"):
        plain.compute("imdlbenco")
    with pytest.raises(ValueError, match="preset state"):
        plain.merge(full)


def test_presets_refuse_another_threshold():
    with pytest.raises(ConfigError, match="binarizes at 0.5"):
        check_convention("trufor", 0.3)
    with pytest.raises(ConfigError, match="choose one of"):
        check_convention("truefor", 0.5)
    check_convention("inpaintbench", 0.3)
    assert CONVENTIONS[0] == "inpaintbench"


@pytest.mark.parametrize("name", ["imdlbenco", "trufor"])
def test_evaluate_records_the_convention_and_gives_its_numbers(name, tiny_layout, tmp_path):
    out = tmp_path / "R.json"
    assert main(["evaluate", "--detector", "noise-residual", "--dataset", "provided", "--data-root", str(tiny_layout),
                 "--metrics-convention", name, "--output", str(out), "--quiet", "--no-overlays"]) == 0
    res = read_result(out)
    assert res.protocol["metrics_convention"] == name and res.protocol["source"] == PRESETS[name].source
    job = Job("noise-residual", "provided", dataset_options={"data_root": str(tiny_layout)})
    detector, dataset = make_detector(job)[0], make_dataset(job)
    for split in ("test/fakefake", "test/original"):
        data = SampleTensors(dataset, dataset.records(split), Protocol())
        maps, gts = [], []
        for batch, heat in predictions(detector, data, progress=False):
            maps += list(heat[:, 0].numpy())
            gts += list(batch["target"][:, 0].numpy() > 0.5)
        manipulated = split.endswith("fakefake")
        want = reference(name, maps, gts, [manipulated] * len(maps), with_auc=True)
        for key, value in want.items():
            got = res.metrics[split][key]
            assert (got is None and np.isnan(value)) or got == pytest.approx(value, abs=1e-6), (split, key)


def test_old_results_read_as_measured_under_ours(tmp_path):
    raw = {"schema": "inpaintbench-result-1", "detector": "d", "dataset": "s", "protocol": {"threshold": 0.5},
           "metrics": {"test/fakefake": {"iou": 0.5}}}
    path = tmp_path / "old.json"
    path.write_text(json.dumps(raw))
    assert read_result(path).protocol["metrics_convention"] == "inpaintbench"


def test_leaderboards_never_rank_two_conventions_together_and_show_them_side_by_side(tmp_path, capsys):
    from inpaintbench.jobs.results import Result, write_result

    state = MetricState(presets=True)
    gt = torch.zeros(2, 1, 64, 64)
    gt[..., 10:40, 16:50] = 1
    state.update(torch.rand(2, 1, 64, 64) * 0.6 + gt * 0.4, gt)
    paths = []
    f1_names = ("trufor", "inpaintbench", "imdlbenco")
    for name in f1_names:
        metrics = {"test/fakefake": {"role": "manipulated", **state.compute(name)}}
        result = Result("det", "set", Protocol(metrics_convention=name).record(), metrics)
        paths.append(write_result(result, tmp_path / f"{name}.json"))
    other = Result("other", "set", Protocol(metrics_convention="trufor").record(),
                   {"test/fakefake": {"role": "manipulated", "f1": 0.1}})
    paths.append(write_result(other, tmp_path / "other.json"))
    assert main(["leaderboard", *map(str, paths), "--conventions", "det"]) == 0
    text = capsys.readouterr().out
    tables = [s for s in text.split("\n### ") if s.startswith("set · test/fakefake · P")]
    assert len(tables) == 3 and sum("[other]" in t for t in tables) == 1  # one table per convention
    assert all(f"{name} metric convention" in text.split("## Protocols")[1] for name in f1_names)
    side = text.split("## det under each metrics convention")[1]
    rows = [line for line in side.splitlines() if line.startswith("| ")][1:]
    assert [r.split("|")[1].strip() for r in rows] == ["inpaintbench", "imdlbenco", "trufor"]
    f1 = {name: state.compute(name)["f1"] for name in ("inpaintbench", "imdlbenco", "trufor")}
    for row, name in zip(rows, f1):
        assert f"{f1[name]:.3f}" in row.split("|")[2]
    assert "other" not in side


def test_the_cli_summary_prints_every_convention():
    from inpaintbench.reports.summary import metrics_lines

    state = MetricState(presets=True)
    state.update(torch.rand(1, 1, H, W), torch.ones(1, 1, H, W))
    for name in CONVENTIONS:
        text = metrics_lines({"test/fakefake": {"role": "manipulated", **state.compute(name)}})
        assert "test/fakefake" in text and "f1" in text.lower(), name
