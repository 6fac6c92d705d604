"""Leaderboards from result files: ranked per split, protocol stated, protocols never mixed."""

import pytest

from inpaintbench.cli import main
from inpaintbench.results import Result, read_result, write_result


def _result(detector, iou, image_size=256, split="test/fakefake"):
    metrics = {split: {"iou": iou, "f1": iou + 0.05, "iou_pooled": iou, "f1_pooled": iou, "f1_best": 0.9,
                       "auc": 0.95, "n_images": 10},
               "test/original": {"fpr": 0.01 * iou, "fpr_pooled": 0.01, "any_positive_rate": 0.5, "n_authentic": 4}}
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


def test_result_round_trip_and_nan_as_null(tmp_path):
    res = _result("a", float("nan"))
    path = write_result(res, tmp_path / "r.json")
    back = read_result(path)
    assert back.metrics["test/fakefake"]["iou"] is None and back.detector == "a"
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="bad.json"):
        read_result(tmp_path / "bad.json")
