"""Result files: round trip, NaN as null, the upgrade of files without split roles, file-name slugs."""

import json
import re

import pytest

from inpaintbench.jobs.results import Result, default_result_path, read_result, slug, write_result
from inpaintbench.sdk.contracts import SplitName


def test_result_round_trip_and_nan_as_null(tmp_path):
    res = Result("a", "provided", {"threshold": 0.5}, {"test/fakefake": {"role": "manipulated", "iou": float("nan")}})
    path = write_result(res, tmp_path / "r.json")
    back = read_result(path)
    assert back.metrics["test/fakefake"]["iou"] is None and back.detector == "a"
    (tmp_path / "bad.json").write_text("{}")
    with pytest.raises(ValueError, match="bad.json"):
        read_result(tmp_path / "bad.json")


def test_older_files_get_each_split_role_from_its_kind(tmp_path):
    old = Result("a", "provided", {}, {"test/realfake": {"iou": 0.5}, "test/original": {"fpr": 0.1},
                                       "test/odd": {"role": "authentic", "fpr": 0.2}})
    path = write_result(old, tmp_path / "old.json")
    assert "role" not in json.loads(path.read_text())["metrics"]["test/realfake"]
    metrics = read_result(path).metrics
    assert metrics["test/realfake"] == {"role": "manipulated", "iou": 0.5}
    assert metrics["test/original"]["role"] == "authentic"
    assert metrics["test/odd"]["role"] == "authentic"  # a recorded role is kept, not re-derived


def test_committed_leaderboard_results_read_native_with_roles_and_no_machine_paths():
    from pathlib import Path

    folder = Path(__file__).resolve().parents[1] / "leaderboards"
    paths = [p for p in sorted((folder / "results").rglob("*.json")) if p.name != "reference.json"]
    assert len(paths) > 20
    for path in paths:
        result = read_result(path)
        assert result.protocol["image_size"] == "native", path
        for split, metrics in result.metrics.items():
            assert metrics["role"] == SplitName.parse(split).role, (path, split)
    for path in [*paths, folder / "README.md", folder / "results" / "reference.json"]:
        text = path.read_text()
        assert not re.search(r"(?<![\w.])/(work|tmp|root|home|Users)/", text), path


def test_slug_is_file_name_safe_and_hashes_paths():
    assert slug("jpeg:quality=90") == "jpeg_quality_90"
    assert slug("resize:scale=0.5,keep_new_size=true") == "resize_scale_0.5_keep_new_size_true"
    hashed = slug("provided:fakefake@/data/sets/b")
    assert hashed.startswith("provided_fakefake_p") and "data" not in hashed
    assert hashed != slug("provided:fakefake@/data/sets/c")
    assert slug("///") != "" and "/" not in default_result_path("my/det", "provided").name
