"""The clean-result cache: a key of what decides a clean result, and get/put of results under it."""

from __future__ import annotations

import dataclasses

import pytest

from inpaintbench.evaluation.protocol import Execution, Protocol
from inpaintbench.jobs._clean_cache import CleanCache, clean_key
from inpaintbench.jobs.job import Job
from inpaintbench.jobs.results import Result

INFO = {"root": "/data/a", "splits": {"test/realfake": 3}}
FP = "fedcba9876543210"
SPLITS = ["test/realfake"]


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / "best.pt"
    path.write_bytes(b"weights one")
    return path


def test_key_changes_with_everything_that_decides_the_result(tmp_path, checkpoint):
    job = Job("tiny", "provided", protocol=Protocol(32))
    key = clean_key(job, checkpoint, INFO, SPLITS, FP)
    assert key.startswith("tiny-") and key == clean_key(job, checkpoint, dict(INFO), SPLITS, FP)
    other = tmp_path / "other.pt"
    other.write_bytes(b"weights two")
    changed = [clean_key(job, other, INFO, SPLITS, FP),  # checkpoint content, not its name
               clean_key(job, None, INFO, SPLITS, FP),
               clean_key(job, checkpoint, {**INFO, "root": "/data/b"}, SPLITS, FP),
               clean_key(job, checkpoint, INFO, None, FP),
               clean_key(dataclasses.replace(job, protocol=Protocol(64)), checkpoint, INFO, SPLITS, FP),
               clean_key(dataclasses.replace(job, protocol=Protocol(32, threshold=0.3)), checkpoint, INFO, SPLITS, FP),
               clean_key(dataclasses.replace(job, detector_options={"width": 4}), checkpoint, INFO, SPLITS, FP),
               clean_key(dataclasses.replace(job, run=Execution(seed=1)), checkpoint, INFO, SPLITS, FP),
               clean_key(job, checkpoint, INFO, SPLITS, "0123456789abcdef")]  # the data changed
    assert len({key, *changed}) == len(changed) + 1
    # what does not decide the result leaves the key alone
    assert clean_key(dataclasses.replace(job, run=Execution(batch_size=1, progress=False)), checkpoint, INFO,
                     SPLITS, FP) == key


def test_get_put_round_trip(tmp_path):
    cache = CleanCache(tmp_path / "cache")
    result = Result("tiny", "provided", {"attack": None}, {"test/realfake": {"role": "manipulated", "iou": 0.5}})
    assert cache.get("k1") is None
    path = cache.put("k1", result)
    assert path == tmp_path / "cache" / "k1.json"
    back = cache.get("k1")
    assert back is not None and back.metrics == result.metrics and cache.get("k2") is None
    path.write_text("{ broken")
    assert cache.get("k1") is None  # an unreadable entry is recomputed, not fatal


def test_put_refuses_an_attacked_result(tmp_path):
    attacked = Result("tiny", "provided", {"attack": "jpeg:quality=90"}, {}, attack="jpeg:quality=90")
    with pytest.raises(ValueError, match="clean results only"):
        CleanCache(tmp_path).put("k", attacked)


def test_default_folder_is_under_the_cache_root(monkeypatch, tmp_path):
    monkeypatch.setenv("INPAINTBENCH_CACHE", str(tmp_path))
    assert CleanCache().folder == tmp_path / "clean"
