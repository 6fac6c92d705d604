"""Leaderboards from result files: ranked per split, protocol stated, protocols never mixed."""

from inpaintbench.cli import main
from inpaintbench.results import Result, write_result


def _result(detector, iou, image_size=256, split="test/fakefake"):
    metrics = {split: {"role": "manipulated", "iou": iou, "f1": iou + 0.05, "iou_pooled": iou, "f1_pooled": iou,
                       "f1_best": 0.9, "auc": 0.95, "n_images": 10},
               "test/original": {"role": "authentic", "fpr": 0.01 * iou, "fpr_pooled": 0.01, "any_positive_rate": 0.5,
                                 "n_authentic": 4}}
    return Result(detector=detector, dataset="provided", protocol={"threshold": 0.5, "image_size": image_size},
                  metrics=metrics, detector_info={"card": {"description": f"{detector} card"}, "parameters": 7})


def test_tables_rank_by_iou_and_separate_protocols(tmp_path, capsys):
    paths = [write_result(_result("a", 0.4), tmp_path / "a.json"), write_result(_result("b", 0.7), tmp_path / "b.json"),
             write_result(_result("c", 0.9, image_size=512), tmp_path / "c.json")]
    out = tmp_path / "board.md"
    assert main(["leaderboard", *map(str, paths), "-o", str(out)]) == 0
    text = out.read_text()
    sections = text.split("## ")
    fake = [s for s in sections if s.startswith("provided · test/fakefake")]
    assert len(fake) == 2  # two protocols, two tables
    same = next(s for s in fake if "image_size**: 256" in s)
    assert same.index("[b](#detector-b)") < same.index("[a](#detector-a)")
    assert "[c]" not in same and "not comparable" in same
    assert '<a id="detector-b"></a>' in text and "b card" in text
    auth = next(s for s in sections if s.startswith("provided · test/original") and "image_size**: 256" in s)
    assert auth.index("[a]") < auth.index("[b]")  # lower false-positive rate first


def test_table_follows_the_recorded_role_and_puts_missing_values_last(tmp_path):
    # a split named like a manipulated kind but recorded as authentic is ranked by FPR, lowest first
    odd = {"role": "authentic", "fpr": 0.2, "fpr_pooled": 0.2, "any_positive_rate": 1.0, "n_authentic": 3}
    results = [Result("a", "d", {"threshold": 0.5}, {"test/x": dict(odd)}),
               Result("b", "d", {"threshold": 0.5}, {"test/x": {**odd, "fpr": 0.1}}),
               Result("c", "d", {"threshold": 0.5}, {"test/x": {**odd, "fpr": float("nan")}})]
    for res in results:
        write_result(res, tmp_path / f"{res.detector}.json")
    out = tmp_path / "board.md"
    assert main(["leaderboard", str(tmp_path), "-o", str(out)]) == 0
    table = [line for line in out.read_text().split("## d · test/x")[1].splitlines() if line.startswith("|")]
    cells = [[c.strip() for c in line.split("|")[1:-1]] for line in table]
    assert cells[0] == ["detector", "fpr", "fpr_pooled", "any_positive_rate", "n_authentic", "checkpoint"]
    assert [row[0] for row in cells[2:]] == ["[b](#detector-b)", "[a](#detector-a)", "[c](#detector-c)"]
    assert cells[4][1] == "–"


def test_a_detection_table_ranks_image_level_metrics_beside_the_localization_table(tmp_path):
    results = [_result("a", 0.4), _result("b", 0.7), _result("c", 0.2)]
    for res, auc in zip(results[:2], (0.9, 0.6)):
        res.metrics["test/fakefake"].update({"image_auc": auc, "image_bacc": auc - 0.1, "image_tpr_at_5fpr": auc / 2,
                                             "image_threshold": 0.5, "image_threshold_from": "fixed"})
    paths = [write_result(res, tmp_path / f"{res.detector}.json") for res in results]
    out = tmp_path / "board.md"
    assert main(["leaderboard", *map(str, paths), "-o", str(out)]) == 0
    fake = out.read_text().split("## provided · test/fakefake")[1].split("## ")[0]
    localization, detection = fake.split("Detection (image level")
    assert "image_auc" not in localization and localization.index("[b]") < localization.index("[a]")
    table = [[c.strip() for c in line.split("|")[1:-1]] for line in detection.splitlines() if line.startswith("|")]
    assert table[0] == ["detector", "image_auc", "image_bacc", "image_tpr_at_5fpr", "image_threshold", "checkpoint"]
    assert [row[0] for row in table[2:]] == ["[a](#detector-a)", "[b](#detector-b)", "[c](#detector-c)"]
    assert table[2][1:4] == ["0.900", "0.800", "0.450"] and table[4][1] == "–"
    original = out.read_text().split("## provided · test/original")[1].split("## ")[0]
    assert "Detection" not in original
