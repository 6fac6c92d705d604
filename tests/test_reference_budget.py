"""scripts/reference.py: the cpu budget gives every trained model the same wall-clock time, the gpu one steps."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "scripts" / "reference.py"


@pytest.fixture(scope="module")
def reference():
    spec = importlib.util.spec_from_file_location("reference_script", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules[spec.name]


class FakeReport:
    best_checkpoint = "best.pt"

    def record(self) -> dict:
        return {"steps": 1}


@pytest.mark.parametrize("budget,minutes,steps", [("cpu", 8.0, None), ("gpu", None, 4000)])
def test_every_model_gets_the_budget_s_time_or_steps(reference, monkeypatch, tmp_path, budget, minutes, steps):
    import inpaintbench.jobs.job as jobs

    configs = {}

    def fake_train_job(job, config, out_dir):
        configs[Path(out_dir).name] = config
        return FakeReport(), Path(out_dir)

    monkeypatch.setattr(jobs, "train_job", fake_train_job)
    data = {reference.TRAIN_SET: ("freeform", tmp_path)}
    reference.train_models(tmp_path, reference.BUDGETS[budget], data, quiet=True)
    assert set(configs) == set(reference.MODELS)
    assert {c.max_minutes for c in configs.values()} == {minutes}
    if steps is None:
        assert {c.max_steps for c in configs.values()} == {None}
    else:
        assert configs["nixnet"].max_steps == configs["nixnet-srm+trace"].max_steps == steps
    text = reference.budget_text(reference.BUDGETS[budget])
    assert ("8 min of wall-clock time per model" in text) == (budget == "cpu")


def test_cbsd68_test_photos_are_never_ones_the_models_trained_or_validated_on(reference, monkeypatch, tmp_path):
    shared = tmp_path / "shared"
    for split, stems in (("train", ["t1", "t2", "t3"]), ("val", ["v1", "v2", "v3", "v4"]), ("test", ["s1", "s2"])):
        for stem in stems:
            path = shared / "data" / "bsds500" / "images" / split / f"{stem}.jpg"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"jpg")
    for name, stems in (("kodak24", ["k1", "k2", "k3"]), ("cbsd68", ["v1", "v2", "v3", "v4"])):  # CBSD68 = val
        for stem in stems:
            path = shared / "data" / "photos" / name / f"{stem}.png"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"png")
    monkeypatch.setattr(reference, "SHARED", shared)
    photos = {"train": 3, "val": 2, "test": 2, "object": 1, "kodak24": 2, "cbsd68": 2}
    budget = reference.dataclasses.replace(reference.BUDGETS["smoke"], photos=photos, family_photos=1)
    work = tmp_path / "work"
    (work / "photos" / "cbsd68" / "test").mkdir(parents=True)
    (work / "photos" / "cbsd68" / "test" / "v1.png").symlink_to(shared / "data" / "photos" / "cbsd68" / "v1.png")
    out = reference.link_photos(work, budget)
    assert sorted(p.name for p in (out["cbsd68"] / "test").iterdir()) == ["v3.png", "v4.png"]  # v1, v2 validate
    assert sorted(p.name for p in (out["kodak24"] / "test").iterdir()) == ["k1.png", "k2.png"]
    assert sorted(p.name for p in (out["bsds"] / "images" / "val").iterdir()) == ["v1.jpg", "v2.jpg"]


def test_each_family_trained_model_goes_to_the_wild_set_with_its_own_checkpoint(reference, monkeypatch, tmp_path):
    import inpaintbench.jobs.job as jobs
    import inpaintbench.jobs.results as results_module

    names = {"taesd": "taesd (sd1)", "taef1": "taef1 (flux1)"}
    matrix = [reference.dataclasses.replace(results_module.Result("nixnet", "freeform", {}, {}), training={
        "best_checkpoint": f"{train}/best.pt", "train_set": "raw", "test_set": test, "steps": 7})
        for train in names for test in names]
    trained = reference.trained_per_family(matrix, names)
    assert {ae: ckpt for ae, (ckpt, _) in trained.items()} == {"taesd": "taesd/best.pt", "taef1": "taef1/best.pt"}
    assert trained["taef1"][1]["train_set"] == "taef1 (flux1) data" and "test_set" not in trained["taef1"][1]
    seen = []
    monkeypatch.setattr(jobs, "evaluate_job", lambda job, checkpoint, training: seen.append(
        (job.dataset, dict(job.detector_options), checkpoint, training["train_set"])) or "result")
    monkeypatch.setattr(results_module, "write_result", lambda result, path: path.touch())
    (tmp_path / "wild").mkdir()
    paths = reference.family_models_on_wild(trained, reference.BUDGETS["smoke"], True, tmp_path)
    assert [p.name for p in paths] == ["nixnet-family-taesd.json", "nixnet-family-taef1.json"]
    assert seen == [("wild", {"residual": "srm"}, "taesd/best.pt", "taesd (sd1) data"),
                    ("wild", {"residual": "srm"}, "taef1/best.pt", "taef1 (flux1) data")]
    reference.family_models_on_wild(trained, reference.BUDGETS["smoke"], True, tmp_path)
    assert len(seen) == 2  # written results are kept
